use std::time::Duration;

use chrono::NaiveDateTime;
use latchkey_jamf::{
    ClientOptions, ComputerGroupId, ComputerId, JamfError, PlanTarget, PlanVersion,
    SoftwareUpdatePlan,
};
use serde_json::Value;

use crate::support::mock::{Change, MockConfig, ReceivedPlan};
use crate::support::{fast_options, start, start_with};

const PLANS: &str = "/api/v1/managed-software-updates/plans";

fn ids(list: &[&str]) -> Vec<ComputerId> {
    list.iter().map(|s| ComputerId::parse(s).unwrap()).collect()
}

fn plan(target: PlanTarget) -> SoftwareUpdatePlan {
    SoftwareUpdatePlan {
        target,
        version: PlanVersion::Specific("15.7.9".into()),
        deadline: "2026-12-13T17:00:00".parse::<NaiveDateTime>().unwrap(),
    }
}

fn received_plan(devices: &[&str], group: Option<&str>, plan_ids: Vec<String>) -> Change {
    Change::SoftwareUpdatePlan(ReceivedPlan {
        devices: devices.iter().map(|d| (*d).to_owned()).collect(),
        group: group.map(str::to_owned),
        update_action: "DOWNLOAD_INSTALL_SCHEDULE".into(),
        version_type: "SPECIFIC_VERSION".into(),
        specific_version: Some("15.7.9".into()),
        force_install_local_date_time: Some("2026-12-13T17:00:00".into()),
        plan_ids,
    })
}

#[tokio::test]
async fn a_plan_reaches_the_server_with_exactly_its_computers_version_and_deadline() {
    let (mock, client) = start(MockConfig::default()).await;
    let created = client
        .create_software_update_plan(&plan(PlanTarget::Computers(ids(&["3", "1", "3"]))))
        .await
        .unwrap();
    let devices: Vec<&str> = created
        .plans
        .iter()
        .map(|p| p.device_id.as_ref().unwrap().as_str())
        .collect();
    assert_eq!(devices, ["3", "1"]);
    let plan_ids = created.plans.iter().map(|p| p.plan_id.clone()).collect();
    assert_eq!(
        mock.received(),
        [received_plan(&["3", "1"], None, plan_ids)]
    );
}

#[tokio::test]
async fn a_group_plan_names_the_group_and_covers_its_members() {
    let (mock, client) = start(MockConfig::default()).await;
    let group = ComputerGroupId::parse("4").unwrap();
    let created = client
        .create_software_update_plan(&plan(PlanTarget::Group(group)))
        .await
        .unwrap();
    assert_eq!(created.plans.len(), 3);
    let plan_ids = created.plans.iter().map(|p| p.plan_id.clone()).collect();
    assert_eq!(
        mock.received(),
        [received_plan(&["2", "3", "5"], Some("4"), plan_ids)]
    );

    let unknown = ComputerGroupId::parse("99").unwrap();
    let err = client
        .create_software_update_plan(&plan(PlanTarget::Group(unknown)))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "not found: no computer group with id 99");
    assert_eq!(mock.received().len(), 1);
}

#[tokio::test]
async fn a_refused_token_is_renewed_once_and_the_plan_made_once() {
    let (mock, client) = start(MockConfig::default()).await;
    client.policies().await.unwrap();
    mock.revoke_tokens();
    client
        .create_software_update_plan(&plan(PlanTarget::Computers(ids(&["2"]))))
        .await
        .unwrap();
    assert_eq!(mock.count(&format!("POST {PLANS}")), 2);
    assert_eq!(mock.tokens_issued(), 2);
    assert_eq!(mock.received().len(), 1);
}

