//! Linux twin: `prctl(PR_SET_DUMPABLE, 0)`, `RLIMIT_CORE` 0, `mlock` + `MADV_DONTDUMP`.

use std::ffi::c_void;

use rustix::mm::{Advice, madvise, mlock, munlock};
use rustix::process::{DumpableBehavior, Resource, Rlimit, set_dumpable_behavior, setrlimit};

pub(super) fn harden_process() -> Vec<String> {
    let mut failures = Vec::new();
    if let Err(e) = set_dumpable_behavior(DumpableBehavior::NotDumpable) {
        failures.push(format!("cannot make the process non-dumpable: {e}"));
    }
    if let Err(e) = no_core_dumps() {
        failures.push(format!("cannot turn core dumps off: {e}"));
    }
    failures
}

fn no_core_dumps() -> rustix::io::Result<()> {
    setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: Some(0),
        },
    )
}

pub(super) fn lock(region: &mut [u8]) -> Result<(), String> {
    let (ptr, len) = (region.as_mut_ptr().cast::<c_void>(), region.len());
    // SAFETY: `region` is memory this process owns for as long as the call runs; mlock and
    // madvise(MADV_DONTDUMP) change how the kernel treats its pages, not their contents.
    #[allow(unsafe_code)]
    unsafe {
        mlock(ptr, len).map_err(|e| format!("mlock: {e}"))?;
        madvise(ptr, len, Advice::LinuxDontDump).map_err(|e| format!("madvise: {e}"))
    }
}

pub(super) fn unlock(region: &mut [u8]) {
    let (ptr, len) = (region.as_mut_ptr().cast::<c_void>(), region.len());
    // SAFETY: as in `lock`; the pages belong to this buffer alone (see `LockedBuf`), so
    // undoing both leaves no other allocation unlocked.
    #[allow(unsafe_code)]
    unsafe {
        let _ = madvise(ptr, len, Advice::LinuxDoDump);
        let _ = munlock(ptr, len);
    }
}
