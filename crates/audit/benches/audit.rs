//! `cargo bench -p latchkey-audit --bench audit`: the audit log's figures against its targets —
//! intent + outcome per call (p50 ≤ 200 µs, at each durability level, so the cost of fsync is
//! visible; at the default level for a read-only call, whose intent is flushed with its group,
//! and for a changing one, whose intent is flushed before it runs and so takes at least one
//! fsync of this disk, printed beside it), `verify` over 1,000,000 entries (≤ 3 s), and a filtered page of 100 out of
//! 1,000,000 (≤ 50 ms) for each kind of filter. The million entries are written through the
//! bulk path: one transaction, the same chain and hashing as single records.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{Duration as Age, Utc};
use latchkey_audit::{
    Assistant, AuditLog, CallResult, Decision, Durability, ExportFormat, Filter, Intent, Options,
    Outcome, Page, Seq,
};
use serde_json::json;

const ENTRIES: u64 = 1_000_000;

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "MISSED" }
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * p) as usize]
}

/// A deterministic pseudo-random stream (no dependency for it).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

const ASSISTANTS: [&str; 4] = ["claude-ai", "claude-code", "cursor", "mcp-inspector"];
const DOMAINS: [&str; 10] = [
    "jamf:acme.jamfcloud.com",
    "jamf:globex.jamfcloud.com",
    "jamf:initech.jamfcloud.com",
    "vcenter:vc01.acme.example",
    "vcenter:vc02.acme.example",
    "vcenter:lab.globex.example",
    "vault:vault.acme.example:8200",
    "jamf:umbrella.jamfcloud.com",
    "vcenter:vc03.initech.example",
    "jamf:hooli.jamfcloud.com",
];
const TOOLS: [&str; 20] = [
    "jamf_list_computers",
    "jamf_get_computer",
    "jamf_search_computers",
    "jamf_list_policies",
    "jamf_get_policy",
    "jamf_flush_policy_logs",
    "jamf_send_mdm_command",
    "jamf_list_profiles",
    "jamf_get_inventory",
    "jamf_update_extension_attribute",
    "vsphere_list_vms",
    "vsphere_get_vm",
    "vsphere_power_off_vm",
    "vsphere_power_on_vm",
    "vsphere_snapshot_vm",
    "vsphere_list_hosts",
    "vault_read_secret_metadata",
    "sofa_status",
    "sofa_fleet_report",
    "credentials_status",
];

fn call(rng: &mut Lcg, n: u64) -> Intent {
    let name = ASSISTANTS[rng.next() % ASSISTANTS.len()];
    let decision = match rng.next() % 100 {
        0..=84 => Decision::Allowed,
        85..=94 => Decision::Approved,
        95..=97 => Decision::Denied,
        98 => Decision::RefusedLocked,
        _ => Decision::RefusedUnknownClient,
    };
    Intent {
        assistant: Assistant {
            name: name.to_owned(),
            client: None,
            version: "1.2.3".to_owned(),
            executable: Some(format!("/Applications/{name}.app/Contents/MacOS/{name}")),
            pid: Some(1000 + (rng.next() % 30_000) as u32),
            bundle_id: Some(format!("com.example.{name}")),
        },
        tool: TOOLS[rng.next() % TOOLS.len()].to_owned(),
        arguments: json!({
            "serial": format!("C02{n:09X}"),
            "os_version": "15.1",
            "page": rng.next() % 10,
            "section": (["GENERAL", "HARDWARE", "SECURITY"][rng.next() % 3]),
        }),
        domain: Some(DOMAINS[rng.next() % DOMAINS.len()].to_owned()),
        decision,
        approval: None,
    }
}

fn outcome(rng: &mut Lcg) -> Outcome {
    Outcome {
        result: match rng.next() % 50 {
            0 => CallResult::Error("http_503".to_owned()),
            1 => CallResult::Error("timeout".to_owned()),
            _ => CallResult::Ok,
        },
        duration: Duration::from_micros((rng.next() % 2_000_000) as u64),
    }
}

