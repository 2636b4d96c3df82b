//! The sofa_* tools and the feed resource, called by rmcp's client against a real SOFA feed.
//! Counts are the published EXPECTED.json figures for ../shared/fixtures/sofa/v2.

use crate::common;

use latchkey_broker::LatchkeyServer;
use latchkey_sofa::fetch::FeedSource;
use rmcp::RoleClient;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ReadResourceRequestParams, ResourceContents,
};
use rmcp::service::RunningService;
use serde_json::{Value, json};

async fn client() -> RunningService<RoleClient, ()> {
    common::client_for(LatchkeyServer::new(common::services(), None)).await
}

async fn call(
    client: &RunningService<RoleClient, ()>,
    tool: &'static str,
    args: Value,
) -> CallToolResult {
    let params = CallToolRequestParams::new(tool).with_arguments(args.as_object().unwrap().clone());
    client
        .call_tool(params)
        .await
        .unwrap_or_else(|e| panic!("{tool}: {e}"))
}

fn structured(result: CallToolResult) -> Value {
    assert_ne!(result.is_error, Some(true), "{result:?}");
    result.structured_content.expect("structured output")
}

fn error_text(result: &CallToolResult) -> String {
    assert_eq!(
        result.is_error,
        Some(true),
        "expected a tool error: {result:?}"
    );
    serde_json::to_string(&result.content).unwrap()
}

#[tokio::test]
async fn os_status_counts_missed_cves_and_exploited_ones() {
    let client = client().await;
    let out = structured(call(&client, "sofa_os_status", json!({ "version": "15.1" })).await);
    let status = &out["status"];
    assert_eq!(status["result"], "in_feed");
    assert_eq!(status["counts"]["cves_fixed_later"], 676);
    assert_eq!(status["counts"]["actively_exploited_fixed_later"], 12);
    assert_eq!(status["latest"]["product_version"], "15.7.5");
    assert!(
        status["missed"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["security_info_url"].is_string())
    );
    assert_eq!(
        out["feed"]["source"],
        common::fixture_feed().to_str().unwrap()
    );
}

#[tokio::test]
async fn a_major_outside_the_feed_is_answered_plainly() {
    let client = client().await;
    let out = structured(call(&client, "sofa_os_status", json!({ "version": "10.15" })).await);
    assert_eq!(out["status"]["result"], "not_in_feed");
    assert_eq!(out["status"]["state"], "end_of_life");
    assert_eq!(out["status"]["feed_majors"], json!([26, 15, 14, 13, 12]));
}

#[tokio::test]
async fn a_version_apple_never_published_is_unknown_not_current() {
    let client = client().await;
    let out = structured(call(&client, "sofa_os_status", json!({ "version": "15.77" })).await);
    let status = &out["status"];
    assert_eq!(status["known_release"], false);
    assert_eq!(status["counts"]["state"], "unknown");
    assert_eq!(status["did_you_mean"][0], "15.7.5");
    let result = call(
        &client,
        "sofa_cves_fixed_after",
        json!({ "version": "15.77" }),
    )
    .await;
    assert!(error_text(&result).contains("did you mean 15.7.5?"));
}

#[tokio::test]
async fn a_major_apple_no_longer_patches_is_end_of_life() {
    let client = client().await;
    let out = structured(call(&client, "sofa_os_status", json!({ "version": "12.7.6" })).await);
    let status = &out["status"];
    assert_eq!(status["counts"]["state"], "end_of_life");
    assert_eq!(status["end_of_life"]["upgrade_to"], json!([26, 15, 14]));
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .contains("no security updates since 2024-07-29"),
        "{status}"
    );
}

#[tokio::test]
async fn answers_carry_sofas_own_update_time_and_warn_when_it_is_old() {
    let client = client().await;
    let out = structured(call(&client, "sofa_latest_releases", json!({})).await);
    let feed = &out["feed"];
    assert!(
        feed["sofa_updated_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-03-31T06:56"),
        "{feed}"
    );
    assert_eq!(feed["max_age_hours"], 72);
    // The fixture is from March 2026: by SOFA's clock it is long out of date.
    assert!(
        feed["outdated"]
            .as_str()
            .unwrap()
            .contains("SOFA last updated this feed on 2026-03-31"),
        "{feed}"
    );
}

#[tokio::test]
async fn a_malformed_version_is_a_tool_error_naming_it() {
    let client = client().await;
    let result = call(&client, "sofa_os_status", json!({ "version": "fifteen" })).await;
    assert!(error_text(&result).contains("fifteen"));
    let result = call(
        &client,
        "sofa_cves_fixed_after",
        json!({ "version": "27.0" }),
    )
    .await;
    assert!(error_text(&result).contains("not in this feed"));
    // The session survives both.
    structured(call(&client, "sofa_latest_releases", json!({})).await);
}

