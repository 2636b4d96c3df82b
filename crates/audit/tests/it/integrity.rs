//! Tampering done while no broker runs, then a new session: the log must not anchor over a
//! chain that contradicts its anchor (which would make the tampering verify), must record the
//! break in the chain and keep failing `verify` until a person acknowledges it; and a log with
//! entries but no anchored head must say it cannot be checked.

use crate::common;

use common::*;
use latchkey_audit::{AnchorCheck, AuditLog, EntryKind, Integrity, Options, Seq, Tamper};

const PATH: &str = "audit/audit.db";

/// 10 calls (entries 1..=20), closed cleanly so the head (#20) is anchored.
fn closed_log_of_20(anchor: &std::sync::Arc<MemoryAnchor>) -> tempfile::TempDir {
    let (dir, log) = new_log(anchored(anchor));
    record_calls(&log, 10);
    log.close().unwrap();
    assert_eq!(anchor.get().map(|h| h.seq), Some(Seq(20)));
    dir
}

/// Opens the log again, records one call and closes it cleanly: a broker's session.
fn one_session(dir: &tempfile::TempDir, anchor: &std::sync::Arc<MemoryAnchor>) {
    let log = AuditLog::open_with(dir.path().join(PATH), anchored(anchor)).unwrap();
    record_calls(&log, 1);
    log.close().unwrap();
}

/// Changes entry `from` and recomputes every hash and link after it, through `last`.
fn rewrite_from(conn: &rusqlite::Connection, from: i64, last: i64) {
    conn.execute(
        "UPDATE entries SET decision = 'approved' WHERE seq = ?1",
        [from],
    )
    .unwrap();
    for seq in from..=last {
        conn.execute(
            "UPDATE entries SET prev_hash = (SELECT hash FROM entries WHERE seq = ?1 - 1)
             WHERE seq = ?1 AND seq > 1",
            [seq],
        )
        .unwrap();
        rehash(conn, seq);
    }
}

#[test]
fn a_cut_tail_is_not_blessed_by_the_next_session() {
    let anchor = MemoryAnchor::new();
    let dir = closed_log_of_20(&anchor);
    attacker(&dir.path().join(PATH))
        .execute("DELETE FROM entries WHERE seq > 14", [])
        .unwrap();
    one_session(&dir, &anchor);

    let log = AuditLog::open_with(dir.path().join(PATH), anchored(&anchor)).unwrap();
    let v = log.verify().unwrap();
    assert!(
        !v.is_ok(),
        "the cut must not verify after a new session: {v:?}"
    );
}

#[test]
fn a_rewritten_history_is_not_blessed_by_the_next_session() {
    let anchor = MemoryAnchor::new();
    let dir = closed_log_of_20(&anchor);
    rewrite_from(&attacker(&dir.path().join(PATH)), 5, 20);
    one_session(&dir, &anchor);

    let log = AuditLog::open_with(dir.path().join(PATH), anchored(&anchor)).unwrap();
    let v = log.verify().unwrap();
    assert!(
        !v.is_ok(),
        "the rewrite must not verify after a new session: {v:?}"
    );
}

#[test]
fn an_emptied_log_is_not_blessed_by_the_next_session() {
    let anchor = MemoryAnchor::new();
    let dir = closed_log_of_20(&anchor);
    attacker(&dir.path().join(PATH))
        .execute("DELETE FROM entries", [])
        .unwrap();
    one_session(&dir, &anchor);

    let log = AuditLog::open_with(dir.path().join(PATH), anchored(&anchor)).unwrap();
    assert!(!log.verify().unwrap().is_ok());
}

