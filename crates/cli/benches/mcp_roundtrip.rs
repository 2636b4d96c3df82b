//! `make bench`: prints the broker's figures against the targets in issues #2 and #16.
//!
//! - `latchkey_status` round trip over the socket and through `latchkey mcp` (p50/p99 of
//!   5,000 sequential calls from an rmcp client);
//! - 32 concurrent clients x 1,000 calls (errors must be zero);
//! - idle RSS of `latchkey serve`;
//! - app cold start to socket ready, when `LATCHKEY_APP` names the app binary (needs a display).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};

const LATCHKEY: &str = env!("CARGO_BIN_EXE_latchkey");
/// The broker loads the SOFA feed at start; a local copy keeps the bench off the network.
const SOFA_FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/sofa/v2/macos_data_feed.json"
);
const SEQUENTIAL_CALLS: usize = 5_000;
const CLIENTS: usize = 32;
const CALLS_PER_CLIENT: usize = 1_000;

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for_socket(socket: &Path, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    while std::os::unix::net::UnixStream::connect(socket).is_err() {
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    Some(start.elapsed())
}

async fn call(client: &RunningService<RoleClient, ()>) -> bool {
    client
        .call_tool(CallToolRequestParams::new("latchkey_status"))
        .await
        .is_ok_and(|r| r.structured_content.is_some())
}

async fn latencies(client: &RunningService<RoleClient, ()>) -> Vec<Duration> {
    for _ in 0..200 {
        assert!(call(client).await, "warm-up call failed");
    }
    let mut samples = Vec::with_capacity(SEQUENTIAL_CALLS);
    for _ in 0..SEQUENTIAL_CALLS {
        let start = Instant::now();
        assert!(call(client).await, "latchkey_status failed");
        samples.push(start.elapsed());
    }
    samples.sort();
    samples
}

fn report(label: &str, samples: &[Duration], target_p50: Duration) {
    let pct = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    let p50 = pct(0.50);
    println!(
        "{label:<44} p50 {:>7.1} µs   p99 {:>7.1} µs   target p50 ≤ {} µs  {}",
        p50.as_secs_f64() * 1e6,
        pct(0.99).as_secs_f64() * 1e6,
        target_p50.as_micros(),
        if p50 <= target_p50 { "MET" } else { "MISSED" }
    );
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let home = tempfile::tempdir().unwrap();
    let state = home.path().join("state");
    let socket = state.join("mcp.sock");
    let serve = Command::new(LATCHKEY)
        .arg("serve")
        .env("LATCHKEY_HOME", &state)
        // its own runtime dir (the one-broker lock), apart from a broker the user runs
        .env("XDG_RUNTIME_DIR", &state)
        .env("LATCHKEY_SOFA_FEED", SOFA_FIXTURE)
        // Bench builds carry the test-only scripted presence check: it lets this client in.
        .env("LATCHKEY_SCRIPTED_PRESENCE", "approve")
        // ... and may lift the per-assistant call rate: this measures the broker, not the limit.
        .env("LATCHKEY_CALL_RATE", "unlimited")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let serve = Killed(serve);
    wait_for_socket(&socket, Duration::from_secs(20)).expect("broker did not start");
    println!(
        "latchkey {} broker benchmarks ({} cores)",
        env!("CARGO_PKG_VERSION"),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let stream = tokio::net::UnixStream::connect(&socket).await.unwrap();
    let client = ().serve(stream.into_split()).await.unwrap();
    report(
        "latchkey_status over the socket (5,000)",
        &latencies(&client).await,
        Duration::from_micros(100),
    );
    client.cancel().await.unwrap();

    let mut bridge = tokio::process::Command::new(LATCHKEY)
        .arg("mcp")
        .env("LATCHKEY_HOME", &state)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let io = (bridge.stdout.take().unwrap(), bridge.stdin.take().unwrap());
    let client = ().serve(io).await.unwrap();
    report(
        "latchkey_status through `latchkey mcp` (5,000)",
        &latencies(&client).await,
        Duration::from_micros(150),
    );
    drop(client); // closes the bridge's stdin, which ends it
    let _ = bridge.wait().await;

    let start = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let socket = socket.clone();
            tokio::spawn(async move {
                let stream = tokio::net::UnixStream::connect(&socket).await.unwrap();
                let client = ().serve(stream.into_split()).await.unwrap();
                let mut errors = 0;
                for _ in 0..CALLS_PER_CLIENT {
                    errors += usize::from(!call(&client).await);
                }
                let _ = client.cancel().await;
                errors
            })
        })
        .collect();
    let mut errors = 0;
    for task in tasks {
        errors += task.await.unwrap_or(CALLS_PER_CLIENT);
    }
    let elapsed = start.elapsed();
    let per_second = (CLIENTS * CALLS_PER_CLIENT) as f64 / elapsed.as_secs_f64();
    println!(
        "{:<44} {} calls in {:.2} s ({:.0} calls/s), errors {errors}  target ≥ 30,000 calls/s  {}",
        "32 concurrent clients x 1,000 calls",
        CLIENTS * CALLS_PER_CLIENT,
        elapsed.as_secs_f64(),
        per_second,
        if errors == 0 && per_second >= 30_000.0 {
            "MET"
        } else {
            "MISSED"
        }
    );

    // Idle: the broker hands memory back after 0.5 s without calls (checked every 0.5 s).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss = rss_kib(serve.0.id());
    println!(
        "{:<44} {:.1} MB   target ≤ 20 MB  {}",
        "`latchkey serve` idle RSS (after the load)",
        rss as f64 / 1024.0,
        if rss <= 20 * 1024 { "MET" } else { "MISSED" }
    );
    drop(serve);

    match std::env::var_os("LATCHKEY_APP").map(PathBuf::from) {
        Some(app) => cold_start(&app, home.path()),
        None => println!(
            "{:<44} skipped: set LATCHKEY_APP to the app binary (make bench does)",
            "app cold start to socket ready"
        ),
    }
}

fn cold_start(app: &Path, home: &Path) {
    let mut runs = Vec::new();
    for i in 0..5 {
        let state = home.join(format!("app-{i}"));
        let start = Instant::now();
        let child = Command::new(app)
            .env("LATCHKEY_HOME", &state)
            .env("XDG_RUNTIME_DIR", &state)
            .env("LATCHKEY_SOFA_FEED", SOFA_FIXTURE)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let child = Killed(child);
        wait_for_socket(&state.join("mcp.sock"), Duration::from_secs(30))
            .expect("app never opened its socket");
        runs.push(start.elapsed());
        drop(child);
    }
    runs.sort();
    println!(
        "{:<44} median {:.0} ms over 5 launches (no target set)",
        "app cold start to socket ready",
        runs[2].as_secs_f64() * 1e3
    );
}
