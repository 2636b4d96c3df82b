//! Each fixture body is served by the mock in place of its endpoint and read through the public
//! API, so the real parsing path (lenient fields, v1/v4 differences) meets Jamf's own shapes.

use latchkey_jamf::{ComputerRef, ComputerSearch, JamfError, MobileDeviceSearch, Section};

use crate::support::mock::MockConfig;
use crate::support::{by, jamf_fixture, sofa_feed, start};

const SDK: &str = "examples/deploymenttheory-go-sdk-jamfpro-v2";
const PRISM: &str = "examples/schema-examples-via-prism";

fn fixture(folder: &str, name: &str) -> Option<Vec<u8>> {
    jamf_fixture(&format!("{folder}/{name}"))
}

#[tokio::test]
async fn inventory_lists_v4_and_v1_parse() {
    let cases = [
        (
            4,
            SDK,
            "jamf_pro_api__computer_inventory__validate_list_v4.json",
            2,
            "Test-Mac-001",
            "C02ABC123DEF",
        ),
        (
            1,
            SDK,
            "jamf_pro_api__computer_inventory__validate_list.json",
            2,
            "Test-Mac-001",
            "C02ABC123DEF",
        ),
        (
            4,
            PRISM,
            "GET_api_v4_computers-inventory.json",
            3,
            "Boalime",
            "C02ZC2QYLVDL",
        ),
        (
            1,
            PRISM,
            "GET_api_v1_computers-inventory.json",
            3,
            "Boalime",
            "C02ZC2QYLVDL",
        ),
    ];
    for (version, folder, name, total, first_name, first_serial) in cases {
        let Some(body) = fixture(folder, name) else {
            return;
        };
        let config = MockConfig {
            inventory_versions: vec![version],
            ..MockConfig::default()
        };
        let (mock, client) = start(config).await;
        mock.serve_body(&format!("/api/v{version}/computers-inventory"), body);
        let page = client
            .search_computers(&ComputerSearch::default())
            .await
            .unwrap();
        assert_eq!(page.inventory_api, format!("v{version}"), "{name}");
        assert_eq!(page.total, total, "{name}");
        let first = &page.computers[0];
        assert_eq!(first.id, "1", "{name}");
        assert_eq!(first.name.as_deref(), Some(first_name), "{name}");
        assert_eq!(first.serial.as_deref(), Some(first_serial), "{name}");
    }
}

#[tokio::test]
async fn inventory_details_v4_and_v1_parse_and_can_be_judged() {
    let Some(feed) = sofa_feed() else { return };
    let cases = [
        (
            4,
            SDK,
            "jamf_pro_api__computer_inventory__validate_get_v4.json",
            None,
        ),
        (
            1,
            SDK,
            "jamf_pro_api__computer_inventory__validate_get.json",
            Some("ENABLED"),
        ),
        (
            4,
            PRISM,
            "GET_api_v4_computers-inventory-detail_1.json",
            Some("NOT_COLLECTED"),
        ),
        (
            1,
            PRISM,
            "GET_api_v1_computers-inventory-detail_1.json",
            Some("NOT_COLLECTED"),
        ),
    ];
    for (version, folder, name, sip) in cases {
        let Some(body) = fixture(folder, name) else {
            return;
        };
        let config = MockConfig {
            inventory_versions: vec![version],
            ..MockConfig::default()
        };
        let (mock, client) = start(config).await;
        mock.serve_body(&format!("/api/v{version}/computers-inventory/1"), body);
        let target = ComputerRef::id("1").unwrap();
        let record = client
            .computer_inventory(
                &target,
                &[Section::Hardware, Section::Security, Section::Applications],
            )
            .await
            .unwrap();
        assert_eq!(record.summary.id, "1", "{name}");
        assert!(record.summary.last_contact.is_some(), "{name}");
        assert!(record.sections.contains_key("hardware"), "{name}");
        let security = client.computer_security(&target, by(&feed)).await.unwrap();
        assert_eq!(security.sip_status.as_deref(), sip, "{name}");
        if sip.is_some() {
            // Jamf's examples report macOS 10.9.5 with Rapid Security Response "(a)": judged
            // with the letter, long past its end of life, said in plain words.
            assert_eq!(security.os.version.as_deref(), Some("10.9.5 (a)"), "{name}");
            assert!(
                security
                    .findings
                    .iter()
                    .any(|f| f.contains("10.9.5 (a) is end of life")),
                "{name}"
            );
        }
    }
}

