//! Approvals: a changing call waits for the person, who approves (with presence) or denies;
//! no answer in time is a denial; a remembered approval covers only the same call; every
//! decision is on the audit log before the call goes on.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use latchkey_audit::{Decision, EntryKind, Filter, KindFilter};
use latchkey_broker::pipeline::approvals::{ApprovalVerdict, Asked};
use latchkey_broker::{Actor, Approvals, Call, Change, ChangeTarget, Effect, Origin, Surface};

fn call(serials: &[&str]) -> Call {
    let mut arguments = serde_json::Map::new();
    arguments.insert("serials".into(), serde_json::json!(serials));
    Call {
        origin: Origin {
            surface: Surface::Mcp,
            caller: None,
            client: Some(rmcp::model::Implementation::new("claude-code", "2.1")),
            pin: None,
            token: None,
        },
        tool: "jamf_plan_os_update".into(),
        arguments,
        domain: Some(latchkey_vault::Domain::from("jamf:acme.jamfcloud.com")),
        effect: Effect::Changes,
    }
}

fn asked(call: &Call) -> Asked {
    let change = Change {
        targets: vec![ChangeTarget {
            name: "Ada's MacBook".into(),
            id: "42".into(),
        }],
        summary: "schedule macOS 15.7.9 on 1 Mac".into(),
        details: serde_json::json!({}),
    };
    Asked::new(call, &call.origin.assistant(), &change)
}

struct Fixture {
    approvals: Arc<Approvals>,
    presence: Arc<common::TestPresence>,
    log: Arc<latchkey_audit::AuditLog>,
}

fn fixture() -> Fixture {
    let presence = Arc::new(common::TestPresence::approving());
    let audit = common::temp_audit();
    let log = audit.log().unwrap();
    Fixture {
        approvals: Arc::new(Approvals::new(presence.clone(), audit)),
        presence,
        log,
    }
}

