//! Hand-made feeds: missing fields, odd values and broken input load or fail cleanly.

use latchkey_sofa::{FeedLayout, IndexedFeed, SofaError, UpdateSla, Version, parse_feed};

fn parse(json: &str) -> latchkey_sofa::Feed {
    parse_feed(json.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{json}"))
}

#[test]
fn bare_releases_load() {
    // No Build, empty or null CVEs, no dates, no Latest, odd LastCheck.
    let feed = parse(
        r#"{"LastCheck": "2026-03-31T06:56:27+00:00Z", "OSVersions": [{"OSVersion": "Sequoia 15",
            "SecurityReleases": [{"ProductVersion": "15.1"}, {"ProductVersion": "15.2", "CVEs": {}},
            {"ProductVersion": "15.3", "CVEs": null, "Build": "", "ReleaseDate": "not a date"}]}]}"#,
    );
    assert_eq!(feed.layout, FeedLayout::V1);
    assert_eq!(
        feed.last_check.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-03-31T06:56:27+00:00")
    );
    let os = &feed.os_versions[0];
    assert_eq!((os.major, os.releases.len()), (15, 3));
    assert_eq!(os.latest.version, Version::new(15, 3, 0));
    assert!(
        os.releases
            .iter()
            .all(|r| r.build.is_none() && r.cves.is_empty() && r.release_date.is_none())
    );
}

#[test]
fn odd_types_read_as_absent() {
    let feed = parse(
        r#"{"Version": 2, "LastCheck": 17, "OSVersions": [{"OSVersion": ["x"], "Latest": "26.4",
            "SecurityReleases": [7, {"ProductVersion": "26.4", "Build": 5, "SecurityInfo": false,
            "CVEs": {"CVE-1": null, "CVE-2": "yes", "CVE-3": {"Severity": 3, "InKEV": "no"}},
            "ActivelyExploitedCVEs": "CVE-1", "SupportedDevices": {"a": 1}}]}]}"#,
    );
    let release = &feed.os_versions[0].releases[0];
    assert_eq!(
        feed.os_versions[0].major, 26,
        "major falls back to the release's version"
    );
    assert_eq!(release.cves.len(), 3);
    assert!(
        release
            .cves
            .iter()
            .all(|c| !c.actively_exploited && c.in_kev.is_none() && c.severity.is_none())
    );
    assert!(
        release.build.is_none() && release.security_info_url.is_none() && feed.last_check.is_none()
    );
}

#[test]
fn cve_shapes_of_every_layout() {
    let feed = parse(
        r#"{"OSVersions": [{"OSVersion": "X 1", "SecurityReleases": [{"ProductVersion": "1.1",
            "CVEs": {"CVE-B": true, "CVE-A": {"ActivelyExploited": false, "InKEV": true, "Severity": "High",
            "NISTURL": "https://nvd.nist.gov/vuln/detail/CVE-A"}, "CVE-C": {"exploited": true, "kev": false},
            "CVE-D": {"actively_exploited": null, "in_kev": null, "severity": null, "nist_url": null}},
            "ActivelyExploitedCVEs": ["CVE-D", "CVE-E"]}]}]}"#,
    );
    let cves = &feed.os_versions[0].releases[0].cves;
    let ids: Vec<&str> = cves.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        ["CVE-A", "CVE-B", "CVE-C", "CVE-D", "CVE-E"],
        "sorted; listed-only ids added"
    );
    let exploited: Vec<bool> = cves.iter().map(|c| c.actively_exploited).collect();
    assert_eq!(exploited, [false, true, true, true, true]);
    assert_eq!(
        (cves[0].in_kev, cves[0].severity.as_deref()),
        (Some(true), Some("High"))
    );
    assert!(cves[0].nist_url.is_some());
    assert_eq!(cves[2].in_kev, Some(false));
}

#[test]
fn latest_is_folded_into_the_releases() {
    let feed = parse(
        r#"{"OSVersions": [
            {"OSVersion": "Tahoe 26", "Latest": {"ProductVersion": "26.1", "Build": "25B1", "SupportedDevices": ["J1AP"]},
             "SecurityReleases": [{"ProductVersion": "26.0", "ReleaseDate": "2025-09-15"}]},
            {"OSVersion": "Sequoia 15", "Latest": {"ProductVersion": "15.7", "Build": "24G1"},
             "SecurityReleases": [{"ProductVersion": "15.7"}, {"ProductVersion": "15.8", "SupportedDevices": [{"board_id": "J2AP"}]}]}]}"#,
    );
    let tahoe = &feed.os_versions[0];
    assert_eq!(
        tahoe.latest.version,
        Version::new(26, 1, 0),
        "a Latest newer than every release is added"
    );
    assert!(tahoe.latest.security_notes_pending);
    assert_eq!(
        tahoe.devices_for(&tahoe.releases[1]),
        ["J1AP"],
        "missing SupportedDevices inherit Latest's"
    );
    assert_eq!(
        tahoe.releases[1]
            .release_date
            .map(|d| d.to_rfc3339())
            .as_deref(),
        Some("2025-09-15T00:00:00+00:00")
    );
    let sequoia = &feed.os_versions[1];
    assert_eq!(
        sequoia.latest.version,
        Version::new(15, 8, 0),
        "an older Latest is not the newest"
    );
    assert_eq!(
        sequoia.devices_for(&sequoia.releases[0]),
        ["J2AP"],
        "device objects give their board id"
    );
    assert_eq!(
        sequoia.releases[1].build.as_deref(),
        Some("24G1"),
        "Latest's build fills the same release"
    );
    let indexed = IndexedFeed::new(feed);
    assert_eq!(
        indexed.summary().security_releases,
        3,
        "a Latest awaiting notes is not a security release"
    );
}

