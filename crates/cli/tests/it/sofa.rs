//! `latchkey sofa …` on real SOFA feeds from ../shared/fixtures, as a user or a script sees it.

use std::path::PathBuf;
use std::process::Output;

use crate::common::Home;

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
        text.contains("macOS 10.15 is end of life: Apple no longer ships security updates for it; upgrade to macOS 14, 15 or 26"),
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
fn fleet_from_csv_names_each_state() {
    let Some(dir) = fixtures() else { return };
    let home = Home::new();
    let csv = home.dir.parent().unwrap().join("fleet.csv");
    std::fs::write(
        &csv,
        "serial,os_version,model\nA1,15.7.5,\nA2,15.1,\nA3,10.15.7,\nA4,banana,\nA5,26.4,\nA6,12.7.6,\nA7,15.77,\n",
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
        (Some(7), Some(2), Some(1))
    );
    assert_eq!(
        (
            report["end_of_life"].as_u64(),
            report["unknown_version"].as_u64(),
            report["unreadable"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    let device = |id: &str| {
        report["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == id)
            .unwrap()
            .clone()
    };
    // Outside the feed, or not a release it lists: no count, not a reassuring 0.
    assert_eq!(device("A3")["missing_cves"], serde_json::Value::Null);
    assert_eq!(device("A7")["state"], "unknown_version");
    assert_eq!(device("A7")["missing_cves"], serde_json::Value::Null);
    let text = String::from_utf8(
        sofa(
            &home,
            &[
                "fleet",
                csv.to_str().unwrap(),
                "--feed",
                path.to_str().unwrap(),
            ],
        )
        .stdout,
    )
    .unwrap();
    assert!(
        text.contains(
            "7 devices: 2 current, 1 behind, 2 end of life, 1 unknown version, 1 unreadable"
        ),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.contains("A3")
            && l.contains("end_of_life")
            && l.contains("n/a behind, n/a CVEs")),
        "{text}"
    );
    let a2 = report["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "A2")
        .unwrap();
    assert_eq!(a2["missing_cves"], 676);
}

/// `latchkey sofa fleet EXPORT --json` on the 2026-03-31 feed, for an MDM export under
/// crates/sofa/tests/data/mdm (where each header comes from is said in crates/sofa/tests/
/// fleet_input.rs): each device's (id, os_version, state), in input order.
fn fleet_export(vendor: &str) -> Option<Vec<(String, String, String)>> {
    let dir = fixtures()?;
    let export = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../sofa/tests/data/mdm"
    ))
    .join(format!("{vendor}.csv"));
    let feed = dir.join("v2/macos_data_feed.json");
    let home = Home::new();
    let out = json(&sofa(
        &home,
        &[
            "fleet",
            export.to_str().unwrap(),
            "--feed",
            feed.to_str().unwrap(),
            "--json",
        ],
    ));
    let mut devices: Vec<_> = out["result"]["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let field = |k: &str| d[k].as_str().unwrap().to_owned();
            (field("id"), field("os_version"), field("state"))
        })
        .collect();
    devices.sort();
    Some(devices)
}

fn rows(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
        .collect()
}

/// Issue #17: a Jamf Pro computer search export, once refused for want of an "id" column.
#[test]
fn fleet_reads_a_jamf_pro_computer_search_export() {
    let Some(devices) = fleet_export("jamf") else {
        return;
    };
    assert_eq!(
        devices,
        rows(&[
            ("C02K2ND8CMF1", "15.1", "behind"),
            ("C02XL0ABJHD3", "10.15.7", "end_of_life"),
        ])
    );
}

#[test]
fn fleet_reads_a_kandji_export() {
    let Some(devices) = fleet_export("kandji") else {
        return;
    };
    assert_eq!(
        devices,
        rows(&[
            ("C02KANDJI001", "15.1", "behind"),
            ("C02KANDJI002", "15.7.5", "current"),
        ])
    );
}

#[test]
fn fleet_reads_a_mosyle_export() {
    let Some(devices) = fleet_export("mosyle") else {
        return;
    };
    assert_eq!(
        devices,
        rows(&[
            ("C02MOSYLE01", "15.1", "behind"),
            ("C02MOSYLE02", "26.4", "current"),
        ])
    );
}

/// Intune writes macOS versions with their build ("15.1 (24B83)").
#[test]
fn fleet_reads_an_intune_export() {
    let Some(devices) = fleet_export("intune") else {
        return;
    };
    assert_eq!(
        devices,
        rows(&[
            ("C02INTUNE01", "15.1", "behind"),
            ("C02INTUNE02", "15.7.5", "current"),
        ])
    );
}

#[test]
fn fleet_reads_an_addigy_export() {
    let Some(devices) = fleet_export("addigy") else {
        return;
    };
    assert_eq!(
        devices,
        rows(&[
            ("C02ADDIGY01", "15.1", "behind"),
            ("C02ADDIGY02", "10.15.7", "end_of_life"),
        ])
    );
}

/// Fleet's hosts report writes "macOS 15.1"; its own numeric id loses to hardware_serial.
#[test]
fn fleet_reads_a_fleetdm_hosts_report() {
    let Some(devices) = fleet_export("fleet") else {
        return;
    };
    assert_eq!(
        devices,
        rows(&[
            ("C02FLEET001", "15.1", "behind"),
            ("C02FLEET002", "26.4", "current"),
        ])
    );
}

#[test]
fn fleet_refuses_an_unknown_layout_naming_the_accepted_columns() {
    let Some(dir) = fixtures() else { return };
    let home = Home::new();
    let csv = home.dir.parent().unwrap().join("assets.csv");
    std::fs::write(&csv, "Asset,Owner,Build\nA1,ann,23F79\n").unwrap();
    let feed = dir.join("v2/macos_data_feed.json");
    let out = sofa(
        &home,
        &[
            "fleet",
            csv.to_str().unwrap(),
            "--feed",
            feed.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for name in [
        "assets.csv",
        "no device id column",
        "serial_number",
        "hostname",
        "udid",
        "Asset,Owner,Build",
    ] {
        assert!(err.contains(name), "{name} not in: {err}");
    }
    // Refused before any feed is fetched: an unreachable one changes nothing.
    let unreachable = [
        "fleet",
        csv.to_str().unwrap(),
        "--feed",
        "http://127.0.0.1:9/feed.json",
    ];
    let out = sofa(&home, &unreachable);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no device id column"), "{err}");
}

/// Whole days from `date` (YYYY-MM-DD) to today, UTC: the CLI dates deadlines by the clock.
fn days_since(date: &str) -> i64 {
    let date: chrono::NaiveDate = date.parse().unwrap();
    (chrono::Utc::now().date_naive() - date).num_days()
}

/// Issue #17: 14.4.1 on the 2026-03-31 feed misses 14.5 (2024-05-13, no actively exploited
/// fix) first by date: due 30 days later. 13.0 misses 13.0.1 (dated 2024-06-12) and 13.1
/// (2022-12-13, exploited): days behind and the deadline count from 13.1.
#[test]
fn status_gives_the_update_deadline_and_days_overdue() {
    let Some(dir) = fixtures() else { return };
    let path = dir.join("v2/macos_data_feed.json");
    let home = Home::new();
    let feed = ["--feed", path.to_str().unwrap()];
    let out = json(&sofa(
        &home,
        &[&["status", "14.4.1", "--json"], &feed[..]].concat(),
    ));
    let deadline = &out["result"]["deadline"];
    assert_eq!(deadline["required_by"], "2024-06-12", "{out}");
    assert_eq!(deadline["release"], "14.5");
    assert_eq!(deadline["sla"], "standard");
    assert_eq!(deadline["days_overdue"], days_since("2024-06-12"));
    assert_eq!(out["result"]["missed"][0]["required_by"], "2024-06-12");

    let out = json(&sofa(
        &home,
        &[&["status", "13.0", "--json"], &feed[..]].concat(),
    ));
    assert_eq!(out["result"]["deadline"]["required_by"], "2022-12-20");
    assert_eq!(out["result"]["deadline"]["sla"], "actively_exploited");
    assert_eq!(
        out["result"]["days_since_first_missed"],
        days_since("2022-12-13")
    );

    let text = String::from_utf8(sofa(&home, &[&["status", "14.4.1"], &feed[..]].concat()).stdout)
        .unwrap();
    assert!(
        text.contains(&format!(
            "update required by 2024-06-12, overdue by {} days (14.5 came out 2024-05-13; 30 days",
            days_since("2024-06-12")
        )),
        "{text}"
    );
    assert!(
        text.contains("earliest missed release 14.5 came out 2024-05-13"),
        "{text}"
    );
}

#[test]
fn fleet_csv_lists_each_devices_deadline() {
    let Some(dir) = fixtures() else { return };
    let home = Home::new();
    let csv = home.dir.parent().unwrap().join("fleet-deadlines.csv");
    std::fs::write(
        &csv,
        "serial,os_version\nA1,15.7.5\nA2,15.1\nA3,10.15.7\nA6,12.7.6\nA7,15.77\n",
    )
    .unwrap();
    let path = dir.join("v2/macos_data_feed.json");
    let args = [
        "fleet",
        csv.to_str().unwrap(),
        "--feed",
        path.to_str().unwrap(),
    ];
    let out = sofa(&home, &[&args[..], &["--csv"]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut rows: Vec<&str> = text.lines().collect();
    assert_eq!(
        rows.remove(0),
        "id,os_version,state,releases_behind,missing_cves,missing_exploited_cves,required_by,days_overdue,limited_by_hardware"
    );
    rows.sort_unstable();
    // 15.1: 15.1.1 (2024-11-19, exploited) + 7. 10.15.7: older than the feed, at the latest
    // 14.0 (2023-09-26) + 90. 12.7.6: 15.0 (2024-09-16) ended 12's support, + 90.
    let due = |date: &str| format!("{date},{}", days_since(date));
    assert_eq!(
        rows,
        [
            "A1,15.7.5,current,0,0,0,,,false".to_owned(),
            format!("A2,15.1,behind,16,676,12,{},false", due("2024-11-26")),
            format!("A3,10.15.7,end_of_life,,,,{},false", due("2023-12-25")),
            format!("A6,12.7.6,end_of_life,0,0,0,{},false", due("2024-12-15")),
            "A7,15.77,unknown_version,,,,,,false".to_owned(),
        ]
    );
    let out = json(&sofa(&home, &[&args[..], &["--json"]].concat()));
    assert_eq!(out["result"]["overdue"], 3, "{out}");
    let text = String::from_utf8(sofa(&home, &args).stdout).unwrap();
    assert!(text.contains("; 3 overdue;"), "{text}");
}

/// Issue #16: `sofa fleet` reads its file row by row and writes its answer row by row, and
/// what it prints is the engine's whole-fleet report all the same (`IndexedFeed::fleet`, most
/// exposed first), from a Jamf export or a JSON array, as JSON (the totals first, the devices
/// last), CSV or the table.
#[test]
fn fleet_streamed_is_the_engines_report() {
    use std::fmt::Write as _;

    use latchkey_sofa::{FleetDevice, IndexedFeed, UpdateSla};

    let Some(dir) = fixtures() else { return };
    let feed_path = dir.join(SEPT_2026);
    let feed = IndexedFeed::from_slice(&std::fs::read(&feed_path).unwrap()).unwrap();
    let versions: Vec<String> = (feed.feed().os_versions.iter())
        .flat_map(|os| &os.releases)
        .map(|r| r.version.to_string())
        .collect();
    let models: Vec<&String> = feed.feed().models.keys().collect();
    let devices: Vec<FleetDevice> = (0..3000)
        .map(|i| FleetDevice {
            id: format!("C02{i:05}"),
            os_version: match i % 50 {
                0 => "Sequoia".to_owned(),
                1 => "27.0".to_owned(),
                2 => "10.15.7".to_owned(),
                _ => versions[i * 7 % versions.len()].clone(),
            },
            model: (i % 9 != 0).then(|| models[i % models.len()].clone()),
        })
        .collect();
    let mut expected = feed.fleet(&devices, chrono::Utc::now(), &UpdateSla::DEFAULT);
    expected.most_exposed_first();
    let expected_json = serde_json::to_value(&expected).unwrap();

    let home = Home::new();
    let jamf = home.dir.parent().unwrap().join("computers.csv");
    let mut csv =
        "Computer Name,Serial Number,Operating System Version,Model Identifier,Operating System\n"
            .to_owned();
    for d in &devices {
        let (v, model) = (&d.os_version, d.model.as_deref().unwrap_or(""));
        let _ = writeln!(csv, "Mac {},{},{v},\"{model}\",macOS {v}", d.id, d.id);
    }
    std::fs::write(&jamf, csv).unwrap();
    let array = home.dir.parent().unwrap().join("computers.json");
    std::fs::write(&array, serde_json::to_vec(&devices).unwrap()).unwrap();
    let run = |file: &std::path::Path, format: &[&str]| {
        let mut args = vec!["fleet", file.to_str().unwrap()];
        args.extend(format);
        let out = on_feed(&home, &dir, SEPT_2026, &args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };

    // Byte for byte what serde writes for the engine's report (the devices are written from
    // their standings' JSON, rendered once each).
    let expected_text = serde_json::to_string_pretty(&expected)
        .unwrap()
        .replace('\n', "\n  ");
    for file in [&jamf, &array] {
        let text = run(file, &["--json"]);
        let out: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(out["result"], expected_json, "{}", file.display());
        assert!(
            text.ends_with(&format!(",\n  \"result\": {expected_text}\n}}\n")),
            "{}",
            file.display()
        );
        // Keys come in the schema's order: the feed, then the result, totals before devices.
        let at = |key: &str| text.find(&format!("\"{key}\":")).unwrap();
        assert!(at("feed") < at("result") && at("result") < at("total"));
        assert!(at("total") < at("distribution") && at("distribution") < at("devices"));
    }

    let rows = run(&jamf, &["--csv"]);
    let ids: Vec<&str> = (rows.lines().skip(1))
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let want: Vec<&str> = expected.devices.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, want, "one row per device, most exposed first");

    let table = run(&jamf, &[]);
    let first = (expected.devices.iter())
        .find(|d| d.missing_cves > Some(0))
        .unwrap();
    assert!(
        table.starts_with(&format!(
            "3000 devices: {} current, {} behind, {} end of life,",
            expected.current, expected.behind, expected.end_of_life
        )),
        "{table}"
    );
    let worst = table.lines().skip_while(|l| *l != "most exposed:").nth(1);
    assert!(
        worst.is_some_and(|l| l.trim_start().starts_with(&first.id)),
        "{table}"
    );

    // Written as it is made: a reader that stops early ends it quietly, as with `cves`.
    for format in ["--csv", "--json"] {
        use std::io::{BufRead, BufReader};
        let mut child = home
            .latchkey(&["sofa", "fleet", jamf.to_str().unwrap(), format])
            .args(["--feed", feed_path.to_str().unwrap()])
            .args(["--max-feed-age", "36500"])
            .env_remove("LATCHKEY_SOFA_FEED")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        lines.next().unwrap().unwrap();
        drop(lines);
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.is_empty() && out.status.success(), "{format}: {err}");
    }
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

const SEPT_2026: &str = "v2-2026-09-10/macos_data_feed.json";

/// `latchkey sofa ARGS --feed FIXTURE`, with the fixture's path as given.
fn on_feed(home: &Home, dir: &std::path::Path, fixture: &str, args: &[&str]) -> Output {
    let path = dir.join(fixture);
    let mut all = args.to_vec();
    all.extend(["--feed", path.to_str().unwrap()]);
    sofa(home, &all)
}

#[test]
fn a_version_apple_never_published_is_unknown_and_fails() {
    let Some(dir) = fixtures() else { return };
    let home = Home::new();
    let out = on_feed(&home, &dir, SEPT_2026, &["status", "15.77"]);
    assert!(!out.status.success(), "a typo is not an answer to act on");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("up to date"), "{text}");
    assert!(text.contains("did you mean 15.7.7?"), "{text}");
    let out = on_feed(&home, &dir, SEPT_2026, &["status", "15.77", "--json"]);
    assert!(!out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = &json["result"];
    assert_eq!(result["known_release"], false);
    assert_eq!(result["counts"]["state"], "unknown");
    assert_eq!(result["did_you_mean"][0], "15.7.7");
    // Nor does it get a CVE list that reads as "nothing missing".
    let out = on_feed(&home, &dir, SEPT_2026, &["cves", "15.77"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean 15.7.7?"));
}

#[test]
fn majors_apple_no_longer_patches_are_end_of_life() {
    let Some(dir) = fixtures() else { return };
    let home = Home::new();
    for version in ["12.7.6", "13.7.8"] {
        let out = on_feed(&home, &dir, SEPT_2026, &["status", version]);
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("up to date"), "{text}");
        assert!(
            text.contains(&format!(
                "macOS {version} is end of life: no security updates since 20"
            )) && text.contains("upgrade to macOS 14, 15 or 26"),
            "{text}"
        );
        let json = json(&on_feed(
            &home,
            &dir,
            SEPT_2026,
            &["status", version, "--json"],
        ));
        assert_eq!(json["result"]["counts"]["state"], "end_of_life");
        assert_eq!(
            json["result"]["end_of_life"]["upgrade_to"],
            serde_json::json!([26, 15, 14])
        );
    }
    let text =
        String::from_utf8(on_feed(&home, &dir, SEPT_2026, &["status", "12.7.6"]).stdout).unwrap();
    assert!(
        text.contains("no security updates since 2024-07-29"),
        "{text}"
    );
}

#[test]
fn severity_counts_name_the_cves_without_one() {
    let Some(dir) = fixtures() else { return };
    let out = on_feed(&Home::new(), &dir, SEPT_2026, &["status", "15.1"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(", no severity stated "), "{text}");
}

#[test]
fn the_feed_age_is_sofas_own_and_an_old_one_is_warned_about() {
    let Some(dir) = fixtures() else { return };
    let home = Home::new();
    // The file was written just now (a fresh download, a mirror); SOFA updated it 2026-09-10.
    let out = on_feed(&home, &dir, SEPT_2026, &["latest"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("SOFA updated 2026-09-10 19:13 UTC ("),
        "{text}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("SOFA last updated this feed on 2026-09-10"),
        "{err}"
    );
    let json = json(&on_feed(&home, &dir, SEPT_2026, &["latest", "--json"]));
    assert!(
        json["feed"]["sofa_updated_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-09-10T19:13")
    );
    assert!(json["feed"]["outdated"].is_string());
    // The threshold is the caller's.
    let out = on_feed(
        &home,
        &dir,
        SEPT_2026,
        &["latest", "--max-feed-age", "100000"],
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("SOFA last updated"));
}

#[test]
fn feed_names_that_name_nothing_say_what_to_use() {
    let home = Home::new();
    let err = |feed: &str| {
        let out = sofa(&home, &["latest", "--feed", feed]);
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(err("v3").contains("unknown feed name; use v1, v2, a URL or a file"));
    assert!(
        err("sofafeed.macadmins.io/v2/macos_data_feed.json")
            .contains("did you mean https://sofafeed.macadmins.io/v2/macos_data_feed.json?")
    );
    let Some(dir) = fixtures() else { return };
    let url = format!("file://{}", dir.join(SEPT_2026).display());
    let out = sofa(&home, &["latest", "--feed", &url]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_reader_that_stops_early_ends_it_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let Some(dir) = fixtures() else { return };
    let home = Home::new();
    let path = dir.join("v2/macos_data_feed.json");
    // 856 CVEs: far more than a pipe holds, so latchkey is still writing when `head` leaves.
    let mut child = home
        .latchkey(&["sofa", "cves", "13.0", "--feed", path.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(
        lines
            .next()
            .unwrap()
            .unwrap()
            .contains("CVEs fixed after 13.0")
    );
    lines.next().unwrap().unwrap();
    drop(lines);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked") && err.is_empty(), "{err}");
    assert!(out.status.success(), "{:?}", out.status);
}

/// Issue #17: with no XDG_RUNTIME_DIR (a root shell, cron, ssh without a session) a command
/// that needs no broker still works, instead of failing for want of a socket directory.
#[test]
fn a_session_without_a_runtime_dir_still_reads_a_feed() {
    let Some(dir) = fixtures() else { return };
    let home = Home::new();
    let path = dir.join(SEPT_2026);
    let out = home
        .latchkey(&[
            "sofa",
            "status",
            "13.0",
            "--json",
            "--feed",
            path.to_str().unwrap(),
        ])
        .env_remove("LATCHKEY_HOME")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("LATCHKEY_SOFA_FEED")
        .env("HOME", &home.dir)
        .output()
        .unwrap();
    assert_eq!(json(&out)["feed"]["source"], path.to_str().unwrap());
}
