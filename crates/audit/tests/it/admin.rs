//! Admin events (unlocks, credential changes, approvals, …) in the same chain as the calls;
//! how a changing call was approved; finding either kind; and a log written before these
//! existed, which must keep verifying with the same hashes.

use crate::common;

use common::*;
use latchkey_audit::{
    AdminEvent, AuditLog, Decision, EntryKind, ExportFormat, Filter, KindFilter, Options, Page,
    REDACTED, Seq,
};
use serde_json::json;

fn person() -> latchkey_audit::Assistant {
    latchkey_audit::Assistant {
        name: "latchkey-cli".to_owned(),
        client: None,
        version: "0.9.0".to_owned(),
        executable: Some("/usr/bin/latchkey".to_owned()),
        pid: Some(77),
        bundle_id: None,
    }
}

fn admin(action: &str, decision: Decision) -> AdminEvent {
    AdminEvent {
        actor: person(),
        action: action.to_owned(),
        details: json!({"label": "Acme prod", "minutes": 15}),
        domain: Some("jamf:acme.jamfcloud.com".to_owned()),
        decision,
    }
}

fn seqs(log: &AuditLog, filter: &Filter) -> Vec<u64> {
    let page = log.search(filter, Page::default()).unwrap();
    page.entries.iter().map(|e| e.seq.0).collect()
}

#[test]
fn an_admin_event_is_a_chained_entry_that_reads_back_with_its_action() {
    let (_dir, log) = new_log(Options::default());
    record_calls(&log, 1);
    let seq = log
        .record_admin(&admin("unlock", Decision::Approved))
        .unwrap();
    assert_eq!(seq, Seq(3));
    let entry = log.tail(1).unwrap().remove(0);
    assert_eq!(entry.kind, EntryKind::Admin);
    assert_eq!(entry.tool.as_deref(), Some("unlock"));
    assert_eq!(entry.assistant, Some(person()));
    assert_eq!(
        entry.arguments,
        Some(json!({"label": "Acme prod", "minutes": 15}))
    );
    assert_eq!(entry.domain.as_deref(), Some("jamf:acme.jamfcloud.com"));
    assert_eq!(entry.decision, Some(Decision::Approved));
    assert_eq!(entry.result, None);
    let v = log.verify().unwrap();
    assert!(v.is_ok(), "{v:?}");
    assert_eq!(v.verified_through, 3);
    let json = serde_json::to_value(&entry).unwrap();
    assert_eq!(json["kind"], "admin");
    assert_eq!(json["tool"], "unlock");
}

#[test]
fn admin_details_are_redacted_like_arguments() {
    let (_dir, log) = new_log(Options::default());
    let mut event = admin("credential.rotate", Decision::Approved);
    event.details = json!({"label": "Acme", "client_secret": "hunter2-hunter2"});
    log.record_admin(&event).unwrap();
    let entry = log.tail(1).unwrap().remove(0);
    assert_eq!(entry.arguments.unwrap()["client_secret"], REDACTED);
    let bytes = std::fs::read(log.path()).unwrap();
    let wal = std::fs::read(format!("{}-wal", log.path().display())).unwrap_or_default();
    let needle = b"hunter2-hunter2";
    assert!(!bytes.windows(needle.len()).any(|w| w == needle));
    assert!(!wal.windows(needle.len()).any(|w| w == needle));
}

#[test]
fn a_timed_out_approval_is_its_own_decision() {
    let (_dir, log) = new_log(Options::default());
    log.record_admin(&admin("approval.timeout", Decision::TimedOut))
        .unwrap();
    let mut call = intent(1);
    call.decision = Decision::TimedOut;
    log.record_intent(&call).unwrap();
    let filter = Filter {
        decision: Some(Decision::TimedOut),
        ..Filter::default()
    };
    assert_eq!(seqs(&log, &filter), [2, 1]);
    assert_eq!(
        log.tail(1).unwrap()[0].decision,
        Some(Decision::TimedOut),
        "stored as timed_out and read back"
    );
}