/// What a call's intent is recorded as.
#[derive(Clone, Copy)]
enum Call {
    /// A changing tool: `record_intent`, flushed (at `Intents` and `Full`) before it returns.
    Changing,
    /// A read-only tool: `record_read_intent`, queued for the next group commit.
    Reading,
}

/// p50 and p90 of intent + outcome, on a fresh log with `durability`.
fn overhead(durability: Durability, kind: Call, calls: usize) -> (Duration, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open_with(
        dir.path().join("audit.db"),
        Options {
            durability,
            ..Options::default()
        },
    )
    .unwrap();
    let mut rng = Lcg(7);
    let mut samples = Vec::with_capacity(calls);
    for n in 0..(calls + 50) as u64 {
        let intent = call(&mut rng, n);
        let outcome = outcome(&mut rng);
        let start = Instant::now();
        let seq = match kind {
            Call::Changing => log.record_intent(&intent),
            Call::Reading => log.record_read_intent(&intent),
        }
        .unwrap();
        log.record_outcome(seq, &outcome).unwrap();
        if n >= 50 {
            samples.push(start.elapsed());
        }
    }
    (percentile(&mut samples, 0.5), percentile(&mut samples, 0.9))
}

fn million(log: &AuditLog) -> Duration {
    let mut rng = Lcg(42);
    let start_time = Utc::now() - Age::days(365);
    let step = Age::days(365).num_microseconds().unwrap() / ENTRIES as i64;
    let start = Instant::now();
    log.bulk(|a| {
        let mut n = 0;
        let mut seq = Seq(0);
        while seq.0 < ENTRIES {
            let time = start_time + Age::microseconds(step * seq.0 as i64);
            let intent = call(&mut rng, n);
            seq = a.intent(time, &intent)?;
            if matches!(intent.decision, Decision::Allowed | Decision::Approved) && seq.0 < ENTRIES
            {
                seq = a.outcome(time, seq, &outcome(&mut rng))?;
            }
            n += 1;
        }
        Ok(())
    })
    .unwrap();
    start.elapsed()
}

fn main() {
    let (f50, f90) = fsync_latency();
    println!("audit log: overhead per call (intent + outcome)");
    println!("  (this disk: fsync p50 {f50:.1?}, p90 {f90:.1?})");
    for (durability, kind, calls, what) in [
        (
            Durability::Process,
            Call::Changing,
            3000,
            "changing call, no fsync (survives kill -9)",
        ),
        (
            Durability::Intents,
            Call::Reading,
            3000,
            "read-only call, flushed with its group (default)",
        ),
        (
            Durability::Intents,
            Call::Changing,
            1000,
            "changing call, intent fsynced before it runs (default)",
        ),
        (Durability::Full, Call::Changing, 500, "fsync per entry"),
    ] {
        let (p50, p90) = overhead(durability, kind, calls);
        // A flushed intent waits for the disk: it cannot be faster than one fsync.
        let floor = match (durability, kind) {
            (Durability::Process, _) | (_, Call::Reading) => String::new(),
            _ => format!("   (floor: one fsync, p50 {f50:.1?} here)"),
        };
        println!(
            "  {:<9} p50 {p50:>9.1?}  p90 {p90:>9.1?}   target p50 <= 200 µs   {}   {what}{floor}",
            format!("{durability:?}"),
            verdict(p50 <= Duration::from_micros(200)),
        );
    }

    read_calls();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let log = AuditLog::open(&path).unwrap();
    let built = million(&log);
    // Close (checkpointing the WAL) and flush, so a gigabyte of writeback from the build does
    // not slow the fsyncs measured below.
    log.close().unwrap();
    std::fs::File::open(&path).unwrap().sync_all().unwrap();
    let log = AuditLog::open(&path).unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    println!(
        "build {ENTRIES} entries (bulk, one transaction)   {built:>8.2?}   {:.0} MB on disk",
        size as f64 / 1e6
    );

    let runs: Vec<Duration> = (0..3)
        .map(|_| {
            let start = Instant::now();
            let v = log.verify().unwrap();
            assert!(v.is_ok() && v.verified_through == ENTRIES, "{v:?}");
            start.elapsed()
        })
        .collect();
    let verify = percentile(&mut runs.clone(), 0.5);
    println!(
        "verify {ENTRIES} entries           median {verify:>8.2?}   target <= 3 s     {}",
        verdict(verify <= Duration::from_secs(3))
    );

    searches(&log);

    let start = Instant::now();
    let exported = log
        .export(&Filter::default(), ExportFormat::Jsonl, std::io::sink())
        .unwrap();
    println!(
        "export {exported} entries as JSONL (streamed)   {:>8.2?}",
        start.elapsed()
    );

    let (p50, p90) = {
        let mut rng = Lcg(9);
        let mut samples: Vec<Duration> = (0..300u64)
            .map(|n| {
                let intent = call(&mut rng, ENTRIES + n);
                let outcome = outcome(&mut rng);
                let start = Instant::now();
                let seq = log.record_intent(&intent).unwrap();
                log.record_outcome(seq, &outcome).unwrap();
                start.elapsed()
            })
            .collect();
        (percentile(&mut samples, 0.5), percentile(&mut samples, 0.9))
    };
    println!(
        "  Intents   p50 {p50:>9.1?}  p90 {p90:>9.1?}   (the same, on the 1,000,000-entry log)"
    );
}

