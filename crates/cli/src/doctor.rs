//! `latchkey doctor`: the platform's seams and whether each one answers right now.

use std::io::ErrorKind;
use std::os::unix::net::UnixStream;
use std::process::ExitCode;

use latchkey_broker::StatePaths;
use latchkey_vault::Probe;
use serde::Serialize;

#[derive(Debug, Serialize)]
struct Report {
    version: &'static str,
    platform: &'static str,
    secret_store: Probe,
    presence_check: Probe,
    mcp_socket: SocketProbe,
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
    let report = Report {
        version: latchkey_broker::VERSION,
        platform: std::env::consts::OS,
        secret_store,
        presence_check,
        mcp_socket: probe_socket(&StatePaths::from_env()?),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
    }
    Ok(ExitCode::SUCCESS)
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
}
