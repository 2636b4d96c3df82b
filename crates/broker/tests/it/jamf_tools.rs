//! The Jamf tools through the broker's MCP server, against the mock Jamf Pro server on
//! loopback: locked domains are refused (and audited as such), an unlocked domain answers
//! every tool, the fleet report matches the client's own and streams progress, locking
//! invalidates the token, and the client secret appears in no answer.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use latchkey_audit::{Decision, EntryKind};
use latchkey_broker::{LatchkeyServer, Target};
use latchkey_jamf::{Auth, ClientOptions, JamfClient, Secret};
use latchkey_jamf_mock::{Mock, MockConfig};
use latchkey_vault::{Account, Domain, NewCredential, Requester, SecretString};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, NumberOrString, ProgressNotificationParam,
    ProgressToken, RequestParamsMeta,
};
use rmcp::service::NotificationContext;
use rmcp::{ClientHandler, RoleClient};
use serde_json::{Value, json};

const CANARY: &str = "jamf-canary-secret-93be";

/// One progress notification: how far, out of how much.
type Step = (f64, Option<f64>);

/// A client that keeps the progress notifications it receives.
#[derive(Debug, Clone, Default)]
struct Progress(Arc<Mutex<Vec<Step>>>);

impl ClientHandler for Progress {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.0.lock().unwrap().push((params.progress, params.total));
    }
}

async fn call(
    client: &rmcp::service::RunningService<RoleClient, Progress>,
    tool: &'static str,
    arguments: Value,
) -> CallToolResult {
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object")
    };
    client
        .call_tool(CallToolRequestParams::new(tool).with_arguments(arguments))
        .await
        .unwrap()
}

fn text(result: &CallToolResult) -> String {
    serde_json::to_string(result).unwrap()
}

