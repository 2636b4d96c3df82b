//! Reads from an admin system for the CLI and the app, through the same pipeline as an
//! assistant's call (allow-list, lock, audit) and under the MCP tool's name, so the audit
//! shows them side by side.

use latchkey_audit::CallResult;
use latchkey_jamf::{ComputerRef, ComputerSearch, FleetProgress, SerialNumber};
use latchkey_vault::Domain;
use serde::Serialize;

use crate::control::JamfRead;
use crate::pipeline::{Call, Effect, Origin, no_preview};
use crate::{JamfServiceError, Services};

impl Services {
    /// Runs `read` for `origin`; `progress` hears how far a fleet report got. The error is
    /// what the person is told.
    pub async fn jamf_read(
        &self,
        origin: Origin,
        read: JamfRead,
        progress: &(dyn Fn(FleetProgress) + Send + Sync),
    ) -> Result<serde_json::Value, String> {
        let (tool, arguments, domain) = read.as_tool();
        let domain = self.jamf.resolve(domain).await.map_err(|e| e.to_string())?;
        let call = Call {
            origin,
            tool: tool.to_owned(),
            arguments: match arguments {
                serde_json::Value::Object(map) => map,
                _ => serde_json::Map::new(),
            },
            domain: Some(domain.clone()),
            effect: Effect::ReadOnly,
        };
        let work = |_| async {
            let result = self.run_jamf_read(&domain, read, progress).await;
            let outcome = match &result {
                Ok(_) => CallResult::Ok,
                Err(_) => CallResult::Error("tool_error".to_owned()),
            };
            (result.map_err(|e| e.to_string()), outcome)
        };
        self.pipeline
            .run(call, no_preview, None, work)
            .await
            .map_err(|refused| refused.to_string())?
    }

    async fn run_jamf_read(
        &self,
        domain: &Domain,
        read: JamfRead,
        progress: &(dyn Fn(FleetProgress) + Send + Sync),
    ) -> Result<serde_json::Value, JamfServiceError> {
        let jamf = &self.jamf;
        Ok(match read {
            JamfRead::Computers {
                text,
                page,
                page_size,
                ..
            } => {
                let search = ComputerSearch {
                    text,
                    page,
                    page_size,
                    ..ComputerSearch::default()
                };
                json(jamf.client(domain).await?.search_computers(&search).await?)
            }
            JamfRead::Security { serial, .. } => {
                let target = ComputerRef::Serial(SerialNumber::parse(&serial)?);
                let macos = jamf.macos_feed().await;
                json(
                    jamf.client(domain)
                        .await?
                        .computer_security(&target, macos.currency())
                        .await?,
                )
            }
            JamfRead::Fleet { refresh, .. } => {
                json(jamf.fleet_report(domain, refresh, progress).await?)
            }
        })
    }
}

fn json(value: impl Serialize) -> serde_json::Value {
    // The reports are plain data: serializing them cannot fail.
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}
