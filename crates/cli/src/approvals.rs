//! `latchkey approvals …`: the changes assistants asked for, waiting for the person, and the
//! approvals remembered. Approving asks for presence (Touch ID on a Mac, polkit in this
//! terminal on Linux); denying does not.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use latchkey_broker::control::{ControlClient, ControlRequest};
use latchkey_broker::{ApprovalRequest, Grant, MAX_GRANT, StatePaths};
use serde::Serialize;

use crate::password_agent;

#[derive(Debug, Args)]
pub struct ApprovalsArgs {
    #[command(subcommand)]
    command: ApprovalsCommand,
}

#[derive(Debug, Subcommand)]
enum ApprovalsCommand {
    /// The changes waiting for your approval
    List {
        /// A JSON array of objects with id, tool, assistant, targets, summary
        #[arg(long)]
        json: bool,
    },
    /// Approve a waiting change (asks for presence), once or for a while (at most 1h)
    Approve {
        id: String,
        /// Also approve the same assistant making the same call for this long, e.g. 15m or 1h
        #[arg(long = "for", value_parser = parse_grant)]
        remember: Option<Duration>,
    },
    /// Deny a waiting change: the assistant is told, nothing is changed
    Deny { id: String },
    /// The approvals remembered, and until when
    Grants {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a remembered approval at once
    Revoke { grant: String },
}

pub async fn run(args: ApprovalsArgs) -> anyhow::Result<ExitCode> {
    let socket = StatePaths::from_env()?.control_socket();
    let mut broker = ControlClient::connect(&socket).await?;
    match args.command {
        ApprovalsCommand::List { json } => {
            let pending: Vec<ApprovalRequest> = broker.call(&ControlRequest::Approvals).await?;
            if json {
                let listed: Vec<Listed> = pending.iter().map(Listed::from).collect();
                println!("{}", serde_json::to_string_pretty(&listed)?);
            } else if pending.is_empty() {
                println!("no change is waiting for approval");
            } else {
                for p in &pending {
                    println!(
                        "{}  {} asks to run {}{}\n          {}\n          waits until {}",
                        p.id,
                        p.assistant.name,
                        p.tool,
                        p.domain
                            .as_deref()
                            .map(|d| format!(" on {d}"))
                            .unwrap_or_default(),
                        p.summary,
                        p.expires_at.format("%H:%M:%S UTC"),
                    );
                }
                println!(
                    "\napprove with `latchkey approvals approve ID [--for 15m]`, deny with `latchkey approvals deny ID`"
                );
            }
        }
        ApprovalsCommand::Approve { id, remember } => {
            let request = ControlRequest::Approve {
                id: id.clone(),
                remember_minutes: remember.map(|d| d.as_secs().div_ceil(60)),
            };
            let grant: Option<Grant> = password_agent::call(&mut broker, &request).await?;
            match grant {
                Some(grant) => println!(
                    "approved {id}; the same call is approved until {} as grant {}",
                    grant.expires_at.format("%H:%M:%S UTC"),
                    grant.id
                ),
                None => println!("approved {id}"),
            }
        }
        ApprovalsCommand::Deny { id } => {
            broker
                .call::<()>(&ControlRequest::Deny { id: id.clone() })
                .await?;
            println!("denied {id}: nothing was changed");
        }
        ApprovalsCommand::Grants { json } => {
            let grants: Vec<Grant> = broker.call(&ControlRequest::Grants).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&grants)?);
            } else if grants.is_empty() {
                println!("no approval is remembered");
            } else {
                for g in grants {
                    println!(
                        "{}  {} may run {} until {}: {}",
                        g.id,
                        g.assistant.name,
                        g.tool,
                        g.expires_at.format("%H:%M:%S UTC"),
                        g.summary
                    );
                }
            }
        }
        ApprovalsCommand::Revoke { grant } => {
            broker
                .call::<()>(&ControlRequest::Revoke {
                    grant: grant.clone(),
                })
                .await?;
            println!("revoked {grant}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One waiting change as `approvals list --json` gives it.
#[derive(Debug, Serialize)]
struct Listed<'a> {
    id: &'a str,
    tool: &'a str,
    assistant: &'a str,
    domain: Option<&'a str>,
    targets: &'a [latchkey_broker::ChangeTarget],
    summary: &'a str,
    expires_at: String,
}

impl<'a> From<&'a ApprovalRequest> for Listed<'a> {
    fn from(p: &'a ApprovalRequest) -> Self {
        Self {
            id: &p.id,
            tool: &p.tool,
            assistant: &p.assistant.name,
            domain: p.domain.as_deref(),
            targets: &p.targets,
            summary: &p.summary,
            expires_at: p.expires_at.to_rfc3339(),
        }
    }
}

fn parse_grant(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text).map_err(|e| format!("{e}; e.g. 15m or 1h"))?;
    if d < Duration::from_secs(60) || d > MAX_GRANT {
        return Err("a grant lasts from 1m to 1h".to_owned());
    }
    Ok(d)
}