/// A mock Jamf Pro with `computers` Macs, and broker services (their SOFA feed from `sofa`)
/// holding its credential, still locked; the person at any prompt approves.
async fn jamf_behind(
    sofa: Arc<latchkey_broker::SofaService>,
    computers: usize,
) -> (Mock, latchkey_broker::Services, Domain) {
    let mock = Mock::start(MockConfig {
        computers,
        client_secret: CANARY.into(),
        ..MockConfig::default()
    })
    .await;
    let services = common::services_with(sofa);
    let services = latchkey_broker::Services::new(
        services.sofa,
        Arc::new(latchkey_broker::CredentialService::new(
            Arc::new(latchkey_vault::MemoryStore::new()),
            Arc::new(common::TestPresence::approving()),
        )),
        services.assistants,
        services.audit,
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
    (mock, services, added.domain)
}

/// Issue #17's notifications: a fleet report counting more Macs overdue than the domain's
/// report before it is a notice (the app shows it); the first report, and one with fewer, are
/// not.
#[tokio::test]
async fn a_fleet_gaining_overdue_macs_is_a_notice() {
    let (_mock, services, domain) = jamf_behind(common::fixture_sofa(), 200).await;
    services
        .credentials
        .unlock(Target::One(domain.clone()), None, Requester::App, None)
        .await
        .unwrap();
    let mut notices = services.notices.subscribe();
    let report = |days: u32| {
        let services = services.clone();
        let domain = domain.clone();
        async move {
            services.sofa.set_update_sla(latchkey_sofa::UpdateSla {
                actively_exploited_days: days,
                standard_days: days,
                major_upgrade_days: days,
            });
            services
                .jamf
                .fleet_report(&domain, true, &|_| {})
                .await
                .unwrap()
        }
    };
    // Generous deadlines first: fewer Macs overdue, and no report before to compare with.
    let lenient = report(3650).await;
    let strict = report(1).await;
    assert!(
        strict.overdue > lenient.overdue,
        "{} vs {}",
        strict.overdue,
        lenient.overdue
    );
    let notice = notices
        .try_recv()
        .expect("a notice for the Macs newly overdue");
    let more = strict.overdue - lenient.overdue;
    assert!(
        notice.title.starts_with(&format!("{more} more Mac")),
        "{notice:?}"
    );
    assert!(
        notice
            .title
            .ends_with(&format!("overdue on {}", strict.server)),
        "{notice:?}"
    );
    assert_eq!(notice.page, "credentials");
    // The same count again, or fewer: nothing more to say.
    report(1).await;
    report(3650).await;
    assert!(notices.try_recv().is_err());
}

#[tokio::test]
async fn jamf_tools_need_an_unlocked_domain_and_answer_from_the_server() {
    let (mock, services, domain) = jamf_behind(common::fixture_sofa(), 450).await;
    let credentials = Arc::clone(&services.credentials);
    let log = services.audit.log().unwrap();
    let progress = Progress::default();
    let client = common::client_with(
        progress.clone(),
        LatchkeyServer::new(services.clone(), None),
    )
    .await;

    // Locked: refused before anything reaches Jamf, and recorded as refused.
    let refused = call(&client, "jamf_fleet_security_report", json!({})).await;
    assert_eq!(refused.is_error, Some(true));
    assert!(
        text(&refused).contains(&format!(
            "domain {domain} is locked — unlock it from the Latchkey menu"
        )),
        "{}",
        text(&refused)
    );
    assert_eq!(mock.tokens_issued(), 0);
    let last = log.tail(1).unwrap().pop().unwrap();
    assert_eq!(last.kind, EntryKind::Intent);
    assert_eq!(last.decision, Some(Decision::RefusedLocked));
    assert_eq!(last.domain.as_deref(), Some(domain.as_str()));

    credentials
        .unlock(Target::One(domain.clone()), None, Requester::App, None)
        .await
        .unwrap();

    // The fleet report, with progress, equal to what the client itself computes.
    let mut params = CallToolRequestParams::new("jamf_fleet_security_report")
        .with_arguments(json!({ "limit": 5 }).as_object().unwrap().clone());
    params.set_progress_token(ProgressToken(NumberOrString::Number(7)));
    let fleet = client.call_tool(params).await.unwrap();
    assert_ne!(fleet.is_error, Some(true), "{}", text(&fleet));
    let report = fleet.structured_content.clone().unwrap();
    let macos = services.jamf.macos_feed().await;
    let direct = JamfClient::new(
        &mock.url(),
        Auth::Client {
            client_id: "latchkey-test".into(),
            client_secret: Secret::new(CANARY.into()),
        },
        ClientOptions::default(),
    )
    .unwrap()
    .fleet_security_report(macos.currency(), &|_| {})
    .await
    .unwrap();
    for count in [
        "total",
        "current",
        "behind",
        "end_of_life",
        "unknown_version",
        "unreadable",
        "missing_exploited_fixes",
    ] {
        assert_eq!(
            report[count],
            serde_json::to_value(&direct).unwrap()[count],
            "{count}"
        );
    }
    assert_eq!(report["total"], 450);
    assert!(report["macos_currency_unavailable"].is_null());
    let judged_by = report["macos_feed"]["source"].as_str().unwrap();
    assert!(judged_by.ends_with("macos_data_feed.json"), "{judged_by}");
    assert_eq!(report["computers"].as_array().unwrap().len(), 5);
    assert_eq!(report["computers_omitted"], 445);
    let last = log.tail(2).unwrap();
    assert_eq!(last[0].decision, Some(Decision::Allowed));
    assert_eq!(last[0].domain.as_deref(), Some(domain.as_str()));
    let seen = progress.0.lock().unwrap().clone();
    assert!(!seen.is_empty(), "no progress notifications");
    assert_eq!(seen.last().unwrap(), &(450.0, Some(450.0)));

    // Every other tool answers, structured, and without the secret.
    let mac = &direct.computers[0];
    let serial = mac.serial.clone().unwrap();
    let calls = [
        ("jamf_search_computers", json!({ "text": "Mac-0001" })),
        ("jamf_computer_inventory", json!({ "serial": serial })),
        (
            "jamf_computer_security",
            json!({ "id": mac.id, "domain": domain.authority() }),
        ),
        ("jamf_computer_history", json!({ "serial": serial })),
        ("jamf_mobile_devices", json!({})),
        ("jamf_policies", json!({})),
        ("jamf_configuration_profiles", json!({})),
        ("jamf_smart_groups", json!({ "domain": domain.as_str() })),
    ];
    for (tool, arguments) in calls {
        let answer = call(&client, tool, arguments).await;
        assert_ne!(answer.is_error, Some(true), "{tool}: {}", text(&answer));
        assert!(answer.structured_content.is_some(), "{tool}");
        assert!(!text(&answer).contains(CANARY), "{tool} leaked the secret");
    }
    let search = call(
        &client,
        "jamf_search_computers",
        json!({ "text": "Mac-0001" }),
    )
    .await;
    let found = search.structured_content.unwrap();
    assert_eq!(found["total"], 10, "Mac-00010 … Mac-00019: {found}");
    let security = call(
        &client,
        "jamf_computer_security",
        json!({ "serial": serial }),
    )
    .await;
    let security = security.structured_content.unwrap();
    assert_eq!(security["computer"]["serial"], json!(serial));
    assert_eq!(
        security["os"]["missing_exploited_cves"],
        json!(mac.missing_exploited_cves)
    );

    // Bad input is refused with what is wrong, before any request.
    let bad = call(
        &client,
        "jamf_computer_security",
        json!({ "serial": "C02-12" }),
    )
    .await;
    assert_eq!(bad.is_error, Some(true));
    assert!(text(&bad).contains("serial number"), "{}", text(&bad));
    let neither = call(&client, "jamf_computer_history", json!({})).await;
    assert!(text(&neither).contains("serial or id is required"));
    let unknown = call(
        &client,
        "jamf_policies",
        json!({ "domain": "nope.example.com" }),
    )
    .await;
    assert!(
        text(&unknown).contains("jamf:nope.example.com is not a Jamf Pro domain"),
        "{}",
        text(&unknown)
    );

    // Locking forgets the client and invalidates its token on the server.
    tokio::spawn(Arc::clone(&services.jamf).forget_locked());
    tokio::task::yield_now().await;
    credentials.lock(&Target::All);
    let invalidated = async {
        while mock.count("POST /api/v1/auth/invalidate-token") == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), invalidated)
        .await
        .expect("the token was not invalidated when the domain locked");
    let again = call(&client, "jamf_smart_groups", json!({})).await;
    assert!(text(&again).contains("is locked"));
    client.cancel().await.unwrap();
}

