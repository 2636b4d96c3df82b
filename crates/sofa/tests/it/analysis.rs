//! One version in depth: missed releases, days behind, exploited fixes, unknown majors,
//! malformed input and model support.

use crate::common;

use chrono::{DateTime, TimeZone, Utc};
use latchkey_sofa::{SofaError, UpdateSla, VersionAnalysis, VersionState, VersionStatus};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0)
        .single()
        .expect("date")
}

fn in_feed(status: VersionStatus) -> VersionAnalysis {
    match status {
        VersionStatus::InFeed(analysis) => *analysis,
        VersionStatus::NotInFeed(n) => panic!("expected in feed: {}", n.message),
    }
}

#[test]
fn behind_version_lists_missed_releases_oldest_first() {
    let Some(feed) = common::load("v2/macos_data_feed.json") else {
        return;
    };
    let a = in_feed(
        feed.status("15.1", None, now(), &UpdateSla::default())
            .expect("status"),
    );
    assert_eq!((a.os_label.as_str(), a.known_release), ("Sequoia 15", true));
    assert_eq!(a.counts.state, VersionState::Behind);
    assert_eq!(a.latest.version.to_string(), "15.7.5");
    assert_eq!(a.missed.len(), a.counts.releases_behind);
    assert_eq!(
        a.missed.first().map(|r| r.version.to_string()).as_deref(),
        Some("15.1.1")
    );
    assert_eq!(a.missed.last().map(|r| r.version), Some(a.latest.version));
    assert!(a.missed.windows(2).all(|w| w[0].version < w[1].version));
    assert!(a.missed.iter().all(|r| r.security_info_url.is_some()));
    // Same numbers as EXPECTED.json for 15.1.
    assert_eq!(
        (
            a.counts.cves_fixed_later,
            a.counts.actively_exploited_fixed_later
        ),
        (676, 12)
    );
    assert_eq!(a.actively_exploited_cve_ids.len(), 12);
    let first = a.missed[0].release_date.expect("date");
    assert_eq!(a.days_since_first_missed, Some((now() - first).num_days()));
    assert!(
        a.counts.kev_fixed_later.is_some(),
        "v2 states KEV membership"
    );
}

#[test]
fn latest_version_is_current() {
    let Some(feed) = common::load("v2-2026-09-10/macos_data_feed.json") else {
        return;
    };
    for version in ["26.6.2", "15.7.9", "14.8.9"] {
        let a = in_feed(
            feed.status(version, None, now(), &UpdateSla::default())
                .expect("status"),
        );
        assert_eq!(a.counts.state, VersionState::Current, "{version}");
        assert!(
            a.missed.is_empty() && a.days_since_first_missed.is_none(),
            "{version}"
        );
        assert_eq!(a.counts.cves_fixed_later, 0);
        assert_eq!(a.message, format!("macOS {version} is up to date"));
    }
}

#[test]
fn v1_feed_has_no_kev_or_severity() {
    let Some(feed) = common::load("v1/macos_data_feed.json") else {
        return;
    };
    let counts = feed.counts(&"14.0".parse().expect("v")).expect("covered");
    assert_eq!(
        (counts.kev_fixed_later, counts.severity_fixed_later),
        (None, None)
    );
}

#[test]
fn majors_outside_the_feed_are_end_of_life_or_unknown() {
    let Some(feed) = common::load("v2/macos_data_feed.json") else {
        return;
    };
    for (version, state) in [
        ("10.15.7", VersionState::EndOfLife),
        ("11.7.10", VersionState::EndOfLife),
        ("27.0", VersionState::Unknown),
    ] {
        match feed
            .status(version, None, now(), &UpdateSla::default())
            .expect("status")
        {
            VersionStatus::NotInFeed(n) => {
                assert_eq!(n.feed_majors, [26, 15, 14, 13, 12]);
                assert_eq!(n.state, state, "{version}");
                assert_eq!(n.end_of_life.is_some(), state == VersionState::EndOfLife);
                assert!(n.message.contains(version), "{}", n.message);
            }
            VersionStatus::InFeed(_) => panic!("{version} should not be in the feed"),
        }
    }
}

#[test]
fn malformed_version_is_an_error() {
    let Some(feed) = common::load("v2/macos_data_feed.json") else {
        return;
    };
    let err = feed
        .status("Sequoia", None, now(), &UpdateSla::default())
        .expect_err("malformed");
    assert!(matches!(&err, SofaError::InvalidVersion { input, .. } if input == "Sequoia"));
    assert!(err.to_string().contains("Sequoia"));
}

#[test]
fn rsr_versions_count_from_their_place() {
    let Some(feed) = common::load("rsr-era/v1/macos_data_feed.json") else {
        return;
    };
    let plain = in_feed(
        feed.status("13.4.1", None, now(), &UpdateSla::default())
            .expect("status"),
    );
    let a = in_feed(
        feed.status("13.4.1 (a)", None, now(), &UpdateSla::default())
            .expect("status"),
    );
    let c = in_feed(
        feed.status("13.4.1 (c)", None, now(), &UpdateSla::default())
            .expect("status"),
    );
    assert_eq!(
        plain.missed.len(),
        a.missed.len() + 1,
        "13.4.1 also misses (a)"
    );
    assert_eq!(a.missed.len(), c.missed.len() + 1, "(a) also misses (c)");
    assert_eq!(a.missed[0].version.to_string(), "13.4.1 (c)");
    assert!(a.known_release && c.known_release);
}

#[test]
fn hardware_limits_are_reported() {
    let Some(feed) = common::load("v2-2026-09-10/macos_data_feed.json") else {
        return;
    };
    // A 2018 MacBook Pro tops out at Sequoia 15.
    let a = in_feed(
        feed.status(
            "15.7.9",
            Some("MacBookPro15,2"),
            now(),
            &UpdateSla::default(),
        )
        .expect("status"),
    );
    let hw = a.hardware.expect("hardware");
    assert!(hw.known_model);
    assert_eq!(
        (hw.hardware_max_major, hw.newest_feed_major),
        (Some(15), Some(26))
    );
    assert_eq!(
        (hw.upgrade_available_by_hardware, hw.limited_by_hardware),
        (Some(false), Some(true))
    );
    // An M1 Mac on Sonoma could move to Tahoe.
    let hw = feed.hardware_support("MacBookAir10,1", Some(14));
    assert_eq!(
        (hw.hardware_max_major, hw.upgrade_available_by_hardware),
        (Some(26), Some(true))
    );
    assert_eq!(hw.limited_by_hardware, Some(false));
    let unknown = feed.hardware_support("Toaster1,1", Some(15));
    assert!(!unknown.known_model && unknown.hardware_max_major.is_none());
    assert_eq!(unknown.upgrade_available_by_hardware, None);
}

#[test]
fn results_serialize_with_schemas() {
    let Some(feed) = common::load("v2/macos_data_feed.json") else {
        return;
    };
    let status = feed
        .status("14.4.1", Some("iMac19,1"), now(), &UpdateSla::default())
        .expect("status");
    let json = serde_json::to_value(&status).expect("serialize");
    assert_eq!(json["result"], "in_feed");
    assert_eq!(json["version"], "14.4.1");
    assert_eq!(json["hardware"]["hardware_max_major"], 15);
    let schema = serde_json::to_value(schemars::schema_for!(VersionStatus)).expect("schema");
    let text = schema.to_string();
    assert!(
        text.contains("Days from the earliest-dated missed release"),
        "field docs become descriptions"
    );
}
