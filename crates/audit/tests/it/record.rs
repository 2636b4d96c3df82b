//! Recording: what an entry holds, where the file lives and who may read it, redaction on the
//! way in, outcomes linked to intents, reopening, and when the head is anchored.

use crate::common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use common::*;
use latchkey_audit::{
    AnchorCheck, AuditLog, CallResult, Decision, Durability, EntryKind, Hash, Options, Outcome,
    REDACTED, Seq,
};
use serde_json::json;

#[test]
fn an_intent_and_its_outcome_are_two_linked_entries() {
    let (_dir, log) = new_log(Options::default());
    let seq = log.record_intent(&intent(7)).unwrap();
    let outcome = Outcome {
        result: CallResult::Error("http_403".to_owned()),
        duration: Duration::from_micros(1500),
    };
    let out = log.record_outcome(seq, &outcome).unwrap();
    assert_eq!((seq, out), (Seq(1), Seq(2)));

    let entries = log.tail(10).unwrap();
    let [first, second] = &entries[..] else {
        panic!("{entries:?}")
    };
    assert_eq!(first.kind, EntryKind::Intent);
    assert_eq!(first.assistant, Some(claude()));
    assert_eq!(first.tool.as_deref(), Some("jamf_get_computer"));
    assert_eq!(
        first.arguments,
        Some(json!({"serial": "C02XL0GH0007", "section": "GENERAL"}))
    );
    assert_eq!(first.domain.as_deref(), Some("jamf:acme.jamfcloud.com"));
    assert_eq!(first.decision, Some(Decision::Allowed));
    assert_eq!(
        (first.result.clone(), first.duration, first.intent),
        (None, None, None)
    );
    assert_eq!(first.prev_hash, Hash::GENESIS);

    assert_eq!(second.kind, EntryKind::Outcome);
    assert_eq!(second.intent, Some(seq));
    assert_eq!(
        second.result,
        Some(CallResult::Error("http_403".to_owned()))
    );
    assert_eq!(second.duration, Some(Duration::from_micros(1500)));
    // An outcome repeats who, what and where, so filters find it with its intent.
    assert_eq!(second.assistant, first.assistant);
    assert_eq!(second.tool, first.tool);
    assert_eq!(second.domain, first.domain);
    assert_eq!(second.arguments, None);
    assert_eq!(second.prev_hash, first.hash);
    assert!(second.time >= first.time);
}

#[test]
fn the_outcomes_of_intents_are_found_by_their_intent() {
    let (_dir, log) = new_log(Options::default());
    record_calls(&log, 2);
    let refused = log.record_intent(&intent(3)).unwrap();
    let failed = log.record_intent(&intent(4)).unwrap();
    let outcome = Outcome {
        result: CallResult::Error("http_403".to_owned()),
        duration: Duration::from_millis(5),
    };
    log.record_outcome(failed, &outcome).unwrap();
    let found = log.outcomes_of(&[failed, refused, Seq(1)]).unwrap();
    let found: Vec<_> = found.iter().map(|e| (e.intent, e.result.clone())).collect();
    assert_eq!(
        found,
        [
            (Some(failed), Some(CallResult::Error("http_403".to_owned()))),
            (Some(Seq(1)), Some(CallResult::Ok)),
        ]
    );
}

#[test]
fn refused_calls_are_recorded_without_an_outcome() {
    let (_dir, log) = new_log(Options::default());
    for decision in [
        Decision::Denied,
        Decision::RefusedLocked,
        Decision::RefusedUnknownClient,
    ] {
        let mut call = intent(1);
        call.decision = decision;
        log.record_intent(&call).unwrap();
    }
    let decisions: Vec<_> = log.tail(3).unwrap().iter().map(|e| e.decision).collect();
    assert_eq!(
        decisions,
        [
            Some(Decision::Denied),
            Some(Decision::RefusedLocked),
            Some(Decision::RefusedUnknownClient)
        ]
    );
}

