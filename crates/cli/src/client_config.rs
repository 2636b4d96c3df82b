//! `latchkey mcp --print-config CLIENT`: the snippet an MCP client needs, with this binary's
//! real path (see `latchkey_broker::McpClient`).

use std::process::ExitCode;

use anyhow::Context;
use latchkey_broker::McpClient;

/// Parses a client name for clap, listing the valid ones on error.
pub fn parse_client(name: &str) -> Result<McpClient, String> {
    McpClient::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = McpClient::ALL.iter().map(|c| c.name()).collect();
        format!("unknown client; use one of {}", names.join(", "))
    })
}

pub fn print(client: McpClient) -> anyhow::Result<ExitCode> {
    let exe = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .context("find the path of this latchkey binary")?;
    println!("{}", serde_json::to_string_pretty(&client.snippet(&exe))?);
    eprintln!("latchkey: {}", client.destination());
    Ok(ExitCode::SUCCESS)
}