#[tokio::test]
async fn cves_fixed_after_lists_exploited_ones_with_links() {
    let client = client().await;
    let out = structured(
        call(
            &client,
            "sofa_cves_fixed_after",
            json!({ "version": "15.1", "exploited_only": true }),
        )
        .await,
    );
    let cves = out["cves"].as_array().unwrap();
    assert_eq!(cves.len(), 12);
    assert!(
        cves.iter()
            .all(|c| c["actively_exploited"] == true && c["nist_url"].is_string())
    );
    let all = structured(
        call(
            &client,
            "sofa_cves_fixed_after",
            json!({ "version": "15.1" }),
        )
        .await,
    );
    assert_eq!(all["cves"].as_array().unwrap().len(), 676);
}

#[tokio::test]
async fn latest_releases_cover_every_major() {
    let client = client().await;
    let out = structured(call(&client, "sofa_latest_releases", json!({})).await);
    let latest: Vec<&str> = out["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["product_version"].as_str().unwrap())
        .collect();
    assert_eq!(latest, ["26.4", "15.7.5", "14.8.5", "13.7.8", "12.7.6"]);
}

#[tokio::test]
async fn fleet_exposure_is_summarised_most_exposed_first() {
    let client = client().await;
    let mut devices: Vec<Value> = (0..120)
        .map(|i| json!({ "id": format!("current-{i}"), "os_version": "26.4" }))
        .collect();
    devices.push(json!({ "id": "old", "os_version": "15.1" }));
    devices.push(json!({ "id": "catalina", "os_version": "10.15.7" }));
    devices.push(json!({ "id": "monterey", "os_version": "12.7.6" }));
    devices.push(json!({ "id": "typo", "os_version": "15.77" }));
    let out = structured(
        call(
            &client,
            "sofa_fleet_exposure",
            json!({ "devices": devices }),
        )
        .await,
    );
    let report = &out["report"];
    assert_eq!(
        (
            report["total"].as_u64(),
            report["current"].as_u64(),
            report["behind"].as_u64()
        ),
        (Some(124), Some(120), Some(1))
    );
    assert_eq!(
        (
            &report["end_of_life"],
            &report["unknown_version"],
            &report["unreadable"]
        ),
        (&json!(2), &json!(1), &json!(0))
    );
    assert_eq!(report["devices"][0]["id"], "old");
    assert_eq!(report["devices"][0]["missing_exploited_cves"], 12);
    assert_eq!(
        report["devices"][0]["deadline"]["required_by"],
        "2024-11-26"
    );
    // 15.1, 10.15.7 and 12.7.6 are past their deadlines; the typo has none.
    assert_eq!(report["overdue"], 3);
    assert_eq!(report["devices"].as_array().unwrap().len(), 50);
    assert_eq!(out["devices_omitted"], 74);
}

/// Issue #17, dates from the 2026-03-31 feed: 15.1.1 (2024-11-19) fixes actively exploited
/// CVEs, so 15.1 was due 7 days later; 12 lost support when 15.0 shipped (2024-09-16), so
/// 12.7.6 had 90 days to move; 10.15 is older than the feed: at the latest 14.0 (2023-09-26)
/// + 90.
#[tokio::test]
async fn os_status_gives_the_update_deadline() {
    let client = client().await;
    let deadline = |out: &Value| out["status"]["deadline"].clone();
    let out = structured(call(&client, "sofa_os_status", json!({ "version": "15.1" })).await);
    let d = deadline(&out);
    assert_eq!(
        (&d["required_by"], &d["release"], &d["sla"], &d["sla_days"]),
        (
            &json!("2024-11-26"),
            &json!("15.1.1"),
            &json!("actively_exploited"),
            &json!(7)
        )
    );
    assert_eq!(d["overdue"], true);
    assert_eq!(out["status"]["missed"][0]["required_by"], "2024-11-26");
    let out = structured(call(&client, "sofa_os_status", json!({ "version": "12.7.6" })).await);
    assert_eq!(
        (&deadline(&out)["required_by"], &deadline(&out)["sla"]),
        (&json!("2024-12-15"), &json!("major_upgrade"))
    );
    let out = structured(call(&client, "sofa_os_status", json!({ "version": "10.15" })).await);
    assert_eq!(deadline(&out)["required_by"], "2023-12-25");
    let out = structured(call(&client, "sofa_os_status", json!({ "version": "26.4" })).await);
    assert_eq!(deadline(&out), Value::Null, "current: nothing is due");
}

#[tokio::test]
async fn the_update_sla_is_the_brokers_setting() {
    let services = common::services();
    services.sofa.set_update_sla(latchkey_sofa::UpdateSla {
        actively_exploited_days: 3,
        ..latchkey_sofa::UpdateSla::DEFAULT
    });
    let client = common::client_for(LatchkeyServer::new(services, None)).await;
    let out = structured(call(&client, "sofa_os_status", json!({ "version": "15.1" })).await);
    assert_eq!(out["status"]["deadline"]["required_by"], "2024-11-22");
    let out = structured(
        call(
            &client,
            "sofa_fleet_exposure",
            json!({ "devices": [{ "id": "a", "os_version": "15.1" }] }),
        )
        .await,
    );
    assert_eq!(
        out["report"]["devices"][0]["deadline"]["required_by"],
        "2024-11-22"
    );
}

#[tokio::test]
async fn the_feed_resource_summarises_the_loaded_feed() {
    let client = client().await;
    let resources = client.list_all_resources().await.unwrap();
    assert_eq!(resources.len(), 1);
    let uri = resources[0].uri.clone();
    let read = client
        .read_resource(ReadResourceRequestParams::new(uri))
        .await
        .unwrap();
    let text = match &read.contents[0] {
        ResourceContents::TextResourceContents { text, .. } => text.clone(),
        other => panic!("expected text, got {other:?}"),
    };
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["summary"]["majors"], json!([26, 15, 14, 13, 12]));
    assert_eq!(body["summary"]["security_releases"], 113);
    assert!(body["feed"]["fetched_at"].is_string());
}

