//! Every feed in EXPECTED.json, every number in it: totals, each major's newest version, and
//! the CVEs fixed after each listed version. Iterates the JSON, so added feeds are checked too.

use crate::common;

use std::collections::BTreeMap;

use latchkey_sofa::Version;
use serde_json::Value;

fn number(value: &Value, what: &str) -> usize {
    let n = value
        .as_u64()
        .unwrap_or_else(|| panic!("EXPECTED.json: {what} is not a number"));
    usize::try_from(n).expect("fits")
}

#[test]
fn every_feed_matches_expected_json() {
    let Some(bytes) = common::fixture("EXPECTED.json") else {
        return;
    };
    let expected: BTreeMap<String, Value> = serde_json::from_slice(&bytes).expect("EXPECTED.json");
    assert!(!expected.is_empty(), "EXPECTED.json lists no feeds");
    for (path, want) in &expected {
        let feed = common::load(path).expect("fixture folder checked above");
        let summary = feed.summary();
        assert_eq!(
            summary.security_releases,
            number(&want["security_releases"], path),
            "{path}: security_releases"
        );
        assert_eq!(
            summary.distinct_cves,
            number(&want["distinct_cves"], path),
            "{path}: distinct_cves"
        );
        assert_eq!(
            summary.distinct_actively_exploited_cves,
            number(&want["distinct_actively_exploited_cves"], path),
            "{path}: distinct_actively_exploited_cves"
        );

        let latest: BTreeMap<String, String> = (feed.latest_releases().into_iter())
            .map(|r| (r.major.to_string(), r.product_version))
            .collect();
        let want_latest: BTreeMap<String, String> =
            serde_json::from_value(want["latest_product_version_per_major"].clone()).expect("map");
        assert_eq!(
            latest, want_latest,
            "{path}: latest_product_version_per_major"
        );

        let fixed_after = want["fixed_after"].as_object().expect("fixed_after object");
        assert!(!fixed_after.is_empty(), "{path}: no versions listed");
        for (version, counts) in fixed_after {
            let parsed: Version = version.parse().unwrap_or_else(|e| panic!("{path}: {e}"));
            let got = feed
                .counts(&parsed)
                .unwrap_or_else(|| panic!("{path}: {version} not covered"));
            assert_eq!(
                got.cves_fixed_later,
                number(&counts["cves"], path),
                "{path} after {version}: cves"
            );
            assert_eq!(
                got.actively_exploited_fixed_later,
                number(&counts["actively_exploited"], path),
                "{path} after {version}: actively_exploited"
            );
            // The one-by-one listing agrees with the indexed counts.
            let listed = feed.cves_fixed_after(&parsed).expect("covered major");
            assert_eq!(
                listed.len(),
                got.cves_fixed_later,
                "{path} after {version}: listed cves"
            );
            let exploited = listed.iter().filter(|c| c.actively_exploited).count();
            assert_eq!(
                exploited, got.actively_exploited_fixed_later,
                "{path} after {version}: listed exploited"
            );
        }
    }
}
