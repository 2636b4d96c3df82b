//! "Does this work?": a token, the server version, the account's privileges against what
//! Latchkey needs, and one inventory record, timed. Used when a credential is saved, by
//! `latchkey creds test` and the app's *Test connection*, and by `latchkey doctor`.

use std::time::Instant;

use schemars::JsonSchema;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use crate::{JamfClient, JamfError, PrivilegeCheck, Section};

/// The outcome of a successful connection check.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub struct ConnectionCheck {
    /// The server, host[:port].
    pub server: String,
    /// Jamf Pro version, e.g. "11.30.1-t1784555528405"; absent when the server would not say.
    pub version: Option<String>,
    /// "API client" or "user account".
    pub auth: String,
    /// The token endpoint that answered, e.g. "/api/v1/oauth/token".
    pub token_endpoint: String,
    /// The inventory API version: "v4", "v3" or "v1"; "unknown" without inventory privilege.
    pub inventory_api: String,
    /// Computers in inventory; absent when the credentials may not read inventory.
    pub computers: Option<u64>,
    /// The account's privileges against what Latchkey's tools need; absent when the server
    /// would not say (`GET /api/v1/auth` refused or missing).
    pub privileges: Option<PrivilegeCheck>,
    /// Time the whole check took.
    pub elapsed_ms: u64,
}

#[derive(Deserialize)]
struct JamfProVersion {
    version: Option<String>,
}

impl JamfClient {
    /// Fetches a token, the server version (`GET /api/v1/jamf-pro-version`), the account's
    /// privileges (`GET /api/v1/auth`) and one inventory record with GENERAL (for
    /// `totalCount`). Fails on bad credentials or an unreachable server; missing read
    /// privileges only leave fields empty.
    pub async fn check_connection(&self) -> Result<ConnectionCheck, JamfError> {
        let started = Instant::now();
        self.token().await?;
        let version = match self
            .get_json::<JamfProVersion>("api/v1/jamf-pro-version", &[])
            .await
        {
            Ok(v) => v.version,
            Err(JamfError::Auth { status: 403, .. } | JamfError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let privileges = match self.account_privileges().await {
            Ok(account) => Some(PrivilegeCheck::of(&account)),
            Err(JamfError::Auth { status: 403, .. } | JamfError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let (inventory_api, computers) = match self
            .inventory_page::<IgnoredAny>(&[Section::General], None, 0, 1)
            .await
        {
            Ok((api, page)) => (api.name(), Some(page.total())),
            Err(JamfError::Auth { status: 403, .. }) => ("unknown", None),
            Err(e) => return Err(e),
        };
        Ok(ConnectionCheck {
            server: self.server().to_owned(),
            version,
            auth: self.inner.auth.kind().to_owned(),
            token_endpoint: self.token_endpoint(),
            inventory_api: inventory_api.to_owned(),
            computers,
            privileges,
            elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        })
    }
}
