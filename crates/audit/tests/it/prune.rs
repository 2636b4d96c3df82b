//! Retention: pruning removes the old prefix through a checkpoint, what remains verifies (with
//! and without an anchor), deletions past the checkpoint are still caught, and a log that does
//! not verify is not pruned.

use crate::common;

use chrono::{Duration as Age, Utc};
use common::*;
use latchkey_audit::{
    AnchorCheck, AuditError, AuditLog, EntryKind, Filter, Options, Page, Seq, Tamper,
};

/// 40 calls (80 entries), one per day, the newest today.
fn dated_log(options: Options) -> (tempfile::TempDir, AuditLog) {
    let (dir, log) = new_log(options);
    let start = Utc::now() - Age::days(39);
    log.bulk(|a| {
        for n in 0..40 {
            let time = start + Age::days(n as i64);
            let seq = a.intent(time, &intent(n))?;
            a.outcome(time, seq, &ok())?;
        }
        Ok(())
    })
    .unwrap();
    (dir, log)
}

#[test]
fn pruning_leaves_a_chain_that_verifies_from_the_checkpoint() {
    let (_dir, log) = dated_log(Options::default());
    let pruned = log
        .prune(Utc::now() - Age::days(30) + Age::hours(1))
        .unwrap();
    // Days 0..=9 are older than 30 days minus an hour: 10 calls, 20 entries.
    assert_eq!(pruned.removed, 20);
    assert_eq!(pruned.checkpoint, Some(Seq(81)));

    let v = log.verify().unwrap();
    assert!(v.is_ok(), "{v:?}");
    assert_eq!((v.first, v.verified_through), (21, 81));

    let checkpoint = log.tail(1).unwrap().remove(0);
    assert_eq!(checkpoint.kind, EntryKind::Checkpoint);
    assert_eq!(checkpoint.pruned_through, Some(Seq(20)));
    let first = log
        .search(
            &Filter::default(),
            Page {
                before: Some(Seq(22)),
                limit: 1,
            },
        )
        .unwrap();
    assert_eq!(first.entries[0].seq, Seq(21));
    assert_eq!(Some(first.entries[0].prev_hash), checkpoint.pruned_hash);

    // The chain goes on after the checkpoint, and a second prune stacks on the first.
    record_calls(&log, 1);
    let again = log
        .prune(Utc::now() - Age::days(20) + Age::hours(1))
        .unwrap();
    assert_eq!(again.removed, 20);
    let v = log.verify().unwrap();
    assert!(v.is_ok(), "{v:?}");
    assert_eq!(v.first, 41);
}

#[test]
fn pruned_words_are_gone_from_search() {
    let (_dir, log) = dated_log(Options::default());
    log.prune(Utc::now() - Age::days(30) + Age::hours(1))
        .unwrap();
    let old = Filter {
        text: Some("C02XL0GH0003".to_owned()),
        ..Filter::default()
    };
    assert!(
        log.search(&old, Page::default())
            .unwrap()
            .entries
            .is_empty()
    );
    let kept = Filter {
        text: Some("C02XL0GH0033".to_owned()),
        ..Filter::default()
    };
    assert_eq!(log.search(&kept, Page::default()).unwrap().entries.len(), 1);
}

#[test]
fn nothing_old_enough_prunes_nothing() {
    let (_dir, log) = dated_log(Options::default());
    let pruned = log.prune(Utc::now() - Age::days(365)).unwrap();
    assert_eq!((pruned.removed, pruned.checkpoint), (0, None));
    assert_eq!(log.verify().unwrap().first, 1);
}

#[test]
fn pruning_everything_leaves_the_checkpoint() {
    let (_dir, log) = dated_log(Options::default());
    let pruned = log.prune(Utc::now() + Age::days(1)).unwrap();
    assert_eq!(pruned.removed, 80);
    let v = log.verify().unwrap();
    assert!(v.is_ok(), "{v:?}");
    assert_eq!((v.first, v.verified_through), (81, 81));
}

#[test]
fn the_anchor_follows_a_prune() {
    let anchor = MemoryAnchor::new();
    let (_dir, log) = dated_log(anchored(&anchor));
    log.prune(Utc::now() - Age::days(30)).unwrap();
    assert_eq!(anchor.get().map(|h| h.seq), Some(Seq(81)));
    let v = log.verify().unwrap();
    assert!(v.is_ok(), "{v:?}");
    assert!(matches!(v.anchor, AnchorCheck::Confirmed { .. }));
}

#[test]
fn deleting_past_the_checkpoint_is_still_a_gap() {
    let (_dir, log) = dated_log(Options::default());
    log.prune(Utc::now() - Age::days(30) + Age::hours(1))
        .unwrap();
    attacker(log.path())
        .execute("DELETE FROM entries WHERE seq <= 25", [])
        .unwrap();
    let p = log.verify().unwrap().first_problem.unwrap();
    assert_eq!(
        (p.seq, p.what),
        (Seq(21), Tamper::Deleted { through: Seq(25) })
    );
}

#[test]
fn a_forged_checkpoint_value_is_caught() {
    let (_dir, log) = dated_log(Options::default());
    log.prune(Utc::now() - Age::days(30) + Age::hours(1))
        .unwrap();
    attacker(log.path())
        .execute(
            "UPDATE entries SET pruned_through = 25 WHERE kind = 'checkpoint'",
            [],
        )
        .unwrap();
    assert!(log.verify().unwrap().first_problem.is_some());
}

#[test]
fn a_log_that_does_not_verify_is_not_pruned() {
    let (_dir, log) = dated_log(Options::default());
    attacker(log.path())
        .execute("UPDATE entries SET tool = 'x' WHERE seq = 3", [])
        .unwrap();
    let err = log.prune(Utc::now()).unwrap_err();
    assert!(matches!(err, AuditError::Unverified { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "not pruning: the audit log does not verify (entry 3 was changed after it was written)"
    );
    assert_eq!(log.verify().unwrap().first, 1);
}
