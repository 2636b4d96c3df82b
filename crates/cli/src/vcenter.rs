//! `latchkey vcenter …`: VMs, one VM, hosts, datastores and networks of a vCenter, read
//! through the running broker (which holds the unlocked credential and its one vCenter
//! session) by the same `vsphere_*` tools assistants use, each read on the audit log.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use latchkey_broker::VmPowerRequest;
use latchkey_broker::control::{ControlClient, ControlRequest, VcenterRead};
use latchkey_vault::display_safe;
use latchkey_vsphere::{ApiFlavor, ConnectionCheck, PowerAction, PowerState};
use serde_json::Value;

use crate::table::Table;

#[derive(Debug, Args)]
pub struct VcenterArgs {
    /// The vCenter domain (vc01.example.com), or a credential's id, label or host [default: the only one unlocked]
    #[arg(long, global = true)]
    domain: Option<String>,
    /// Print JSON instead of text
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: VcenterCommand,
}

#[derive(Debug, Subcommand)]
enum VcenterCommand {
    /// VMs, sorted by name, a page at a time
    Vms {
        /// Only the VM with exactly this name
        #[arg(long)]
        name: Option<String>,
        /// powered-on, powered-off or suspended
        #[arg(long, value_parser = power_state)]
        power_state: Option<PowerState>,
        /// Only the VMs on this host, by id (host-12; `latchkey vcenter hosts` lists them)
        #[arg(long)]
        host: Option<String>,
        /// Page, from 1
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        page: u32,
        /// VMs per page (1–1000)
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1000))]
        page_size: u32,
    },
    /// One VM in detail, by id (vm-123) or exact name
    Vm { vm: String },
    /// Hosts and their state
    Hosts,
    /// Datastores: capacity, free space, use
    Datastores,
    /// Networks, with the VLAN id their name suggests
    Networks,
    /// Start, stop, reset or suspend a VM, or shut down or reboot its guest OS; waits for the
    /// person's approval in the Latchkey app or `latchkey approvals approve`
    Power {
        /// The VM: its id (vm-123) or exact name
        vm: String,
        /// start, stop, reset, suspend, shutdown or reboot
        #[arg(value_parser = |s: &str| s.parse::<PowerAction>())]
        action: PowerAction,
    },
}

fn power_state(text: &str) -> Result<PowerState, String> {
    serde_json::from_value(Value::String(text.replace('-', "_")))
        .map_err(|_| "one of powered-on, powered-off, suspended".to_owned())
}

pub async fn run(args: VcenterArgs) -> anyhow::Result<ExitCode> {
    let (mut broker, domain) = crate::creds::connect_for(args.domain.as_deref()).await?;
    if let VcenterCommand::Power { vm, action } = args.command {
        return power(
            &mut broker,
            args.json,
            VmPowerRequest { domain, vm, action },
        )
        .await;
    }
    let (read, text): (VcenterRead, fn(&Value)) = match args.command {
        VcenterCommand::Vms {
            name,
            power_state,
            host,
            page,
            page_size,
        } => {
            let limit = page_size as usize;
            let read = VcenterRead::Vms {
                domain,
                name,
                power_state,
                host,
                offset: (page as usize - 1) * limit,
                limit,
            };
            (read, print_vms)
        }
        VcenterCommand::Vm { vm } => (VcenterRead::Vm { domain, vm }, print_vm),
        VcenterCommand::Hosts => (VcenterRead::Hosts { domain }, print_hosts),
        VcenterCommand::Datastores => (VcenterRead::Datastores { domain }, print_datastores),
        VcenterCommand::Networks => (VcenterRead::Networks { domain }, print_networks),
        VcenterCommand::Power { .. } => unreachable!("handled above"),
    };
    let answer: Value = broker.call(&ControlRequest::VcenterRead(read)).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        text(&answer);
    }
    Ok(ExitCode::SUCCESS)
}

/// Asks for the power change and waits for the person's answer.
async fn power(
    broker: &mut ControlClient,
    json: bool,
    request: VmPowerRequest,
) -> anyhow::Result<ExitCode> {
    eprintln!(
        "asking for approval to {} {}: approve it in the Latchkey app or with \
         `latchkey approvals approve` (waits up to 2 minutes)…",
        request.action.as_str(),
        request.vm
    );
    let done: Value = broker.call(&ControlRequest::VcenterPower(request)).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&done)?);
    } else {
        let state = field(&done, "power_state");
        match done["outcome"].as_str() {
            Some("already_in_state") => println!("nothing to do: {}", field(&done, "summary")),
            _ => println!("done: {}", field(&done, "summary")),
        }
        println!("power state now: {state}");
    }
    Ok(ExitCode::SUCCESS)
}

