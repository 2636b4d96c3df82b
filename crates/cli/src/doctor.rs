//! `latchkey doctor`: the platform's seams and whether each one answers right now; exits 1
//! when one does not. It talks to the broker only through the control socket: connecting to
//! the MCP one would make it an assistant (on the allow-list, or refused on the audit).

use std::io::ErrorKind;
use std::os::unix::fs::FileTypeExt;
use std::process::ExitCode;

use chrono::Utc;

use latchkey_broker::control::{ControlClient, ControlRequest};
use latchkey_broker::{CredentialsOverview, RefusedFile, SofaService, StatePaths, StoreKind};
use latchkey_sofa::fetch::{FEED_FIX, FeedInfo, FeedSource};
use latchkey_vault::Probe;
use serde::Serialize;

use crate::security_review::{self, SecurityReview};

#[derive(Debug, Serialize)]
struct Report {
    version: &'static str,
    platform: &'static str,
    /// Whether every check passed (else `latchkey doctor` exits 1).
    ok: bool,
    secret_store: Probe,
    presence_check: Probe,
    /// What locks unlocked credentials: sleep and screen-lock sources.
    lock_events: Vec<Probe>,
    /// Whether a broker answers a read-only request on the control socket.
    broker: Check,
    /// Whether the socket assistants connect to is there; never connected to, so doctor is
    /// no assistant on the allow-list or the audit.
    mcp_socket: SocketProbe,
    /// The running broker's credentials, when one answers on the control socket.
    credentials: Option<CredentialsProbe>,
    /// Whether the running broker trusted assistants.json and settings.json (sealed with its
    /// key in the secret store) or refused them.
    sealed_files: Check,
    /// The SOFA feed, as a broker started now would load it (the cache when fresh enough).
    sofa_feed: FeedCheck,
    /// The audit chain, verified as `latchkey audit verify` does.
    audit_chain: Check,
    /// With `--security`: credential ages, Jamf privileges, the dependency scan.
    #[serde(skip_serializing_if = "Option::is_none")]
    security: Option<Result<SecurityReview, String>>,
}

#[derive(Debug, Serialize)]
struct Check {
    ok: bool,
    detail: String,
}

#[derive(Debug, Serialize)]
struct FeedCheck {
    ok: bool,
    detail: String,
    feed: Option<FeedInfo>,
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
    /// The socket exists and is a socket.
    reachable: bool,
    detail: String,
}