#[test]
fn the_kind_filter_separates_admin_events_from_calls() {
    let (_dir, log) = new_log(Options::default());
    record_calls(&log, 2); // 1..=4
    log.record_admin(&admin("unlock", Decision::Approved))
        .unwrap(); // 5
    record_calls(&log, 1); // 6, 7
    log.record_admin(&admin("lock", Decision::Allowed)).unwrap(); // 8
    let kind = |kind| Filter {
        kind: Some(kind),
        ..Filter::default()
    };
    assert_eq!(seqs(&log, &kind(KindFilter::Admin)), [8, 5]);
    assert_eq!(seqs(&log, &kind(KindFilter::Tool)), [7, 6, 4, 3, 2, 1]);
    assert_eq!(seqs(&log, &Filter::default()).len(), 8);
    let page = log
        .search(&kind(KindFilter::Tool), Page::default())
        .unwrap();
    assert_eq!(page.total, latchkey_audit::Total::Exact(6));
    let page = log
        .search(&kind(KindFilter::Admin), Page::default())
        .unwrap();
    assert_eq!(page.total, latchkey_audit::Total::Exact(2));

    // With other filters and words too.
    let words = Filter {
        text: Some("acme".to_owned()),
        ..kind(KindFilter::Tool)
    };
    assert_eq!(seqs(&log, &words), [7, 6, 4, 3, 2, 1]);
    let words = Filter {
        text: Some("lock".to_owned()),
        ..kind(KindFilter::Admin)
    };
    assert_eq!(
        seqs(&log, &words),
        [8],
        "\"lock\" is a whole word of #8 only"
    );
    let by_action = Filter {
        tool: Some("unlock".to_owned()),
        ..Filter::default()
    };
    assert_eq!(seqs(&log, &by_action), [5]);

    // Filter choices keep actions apart from tools.
    let facets = log.facets().unwrap();
    assert_eq!(facets.actions, ["lock", "unlock"]);
    assert_eq!(facets.tools, ["jamf_get_computer"]);
    assert_eq!(facets.assistants, ["claude-ai"]);

    // The filter arrives from the app as JSON.
    let filter: Filter = serde_json::from_value(json!({"kind": "admin"})).unwrap();
    assert_eq!(filter, kind(KindFilter::Admin));
}

#[test]
fn an_approval_is_stored_hashed_searchable_and_exported() {
    let (_dir, log) = new_log(Options::default());
    let mut call = intent(1);
    call.decision = Decision::Approved;
    call.approval = Some("grant g-1234 (until 14:05)".to_owned());
    let seq = log.record_intent(&call).unwrap();
    log.record_outcome(seq, &ok()).unwrap();
    record_calls(&log, 1);

    let entries = log.tail(4).unwrap();
    assert_eq!(
        entries[0].approval.as_deref(),
        Some("grant g-1234 (until 14:05)")
    );
    assert_eq!(entries[1].approval, None, "the outcome does not repeat it");
    assert_eq!(entries[2].approval, None);
    assert!(log.verify().unwrap().is_ok());

    let found = Filter {
        text: Some("g-1234".to_owned()),
        ..Filter::default()
    };
    assert_eq!(seqs(&log, &found), [1]);

    let mut jsonl = Vec::new();
    log.export(&Filter::default(), ExportFormat::Jsonl, &mut jsonl)
        .unwrap();
    let first: serde_json::Value =
        serde_json::from_str(std::str::from_utf8(&jsonl).unwrap().lines().next().unwrap()).unwrap();
    assert_eq!(first["approval"], "grant g-1234 (until 14:05)");
    let mut csv = Vec::new();
    log.export(&Filter::default(), ExportFormat::Csv, &mut csv)
        .unwrap();
    let mut reader = csv::Reader::from_reader(&csv[..]);
    assert_eq!(&reader.headers().unwrap()[20], "approval");
    let row = reader.records().next().unwrap().unwrap();
    assert_eq!(&row[20], "grant g-1234 (until 14:05)");

    // The approval is covered by the hash: changing it is an edit.
    attacker(log.path())
        .execute(
            "UPDATE entries SET approval = 'approved once' WHERE seq = 1",
            [],
        )
        .unwrap();
    let problem = log.verify().unwrap().first_problem.unwrap();
    assert_eq!(problem.seq, Seq(1));
    assert_eq!(problem.what, latchkey_audit::Tamper::Edited);
}

/// What schema 1 (before `approval` and the admin index) looked like on disk.
fn downgrade_to_schema_1(path: &std::path::Path) {
    attacker(path)
        .execute_batch(
            "DROP INDEX entries_admin;
             DROP TABLE entries_indexed;
             ALTER TABLE entries DROP COLUMN approval;
             ALTER TABLE entries DROP COLUMN client;
             PRAGMA user_version = 1;",
        )
        .unwrap();
}

