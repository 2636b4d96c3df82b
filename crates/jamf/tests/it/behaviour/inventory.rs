use latchkey_jamf::{
    ComputerRef, ComputerSearch, JamfError, MobileDeviceSearch, Section, SerialNumber,
};

use crate::support::mock::{MockComputer, MockConfig};
use crate::support::start;

fn config(computers: usize) -> MockConfig {
    MockConfig {
        computers,
        ..MockConfig::default()
    }
}

#[tokio::test]
async fn without_v4_the_client_falls_back_to_v1_and_remembers() {
    let (mock, client) = start(MockConfig {
        inventory_versions: vec![1],
        ..config(20)
    })
    .await;
    let page = client
        .search_computers(&ComputerSearch::default())
        .await
        .unwrap();
    assert_eq!(page.inventory_api, "v1");
    assert_eq!(page.total, 20);
    assert_eq!(
        page.computers[0].last_contact.unwrap().to_rfc3339(),
        "2026-09-01T12:00:00+00:00",
        "lastContactTime read"
    );
    assert_eq!(mock.count("GET /api/v4/computers-inventory"), 1);
    assert_eq!(mock.count("GET /api/v3/computers-inventory"), 1);
    assert_eq!(mock.count("GET /api/v1/computers-inventory"), 1);

    client
        .search_computers(&ComputerSearch::default())
        .await
        .unwrap();
    let record = client
        .computer_inventory(&ComputerRef::id("4").unwrap(), &[Section::Hardware])
        .await
        .unwrap();
    assert_eq!(record.inventory_api, "v1");
    assert_eq!(mock.count_prefix("/api/v4/"), 1, "v4 not asked again");
    assert_eq!(mock.count_prefix("/api/v3/"), 1, "v3 not asked again");
    assert_eq!(mock.count("GET /api/v1/computers-inventory"), 2);
    assert_eq!(mock.count("GET /api/v1/computers-inventory/4"), 1);
}

#[tokio::test]
async fn a_record_by_id_first_settles_the_api_version_then_uses_the_detail_path() {
    let (mock, client) = start(MockConfig {
        inventory_versions: vec![3, 1],
        ..config(5)
    })
    .await;
    let record = client
        .computer_inventory(&ComputerRef::id("2").unwrap(), &[])
        .await
        .unwrap();
    assert_eq!(record.inventory_api, "v3");
    assert_eq!(record.summary.id, "2");
    assert_eq!(mock.count("GET /api/v4/computers-inventory"), 1);
    assert_eq!(mock.count("GET /api/v3/computers-inventory"), 1);
    assert_eq!(mock.count("GET /api/v3/computers-inventory/2"), 1);
}

#[tokio::test]
async fn a_server_without_any_inventory_api_says_so() {
    let (_mock, client) = start(MockConfig {
        inventory_versions: vec![],
        ..config(5)
    })
    .await;
    let err = client
        .search_computers(&ComputerSearch::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "not found: no computers-inventory endpoint on this server (tried v4, v3 and v1)"
    );
}

