//! Jamf tools that change something, through the broker's pipeline against the mock Jamf Pro
//! server: the call waits for the person; approved, Jamf receives exactly the previewed plan;
//! denied or unanswered, Jamf receives nothing and the assistant is told; bad arguments are
//! refused before anyone is asked; the audit holds each decision before the outcome.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use latchkey_audit::{Decision, Entry, EntryKind};
use latchkey_broker::{Actor, LatchkeyServer, Services, Target};
use latchkey_jamf_mock::{Change, Mock, MockConfig};
use latchkey_vault::{Account, NewCredential, Requester, SecretString};
use rmcp::model::CallToolResult;
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};
use serde_json::json;

const CANARY: &str = "jamf-canary-secret-5d21";

struct Setup {
    mock: Mock,
    services: Services,
    client: Arc<RunningService<RoleClient, ()>>,
    domain: String,
}

async fn setup() -> Setup {
    let mock = Mock::start(MockConfig {
        computers: 20,
        client_secret: CANARY.into(),
        ..MockConfig::default()
    })
    .await;
    let base = common::services();
    let services = Services::new(
        base.sofa,
        Arc::new(latchkey_broker::CredentialService::new(
            Arc::new(latchkey_vault::MemoryStore::new()),
            Arc::new(common::TestPresence::approving()),
        )),
        base.assistants,
        base.audit,
    );
    let new = NewCredential {
        label: "Mock Jamf".into(),
        account: Account::JamfClient {
            url: mock.url(),
            client_id: "latchkey-test".into(),
        },
        secret: SecretString::from(CANARY),
        source: None,
    };
    let added = services.credentials.add(new, Requester::App).await.unwrap();
    services
        .credentials
        .unlock(
            Target::One(added.domain.clone()),
            None,
            Requester::App,
            None,
        )
        .await
        .unwrap();
    let server = LatchkeyServer::new(services.clone(), None);
    let (client_io, server_io) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        let session = server.serve(server_io).await.expect("server handshake");
        let _ = session.waiting().await;
    });
    let client = Arc::new(().serve(client_io).await.expect("client handshake"));
    Setup {
        mock,
        services,
        client,
        domain: added.domain.to_string(),
    }
}

fn text(result: &CallToolResult) -> String {
    serde_json::to_string(result).unwrap()
}

fn entries(services: &Services) -> Vec<Entry> {
    services.audit.log().unwrap().tail(100).unwrap()
}

#[tokio::test]
async fn an_approved_plan_reaches_jamf_exactly_as_previewed() {
    let s = setup().await;
    let call = common::start_call(
        &s.client,
        "jamf_plan_os_update",
        json!({ "serials": ["C02000000001"] }),
    );
    let asked = common::pending(&s.services).await;
    assert_eq!(asked.tool, "jamf_plan_os_update");
    assert_eq!(asked.assistant.name, "rmcp", "the client's name");
    assert_eq!(asked.domain.as_deref(), Some(s.domain.as_str()));
    assert_eq!(asked.targets.len(), 1);
    assert_eq!(asked.targets[0].id, "2");
    assert_eq!(asked.targets[0].name, "Mac-00001");
    assert!(
        asked.summary.starts_with("schedule macOS "),
        "{}",
        asked.summary
    );
    assert!(
        s.mock.received().is_empty(),
        "nothing is sent before approval"
    );

    let plan = &asked.details["plans"][0];
    let version = plan["target_version"].as_str().unwrap().to_owned();
    let deadline = plan["deadline"].as_str().unwrap().to_owned();
    s.services
        .approvals
        .approve(&asked.id, None, &Actor::app())
        .await
        .unwrap();
    let result = call.await.unwrap();
    assert_ne!(result.is_error, Some(true), "{}", text(&result));

    let received = s.mock.received();
    let [Change::SoftwareUpdatePlan(plan)] = received.as_slice() else {
        panic!("expected exactly one plan: {received:?}");
    };
    assert_eq!(plan.devices, ["2"]);
    assert_eq!(plan.specific_version.as_deref(), Some(version.as_str()));
    assert_eq!(
        plan.force_install_local_date_time.as_deref(),
        Some(deadline.as_str())
    );

    // The audit: the person's approval, then the approved intent, then the outcome.
    let log = entries(&s.services);
    let at = |what: &dyn Fn(&Entry) -> bool| log.iter().position(what).unwrap();
    let approval = at(&|e| e.tool.as_deref() == Some("approval.approve"));
    let intent =
        at(&|e| e.kind == EntryKind::Intent && e.tool.as_deref() == Some("jamf_plan_os_update"));
    let outcome =
        at(&|e| e.kind == EntryKind::Outcome && e.tool.as_deref() == Some("jamf_plan_os_update"));
    assert!(approval < intent && intent < outcome, "{log:#?}");
    assert_eq!(log[intent].decision, Some(Decision::Approved));
    assert!(
        log[intent]
            .approval
            .as_deref()
            .is_some_and(|a| a.contains(&asked.id)),
        "{:?}",
        log[intent].approval
    );
    assert!(s.services.audit.log().unwrap().verify().unwrap().is_ok());
    assert!(!serde_json::to_string(&log).unwrap().contains(CANARY));
}

