//! Contract tests: the Jamf client against Prism serving Jamf's own published API schemas
//! (Jamf Pro 11.30.1). Prism answers 422 to any request that breaks the schema and serves
//! Jamf's documentation examples, so a passing test means every request the client made is one
//! a real Jamf Pro accepts the shape of, and the client parses Jamf's own example answers.
//! Needs `scripts/setup.sh --test` (Prism) and `../shared/fixtures/jamf`; skipped without them
//! outside CI. How Prism is run: `harness.rs`.

/// The calls that change something, against the same Prism.
mod changes;
mod harness;

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use crate::support::by;
use harness::{Api, Exchange, Mock, Paths};
use latchkey_jamf::{
    Auth, ClientOptions, ComputerRef, ComputerSearch, FleetProgress, JamfClient,
    MobileDeviceSearch, Secret, Section, SerialNumber,
};
use latchkey_sofa::IndexedFeed;
use serde_json::{Value, json};

/// `ps` for the processes of a process group (Linux and macOS alike).
fn group_members(pgid: u32) -> Vec<u32> {
    let out = std::process::Command::new("ps")
        .args(["-A", "-o", "pid=,pgid="])
        .output()
        .expect("ps");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut cols = l.split_whitespace().map(str::parse::<u32>);
            match (cols.next(), cols.next()) {
                (Some(Ok(pid)), Some(Ok(group))) if group == pgid => Some(pid),
                _ => None,
            }
        })
        .collect()
}

#[test]
fn adjusted_pro_schema_is_rooted_at_api_and_opens_the_token_endpoint() {
    let Some(paths) = harness::locate() else {
        return;
    };
    let raw = std::fs::read(paths.pro_schema()).expect("schema");
    let original: Value = serde_json::from_slice(&raw).expect("schema JSON");
    let adjusted = harness::adjust_pro_schema(original.clone());
    let before = original["paths"].as_object().expect("paths");
    let after = adjusted["paths"].as_object().expect("paths");
    assert_eq!(before.len(), after.len());
    assert!(
        after.keys().all(|p| p.starts_with("/api/")),
        "every path under /api"
    );
    assert_eq!(adjusted["servers"], serde_json::json!([{ "url": "/" }]));
    assert_eq!(
        adjusted["paths"]["/api/v1/oauth/token"]["post"]["security"],
        serde_json::json!([])
    );
    // Basic auth stays required where Jamf says so; everything else keeps the global bearer.
    assert_eq!(
        adjusted["paths"]["/api/v1/auth/token"]["post"]["security"],
        serde_json::json!([{ "BasicAuth": [] }])
    );
    assert!(
        adjusted["paths"]["/api/v1/computers-inventory"]["get"]
            .get("security")
            .is_none()
    );
    assert!(adjusted["security"].is_array());
}

/// The check Prism does not make: every query parameter must be one the operation declares.
/// Privileges only Classic API endpoints require, so the Jamf Pro API schema never names them
/// (Jamf's documentation does).
const CLASSIC_ONLY: &[&str] = &["Read macOS Configuration Profiles"];