#[tokio::test]
async fn an_unreachable_feed_is_a_clear_tool_error_not_a_crash() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sofa = common::sofa_from(FeedSource::Url(format!(
        "http://127.0.0.1:{port}/feed.json"
    )));
    let client = common::client_for(LatchkeyServer::new(common::services_with(sofa), None)).await;
    let result = call(&client, "sofa_latest_releases", json!({})).await;
    let text = error_text(&result);
    assert!(
        text.contains("the SOFA feed is unavailable")
            && text.contains(&format!("127.0.0.1:{port}")),
        "{text}"
    );
    assert_eq!(
        call(&client, "latchkey_status", json!({})).await.is_error,
        Some(false)
    );
}

/// Issue #16: a call never waits on the network while a cached feed can answer. The source
/// accepts connections and never answers, and a refresh of it is under way; a two-day-old
/// cached copy answers the call at once, saying when it was fetched.
#[tokio::test]
async fn a_call_answers_from_the_cache_while_the_source_hangs() {
    use latchkey_sofa::fetch::{FeedStore, Refresh};
    let hanging = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/feed.json", hanging.local_addr().unwrap());
    let cache = tempfile::tempdir().unwrap();
    std::fs::copy(common::fixture_feed(), cache.path().join("sofa-feed.json")).unwrap();
    let fetched = chrono::Utc::now() - chrono::Duration::days(2);
    let meta = json!({ "source": url, "etag": null, "last_modified": null, "fetched_at": fetched });
    std::fs::write(cache.path().join("sofa-feed.meta.json"), meta.to_string()).unwrap();
    let store = FeedStore::new(FeedSource::Url(url), cache.path()).unwrap();
    let sofa = std::sync::Arc::new(latchkey_broker::SofaService::new(store));
    // A broker's background refresh, stuck on the silent source.
    let refreshing = tokio::spawn({
        let sofa = std::sync::Arc::clone(&sofa);
        async move { sofa.refresh(Refresh::Now).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;

    let client = common::client_for(LatchkeyServer::new(common::services_with(sofa), None)).await;
    let started = std::time::Instant::now();
    let answer = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        call(&client, "sofa_latest_releases", json!({})),
    )
    .await
    .expect("the call waited on the network");
    let answer = structured(answer);
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    let feed = answer["feed"].to_string();
    assert!(
        feed.contains(&fetched.format("%Y-%m-%d").to_string()),
        "{feed}"
    );
    refreshing.abort();
}

/// Issue #17: an assistant passing devices as an MDM lists them ("macOS 15.1", "15.1 (24B83)")
/// gets them judged by their version, not refused as unreadable.
#[tokio::test]
async fn fleet_exposure_reads_os_values_as_mdms_write_them() {
    let client = client().await;
    let devices = json!([
        { "id": "plain", "os_version": "15.1" },
        { "id": "named", "os_version": "macOS Sequoia 15.1" },
        { "id": "build", "os_version": "15.1 (24B83)" },
    ]);
    let out = structured(
        call(
            &client,
            "sofa_fleet_exposure",
            json!({ "devices": devices }),
        )
        .await,
    );
    let report = &out["report"];
    assert_eq!(report["total"], 3);
    assert_eq!(report["unreadable"], 0, "{report}");
    let states: Vec<&Value> = report["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["state"])
        .collect();
    assert!(states.iter().all(|s| *s == states[0]), "{states:?}");
}
