//! When the log cannot be written, recording fails with a message the broker can show (and
//! the call is refused), and nothing is half-written: the chain still verifies and the next
//! entry continues it without a gap. Also: files that are not (or no longer) a log.

use crate::common;

use std::fs::{self, OpenOptions, Permissions};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use latchkey_audit::{AuditError, AuditLog, Filter, Options, Page, Seq};

/// Undoes `make_read_only` when dropped, so the temp dir can be removed.
struct ReadOnly {
    path: PathBuf,
    immutable: bool,
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        if self.immutable {
            let _ = Command::new("chattr").arg("-i").arg(&self.path).status();
        }
        let _ = fs::set_permissions(&self.path, Permissions::from_mode(0o600));
    }
}

/// Makes `path` unwritable: mode 0444, and where that is not enough (root ignores modes) the
/// immutable attribute. `None` (the test skips) if neither works here.
fn make_read_only(path: &Path) -> Option<ReadOnly> {
    fs::set_permissions(path, Permissions::from_mode(0o444)).unwrap();
    let mut guard = ReadOnly {
        path: path.to_path_buf(),
        immutable: false,
    };
    let writable = || OpenOptions::new().write(true).open(path).is_ok();
    if writable() {
        guard.immutable = Command::new("chattr")
            .arg("+i")
            .arg(path)
            .status()
            .is_ok_and(|s| s.success());
    }
    if writable() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "cannot make {} read-only in CI",
            path.display()
        );
        eprintln!("skipping: cannot make {} read-only here", path.display());
        return None;
    }
    Some(guard)
}

#[test]
fn a_read_only_log_is_refused_at_open_with_a_clear_error() {
    let (dir, log) = new_log(Options::default());
    record_calls(&log, 3);
    let path = log.path().to_path_buf();
    log.close().unwrap();
    let Some(_guard) = make_read_only(&path) else {
        return;
    };
    let err = AuditLog::open(&path).unwrap_err();
    assert!(matches!(err, AuditError::ReadOnly { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "the audit log {} is read-only, so calls cannot be recorded: make it writable",
            path.display()
        )
    );
    drop(dir);
}

#[test]
fn a_log_that_becomes_unwritable_refuses_calls_and_recovers() {
    // The broker already has the log open when its WAL file becomes unwritable.
    let (_dir, log) = new_log(Options::default());
    record_calls(&log, 3);
    // The last outcome is group-committed; a read commits it before the WAL turns unwritable
    // (else its group fails with the WAL, as documented, and the log ends one entry short).
    assert_eq!(log.tail(1).unwrap()[0].seq, Seq(6));
    let wal = PathBuf::from(format!("{}-wal", log.path().display()));
    let Some(guard) = make_read_only(&wal) else {
        return;
    };
    if !guard.immutable {
        // An open file descriptor ignores a mode change; only the attribute bites.
        eprintln!("skipping: needs chattr +i to fail writes on an open file");
        return;
    }
    let err = log.record_intent(&intent(99)).unwrap_err();
    assert!(matches!(err, AuditError::Unwritable { .. }), "{err:?}");
    assert!(
        err.to_string().contains("so calls cannot be recorded"),
        "{err}"
    );
    drop(guard);
    assert_eq!(log.tail(1).unwrap()[0].seq, Seq(6));
    let seq = log.record_intent(&intent(100)).unwrap();
    assert_eq!(seq, Seq(7), "the failed write left no gap");
    assert!(log.verify().unwrap().is_ok());
}

#[test]
fn a_full_disk_refuses_the_intent_and_writes_nothing() {
    let (_dir, log) = new_log(Options::default());
    record_calls(&log, 5);
    log.simulate_full_disk(0).unwrap();
    let mut big = intent(77);
    big.arguments = serde_json::json!({"note": "x".repeat(64 * 1024), "serial": "FULLDISK0001"});
    let err = log.record_intent(&big).unwrap_err();
    assert!(matches!(err, AuditError::Full { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "the disk holding the audit log {} is full, so calls cannot be recorded: free some space",
            log.path().display()
        )
    );

    assert_eq!(log.tail(1).unwrap()[0].seq, Seq(10));
    let text = Filter {
        text: Some("FULLDISK0001".to_owned()),
        ..Filter::default()
    };
    assert!(
        log.search(&text, Page::default())
            .unwrap()
            .entries
            .is_empty()
    );
    assert!(log.verify().unwrap().is_ok());

    // Space freed: the chain continues where it was.
    log.simulate_full_disk(10_000).unwrap();
    assert_eq!(log.record_intent(&big).unwrap(), Seq(11));
    assert!(log.verify().unwrap().is_ok());
}

#[test]
fn a_file_that_is_not_a_database_is_reported_as_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    fs::write(&path, vec![0x5a; 8192]).unwrap();
    let err = AuditLog::open(&path).unwrap_err();
    assert!(matches!(err, AuditError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("move it aside"), "{err}");
}

#[test]
fn another_programs_database_is_not_taken_for_a_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE notes (body TEXT)")
        .unwrap();
    let err = AuditLog::open(&path).unwrap_err();
    assert!(
        err.to_string().contains("it is not a Latchkey audit log"),
        "{err}"
    );
}

#[test]
fn a_log_from_a_newer_version_is_not_written_to() {
    let (_dir, log) = new_log(Options::default());
    let path = log.path().to_path_buf();
    drop(log);
    attacker(&path)
        .execute_batch("PRAGMA user_version = 5")
        .unwrap();
    let err = AuditLog::open(&path).unwrap_err();
    assert!(err.to_string().contains("from a newer Latchkey"), "{err}");
}

#[test]
fn damaged_pages_are_reported_not_panicked_on() {
    let (_dir, log) = new_log(Options::default());
    record_calls(&log, 500);
    let path = log.path().to_path_buf();
    log.close().unwrap();
    // A page of the entries table itself (index pages are outside the chain).
    let (page, size): (i64, i64) = attacker(&path)
        .query_row(
            "SELECT pageno, (SELECT page_size FROM pragma_page_size) FROM dbstat
             WHERE name = 'entries' AND pagetype = 'leaf' ORDER BY pageno LIMIT 1 OFFSET 10",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let mut bytes = fs::read(&path).unwrap();
    let start = ((page - 1) * size) as usize;
    bytes[start + 100..start + size as usize].fill(0xa5);
    fs::write(&path, bytes).unwrap();
    match AuditLog::open(&path).and_then(|log| log.verify()) {
        Err(AuditError::Corrupt { .. }) => {}
        Ok(v) => assert!(v.first_problem.is_some(), "damage went unnoticed"),
        Err(other) => panic!("unexpected error: {other:?}"),
    }
}

#[test]
fn outcomes_must_name_an_intent_once() {
    let (_dir, log) = new_log(Options::default());
    let seq = log.record_intent(&intent(1)).unwrap();
    let outcome = log.record_outcome(seq, &ok()).unwrap();
    assert!(matches!(
        log.record_outcome(seq, &ok()),
        Err(AuditError::OutcomeExists { seq: s }) if s == seq
    ));
    assert!(matches!(
        log.record_outcome(outcome, &ok()),
        Err(AuditError::NotAnIntent { .. })
    ));
    assert!(matches!(
        log.record_outcome(Seq(42), &ok()),
        Err(AuditError::NotAnIntent { .. })
    ));
    assert_eq!(log.tail(10).unwrap().len(), 2);
    assert!(log.verify().unwrap().is_ok());
}
