//! Answers an admin can act on (issue "Answers an admin can act on"): a version the feed does
//! not list is unknown, a major Apple no longer patches is end of life (judged from each
//! feed's own data), severity counts name the unrated CVEs, and a feed's age is SOFA's own.

use crate::common;

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use latchkey_sofa::fetch::{DEFAULT_MAX_FEED_AGE, FeedOrigin};
use latchkey_sofa::{UpdateSla, VersionAnalysis, VersionState, VersionStatus};

const SEPT_2026: &str = "v2-2026-09-10/macos_data_feed.json";

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
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
fn a_version_apple_never_published_is_unknown_never_current() {
    let Some(feed) = common::load(SEPT_2026) else {
        return;
    };
    let typo = in_feed(
        feed.status("15.77", None, at(2026, 9, 11), &UpdateSla::default())
            .expect("status"),
    );
    assert_eq!(typo.counts.state, VersionState::Unknown);
    assert!(!typo.known_release);
    assert_eq!(typo.did_you_mean[0].to_string(), "15.7.7");
    assert!(
        typo.message.contains("did you mean 15.7.7?"),
        "{}",
        typo.message
    );
    // Between two releases, and past the newest: still not something Apple shipped.
    for version in ["15.7.6", "26.7"] {
        let a = in_feed(
            feed.status(version, None, at(2026, 9, 11), &UpdateSla::default())
                .expect("status"),
        );
        assert_eq!(a.counts.state, VersionState::Unknown, "{version}");
    }
    let between = feed.nearest_releases(&"15.7.6".parse().expect("version"));
    let between: Vec<String> = between.iter().map(ToString::to_string).collect();
    assert_eq!(between, ["15.7.5", "15.7.7"]);
}

#[test]
fn patched_majors_are_read_from_each_feed() {
    // Fixtures of 2025-09-19 to 2026-09-10: after macOS 26 shipped, 13 got nothing more.
    for (fixture, patched) in [
        ("rsr-era/v1/macos_data_feed.json", &[26, 15, 14][..]),
        ("older/v1/macos_data_feed.json", &[26, 15, 14]),
        ("older/v2/macos_data_feed.json", &[26, 15, 14]),
        ("v1/macos_data_feed.json", &[26, 15, 14]),
        ("v2/macos_data_feed.json", &[26, 15, 14]),
        (SEPT_2026, &[26, 15, 14]),
        // iOS 17 and visionOS 2 had no release once 26 shipped; watchOS 11 did.
        ("v2/ios_data_feed.json", &[26, 18]),
        ("v2/visionos_data_feed.json", &[26]),
        ("v2/watchos_data_feed.json", &[26, 11]),
    ] {
        let Some(feed) = common::load(fixture) else {
            return;
        };
        assert_eq!(feed.patched_majors(), patched, "{fixture}");
        assert_eq!(feed.summary().patched_majors, patched, "{fixture}");
    }
}

#[test]
fn a_major_apple_no_longer_patches_is_end_of_life() {
    let Some(feed) = common::load(SEPT_2026) else {
        return;
    };
    let now = at(2026, 9, 11);
    for version in ["12.7.6", "13.7.8", "13.0"] {
        let a = in_feed(
            feed.status(version, None, now, &UpdateSla::default())
                .expect("status"),
        );
        assert_eq!(a.counts.state, VersionState::EndOfLife, "{version}");
        let eol = a.end_of_life.expect("end of life");
        assert_eq!(eol.upgrade_to, [26, 15, 14]);
        assert_eq!(a.message, eol.message);
    }
    let a = in_feed(
        feed.status("12.7.6", None, now, &UpdateSla::default())
            .expect("status"),
    );
    let days = (now - at(2024, 7, 29)).num_days();
    assert_eq!(
        a.message,
        format!(
            "macOS 12.7.6 is end of life: no security updates since 2024-07-29 ({days} days); upgrade to macOS 14, 15 or 26"
        )
    );
    // A 2017 MacBook Pro runs 13 at most: no upgrade is left, the hardware is the limit.
    let old = in_feed(
        feed.status("13.7.8", Some("MacBookPro14,1"), now, &UpdateSla::default())
            .expect("status"),
    );
    let eol = old.end_of_life.expect("end of life");
    assert!(eol.limited_by_hardware && eol.upgrade_to.is_empty());
    assert!(old.message.ends_with("replace it"), "{}", old.message);
    // A 2018 one runs 15: it can move to 15 or 14.
    let mid = in_feed(
        feed.status("12.7.6", Some("MacBookPro15,2"), now, &UpdateSla::default())
            .expect("status"),
    );
    assert_eq!(mid.end_of_life.expect("end of life").upgrade_to, [15, 14]);
}

#[test]
fn severity_counts_say_how_many_cves_carry_none() {
    let Some(feed) = common::load(SEPT_2026) else {
        return;
    };
    let counts = feed
        .counts(&"15.1".parse().expect("version"))
        .expect("covered");
    let s = counts
        .severity_fixed_later
        .expect("this layout states severities");
    let rated = s.critical + s.high + s.medium + s.low + s.other;
    assert!(s.unrated > 0, "{s:?}");
    assert_eq!(rated + s.unrated, counts.cves_fixed_later);
}

#[test]
fn the_feed_age_is_sofas_not_the_download() {
    let Some(feed) = common::load(SEPT_2026) else {
        return;
    };
    let last_check = feed.feed().last_check.expect("v2 states LastCheck");
    let origin = FeedOrigin {
        source: "https://mirror.example/macos_data_feed.json".into(),
        // Fetched an hour ago, from a mirror SOFA last updated on 2026-09-10.
        fetched_at: at(2026, 10, 1),
        sofa_updated_at: Some(last_check),
        stale_reason: None,
    };
    let info = origin.info(at(2026, 10, 1), DEFAULT_MAX_FEED_AGE);
    assert_eq!(
        info.sofa_age_hours,
        Some((at(2026, 10, 1) - last_check).num_hours())
    );
    let warning = info.outdated.expect("older than 3 days");
    assert!(
        warning.contains("2026-09-10") && warning.contains("20 days"),
        "{warning}"
    );
    assert!(
        origin
            .info(at(2026, 9, 12), DEFAULT_MAX_FEED_AGE)
            .outdated
            .is_none()
    );
    let month = Duration::from_secs(30 * 24 * 3600);
    assert!(origin.info(at(2026, 10, 1), month).outdated.is_none());
}