/// A field as text, "-" when absent.
fn field(value: &Value, key: &str) -> String {
    match &value[key] {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn items(answer: &Value, key: &str) -> Vec<Value> {
    answer[key].as_array().cloned().unwrap_or_default()
}

fn print_vms(answer: &Value) {
    let vms = items(answer, "vms");
    if vms.is_empty() {
        println!("no VMs match on {}", field(answer, "domain"));
        return;
    }
    let mut table = Table::new(["ID", "NAME", "POWER", "CPUS", "MEMORY (MiB)"]);
    for vm in &vms {
        table.row([
            field(vm, "id"),
            field(vm, "name"),
            field(vm, "power_state"),
            field(vm, "cpu_count"),
            field(vm, "memory_mib"),
        ]);
    }
    table.print();
    let (offset, total) = (&answer["offset"], &answer["total"]);
    println!(
        "VMs {}–{} of {total} on {}",
        offset.as_u64().unwrap_or(0) + 1,
        offset.as_u64().unwrap_or(0) + vms.len() as u64,
        field(answer, "domain")
    );
}

fn print_vm(vm: &Value) {
    let cpus = field(&vm["cpu"], "count");
    let memory = field(&vm["memory"], "size_mib");
    for (what, value) in [
        ("name", field(vm, "name")),
        ("id", field(vm, "id")),
        ("power", field(vm, "power_state")),
        ("guest OS", field(vm, "guest_os")),
        ("CPUs", cpus),
        ("memory (MiB)", memory),
        ("NICs", items(vm, "nics").len().to_string()),
        ("disks", items(vm, "disks").len().to_string()),
        ("vCenter", field(vm, "domain")),
    ] {
        println!("{what:<13} {value}");
    }
}

fn print_hosts(answer: &Value) {
    let mut table = Table::new(["ID", "NAME", "CONNECTION", "POWER"]);
    for host in items(answer, "items") {
        table.row([
            field(&host, "id"),
            field(&host, "name"),
            field(&host, "connection_state"),
            field(&host, "power_state"),
        ]);
    }
    table.print();
}

fn print_datastores(answer: &Value) {
    let gib = |v: &Value| {
        v.as_f64()
            .map_or("-".to_owned(), |b| format!("{:.1}", b / 1024f64.powi(3)))
    };
    let mut table = Table::new(["ID", "NAME", "TYPE", "CAPACITY GiB", "FREE GiB", "USED"]);
    for ds in items(answer, "items") {
        table.row([
            field(&ds, "id"),
            field(&ds, "name"),
            field(&ds, "kind"),
            gib(&ds["capacity_bytes"]),
            gib(&ds["free_bytes"]),
            ds["used_percent"]
                .as_f64()
                .map_or("-".to_owned(), |p| format!("{p:.0}%")),
        ]);
    }
    table.print();
}

fn print_networks(answer: &Value) {
    let mut table = Table::new(["ID", "NAME", "TYPE", "VLAN (FROM NAME)"]);
    for network in items(answer, "items") {
        table.row([
            field(&network, "id"),
            field(&network, "name"),
            field(&network, "kind"),
            field(&network, "vlan_id_inferred_from_name"),
        ]);
    }
    table.print();
    if let Some(note) = answer["vlan_note"].as_str() {
        println!("{note}");
    }
}

/// `creds test` on a vCenter credential, in one line.
pub fn connection_line(check: &ConnectionCheck) -> String {
    let user = check
        .user
        .as_deref()
        .map_or(String::new(), |u| format!(" as {}", display_safe(u)));
    let api = match check.api {
        Some(ApiFlavor::Rest) => "the /rest API (vCenter 6.5 and 6.7)",
        Some(ApiFlavor::Api) | None => "the /api API (vCenter 7.0 U2 and later)",
    };
    let trust = check
        .pinned
        .map_or("certificate verified by the system".to_owned(), |sha256| {
            format!("certificate pinned, SHA-256 {sha256}")
        });
    format!(
        "Connected to {}{user} through {api}: {} VMs on {} hosts ({trust})",
        check.server, check.vms, check.hosts
    )
}
