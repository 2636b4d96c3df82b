//! `latchkey mcp --print-config CLIENT`: the snippet an MCP client needs, with this binary's
//! real path, so nobody types a path (or a secret) into an assistant's config by hand.

use std::process::ExitCode;

use anyhow::Context;
use clap::ValueEnum;
use serde_json::json;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum McpClient {
    ClaudeDesktop,
    ClaudeCode,
    Cursor,
}

impl McpClient {
    /// Where the snippet goes, told to the user on stderr so stdout stays pure JSON.
    fn destination(self) -> &'static str {
        match self {
            Self::ClaudeDesktop => {
                "merge into \"mcpServers\" of ~/Library/Application Support/Claude/claude_desktop_config.json"
            }
            Self::ClaudeCode => {
                "merge into \"mcpServers\" of .mcp.json in your project (or ~/.claude.json)"
            }
            Self::Cursor => {
                "merge into \"mcpServers\" of ~/.cursor/mcp.json (or .cursor/mcp.json in a project)"
            }
        }
    }

    pub fn snippet(self, latchkey: &str) -> serde_json::Value {
        let server = match self {
            Self::ClaudeCode => json!({ "type": "stdio", "command": latchkey, "args": ["mcp"] }),
            Self::ClaudeDesktop | Self::Cursor => json!({ "command": latchkey, "args": ["mcp"] }),
        };
        json!({ "mcpServers": { "latchkey": server } })
    }
}

pub fn print(client: McpClient) -> anyhow::Result<ExitCode> {
    let exe = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .context("find the path of this latchkey binary")?;
    let exe = exe
        .to_str()
        .context("the path of this latchkey binary is not UTF-8")?;
    println!("{}", serde_json::to_string_pretty(&client.snippet(exe))?);
    eprintln!("latchkey: {}", client.destination());
    Ok(ExitCode::SUCCESS)
}
