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

/// The HTTP form: the listener's URL (as the running broker says, else the default port) and
/// an `Authorization` header whose token the client takes from the environment.
pub async fn print_http(client: McpClient) -> anyhow::Result<ExitCode> {
    let url = match http_status().await {
        Some(status) => status
            .url
            .unwrap_or_else(|| format!("http://127.0.0.1:{}/mcp", status.port)),
        None => format!(
            "http://127.0.0.1:{}/mcp",
            latchkey_broker::HTTP_DEFAULT_PORT
        ),
    };
    let Some(snippet) = client.http_snippet(&url) else {
        anyhow::bail!(
            "{} launches local commands only: use `latchkey mcp --print-config {}` without --http",
            client.title(),
            client.name()
        );
    };
    println!("{}", serde_json::to_string_pretty(&snippet)?);
    eprintln!(
        "latchkey: {}; set {} to the token `latchkey http tokens create NAME` prints (and turn \
         HTTP on with `latchkey http enable`)",
        client.destination(),
        latchkey_broker::TOKEN_VARIABLE
    );
    Ok(ExitCode::SUCCESS)
}

/// What the running broker says of its HTTP listener; `None` when no broker answers.
async fn http_status() -> Option<latchkey_broker::HttpStatus> {
    let socket = latchkey_broker::StatePaths::from_env()
        .ok()?
        .control_socket();
    let mut broker = latchkey_broker::control::ControlClient::connect(&socket)
        .await
        .ok()?;
    broker
        .call(&latchkey_broker::control::ControlRequest::HttpStatus)
        .await
        .ok()
}

pub fn print(client: McpClient) -> anyhow::Result<ExitCode> {
    let exe = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .context("find the path of this latchkey binary")?;
    println!("{}", serde_json::to_string_pretty(&client.snippet(&exe))?);
    eprintln!("latchkey: {}", client.destination());
    Ok(ExitCode::SUCCESS)
}