#[tokio::test]
async fn a_denied_or_unanswered_change_sends_nothing() {
    let s = setup().await;
    let call = common::start_call(
        &s.client,
        "jamf_blank_push",
        json!({ "computer_ids": ["2", "4"] }),
    );
    let asked = common::pending(&s.services).await;
    assert_eq!(asked.targets.len(), 2);
    s.services
        .approvals
        .deny(&asked.id, &Actor::app())
        .await
        .unwrap();
    let result = call.await.unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(
        text(&result).contains("denied by the person"),
        "{}",
        text(&result)
    );

    s.services.approvals.set_timeout(Duration::from_millis(200));
    let result = common::start_call(
        &s.client,
        "jamf_redeploy_framework",
        json!({ "computer_id": "2" }),
    )
    .await
    .unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(
        text(&result).contains("not approved within"),
        "{}",
        text(&result)
    );
    assert!(s.mock.received().is_empty());

    let decisions: Vec<_> = entries(&s.services)
        .into_iter()
        .filter(|e| e.kind == EntryKind::Intent && e.tool.as_deref() != Some("connect"))
        .map(|e| (e.tool.unwrap_or_default(), e.decision))
        .collect();
    assert_eq!(
        decisions,
        [
            ("jamf_blank_push".to_owned(), Some(Decision::Denied)),
            (
                "jamf_redeploy_framework".to_owned(),
                Some(Decision::TimedOut)
            ),
        ]
    );
}

/// Issue #12, item 14: a change nobody answered is not put to the person again at once: the
/// assistant retrying it in a loop is told so without a new card; another change is asked.
#[tokio::test]
async fn issue_12_an_unanswered_change_is_not_asked_again_at_once() {
    let s = setup().await;
    s.services.approvals.set_timeout(Duration::from_millis(200));
    let redeploy = json!({ "computer_id": "2" });
    let first = common::start_call(&s.client, "jamf_redeploy_framework", redeploy.clone())
        .await
        .unwrap();
    assert!(
        text(&first).contains("not approved within"),
        "{}",
        text(&first)
    );

    let cards = s.services.approvals.subscribe();
    for _ in 0..3 {
        let again = common::start_call(&s.client, "jamf_redeploy_framework", redeploy.clone())
            .await
            .unwrap();
        assert_eq!(again.is_error, Some(true));
        assert!(
            text(&again).contains("did not answer this a moment ago")
                && text(&again).contains("try again later")
                && text(&again).contains("nothing was changed"),
            "{}",
            text(&again)
        );
    }
    assert!(
        !cards.has_changed().unwrap(),
        "no new card for the same change"
    );

    // Another change is asked about as usual.
    let other = common::start_call(
        &s.client,
        "jamf_redeploy_framework",
        json!({ "computer_id": "4" }),
    );
    let card = common::pending(&s.services).await;
    assert_eq!(card.targets[0].id, "4");
    s.services
        .approvals
        .deny(&card.id, &Actor::app())
        .await
        .unwrap();
    assert!(text(&other.await.unwrap()).contains("denied by the person"));
    assert!(s.mock.received().is_empty());

    let log = entries(&s.services);
    let timeouts = log
        .iter()
        .filter(|e| e.tool.as_deref() == Some("approval.timeout"))
        .count();
    assert_eq!(timeouts, 1, "the person was asked once: {log:#?}");
    let retries: Vec<_> = log
        .iter()
        .filter(|e| e.kind == EntryKind::Intent && e.decision == Some(Decision::TimedOut))
        .map(|e| e.arguments.clone().unwrap_or_default()["refused"].clone())
        .collect();
    assert_eq!(retries.len(), 4, "{retries:?}");
    assert!(
        retries[1..]
            .iter()
            .all(|r| r.as_str().unwrap().starts_with("not asked again"))
    );
}

#[tokio::test]
async fn bad_arguments_are_refused_before_anyone_is_asked() {
    let s = setup().await;
    for (arguments, expected) in [
        (json!({ "serials": ["C02999999999"] }), "C02999999999"),
        (json!({}), "exactly one of"),
        (
            json!({ "serials": ["C02000000001"], "version": "15.77" }),
            "15.77",
        ),
        (
            json!({ "serials": ["C02000000001"], "deadline": "2020-01-01" }),
            "not in the future",
        ),
        (json!({ "group_id": "5" }), "group"),
    ] {
        let result = common::start_call(&s.client, "jamf_plan_os_update", arguments.clone())
            .await
            .unwrap();
        assert_eq!(result.is_error, Some(true), "{arguments}");
        assert!(
            text(&result).contains(expected),
            "{arguments}: {}",
            text(&result)
        );
    }
    assert!(s.services.approvals.pending().is_empty());
    assert!(s.mock.received().is_empty());
    let last = entries(&s.services).pop().unwrap();
    assert_eq!(last.decision, Some(Decision::RefusedInvalid));
}

#[tokio::test]
async fn the_app_plans_with_presence_as_the_approval() {
    let s = setup().await;
    let request: latchkey_broker::tools::jamf_changes::PlanOsUpdateRequest =
        serde_json::from_value(json!({ "computer_ids": ["2"], "deadline": "2099-01-31" })).unwrap();
    let preview = s.services.preview_os_update(&request).await.unwrap();
    assert!(
        preview.summary.contains("31 Jan 2099"),
        "{}",
        preview.summary
    );
    assert!(s.mock.received().is_empty(), "a preview sends nothing");
    let done = s.services.plan_os_update(request).await.unwrap();
    assert_eq!(done.created.len(), 1);
    let received = s.mock.received();
    let [Change::SoftwareUpdatePlan(plan)] = received.as_slice() else {
        panic!("expected exactly one plan: {received:?}");
    };
    assert_eq!(
        plan.force_install_local_date_time.as_deref(),
        Some("2099-01-31T17:00:00")
    );
    assert!(
        s.services.approvals.pending().is_empty(),
        "no card for the person's own request"
    );
}
