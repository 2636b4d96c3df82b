//! Crash safety: a child process (this test binary, re-executed) records calls in a tight
//! loop and prints each intent's sequence number once `record_intent` has returned (committed;
//! its outcome is queued for the next group commit); the test kills it with SIGKILL mid-loop,
//! then opens the log and verifies it. Every intent the child saw committed must be there (and
//! so everything queued before it), and the chain must verify to its end. Repeated, so kills
//! land at different points of a write. Then: queued entries are committed by the log's own
//! thread, with no further write to carry them.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::*;
use latchkey_audit::{AuditLog, Durability, Options};

/// Set in the child: the log file to write to.
const CHILD_ENV: &str = "LATCHKEY_AUDIT_CRASH_CHILD";

/// The child's side: runs only when re-executed by `kill_9_mid_write_loses_nothing_committed`.
#[test]
fn crash_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let durability = match std::env::var("LATCHKEY_AUDIT_DURABILITY").as_deref() {
        Ok("process") => Durability::Process,
        _ => Durability::Intents,
    };
    let log = AuditLog::open_with(
        path,
        Options {
            durability,
            ..Options::default()
        },
    )
    .unwrap();
    if std::env::var("LATCHKEY_AUDIT_QUEUE_ONLY").is_ok() {
        // Queue reads and outcomes only, say how many, then wait to be killed.
        for n in 0..100 {
            let seq = log.record_read_intent(&intent(n)).unwrap();
            let seq = log.record_outcome(seq, &ok()).unwrap();
            println!("{}", seq.0);
        }
        println!("queued");
        std::thread::sleep(std::time::Duration::from_secs(60));
        return;
    }
    for n in 0.. {
        let seq = log.record_intent(&intent(n)).unwrap();
        println!("{}", seq.0);
        log.record_outcome(seq, &ok()).unwrap();
    }
}

/// Kills the child if the test fails before it does, so no writer is left looping.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn child(path: &std::path::Path, durability: &str) -> Command {
    let mut child = Command::new(std::env::current_exe().unwrap());
    child
        .args([
            "--exact",
            "crash::crash_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, path)
        .env("LATCHKEY_AUDIT_DURABILITY", durability)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    child
}

fn kill_mid_write(durability: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let mut committed = 0;
    for round in 0..4 {
        let mut child = Killed(child(&path, durability).spawn().unwrap());
        let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
        // Let it write a while (a different amount each round), then kill it mid-loop.
        let target = committed + 150 + round * 37;
        while committed < target {
            let line = lines.next().expect("the child stopped early").unwrap();
            if let Ok(seq) = line.trim().parse::<u64>() {
                committed = seq;
            }
        }
        drop(child); // SIGKILL on Unix
        // Anything printed after our last read is committed too; we only know a lower bound.
        let log = AuditLog::open(&path).unwrap();
        let v = log.verify().unwrap();
        assert!(v.is_ok(), "round {round}: {:?}", v.first_problem);
        assert!(
            v.verified_through >= committed,
            "round {round}: entry {committed} was committed but the log ends at {}",
            v.verified_through
        );
        committed = v.verified_through;
    }
}

#[test]
fn kill_9_mid_write_loses_nothing_committed() {
    kill_mid_write("intents");
}

#[test]
fn kill_9_loses_nothing_committed_without_fsync_either() {
    // synchronous=NORMAL: a process crash still keeps every commit (the OS has the pages).
    kill_mid_write("process");
}

#[test]
fn queued_entries_are_committed_without_another_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let mut child = Killed(
        child(&path, "intents")
            .env("LATCHKEY_AUDIT_QUEUE_ONLY", "1")
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let mut last = 0;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.trim() == "queued" {
            break;
        }
        if let Ok(seq) = line.trim().parse::<u64>() {
            last = seq;
        }
    }
    assert_eq!(last, 200, "100 intents and their outcomes were queued");
    // The child now only sleeps: its log's own thread commits what it queued. Wait for it
    // through a second connection, then kill the child mid-sleep.
    let verified = || {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.query_row("SELECT coalesce(max(seq), 0) FROM entries", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while verified() < 200 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(child);
    let log = AuditLog::open(&path).unwrap();
    let v = log.verify().unwrap();
    assert!(v.is_ok(), "{:?}", v.first_problem);
    assert_eq!(v.verified_through, 200, "every queued entry was committed");
}
