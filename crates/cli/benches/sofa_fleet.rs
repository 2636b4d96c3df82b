//! `cargo bench -p latchkey-cli --bench sofa_fleet`: `latchkey sofa fleet FILE` as a whole
//! process (issue #16), on 100,000 generated devices in Jamf Pro's computer search export layout
//! and the real 2026-09-10 feed: wall time (median of 7 runs after a warm-up) and peak RSS
//! (the child's `ru_maxrss` from `wait4`) against ≤ 100 ms and ≤ 60 MB, for the table, `--csv`
//! and `--json`. No broker runs (the deadlines are the defaults), and none is needed: the
//! command's runtime directory and home are temporary ones of its own.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use latchkey_sofa::IndexedFeed;

const LATCHKEY: &str = env!("CARGO_BIN_EXE_latchkey");
const FEED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/sofa/v2-2026-09-10/macos_data_feed.json"
);
const DEVICES: usize = 100_000;
const RUNS: usize = 7;
const TARGET_TIME: Duration = Duration::from_millis(100);
const TARGET_RSS_BYTES: u64 = 60_000_000;

/// A Jamf Pro computer search export (the columns of `crates/sofa/tests/data/mdm/jamf.csv`):
/// mostly releases and models the feed lists, some majors older or newer than it, some junk.
fn jamf_export(feed: &IndexedFeed) -> String {
    let versions: Vec<String> = (feed.feed().os_versions.iter())
        .flat_map(|os| &os.releases)
        .map(|r| r.version.to_string())
        .collect();
    let models: Vec<&String> = feed.feed().models.keys().collect();
    let mut state: u64 = 16;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let mut csv = String::from(
        "Computer Name,Serial Number,Operating System Version,Model Identifier,Operating System,Model,UDID\n",
    );
    for i in 0..DEVICES {
        let version = match next() % 100 {
            0..=2 => ["10.15.7", "11.7.10", "27.0"][next() % 3].to_owned(),
            3..=4 => ["Sequoia", "", "15.x"][next() % 3].to_owned(),
            _ => versions[next() % versions.len()].clone(),
        };
        let model = match next() % 10 {
            0 => "",
            _ => models[next() % models.len()],
        };
        let _ = writeln!(
            csv,
            "Mac {i:06},C02{i:09},{version},\"{model}\",macOS {version},\"MacBook Pro (16-inch, 2019)\",4D8CD419-1892-4CFE-8D18-{i:012}"
        );
    }
    csv
}

/// Wall time and peak RSS (bytes) of one run, its output thrown away.
// `wait4` is the one call that gives a child's peak RSS; libc has no safe wrapper. It reaps
// the child, which clippy cannot see.
#[allow(unsafe_code, clippy::zombie_processes)]
fn run(command: &mut Command) -> (Duration, u64) {
    let start = Instant::now();
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start latchkey");
    let pid = libc::pid_t::try_from(child.id()).expect("pid");
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointers to locals; the pid is our child, reaped here (std never waits on it).
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let elapsed = start.elapsed();
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "latchkey failed: status {status}"
    );
    // Linux counts ru_maxrss in KiB, macOS in bytes.
    let max_rss = u64::try_from(usage.ru_maxrss).expect("ru_maxrss");
    let bytes = if cfg!(target_os = "macos") {
        max_rss
    } else {
        max_rss * 1024
    };
    (elapsed, bytes)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "MET" } else { "MISSED" }
}

fn main() {
    let Ok(bytes) = std::fs::read(FEED) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{FEED} missing in CI"
        );
        eprintln!("skipping the sofa fleet bench: {FEED} not found");
        return;
    };
    let feed = IndexedFeed::from_slice(&bytes).expect("feed");
    let home = tempfile::tempdir().expect("temp dir");
    let export = home.path().join("jamf-computers.csv");
    std::fs::write(&export, jamf_export(&feed)).expect("write the export");
    let latchkey = |format: &[&str]| {
        let mut command = Command::new(LATCHKEY);
        command
            .args(["sofa", "fleet"])
            .arg(&export)
            .args(["--feed", FEED])
            .args(format)
            .env("HOME", home.path())
            .env("LATCHKEY_HOME", home.path().join("state"))
            // A runtime dir of its own: no broker there, so the deadlines are the defaults.
            .env("XDG_RUNTIME_DIR", home.path())
            .env_remove("LATCHKEY_SOFA_FEED");
        command
    };
    println!(
        "latchkey sofa fleet: {DEVICES} devices in Jamf Pro's export layout ({} MB), {}, whole process",
        std::fs::metadata(&export).map_or(0, |m| m.len()) / 1_000_000,
        Path::new(FEED)
            .parent()
            .and_then(Path::file_name)
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    );
    // Every device comes out.
    let out = latchkey(&["--csv"]).output().expect("run latchkey");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = out.stdout.iter().filter(|&&b| b == b'\n').count();
    assert_eq!(rows, DEVICES + 1, "one CSV row per device after the header");

    for (label, format) in [
        ("table", &[][..]),
        ("--csv", &["--csv"][..]),
        ("--json", &["--json"][..]),
    ] {
        run(&mut latchkey(format));
        let mut samples: Vec<(Duration, u64)> =
            (0..RUNS).map(|_| run(&mut latchkey(format))).collect();
        samples.sort();
        let time = samples[RUNS / 2].0;
        let rss = samples.iter().map(|s| s.1).max().unwrap_or(0);
        println!(
            "sofa fleet {label:<7} median {:>6.1} ms  target ≤ {} ms  {:<6}  peak RSS {:>5.1} MB  target ≤ {} MB  {}",
            time.as_secs_f64() * 1e3,
            TARGET_TIME.as_millis(),
            verdict(time <= TARGET_TIME),
            rss as f64 / 1e6,
            TARGET_RSS_BYTES / 1_000_000,
            verdict(rss <= TARGET_RSS_BYTES)
        );
    }
}
