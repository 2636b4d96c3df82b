//! Issue #12, item 7: after `harden_process` this process cannot dump core and (Linux) is not
//! dumpable, so same-user processes cannot read its memory through ptrace or /proc/PID/mem.
//! Its own test binary: the hardening lasts for the rest of the process.

#[cfg(target_os = "linux")]
#[test]
fn issue_12_hardened_process_is_not_dumpable_and_dumps_no_core() {
    use rustix::process::{DumpableBehavior, Resource, dumpable_behavior, getrlimit};

    assert_eq!(dumpable_behavior().unwrap(), DumpableBehavior::Dumpable);
    let failures = latchkey_vault::hardening::harden_process();
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(dumpable_behavior().unwrap(), DumpableBehavior::NotDumpable);
    let core = getrlimit(Resource::Core);
    assert_eq!((core.current, core.maximum), (Some(0), Some(0)));
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    assert!(status.contains("CoreDumping:\t0"), "{status}");
}