#[test]
fn a_log_with_entries_and_no_anchored_head_does_not_verify() {
    let (dir, log) = new_log(Options::default());
    record_calls(&log, 3);
    drop(log);
    // An anchor store that holds nothing for this log (deleted, or never saved).
    let anchor = MemoryAnchor::new();
    let log = AuditLog::open_with(dir.path().join(PATH), anchored(&anchor)).unwrap();
    let v = log.verify().unwrap();
    let problem = v.first_problem.expect("unanchored is a problem");
    assert_eq!(problem.what, Tamper::Unanchored { entries: 6 });
    assert_eq!(v.verified_through, 6, "every entry still hashes and links");
}

/// Opens the log with `anchor` (holding it to the anchor) and says what it found.
fn reopen(dir: &tempfile::TempDir, anchor: &std::sync::Arc<MemoryAnchor>) -> (AuditLog, Integrity) {
    let log = AuditLog::open_with(dir.path().join(PATH), anchored(anchor)).unwrap();
    let integrity = log.integrity().unwrap();
    (log, integrity)
}

#[test]
fn a_cut_tail_is_recorded_as_a_break_and_the_damage_kept() {
    let anchor = MemoryAnchor::new();
    let dir = closed_log_of_20(&anchor);
    let anchored_head = anchor.get().unwrap();
    attacker(&dir.path().join(PATH))
        .execute("DELETE FROM entries WHERE seq > 14", [])
        .unwrap();
    let (log, integrity) = reopen(&dir, &anchor);
    assert_eq!(
        integrity,
        Integrity::Broken {
            at: Seq(15),
            acknowledged: false,
            anchored: anchored_head,
            found: None,
        }
    );
    // The break record is the new head, and anchored: the new segment starts there.
    let record = log.tail(1).unwrap().remove(0);
    assert_eq!((record.seq, record.kind), (Seq(15), EntryKind::Admin));
    assert_eq!(record.tool.as_deref(), Some("chain.broken"));
    let details = record.arguments.unwrap();
    assert_eq!(details["anchored"]["seq"], 20);
    assert_eq!(details["anchored"]["hash"], anchored_head.hash.to_string());
    assert_eq!(details["found"], serde_json::Value::Null);
    assert_eq!(details["head"]["seq"], 14);
    assert_eq!(anchor.get().map(|h| h.seq), Some(Seq(15)));

    let v = log.verify().unwrap();
    let problem = v.first_problem.clone().unwrap();
    assert_eq!(problem.seq, Seq(15));
    assert_eq!(
        problem.what,
        Tamper::Broken {
            anchored: anchored_head,
            found: None
        }
    );
    assert!(
        problem
            .to_string()
            .contains("the anchored entry #20 was missing"),
        "{problem}"
    );
    assert_eq!(v.verified_through, 15, "the chain itself still links");
    assert!(matches!(v.anchor, AnchorCheck::Confirmed { .. }));
    assert_eq!(v.last_break.unwrap().acknowledged, None);

    // Calls go on; another session neither records the break again nor forgets it.
    record_calls(&log, 1);
    log.close().unwrap();
    let (log, integrity) = reopen(&dir, &anchor);
    assert!(matches!(
        integrity,
        Integrity::Broken {
            at: Seq(15),
            acknowledged: false,
            ..
        }
    ));
    assert_eq!(log.tail(1).unwrap()[0].seq, Seq(17));
    assert!(!log.verify().unwrap().is_ok());
}

