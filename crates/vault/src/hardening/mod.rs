//! Keeping secrets out of core dumps, swap and debuggers' easy reach.
//!
//! - [`harden_process`]: no core dumps (`RLIMIT_CORE` 0) and, on Linux, not dumpable
//!   (`PR_SET_DUMPABLE` 0: no core file, and `/proc/PID/mem` and ptrace are closed to other
//!   processes of the same user that lack `CAP_SYS_PTRACE`). The broker and the app call it
//!   first thing.
//! - [`LockedBuf`]: the bytes of a [`crate::SecretString`], on pages of their own that are
//!   locked in RAM (`mlock`: never swapped) and, on Linux, left out of core dumps
//!   (`MADV_DONTDUMP`). Zeroed before they are unlocked and freed.
//!
//! Every failure is logged and never fatal: a secret in ordinary memory is still better than
//! no broker (`RLIMIT_MEMLOCK` can be small). The OS calls live in a Linux twin and a macOS
//! twin (type-checked only); other platforms get no hardening.

use std::sync::atomic::{AtomicBool, Ordering};

use zeroize::Zeroize;

#[cfg(target_os = "linux")]
#[path = "linux.rs"]
mod os;
#[cfg(target_os = "macos")]
#[path = "macos.rs"]
mod os;

/// Makes this process non-dumpable and turns core dumps off. Returns what could not be done
/// (already logged), so callers and tests can see it.
pub fn harden_process() -> Vec<String> {
    #[cfg(any(target_os = "linux", target_os = "macos"))]
    let failures = os::harden_process();
    #[cfg(not(any(target_os = "linux", target_os = "macos")))]
    let failures = vec!["no process hardening on this platform".to_owned()];
    for failure in &failures {
        warn(failure);
    }
    failures
}

/// Heap bytes on pages that hold nothing else, locked while they live, wiped on drop.
///
/// The allocation is one page larger than needed so that whole pages can be taken from its
/// middle: unlocking them at drop never unlocks a page another allocation still uses.
pub(crate) struct LockedBuf {
    raw: Box<[u8]>,
    start: usize,
    len: usize,
    locked: bool,
}

impl LockedBuf {
    /// Copies `bytes` onto locked pages. The caller wipes its own copy.
    pub(crate) fn copy_of(bytes: &[u8]) -> Self {
        let page = page_size();
        let pages = bytes.len().div_ceil(page).max(1);
        let mut raw = vec![0u8; (pages + 1) * page].into_boxed_slice();
        let start = (page - raw.as_ptr() as usize % page) % page;
        raw[start..start + bytes.len()].copy_from_slice(bytes);
        let region = &mut raw[start..start + pages * page];
        let locked = match lock_region(region) {
            Ok(()) => true,
            Err(e) => {
                warn_once(&format!(
                    "cannot lock a secret's memory ({e}); it stays in ordinary memory"
                ));
                false
            }
        };
        Self {
            raw,
            start,
            len: bytes.len(),
            locked,
        }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.raw[self.start..self.start + self.len]
    }

    /// The page-aligned region that was locked (tests look it up in the process's maps).
    #[cfg(all(test, target_os = "linux"))]
    pub(crate) fn region(&self) -> &[u8] {
        let pages = self.len.div_ceil(page_size()).max(1);
        &self.raw[self.start..self.start + pages * page_size()]
    }
}

impl Drop for LockedBuf {
    fn drop(&mut self) {
        self.raw.zeroize();
        if self.locked {
            let pages = self.len.div_ceil(page_size()).max(1);
            let start = self.start;
            unlock_region(&mut self.raw[start..start + pages * page_size()]);
        }
    }
}

fn page_size() -> usize {
    #[cfg(any(target_os = "linux", target_os = "macos"))]
    return rustix::param::page_size();
    #[cfg(not(any(target_os = "linux", target_os = "macos")))]
    return 4096;
}

fn lock_region(region: &mut [u8]) -> Result<(), String> {
    #[cfg(any(target_os = "linux", target_os = "macos"))]
    return os::lock(region);
    #[cfg(not(any(target_os = "linux", target_os = "macos")))]
    {
        let _ = region;
        Err("not supported on this platform".into())
    }
}

fn unlock_region(region: &mut [u8]) {
    #[cfg(any(target_os = "linux", target_os = "macos"))]
    os::unlock(region);
    #[cfg(not(any(target_os = "linux", target_os = "macos")))]
    let _ = region;
}

fn warn(message: &str) {
    tracing::warn!("{message}");
}

/// Once per process: a small `RLIMIT_MEMLOCK` would otherwise log on every secret.
fn warn_once(message: &str) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        warn(message);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// `VmLck` of /proc/self/status, in kB.
    fn locked_kb() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmLck:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    /// The `smaps` entry of the mapping holding `addr`: its `Locked:` size and `VmFlags`.
    fn mapping_of(addr: usize) -> (u64, String) {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut inside = false;
        let (mut locked, mut flags) = (None, None);
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ')
                && let Some((lo, hi)) = range.split_once('-')
                && let (Ok(lo), Ok(hi)) =
                    (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
            {
                inside = (lo..hi).contains(&addr);
                continue;
            }
            if inside {
                if let Some(kb) = line.strip_prefix("Locked:") {
                    locked = kb.trim().trim_end_matches("kB").trim().parse().ok();
                }
                if let Some(f) = line.strip_prefix("VmFlags:") {
                    flags = Some(f.trim().to_owned());
                }
            }
        }
        (locked.unwrap(), flags.unwrap())
    }

    #[test]
    fn a_secret_buffer_is_on_locked_undumped_pages_of_its_own() {
        let buf = LockedBuf::copy_of(b"hunter2");
        assert!(buf.locked, "mlock failed: is RLIMIT_MEMLOCK 0?");
        assert_eq!(buf.bytes(), b"hunter2");
        let region = buf.region();
        assert_eq!(region.as_ptr() as usize % page_size(), 0);
        // Other tests lock and unlock secrets meanwhile: only "at least ours" is certain.
        assert!(locked_kb() >= 4, "VmLck shows no locked page");
        let (locked, flags) = mapping_of(region.as_ptr() as usize);
        assert!(locked >= 4, "its mapping shows {locked} kB locked");
        assert!(
            flags.split(' ').any(|f| f == "dd"),
            "not MADV_DONTDUMP: {flags}"
        );
    }

    #[test]
    fn a_long_secret_spans_whole_pages() {
        let long = vec![b'x'; page_size() * 2 + 1];
        let buf = LockedBuf::copy_of(&long);
        assert_eq!(buf.bytes(), &long[..]);
        assert_eq!(buf.region().len(), page_size() * 3);
    }
}
