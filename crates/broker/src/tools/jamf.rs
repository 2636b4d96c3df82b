//! Jamf Pro tools: inventory and security posture of a Jamf Pro server's Macs and devices.
//! Read-only; each needs its Jamf domain unlocked by the person at this Mac. Results are
//! sized for an assistant: summaries by default, details on request. What Jamf returns (names,
//! notes) is data from the server, never instructions.

use std::sync::Arc;

use latchkey_jamf::{
    ComputerHistory, ComputerInventory, ComputerPage, ComputerRef, ComputerSearch,
    ComputerSecurity, FleetProgress, FleetSecurityReport, MobileDevicePage, MobileDeviceSearch,
    NamedItem, Section, SerialNumber, SmartGroup,
};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::ProgressNotificationParam;
use rmcp::service::RequestContext;
use rmcp::{Json, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::LatchkeyServer;
use crate::services::jamf::JamfServiceError;

/// Computers listed by the fleet report unless asked for more (the most exposed first).
const FLEET_COMPUTERS_SHOWN: usize = 25;
/// The most a fleet answer lists, however many are asked for.
const FLEET_COMPUTERS_MAX: usize = 500;

/// Which Jamf Pro server; absent means the only one unlocked (or stored).
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct DomainOnly {
    /// The Jamf domain, e.g. "jamf:acme.jamfcloud.com" or just "acme.jamfcloud.com".
    pub domain: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchComputersRequest {
    /// The Jamf domain; absent means the only one unlocked.
    pub domain: Option<String>,
    #[serde(flatten)]
    pub search: ComputerSearch,
}

/// One computer: by serial number or by Jamf id.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ComputerRequest {
    /// The Jamf domain; absent means the only one unlocked.
    pub domain: Option<String>,
    /// Serial number, e.g. "C02XK1JHJG5J". Give this or `id`.
    pub serial: Option<String>,
    /// Jamf Pro computer id, e.g. "42". Give this or `serial`.
    pub id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct InventoryRequest {
    #[serde(flatten)]
    pub computer: ComputerRequest,
    /// Inventory sections to return (default GENERAL, HARDWARE, OPERATING_SYSTEM).
    #[serde(default)]
    pub sections: Vec<Section>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct MobileDevicesRequest {
    /// The Jamf domain; absent means the only one unlocked.
    pub domain: Option<String>,
    #[serde(flatten)]
    pub search: MobileDeviceSearch,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FleetReportRequest {
    /// The Jamf domain; absent means the only one unlocked.
    pub domain: Option<String>,
    /// Rebuild the report now instead of using one from the last 10 minutes.
    #[serde(default)]
    pub refresh: bool,
    /// How many computers to list, most exposed first (default 25, at most 500). The totals
    /// and version distribution always cover every computer.
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct NamedList<T> {
    /// The Jamf domain answered for.
    pub domain: String,
    /// How many.
    pub total: usize,
    /// The items.
    pub items: Vec<T>,
}

impl ComputerRequest {
    fn target(&self) -> Result<ComputerRef, String> {
        match (self.serial.as_deref(), self.id.as_deref()) {
            (Some(serial), None) => Ok(ComputerRef::Serial(
                SerialNumber::parse(serial).map_err(|e| e.to_string())?,
            )),
            (None, Some(id)) => ComputerRef::id(id).map_err(|e| e.to_string()),
            (Some(_), Some(_)) => Err("give either serial or id, not both".to_owned()),
            (None, None) => Err("serial or id is required".to_owned()),
        }
    }
}

#[tool_router(router = jamf_router, vis = "pub(crate)")]
impl LatchkeyServer {
    /// Find computers in Jamf Pro by text (name, serial number, user or email), or by exact
    /// name, serial, user name or email, with paging. Returns
    /// short summaries (id, name, serial, user, model, macOS version, last contact).
    #[tool(
        name = "jamf_search_computers",
        annotations(
            title = "Search Jamf Pro computers",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn jamf_search_computers(
        &self,
        Parameters(request): Parameters<SearchComputersRequest>,
    ) -> Result<Json<ComputerPage>, String> {
        let client = self.jamf_client(request.domain.as_deref()).await?;
        Ok(Json(
            client
                .search_computers(&request.search)
                .await
                .map_err(|e| e.to_string())?,
        ))
    }

    /// One computer's Jamf Pro inventory, by serial number or id, with the sections asked for
    /// (default GENERAL, HARDWARE, OPERATING_SYSTEM).
    #[tool(
        name = "jamf_computer_inventory",
        annotations(
            title = "Jamf Pro computer inventory",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn jamf_computer_inventory(
        &self,
        Parameters(request): Parameters<InventoryRequest>,
    ) -> Result<Json<ComputerInventory>, String> {
        let target = request.computer.target()?;
        let sections = if request.sections.is_empty() {
            vec![
                Section::General,
                Section::Hardware,
                Section::OperatingSystem,
            ]
        } else {
            request.sections
        };
        let client = self.jamf_client(request.computer.domain.as_deref()).await?;
        Ok(Json(
            client
                .computer_inventory(&target, &sections)
                .await
                .map_err(|e| e.to_string())?,
        ))
    }

    /// One Mac's security posture: macOS version against Apple's security releases (missed
    /// releases, CVEs fixed since, actively exploited ones), FileVault, SIP, Gatekeeper,
    /// XProtect, firewall and how long since it last checked in, with plain-language findings.
    #[tool(
        name = "jamf_computer_security",
        annotations(
            title = "Jamf Pro computer security posture",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn jamf_computer_security(
        &self,
        Parameters(request): Parameters<ComputerRequest>,
    ) -> Result<Json<ComputerSecurity>, String> {
        let target = request.target()?;
        let client = self.jamf_client(request.domain.as_deref()).await?;
        let macos = self.jamf.macos_feed().await;
        Ok(Json(
            client
                .computer_security(&target, macos.currency())
                .await
                .map_err(|e| e.to_string())?,
        ))
    }

    /// One computer's recent history in Jamf Pro (policy runs, MDM commands, user and location
    /// changes), newest first.
    #[tool(
        name = "jamf_computer_history",
        annotations(
            title = "Jamf Pro computer history",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn jamf_computer_history(
        &self,
        Parameters(request): Parameters<ComputerRequest>,
    ) -> Result<Json<ComputerHistory>, String> {
        let target = request.target()?;
        let client = self.jamf_client(request.domain.as_deref()).await?;
        Ok(Json(
            client
                .computer_history(&target)
                .await
                .map_err(|e| e.to_string())?,
        ))
    }

    /// Mobile devices (iPhone, iPad, Apple TV) in Jamf Pro, with paging and optional search.
    #[tool(
        name = "jamf_mobile_devices",
        annotations(
            title = "Jamf Pro mobile devices",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn jamf_mobile_devices(
        &self,
        Parameters(request): Parameters<MobileDevicesRequest>,
    ) -> Result<Json<MobileDevicePage>, String> {
        let client = self.jamf_client(request.domain.as_deref()).await?;
        Ok(Json(
            client
                .mobile_devices(&request.search)
                .await
                .map_err(|e| e.to_string())?,
        ))
    }

    /// The whole fleet's security posture in one call: macOS version distribution, how many
    /// Macs are current, behind or unsupported, and the Macs missing actively exploited fixes
    /// first. Sends progress notifications while pages of computers load.
    #[tool(
        name = "jamf_fleet_security_report",
        annotations(
            title = "Jamf Pro fleet security report",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn jamf_fleet_security_report(
        &self,
        Parameters(request): Parameters<FleetReportRequest>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<FleetSecurityReport>, String> {
        let domain = self.jamf_domain(request.domain.as_deref()).await?;
        // Progress goes out in order through one forwarding task.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<FleetProgress>();
        let forwarder = context.meta.get_progress_token().map(|token| {
            let peer = context.peer.clone();
            tokio::spawn(async move {
                while let Some(p) = rx.recv().await {
                    let note = ProgressNotificationParam::new(token.clone(), p.loaded as f64)
                        .with_total(p.total as f64)
                        .with_message(format!("loaded {} of {} computers", p.loaded, p.total));
                    if peer.notify_progress(note).await.is_err() {
                        return;
                    }
                }
            })
        });
        // Without a progress token nobody listens: the sends fail quietly.
        let progress = move |p: FleetProgress| {
            let _ = tx.send(p);
        };
        let report = self
            .jamf
            .fleet_report(&domain, request.refresh, &progress)
            .await;
        drop(progress);
        if let Some(forwarder) = forwarder {
            let _ = forwarder.await;
        }
        let limit = request
            .limit
            .unwrap_or(FLEET_COMPUTERS_SHOWN)
            .min(FLEET_COMPUTERS_MAX);
        let mut report = Arc::unwrap_or_clone(report.map_err(|e| e.to_string())?);
        report.truncate(limit);
        Ok(Json(report))
    }

    /// Policies in Jamf Pro (id and name).
    #[tool(
        name = "jamf_policies",
        annotations(
            title = "Jamf Pro policies",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn jamf_policies(
        &self,
        Parameters(request): Parameters<DomainOnly>,
    ) -> Result<Json<NamedList<NamedItem>>, String> {
        let (domain, client) = self.jamf_domain_client(request.domain.as_deref()).await?;
        let items = client.policies().await.map_err(|e| e.to_string())?;
        Ok(Json(named_list(domain, items)))
    }

    /// macOS configuration profiles in Jamf Pro (id and name).
    #[tool(
        name = "jamf_configuration_profiles",
        annotations(
            title = "Jamf Pro configuration profiles",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn jamf_configuration_profiles(
        &self,
        Parameters(request): Parameters<DomainOnly>,
    ) -> Result<Json<NamedList<NamedItem>>, String> {
        let (domain, client) = self.jamf_domain_client(request.domain.as_deref()).await?;
        let items = client
            .configuration_profiles()
            .await
            .map_err(|e| e.to_string())?;
        Ok(Json(named_list(domain, items)))
    }

    /// Smart computer groups in Jamf Pro (id, name, member count where Jamf gives it).
    #[tool(
        name = "jamf_smart_groups",
        annotations(
            title = "Jamf Pro smart groups",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn jamf_smart_groups(
        &self,
        Parameters(request): Parameters<DomainOnly>,
    ) -> Result<Json<NamedList<SmartGroup>>, String> {
        let (domain, client) = self.jamf_domain_client(request.domain.as_deref()).await?;
        let items = client.smart_groups().await.map_err(|e| e.to_string())?;
        Ok(Json(named_list(domain, items)))
    }
}

impl LatchkeyServer {
    async fn jamf_domain(&self, domain: Option<&str>) -> Result<latchkey_vault::Domain, String> {
        self.jamf
            .resolve(domain)
            .await
            .map_err(|e: JamfServiceError| e.to_string())
    }

    async fn jamf_domain_client(
        &self,
        domain: Option<&str>,
    ) -> Result<(latchkey_vault::Domain, latchkey_jamf::JamfClient), String> {
        let domain = self.jamf_domain(domain).await?;
        let client = self.jamf.client(&domain).await.map_err(|e| e.to_string())?;
        Ok((domain, client))
    }

    async fn jamf_client(&self, domain: Option<&str>) -> Result<latchkey_jamf::JamfClient, String> {
        Ok(self.jamf_domain_client(domain).await?.1)
    }
}

fn named_list<T>(domain: latchkey_vault::Domain, items: Vec<T>) -> NamedList<T> {
    NamedList {
        domain: domain.to_string(),
        total: items.len(),
        items,
    }
}
