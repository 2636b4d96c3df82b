use latchkey_jamf::{ComputerGroupId, ComputerId, JamfError, SerialNumber};

use crate::support::mock::MockConfig;
use crate::support::start;

const INVENTORY: &str = "GET /api/v4/computers-inventory";

fn serials(list: &[String]) -> Vec<SerialNumber> {
    list.iter()
        .map(|s| SerialNumber::parse(s).unwrap())
        .collect()
}

#[tokio::test]
async fn serials_resolve_in_one_request_with_what_each_mac_runs() {
    let (mock, client) = start(MockConfig::default()).await;
    let wanted = [
        mock.computers()[4].serial.to_lowercase(),
        mock.computers()[1].serial.clone(),
    ];
    let found = client.computers_by_serial(&serials(&wanted)).await.unwrap();
    assert_eq!(mock.count(INVENTORY), 1);
    let ids: Vec<&str> = found.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["5", "2"], "in the order asked");
    let five = &mock.computers()[4];
    assert_eq!(found[0].serial.as_deref(), Some(five.serial.as_str()));
    assert_eq!(found[0].name.as_deref(), Some(five.name.as_str()));
    assert_eq!(found[0].os_version.as_deref(), five.visible_os_version());
    assert_eq!(found[0].model.as_deref(), Some(five.model));
    assert_eq!(found[0].management_id, five.management_id);
}

#[tokio::test]
async fn unknown_serials_are_named_together() {
    let (_mock, client) = start(MockConfig::default()).await;
    let wanted = [
        "C02000000001".into(),
        "C02NOTTHERE1".into(),
        "C02NOTTHERE2".into(),
    ];
    let err = client
        .computers_by_serial(&serials(&wanted))
        .await
        .unwrap_err();
    assert!(matches!(err, JamfError::NotFound(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "not found: no computer in Jamf Pro with serial number C02NOTTHERE1 and C02NOTTHERE2"
    );
}

/// 250 serials: two filters (200 + 50), each one request, not 250 requests.
#[tokio::test]
async fn many_serials_go_in_batches() {
    let config = MockConfig {
        computers: 300,
        ..MockConfig::default()
    };
    let (mock, client) = start(config).await;
    let wanted: Vec<String> = mock.computers()[..250]
        .iter()
        .filter(|c| !c.no_hardware_section)
        .map(|c| c.serial.clone())
        .collect();
    let found = client.computers_by_serial(&serials(&wanted)).await.unwrap();
    assert_eq!(found.len(), wanted.len());
    assert_eq!(mock.count(INVENTORY), 2);
}

#[tokio::test]
async fn ids_resolve_and_unknown_ones_are_named() {
    let (_mock, client) = start(MockConfig::default()).await;
    let ids: Vec<ComputerId> = ["7", "3"].iter().map(|s| s.parse().unwrap()).collect();
    let found = client.computers_by_id(&ids).await.unwrap();
    assert_eq!(
        found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["7", "3"]
    );
    let ids: Vec<ComputerId> = ["7", "404"].iter().map(|s| s.parse().unwrap()).collect();
    let err = client.computers_by_id(&ids).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "not found: no computer in Jamf Pro with id 404"
    );
}

#[tokio::test]
async fn a_groups_members_are_read_and_an_empty_group_is_an_error() {
    let (_mock, client) = start(MockConfig::default()).await;
    let group = client
        .computer_group(&ComputerGroupId::parse("4").unwrap())
        .await
        .unwrap();
    assert_eq!(group.name, "Lab Macs");
    assert_eq!(group.smart, Some(false));
    assert_eq!(group.member_count, 3);
    let members: Vec<&str> = group.members.iter().map(ComputerId::as_str).collect();
    assert_eq!(members, ["2", "3", "5"]);

    let smart = client
        .computer_group(&ComputerGroupId::parse("1").unwrap())
        .await
        .unwrap();
    assert_eq!((smart.smart, smart.member_count), (Some(true), 10));

    let err = client
        .computer_group(&ComputerGroupId::parse("5").unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"computer group "Empty static group" (id 5) has no members"#
    );
    let err = client
        .computer_group(&ComputerGroupId::parse("99").unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "not found: no computer group with id 99");
}