#[test]
fn a_rewrite_is_recorded_with_the_hash_found() {
    let anchor = MemoryAnchor::new();
    let dir = closed_log_of_20(&anchor);
    let conn = attacker(&dir.path().join(PATH));
    rewrite_from(&conn, 5, 20);
    let forged: Vec<u8> = conn
        .query_row("SELECT hash FROM entries WHERE seq = 20", [], |r| r.get(0))
        .unwrap();
    let (log, integrity) = reopen(&dir, &anchor);
    let Integrity::Broken { at, found, .. } = integrity else {
        panic!("{integrity:?}");
    };
    assert_eq!(at, Seq(21));
    assert_eq!(found.map(|h| h.0.to_vec()), Some(forged));
    let problem = log.verify().unwrap().first_problem.unwrap();
    assert!(
        problem.to_string().contains("had another hash"),
        "{problem}"
    );
    // The rewritten rows are kept as they were found.
    let decision: String = conn
        .query_row("SELECT decision FROM entries WHERE seq = 5", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(decision, "approved");
}

#[test]
fn an_acknowledged_break_verifies_from_the_new_segment_on() {
    let anchor = MemoryAnchor::new();
    let dir = closed_log_of_20(&anchor);
    attacker(&dir.path().join(PATH))
        .execute("DELETE FROM entries WHERE seq > 14", [])
        .unwrap();
    let (log, _) = reopen(&dir, &anchor);
    record_calls(&log, 1); // 16, 17
    let ack = log.acknowledge_break(&claude()).unwrap();
    assert_eq!(ack, Some(Seq(18)));
    assert_eq!(
        anchor.get().map(|h| h.seq),
        Some(Seq(18)),
        "anchored at once"
    );
    let entry = log.tail(1).unwrap().remove(0);
    assert_eq!(entry.tool.as_deref(), Some("chain.acknowledge"));
    assert_eq!(entry.arguments.unwrap()["break"], 15);
    assert_eq!(entry.decision, Some(latchkey_audit::Decision::Approved));
    assert!(matches!(
        log.integrity().unwrap(),
        Integrity::Broken {
            at: Seq(15),
            acknowledged: true,
            ..
        }
    ));
    let v = log.verify().unwrap();
    assert!(v.is_ok(), "{v:?}");
    assert_eq!(v.last_break.unwrap().acknowledged, Some(Seq(18)));
    assert_eq!(
        log.acknowledge_break(&claude()).unwrap(),
        Some(Seq(18)),
        "once"
    );

    // Damage after the acknowledgement is still found.
    attacker(log.path())
        .execute("UPDATE entries SET tool = 'x' WHERE seq = 16", [])
        .unwrap();
    assert_eq!(
        log.verify().unwrap().first_problem.unwrap().what,
        Tamper::Edited
    );
}

#[test]
fn an_acknowledgement_forged_at_the_unanchored_end_does_not_count() {
    let anchor = MemoryAnchor::new();
    let dir = closed_log_of_20(&anchor);
    attacker(&dir.path().join(PATH))
        .execute("DELETE FROM entries WHERE seq > 14", [])
        .unwrap();
    let (log, _) = reopen(&dir, &anchor); // break at 15, anchored
    drop(log);
    // The attacker appends a well-formed acknowledgement (correct hash and link) at #16.
    let conn = attacker(&dir.path().join(PATH));
    conn.execute(
        "INSERT INTO entries (seq, kind, time_us, assistant, assistant_version, tool,
                              arguments, decision, prev_hash, hash)
         SELECT 16, 'admin', time_us, 'person', '1', 'chain.acknowledge', '{\"break\":15}',
                'approved', hash, x''
         FROM entries WHERE seq = 15",
        [],
    )
    .unwrap();
    rehash(&conn, 16);
    let log = AuditLog::open_with(dir.path().join(PATH), anchored(&anchor)).unwrap();
    let v = log.verify().unwrap();
    assert!(
        matches!(
            v.first_problem.as_ref().map(|p| &p.what),
            Some(Tamper::Broken { .. })
        ),
        "{v:?}"
    );
    assert!(matches!(
        log.integrity().unwrap(),
        Integrity::Broken {
            acknowledged: false,
            ..
        }
    ));
}

#[test]
fn an_emptied_log_records_its_break_as_entry_1() {
    let anchor = MemoryAnchor::new();
    let dir = closed_log_of_20(&anchor);
    attacker(&dir.path().join(PATH))
        .execute("DELETE FROM entries", [])
        .unwrap();
    let (log, integrity) = reopen(&dir, &anchor);
    assert!(matches!(integrity, Integrity::Broken { at: Seq(1), .. }));
    let record = log.tail(1).unwrap().remove(0);
    assert_eq!(record.arguments.unwrap()["head"], serde_json::Value::Null);
    assert_eq!(record.prev_hash, latchkey_audit::Hash::GENESIS);
}

