//! `latchkey assistants …`: which assistants may use the broker, through its control socket.
//! Allowing one from here asks for the same presence check as the app (Touch ID on a Mac).

use std::process::ExitCode;

use clap::{Args, Subcommand};
use latchkey_broker::control::{ControlClient, ControlRequest};
use latchkey_broker::{AssistantRecord, StatePaths, Verdict};
use latchkey_vault::display_safe;

use crate::password_agent;

#[derive(Debug, Args)]
pub struct AssistantsArgs {
    #[command(subcommand)]
    command: AssistantsCommand,
}

#[derive(Debug, Subcommand)]
enum AssistantsCommand {
    /// The assistants allowed or denied, most recently seen first
    List {
        #[arg(long)]
        json: bool,
    },
    /// Allow an assistant (by name or executable path); asks for presence
    Allow { assistant: String },
    /// Deny an assistant (by name or executable path): its connections get no answer
    Deny { assistant: String },
    /// Forget an assistant (asks for presence): it is asked about again when it next connects
    Forget { assistant: String },
}

pub async fn run(args: AssistantsArgs) -> anyhow::Result<ExitCode> {
    let socket = StatePaths::from_env()?.control_socket();
    let mut broker = ControlClient::connect(&socket).await?;
    match args.command {
        AssistantsCommand::List { json } => {
            let all: Vec<AssistantRecord> = broker.call(&ControlRequest::Assistants).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else if all.is_empty() {
                println!("no assistant has connected yet");
            } else {
                for a in all {
                    let verdict = match a.verdict {
                        Verdict::Allowed => "allowed",
                        Verdict::Denied => "denied",
                    };
                    let team = a
                        .team_id
                        .map(|team| format!("  team {team}"))
                        .unwrap_or_default();
                    let interpreter = a
                        .interpreter
                        .map(|i| format!("  run by {}", display_safe(&i.to_string_lossy())))
                        .unwrap_or_default();
                    println!(
                        "{verdict:<8} {}  {}{interpreter}{team}  last seen {}",
                        display_safe(&a.name),
                        display_safe(&a.path.to_string_lossy()),
                        a.last_seen.format("%Y-%m-%d %H:%M UTC")
                    );
                }
            }
        }
        AssistantsCommand::Allow { assistant } => {
            set(&mut broker, assistant, Verdict::Allowed).await?;
        }
        AssistantsCommand::Deny { assistant } => {
            set(&mut broker, assistant, Verdict::Denied).await?;
        }
        AssistantsCommand::Forget { assistant } => {
            let request = ControlRequest::ForgetAssistant {
                assistant: assistant.clone(),
            };
            let known: bool = password_agent::call(&mut broker, &request).await?;
            if known {
                println!("forgot {assistant}: it will be asked about at its next connection");
            } else {
                println!("{assistant} was not on the list");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn set(
    broker: &mut ControlClient,
    assistant: String,
    verdict: Verdict,
) -> anyhow::Result<()> {
    let request = ControlRequest::SetAssistant { assistant, verdict };
    let record: AssistantRecord = password_agent::call(broker, &request).await?;
    let word = match record.verdict {
        Verdict::Allowed => "allowed",
        Verdict::Denied => "denied",
    };
    println!(
        "{word} {} ({})",
        display_safe(&record.name),
        display_safe(&record.path.to_string_lossy())
    );
    Ok(())
}
