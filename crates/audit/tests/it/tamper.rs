//! Tampering, done as an attacker would: a separate SQLite connection to the real log file,
//! editing rows behind the log's back. `verify` must name the first entry affected and what
//! happened to it; and it must be honest about what it cannot see without an anchor.

use crate::common;

use common::*;
use latchkey_audit::{AnchorCheck, AuditLog, Options, Seq, Tamper};

/// 10 calls = entries 1..=20.
fn log_of_20() -> (tempfile::TempDir, AuditLog) {
    let (dir, log) = new_log(Options::default());
    record_calls(&log, 10);
    // The last outcome is queued for the next group commit; commit it (as any read through
    // the log would), since the attacker reads the file directly.
    log.anchor_head().unwrap();
    (dir, log)
}

fn first_problem(log: &AuditLog) -> (u64, Tamper, u64) {
    let v = log.verify().unwrap();
    let p = v.first_problem.expect("a problem");
    (p.seq.0, p.what, v.verified_through)
}

#[test]
fn an_untouched_log_verifies() {
    let (_dir, log) = log_of_20();
    let v = log.verify().unwrap();
    assert!(v.is_ok(), "{v:?}");
    assert_eq!((v.first, v.verified_through), (1, 20));
    assert_eq!(v.anchor, AnchorCheck::NotConfigured);
}