#[test]
fn a_break_found_while_the_anchor_could_not_be_read_is_recorded_before_anchoring() {
    /// An anchor store that is locked until unlocked.
    #[derive(Debug, Default)]
    struct Flaky {
        inner: std::sync::Arc<MemoryAnchor>,
        locked: std::sync::atomic::AtomicBool,
    }
    impl latchkey_audit::Anchor for Flaky {
        fn save(&self, head: &latchkey_audit::ChainHead) -> Result<(), String> {
            match self.locked.load(std::sync::atomic::Ordering::SeqCst) {
                true => Err("locked".to_owned()),
                false => self.inner.save(head),
            }
        }
        fn load(&self) -> Result<Option<latchkey_audit::ChainHead>, String> {
            match self.locked.load(std::sync::atomic::Ordering::SeqCst) {
                true => Err("locked".to_owned()),
                false => self.inner.load(),
            }
        }
    }
    let memory = MemoryAnchor::new();
    let dir = closed_log_of_20(&memory);
    attacker(&dir.path().join(PATH))
        .execute("DELETE FROM entries WHERE seq > 14", [])
        .unwrap();
    let flaky = std::sync::Arc::new(Flaky {
        inner: memory.clone(),
        locked: true.into(),
    });
    let options = Options {
        anchor: Some(flaky.clone()),
        anchor_every: 1,
        ..Options::default()
    };
    let log = AuditLog::open_with(dir.path().join(PATH), options).unwrap();
    assert_eq!(
        log.integrity().unwrap(),
        Integrity::Unchecked {
            error: "locked".to_owned()
        }
    );
    record_calls(&log, 1); // 15, 16: nothing anchored while unchecked
    assert_eq!(memory.get().map(|h| h.seq), Some(Seq(20)));
    flaky
        .locked
        .store(false, std::sync::atomic::Ordering::SeqCst);
    record_calls(&log, 1); // 17, then the check: break at 18, anchored; then 18's outcome
    assert!(matches!(
        log.integrity().unwrap(),
        Integrity::Broken {
            at: Seq(18),
            acknowledged: false,
            ..
        }
    ));
    assert!(!log.verify().unwrap().is_ok());
}

#[test]
fn an_unanchored_log_is_anchored_by_its_next_entry() {
    let (dir, log) = new_log(Options::default());
    record_calls(&log, 3);
    drop(log);
    let anchor = MemoryAnchor::new();
    let (log, integrity) = reopen(&dir, &anchor);
    assert_eq!(integrity, Integrity::Unanchored { entries: 6 });
    let problem = log.verify().unwrap().first_problem.unwrap();
    assert!(
        problem
            .to_string()
            .contains("no head of this log is anchored"),
        "{problem}"
    );
    log.record_intent(&intent(1)).unwrap();
    assert_eq!(anchor.get().map(|h| h.seq), Some(Seq(7)));
    assert_eq!(log.integrity().unwrap(), Integrity::Intact);
    assert!(log.verify().unwrap().is_ok());
}

#[test]
fn an_intact_log_and_one_without_an_anchor_say_so() {
    let anchor = MemoryAnchor::new();
    let dir = closed_log_of_20(&anchor);
    let (log, integrity) = reopen(&dir, &anchor);
    assert_eq!(integrity, Integrity::Intact);
    assert_eq!(log.acknowledge_break(&claude()).unwrap(), None);
    assert_eq!(log.tail(1).unwrap()[0].seq, Seq(20), "nothing was written");
    drop(log);
    let log = AuditLog::open(dir.path().join(PATH)).unwrap();
    assert_eq!(log.integrity().unwrap(), Integrity::NoAnchor);
    assert!(log.verify().unwrap().is_ok());
}
