//! The fleet report's counts against a brute-force pass over the mock's own data, judged
//! version by version with `IndexedFeed::counts` on the real SOFA fixture.

use std::collections::{BTreeSet, HashMap};

use latchkey_jamf::ComputerRef;
use latchkey_sofa::{DeviceState, IndexedFeed, Version, VersionState};

use crate::support::mock::{MockComputer, MockConfig};
use crate::support::{by, sofa_feed, start};

#[derive(Debug, Default, PartialEq)]
struct Expected {
    current: usize,
    behind: usize,
    end_of_life: usize,
    unknown_version: usize,
    unreadable: usize,
    exploited: usize,
    limited: usize,
}

type Counts = Option<usize>;

fn state_of(feed: &IndexedFeed, c: &MockComputer) -> (DeviceState, Counts, Counts, Counts) {
    let Some(version) = c
        .visible_os_version()
        .and_then(|v| v.parse::<Version>().ok())
    else {
        return (DeviceState::Unreadable, None, None, None);
    };
    match feed.counts(&version) {
        // The mock's majors outside the feed (11, 10.15) are older than any Apple patches.
        None => (DeviceState::EndOfLife, None, None, None),
        Some(counts) => {
            assert_ne!(
                counts.state,
                VersionState::Unknown,
                "the mock hands out real releases"
            );
            (
                counts.state.into(),
                Some(counts.releases_behind),
                Some(counts.cves_fixed_later),
                Some(counts.actively_exploited_fixed_later),
            )
        }
    }
}

fn brute_force(feed: &IndexedFeed, computers: &[MockComputer]) -> Expected {
    let mut e = Expected::default();
    for c in computers {
        let (state, _, _, exploited) = state_of(feed, c);
        match state {
            DeviceState::Current => e.current += 1,
            DeviceState::Behind => e.behind += 1,
            DeviceState::EndOfLife => e.end_of_life += 1,
            DeviceState::UnknownVersion => e.unknown_version += 1,
            DeviceState::Unreadable => e.unreadable += 1,
            DeviceState::NotJudged => unreachable!("judged against a feed"),
        }
        e.exploited += usize::from(exploited > Some(0));
        let limited = c
            .visible_model()
            .and_then(|m| feed.hardware_support(m, None).limited_by_hardware);
        e.limited += usize::from(limited == Some(true));
    }
    e
}

#[tokio::test]
async fn fleet_counts_equal_a_brute_force_count_of_the_mock_data() {
    let Some(feed) = sofa_feed() else { return };
    let (mock, client) = start(MockConfig {
        computers: 2500,
        ..MockConfig::default()
    })
    .await;
    let report = client
        .fleet_security_report(by(&feed), &|_| {})
        .await
        .unwrap();
    let expected = brute_force(&feed, mock.computers());
    let got = Expected {
        current: report.current,
        behind: report.behind,
        end_of_life: report.end_of_life,
        unknown_version: report.unknown_version,
        unreadable: report.unreadable,
        exploited: report.missing_exploited_fixes,
        limited: report.limited_by_hardware,
    };
    assert_eq!(got, expected);
    assert_eq!(report.total, 2500);
    // Non-trivial spread, or the test proves little.
    assert!(
        expected.current > 100
            && expected.behind > 700
            && expected.end_of_life > 500
            && expected.unreadable > 100,
        "{expected:?}"
    );
    assert!(
        expected.exploited > 500 && expected.limited > 100,
        "{expected:?}"
    );
    assert_eq!(
        report.distribution.iter().map(|d| d.devices).sum::<usize>(),
        2500
    );
    assert_eq!(report.server, client.server());
    assert_eq!(report.inventory_api, "v4");
    assert_eq!(report.computers_omitted, 0);

    let by_id: HashMap<String, &MockComputer> = mock
        .computers()
        .iter()
        .map(|c| (c.id.to_string(), c))
        .collect();
    for row in &report.computers {
        let c = by_id[&row.id];
        let (state, behind, cves, exploited) = state_of(&feed, c);
        assert_eq!(
            (
                row.state,
                row.releases_behind,
                row.missing_cves,
                row.missing_exploited_cves
            ),
            (state, behind, cves, exploited),
            "{}",
            row.id
        );
        assert_eq!(row.name.as_deref(), Some(c.name.as_str()));
        assert_eq!(
            row.serial.as_deref(),
            (!c.no_hardware_section).then_some(c.serial.as_str())
        );
        assert_eq!(
            row.user.as_deref(),
            (!c.no_user_section).then_some(c.username.as_str()),
            "the fleet scan names each Mac's user"
        );
        assert_eq!(
            row.os_version.as_deref(),
            c.visible_os_version().filter(|v| !v.is_empty())
        );
        assert_eq!(row.last_contact, Some(c.last_contact));
    }
    let keys: Vec<_> = report
        .computers
        .iter()
        .map(|c| (c.missing_exploited_cves, c.missing_cves, c.releases_behind))
        .collect();
    assert!(keys.windows(2).all(|w| w[0] >= w[1]), "most exposed first");
}

