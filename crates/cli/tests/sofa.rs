//! `latchkey sofa …` on real SOFA feeds from ../shared/fixtures, as a user or a script sees it.

mod common;

use std::path::PathBuf;
use std::process::Output;

use common::Home;

fn fixtures() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/sofa"
    ));
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "SOFA fixtures missing at {}",
        dir.display()
    );
    eprintln!("skipping: no SOFA fixtures at {}", dir.display());
    None
}

fn sofa(home: &Home, args: &[&str]) -> Output {
    let mut all = vec!["sofa"];
    all.extend_from_slice(args);
    home.latchkey(&all)
        .env_remove("LATCHKEY_SOFA_FEED")
        .output()
        .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn status_counts_match_expected_json() {
    let Some(dir) = fixtures() else { return };
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("EXPECTED.json")).unwrap()).unwrap();
    let home = Home::new();
    for feed in [
        "v1/macos_data_feed.json",
        "v2-2026-09-10/macos_data_feed.json",
    ] {
        let path = dir.join(feed);
        for (version, want) in expected[feed]["fixed_after"].as_object().unwrap() {
            let out = json(&sofa(
                &home,
                &[
                    "status",
                    version,
                    "--feed",
                    path.to_str().unwrap(),
                    "--json",
                ],
            ));
            let analysis = &out["result"];
            assert_eq!(analysis["result"], "in_feed", "{feed} {version}");
            assert_eq!(
                analysis["counts"]["cves_fixed_later"], want["cves"],
                "{feed} {version}: {out}"
            );
            assert_eq!(
                analysis["counts"]["actively_exploited_fixed_later"], want["actively_exploited"],
                "{feed} {version}"
            );
            assert_eq!(out["feed"]["source"], path.to_str().unwrap());
        }
    }
}

#[test]
fn text_status_says_how_far_behind_and_links_apples_notes() {
    let Some(dir) = fixtures() else { return };
    let path = dir.join("v2/macos_data_feed.json");
    let out = sofa(
        &Home::new(),
        &["status", "15.1", "--feed", path.to_str().unwrap()],
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("15.1: ") && text.contains("updates behind (latest 15.7.5"),
        "{text}"
    );
    assert!(
        text.contains("676 CVEs fixed since, 12 actively exploited"),
        "{text}"
    );
    assert!(text.contains("https://support.apple.com/"), "{text}");
}

#[test]
fn unknown_majors_and_malformed_versions_are_explained() {
    let Some(dir) = fixtures() else { return };
    let path = dir.join("v2/macos_data_feed.json");
    let home = Home::new();
    let out = sofa(
        &home,
        &["status", "10.15", "--feed", path.to_str().unwrap()],
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("10.15 is not in this feed: it covers majors 26, 15, 14, 13, 12"),
        "{text}"
    );
    let out = sofa(&home, &["cves", "27.0", "--feed", path.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not in this feed"));
    let out = sofa(
        &home,
        &["status", "fifteen", "--feed", path.to_str().unwrap()],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid version \"fifteen\""));
}

#[test]
fn cves_lists_the_exploited_ones_with_nvd_links() {
    let Some(dir) = fixtures() else { return };
    let path = dir.join("v2/macos_data_feed.json");
    let out = json(&sofa(
        &Home::new(),
        &[
            "cves",
            "15.1",
            "--exploited",
            "--feed",
            path.to_str().unwrap(),
            "--json",
        ],
    ));
    let cves = out["result"].as_array().unwrap();
    assert_eq!(cves.len(), 12);
    assert!(cves.iter().all(|c| c["actively_exploited"] == true
        && c["nist_url"].as_str().unwrap().contains("nvd.nist.gov")));
}

#[test]
fn fleet_from_csv_counts_current_behind_and_unsupported() {
    let Some(dir) = fixtures() else { return };
    let home = Home::new();
    let csv = home.dir.parent().unwrap().join("fleet.csv");
    std::fs::write(
        &csv,
        "serial,os_version,model\nA1,15.7.5,\nA2,15.1,\nA3,10.15.7,\nA4,banana,\nA5,26.4,\n",
    )
    .unwrap();
    let path = dir.join("v2/macos_data_feed.json");
    let out = json(&sofa(
        &home,
        &[
            "fleet",
            csv.to_str().unwrap(),
            "--feed",
            path.to_str().unwrap(),
            "--json",
        ],
    ));
    let report = &out["result"];
    assert_eq!(
        (
            report["total"].as_u64(),
            report["current"].as_u64(),
            report["behind"].as_u64()
        ),
        (Some(5), Some(2), Some(1))
    );
    assert_eq!(
        (
            report["unknown_major"].as_u64(),
            report["malformed"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let a2 = report["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "A2")
        .unwrap();
    assert_eq!(a2["missing_cves"], 676);
}

#[test]
fn diff_reports_added_and_revised_releases() {
    let Some(dir) = fixtures() else { return };
    let (old, new) = (
        dir.join("older/v1/macos_data_feed.json"),
        dir.join("v1/macos_data_feed.json"),
    );
    let out = json(&sofa(
        &Home::new(),
        &[
            "diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--json",
        ],
    ));
    assert_eq!(out["added"].as_array().unwrap().len(), 14);
    assert_eq!(out["revised"].as_array().unwrap().len(), 12);
}

#[test]
fn offline_without_a_cache_says_so() {
    let out = sofa(&Home::new(), &["latest", "--offline"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "offline, and no cached copy of https://sofafeed.macadmins.io/v2/macos_data_feed.json"
        ),
        "{err}"
    );
}

#[test]
fn status_without_a_version_off_a_mac_asks_for_one() {
    if cfg!(target_os = "macos") {
        return;
    }
    let out = sofa(&Home::new(), &["status", "--offline"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("give a macOS version"));
}
