//! Fleet report on a small hand-made set of devices, cross-checked against single-version
//! analysis of each device.

use crate::common;

use chrono::DateTime;
use latchkey_sofa::{DeviceState, FleetDevice, FleetTally, UpdateSla, VersionStatus};

fn device(id: &str, os_version: &str, model: Option<&str>) -> FleetDevice {
    FleetDevice {
        id: id.into(),
        os_version: os_version.into(),
        model: model.map(Into::into),
    }
}

#[test]
fn fleet_matches_single_version_analysis() {
    let Some(feed) = common::load("v2/macos_data_feed.json") else {
        return;
    };
    let devices = [
        device("a", "26.4", Some("Mac16,1")),
        device("b", "26.0", Some("Mac16,1")),
        device("c", "15.1", Some("MacBookPro15,2")),
        device("d", "15.7.5", Some("MacBookPro15,2")),
        device("e", "15.1.0", None),
        device("f", "14.4.1", Some("iMac19,1")),
        device("g", "10.15.7", Some("MacBookPro11,4")),
        device("h", "27.0", None),
        device("i", "Sequoia", None),
        device("j", "", None),
        device("k", "13.4.1 (a)", Some("NotAMac1,1")),
    ];
    let report = feed.fleet(&devices, DateTime::UNIX_EPOCH, &UpdateSla::default());
    assert_eq!(report.total, 11);
    assert_eq!((report.current, report.behind), (2, 4));
    // 10.15.7 and 13.4.1 (a) run majors Apple no longer patches; 27.0 is newer than the feed.
    assert_eq!(
        (
            report.end_of_life,
            report.unknown_version,
            report.unreadable
        ),
        (2, 1, 2)
    );
    // MacBookPro15,2 (twice), iMac19,1, MacBookPro11,4 cannot run 26.
    assert_eq!(report.limited_by_hardware, 4);

    for (input, result) in devices.iter().zip(&report.devices) {
        assert_eq!(
            (input.id.as_str(), input.os_version.as_str()),
            (result.id.as_str(), result.os_version.as_str())
        );
        match feed.status(
            &input.os_version,
            None,
            DateTime::UNIX_EPOCH,
            &UpdateSla::default(),
        ) {
            Err(_) => assert_eq!(result.state, DeviceState::Unreadable, "{}", input.id),
            Ok(VersionStatus::NotInFeed(n)) => {
                assert_eq!(result.state, DeviceState::from(n.state), "{}", input.id);
                assert_eq!(result.missing_cves, None, "{}: n/a, not 0", input.id);
            }
            Ok(VersionStatus::InFeed(a)) => {
                assert_eq!(
                    result.state,
                    DeviceState::from(a.counts.state),
                    "{}",
                    input.id
                );
                assert_eq!(result.releases_behind, Some(a.missed.len()), "{}", input.id);
                assert_eq!(
                    result.missing_cves,
                    Some(a.counts.cves_fixed_later),
                    "{}",
                    input.id
                );
                assert_eq!(
                    result.missing_exploited_cves,
                    Some(a.actively_exploited_cve_ids.len()),
                    "{}",
                    input.id
                );
            }
        }
    }
    let with_exploited = report
        .devices
        .iter()
        .filter(|d| d.missing_exploited_cves > Some(0))
        .count();
    assert_eq!(report.missing_exploited_fixes, with_exploited);

    // "15.1" and "15.1.0" are one version; readable versions come first, newest first.
    let rows: Vec<(&str, usize)> = report
        .distribution
        .iter()
        .map(|r| (r.os_version.as_str(), r.devices))
        .collect();
    assert_eq!(
        rows,
        [
            ("27.0", 1),
            ("26.4", 1),
            ("26.0", 1),
            ("15.7.5", 1),
            ("15.1", 2),
            ("14.4.1", 1),
            ("13.4.1 (a)", 1),
            ("10.15.7", 1),
            ("", 1),
            ("Sequoia", 1)
        ]
    );
    let total: usize = report.distribution.iter().map(|r| r.devices).sum();
    assert_eq!(total, report.total);
}

#[test]
fn empty_fleet() {
    let Some(feed) = common::load("v1/macos_data_feed.json") else {
        return;
    };
    let report = feed.fleet(&[], DateTime::UNIX_EPOCH, &UpdateSla::default());
    assert_eq!(
        (
            report.total,
            report.distribution.len(),
            report.devices.len()
        ),
        (0, 0, 0)
    );
}

/// Issue #16: a tally judges devices as they are read. Devices on one version whose models top
/// out at one major share a standing, and the totals are those of the whole-fleet report.
#[test]
fn a_tally_shares_standings_and_keeps_the_totals() {
    let Some(feed) = common::load("v2/macos_data_feed.json") else {
        return;
    };
    let devices = [
        device("a", "15.1", None),
        device("b", "15.1.0", None),
        device("c", "15.1", Some("MacBookPro15,2")),
        device("d", "15.1", Some("MacBookPro15,2")),
        device("e", "Sequoia", None),
        device("f", "banana", None),
        device("g", "10.15.7", None),
    ];
    let sla = UpdateSla::default();
    let mut tally = FleetTally::new(&feed, DateTime::UNIX_EPOCH, &sla);
    let numbers: Vec<usize> = (devices.iter())
        .map(|d| tally.add(&d.os_version, d.model.as_deref()))
        .collect();
    // "15.1" and "15.1.0" are one version; a model that cannot run 26 is another standing;
    // two unreadable strings share one.
    assert_eq!(numbers, [0, 0, 1, 1, 2, 2, 3]);
    assert!(!tally.standing(0).limited_by_hardware);
    assert!(tally.standing(1).limited_by_hardware);
    assert_eq!(tally.standing(2).state, DeviceState::Unreadable);

    let summary = tally.summary();
    let report = feed.fleet(&devices, DateTime::UNIX_EPOCH, &sla);
    assert_eq!(
        serde_json::to_value(summary.with_devices(&report.devices)).unwrap(),
        serde_json::to_value(&report).unwrap()
    );
    for (d, &n) in report.devices.iter().zip(&numbers) {
        assert_eq!(
            serde_json::to_value(tally.standing(n).for_device(&d.id, &d.os_version)).unwrap(),
            serde_json::to_value(d).unwrap()
        );
    }
}

#[test]
fn without_a_feed_nobody_is_judged() {
    let mut tally = FleetTally::without_feed();
    for version in ["15.1", "26.4", "?", "15.1"] {
        tally.add(version, Some("MacBookPro15,2"));
    }
    let summary = tally.summary();
    assert_eq!(
        (summary.total, summary.not_judged, summary.unreadable),
        (4, 3, 1)
    );
    assert_eq!(summary.limited_by_hardware, 0);
}
