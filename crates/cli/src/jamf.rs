//! `latchkey jamf …`: computers, one Mac's security posture and the fleet report, read from
//! a Jamf Pro server through the running broker (which holds the unlocked credential and
//! records each read on the audit log); and the API role Latchkey needs, which asks no server.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use latchkey_broker::control::{ControlRequest, JamfRead};
use latchkey_jamf::{
    ComputerPage, ComputerSecurity, ConnectionCheck, FleetSecurityReport, MinimalRole, TOOLS,
};
use latchkey_sofa::fetch::FeedInfo;
use serde::Serialize;

use crate::sofa::count_or_na;
use crate::table::Table;

/// Macs the fleet report lists unless `--all` is given.
const FLEET_SHOWN: usize = 20;

#[derive(Debug, Args)]
pub struct JamfArgs {
    /// The Jamf domain (acme.jamfcloud.com), or a credential's id, label or URL [default: the only one unlocked]
    #[arg(long, global = true)]
    domain: Option<String>,
    /// Print JSON instead of text
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: JamfCommand,
}

#[derive(Debug, Subcommand)]
enum JamfCommand {
    /// Computers, all or those whose name, serial, user or email contains the search text
    Computers {
        #[arg(long)]
        search: Option<String>,
        /// Page, from 1
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        page: u32,
        /// Computers per page (1–2000)
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=2000))]
        page_size: u32,
    },
    /// One Mac's security posture: macOS against Apple's releases, FileVault, SIP, Gatekeeper…
    Security { serial: String },
    /// The fleet: macOS versions, current / behind / unsupported, most exposed Macs first
    Fleet {
        /// Rebuild the report now instead of using one from the last 10 minutes
        #[arg(long)]
        refresh: bool,
        /// List every Mac, not only the 20 most exposed
        #[arg(long)]
        all: bool,
    },
    /// The least-privilege Jamf Pro API role for Latchkey: what the read-only tools need, and
    /// what each tool that changes something adds
    Privileges,
}

pub async fn run(args: JamfArgs) -> anyhow::Result<ExitCode> {
    if let JamfCommand::Privileges = args.command {
        print(args.json, &MinimalRole::new(), print_role)?;
        return Ok(ExitCode::SUCCESS);
    }
    let (mut broker, domain) = crate::creds::connect_for(args.domain.as_deref()).await?;
    match args.command {
        JamfCommand::Computers {
            search,
            page,
            page_size,
        } => {
            let read = JamfRead::Computers {
                domain,
                text: search,
                page: page - 1,
                page_size,
            };
            let found: ComputerPage = broker.call(&ControlRequest::JamfRead(read)).await?;
            print(args.json, &found, print_computers)?;
        }
        JamfCommand::Security { serial } => {
            let read = JamfRead::Security { domain, serial };
            let posture: ComputerSecurity = broker.call(&ControlRequest::JamfRead(read)).await?;
            print(args.json, &posture, print_security)?;
        }
        JamfCommand::Fleet { refresh, all } => {
            if !args.json {
                eprintln!("reading every computer from Jamf Pro (a recent report is reused)…");
            }
            let read = JamfRead::Fleet { domain, refresh };
            let mut report: FleetSecurityReport =
                broker.call(&ControlRequest::JamfRead(read)).await?;
            if !all {
                report.truncate(FLEET_SHOWN);
            }
            print(args.json, &report, print_fleet)?;
        }
        JamfCommand::Privileges => unreachable!("answered without a broker"),
    }
    Ok(ExitCode::SUCCESS)
}

fn print<T: Serialize>(json: bool, value: &T, text: fn(&T)) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        text(value);
    }
    Ok(())
}

/// "Connected to acme.jamfcloud.com: Jamf Pro 11.30.1, 1,234 computers (API client, 412 ms)".
pub fn connection_line(check: &ConnectionCheck) -> String {
    let version = check
        .version
        .as_deref()
        .map_or("Jamf Pro (version not given)".to_owned(), |v| {
            format!("Jamf Pro {v}")
        });
    let computers = check.computers.map_or(
        "inventory not readable with these privileges".to_owned(),
        |n| format!("{n} computers"),
    );
    format!(
        "Connected to {}: {version}, {computers} ({}, {} ms)",
        check.server, check.auth, check.elapsed_ms
    )
}

fn print_role(role: &MinimalRole) {
    let read_only: Vec<&str> = TOOLS
        .iter()
        .filter(|t| !t.changes)
        .map(|t| t.tool)
        .collect();
    println!("Jamf Pro API role for Latchkey (give its API client only these privileges)");
    println!();
    println!("Read-only tools ({}):", read_only.join(", "));
    for privilege in &role.read_only {
        println!("  {privilege}");
    }
    for (tool, extra) in &role.changes {
        println!();
        println!("{tool} (changes something; a person approves each call) adds:");
        if extra.is_empty() {
            println!("  nothing more");
        }
        for privilege in extra {
            println!("  {privilege}");
        }
    }
    println!();
    println!("Leave out a changing tool's privileges if you never want assistants to ask for it.");
    println!("`latchkey creds test ID` compares an API client's privileges with these.");
}

/// "… Read SSO Settings …": the privilege check of a connection test, for a person.
pub fn privileges_line(check: &ConnectionCheck) -> String {
    match &check.privileges {
        Some(privileges) if privileges.over_privileged || !privileges.missing.is_empty() => {
            format!("privileges: warning: {}", privileges.summary)
        }
        Some(privileges) => format!("privileges: {}", privileges.summary),
        None => "privileges: the server would not say (GET /api/v1/auth refused)".to_owned(),
    }
}

