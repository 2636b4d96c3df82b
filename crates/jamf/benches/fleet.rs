//! `cargo bench -p latchkey-jamf --bench fleet`: the client's figures against its targets,
//! with the in-process mock as the server —
//! - a fleet report over 20,000 computers (10 pages of 2,000, 5 in flight): ≤ 2 s;
//! - the process's peak resident memory afterwards (VmHWM, mock included): ≤ 150 MB;
//! - one `computer_security` call with a warm token, minus the time spent in the mock's
//!   handlers: ≤ 5 ms (median).

use std::time::{Duration, Instant};

use latchkey_jamf::{Auth, ClientOptions, ComputerRef, Currency, JamfClient, Secret};
use latchkey_sofa::IndexedFeed;
use latchkey_sofa::fetch::{DEFAULT_MAX_FEED_AGE, FeedOrigin};

use latchkey_jamf_mock::{Mock, MockConfig};

const FEED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/sofa/v2-2026-09-10/macos_data_feed.json"
);
const FLEET: usize = 20_000;
const FLEET_RUNS: usize = 3;
const SECURITY_CALLS: usize = 200;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "MISSED" }
}

/// Peak resident set size of this process, from the kernel.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let Ok(bytes) = std::fs::read(FEED) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{FEED} missing in CI"
        );
        eprintln!("skipping: SOFA fixture not found at {FEED}");
        return;
    };
    let feed = IndexedFeed::from_slice(&bytes).expect("SOFA fixture parses");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(feed));
}

async fn run(feed: IndexedFeed) {
    let info = FeedOrigin {
        source: FEED.to_owned(),
        fetched_at: chrono::Utc::now(),
        sofa_updated_at: None,
        stale_reason: None,
    }
    .info(chrono::Utc::now(), DEFAULT_MAX_FEED_AGE);
    let currency = Currency::Feed {
        feed: &feed,
        info: &info,
        sla: &latchkey_sofa::UpdateSla::DEFAULT,
    };
    let config = MockConfig {
        computers: FLEET,
        ..MockConfig::default()
    };
    let auth = Auth::Client {
        client_id: config.client_id.clone(),
        client_secret: Secret::new(config.client_secret.clone()),
    };
    let mock = Mock::start(config).await;
    let client = JamfClient::new(&mock.url(), auth, ClientOptions::default()).unwrap();
    client.check_connection().await.unwrap();

    let mut runs = Vec::new();
    for _ in 0..FLEET_RUNS {
        mock.reset_stats();
        let started = Instant::now();
        let report = client
            .fleet_security_report(currency, &|_| {})
            .await
            .unwrap();
        runs.push(started.elapsed());
        assert_eq!(report.total, FLEET);
        assert!(mock.max_in_flight() <= 5);
    }
    let fleet = median(runs);
    println!(
        "fleet report, {FLEET} computers (10 pages, 5 in flight): {:>8.1} ms  (target <= 2000 ms)  {}",
        fleet.as_secs_f64() * 1e3,
        verdict(fleet <= Duration::from_secs(2))
    );
    println!(
        "  of which in the mock's handlers (summed over pages): {:.1} ms per run",
        mock.handler_time().as_secs_f64() * 1e3
    );
    match peak_rss_mb() {
        Some(mb) => println!(
            "peak resident memory (VmHWM, mock included):        {mb:>8.1} MB  (target <= 150 MB)  {}",
            verdict(mb <= 150.0)
        ),
        None => println!("peak resident memory: /proc/self/status unavailable"),
    }

    let target = ComputerRef::id("30").unwrap();
    client.computer_security(&target, currency).await.unwrap();
    let mut ours = Vec::with_capacity(SECURITY_CALLS);
    let mut totals = Vec::with_capacity(SECURITY_CALLS);
    for _ in 0..SECURITY_CALLS {
        mock.reset_stats();
        let started = Instant::now();
        client.computer_security(&target, currency).await.unwrap();
        let total = started.elapsed();
        totals.push(total);
        ours.push(total.saturating_sub(mock.handler_time()));
    }
    let (ours, total) = (median(ours), median(totals));
    println!(
        "computer_security, warm token, beyond the server:   {:>8.3} ms  (target <= 5 ms)  {}  (total {:.3} ms)",
        ours.as_secs_f64() * 1e3,
        verdict(ours <= Duration::from_millis(5)),
        total.as_secs_f64() * 1e3
    );
}