#[tokio::test]
async fn mobile_device_lists_and_details_parse() {
    let cases = [
        (
            false,
            SDK,
            "jamf_pro_api__mobile_devices__validate_list.json",
            2,
            "iPad",
            "DMQVGC0DHLA0",
        ),
        (
            false,
            PRISM,
            "GET_api_v2_mobile-devices.json",
            3,
            "iPad",
            "DMQVGC0DHLA0",
        ),
        // "ios" where the schema says "iOS": kept as sent.
        (
            true,
            SDK,
            "jamf_pro_api__mobile_devices__validate_detail_list.json",
            1,
            "Banezicron",
            "5c28fdae",
        ),
        (
            true,
            PRISM,
            "GET_api_v2_mobile-devices_detail.json",
            2,
            "Banezicron",
            "5c28fdae",
        ),
    ];
    for (detail, folder, name, total, first_name, first_serial) in cases {
        let Some(body) = fixture(folder, name) else {
            return;
        };
        let (mock, client) = start(MockConfig::default()).await;
        let (path, search) = if detail {
            let search = MobileDeviceSearch {
                text: Some("x".into()),
                ..MobileDeviceSearch::default()
            };
            ("/api/v2/mobile-devices/detail", search)
        } else {
            ("/api/v2/mobile-devices", MobileDeviceSearch::default())
        };
        mock.serve_body(path, body);
        let page = client.mobile_devices(&search).await.unwrap();
        assert_eq!(page.total, total, "{name}");
        let first = &page.devices[0];
        assert_eq!(first.id, "1", "{name}");
        assert_eq!(first.name.as_deref(), Some(first_name), "{name}");
        assert_eq!(first.serial.as_deref(), Some(first_serial), "{name}");
        assert!(first.device_type.is_some(), "{name}");
    }
}

#[tokio::test]
async fn token_fixtures_parse() {
    let Some(oauth) = fixture(PRISM, "POST_api_v1_oauth_token.200.json") else {
        return;
    };
    let (mock, client) = start(MockConfig::default()).await;
    mock.serve_body("/api/v1/oauth/token", oauth);
    // The fixture's token parses; the mock never issued it, so the API refuses it twice.
    let err = client.policies().await.unwrap_err();
    assert!(
        matches!(err, JamfError::Auth { status: 401, .. }),
        "{err:?}"
    );
    assert_eq!(mock.count("POST /api/v1/oauth/token"), 2);

    let Some(user) = fixture(PRISM, "POST_api_v1_auth_token.200.json") else {
        return;
    };
    let config = MockConfig::default();
    let mock = crate::support::mock::Mock::start(config.clone()).await;
    mock.serve_body("/api/v1/auth/token", user);
    let auth = latchkey_jamf::Auth::User {
        username: config.username,
        password: latchkey_jamf::Secret::new(config.password),
    };
    let client =
        latchkey_jamf::JamfClient::new(&mock.url(), auth, crate::support::fast_options()).unwrap();
    let err = client.policies().await.unwrap_err();
    assert!(
        matches!(err, JamfError::Auth { status: 401, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_unparsable_body_is_a_parse_error_naming_the_endpoint() {
    let (mock, client) = start(MockConfig::default()).await;
    mock.serve_body(
        "/JSSResource/policies",
        b"<html>maintenance</html>".to_vec(),
    );
    let err = client.policies().await.unwrap_err();
    assert!(matches!(err, JamfError::Parse { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("unexpected answer from GET /JSSResource/policies: invalid JSON"),
        "{err}"
    );
}