#[test]
fn the_readme_encoding_reproduces_every_stored_hash() {
    let (_dir, log) = log_of_20();
    let conn = attacker(log.path());
    for seq in 1..=20 {
        let stored: Vec<u8> = conn
            .query_row("SELECT hash FROM entries WHERE seq = ?1", [seq], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(readme_hash(&conn, seq), stored, "entry {seq}");
    }
}

#[test]
fn an_edited_field_is_reported_at_its_entry() {
    let (_dir, log) = log_of_20();
    attacker(log.path())
        .execute(
            "UPDATE entries SET tool = 'jamf_wipe_computer' WHERE seq = 7",
            [],
        )
        .unwrap();
    assert_eq!(first_problem(&log), (7, Tamper::Edited, 6));
}

#[test]
fn edited_arguments_and_decisions_are_reported() {
    for (column, value) in [
        ("arguments", "'{}'"),
        ("decision", "'approved'"),
        ("time_us", "time_us + 1"),
    ] {
        let (_dir, log) = log_of_20();
        attacker(log.path())
            .execute(
                &format!("UPDATE entries SET {column} = {value} WHERE seq = 5"),
                [],
            )
            .unwrap();
        assert_eq!(first_problem(&log), (5, Tamper::Edited, 4), "{column}");
    }
}

#[test]
fn an_edit_with_a_recomputed_hash_is_caught_by_the_next_link() {
    let (_dir, log) = log_of_20();
    let conn = attacker(log.path());
    conn.execute("UPDATE entries SET decision = 'approved' WHERE seq = 9", [])
        .unwrap();
    rehash(&conn, 9);
    assert_eq!(first_problem(&log), (9, Tamper::Edited, 8));
}

#[test]
fn a_deleted_middle_entry_is_a_gap() {
    let (_dir, log) = log_of_20();
    attacker(log.path())
        .execute("DELETE FROM entries WHERE seq = 11", [])
        .unwrap();
    let (seq, what, through) = first_problem(&log);
    assert_eq!(
        (seq, what, through),
        (11, Tamper::Deleted { through: Seq(11) }, 10)
    );
    assert_eq!(problem(&log).unwrap().1, "entry 11 was deleted");
}

#[test]
fn several_deleted_entries_are_one_gap() {
    let (_dir, log) = log_of_20();
    attacker(log.path())
        .execute("DELETE FROM entries WHERE seq BETWEEN 4 AND 8", [])
        .unwrap();
    assert_eq!(
        first_problem(&log),
        (4, Tamper::Deleted { through: Seq(8) }, 3)
    );
}

#[test]
fn a_deleted_first_entry_is_a_gap_at_1() {
    let (_dir, log) = log_of_20();
    attacker(log.path())
        .execute("DELETE FROM entries WHERE seq <= 2", [])
        .unwrap();
    assert_eq!(
        first_problem(&log),
        (1, Tamper::Deleted { through: Seq(2) }, 0)
    );
}

#[test]
fn swapped_entries_are_reordered() {
    let (_dir, log) = log_of_20();
    attacker(log.path())
        .execute_batch(
            "UPDATE entries SET seq = -1 WHERE seq = 5;
             UPDATE entries SET seq = 5 WHERE seq = 6;
             UPDATE entries SET seq = 6 WHERE seq = -1;",
        )
        .unwrap();
    assert_eq!(
        first_problem(&log),
        (5, Tamper::Reordered { with: Seq(6) }, 4)
    );
    assert_eq!(problem(&log).unwrap().1, "entries 5 and 6 were swapped");
}

#[test]
fn distant_swaps_are_reordered_too() {
    let (_dir, log) = log_of_20();
    attacker(log.path())
        .execute_batch(
            "UPDATE entries SET seq = -1 WHERE seq = 3;
             UPDATE entries SET seq = 3 WHERE seq = 17;
             UPDATE entries SET seq = 17 WHERE seq = -1;",
        )
        .unwrap();
    assert_eq!(
        first_problem(&log),
        (3, Tamper::Reordered { with: Seq(17) }, 2)
    );
}

/// Makes room at `at` by renumbering the entries from there on, newest first.
fn make_room(conn: &rusqlite::Connection, at: i64) {
    for seq in (at..=20).rev() {
        conn.execute("UPDATE entries SET seq = seq + 1 WHERE seq = ?1", [seq])
            .unwrap();
    }
}

#[test]
fn a_forged_row_is_inserted() {
    let (_dir, log) = log_of_20();
    let conn = attacker(log.path());
    make_room(&conn, 6);
    // A copy of entry 5 posing as entry 6: a replayed call.
    conn.execute(
        "INSERT INTO entries SELECT 6, kind, time_us, assistant, assistant_version, executable,
             pid, bundle_id, tool, arguments, domain, decision, result, error_kind, duration_us,
             intent_seq, pruned_through, pruned_hash, prev_hash, hash, approval, client
         FROM entries WHERE seq = 5",
        [],
    )
    .unwrap();
    assert_eq!(first_problem(&log), (6, Tamper::Inserted { count: 1 }, 5));
}

#[test]
fn a_forged_row_with_a_correct_hash_and_link_is_inserted() {
    let (_dir, log) = log_of_20();
    let conn = attacker(log.path());
    make_room(&conn, 8);
    conn.execute(
        "INSERT INTO entries SELECT 8, kind, time_us, assistant, assistant_version, executable,
             pid, bundle_id, 'jamf_wipe_computer', arguments, domain, 'approved', result,
             error_kind, duration_us, intent_seq, pruned_through, pruned_hash,
             (SELECT hash FROM entries WHERE seq = 7), x'', NULL, NULL
         FROM entries WHERE seq = 7",
        [],
    )
    .unwrap();
    rehash(&conn, 8);
    // Entry 8 is flawless; the entry after it betrays it.
    assert_eq!(first_problem(&log), (8, Tamper::Inserted { count: 1 }, 7));
}

#[test]
fn a_cut_tail_is_reported_against_the_anchor() {
    let anchor = MemoryAnchor::new();
    let (_dir, log) = new_log(anchored(&anchor));
    record_calls(&log, 10);
    let head = log.close().unwrap().unwrap();
    assert_eq!(anchor.get(), Some(head));
    let log = AuditLog::open_with(_dir.path().join("audit/audit.db"), anchored(&anchor)).unwrap();
    assert!(log.verify().unwrap().is_ok());

    attacker(log.path())
        .execute("DELETE FROM entries WHERE seq > 16", [])
        .unwrap();
    let v = log.verify().unwrap();
    let p = v.first_problem.clone().unwrap();
    assert_eq!(
        (p.seq, p.what),
        (Seq(17), Tamper::TailCut { anchored: Seq(20) })
    );
    assert_eq!(v.verified_through, 16);
    assert_eq!(v.anchor, AnchorCheck::Contradicted { head });
}

#[test]
fn without_an_anchor_a_cut_tail_goes_unseen() {
    // The limit the anchor exists for: a shorter chain is still a valid chain.
    let (_dir, log) = log_of_20();
    attacker(log.path())
        .execute("DELETE FROM entries WHERE seq > 16", [])
        .unwrap();
    let v = log.verify().unwrap();
    assert!(v.is_ok());
    assert_eq!(v.verified_through, 16);
}

#[test]
fn an_emptied_log_is_a_cut_tail() {
    let anchor = MemoryAnchor::new();
    let (_dir, log) = new_log(anchored(&anchor));
    record_calls(&log, 3);
    drop(log); // anchors on drop
    let log = AuditLog::open_with(_dir.path().join("audit/audit.db"), anchored(&anchor)).unwrap();
    attacker(log.path())
        .execute("DELETE FROM entries", [])
        .unwrap();
    assert_eq!(
        first_problem(&log),
        (1, Tamper::TailCut { anchored: Seq(6) }, 0)
    );
}

#[test]
fn a_fully_rewritten_history_is_caught_only_by_the_anchor() {
    let anchor = MemoryAnchor::new();
    let (_dir, log) = new_log(Options {
        anchor_every: 19,
        ..anchored(&anchor)
    });
    record_calls(&log, 10); // anchored at 1 (the first entry)…
    // …and at 20, once the broker's periodic check finds 19 entries past the anchor (the
    // outcomes are group-committed by the log's thread, which does not anchor itself).
    log.anchor_if_stale().unwrap();
    assert_eq!(anchor.get().unwrap().seq, Seq(20));
    let conn = attacker(log.path());
    conn.execute("UPDATE entries SET decision = 'approved' WHERE seq = 3", [])
        .unwrap();
    rechain(&conn, 3);
    let v = log.verify().unwrap();
    let p = v.first_problem.unwrap();
    assert_eq!((p.seq, p.what), (Seq(20), Tamper::Rewritten));
    assert!(matches!(v.anchor, AnchorCheck::Contradicted { .. }));

    // The same rewrite with no anchor to hold it against verifies: this is the documented
    // limit, and why the anchor lives outside the database.
    let unanchored = AuditLog::open(log.path()).unwrap();
    assert!(unanchored.verify().unwrap().is_ok());
}

#[test]
fn entries_after_the_anchor_still_verify() {
    let anchor = MemoryAnchor::new();
    let (_dir, log) = new_log(Options {
        anchor_every: 6,
        ..anchored(&anchor)
    });
    record_calls(&log, 4); // 8 entries: anchored at 1 (the first entry) and 7
    assert_eq!(anchor.get().unwrap().seq, Seq(7));
    let v = log.verify().unwrap();
    assert!(v.is_ok());
    assert_eq!(
        v.anchor,
        AnchorCheck::Confirmed {
            head: anchor.get().unwrap()
        }
    );
}

#[test]
fn a_damaged_hash_column_is_unreadable() {
    let (_dir, log) = log_of_20();
    attacker(log.path())
        .execute("UPDATE entries SET hash = x'00' WHERE seq = 12", [])
        .unwrap();
    let (seq, what, _) = first_problem(&log);
    assert_eq!(seq, 12);
    assert!(matches!(what, Tamper::Unreadable { .. }), "{what:?}");
}
