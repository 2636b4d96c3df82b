//! `latchkey`: the command-line face of Latchkey. Thin: each subcommand calls a crate.

mod approvals;
mod assistants;
mod audit;
mod bridge;
mod client_config;
mod creds;
mod doctor;
mod http;
mod input;
mod jamf;
mod names;
mod passphrase;
mod password_agent;
mod security_review;
mod settings;
mod sofa;
mod store;
mod table;
mod vcenter;

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use latchkey_broker::{Broker, SofaService, StatePaths, platform_services};
use latchkey_sofa::fetch::FeedSource;

#[derive(Debug, Parser)]
#[command(
    name = "latchkey",
    version,
    about = "Keychain-backed credentials and a local MCP server for Mac admins"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show which secret store, presence check and socket this platform uses, and whether each answers
    Doctor {
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
        /// Also review security: credential ages against 30-day rotation, unlocked Jamf
        /// accounts' privileges against the role Latchkey needs, the dependency scan
        #[arg(long)]
        security: bool,
    },
    /// Changes assistants asked for, waiting for your approval: list, approve, deny; grants
    Approvals(approvals::ApprovalsArgs),
    /// The audit log of every assistant call: verify, tail, search, export
    Audit(audit::AuditArgs),
    /// Which assistants may use Latchkey: list, allow, deny, forget
    Assistants(assistants::AssistantsArgs),
    /// Credentials: add, list, rotate, remove, unlock and lock (through the running broker)
    Creds(creds::CredsArgs),
    /// MCP over loopback HTTP for assistants that need it: enable, disable, status, tokens
    Http(http::HttpArgs),
    /// Jamf Pro: computers, one Mac's security posture, the fleet report (domain unlocked)
    Jamf(jamf::JamfArgs),
    /// vCenter: VMs, one VM, hosts, datastores, networks (domain unlocked)
    Vcenter(vcenter::VcenterArgs),
    /// Run the broker headless (no menu-bar app), until interrupted
    Serve,
    /// What the broker runs with (SOFA feed, deadlines, unlocks, approvals, audit), and changing it
    Settings(settings::SettingsArgs),
    /// Apple security-release status from the macadmins SOFA feed
    Sofa(sofa::SofaArgs),
    /// Linux: keep credentials in the Secret Service or in Latchkey's encrypted file
    Store(store::StoreArgs),
    /// The stdio bridge MCP clients launch: connects stdin/stdout to the running broker
    Mcp {
        /// Print the configuration snippet for an MCP client instead of bridging
        #[arg(long, value_name = "CLIENT", value_parser = client_config::parse_client)]
        print_config: Option<latchkey_broker::McpClient>,
        /// With --print-config: the form for MCP over loopback HTTP (URL and an
        /// Authorization header taken from the environment, never a real token)
        #[arg(long, requires = "print_config")]
        http: bool,
    },
}

fn main() -> ExitCode {
    quiet_on_broken_pipe();
    let cli = Cli::parse();
    latchkey_broker::init_logging();
    match run(cli.command) {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("latchkey: {}", input::explain(&e));
            ExitCode::FAILURE
        }
    }
}

/// `latchkey sofa cves 15.1 | head -2`: when whoever reads stdout goes away, stop quietly, as
/// Unix tools do. Rust ignores SIGPIPE (which the broker's sockets rely on), so a write to a
/// closed pipe fails instead: `println!` panics with the error, anything else returns it.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = (payload.downcast_ref::<String>().map(String::as_str))
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        // std's own words for it: "failed printing to stdout: Broken pipe (os error 32)".
        if message.starts_with("failed printing to std") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Doctor { json, security } => runtime()?.block_on(doctor::run(json, security)),
        Command::Serve => {
            // Before any secret is read: no core dumps, no same-user ptrace (Linux).
            latchkey_vault::hardening::harden_process();
            let runtime = broker_runtime()?;
            let served = runtime.block_on(serve());
            // A blocking call still waiting on the secret store (a prune's anchor check, say)
            // cannot finish once the runtime stops driving its connection: give it a moment,
            // never forever (dropping the runtime would wait for it).
            runtime.shutdown_timeout(std::time::Duration::from_secs(3));
            served
        }
        Command::Approvals(args) => runtime()?.block_on(approvals::run(args)),
        Command::Audit(args) => audit::run(args),
        Command::Assistants(args) => runtime()?.block_on(assistants::run(args)),
        Command::Creds(args) => runtime()?.block_on(creds::run(args)),
        Command::Jamf(args) => runtime()?.block_on(jamf::run(args)),
        Command::Vcenter(args) => runtime()?.block_on(vcenter::run(args)),
        Command::Sofa(args) => runtime()?.block_on(sofa::run(args)),
        Command::Store(args) => runtime()?.block_on(store::run(args)),
        Command::Settings(args) => runtime()?.block_on(settings::run(args)),
        Command::Http(args) => runtime()?.block_on(http::run(args)),
        Command::Mcp {
            print_config: Some(client),
            http: true,
        } => runtime()?.block_on(client_config::print_http(client)),
        Command::Mcp {
            print_config: Some(client),
            http: false,
        } => client_config::print(client),
        Command::Mcp {
            print_config: None, ..
        } => bridge::run(&StatePaths::from_env()?),
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// The headless broker's runtime: two workers, so one is always free to drive I/O while
/// blocking code (SQLite, the audit anchor in the secret store) waits on it.
fn broker_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

async fn serve() -> anyhow::Result<ExitCode> {
    let paths = StatePaths::from_env()?;
    let sofa = Arc::new(SofaService::open(FeedSource::from_env(), &paths)?);
    let services = platform_services(&paths, sofa, None).await;
    // Before the socket exists: a SIGTERM sent as soon as it appears must stop us cleanly.
    let shutdown = shutdown_requested()?;
    let broker = Broker::bind(&paths, services)?;
    eprintln!(
        "latchkey {}: broker listening on {}",
        latchkey_broker::VERSION,
        broker.socket_path().display()
    );
    broker.serve(shutdown).await;
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM (launchd, systemd and `kill` all send the latter), listened for from
/// the moment this returns.
fn shutdown_requested() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = term.recv() => {}
        }
    })
}