#[test]
fn secrets_in_arguments_never_reach_the_file() {
    let (_dir, log) = new_log(Options::default());
    let mut call = intent(1);
    call.arguments = json!({
        "url": "https://acme.jamfcloud.com",
        "client_secret": "s3cr3t-Do-Not-Store",
        "headers": {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"},
        "note": "use token hvs.CAESIJ3sx8Yx0Rk8a9dXyZk1bQ2 please",
        "serial": "C02XL0GHJGH5",
    });
    let seq = log.record_intent(&call).unwrap();
    let outcome = Outcome {
        result: CallResult::Error("Bearer abcdef0123456789 rejected".to_owned()),
        duration: Duration::ZERO,
    };
    log.record_outcome(seq, &outcome).unwrap();
    let path = log.path().to_path_buf();
    log.close().unwrap();

    let bytes = fs::read(&path).unwrap();
    let file = String::from_utf8_lossy(&bytes);
    for secret in [
        "s3cr3t-Do-Not-Store",
        "eyJhbGciOiJIUzI1NiJ9",
        "hvs.CAESIJ3sx8",
        "abcdef0123456789",
    ] {
        assert!(!file.contains(secret), "{secret} is in the file");
    }
    assert!(file.contains("C02XL0GHJGH5"));
    let log = AuditLog::open(&path).unwrap();
    let entries = log.tail(2).unwrap();
    let args = entries[0].arguments.as_ref().unwrap();
    assert_eq!(args["client_secret"], REDACTED);
    assert_eq!(args["headers"]["Authorization"], REDACTED);
    assert_eq!(args["note"], REDACTED);
    assert_eq!(args["serial"], "C02XL0GHJGH5");
    assert_eq!(
        entries[1].result,
        Some(CallResult::Error(REDACTED.to_owned()))
    );
}

/// Issue #12, item 14: an assistant's 10 MB argument cannot bloat the log. What is stored is
/// at most 4 KiB and carries the SHA-256 of the whole (redacted) arguments; the chain still
/// verifies, and its hash (per the README) covers what is stored.
#[test]
fn issue_12_huge_arguments_are_stored_capped_with_their_hash() {
    let (_dir, log) = new_log(Options::default());
    let mut call = intent(1);
    call.arguments = json!({
        "serial": "C02XL0GHJGH5",
        "padding": "x".repeat(10 * 1024 * 1024),
        "client_secret": "s3cr3t-Do-Not-Store",
    });
    let whole = latchkey_audit::redact(call.arguments.clone()).to_string();
    let seq = log.record_intent(&call).unwrap();
    log.record_outcome(seq, &ok()).unwrap();

    let conn = attacker(log.path());
    let stored: String = conn
        .query_row("SELECT arguments FROM entries WHERE seq = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(
        stored.len() <= latchkey_audit::MAX_STORED_ARGUMENTS,
        "{} bytes stored",
        stored.len()
    );
    let digest: String = <sha2::Sha256 as sha2::Digest>::digest(whole.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let args = log.tail(2).unwrap()[0].arguments.clone().unwrap();
    assert_eq!(args["truncated"], true);
    assert_eq!(args["bytes"], whole.len());
    assert_eq!(args["sha256"], digest.as_str());
    assert!(
        args["head"]
            .as_str()
            .unwrap()
            .starts_with("{\"client_secret\":\"[redacted]\"")
    );
    assert!(!stored.contains("s3cr3t"));
    assert_eq!(
        readme_hash(&conn, 1),
        log.tail(2).unwrap()[0].hash.0.to_vec()
    );
    assert!(log.verify().unwrap().is_ok());
    let file_size = std::fs::metadata(log.path()).unwrap().len()
        + std::fs::metadata(log.path().with_extension("db-wal")).map_or(0, |m| m.len());
    assert!(file_size < 1024 * 1024, "the log holds {file_size} bytes");
}

#[test]
fn the_file_is_private_and_so_is_a_new_folder() {
    let (dir, log) = new_log(Options::default());
    record_calls(&log, 1);
    let mode = |p: &std::path::Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(log.path()), 0o600);
    assert_eq!(mode(&dir.path().join("audit")), 0o700);
    let wal = format!("{}-wal", log.path().display());
    assert_eq!(
        mode(wal.as_ref()),
        0o600,
        "SQLite's WAL inherits the file's mode"
    );

    // A file that exists with looser permissions is tightened.
    let path = log.path().to_path_buf();
    drop(log);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let _log = AuditLog::open(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn a_reopened_log_continues_the_chain() {
    let (_dir, log) = new_log(Options::default());
    record_calls(&log, 3);
    let path = log.path().to_path_buf();
    let head = log.close().unwrap().unwrap();
    assert_eq!(head.seq, Seq(6));
    let log = AuditLog::open(&path).unwrap();
    assert_eq!(log.record_intent(&intent(9)).unwrap(), Seq(7));
    assert_eq!(log.tail(1).unwrap()[0].prev_hash, head.hash);
    assert!(log.verify().unwrap().is_ok());
}

#[test]
fn every_durability_level_records_a_verifiable_chain() {
    for durability in [Durability::Process, Durability::Intents, Durability::Full] {
        let (_dir, log) = new_log(Options {
            durability,
            ..Options::default()
        });
        record_calls(&log, 5);
        let v = log.verify().unwrap();
        assert!(
            v.is_ok() && v.verified_through == 10,
            "{durability:?}: {v:?}"
        );
    }
}

#[test]
fn the_head_is_anchored_at_once_then_every_n_entries_and_on_close() {
    let anchor = MemoryAnchor::new();
    let (_dir, log) = new_log(Options {
        anchor_every: 4,
        ..anchored(&anchor)
    });
    assert_eq!(log.verify().unwrap().anchor, AnchorCheck::NothingSaved);
    record_calls(&log, 1);
    assert_eq!(
        anchor.get().map(|h| h.seq),
        Some(Seq(1)),
        "a log without an anchored head is anchored at its first entry"
    );
    record_calls(&log, 1);
    assert_eq!(anchor.get().map(|h| h.seq), Some(Seq(1)));
    record_calls(&log, 3);
    assert_eq!(anchor.get().map(|h| h.seq), Some(Seq(9)));
    assert_eq!(*anchor.saves.lock().unwrap(), 3, "#1, #5, #9");
    let head = log.close().unwrap().unwrap();
    assert_eq!(anchor.get(), Some(head));
    assert_eq!(head.seq, Seq(10));
}

#[test]
fn the_default_anchors_every_16_entries() {
    let anchor = MemoryAnchor::new();
    let (_dir, log) = new_log(anchored(&anchor));
    record_calls(&log, 16);
    assert_eq!(anchor.get().map(|h| h.seq), Some(Seq(17)), "#1, then #17");
    assert_eq!(*anchor.saves.lock().unwrap(), 2);
}

#[test]
fn a_quiet_log_is_anchored_once_its_last_anchor_is_stale() {
    let anchor = MemoryAnchor::new();
    let (_dir, log) = new_log(Options {
        anchor_after: Duration::from_millis(200),
        ..anchored(&anchor)
    });
    record_calls(&log, 2);
    assert_eq!(anchor.get().map(|h| h.seq), Some(Seq(1)));
    assert_eq!(log.anchor_if_stale().unwrap(), None, "not stale yet");
    std::thread::sleep(Duration::from_millis(250));
    let head = log.anchor_if_stale().unwrap().expect("anchored");
    assert_eq!(head.seq, Seq(4));
    assert_eq!(anchor.get(), Some(head));
    assert_eq!(log.anchor_if_stale().unwrap(), None, "nothing new");

    // A write after a quiet spell is anchored as it is written.
    std::thread::sleep(Duration::from_millis(250));
    let seq = log.record_intent(&intent(9)).unwrap();
    assert_eq!(anchor.get().map(|h| h.seq), Some(seq));
}

#[test]
fn a_failing_anchor_store_does_not_fail_the_call() {
    #[derive(Debug)]
    struct Locked;
    impl latchkey_audit::Anchor for Locked {
        fn save(&self, _: &latchkey_audit::ChainHead) -> Result<(), String> {
            Err("the keychain is locked".to_owned())
        }
        fn load(&self) -> Result<Option<latchkey_audit::ChainHead>, String> {
            Err("the keychain is locked".to_owned())
        }
    }
    let (_dir, log) = new_log(Options {
        anchor: Some(std::sync::Arc::new(Locked)),
        anchor_every: 1,
        ..Options::default()
    });
    record_calls(&log, 2);
    let v = log.verify().unwrap();
    assert!(v.is_ok());
    assert_eq!(
        v.anchor,
        AnchorCheck::Unavailable {
            error: "the keychain is locked".to_owned()
        }
    );
    let err = log.close().unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot anchor the audit log's head: the keychain is locked"
    );
}

#[test]
fn times_never_go_backwards_along_the_chain() {
    let (_dir, log) = new_log(Options::default());
    let future = chrono::Utc::now() + chrono::Duration::hours(1);
    log.bulk(|a| a.intent(future, &intent(1))).unwrap();
    let seq = log.record_intent(&intent(2)).unwrap();
    let entries = log.tail(2).unwrap();
    assert_eq!(entries[1].seq, seq);
    assert_eq!(
        entries[1].time, entries[0].time,
        "a clock behind the chain repeats its last time"
    );
}

/// The broker prunes at start, before any entry: that must not stop the first entry of a new
/// log from being anchored at once (it did: the empty head counted as offered).
#[test]
fn a_new_log_pruned_before_its_first_entry_still_anchors_it_at_once() {
    let anchor = MemoryAnchor::new();
    let (_dir, log) = new_log(anchored(&anchor));
    log.prune(chrono::Utc::now() - chrono::TimeDelta::days(365))
        .unwrap();
    record_calls(&log, 1);
    assert_eq!(anchor.get().map(|h| h.seq), Some(Seq(1)));
}