fn contains(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

fn text_matches(c: &MockComputer, text: &str) -> bool {
    contains(&c.name, text)
        || (!c.no_hardware_section && contains(&c.serial, text))
        || (!c.no_user_section
            && (contains(&c.username, text)
                || contains(&c.realname, text)
                || contains(&c.email, text)))
}

#[tokio::test]
async fn free_text_search_matches_what_a_brute_force_scan_finds() {
    let (mock, client) = start(config(300)).await;
    for text in [
        "user1",
        "MAC-0002",
        "C0200000012",
        "example.com",
        "Number 29",
    ] {
        let expected: Vec<String> = mock
            .computers()
            .iter()
            .filter(|c| text_matches(c, text))
            .map(|c| c.id.to_string())
            .collect();
        let search = ComputerSearch {
            text: Some(text.into()),
            page_size: 2000,
            ..ComputerSearch::default()
        };
        let page = client.search_computers(&search).await.unwrap();
        let got: Vec<String> = page.computers.iter().map(|c| c.id.clone()).collect();
        assert_eq!(got, expected, "{text}");
        assert_eq!(page.total, expected.len() as u64, "{text}");
    }
    let seen = mock.seen();
    let query = &seen.last().unwrap().query;
    assert!(
        query.contains(&("sort".into(), "id:asc".into())),
        "{query:?}"
    );
    assert!(
        query.contains(&("page-size".into(), "2000".into())),
        "{query:?}"
    );
}

#[tokio::test]
async fn quotes_backslashes_and_rsql_syntax_in_input_only_match_literally() {
    let (mock, client) = start(config(50)).await;
    let name = r#"Lab "A\B", 1;(x)"#;
    assert_eq!(mock.computers()[2].name, name);
    let exact = ComputerSearch {
        name: Some(name.into()),
        ..ComputerSearch::default()
    };
    let page = client.search_computers(&exact).await.unwrap();
    assert_eq!(
        page.computers
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>(),
        ["3"]
    );
    assert_eq!(page.computers[0].name.as_deref(), Some(name));

    let partial = ComputerSearch {
        text: Some(r#""A\B", 1;(x"#.into()),
        ..ComputerSearch::default()
    };
    assert_eq!(client.search_computers(&partial).await.unwrap().total, 1);

    // An injection attempt stays a literal name that matches nothing.
    let sneaky = ComputerSearch {
        name: Some(r#"x" or general.name=="Mac-00001"#.into()),
        ..ComputerSearch::default()
    };
    assert_eq!(client.search_computers(&sneaky).await.unwrap().total, 0);
}

#[tokio::test]
async fn a_star_in_the_input_is_refused_before_any_request() {
    let (mock, client) = start(config(5)).await;
    let search = ComputerSearch {
        text: Some("Mac*".into()),
        ..ComputerSearch::default()
    };
    let err = client.search_computers(&search).await.unwrap_err();
    assert!(matches!(err, JamfError::InvalidArgument(_)), "{err:?}");
    let search = ComputerSearch {
        page_size: 2001,
        ..ComputerSearch::default()
    };
    assert!(client.search_computers(&search).await.is_err());
    assert_eq!(mock.seen().len(), 0);
}

#[tokio::test]
async fn specific_fields_are_anded_and_paging_is_by_id() {
    let (mock, client) = start(config(120)).await;
    let search = ComputerSearch {
        serial: Some(SerialNumber::parse("c02000000011").unwrap()),
        username: Some("USER11".into()),
        ..ComputerSearch::default()
    };
    let page = client.search_computers(&search).await.unwrap();
    assert_eq!(page.computers.len(), 1);
    let found = &page.computers[0];
    assert_eq!(found.id, "12");
    assert_eq!(found.email.as_deref(), Some("user11@example.com"));
    assert_eq!(
        found.model_identifier.as_deref(),
        Some(mock.computers()[11].model_identifier)
    );

    let search = ComputerSearch {
        page: 2,
        page_size: 50,
        ..ComputerSearch::default()
    };
    let page = client.search_computers(&search).await.unwrap();
    assert_eq!(page.total, 120);
    assert_eq!(page.computers.len(), 20);
    assert_eq!(page.computers[0].id, "101");
}

#[tokio::test]
async fn a_record_by_serial_has_a_summary_and_pruned_bounded_sections() {
    let (_mock, client) = start(config(10)).await;
    let target = ComputerRef::serial(" c02000000004 ").unwrap();
    let record = client
        .computer_inventory(
            &target,
            &[
                Section::Applications,
                Section::UserAndLocation,
                Section::Fonts,
            ],
        )
        .await
        .unwrap();
    assert_eq!(record.summary.id, "5");
    assert_eq!(record.summary.name.as_deref(), Some("Mac-00004"));
    let keys: Vec<&str> = record.sections.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["applications", "general", "userAndLocation"],
        "FONTS is v1-only, dropped on v4"
    );
    assert!(
        record.sections["userAndLocation"].get("position").is_none(),
        "nulls pruned"
    );
    let apps = record.sections["applications"].as_array().unwrap();
    assert_eq!(apps.len(), 100);
    assert!(apps[0].get("bundleId").is_none());
    assert_eq!(record.truncated.len(), 1);
    assert_eq!(
        (record.truncated[0].shown, record.truncated[0].total),
        (100, 150)
    );

    let err = client
        .computer_inventory(&ComputerRef::serial("ZZZZ99999999").unwrap(), &[])
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "not found: no computer with serial number ZZZZ99999999"
    );
}

#[tokio::test]
async fn null_sections_and_unknown_enum_values_are_tolerated_and_kept() {
    let (_mock, client) = start(config(60)).await;
    // Computer 37 has a null operatingSystem section, 31 a null userAndLocation, 53 null hardware.
    let page = client
        .search_computers(&ComputerSearch {
            page_size: 60,
            ..ComputerSearch::default()
        })
        .await
        .unwrap();
    assert_eq!(page.computers.len(), 60);
    assert_eq!(page.computers[36].os_version, None);
    assert_eq!(page.computers[30].user, None);
    assert_eq!(page.computers[52].serial, None);
    assert_eq!(page.computers[52].name.as_deref(), Some("Mac-00052"));

    let record = client
        .computer_inventory(
            &ComputerRef::id("13").unwrap(),
            &[Section::Hardware, Section::OperatingSystem],
        )
        .await
        .unwrap();
    assert_eq!(
        record.sections["hardware"]["batteryHealth"],
        "FUTURE_BATTERY_STATE"
    );
}

#[tokio::test]
async fn history_is_summarized_newest_first_by_id_or_serial() {
    let (mock, client) = start(config(5)).await;
    let by_id = client
        .computer_history(&ComputerRef::id("2").unwrap())
        .await
        .unwrap();
    assert_eq!(by_id.serial.as_deref(), Some("C02000000001"));
    assert_eq!(by_id.policy_logs.total, 25);
    assert_eq!(by_id.policy_logs.recent.len(), 20);
    assert_eq!(by_id.policy_logs.recent[0].what, "Policy 24");
    assert_eq!(by_id.commands.total, 2);
    assert_eq!(by_id.commands.recent[0].status.as_deref(), Some("Pending"));
    assert_eq!(
        by_id.user_location.recent[0].detail.as_deref(),
        Some("User Number 1 <user1@example.com>")
    );
    assert_eq!(by_id.screen_sharing.total, 1);

    let by_serial = client
        .computer_history(&ComputerRef::serial("C02000000001").unwrap())
        .await
        .unwrap();
    assert_eq!(by_serial.id.as_deref(), Some("2"));
    assert_eq!(
        mock.count("GET /JSSResource/computerhistory/serialnumber/C02000000001"),
        1
    );
    let err = client
        .computer_history(&ComputerRef::id("77").unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "not found: no history for computer id 77");
}

#[tokio::test]
async fn mobile_devices_list_and_search() {
    let (mock, client) = start(config(1)).await;
    let all = client
        .mobile_devices(&MobileDeviceSearch::default())
        .await
        .unwrap();
    assert_eq!(all.total, 3);
    assert_eq!(
        all.devices[2].device_type.as_deref(),
        Some("some-future-os"),
        "unknown type kept"
    );
    assert_eq!(mock.count("GET /api/v2/mobile-devices"), 1);

    let search = MobileDeviceSearch {
        text: Some("lobby".into()),
        ..MobileDeviceSearch::default()
    };
    let found = client.mobile_devices(&search).await.unwrap();
    assert_eq!(found.total, 1);
    let tv = &found.devices[0];
    assert_eq!(
        (tv.id.as_str(), tv.serial.as_deref()),
        ("2", Some("C02XYZ987ABC"))
    );
    assert_eq!(tv.os_version.as_deref(), Some("18.6"));
    assert_eq!(mock.count("GET /api/v2/mobile-devices/detail"), 1);

    let search = MobileDeviceSearch {
        username: Some("ann".into()),
        ..MobileDeviceSearch::default()
    };
    assert_eq!(
        client.mobile_devices(&search).await.unwrap().devices[0]
            .name
            .as_deref(),
        Some("Field Vision")
    );
}

#[tokio::test]
async fn policies_profiles_and_smart_groups_are_listed() {
    let (mock, client) = start(config(1)).await;
    let policies = client.policies().await.unwrap();
    let names: Vec<&str> = policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Install Chrome", "Update Inventory"]);
    assert_eq!(policies[0].id, "1");
    let profiles = client.configuration_profiles().await.unwrap();
    assert_eq!(
        profiles.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["3", "7"]
    );
    let groups = client.smart_groups().await.unwrap();
    assert_eq!(groups.len(), 3);
    assert_eq!(
        groups[0].description.as_deref(),
        Some("Macs behind on updates")
    );
    assert_eq!(groups[2].membership_count, Some(30));
    assert_eq!(groups[0].site_id, None, "site -1 means none");
    assert_eq!(mock.count("GET /api/v3/computer-groups/smart-groups"), 1);
}

#[tokio::test]
async fn the_connection_check_reports_version_auth_and_inventory() {
    let (_mock, client) = start(config(42)).await;
    let check = client.check_connection().await.unwrap();
    assert_eq!(check.server, client.server());
    assert_eq!(check.version.as_deref(), Some("11.30.1-t1784555528405"));
    assert_eq!(check.token_endpoint, "/api/v1/oauth/token");
    assert_eq!(check.inventory_api, "v4");
    assert_eq!(check.computers, Some(42));
}