/// Waits until a request is pending and returns its id.
async fn pending_id(approvals: &Approvals) -> String {
    for _ in 0..200 {
        if let Some(p) = approvals.pending().first() {
            return p.id.clone();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("no request became pending");
}

fn admin_actions(log: &latchkey_audit::AuditLog) -> Vec<(String, Option<Decision>)> {
    let filter = Filter {
        kind: Some(KindFilter::Admin),
        ..Filter::default()
    };
    let page = latchkey_audit::Page {
        before: None,
        limit: 100,
    };
    let mut page = log.search(&filter, page).unwrap().entries;
    page.reverse();
    page.into_iter()
        .inspect(|e| assert_eq!(e.kind, EntryKind::Admin))
        .map(|e| (e.tool.unwrap_or_default(), e.decision))
        .collect()
}

#[tokio::test]
async fn an_approved_call_goes_on_after_presence_and_the_audit_holds_the_decision() {
    let f = fixture();
    let c = call(&["C02A"]);
    let waiting = tokio::spawn({
        let approvals = f.approvals.clone();
        let a = asked(&c);
        async move { approvals.ask(a, None).await }
    });
    let id = pending_id(&f.approvals).await;
    let pending = f.approvals.pending();
    assert_eq!(pending[0].assistant.name, "claude-code");
    assert_eq!(pending[0].tool, "jamf_plan_os_update");
    assert_eq!(pending[0].targets[0].id, "42");

    // A declined presence check approves nothing; the request still waits.
    f.presence.approve.store(false, Ordering::SeqCst);
    assert!(f.approvals.approve(&id, None, &Actor::app()).await.is_err());
    assert_eq!(f.approvals.pending().len(), 1);

    f.presence.approve.store(true, Ordering::SeqCst);
    let grant = f.approvals.approve(&id, None, &Actor::app()).await.unwrap();
    assert!(grant.is_none());
    match waiting.await.unwrap() {
        ApprovalVerdict::Approved(how) => assert!(how.contains(&id), "{how}"),
        other => panic!("expected approved, got {other:?}"),
    }
    assert!(
        f.presence.asked.lock().unwrap()[0].contains("schedule macOS 15.7.9 on 1 Mac"),
        "the prompt names the change"
    );
    assert_eq!(
        admin_actions(&f.log),
        [("approval.approve".to_owned(), Some(Decision::Approved))]
    );
    assert!(f.approvals.pending().is_empty());
}

#[tokio::test]
async fn a_denied_call_is_told_and_denying_needs_no_presence() {
    let f = fixture();
    f.presence.approve.store(false, Ordering::SeqCst);
    let c = call(&["C02A"]);
    let waiting = tokio::spawn({
        let approvals = f.approvals.clone();
        let a = asked(&c);
        async move { approvals.ask(a, None).await }
    });
    let id = pending_id(&f.approvals).await;
    f.approvals.deny(&id, &Actor::app()).await.unwrap();
    assert_eq!(waiting.await.unwrap(), ApprovalVerdict::Denied);
    assert!(f.presence.asked.lock().unwrap().is_empty());
    assert_eq!(
        admin_actions(&f.log),
        [("approval.deny".to_owned(), Some(Decision::Denied))]
    );
    assert!(
        f.approvals.deny(&id, &Actor::app()).await.is_err(),
        "answered once"
    );
}

#[tokio::test]
async fn no_answer_in_time_is_a_denial_on_record() {
    let f = fixture();
    f.approvals.set_timeout(Duration::from_millis(150));
    let c = call(&["C02A"]);
    let verdict = f.approvals.ask(asked(&c), None).await;
    assert!(
        matches!(verdict, ApprovalVerdict::TimedOut(_)),
        "{verdict:?}"
    );
    assert!(f.approvals.pending().is_empty());
    assert_eq!(
        admin_actions(&f.log),
        [("approval.timeout".to_owned(), Some(Decision::TimedOut))]
    );
}

#[tokio::test]
async fn a_waiting_caller_is_told_it_waits() {
    let f = fixture();
    f.approvals.set_timeout(Duration::from_millis(100));
    let told = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = told.clone();
    let c = call(&["C02A"]);
    let tell: Box<dyn Fn(&str) + Send + Sync> =
        Box::new(move |m: &str| sink.lock().unwrap().push(m.to_owned()));
    f.approvals.ask(asked(&c), Some(tell)).await;
    assert_eq!(told.lock().unwrap()[0], "waiting for approval in Latchkey");
}

#[tokio::test]
async fn a_grant_covers_the_same_call_only_until_revoked() {
    let f = fixture();
    let same = call(&["C02A"]);
    let waiting = tokio::spawn({
        let approvals = f.approvals.clone();
        let a = asked(&same);
        async move { approvals.ask(a, None).await }
    });
    let id = pending_id(&f.approvals).await;
    let grant = f
        .approvals
        .approve(&id, Some(Duration::from_secs(15 * 60)), &Actor::app())
        .await
        .unwrap()
        .expect("a grant");
    assert!(matches!(
        waiting.await.unwrap(),
        ApprovalVerdict::Approved(_)
    ));
    assert_eq!(f.approvals.grants(), std::slice::from_ref(&grant));

    // The same call again: covered at once, nobody asked.
    match f.approvals.ask(asked(&same), None).await {
        ApprovalVerdict::Approved(how) => assert!(how.contains(&grant.id), "{how}"),
        other => panic!("expected the grant, got {other:?}"),
    }

    // Another target is not covered.
    f.approvals.set_timeout(Duration::from_millis(100));
    let other = call(&["C02B"]);
    assert!(matches!(
        f.approvals.ask(asked(&other), None).await,
        ApprovalVerdict::TimedOut(_)
    ));

    f.approvals.revoke(&grant.id, &Actor::app()).await.unwrap();
    assert!(f.approvals.grants().is_empty());
    assert!(matches!(
        f.approvals.ask(asked(&same), None).await,
        ApprovalVerdict::TimedOut(_)
    ));
    let actions: Vec<String> = admin_actions(&f.log).into_iter().map(|(a, _)| a).collect();
    assert_eq!(
        actions,
        [
            "approval.approve",
            "approval.timeout",
            "grant.revoke",
            "approval.timeout"
        ]
    );
    // Grants last an hour at most.
    assert!(
        f.approvals
            .approve("nope", Some(Duration::from_secs(7200)), &Actor::app())
            .await
            .is_err()
    );
}
