//! Each published layout loads into the same model: macOS v1 / v2 2025 / v2 schema 2026.04.11,
//! iOS v1 / v2, the other v2 OS feeds and Safari, and the RSR-era feed.

use crate::common;

use chrono::{TimeZone, Utc};
use latchkey_sofa::{FeedLayout, Version};

fn v(text: &str) -> Version {
    text.parse().expect("version")
}

#[test]
fn macos_v1_booleans() {
    let Some(feed) = common::load("v1/macos_data_feed.json") else {
        return;
    };
    let f = feed.feed();
    assert_eq!(f.layout, FeedLayout::V1);
    assert_eq!(feed.majors(), [26, 15, 14, 13, 12]);
    assert_eq!(f.os_versions[0].label, "Tahoe 26");
    let cves = f
        .os_versions
        .iter()
        .flat_map(|os| &os.releases)
        .flat_map(|r| &r.cves);
    assert!(cves.clone().any(|c| c.actively_exploited));
    assert!(
        cves.clone()
            .all(|c| c.in_kev.is_none() && c.severity.is_none()),
        "v1 has no details"
    );
    // v1 gives builds only in Latest; the matching release gets it.
    assert_eq!(f.os_versions[0].latest.build.as_deref(), Some("25E246"));
    assert_eq!(f.models["MacBookPro15,2"].newest_major, Some(15));
}

#[test]
fn macos_v2_objects() {
    let Some(feed) = common::load("v2/macos_data_feed.json") else {
        return;
    };
    let f = feed.feed();
    assert_eq!(
        (f.layout, f.product.as_deref()),
        (FeedLayout::V2, Some("macOS"))
    );
    let checked = Utc
        .with_ymd_and_hms(2026, 3, 31, 6, 56, 27)
        .single()
        .expect("date");
    assert_eq!(
        f.last_check.map(|t| t.timestamp()),
        Some(checked.timestamp())
    );
    let cves: Vec<_> = f
        .os_versions
        .iter()
        .flat_map(|os| &os.releases)
        .flat_map(|r| &r.cves)
        .collect();
    assert!(
        cves.iter()
            .any(|c| c.in_kev == Some(true) && c.nist_url.is_some() && c.severity.is_some())
    );
    let latest = feed.latest_releases();
    assert_eq!(
        (latest[0].version, latest[0].build.as_deref()),
        (v("26.4"), Some("25E246"))
    );
}

#[test]
fn macos_v2_schema_2026() {
    let Some(feed) = common::load("v2-2026-09-10/macos_data_feed.json") else {
        return;
    };
    let f = feed.feed();
    assert_eq!(f.layout, FeedLayout::V2Schema);
    assert_eq!(f.schema_version.as_deref(), Some("2026.04.11.2"));
    assert_eq!(
        f.devices["J132AP"].model_identifier.as_deref(),
        Some("MacBookPro15,2")
    );
    let tahoe = &f.os_versions[0];
    let r2661 = tahoe
        .releases
        .iter()
        .find(|r| r.version == v("26.6.1"))
        .expect("26.6.1");
    let next = r2661.superseded_by.as_ref().expect("SupersededBy");
    assert_eq!(
        (next.product_version.as_str(), next.build.as_deref()),
        ("26.6.2", Some("25G83"))
    );
    let cve = &r2661.cves[0];
    assert_eq!(cve.id, "CVE-2026-65400");
    assert!(cve.actively_exploited && cve.in_kev == Some(true));
    assert_eq!(cve.severity.as_deref(), Some("Critical"));
    // Releases without SupportedDevices inherit Latest's list.
    assert!(!tahoe.supported_devices.is_empty());
    let mut omitted = tahoe
        .releases
        .iter()
        .filter(|r| r.supported_devices.is_none());
    assert!(
        omitted.clone().count() > 5,
        "most 2026 releases omit the list"
    );
    assert!(omitted.all(|r| tahoe.devices_for(r) == tahoe.supported_devices.as_slice()));
    let listed = tahoe
        .releases
        .iter()
        .find(|r| r.supported_devices.is_some())
        .expect("a listed release");
    assert_eq!(
        tahoe.devices_for(listed),
        listed.supported_devices.as_deref().unwrap_or_default()
    );
}

#[test]
fn ios_feeds() {
    for path in [
        "v1/ios_data_feed.json",
        "v2/ios_data_feed.json",
        "older/v1/ios_data_feed.json",
    ] {
        let Some(feed) = common::load(path) else {
            return;
        };
        assert_eq!(feed.majors(), [26, 18, 17], "{path}");
        assert_eq!(
            feed.feed().product.as_deref(),
            Some("iOS and iPadOS"),
            "{path}"
        );
    }
    // v2's Latest for 18 says 18.7.3, but 18.7.7 is listed: the newest wins.
    let Some(feed) = common::load("v2/ios_data_feed.json") else {
        return;
    };
    assert_eq!(feed.os_version(18).expect("18").latest.version, v("18.7.7"));
    assert_eq!(
        feed.os_version(17).expect("17").latest.version,
        v("17.7.10")
    );
}

#[test]
fn other_v2_feeds_load() {
    let feeds = [
        ("v2/tvos_data_feed.json", "tvOS", vec![26, 18]),
        ("v2/watchos_data_feed.json", "watchOS", vec![26, 11]),
        ("v2/visionos_data_feed.json", "visionOS", vec![26, 2]),
        ("v2/safari_data_feed.json", "Safari", vec![26, 18, 17]),
    ];
    for (path, product, majors) in feeds {
        let Some(feed) = common::load(path) else {
            return;
        };
        assert_eq!(feed.feed().product.as_deref(), Some(product), "{path}");
        assert_eq!(feed.majors(), majors, "{path}");
        let latest = &feed.latest_releases()[0];
        assert_eq!(latest.version, v("26.4"), "{path}");
        // tvOS/watchOS/visionOS give bare dates.
        let date = Utc
            .with_ymd_and_hms(2026, 3, 24, 0, 0, 0)
            .single()
            .expect("date");
        assert_eq!(latest.release_date, Some(date), "{path}");
        assert!(feed.summary().distinct_cves > 100, "{path}");
    }
}

#[test]
fn rsr_era_versions_carry_their_letter() {
    let Some(feed) = common::load("rsr-era/v1/macos_data_feed.json") else {
        return;
    };
    let ventura = feed.os_version(13).expect("13");
    let around: Vec<String> = (ventura.releases.iter().rev())
        .map(|r| r.version)
        .filter(|x| *x >= v("13.4") && *x <= v("13.5"))
        .map(|x| x.to_string())
        .collect();
    assert_eq!(
        around,
        ["13.4", "13.4.1", "13.4.1 (a)", "13.4.1 (c)", "13.5"]
    );
    let rsr = ventura
        .releases
        .iter()
        .find(|r| r.version == v("13.4.1 (a)"))
        .expect("RSR");
    assert_eq!(
        (rsr.product_version.as_str(), rsr.release_type.as_deref()),
        ("13.4.1", Some("RSR_a"))
    );
}

#[test]
fn truncated_real_feeds_fail_cleanly() {
    let Some(bytes) = common::fixture("v2-2026-09-10/macos_data_feed.json") else {
        return;
    };
    for cut in (1..bytes.len()).step_by(bytes.len() / 97) {
        assert!(
            latchkey_sofa::parse_feed(&bytes[..cut]).is_err(),
            "cut at {cut}"
        );
    }
}