pub async fn run(json: bool, security: bool) -> anyhow::Result<ExitCode> {
    let (secret_store, presence_check) = tokio::join!(
        latchkey_vault::probe_secret_store(),
        latchkey_vault::probe_presence()
    );
    let paths = StatePaths::from_env()?;
    let (broker, credentials) = probe_broker(&paths).await;
    let secret_store = chosen_store(&paths, secret_store).await;
    let sealed_files = probe_sealed_files(&paths).await;
    let audit_chain = probe_audit().await;
    let mut report = Report {
        version: latchkey_broker::VERSION,
        platform: std::env::consts::OS,
        ok: false,
        secret_store,
        presence_check,
        lock_events: probe_lock_events().await,
        broker,
        mcp_socket: probe_socket(&paths),
        credentials,
        sealed_files,
        sofa_feed: probe_feed(&paths).await,
        audit_chain,
        security: None,
    };
    if security {
        let review = async {
            let mut broker = ControlClient::connect(&paths.control_socket()).await?;
            security_review::review(&mut broker).await
        };
        report.security = Some(review.await.map_err(|e| format!("{e:#}")));
    }
    report.ok = report.secret_store.reachable
        && report.presence_check.reachable
        && report.broker.ok
        && report.mcp_socket.reachable
        && report.sealed_files.ok
        && report.sofa_feed.ok
        && report.audit_chain.ok
        && report
            .security
            .as_ref()
            .is_none_or(|review| review.as_ref().is_ok_and(|r| r.ok));
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
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

/// The broker, through the control socket (a read-only overview): never as an assistant.
async fn probe_broker(paths: &StatePaths) -> (Check, Option<CredentialsProbe>) {
    let socket = paths.control_socket();
    let overview = async {
        let mut broker = ControlClient::connect(&socket).await?;
        broker
            .call::<CredentialsOverview>(&ControlRequest::Overview)
            .await
    };
    match overview.await {
        Ok(overview) => (
            Check {
                ok: true,
                detail: format!("answers on {}", socket.display()),
            },
            Some(CredentialsProbe {
                domains: overview.domains.len(),
                unlocked: overview.domains.iter().filter(|d| d.unlocked).count(),
                presence: overview.presence.description,
                store_error: overview.store_error,
            }),
        ),
        Err(e) => (
            Check {
                ok: false,
                detail: e.to_string(),
            },
            None,
        ),
    }
}

/// The store line: the OS store as probed, or, when the running broker keeps credentials in
/// Latchkey's encrypted file (Linux), that file.
async fn chosen_store(paths: &StatePaths, os_store: Probe) -> Probe {
    let status = async {
        let mut broker = ControlClient::connect(&paths.control_socket()).await?;
        crate::passphrase::store_status(&mut broker).await
    };
    match status.await {
        Ok(Some(status)) if status.store == StoreKind::EncryptedFile => Probe {
            name: "Latchkey's encrypted file (your passphrase)",
            reachable: status.file.exists(),
            detail: format!(
                "items are encrypted by your passphrase: {}; the audit anchor and the key that \
                 seals the settings stay in the Secret Service (see SECURITY.md)",
                crate::store::describe(&status)
            ),
        },
        // A file left behind, or a choice refused (a forged store.json): say so.
        Ok(Some(status)) if status.file.exists() => Probe {
            detail: format!(
                "{}; Latchkey's encrypted store {} exists but is not in use (see the sealed \
                 files line)",
                os_store.detail,
                status.file.display()
            ),
            ..os_store
        },
        Ok(_) => os_store,
        // No broker to ask: say whether an encrypted store file is there.
        Err(_) if paths.encrypted_store_file().exists() => Probe {
            detail: format!(
                "{}; Latchkey's encrypted store {} exists (start the broker for `latchkey store \
                 status`)",
                os_store.detail,
                paths.encrypted_store_file().display()
            ),
            ..os_store
        },
        Err(_) => os_store,
    }
}

/// What the running broker refused of its configuration files; nothing to say when no broker
/// answers (the broker line says so).
async fn probe_sealed_files(paths: &StatePaths) -> Check {
    let refused = async {
        let mut broker = ControlClient::connect(&paths.control_socket()).await?;
        broker
            .call::<Vec<RefusedFile>>(&ControlRequest::RefusedFiles)
            .await
    };
    match refused.await {
        Ok(refused) if refused.is_empty() => Check {
            ok: true,
            detail: "assistants.json and settings.json verify (or are not written yet)".to_owned(),
        },
        Ok(refused) => Check {
            ok: false,
            detail: refused
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        },
        Err(e) => Check {
            ok: true,
            detail: format!("not checked: {e}"),
        },
    }
}

/// Whether the MCP socket is there and is a socket, looked at without connecting.
fn probe_socket(paths: &StatePaths) -> SocketProbe {
    let socket = paths.mcp_socket();
    let (reachable, detail) = match std::fs::symlink_metadata(&socket) {
        Ok(m) if m.file_type().is_socket() => (
            true,
            "a socket is there (not connected to: doctor is no assistant)".to_owned(),
        ),
        Ok(_) => (
            false,
            "something that is not a socket is there: stop the broker, remove it and start it again"
                .to_owned(),
        ),
        Err(e) if e.kind() == ErrorKind::NotFound => (
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

/// The SOFA feed a broker would use: its source, SOFA's own update time and age.
async fn probe_feed(paths: &StatePaths) -> FeedCheck {
    let sofa = match SofaService::open(FeedSource::from_env(), paths) {
        Ok(sofa) => sofa,
        Err(e) => {
            return FeedCheck {
                ok: false,
                detail: e.to_string(),
                feed: None,
            };
        }
    };
    match sofa.feed().await {
        Ok(loaded) => {
            let info = sofa.describe(&loaded);
            let mut detail = crate::sofa::render::origin(&info, Utc::now());
            if let Some(outdated) = &info.outdated {
                detail = format!("{detail}; {outdated}");
            }
            FeedCheck {
                ok: true,
                detail,
                feed: Some(info),
            }
        }
        Err(e) => FeedCheck {
            ok: false,
            detail: format!("{e}: {FEED_FIX}"),
            feed: None,
        },
    }
}

/// The audit chain, verified as `latchkey audit verify` does (on a thread of its own: that
/// opens the log with a runtime of its own).
async fn probe_audit() -> Check {
    let verified = tokio::task::spawn_blocking(crate::audit::verify).await;
    match verified {
        Ok(Ok(verification)) => Check {
            ok: verification.is_ok(),
            detail: crate::audit::verification_words(&verification),
        },
        Ok(Err(e)) => Check {
            ok: false,
            detail: format!("{e:#}"),
        },
        Err(e) => Check {
            ok: false,
            detail: e.to_string(),
        },
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
    for (what, check) in [
        ("broker", &report.broker),
        ("settings files", &report.sealed_files),
        ("audit chain", &report.audit_chain),
    ] {
        // A detail of several lines (one per refused file) stays in its column.
        println!(
            "  {what:<15} {}: {}",
            if check.ok { "ok" } else { "FAILED" },
            check.detail.replace('\n', &format!("\n  {:<15} ", ""))
        );
    }
    println!(
        "  {:<15} {}: {}",
        "SOFA feed",
        if report.sofa_feed.ok {
            "ok"
        } else {
            "UNAVAILABLE"
        },
        report.sofa_feed.detail
    );
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
        None => println!("  {:<15} unknown: no broker answers", "credentials"),
    }
    match &report.security {
        Some(Ok(review)) => security_review::print(review),
        Some(Err(e)) => println!("Security review: FAILED: {e}"),
        None => {}
    }
}
