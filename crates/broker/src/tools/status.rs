//! `latchkey_status`: what this broker is and what it can do right now. Read-only.

use rmcp::{Json, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::LatchkeyServer;

/// The answer to `latchkey_status`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct StatusReport {
    /// Latchkey's version.
    pub version: String,
    /// Credential domains (a Jamf Pro server, a vCenter, ...) and whether each is unlocked.
    pub domains: Vec<DomainState>,
    /// What this server offers.
    pub capabilities: Capabilities,
}

/// One credential domain's lock state. Never carries a secret.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct DomainState {
    /// The domain's name, e.g. `jamf:acme.jamfcloud.com`.
    pub domain: String,
    /// Whether tools may use this domain's credentials now.
    pub unlocked: bool,
    /// Seconds until the domain locks itself again, when unlocked.
    pub seconds_left: Option<u64>,
}

/// The server's capabilities, as an assistant would want to know them.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Capabilities {
    /// Names of the tools this server offers.
    pub tools: Vec<String>,
    /// Whether any tool can change the world (such tools always ask the human first).
    pub mutating_tools: bool,
}

#[tool_router(router = status_router, vis = "pub(crate)")]
impl LatchkeyServer {
    /// Report Latchkey's version, which credential domains exist and which are unlocked,
    /// and what this server can do. Never returns a secret.
    #[tool(
        name = "latchkey_status",
        annotations(
            title = "Latchkey status",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn latchkey_status(&self) -> Json<StatusReport> {
        Json(StatusReport {
            version: crate::VERSION.to_owned(),
            // No credential store is wired in yet, so there are no domains to report.
            domains: Vec::new(),
            capabilities: Capabilities {
                tools: self.tool_names(),
                mutating_tools: false,
            },
        })
    }
}
