//! Every tool call reaches the audit log before it runs, and its outcome after; a call that
//! cannot be recorded is refused and does not run.

use crate::common;

use latchkey_audit::{CallResult, Decision, EntryKind};
use latchkey_broker::LatchkeyServer;
use rmcp::model::CallToolRequestParams;

#[tokio::test]
async fn a_call_is_recorded_as_intent_then_outcome() {
    let services = common::services();
    let log = services.audit.log().unwrap();
    let changes = services.audit.subscribe();
    let client = common::client_for(LatchkeyServer::new(services, None)).await;
    let mut arguments = serde_json::Map::new();
    arguments.insert("version".into(), "15.1".into());
    arguments.insert("password".into(), "hunter2-canary".into());
    client
        .call_tool(CallToolRequestParams::new("sofa_os_status").with_arguments(arguments))
        .await
        .unwrap();

    let entries = log.tail(10).unwrap();
    let [intent, outcome] = entries.as_slice() else {
        panic!("expected two entries: {entries:?}");
    };
    assert_eq!(intent.kind, EntryKind::Intent);
    assert_eq!(intent.tool.as_deref(), Some("sofa_os_status"));
    assert_eq!(intent.decision, Some(Decision::Allowed));
    let assistant = intent.assistant.as_ref().unwrap();
    assert_eq!(assistant.name, "rmcp", "the client's initialize name");
    let arguments = intent.arguments.as_ref().unwrap();
    assert_eq!(arguments["version"], "15.1");
    assert_ne!(
        arguments["password"], "hunter2-canary",
        "secrets are redacted"
    );
    assert_eq!(outcome.kind, EntryKind::Outcome);
    assert_eq!(outcome.intent, Some(intent.seq));
    // An unknown field makes the tool answer with an error; the outcome says so.
    assert!(matches!(
        outcome.result,
        Some(CallResult::Ok | CallResult::Error(_))
    ));
    assert!(log.verify().unwrap().is_ok());
    assert!(
        changes.has_changed().unwrap(),
        "displays following the log are told"
    );
}

#[tokio::test]
async fn a_call_that_cannot_be_recorded_is_refused() {
    let services = common::services();
    let log = services.audit.log().unwrap();
    let client = common::client_for(LatchkeyServer::new(services, None)).await;
    client
        .call_tool(CallToolRequestParams::new("latchkey_status"))
        .await
        .unwrap();
    log.simulate_full_disk(0).unwrap();
    // The last page may still have room for a few entries; then the disk is full.
    let mut refused = None;
    let mut before = 0;
    for _ in 0..500 {
        before = log.tail(1000).unwrap().len();
        if let Err(e) = client
            .call_tool(CallToolRequestParams::new("latchkey_status"))
            .await
        {
            refused = Some(e);
            break;
        }
    }
    let err = refused.expect("a full disk refuses calls");
    assert!(
        err.to_string()
            .contains("could not write its audit log, so the call was not run"),
        "{err}"
    );
    assert_eq!(
        log.tail(1000).unwrap().len(),
        before,
        "nothing half-written"
    );
}

#[tokio::test]
async fn entries_older_than_a_year_are_pruned_and_the_rest_verifies() {
    use std::sync::Arc;

    use chrono::{TimeDelta, Utc};
    use latchkey_audit::{Assistant, AuditLog, Intent};
    use latchkey_broker::Audit;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.sqlite");
    let intent = |tool: &str| Intent {
        assistant: Assistant {
            name: "old".into(),
            client: None,
            version: "1".into(),
            executable: None,
            pid: None,
            bundle_id: None,
        },
        tool: tool.into(),
        arguments: serde_json::json!({}),
        domain: None,
        decision: Decision::Allowed,
        approval: None,
    };
    {
        let log = AuditLog::open(&path).unwrap();
        log.bulk(|a| {
            a.intent(Utc::now() - TimeDelta::days(400), &intent("ancient"))?;
            a.intent(Utc::now() - TimeDelta::days(10), &intent("recent"))
        })
        .unwrap();
    }
    let audit = Arc::new(Audit::open(&path, Default::default()));
    let log = audit.log().unwrap();
    let pruning = tokio::spawn(Arc::clone(&audit).keep_retention());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while log
        .tail(10)
        .unwrap()
        .iter()
        .any(|e| e.tool.as_deref() == Some("ancient"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the old entry was not pruned"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    pruning.abort();
    let left: Vec<_> = log.tail(10).unwrap();
    assert!(left.iter().any(|e| e.tool.as_deref() == Some("recent")));
    assert!(left.iter().any(|e| e.kind == EntryKind::Checkpoint));
    assert!(log.verify().unwrap().is_ok());
}