#[test]
fn unreadable_releases_are_skipped_with_a_warning() {
    let feed = parse(
        r#"{"OSVersions": [{"OSVersion": "Sonoma 14", "SecurityReleases": [{"ProductVersion": "14.x"}, {"UpdateName": "no version"}, {"ProductVersion": "14.1"}]}]}"#,
    );
    assert_eq!(feed.os_versions[0].releases.len(), 1);
    assert_eq!(feed.warnings.len(), 2, "{:?}", feed.warnings);
    assert!(feed.warnings[0].contains("14.x"), "{:?}", feed.warnings);
}

#[test]
fn duplicate_majors_merge() {
    let feed = parse(
        r#"{"OSVersions": [{"OSVersion": "14", "SecurityReleases": [{"ProductVersion": "14.1"}]}, {"OSVersion": "Sonoma 14", "SecurityReleases": [{"ProductVersion": "14.2"}]}]}"#,
    );
    assert_eq!(feed.os_versions.len(), 1);
    assert_eq!(feed.os_versions[0].latest.version, Version::new(14, 2, 0));
    assert_eq!(feed.warnings.len(), 1);
}

#[test]
fn models_fall_back_to_supported_models() {
    let feed = parse(
        r#"{"OSVersions": [
            {"OSVersion": "Sequoia 15", "SecurityReleases": [{"ProductVersion": "15.1"}],
             "SupportedModels": [{"Model": "iMac", "Identifiers": {"iMac19,1": "iMac (2019)"}}]},
            {"OSVersion": "Sonoma 14", "SecurityReleases": [{"ProductVersion": "14.1"}],
             "SupportedModels": [{"Identifiers": {"iMac19,1": "iMac (2019)", "iMac18,1": 5}}]}]}"#,
    );
    let imac = &feed.models["iMac19,1"];
    assert_eq!(
        (imac.supported_majors.as_slice(), imac.newest_major),
        ([15, 14].as_slice(), Some(15))
    );
    assert_eq!(imac.marketing_name.as_deref(), Some("iMac (2019)"));
    assert_eq!(feed.models["iMac18,1"].newest_major, Some(14));
}

#[test]
fn broken_input_is_a_typed_error() {
    for bad in [
        "",
        "{",
        "not json",
        "[]",
        "\"x\"",
        "null",
        "{\"OSVersions\": 5",
        "\u{0}",
    ] {
        assert!(
            matches!(parse_feed(bad.as_bytes()), Err(SofaError::Json(_))),
            "{bad:?}"
        );
    }
    for empty in [
        "{}",
        r#"{"OSVersions": []}"#,
        r#"{"OSVersions": null}"#,
        r#"{"OSVersions": [{"OSVersion": "15", "SecurityReleases": [{"ProductVersion": "x"}]}]}"#,
    ] {
        assert!(
            matches!(parse_feed(empty.as_bytes()), Err(SofaError::NoOsVersions)),
            "{empty:?}"
        );
    }
}

#[test]
fn mangled_feeds_never_panic() {
    let base = br#"{"Version":"2.0","LastCheck":"2026-03-31T06:56:27+00:00Z","OSVersions":[{"OSVersion":"Tahoe 26","Latest":{"ProductVersion":"26.4","Build":"25E246","SupportedDevices":["J1AP"]},"SecurityReleases":[{"ProductVersion":"26.4","UpdateName":"macOS 26.4 (a)","CVEs":{"CVE-1":{"InKEV":true}},"ActivelyExploitedCVEs":["CVE-1"]},{"ProductVersion":"26.3","ReleaseType":"RSR_b","CVEs":{"CVE-2":true}}]}],"Models":{"Mac1,1":{"OSVersions":[26]}}}"#;
    // A small deterministic generator: overwrite bytes and cut the input at many points.
    let mut state: u64 = 0x5eed;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let alphabet = b"{}[]\":,0123456789.aZ() -\\nulltruefalse";
    for _ in 0..3000 {
        let mut bytes = base.to_vec();
        for _ in 0..1 + next() % 4 {
            let at = next() % bytes.len();
            bytes[at] = alphabet[next() % alphabet.len()];
        }
        bytes.truncate(bytes.len() - next() % 8);
        if let Ok(feed) = IndexedFeed::from_slice(&bytes) {
            for version in ["26.3", "26.4 (a)", "1.0"] {
                let _ = feed.status(
                    version,
                    Some("Mac1,1"),
                    chrono::DateTime::UNIX_EPOCH,
                    &UpdateSla::default(),
                );
            }
        }
    }
}
