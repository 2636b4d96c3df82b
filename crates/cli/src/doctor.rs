//! `latchkey doctor`: the platform's seams and whether each one answers right now.

use std::io::ErrorKind;
use std::os::unix::net::UnixStream;
use std::process::ExitCode;

use latchkey_broker::control::{ControlClient, ControlRequest};
use latchkey_broker::{CredentialsOverview, StatePaths};
use latchkey_vault::Probe;
use serde::Serialize;

#[derive(Debug, Serialize)]
struct Report {
    version: &'static str,
    platform: &'static str,
    secret_store: Probe,
    presence_check: Probe,
    /// What locks unlocked credentials: sleep and screen-lock sources.
    lock_events: Vec<Probe>,
    mcp_socket: SocketProbe,
    /// The running broker's credentials, when one answers on the control socket.
    credentials: Option<CredentialsProbe>,
}

#[derive(Debug, Serialize)]
struct CredentialsProbe {
    domains: usize,
    unlocked: usize,
    /// How that broker checks presence.
    presence: String,
    store_error: Option<String>,
}

#[derive(Debug, Serialize)]
struct SocketProbe {
    path: String,
    reachable: bool,
    detail: String,
}

pub async fn run(json: bool) -> anyhow::Result<ExitCode> {
    let (secret_store, presence_check) = tokio::join!(
        latchkey_vault::probe_secret_store(),
        latchkey_vault::probe_presence()
    );
    let paths = StatePaths::from_env()?;
    let report = Report {
        version: latchkey_broker::VERSION,
        platform: std::env::consts::OS,
        secret_store,
        presence_check,
        lock_events: probe_lock_events().await,
        mcp_socket: probe_socket(&paths),
        credentials: probe_credentials(&paths).await,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
    }
    Ok(ExitCode::SUCCESS)
}

/// Starts watching for sleep and screen lock, notes which sources answer, and stops.
async fn probe_lock_events() -> Vec<Probe> {
    let (tx, _events) = tokio::sync::mpsc::unbounded_channel();
    match latchkey_vault::watch_lock_events(tx).await {
        Ok(watch) => watch.sources().to_vec(),
        Err(e) => vec![Probe {
            name: "sleep and screen lock",
            reachable: false,
            detail: e.to_string(),
        }],
    }
}

async fn probe_credentials(paths: &StatePaths) -> Option<CredentialsProbe> {
    let mut broker = ControlClient::connect(&paths.control_socket()).await.ok()?;
    let overview: CredentialsOverview = broker.call(&ControlRequest::Overview).await.ok()?;
    Some(CredentialsProbe {
        domains: overview.domains.len(),
        unlocked: overview.domains.iter().filter(|d| d.unlocked).count(),
        presence: overview.presence.description,
        store_error: overview.store_error,
    })
}

fn probe_socket(paths: &StatePaths) -> SocketProbe {
    let socket = paths.mcp_socket();
    let (reachable, detail) = match UnixStream::connect(&socket) {
        Ok(_) => (true, "a broker is listening".to_owned()),
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::ConnectionRefused) => (
            false,
            "no broker is running: open the Latchkey app or run `latchkey serve`".to_owned(),
        ),
        Err(e) => (false, e.to_string()),
    };
    SocketProbe {
        path: socket.display().to_string(),
        reachable,
        detail,
    }
}

fn print_text(report: &Report) {
    let mark = |ok: bool| if ok { "ok" } else { "NOT REACHABLE" };
    println!("Latchkey {} on {}", report.version, report.platform);
    for (what, name, ok, detail) in [
        (
            "secret store",
            report.secret_store.name,
            report.secret_store.reachable,
            &report.secret_store.detail,
        ),
        (
            "presence check",
            report.presence_check.name,
            report.presence_check.reachable,
            &report.presence_check.detail,
        ),
        (
            "MCP socket",
            report.mcp_socket.path.as_str(),
            report.mcp_socket.reachable,
            &report.mcp_socket.detail,
        ),
    ] {
        println!("  {what:<15} {name}\n  {:<15} {}: {detail}", "", mark(ok));
    }
    for source in &report.lock_events {
        let mark = if source.reachable {
            "ok"
        } else {
            "not available"
        };
        println!(
            "  {:<15} {}: {mark}: {}",
            "locks on", source.name, source.detail
        );
    }
    match &report.credentials {
        Some(c) => {
            match &c.store_error {
                Some(e) => println!(
                    "  {:<15} the broker cannot read its store: {e}",
                    "credentials"
                ),
                None => println!(
                    "  {:<15} {} domains, {} unlocked",
                    "credentials", c.domains, c.unlocked
                ),
            }
            println!("  {:<15} the broker confirms with {}", "", c.presence);
        }
        None => println!(
            "  {:<15} no broker answers on the control socket",
            "credentials"
        ),
    }
}
