//! Reads from an admin system for the CLI and the app, through the same pipeline as an
//! assistant's call (allow-list, lock, audit) and under the MCP tool's name, so the audit
//! shows them side by side.

use latchkey_jamf::{ComputerRef, ComputerSearch, FleetProgress, SerialNumber};
use latchkey_vault::Domain;
use serde::Serialize;

use rmcp::handler::server::wrapper::Parameters;

use crate::control::{JamfRead, VcenterRead};
use crate::pipeline::{Call, Effect, Origin, no_preview};
use crate::tools::vsphere::{ListVmsRequest, VcenterOnly, VmRequest};
use crate::{JamfServiceError, LatchkeyServer, Services};

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
        let run = async {
            self.run_jamf_read(&domain, read, progress)
                .await
                .map_err(|e| e.to_string())
        };
        self.audited_read(origin, tool, arguments, &domain, run)
            .await
    }

    /// Runs `read` for `origin` through the `vsphere_*` tool that answers assistants the same.
    pub async fn vcenter_read(
        &self,
        origin: Origin,
        read: VcenterRead,
    ) -> Result<serde_json::Value, String> {
        let (tool, arguments, domain) = read.as_tool();
        let domain = self
            .vsphere
            .resolve(domain)
            .await
            .map_err(|e| e.to_string())?;
        let run = self.run_vcenter_read(&domain, read);
        self.audited_read(origin, tool, arguments, &domain, run)
            .await
    }

    /// `run`, as `tool` with `arguments` on `domain` for `origin`: through the pipeline
    /// (allow-list, lock, audit) like an assistant's call.
    async fn audited_read(
        &self,
        origin: Origin,
        tool: &str,
        arguments: serde_json::Value,
        domain: &Domain,
        run: impl Future<Output = Result<serde_json::Value, String>>,
    ) -> Result<serde_json::Value, String> {
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
            let result = run.await;
            let outcome = crate::pipeline::outcome_of(&result);
            (result, outcome)
        };
        self.pipeline
            .run(call, no_preview, None, work)
            .await
            .map_err(|refused| refused.to_string())?
    }

    async fn run_vcenter_read(
        &self,
        domain: &Domain,
        read: VcenterRead,
    ) -> Result<serde_json::Value, String> {
        let server = LatchkeyServer::new(self.clone(), None);
        let domain = Some(domain.to_string());
        Ok(match read {
            VcenterRead::Vms {
                name,
                power_state,
                host,
                offset,
                limit,
                ..
            } => {
                let request = ListVmsRequest {
                    domain,
                    name,
                    power_state,
                    host,
                    cluster: None,
                    folder: None,
                    datacenter: None,
                    offset,
                    limit: Some(limit),
                };
                json(server.vsphere_list_vms(Parameters(request)).await?.0)
            }
            VcenterRead::Vm { vm, .. } => {
                let request = VmRequest { domain, vm };
                json(server.vsphere_vm_details(Parameters(request)).await?.0)
            }
            VcenterRead::Hosts { .. } => {
                let only = VcenterOnly { domain };
                json(server.vsphere_list_hosts(Parameters(only)).await?.0)
            }
            VcenterRead::Clusters { .. } => {
                let only = VcenterOnly { domain };
                json(server.vsphere_list_clusters(Parameters(only)).await?.0)
            }
            VcenterRead::Datastores { .. } => {
                let only = VcenterOnly { domain };
                json(server.vsphere_list_datastores(Parameters(only)).await?.0)
            }
            VcenterRead::Networks { .. } => {
                let only = VcenterOnly { domain };
                json(server.vsphere_list_networks(Parameters(only)).await?.0)
            }
        })
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
