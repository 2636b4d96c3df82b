//! Update deadlines (issue #17): each missed release is required by its date plus the SLA
//! (7 days with an actively exploited fix, else 30; 90 to leave an end-of-life major), the
//! earliest counting, on the real 2026-03-31 feed whose 13.0.1 is dated 2024 and 13.1 2022.
//! The expected dates were worked out by hand from the feed's release dates.

use crate::common;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use latchkey_sofa::{
    FleetDevice, SlaKind, UpdateDeadline, UpdateSla, VersionAnalysis, VersionStatus,
};

const FEED: &str = "v2/macos_data_feed.json";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 1, 12, 0, 0)
        .single()
        .expect("date")
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn deadline(
    feed: &latchkey_sofa::IndexedFeed,
    version: &str,
    sla: &UpdateSla,
) -> Option<UpdateDeadline> {
    feed.deadline(&version.parse().expect("version"), sla, now())
}

fn in_feed(status: VersionStatus) -> VersionAnalysis {
    match status {
        VersionStatus::InFeed(analysis) => *analysis,
        VersionStatus::NotInFeed(n) => panic!("expected in feed: {}", n.message),
    }
}

/// (version, required by, release setting it, SLA, days overdue on 2026-04-01)
#[test]
fn each_version_is_due_at_its_earliest_missed_deadline() {
    let Some(feed) = common::load(FEED) else {
        return;
    };
    let sla = UpdateSla::default();
    let cases = [
        // 26.3.1 (2026-03-04, no exploited fix) + 30: due in 2 days.
        ("26.3", day(2026, 4, 3), "26.3.1", SlaKind::Standard, -2),
        // 15.1.1 (2024-11-19) fixed actively exploited CVEs: + 7.
        (
            "15.1",
            day(2024, 11, 26),
            "15.1.1",
            SlaKind::ActivelyExploited,
            491,
        ),
        ("14.4.1", day(2024, 6, 12), "14.5", SlaKind::Standard, 658),
        // 13.1 (2022-12-13, exploited) is earlier than 13.0.1's 2024 date.
        (
            "13.0",
            day(2022, 12, 20),
            "13.1",
            SlaKind::ActivelyExploited,
            1198,
        ),
        // Nothing missed in 13, which 26.0 (2025-09-15) pushed out of support: + 90.
        (
            "13.7.8",
            day(2025, 12, 14),
            "26.0",
            SlaKind::MajorUpgrade,
            108,
        ),
        // 12 lost support when 15.0 shipped (2024-09-16).
        (
            "12.7.6",
            day(2024, 12, 15),
            "15.0",
            SlaKind::MajorUpgrade,
            472,
        ),
        // Older than the feed: the latest the feed can tell, 14.0 (2023-09-26) + 90.
        (
            "10.15.7",
            day(2023, 12, 25),
            "14.0",
            SlaKind::MajorUpgrade,
            828,
        ),
    ];
    for (version, required_by, release, kind, days) in cases {
        let d = deadline(&feed, version, &sla).unwrap_or_else(|| panic!("{version}"));
        assert_eq!(
            (
                d.required_by,
                d.release.to_string().as_str(),
                d.sla,
                d.days_overdue
            ),
            (required_by, release, kind, days),
            "{version}"
        );
        assert_eq!(d.overdue, days > 0, "{version}");
    }
    // Current, or not a release the feed lists: no deadline.
    for version in ["26.4", "15.7.5", "15.77", "27.0"] {
        assert_eq!(deadline(&feed, version, &sla), None, "{version}");
    }
}

#[test]
fn the_sla_is_a_setting() {
    let Some(feed) = common::load(FEED) else {
        return;
    };
    let sla = UpdateSla {
        standard_days: 10,
        ..UpdateSla::default()
    };
    let d = deadline(&feed, "26.3", &sla).expect("behind");
    assert_eq!(
        (d.required_by, d.days_overdue, d.overdue),
        (day(2026, 3, 14), 18, true)
    );
    assert_eq!(d.describe(), "required by 2026-03-14, overdue by 18 days");
    let default = deadline(&feed, "26.3", &UpdateSla::default()).expect("behind");
    assert_eq!(default.describe(), "required by 2026-04-03, due in 2 days");
    // A settings file naming only one value keeps the others' defaults.
    let partial: UpdateSla =
        serde_json::from_str(r#"{"standard_days": 14}"#).expect("partial settings");
    assert_eq!(
        (partial.actively_exploited_days, partial.major_upgrade_days),
        (7, 90)
    );
}

#[test]
fn days_behind_count_from_the_earliest_missed_date() {
    let Some(feed) = common::load(FEED) else {
        return;
    };
    let a = in_feed(
        feed.status("13.0", None, now(), &UpdateSla::default())
            .expect("status"),
    );
    // The oldest missed version, 13.0.1, is dated 2024-06-12; 13.1 came out 2022-12-13.
    assert_eq!(a.missed[0].version.to_string(), "13.0.1");
    assert_eq!(a.days_since_first_missed, Some(1205));
    assert_eq!(a.deadline.expect("deadline").required_by, day(2022, 12, 20));
    // Each missed release carries its own date: 13.0.1 2024-06-12 + 30, 13.1 + 7.
    assert_eq!(a.missed[0].required_by, Some(day(2024, 7, 12)));
    assert_eq!(a.missed[1].required_by, Some(day(2022, 12, 20)));
    assert_eq!(a.latest.required_by, None);
}

#[test]
fn fleet_counts_overdue_devices() {
    let Some(feed) = common::load(FEED) else {
        return;
    };
    let devices: Vec<FleetDevice> = ["26.4", "26.3", "14.4.1", "13.7.8", "10.15.7", "15.77", "?"]
        .iter()
        .enumerate()
        .map(|(i, v)| FleetDevice {
            id: format!("mac{i}"),
            os_version: (*v).into(),
            model: None,
        })
        .collect();
    let report = feed.fleet(&devices, now(), &UpdateSla::default());
    assert_eq!(report.overdue, 3);
    let required: Vec<Option<NaiveDate>> = (report.devices.iter())
        .map(|d| d.deadline.as_ref().map(|d| d.required_by))
        .collect();
    assert_eq!(
        required,
        [
            None,
            Some(day(2026, 4, 3)),
            Some(day(2024, 6, 12)),
            Some(day(2025, 12, 14)),
            Some(day(2023, 12, 25)),
            None,
            None
        ]
    );
}
