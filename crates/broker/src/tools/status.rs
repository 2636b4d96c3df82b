//! `latchkey_status`: what this broker is and what it can do right now. Read-only.

use rmcp::{Json, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{DomainView, LatchkeyServer};

/// The answer to `latchkey_status`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct StatusReport {
    /// Latchkey's version.
    pub version: String,
    /// Credential domains (a Jamf Pro server, a vCenter, ...) and whether each is unlocked.
    pub domains: Vec<DomainView>,
    /// Set when the secret store cannot be read (the domains are then unknown).
    pub store_error: Option<String>,
    /// What this server offers.
    pub capabilities: Capabilities,
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
        let (domains, store_error) = match self.credentials.domains().await {
            Ok(domains) => (domains, None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
        Json(StatusReport {
            version: crate::VERSION.to_owned(),
            domains,
            store_error,
            capabilities: Capabilities {
                tools: self.tool_names(),
                mutating_tools: self.changes_anything(),
            },
        })
    }
}