/// A read-only call's audit cost on the caller's path (intent and outcome queued for the
/// log's group commit), alone and with 32 threads calling at once; then every entry is
/// checked to have been committed.
fn read_calls() {
    let dir = tempfile::tempdir().unwrap();
    let log = std::sync::Arc::new(AuditLog::open(dir.path().join("audit.db")).unwrap());
    let mut rng = Lcg(11);
    let mut samples: Vec<Duration> = (0..20_000u64)
        .map(|n| {
            let intent = call(&mut rng, n);
            let outcome = outcome(&mut rng);
            let start = Instant::now();
            let seq = log.record_read_intent(&intent).unwrap();
            log.record_outcome(seq, &outcome).unwrap();
            start.elapsed()
        })
        .collect();
    let (p50, p99) = (
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.99),
    );
    println!(
        "read call (intent + outcome, group commit)  p50 {p50:>8.1?}  p99 {p99:>8.1?}   target p50 <= 20 µs   {}",
        verdict(p50 <= Duration::from_micros(20))
    );
    const THREADS: u64 = 32;
    const CALLS: u64 = 2_000;
    let start = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let log = &log;
            scope.spawn(move || {
                let mut rng = Lcg(100 + t);
                for n in 0..CALLS {
                    let intent = call(&mut rng, n);
                    let outcome = outcome(&mut rng);
                    let seq = log.record_read_intent(&intent).unwrap();
                    log.record_outcome(seq, &outcome).unwrap();
                }
            });
        }
    });
    // Reading commits what is still queued: the clock stops once everything is written.
    log.tail(1).unwrap();
    let elapsed = start.elapsed();
    let committed = log.verify().unwrap();
    let total = 20_000 * 2 + THREADS * CALLS * 2;
    assert!(
        committed.is_ok() && committed.verified_through == total,
        "{committed:?}"
    );
    println!(
        "  {THREADS} threads x {CALLS} read calls, all committed   {:>8.0} calls/s",
        (THREADS * CALLS) as f64 / elapsed.as_secs_f64()
    );
}

