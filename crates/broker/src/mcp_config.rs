//! The configuration snippet each MCP client needs to launch Latchkey's stdio bridge, with
//! the real path of the `latchkey` binary, so nobody types a path (or a secret) by hand.
//! Used by `latchkey mcp --print-config` and the app's Assistants page.

use std::path::Path;

use serde::Serialize;
use serde_json::json;

/// The environment variable the HTTP snippets take the assistant's token from.
pub const TOKEN_VARIABLE: &str = "LATCHKEY_HTTP_TOKEN";

/// An MCP client Latchkey knows how to configure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum McpClient {
    ClaudeDesktop,
    ClaudeCode,
    Cursor,
}

/// One client's snippet, as the Assistants page shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConfigSnippet {
    pub client: McpClient,
    pub title: &'static str,
    /// Where the snippet goes.
    pub location: &'static str,
    /// Pretty-printed JSON.
    pub snippet: String,
}

impl McpClient {
    pub const ALL: [McpClient; 3] = [Self::ClaudeDesktop, Self::ClaudeCode, Self::Cursor];

    /// The name used on the command line (`--print-config claude-desktop`).
    pub fn name(self) -> &'static str {
        match self {
            Self::ClaudeDesktop => "claude-desktop",
            Self::ClaudeCode => "claude-code",
            Self::Cursor => "cursor",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::ClaudeDesktop => "Claude Desktop",
            Self::ClaudeCode => "Claude Code",
            Self::Cursor => "Cursor",
        }
    }

    /// Where the snippet goes.
    pub fn destination(self) -> &'static str {
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

    /// The JSON that makes this client launch `latchkey mcp`.
    pub fn snippet(self, latchkey: &Path) -> serde_json::Value {
        let command = latchkey.display().to_string();
        let server = match self {
            Self::ClaudeCode => json!({ "type": "stdio", "command": command, "args": ["mcp"] }),
            Self::ClaudeDesktop | Self::Cursor => json!({ "command": command, "args": ["mcp"] }),
        };
        json!({ "mcpServers": { "latchkey": server } })
    }

    /// The JSON that points this client at MCP over loopback HTTP (`url`), with the token
    /// taken from the environment variable [`TOKEN_VARIABLE`] as the client expands it (never
    /// a real token); `None` for a client that launches only local commands.
    pub fn http_snippet(self, url: &str) -> Option<serde_json::Value> {
        let server = match self {
            Self::ClaudeDesktop => return None,
            Self::ClaudeCode => json!({
                "type": "http",
                "url": url,
                "headers": { "Authorization": format!("Bearer ${{{TOKEN_VARIABLE}}}") },
            }),
            Self::Cursor => json!({
                "url": url,
                "headers": { "Authorization": format!("Bearer ${{env:{TOKEN_VARIABLE}}}") },
            }),
        };
        Some(json!({ "mcpServers": { "latchkey": server } }))
    }

    /// Everything the Assistants page shows for this client.
    pub fn config(self, latchkey: &Path) -> ConfigSnippet {
        ConfigSnippet {
            client: self,
            title: self.title(),
            location: self.destination(),
            snippet: serde_json::to_string_pretty(&self.snippet(latchkey)).unwrap_or_default(),
        }
    }
}
