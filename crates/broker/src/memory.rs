//! What a burst of calls leaves behind: once the broker has been quiet for a moment, the audit
//! log's page caches, the memory the allocator holds free and the pages of program code the
//! burst (and the start) mapped go back to the OS, so an idle broker stays small (issue #16).

use std::sync::Arc;
use std::time::Duration;

use crate::pipeline::audit::Audit;

/// A broker that wrote no audit entry (every call writes some) for this long is quiet.
const QUIET: Duration = Duration::from_millis(500);

/// Until dropped: after each burst of calls, once quiet, hands back what it left. Looks at
/// the log's count of writes every [`QUIET`] rather than waking at each, so calls pay nothing.
pub(crate) async fn keep_trimmed(audit: Arc<Audit>) {
    let changes = audit.subscribe();
    let mut seen = *changes.borrow();
    let mut trimmed = true;
    loop {
        tokio::time::sleep(QUIET).await;
        let now = *changes.borrow();
        if now != seen {
            (seen, trimmed) = (now, false);
        } else if !trimmed {
            let audit = Arc::clone(&audit);
            let _ = tokio::task::spawn_blocking(move || {
                audit.release_memory();
                release_free_memory();
                release_code_pages();
            })
            .await;
            trimmed = true;
        }
    }
}

/// glibc keeps freed memory in each thread's arena for reuse; `malloc_trim` returns the whole
/// free pages of every arena.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_free_memory() {
    // SAFETY: malloc_trim takes no pointers; it only walks the allocator's own free lists.
    #[allow(unsafe_code)]
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other allocators (macOS's) give memory back under pressure by themselves.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_memory() {}

/// The program's code pages that starting up and the last burst touched (the SOFA feed's
/// parsing, the secret store's D-Bus client, SQLite, every tool's schema: 18 MB of the bench's
/// 25 MB executable) stay mapped, and counted in the broker's resident memory, though they are
/// clean copies of the file in the page cache. Unmapping them costs nothing that matters: the
/// next call maps back, from the page cache, the code it runs. Only mappings of the
/// executable that cannot be written and hold no private copy of a page (`Anonymous: 0`) are
/// unmapped: those hold nothing but the file's own bytes.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_code_pages() {
    let Ok(exe) = std::fs::read_link("/proc/self/exe") else {
        return;
    };
    let Ok(maps) = std::fs::read_to_string("/proc/self/smaps") else {
        return;
    };
    for range in clean_code_mappings(&maps, &exe.to_string_lossy()) {
        // SAFETY: the range is one of this process's mappings of its own executable, read-only
        // and without a private page: MADV_DONTNEED only drops its page-table entries, and
        // each page is mapped again from the file on its next use, unchanged.
        #[allow(unsafe_code)]
        unsafe {
            libc::madvise(
                range.start as *mut libc::c_void,
                range.end - range.start,
                libc::MADV_DONTNEED,
            );
        }
    }
}

/// macOS does not count clean code pages in a process's footprint.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_code_pages() {}

/// The address ranges in `smaps` (the text of `/proc/self/smaps`) that map `exe`, are not
/// writable, and hold no anonymous (privately copied) page.
#[cfg(any(all(target_os = "linux", target_env = "gnu"), test))]
fn clean_code_mappings(smaps: &str, exe: &str) -> Vec<std::ops::Range<usize>> {
    let mut found = Vec::new();
    // The current mapping, while its fields are read: its range, if it is a candidate.
    let mut current: Option<std::ops::Range<usize>> = None;
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or_default();
        if let Some((start, end)) = first.split_once('-')
            && let (Ok(start), Ok(end)) = (
                usize::from_str_radix(start, 16),
                usize::from_str_radix(end, 16),
            )
        {
            // A header: "start-end perms offset dev inode   path" (the path may hold spaces).
            let perms = fields.next().unwrap_or_default();
            let of_exe = line
                .strip_suffix(exe)
                .is_some_and(|before| before.ends_with(' '));
            current =
                (of_exe && perms.starts_with("r-") && perms.ends_with('p')).then_some(start..end);
        } else if first == "Anonymous:"
            && let Some(range) = current.take()
            && fields.next() == Some("0")
        {
            found.push(range);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::clean_code_mappings;

    #[test]
    fn only_unwritten_mappings_of_the_executable_are_released() {
        let smaps = "\
55b8f8957000-55b8f9007000 r--p 00000000 fe:00 7378725    /opt/latchkey
Rss:                2020 kB
Anonymous:             0 kB
55b8f9007000-55b8fa945000 r-xp 006af000 fe:00 7378725    /opt/latchkey
Rss:               18604 kB
Anonymous:             0 kB
55b8fa945000-55b8fa9e7000 r--p 01fec000 fe:00 7378725    /opt/latchkey
Rss:                 648 kB
Anonymous:           640 kB
55b8fa9e7000-55b8fa9f2000 rw-p 0208d000 fe:00 7378725    /opt/latchkey
Anonymous:            44 kB
7f0000000000-7f0000100000 r-xp 00000000 fe:00 1234       /usr/lib/libc.so.6
Anonymous:             0 kB
7f1000000000-7f1000100000 rw-p 00000000 00:00 0
Anonymous:          1024 kB
";
        assert_eq!(
            clean_code_mappings(smaps, "/opt/latchkey"),
            vec![
                0x55b8_f895_7000..0x55b8_f900_7000,
                0x55b8_f900_7000..0x55b8_fa94_5000
            ]
        );
    }
}
