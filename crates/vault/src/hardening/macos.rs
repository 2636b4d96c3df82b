//! macOS twin: `RLIMIT_CORE` 0 and `mlock` (macOS has no `MADV_DONTDUMP`; with core dumps
//! off that matters less). Debuggers are kept out by the hardened runtime of the signed app
//! (see SECURITY.md), not here. Type-checked only.

use std::ffi::c_void;

use rustix::mm::{mlock, munlock};
use rustix::process::{Resource, Rlimit, setrlimit};

pub(super) fn harden_process() -> Vec<String> {
    let no_core = setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: Some(0),
        },
    );
    match no_core {
        Ok(()) => Vec::new(),
        Err(e) => vec![format!("cannot turn core dumps off: {e}")],
    }
}

pub(super) fn lock(region: &mut [u8]) -> Result<(), String> {
    // SAFETY: `region` is memory this process owns for as long as the call runs; mlock
    // changes paging, not contents.
    #[allow(unsafe_code)]
    unsafe {
        mlock(region.as_mut_ptr().cast::<c_void>(), region.len()).map_err(|e| format!("mlock: {e}"))
    }
}

pub(super) fn unlock(region: &mut [u8]) {
    // SAFETY: as in `lock`; the pages belong to this buffer alone (see `LockedBuf`).
    #[allow(unsafe_code)]
    unsafe {
        let _ = munlock(region.as_mut_ptr().cast::<c_void>(), region.len());
    }
}