#[tokio::test]
async fn the_report_json_has_exactly_the_shared_fields() {
    let Some(feed) = sofa_feed() else { return };
    let (_mock, client) = start(MockConfig {
        computers: 50,
        ..MockConfig::default()
    })
    .await;
    let mut report = client
        .fleet_security_report(by(&feed), &|_| {})
        .await
        .unwrap();
    // Every behind Mac has a deadline; the count is of those past it (the feed is older than
    // the clock, so some are).
    let overdue = (report.computers.iter())
        .filter(|c| c.deadline.as_ref().is_some_and(|d| d.overdue))
        .count();
    assert_eq!(report.overdue, overdue);
    assert!(overdue > 0);
    assert!(
        (report.computers.iter())
            .filter(|c| c.state == latchkey_sofa::DeviceState::Behind)
            .all(|c| c.deadline.is_some())
    );
    report.truncate(10);
    let json = serde_json::to_value(&report).unwrap();
    let keys: BTreeSet<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let expected: BTreeSet<&str> = [
        "server",
        "generated_at",
        "inventory_api",
        "macos_feed",
        "macos_currency_unavailable",
        "total",
        "current",
        "behind",
        "end_of_life",
        "unknown_version",
        "unreadable",
        "not_judged",
        "missing_exploited_fixes",
        "limited_by_hardware",
        "overdue",
        "distribution",
        "computers",
        "computers_omitted",
    ]
    .into();
    assert_eq!(keys, expected);
    let row: BTreeSet<&str> = json["computers"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let expected_row: BTreeSet<&str> = [
        "id",
        "name",
        "serial",
        "user",
        "model",
        "os_version",
        "state",
        "releases_behind",
        "missing_cves",
        "missing_exploited_cves",
        "deadline",
        "last_contact",
        "days_since_contact",
    ]
    .into();
    assert_eq!(row, expected_row);
    let dist: BTreeSet<&str> = json["distribution"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(dist, ["devices", "os_version", "state"].into());
    assert_eq!(json["total"], 50);
    assert_eq!(json["computers"].as_array().unwrap().len(), 10);
    assert_eq!(json["computers_omitted"], 40);
}

#[tokio::test]
async fn one_macs_posture_names_its_problems() {
    let Some(feed) = sofa_feed() else { return };
    let (mock, client) = start(MockConfig {
        computers: 60,
        ..MockConfig::default()
    })
    .await;
    // Computer 1 runs VERSIONS[0], the newest 26.x; FileVault and firewall on.
    let current = client
        .computer_security(&ComputerRef::id("1").unwrap(), by(&feed))
        .await
        .unwrap();
    assert_eq!(current.os.state, DeviceState::Current);
    assert_eq!(current.filevault.enabled, Some(true));
    assert!(
        current.findings.iter().all(|f| !f.contains("FileVault")),
        "{:?}",
        current.findings
    );

    // Computer 30 (i = 29): find what the mock gave it and check each finding follows.
    let c = &mock.computers()[29];
    let security = client
        .computer_security(&ComputerRef::serial(&c.serial).unwrap(), by(&feed))
        .await
        .unwrap();
    let (state, behind, _, exploited) = state_of(&feed, c);
    let (behind, exploited) = (behind.unwrap_or(0), exploited.unwrap_or(0));
    assert_eq!(
        (
            security.os.state,
            security.os.releases_behind,
            security.os.missing_exploited_cves
        ),
        (state, behind, exploited)
    );
    assert_eq!(security.os.actively_exploited_cve_ids.len(), exploited);
    assert_eq!(security.firewall_enabled, Some(c.firewall));
    assert_eq!(
        security.findings.iter().any(|f| f == "the firewall is off"),
        !c.firewall
    );
    assert_eq!(
        security.findings.iter().any(|f| f == "FileVault is off"),
        !c.filevault
    );
    if exploited > 0 {
        assert!(
            security.findings[0].ends_with("fixed in releases this Mac is missing"),
            "{:?}",
            security.findings
        );
    }
    let days = security.days_since_contact.unwrap();
    assert_eq!(
        security
            .findings
            .iter()
            .any(|f| f.starts_with("last check-in")),
        days >= 30
    );

    // Computer 29 (i = 28) reports a SIP state no schema knows: kept, not fatal.
    let odd = client
        .computer_security(&ComputerRef::id("29").unwrap(), by(&feed))
        .await
        .unwrap();
    assert_eq!(odd.sip_status.as_deref(), Some("FUTURE_SIP_STATE"));
    // Computer 41 (i = 40) reports no version at all: unreadable, said so.
    let blank = client
        .computer_security(&ComputerRef::id("41").unwrap(), by(&feed))
        .await
        .unwrap();
    assert_eq!(blank.os.state, DeviceState::Unreadable);
    assert!(
        blank
            .findings
            .iter()
            .any(|f| f.starts_with("no macOS version reported")),
        "{:?}",
        blank.findings
    );
}