/// Issue #15: the privileges `latchkey jamf privileges` lists are the ones Jamf's schema
/// states for each Jamf Pro API endpoint; the Classic API's (which its schema does not state)
/// are names Jamf uses.
#[test]
fn the_minimal_role_matches_the_privileges_jamfs_schema_requires() {
    let Some(paths) = harness::locate() else {
        return;
    };
    let raw = std::fs::read(paths.pro_schema()).expect("schema");
    let schema: Value = serde_json::from_slice(&raw).expect("schema JSON");
    let required = |op: &Value| -> BTreeSet<String> {
        op["x-required-privileges"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|p| p.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut vocabulary = BTreeSet::new();
    for item in schema["paths"].as_object().expect("paths").values() {
        for op in item.as_object().expect("operations").values() {
            vocabulary.extend(required(op));
        }
    }
    for name in CLASSIC_ONLY {
        assert!(
            !vocabulary.contains(*name),
            "{name} is in the schema now: drop it from CLASSIC_ONLY"
        );
    }
    for tool in latchkey_jamf::TOOLS {
        for endpoint in tool.endpoints {
            let ours: BTreeSet<String> = endpoint
                .privileges
                .iter()
                .map(|p| (*p).to_owned())
                .collect();
            if endpoint.path.starts_with("/JSSResource/") {
                let unknown: Vec<&String> = ours
                    .iter()
                    .filter(|p| !vocabulary.contains(*p) && !CLASSIC_ONLY.contains(&p.as_str()))
                    .collect();
                assert!(
                    unknown.is_empty(),
                    "{} {}: {unknown:?}",
                    tool.tool,
                    endpoint.path
                );
                continue;
            }
            let op = &schema["paths"][endpoint.path][endpoint.method.to_ascii_lowercase()];
            assert!(
                op.is_object(),
                "{} {} is not in the schema",
                endpoint.method,
                endpoint.path
            );
            assert_eq!(ours, required(op), "{} {}", endpoint.method, endpoint.path);
        }
    }
}

#[test]
fn undeclared_query_parameters_are_found() {
    let Some(paths) = harness::locate() else {
        return;
    };
    let schema = harness::pro_schema(&paths);
    let check = |method: &str, target: &str| harness::undeclared_query(schema, method, target);
    let list = "/api/v4/computers-inventory?section=GENERAL&page=0&page-size=1&sort=id%3Aasc";
    assert_eq!(check("GET", list), Vec::<String>::new());
    assert_eq!(
        check("GET", &format!("{list}&pagesize=5&x=1")),
        ["pagesize", "x"]
    );
    assert_eq!(
        check("GET", "/api/v4/computers-inventory/12?section=HARDWARE"),
        Vec::<String>::new()
    );
    // The detail endpoint takes no paging.
    assert_eq!(
        check("GET", "/api/v4/computers-inventory/12?page=0"),
        ["page"]
    );
    assert_eq!(check("GET", "/api/v1/jamf-pro-version?foo=1"), ["foo"]);
    assert_eq!(
        check(
            "GET",
            "/api/v2/mobile-devices?page=0&page-size=5&sort=id%3Aasc"
        ),
        Vec::<String>::new()
    );
    assert_eq!(check("POST", "/api/v1/oauth/token"), Vec::<String>::new());
}

#[test]
fn adjusted_classic_swagger_is_rooted_at_jssresource() {
    let Some(paths) = harness::locate() else {
        return;
    };
    let raw = std::fs::read_to_string(paths.classic_schema()).expect("swagger");
    let adjusted = harness::adjust_classic_swagger(&raw);
    assert!(adjusted.contains("\nbasePath: /\n"));
    assert!(adjusted.contains("\n  /JSSResource/policies:\n"));
    assert!(adjusted.contains("\n  '/JSSResource/computerhistory/serialnumber/{serialnumber}':\n"));
    assert!(!adjusted.contains("\n  '/policies/id/{id}':\n"));
    assert_eq!(raw.lines().count(), adjusted.lines().count());
}

/// The harness itself: Prism rejects what breaks the schema, accepts what keeps it, logs
/// the rejection, and leaves no process behind when dropped.
#[tokio::test]
async fn prism_validates_requests_and_is_gone_when_dropped() {
    let Some(paths) = harness::locate() else {
        return;
    };
    let prism = tokio::task::spawn_blocking(move || harness::start(&paths, Api::Pro))
        .await
        .expect("start Prism");
    let base = format!("http://{}", prism.addr);
    let http = reqwest::Client::new();
    let get = |path: &str| {
        http.get(format!("{base}{path}"))
            .bearer_auth("contract-test-token")
            .timeout(Duration::from_secs(30))
            .send()
    };

    let bogus = get("/api/v1/computers-inventory?section=BOGUS")
        .await
        .expect("request");
    assert_eq!(
        bogus.status().as_u16(),
        422,
        "section=BOGUS breaks the schema"
    );
    let problem: Value = bogus.json().await.expect("problem JSON");
    assert_eq!(
        problem["validation"][0]["location"],
        serde_json::json!(["query", "section", "0"])
    );

    let valid = get("/api/v1/computers-inventory?section=GENERAL&page=0&page-size=1")
        .await
        .expect("request");
    assert_eq!(valid.status().as_u16(), 200);
    let page: Value = valid.json().await.expect("inventory JSON");
    assert!(
        page["totalCount"].is_u64() && page["results"].is_array(),
        "{page}"
    );

    let filtered = get("/api/v1/computers-inventory?filter=general.name%3D%3D%22Jane%27s%20Mac%22")
        .await
        .expect("request");
    assert_eq!(filtered.status().as_u16(), 200);

    let unauthenticated = http
        .get(format!("{base}/api/v1/jamf-pro-version"))
        .send()
        .await
        .expect("request");
    assert_eq!(
        unauthenticated.status().as_u16(),
        401,
        "the bearer requirement is enforced"
    );

    let token = http
        .post(format!("{base}/api/v1/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "a"),
            ("client_secret", "b"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(
        token.status().as_u16(),
        200,
        "the token endpoint needs no prior token"
    );
    let missing_secret = http
        .post(format!("{base}/api/v1/oauth/token"))
        .form(&[("grant_type", "client_credentials"), ("client_id", "a")])
        .send()
        .await
        .expect("request");
    assert!(
        [400, 422].contains(&missing_secret.status().as_u16()),
        "a token request without client_secret breaks the schema: {}",
        missing_secret.status()
    );

    let log = prism.log_text();
    assert!(
        log.contains("Request terminated with error")
            && log.contains("UNPROCESSABLE_ENTITY")
            && log.contains("section.0 must be equal to one of the allowed values"),
        "Prism's log names the rejected request:\n{log}"
    );

    let pgid = prism.pgid();
    let members = group_members(pgid);
    assert!(
        members.len() >= 2,
        "the watchdog and Prism share a group: {members:?}"
    );
    tokio::task::spawn_blocking(move || drop(prism))
        .await
        .expect("stop Prism");
    assert_eq!(
        group_members(pgid),
        Vec::<u32>::new(),
        "Prism left processes behind"
    );
}

/// The proxy each client test runs against records Prism's verdict on every request, routes
/// `/JSSResource` to the Classic API's Prism, and relays answers unchanged.
#[tokio::test]
async fn proxy_records_prism_verdicts() {
    let Some(paths) = harness::locate() else {
        return;
    };
    let mock = Mock::start(&paths).await;
    let http = reqwest::Client::new();
    for path in [
        "/api/v1/computers-inventory?section=BOGUS",
        "/api/v1/computers-inventory?section=GENERAL",
        "/JSSResource/policies/id/not-a-number",
        "/JSSResource/policies",
        "/api/v1/jamf-pro-version?pagesize=1",
    ] {
        http.get(format!("{}{path}", mock.base_url))
            .bearer_auth("contract-test-token")
            .header("accept", "application/json")
            .send()
            .await
            .expect("request");
    }
    let x = mock.exchanges();
    let summary: Vec<(Api, u16)> = x.iter().map(|e| (e.api, e.status)).collect();
    assert_eq!(
        summary,
        [
            (Api::Pro, 422),
            (Api::Pro, 200),
            (Api::Classic, 422),
            (Api::Classic, 200),
            (Api::Pro, 200)
        ],
        "{x:#?}"
    );
    // Prism lets an unknown parameter through; the proxy notes it.
    assert_eq!(x[4].undeclared, ["pagesize"]);
    assert!(x[..4].iter().all(|e| e.undeclared.is_empty()));
    assert!(
        !x[3].canned,
        "no Classic answer was given, so Prism's empty body is relayed"
    );
    assert!(x[0].body.contains("UNPROCESSABLE_ENTITY"));
    // Jamf's own ComputerInventory example breaks Jamf's schema; Prism says so in a header.
    assert!(x[1].request_violations().is_empty());
    assert!(
        x[1].response_violations()
            .iter()
            .any(|v| v.to_string().contains("userManagementInfo")),
        "{:?}",
        x[1].violations
    );
}

// ---------------------------------------------------------------------------------------------
// The client against Prism. Every test asserts that each request the client made was accepted
// (2xx, no request violation) and that the client parsed Jamf's example answer. The values
// checked come from the examples in Jamf's schema (computer "Boalime", serial C02ZC2QYLVDL,
// totalCount 3 with one result per page, Jamf Pro "10.9.0").

/// Serial number in Jamf's ComputerInventory example.
const EXAMPLE_SERIAL: &str = "C02ZC2QYLVDL";

/// One test's client, proxy and fixtures.
struct Contract {
    paths: Paths,
    mock: Mock,
    client: JamfClient,
}

impl Contract {
    /// `None` (skipped) without Prism or the fixtures outside CI.
    async fn start(options: ClientOptions) -> Option<Contract> {
        Self::start_as(
            Auth::Client {
                client_id: "latchkey-contract".into(),
                client_secret: Secret::new("contract-test-secret".into()),
            },
            options,
        )
        .await
    }

    async fn start_as(auth: Auth, options: ClientOptions) -> Option<Contract> {
        let paths = harness::locate()?;
        let mock = Mock::start(&paths).await;
        let client = JamfClient::new(&mock.base_url, auth, options).expect("client");
        Some(Contract {
            paths,
            mock,
            client,
        })
    }

    fn feed(&self) -> IndexedFeed {
        let bytes = std::fs::read(self.paths.sofa_feed()).expect("SOFA feed");
        IndexedFeed::from_slice(&bytes).expect("SOFA feed parses")
    }
}

/// Fails with the client's error and what Prism saw, so a parse failure names the endpoint.
fn ok<T, E: std::fmt::Display>(what: &str, mock: &Mock, result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| {
        let seen: Vec<String> = mock.exchanges().iter().map(|x| x.to_string()).collect();
        panic!("{what} failed: {e}\nrequests:\n{}", seen.join("\n"))
    })
}

/// The query of an exchange, decoded, in order.
fn query(x: &Exchange) -> Vec<(String, String)> {
    let url = reqwest::Url::parse(&format!("http://mock{}", x.target)).expect("target");
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param(x: &Exchange, key: &str) -> Option<String> {
    query(x).into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn sections(x: &Exchange) -> BTreeSet<String> {
    query(x)
        .into_iter()
        .filter(|(k, _)| k == "section")
        .map(|(_, v)| v)
        .collect()
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Paths (no query) of the exchanges, in order.
fn route(all: &[Exchange]) -> Vec<String> {
    all.iter()
        .map(|x| {
            format!(
                "{} {}",
                x.method,
                x.target.split('?').next().unwrap_or_default()
            )
        })
        .collect()
}

#[tokio::test]
async fn check_connection_with_an_api_client() {
    let Some(t) = Contract::start(ClientOptions::default()).await else {
        return;
    };
    let check = ok(
        "check_connection",
        &t.mock,
        t.client.check_connection().await,
    );
    let all = t.mock.assert_all_accepted();
    assert_eq!(
        route(&all),
        [
            "POST /api/v1/oauth/token",
            "GET /api/v1/jamf-pro-version",
            "GET /api/v1/auth",
            "GET /api/v4/computers-inventory"
        ]
    );
    // Prism's example account: an administrator holding "Read SSO Settings" and "Delete eBooks"
    // (issue #15).
    let privileges = check
        .privileges
        .as_ref()
        .expect("GET /api/v1/auth answered");
    assert_eq!(privileges.privilege_set.as_deref(), Some("ADMINISTRATOR"));
    assert_eq!(privileges.beyond, ["Delete eBooks", "Read SSO Settings"]);
    assert!(privileges.over_privileged);
    assert_eq!(check.token_endpoint, "/api/v1/oauth/token");
    assert_eq!(check.auth, "API client");
    assert_eq!(check.version.as_deref(), Some("10.9.0"));
    assert_eq!(check.inventory_api, "v4");
    assert_eq!(check.computers, Some(3));
    assert_eq!(sections(&all[3]), names(&["GENERAL"]));
    assert_eq!(param(&all[3], "page-size").as_deref(), Some("1"));

    // Invalidation is best effort and swallows errors, so Prism's verdict is checked here.
    t.client.invalidate_token().await;
    let all = t.mock.assert_all_accepted();
    assert_eq!(
        route(&all).last().map(String::as_str),
        Some("POST /api/v1/auth/invalidate-token")
    );
}

#[tokio::test]
async fn check_connection_with_a_user_account() {
    let auth = Auth::User {
        username: "latchkey-contract".into(),
        password: Secret::new("contract-test-password".into()),
    };
    let Some(t) = Contract::start_as(auth, ClientOptions::default()).await else {
        return;
    };
    let check = ok(
        "check_connection",
        &t.mock,
        t.client.check_connection().await,
    );
    let all = t.mock.assert_all_accepted();
    assert_eq!(
        route(&all)[0],
        "POST /api/v1/auth/token",
        "basic auth, as the schema requires"
    );
    assert_eq!(check.token_endpoint, "/api/v1/auth/token");
    assert_eq!(check.auth, "user account");
    assert_eq!(check.computers, Some(3));
}

#[tokio::test]
async fn search_computers_with_quotes_and_special_characters_in_the_filter() {
    let Some(t) = Contract::start(ClientOptions::default()).await else {
        return;
    };
    let search = ComputerSearch {
        text: Some(r#"O'Brien "Mac" (2), a;b & c=d \ 100% é"#.into()),
        name: Some(r#"Jane's "Studio"=="x" or id!=1"#.into()),
        serial: Some(SerialNumber::parse(EXAMPLE_SERIAL).expect("serial")),
        username: Some("jane.o'neil".into()),
        email: Some("jane+test@example.com".into()),
        page: 0,
        page_size: 5,
    };
    let expected = search.filter().expect("filter").expect("some filter");
    let page = ok(
        "search_computers",
        &t.mock,
        t.client.search_computers(&search).await,
    );
    let all = t.mock.assert_all_accepted();
    assert_eq!(
        route(&all),
        [
            "POST /api/v1/oauth/token",
            "GET /api/v4/computers-inventory"
        ]
    );
    let list = &all[1];
    assert_eq!(
        param(list, "filter").as_deref(),
        Some(expected.as_str()),
        "the filter arrives intact"
    );
    assert_eq!(
        sections(list),
        names(&[
            "GENERAL",
            "HARDWARE",
            "OPERATING_SYSTEM",
            "USER_AND_LOCATION"
        ])
    );
    assert_eq!(param(list, "page").as_deref(), Some("0"));
    assert_eq!(param(list, "page-size").as_deref(), Some("5"));
    assert_eq!(param(list, "sort").as_deref(), Some("id:asc"));

    assert_eq!(page.inventory_api, "v4");
    assert_eq!(page.total, 3);
    assert_eq!((page.page, page.page_size), (0, 5));
    let first = page.computers.first().expect("a computer");
    assert_eq!(first.id, "1");
    assert_eq!(first.name.as_deref(), Some("Boalime"));
    assert_eq!(first.serial.as_deref(), Some(EXAMPLE_SERIAL));
    assert_eq!(
        first.os_version.as_deref().map(|v| v.starts_with("10.9.5")),
        Some(true)
    );
    assert!(first.last_contact.is_some());
}

#[tokio::test]
async fn computer_inventory_by_id_with_explicit_sections() {
    let Some(t) = Contract::start(ClientOptions::default()).await else {
        return;
    };
    let wanted = [
        Section::Hardware,
        Section::OperatingSystem,
        Section::Security,
        Section::DiskEncryption,
        Section::Applications,
        Section::ExtensionAttributes,
        // v1 only: the client leaves it out on v4.
        Section::Plugins,
    ];
    let target = ComputerRef::id("1").expect("id");
    let inventory = ok(
        "computer_inventory",
        &t.mock,
        t.client.computer_inventory(&target, &wanted).await,
    );
    let all = t.mock.assert_all_accepted();
    assert_eq!(
        route(&all),
        [
            "POST /api/v1/oauth/token",
            "GET /api/v4/computers-inventory",
            "GET /api/v4/computers-inventory/1"
        ]
    );
    assert_eq!(
        sections(&all[2]),
        names(&[
            "GENERAL",
            "HARDWARE",
            "OPERATING_SYSTEM",
            "SECURITY",
            "DISK_ENCRYPTION",
            "APPLICATIONS",
            "EXTENSION_ATTRIBUTES"
        ])
    );
    assert_eq!(inventory.inventory_api, "v4");
    assert_eq!(inventory.summary.id, "1");
    assert_eq!(inventory.summary.serial.as_deref(), Some(EXAMPLE_SERIAL));
    let keys: BTreeSet<&str> = inventory.sections.keys().map(String::as_str).collect();
    for key in [
        "general",
        "hardware",
        "operatingSystem",
        "security",
        "diskEncryption",
        "applications",
    ] {
        assert!(keys.contains(key), "section {key} missing from {keys:?}");
    }
    assert!(!keys.contains("plugins"));
}

/// Every section the client knows is one Jamf's v4 schema accepts (after the client drops the
/// v1-only ones).
#[tokio::test]
async fn computer_inventory_with_every_section() {
    let Some(t) = Contract::start(ClientOptions::default()).await else {
        return;
    };
    let target = ComputerRef::id("1").expect("id");
    let inventory = ok(
        "computer_inventory",
        &t.mock,
        t.client.computer_inventory(&target, &Section::ALL).await,
    );
    let all = t.mock.assert_all_accepted();
    let asked = sections(all.last().expect("record request"));
    let expected: BTreeSet<String> = Section::ALL
        .iter()
        .filter(|s| !matches!(s, Section::Plugins | Section::Fonts))
        .map(|s| s.api_name().to_owned())
        .collect();
    assert_eq!(asked, expected);
    assert!(
        inventory.sections.len() >= 15,
        "{:?}",
        inventory.sections.keys()
    );
}

#[tokio::test]
async fn computer_inventory_by_serial() {
    let Some(t) = Contract::start(ClientOptions::default()).await else {
        return;
    };
    let target = ComputerRef::serial(&EXAMPLE_SERIAL.to_lowercase()).expect("serial");
    let inventory = ok(
        "computer_inventory",
        &t.mock,
        t.client
            .computer_inventory(&target, &[Section::Hardware, Section::UserAndLocation])
            .await,
    );
    let all = t.mock.assert_all_accepted();
    assert_eq!(
        route(&all),
        [
            "POST /api/v1/oauth/token",
            "GET /api/v4/computers-inventory"
        ]
    );
    assert_eq!(
        param(&all[1], "filter").as_deref(),
        Some(format!(r#"hardware.serialNumber=="{EXAMPLE_SERIAL}""#).as_str())
    );
    assert_eq!(param(&all[1], "page-size").as_deref(), Some("1"));
    assert_eq!(
        sections(&all[1]),
        names(&["GENERAL", "HARDWARE", "USER_AND_LOCATION"])
    );
    assert_eq!(inventory.summary.serial.as_deref(), Some(EXAMPLE_SERIAL));
    assert!(inventory.sections.contains_key("userAndLocation"));
}

#[tokio::test]
async fn computer_security_by_serial_against_a_real_sofa_feed() {
    let Some(t) = Contract::start(ClientOptions::default()).await else {
        return;
    };
    let feed = t.feed();
    let target = ComputerRef::serial(EXAMPLE_SERIAL).expect("serial");
    let security = ok(
        "computer_security",
        &t.mock,
        t.client.computer_security(&target, by(&feed)).await,
    );
    let all = t.mock.assert_all_accepted();
    assert_eq!(
        route(&all),
        [
            "POST /api/v1/oauth/token",
            "GET /api/v4/computers-inventory"
        ]
    );
    assert_eq!(
        sections(&all[1]),
        names(&[
            "GENERAL",
            "HARDWARE",
            "OPERATING_SYSTEM",
            "SECURITY",
            "DISK_ENCRYPTION",
            "USER_AND_LOCATION"
        ])
    );
    assert_eq!(security.inventory_api, "v4");
    assert_eq!(security.computer.serial.as_deref(), Some(EXAMPLE_SERIAL));
    // Jamf's example Mac runs OS X 10.9.5, which no SOFA feed covers.
    assert!(
        security
            .os
            .version
            .as_deref()
            .is_some_and(|v| v.starts_with("10.9.5"))
    );
    assert_eq!(security.os.state, latchkey_sofa::DeviceState::EndOfLife);
    assert!(
        security.sip_status.is_some() && security.gatekeeper_status.is_some(),
        "{security:?}"
    );
    assert!(!security.findings.is_empty());
}

/// Jamf's Classic JSON for a computer's history, with the values of the Classic mock in
/// `../shared/fixtures/jamf/examples/deploymenttheory-go-sdk-jamfpro-v2/` (XML there).
fn classic_history() -> Value {
    json!({"computer_history": {
        "general": {"id": 1, "name": "Test-MacBook-Pro", "udid": "00000000-0000-0000-0000-000000000001",
                    "serial_number": "C02XYZ123456", "mac_address": "00:11:22:33:44:55"},
        "computer_usage_logs": [{"event": "Login", "username": "admin", "date_time": "2024-01-15 10:30:00",
                                 "date_time_epoch": 1_705_312_200, "date_time_utc": "2024-01-15T10:30:00Z"}],
        "audits": [{"event": "Policy executed", "username": "jamfadmin", "date_time": "2024-01-15 09:00:00",
                    "date_time_epoch": 1_705_308_000, "date_time_utc": "2024-01-15T09:00:00Z"}],
        "policy_logs": [{"policy_id": 1, "policy_name": "Test Policy", "username": "jamfadmin",
                         "date_time": "2024-01-15 09:00:00", "date_time_epoch": 1_705_308_000,
                         "date_time_utc": "2024-01-15T09:00:00Z", "status": "Completed"}],
        "commands": {"completed": [{"name": "Update Inventory", "status": "Completed",
                                    "issued": "2024-01-15 08:00:00", "issued_epoch": 1_705_304_400,
                                    "completed": "2024-01-15 08:01:00", "completed_epoch": 1_705_304_460}],
                     "pending": [], "failed": []}
    }})
}

#[tokio::test]
async fn computer_history_by_serial_and_by_id() {
    let Some(t) = Contract::start(ClientOptions::default()).await else {
        return;
    };
    t.mock.classic_answer(
        "/JSSResource/computerhistory/serialnumber/C02XYZ123456",
        classic_history(),
    );
    t.mock
        .classic_answer("/JSSResource/computerhistory/id/1", classic_history());
    for target in [ComputerRef::serial("C02XYZ123456"), ComputerRef::id("1")] {
        let target = target.expect("target");
        let history = ok(
            "computer_history",
            &t.mock,
            t.client.computer_history(&target).await,
        );
        assert_eq!(history.serial.as_deref(), Some("C02XYZ123456"));
        assert_eq!(history.id.as_deref(), Some("1"));
        assert_eq!(history.policy_logs.total, 1);
        assert_eq!(history.policy_logs.recent[0].what, "Test Policy");
        assert_eq!(history.commands.total, 1);
        assert_eq!(history.usage_logs.total, 1);
        assert_eq!(history.audits.total, 1);
    }
    let all = t.mock.assert_all_accepted();
    assert_eq!(
        route(&all),
        [
            "POST /api/v1/oauth/token",
            "GET /JSSResource/computerhistory/serialnumber/C02XYZ123456",
            "GET /JSSResource/computerhistory/id/1"
        ]
    );
    assert!(all[1..].iter().all(|x| x.api == Api::Classic && x.canned));
}

#[tokio::test]
async fn mobile_devices_listed_and_searched() {
    let Some(t) = Contract::start(ClientOptions::default()).await else {
        return;
    };
    let listed = ok(
        "mobile_devices",
        &t.mock,
        t.client
            .mobile_devices(&MobileDeviceSearch {
                page_size: 10,
                ..Default::default()
            })
            .await,
    );
    assert_eq!(listed.total, 3);
    let first = listed.devices.first().expect("a device");
    assert_eq!(first.id, "1");
    assert_eq!(first.serial.as_deref(), Some("DMQVGC0DHLA0"));
    assert_eq!(first.model_identifier.as_deref(), Some("iPad6,11"));

    let search = MobileDeviceSearch {
        text: Some(r#"Jane's "iPad" (2), x;y"#.into()),
        username: Some("o'neil".into()),
        page_size: 10,
        ..Default::default()
    };
    let expected = search.filter().expect("filter").expect("some filter");
    let found = ok(
        "mobile_devices",
        &t.mock,
        t.client.mobile_devices(&search).await,
    );
    assert_eq!(found.total, 2);
    let first = found.devices.first().expect("a device");
    assert_eq!(first.id, "1");
    assert_eq!(first.serial.as_deref(), Some("5c28fdae"));
    assert_eq!(first.username.as_deref(), Some("admin"));

    let all = t.mock.assert_all_accepted();
    assert_eq!(
        route(&all),
        [
            "POST /api/v1/oauth/token",
            "GET /api/v2/mobile-devices",
            "GET /api/v2/mobile-devices/detail"
        ]
    );
    assert_eq!(param(&all[2], "filter").as_deref(), Some(expected.as_str()));
    assert_eq!(
        sections(&all[2]),
        names(&["GENERAL", "HARDWARE", "USER_AND_LOCATION"])
    );
}

#[tokio::test]
async fn policies_and_configuration_profiles_from_the_classic_api() {
    let Some(t) = Contract::start(ClientOptions::default()).await else {
        return;
    };
    t.mock.classic_answer(
        "/JSSResource/policies",
        json!({"policies": [{"id": 2, "name": "Update Inventory"}, {"id": 1, "name": "install Latchkey"}]}),
    );
    t.mock.classic_answer(
        "/JSSResource/osxconfigurationprofiles",
        json!({"os_x_configuration_profiles": [{"id": 7, "name": "Wi-Fi"}, {"id": 3, "name": "FileVault"}]}),
    );
    let policies = ok("policies", &t.mock, t.client.policies().await);
    let profiles = ok(
        "configuration_profiles",
        &t.mock,
        t.client.configuration_profiles().await,
    );
    let all = t.mock.assert_all_accepted();
    assert_eq!(
        route(&all),
        [
            "POST /api/v1/oauth/token",
            "GET /JSSResource/policies",
            "GET /JSSResource/osxconfigurationprofiles"
        ]
    );
    let policy_names: Vec<&str> = policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(policy_names, ["install Latchkey", "Update Inventory"]);
    assert_eq!(policies[0].id, "1");
    let profile_names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(profile_names, ["FileVault", "Wi-Fi"]);
}

#[tokio::test]
async fn smart_groups() {
    let Some(t) = Contract::start(ClientOptions::default()).await else {
        return;
    };
    let groups = ok("smart_groups", &t.mock, t.client.smart_groups().await);
    let all = t.mock.assert_all_accepted();
    assert_eq!(
        route(&all),
        [
            "POST /api/v1/oauth/token",
            "GET /api/v3/computer-groups/smart-groups"
        ]
    );
    let first = groups.first().expect("a group");
    assert_eq!(first.id, "1");
    assert_eq!(first.name, "My computer group");
    assert_eq!(first.membership_count, Some(231));
}

/// Pages of one computer: Jamf's example says there are 3, so pages 1 and 2 are fetched too
/// (each repeats the example computer, which the report counts once).
#[tokio::test]
async fn fleet_security_report_pages_through_the_inventory() {
    let options = ClientOptions {
        page_size: 1,
        max_concurrency: 2,
        ..ClientOptions::default()
    };
    let Some(t) = Contract::start(options).await else {
        return;
    };
    let feed = t.feed();
    let seen = Mutex::new(Vec::<FleetProgress>::new());
    let report = ok(
        "fleet_security_report",
        &t.mock,
        t.client
            .fleet_security_report(by(&feed), &|p| seen.lock().expect("progress").push(p))
            .await,
    );
    let all = t.mock.assert_all_accepted();
    let lists: Vec<&Exchange> = all
        .iter()
        .filter(|x| x.target.starts_with("/api/v4/computers-inventory?"))
        .collect();
    let mut pages: Vec<String> = lists.iter().filter_map(|x| param(x, "page")).collect();
    pages.sort();
    assert_eq!(pages, ["0", "1", "2"], "{:?}", route(&all));
    for x in &lists {
        assert_eq!(param(x, "page-size").as_deref(), Some("1"));
        assert_eq!(
            sections(x),
            names(&[
                "GENERAL",
                "HARDWARE",
                "OPERATING_SYSTEM",
                "USER_AND_LOCATION"
            ])
        );
    }
    let seen = seen.into_inner().expect("progress");
    assert_eq!(
        seen.last(),
        Some(&FleetProgress {
            loaded: 3,
            total: 3
        })
    );
    assert_eq!(report.inventory_api, "v4");
    assert_eq!(
        report.total, 1,
        "the repeated example computer is counted once"
    );
    assert_eq!(report.end_of_life, 1, "OS X 10.9.5 is long past its end");
    assert_eq!(report.computers[0].missing_cves, None, "n/a, not 0 CVEs");
    assert_eq!(report.computers[0].serial.as_deref(), Some(EXAMPLE_SERIAL));
}
