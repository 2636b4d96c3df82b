//! Contract tests of the calls that change something (and the look-ups made before them):
//! every request is one Prism, serving Jamf's own 11.30.1 schema, accepts. Prism is run by
//! the same harness as the read contract tests (`harness.rs`); skipped without Prism or the
//! fixtures outside CI. The answers are Jamf's documentation examples (device "1", plan
//! 6E47EF55-..., command f5965c4f-...).

use super::harness::Mock;
use latchkey_jamf::{
    ClientOptions, ComputerGroupId, ComputerId, JamfClient, JamfError, PlanTarget, PlanVersion,
    SerialNumber, SoftwareUpdatePlan,
};
use serde_json::json;

/// A proxy in front of the shared Prism and a client for it; `None` when skipped.
async fn start() -> Option<(Mock, JamfClient)> {
    let contract = super::Contract::start(ClientOptions::default()).await?;
    Some((contract.mock, contract.client))
}

/// `METHOD /path` of every exchange Prism accepted (it fails the test on any it refused).
fn accepted(mock: &Mock) -> Vec<String> {
    super::route(&mock.assert_all_accepted())
}

fn one() -> ComputerId {
    ComputerId::parse("1").expect("id")
}

#[tokio::test]
async fn software_update_plans_for_computers_and_for_a_group() {
    let Some((mock, client)) = start().await else {
        return;
    };
    let mut plan = SoftwareUpdatePlan {
        target: PlanTarget::Computers(vec![one()]),
        version: PlanVersion::Specific("15.7.9".into()),
        deadline: "2026-12-13T17:00:00".parse().expect("deadline"),
    };
    let created = client
        .create_software_update_plan(&plan)
        .await
        .expect("plan");
    assert_eq!(
        created.plans[0].plan_id,
        "6E47EF55-5318-494F-A09E-70F613E0AFD1"
    );
    assert_eq!(created.plans[0].device_id, Some(one()));
    plan.target = PlanTarget::Group(ComputerGroupId::parse("1").expect("group"));
    plan.version = PlanVersion::LatestMinor;
    client
        .create_software_update_plan(&plan)
        .await
        .expect("group plan");
    assert_eq!(
        accepted(&mock),
        [
            "POST /api/v1/oauth/token",
            "POST /api/v1/managed-software-updates/plans",
            "POST /api/v1/managed-software-updates/plans/group"
        ]
    );
}

/// The management id comes from the inventory; Jamf's example answer then reports errors for
/// two other ids, which the client refuses to read as anything but a broken answer.
#[tokio::test]
async fn a_blank_push_reads_management_ids_then_sends_them() {
    let Some((mock, client)) = start().await else {
        return;
    };
    let err = client.blank_push(&[one()]).await.unwrap_err();
    assert!(
        matches!(&err, JamfError::Parse { detail, .. } if detail.contains("was not sent")),
        "{err}"
    );
    assert_eq!(
        accepted(&mock),
        [
            "POST /api/v1/oauth/token",
            "GET /api/v4/computers-inventory",
            "POST /api/v2/mdm/blank-push"
        ]
    );
}

#[tokio::test]
async fn the_framework_is_redeployed() {
    let Some((mock, client)) = start().await else {
        return;
    };
    let queued = client.redeploy_framework(&one()).await.expect("redeploy");
    assert_eq!(
        queued.command_uuid.as_deref(),
        Some("f5965c4f-0db4-4dc4-9f37-6f1dad4e939c")
    );
    assert_eq!(
        accepted(&mock)[1],
        "POST /api/v1/jamf-management-framework/redeploy/1"
    );
}

#[tokio::test]
async fn serials_and_group_members_are_looked_up() {
    let Some((mock, client)) = start().await else {
        return;
    };
    let serial = SerialNumber::parse("C02ZC2QYLVDL").expect("serial");
    let found = client
        .computers_by_serial(&[serial])
        .await
        .expect("serials");
    assert_eq!(found[0].id, one());
    mock.classic_answer(
        "/JSSResource/computergroups/id/7",
        json!({"computer_group": {"id": 7, "name": "Lab", "is_smart": false,
                                  "computers": [{"id": 1, "name": "Boalime"}]}}),
    );
    let group = client
        .computer_group(&ComputerGroupId::parse("7").expect("group"))
        .await
        .expect("group");
    assert_eq!(group.members, [one()]);
    assert_eq!(
        accepted(&mock)[1..],
        [
            "GET /api/v4/computers-inventory",
            "GET /JSSResource/computergroups/id/7"
        ]
    );
}
