//! `latchkey http …`: MCP over loopback HTTP, for assistants that cannot launch `latchkey
//! mcp`. Turning it on and making a token ask for presence; a token is printed once, alone on
//! stdout, and only its hash is kept.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use latchkey_broker::control::{ControlClient, ControlRequest};
use latchkey_broker::{HttpStatus, HttpToken, NewHttpToken, StatePaths};
use latchkey_vault::display_safe;

use crate::password_agent;

#[derive(Debug, Args)]
pub struct HttpArgs {
    #[command(subcommand)]
    command: HttpCommand,
}

#[derive(Debug, Subcommand)]
enum HttpCommand {
    /// Listen for assistants on 127.0.0.1 at once (asks for presence); stays on across restarts
    Enable {
        /// The port (default: the one used before, else 7483; 0: any free one)
        #[arg(long)]
        port: Option<u16>,
    },
    /// Stop listening, at once
    Disable,
    /// Whether it listens, and the URL assistants connect to
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Each assistant's bearer token: create, list, revoke
    Tokens(TokensArgs),
}

#[derive(Debug, Args)]
struct TokensArgs {
    #[command(subcommand)]
    command: TokensCommand,
}

#[derive(Debug, Subcommand)]
enum TokensCommand {
    /// Make a token for an assistant (asks for presence); printed once, alone on stdout
    Create { name: String },
    /// The tokens, by name (their values are never shown again)
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token: its requests are refused from now on
    Revoke { name: String },
}

pub async fn run(args: HttpArgs) -> anyhow::Result<ExitCode> {
    let socket = StatePaths::from_env()?.control_socket();
    let mut broker = ControlClient::connect(&socket).await?;
    match args.command {
        HttpCommand::Enable { port } => {
            let request = ControlRequest::HttpEnable { port };
            let status: HttpStatus = password_agent::call(&mut broker, &request).await?;
            print_status(&status);
        }
        HttpCommand::Disable => {
            let status: HttpStatus = broker.call(&ControlRequest::HttpDisable).await?;
            print_status(&status);
        }
        HttpCommand::Status { json } => {
            let status: HttpStatus = broker.call(&ControlRequest::HttpStatus).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                print_status(&status);
            }
        }
        HttpCommand::Tokens(TokensArgs { command }) => tokens(&mut broker, command).await?,
    }
    Ok(ExitCode::SUCCESS)
}

async fn tokens(broker: &mut ControlClient, command: TokensCommand) -> anyhow::Result<()> {
    match command {
        TokensCommand::Create { name } => {
            let request = ControlRequest::HttpTokenCreate { name };
            let created: NewHttpToken = password_agent::call(broker, &request).await?;
            // Alone on stdout, so `$(latchkey http tokens create NAME)` is the token.
            println!("{}", created.token);
            eprintln!(
                "latchkey: the token for {} is shown only now; give it to that assistant as \
                 `Authorization: Bearer <token>` (`latchkey mcp --print-config CLIENT --http`)",
                display_safe(&created.name)
            );
        }
        TokensCommand::List { json } => {
            let all: Vec<HttpToken> = broker.call(&ControlRequest::HttpTokens).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else if all.is_empty() {
                println!("no HTTP tokens; make one with `latchkey http tokens create NAME`");
            } else {
                for token in all {
                    println!(
                        "{}  created {}",
                        display_safe(&token.name),
                        token.created.format("%Y-%m-%d %H:%M UTC")
                    );
                }
            }
        }
        TokensCommand::Revoke { name } => {
            let request = ControlRequest::HttpTokenRevoke { name: name.clone() };
            let known: bool = broker.call(&request).await?;
            if known {
                println!(
                    "revoked {}: its requests are refused from now on",
                    display_safe(&name)
                );
            } else {
                anyhow::bail!("no HTTP token is named {}", display_safe(&name));
            }
        }
    }
    Ok(())
}

fn print_status(status: &HttpStatus) {
    match (&status.url, &status.error) {
        (Some(url), _) => println!("on: {url} ({} tokens)", status.tokens),
        (None, Some(why)) => println!("on, but not listening: {why}"),
        (None, None) if status.enabled => println!("on (the broker is starting)"),
        (None, None) => println!(
            "off; `latchkey http enable` listens on http://127.0.0.1:{}/mcp",
            status.port
        ),
    }
}