fn or_dash(value: Option<&str>) -> String {
    value.unwrap_or("-").to_owned()
}

fn print_computers(page: &ComputerPage) {
    if page.computers.is_empty() {
        println!("no computers match");
        return;
    }
    let mut table = Table::new([
        "ID",
        "NAME",
        "SERIAL",
        "USER",
        "MODEL",
        "MACOS",
        "LAST CONTACT",
    ]);
    for c in &page.computers {
        table.row([
            c.id.clone(),
            or_dash(c.name.as_deref()),
            or_dash(c.serial.as_deref()),
            or_dash(c.user.as_deref()),
            or_dash(c.model_identifier.as_deref().or(c.model.as_deref())),
            or_dash(c.os_version.as_deref()),
            c.last_contact
                .map_or("-".to_owned(), |t| t.format("%Y-%m-%d %H:%M").to_string()),
        ]);
    }
    table.print();
    let pages = page.total.div_ceil(u64::from(page.page_size.max(1)));
    println!(
        "page {} of {pages}, {} computers in all",
        page.page + 1,
        page.total
    );
}

fn print_security(s: &ComputerSecurity) {
    let c = &s.computer;
    println!(
        "{} ({}), {}",
        or_dash(c.name.as_deref()),
        or_dash(c.serial.as_deref()),
        or_dash(c.model_identifier.as_deref().or(c.model.as_deref()))
    );
    let os = &s.os;
    let standing = match (os.latest_release.as_deref(), os.releases_behind) {
        (Some(_), 0) => "current".to_owned(),
        (Some(latest), n) => format!(
            "{n} releases behind {latest}: {} CVEs fixed since, {} actively exploited",
            os.missing_cves, os.missing_exploited_cves
        ),
        (None, _) => os.note.clone().unwrap_or_else(|| "not judged".to_owned()),
    };
    println!("macOS {}: {standing}", or_dash(os.version.as_deref()));
    print_judged_by(
        s.macos_feed.as_ref(),
        s.macos_currency_unavailable.as_deref(),
    );
    let flag = |b: Option<bool>| match b {
        Some(true) => "on".to_owned(),
        Some(false) => "off".to_owned(),
        None => "-".to_owned(),
    };
    let rows = [
        ("FileVault", flag(s.filevault.enabled)),
        ("SIP", or_dash(s.sip_status.as_deref())),
        ("Gatekeeper", or_dash(s.gatekeeper_status.as_deref())),
        ("XProtect", or_dash(s.xprotect_version.as_deref())),
        ("Firewall", flag(s.firewall_enabled)),
        (
            "Last contact",
            s.days_since_contact
                .map_or("-".to_owned(), |d| format!("{d} days ago")),
        ),
    ];
    for (what, value) in rows {
        println!("  {what:<13}{value}");
    }
    if s.findings.is_empty() {
        println!("no findings");
    } else {
        println!("findings:");
        for finding in &s.findings {
            println!("  - {finding}");
        }
    }
}

/// Which feed a report's macOS standing comes from and how old it is, or why there is none.
fn print_judged_by(feed: Option<&FeedInfo>, unavailable: Option<&str>) {
    if let Some(why) = unavailable {
        println!("{why}");
    }
    if let Some(info) = feed {
        println!("{}", crate::sofa::render::origin(info, chrono::Utc::now()));
        if let Some(outdated) = &info.outdated {
            println!("warning: {outdated}");
        }
    }
}

fn print_fleet(r: &FleetSecurityReport) {
    println!(
        "{}: {} computers (inventory {}), report of {}",
        r.server,
        r.total,
        r.inventory_api,
        r.generated_at.format("%Y-%m-%d %H:%M UTC")
    );
    print_judged_by(
        r.macos_feed.as_ref(),
        r.macos_currency_unavailable.as_deref(),
    );
    if r.macos_currency_unavailable.is_none() {
        println!(
            "current {}, behind {}, end of life {}, unknown version {}, unreadable {}, missing actively exploited fixes {}, limited by hardware {}",
            r.current,
            r.behind,
            r.end_of_life,
            r.unknown_version,
            r.unreadable,
            r.missing_exploited_fixes,
            r.limited_by_hardware
        );
    }
    let mut versions = Table::new(["MACOS", "STATE", "COMPUTERS"]);
    for v in &r.distribution {
        versions.row([
            v.os_version.clone(),
            v.state.as_str().to_owned(),
            v.devices.to_string(),
        ]);
    }
    versions.print();
    if r.computers.is_empty() {
        return;
    }
    println!();
    let mut macs = Table::new([
        "NAME",
        "SERIAL",
        "USER",
        "MACOS",
        "STATE",
        "BEHIND",
        "CVES",
        "EXPLOITED",
        "LAST CONTACT",
    ]);
    for c in &r.computers {
        macs.row([
            or_dash(c.name.as_deref()),
            or_dash(c.serial.as_deref()),
            or_dash(c.user.as_deref()),
            or_dash(c.os_version.as_deref()),
            c.state.as_str().to_owned(),
            count_or_na(c.releases_behind),
            count_or_na(c.missing_cves),
            count_or_na(c.missing_exploited_cves),
            c.days_since_contact
                .map_or("-".to_owned(), |d| format!("{d} days ago")),
        ]);
    }
    macs.print();
    if r.computers_omitted > 0 {
        println!(
            "{} more not listed (--all lists every Mac)",
            r.computers_omitted
        );
    }
}