#[test]
fn a_log_written_before_approvals_existed_still_verifies_with_the_same_hashes() {
    let (dir, log) = new_log(Options::default());
    record_calls(&log, 5);
    let path = log.path().to_path_buf();
    drop(log);
    downgrade_to_schema_1(&path);
    let conn = attacker(&path);
    let stored = |conn: &rusqlite::Connection| -> Vec<Vec<u8>> {
        let mut query = conn
            .prepare("SELECT hash FROM entries ORDER BY seq")
            .unwrap();
        let rows = query.query_map([], |r| r.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    };
    let before = stored(&conn);
    // Every row is what the first version wrote: its 19-column hash.
    for (seq, hash) in (1..).zip(&before) {
        assert_eq!(&readme_hash_v1(&conn, seq), hash, "entry {seq}");
    }
    drop(conn);

    // The new code opens it (migrating the schema), verifies it, and goes on.
    let log = AuditLog::open(&path).unwrap();
    assert!(log.verify().unwrap().is_ok());
    let mut call = intent(9);
    call.approval = Some("approved once by the person (request 7f3a)".to_owned());
    log.record_intent(&call).unwrap();
    log.record_admin(&admin("lock", Decision::Allowed)).unwrap();
    let v = log.verify().unwrap();
    assert!(v.is_ok(), "{v:?}");
    assert_eq!(v.verified_through, 12);
    let conn = attacker(&path);
    let after = stored(&conn);
    assert_eq!(after[..10], before[..], "old rows keep their hashes");
    for seq in 1..=12 {
        assert_eq!(
            readme_hash(&conn, seq),
            after[seq as usize - 1],
            "entry {seq}"
        );
    }
    drop(dir);
}

#[test]
fn a_log_written_before_client_names_existed_still_verifies_and_records_both_names() {
    let (dir, log) = new_log(Options::default());
    record_calls(&log, 3);
    let path = log.path().to_path_buf();
    drop(log);
    // Schema 2: everything but `client`.
    attacker(&path)
        .execute_batch(
            "DROP TABLE entries_indexed; ALTER TABLE entries DROP COLUMN client;
             PRAGMA user_version = 2;",
        )
        .unwrap();
    let before = hashes(&path);

    let log = AuditLog::open(&path).unwrap();
    assert!(log.verify().unwrap().is_ok());
    // A call named by the allow-list's name, with the name the client gave itself beside it
    // and no approval: the optional tail then encodes `approval` as NULL before `client`.
    let mut call = intent(4);
    call.assistant.name = "python3.11 running tool.py".to_owned();
    call.assistant.client = Some("cursor-agent".to_owned());
    log.record_intent(&call).unwrap();
    let v = log.verify().unwrap();
    assert!(v.is_ok(), "{v:?}");

    let conn = attacker(&path);
    let after = hashes(&path);
    let new = before.len();
    assert_eq!(after[..new], before[..], "old rows keep their hashes");
    assert_eq!(
        readme_hash(&conn, new as i64 + 1),
        after[new],
        "the README's encoding"
    );
    let filter = Filter {
        assistant: Some("cursor-agent".to_owned()),
        ..Filter::default()
    };
    let found = log.search(&filter, Page::default()).unwrap();
    assert_eq!(found.entries.len(), 1, "found by the name the client gave");
    let entry = &found.entries[0];
    let assistant = entry.assistant.as_ref().unwrap();
    assert_eq!(assistant.name, "python3.11 running tool.py");
    assert_eq!(assistant.client.as_deref(), Some("cursor-agent"));

    // Setting `client` on a row that had none is caught like any edit.
    conn.execute("UPDATE entries SET client = 'claude-ai' WHERE seq = 2", [])
        .unwrap();
    assert!(!log.verify().unwrap().is_ok());
    drop(dir);
}

fn hashes(path: &std::path::Path) -> Vec<Vec<u8>> {
    let conn = attacker(path);
    let mut query = conn
        .prepare("SELECT hash FROM entries ORDER BY seq")
        .unwrap();
    let rows = query.query_map([], |r| r.get(0)).unwrap();
    rows.map(Result::unwrap).collect()
}