/// This disk's own fsync latency (p50, p90): what `Intents` and `Full` pay per flush.
fn fsync_latency() -> (Duration, Duration) {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut file = std::fs::File::create(dir.path().join("probe")).unwrap();
    let mut samples: Vec<Duration> = (0..200)
        .map(|_| {
            file.write_all(&[0; 4096]).unwrap();
            let start = Instant::now();
            file.sync_data().unwrap();
            start.elapsed()
        })
        .collect();
    (percentile(&mut samples, 0.5), percentile(&mut samples, 0.9))
}

fn searches(log: &AuditLog) {
    let middle = log
        .search(
            &Filter::default(),
            Page {
                before: Some(Seq(ENTRIES / 2)),
                limit: 1,
            },
        )
        .unwrap()
        .entries[0]
        .time;
    let text = |t: &str| Filter {
        text: Some(t.to_owned()),
        ..Filter::default()
    };
    let cases: Vec<(&str, Filter, Page)> = vec![
        ("newest page, no filter", Filter::default(), Page::default()),
        (
            "tool",
            Filter {
                tool: Some("vsphere_power_off_vm".to_owned()),
                ..Filter::default()
            },
            Page::default(),
        ),
        (
            "assistant",
            Filter {
                assistant: Some("cursor".to_owned()),
                ..Filter::default()
            },
            Page::default(),
        ),
        (
            "domain",
            Filter {
                domain: Some("vcenter:vc02.acme.example".to_owned()),
                ..Filter::default()
            },
            Page::default(),
        ),
        (
            "decision = refused_locked (1%)",
            Filter {
                decision: Some(Decision::RefusedLocked),
                ..Filter::default()
            },
            Page::default(),
        ),
        (
            "one day, half a year ago",
            Filter {
                since: Some(middle),
                until: Some(middle + Age::days(1)),
                ..Filter::default()
            },
            Page::default(),
        ),
        (
            "tool + domain + decision",
            Filter {
                tool: Some("jamf_send_mdm_command".to_owned()),
                domain: Some("jamf:acme.jamfcloud.com".to_owned()),
                decision: Some(Decision::Approved),
                ..Filter::default()
            },
            Page::default(),
        ),
        (
            "denied + assistant, deep page",
            Filter {
                decision: Some(Decision::Denied),
                assistant: Some("claude-code".to_owned()),
                ..Filter::default()
            },
            Page {
                before: Some(Seq(ENTRIES / 3)),
                limit: 100,
            },
        ),
        ("text: one serial", text("C0200005A1B2"), Page::default()),
        ("text: serial prefix", text("C0200005A1B"), Page::default()),
        ("text: common word (jamf)", text("jamf"), Page::default()),
        (
            "text: long common word (jamfcloud)",
            text("jamfcloud"),
            Page::default(),
        ),
        (
            "text: two words (initech power)",
            text("initech power"),
            Page::default(),
        ),
        (
            "text + tool",
            Filter {
                tool: Some("vsphere_get_vm".to_owned()),
                ..text("globex")
            },
            Page::default(),
        ),
        (
            "text + one month",
            Filter {
                since: Some(middle),
                until: Some(middle + Age::days(30)),
                ..text("hooli")
            },
            Page::default(),
        ),
    ];
    println!("filtered page of 100 out of {ENTRIES}  (median of 15, with the capped total)");
    let mut worst = Duration::ZERO;
    for (name, filter, page) in cases {
        let first = log.search(&filter, page).unwrap();
        let mut samples: Vec<Duration> = (0..15)
            .map(|_| {
                let start = Instant::now();
                black_box(log.search(&filter, page).unwrap());
                start.elapsed()
            })
            .collect();
        let median = percentile(&mut samples, 0.5);
        worst = worst.max(median);
        println!(
            "  {name:<34} {median:>9.2?}   {:>3} entries, total {:?}   {}",
            first.entries.len(),
            first.total,
            verdict(median <= Duration::from_millis(50))
        );
    }
    println!(
        "  worst filter                       {worst:>9.2?}   target <= 50 ms   {}",
        verdict(worst <= Duration::from_millis(50))
    );
}