#[tokio::test]
async fn a_5xx_is_not_retried_and_says_the_change_may_or_may_not_have_happened() {
    let (mock, client) = start(MockConfig::default()).await;
    for status in [500, 502, 503, 504] {
        mock.fail(PLANS, status, 1, None);
        let err = client
            .create_software_update_plan(&plan(PlanTarget::Computers(ids(&["2"]))))
            .await
            .unwrap_err();
        assert!(matches!(err, JamfError::Unconfirmed { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "POST {PLANS}: Jamf Pro answered HTTP {status}; the change may or may not have \
                 been made: check Jamf Pro before trying again"
            )
        );
    }
    assert_eq!(mock.count(&format!("POST {PLANS}")), 4, "one attempt each");
    assert!(mock.received().is_empty());
}

#[tokio::test]
async fn a_timeout_is_not_retried_as_the_server_may_have_made_the_change() {
    let options = ClientOptions {
        request_timeout: Duration::from_millis(300),
        ..fast_options()
    };
    let (mock, client) = start_with(MockConfig::default(), options).await;
    client.policies().await.unwrap();
    mock.delay(PLANS, Duration::from_millis(600), 5);
    let err = client
        .create_software_update_plan(&plan(PlanTarget::Computers(ids(&["2"]))))
        .await
        .unwrap_err();
    assert!(matches!(err, JamfError::Unconfirmed { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(&format!(
            "POST {PLANS}: no answer within 0.3s; the change may or"
        )),
        "{err}"
    );
    assert_eq!(mock.count(&format!("POST {PLANS}")), 1);
}

#[tokio::test]
async fn a_rate_limited_change_is_not_retried() {
    let (mock, client) = start(MockConfig::default()).await;
    mock.fail(PLANS, 429, 5, Some(0));
    let err = client
        .create_software_update_plan(&plan(PlanTarget::Computers(ids(&["2"]))))
        .await
        .unwrap_err();
    assert!(
        matches!(err, JamfError::RateLimited { attempts: 1, .. }),
        "{err:?}"
    );
    assert_eq!(mock.count(&format!("POST {PLANS}")), 1);
}

#[tokio::test]
async fn jamfs_validation_errors_are_passed_on() {
    let (mock, client) = start(MockConfig::default()).await;
    let err = client
        .create_software_update_plan(&plan(PlanTarget::Computers(ids(&["2", "999"]))))
        .await
        .unwrap_err();
    assert!(
        matches!(err, JamfError::Rejected { status: 400, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "Jamf Pro rejected POST {PLANS} (HTTP 400): devices[1].deviceId: no computer with \
             id \"999\""
        )
    );
    assert!(mock.received().is_empty());
}

/// Answers a hostile or broken server could give to an accepted plan: each error says the
/// plan was accepted, so nobody sends it again, and none quotes the body.
#[tokio::test]
async fn hostile_answers_to_an_accepted_plan_give_clear_errors() {
    let (mock, client) = start(MockConfig::default()).await;
    let cases: [(Vec<u8>, &str); 5] = [
        (
            vec![b' '; 2 << 20],
            "its answer is over 1 MiB, so it was not read",
        ),
        (
            b"<html>created!</html>".to_vec(),
            "not the expected JSON (syntax error",
        ),
        (
            br#"{"plans": [{"planId": "../../etc\u0000", "device": {"deviceId": "2"}}]}"#.to_vec(),
            "its answer has a plan without a readable plan id",
        ),
        (
            br#"{"plans": [{"planId": "AB-1", "device": {"deviceId": "2;DROP"}}]}"#.to_vec(),
            "its answer has a plan for an unreadable device id",
        ),
        (
            br#"{"plans": [{"planId": "AB-1", "device": {"deviceId": "9"}}]}"#.to_vec(),
            "its answer names computers that were not in it: 9",
        ),
    ];
    for (body, expected) in cases {
        mock.serve_body(PLANS, body);
        let err = client
            .create_software_update_plan(&plan(PlanTarget::Computers(ids(&["2"]))))
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, JamfError::Parse { .. }), "{err:?}");
        assert!(text.contains("accepted"), "{text}");
        assert!(text.contains(expected), "{text}");
        assert!(!text.contains("html") && !text.contains("DROP"), "{text}");
    }
    // Odd but harmless: no plans listed, or unknown fields, are read as such.
    mock.serve_body(PLANS, br#"{"plans": "none", "extra": 1}"#.to_vec());
    let created = client
        .create_software_update_plan(&plan(PlanTarget::Computers(ids(&["2"]))))
        .await
        .unwrap();
    assert!(created.plans.is_empty());
}

#[tokio::test]
async fn a_blank_push_goes_to_the_management_ids_of_the_macs_named() {
    let (mock, client) = start(MockConfig::default()).await;
    let push = client.blank_push(&ids(&["1", "3", "1"])).await.unwrap();
    assert_eq!(push.sent, ids(&["1", "3"]));
    assert!(push.failed.is_empty());
    let expected_ids: Vec<String> = [1, 3]
        .iter()
        .map(|i| mock.computers()[i - 1].management_id.clone().unwrap())
        .collect();
    assert_eq!(
        mock.received(),
        [Change::BlankPush {
            management_ids: expected_ids,
            computer_ids: vec![1, 3],
        }]
    );
}

#[tokio::test]
async fn a_blank_push_to_an_unknown_or_unenrolled_mac_sends_nothing() {
    let (mock, client) = start(MockConfig::default()).await;
    let err = client
        .blank_push(&ids(&["1", "998", "999"]))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "not found: no computer in Jamf Pro with id 998 and 999"
    );
    // Computer 10 is unmanaged: no MDM management id.
    let err = client.blank_push(&ids(&["1", "10"])).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "no MDM management id in Jamf Pro (not enrolled in MDM?) for computer 10; nothing was sent"
    );
    assert_eq!(mock.count("POST /api/v2/mdm/blank-push"), 0);
    assert!(mock.received().is_empty());
}

#[tokio::test]
async fn the_framework_is_redeployed_on_one_mac() {
    let (mock, client) = start(MockConfig::default()).await;
    let redeploy = client
        .redeploy_framework(&ComputerId::parse("5").unwrap())
        .await
        .unwrap();
    assert_eq!(redeploy.computer_id.as_str(), "5");
    assert!(redeploy.command_uuid.is_some());
    assert_eq!(
        mock.received(),
        [Change::RedeployFramework { computer_id: 5 }]
    );
    let err = client
        .redeploy_framework(&ComputerId::parse("999").unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "not found: no computer with id 999");
    assert_eq!(mock.received().len(), 1);
}

/// What an end-to-end test reads from the `jamf-mock` binary: no token needed, not counted.
#[tokio::test]
async fn the_mock_lists_what_it_received_over_http() {
    let (mock, client) = start(MockConfig::default()).await;
    let url = format!("{}/__mock/received", mock.url());
    let list = || async {
        reqwest::get(&url)
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    assert_eq!(list().await["changes"], Value::Array(Vec::new()));
    client
        .create_software_update_plan(&plan(PlanTarget::Computers(ids(&["2"]))))
        .await
        .unwrap();
    client
        .redeploy_framework(&ComputerId::parse("2").unwrap())
        .await
        .unwrap();
    let changes = list().await["changes"].clone();
    assert_eq!(changes[0]["kind"], "software_update_plan");
    assert_eq!(changes[0]["devices"], serde_json::json!(["2"]));
    assert_eq!(changes[0]["specific_version"], "15.7.9");
    assert_eq!(
        changes[0]["force_install_local_date_time"],
        "2026-12-13T17:00:00"
    );
    assert_eq!(
        changes[1],
        serde_json::json!({"kind": "redeploy_framework", "computer_id": 2})
    );
    assert_eq!(mock.count_prefix("/__mock"), 0);
}
