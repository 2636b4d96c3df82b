//! `credentials_status`: which credential domains exist and whether each is unlocked.
//! Read-only; never returns a secret. Assistants cannot unlock: only the human can.

use rmcp::{Json, tool, tool_router};
use schemars::JsonSchema;
use serde::Serialize;

use crate::{DomainView, LatchkeyServer};

/// Fixed text: how a locked domain gets unlocked.
const UNLOCK_HINT: &str = "Locked domains are unlocked by the person at this Mac from the \
Latchkey menu (or `latchkey creds unlock`); an assistant cannot unlock them.";

#[derive(Debug, Serialize, JsonSchema)]
pub struct CredentialsStatus {
    /// Every credential domain: kind, how many credentials, lock state and time left.
    pub domains: Vec<DomainView>,
    /// How a locked domain gets unlocked.
    pub unlock_hint: &'static str,
}

#[tool_router(router = credentials_router, vis = "pub(crate)")]
impl LatchkeyServer {
    /// Which credential domains (Jamf Pro servers, vCenters, Vault servers) Latchkey holds,
    /// whether each is unlocked for tools to use, and for how long. Never returns a secret.
    #[tool(
        name = "credentials_status",
        annotations(
            title = "Credential domains and lock state",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn credentials_status(&self) -> Result<Json<CredentialsStatus>, String> {
        let domains = self
            .credentials
            .domains()
            .await
            .map_err(|e| e.to_string())?;
        Ok(Json(CredentialsStatus {
            domains,
            unlock_hint: UNLOCK_HINT,
        }))
    }
}