/// Without a reachable feed the security reports still give everything Jamf knows, leave macOS
/// unjudged (never "current" or "0 behind") and say why and what to do.
#[tokio::test]
async fn without_a_feed_jamf_reports_stand_and_leave_macos_unjudged() {
    let sofa = common::sofa_from(latchkey_sofa::fetch::FeedSource::File(
        "/nonexistent/sofa-feed.json".into(),
    ));
    let (_mock, services, domain) = jamf_behind(sofa, 12).await;
    services
        .credentials
        .unlock(Target::One(domain.clone()), None, Requester::App, None)
        .await
        .unwrap();
    let client = common::client_with(
        Progress::default(),
        LatchkeyServer::new(services.clone(), None),
    )
    .await;

    let fleet = call(&client, "jamf_fleet_security_report", json!({})).await;
    assert_ne!(fleet.is_error, Some(true), "{}", text(&fleet));
    let report = fleet.structured_content.unwrap();
    let why = report["macos_currency_unavailable"].as_str().unwrap();
    assert!(why.starts_with("macOS currency unavailable: "), "{why}");
    assert!(why.contains("LATCHKEY_SOFA_FEED"), "{why}");
    assert!(report["macos_feed"].is_null());
    assert_eq!(report["total"], 12);
    for judged in ["current", "behind", "end_of_life", "unknown_version"] {
        assert_eq!(report[judged], 0, "{judged}");
    }
    assert_eq!(
        report["not_judged"].as_u64().unwrap() + report["unreadable"].as_u64().unwrap(),
        12
    );
    let rows = report["computers"].as_array().unwrap();
    assert!(rows.iter().all(|r| r["missing_cves"].is_null()), "{report}");
    let row = rows.iter().find(|r| r["state"] == "not_judged").unwrap();
    assert!(row["last_contact"].is_string(), "{row}");

    let id = row["id"].as_str().unwrap().to_owned();
    let one = call(&client, "jamf_computer_security", json!({ "id": id })).await;
    assert_ne!(one.is_error, Some(true), "{}", text(&one));
    let one = one.structured_content.unwrap();
    assert!(one["filevault"].is_object());
    assert!(one["sip_status"].is_string(), "{one}");
    assert_eq!(one["findings"][0].as_str().unwrap(), why, "{one}");
    client.cancel().await.unwrap();
}

/// Issue #15: testing a stored credential reports what its account may do beyond Latchkey's
/// needs (the mock's account is a full administrator), and never the secret.
#[tokio::test]
async fn a_connection_test_reports_an_over_privileged_account() {
    let (mock, services, domain) = jamf_behind(common::fixture_sofa(), 3).await;
    let stored = services.credentials.list().await.unwrap();
    let id = &stored.iter().find(|m| m.domain == domain).unwrap().id;
    let check = services
        .jamf
        .test_connection(id, Requester::App)
        .await
        .unwrap();
    assert_eq!(mock.count("GET /api/v1/auth"), 1);
    let privileges = check.privileges.as_ref().expect("the mock says");
    assert!(privileges.over_privileged);
    assert!(
        privileges
            .summary
            .starts_with("this account is a full Jamf Pro administrator"),
        "{}",
        privileges.summary
    );
    assert!(!serde_json::to_string(&check).unwrap().contains(CANARY));
}
