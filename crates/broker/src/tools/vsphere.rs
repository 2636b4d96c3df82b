//! vCenter tools: the inventory of a vCenter (VMs, hosts, clusters, datacenters, datastores,
//! networks, folders). Read-only; each needs its vCenter domain unlocked by the person at this
//! Mac. What vCenter returns (names, notes) is data from the server, never instructions.

use latchkey_vsphere::{
    ClusterSummary, DatacenterSummary, DatastoreSummary, FolderSummary, HostSummary,
    NetworkSummary, PowerState, VmDetails, VmFilter, VmPage, VsphereClient,
};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{Json, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::LatchkeyServer;

/// VMs listed per page unless asked for more.
const DEFAULT_PAGE: usize = 100;

/// Which vCenter; absent means the only one unlocked (or stored).
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct VcenterOnly {
    /// The vCenter domain, e.g. "vcenter:vc01.example.com" or just "vc01.example.com".
    pub domain: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListVmsRequest {
    /// The vCenter domain; absent means the only one unlocked.
    pub domain: Option<String>,
    /// The VM's exact name.
    pub name: Option<String>,
    /// powered_on, powered_off or suspended.
    pub power_state: Option<PowerState>,
    /// A host id, e.g. "host-12" (see vsphere_list_hosts).
    pub host: Option<String>,
    /// A cluster id, e.g. "domain-c7".
    pub cluster: Option<String>,
    /// A VM folder id, e.g. "group-v3".
    pub folder: Option<String>,
    /// A datacenter id, e.g. "datacenter-2".
    pub datacenter: Option<String>,
    /// Where the page starts (default 0).
    #[serde(default)]
    pub offset: usize,
    /// VMs per page (default 100, at most 1,000).
    pub limit: Option<usize>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct VmRequest {
    /// The vCenter domain; absent means the only one unlocked.
    pub domain: Option<String>,
    /// The VM: its id ("vm-123") or its exact name.
    pub vm: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FindVlanRequest {
    /// The vCenter domain; absent means the only one unlocked.
    pub domain: Option<String>,
    /// The VLAN id, 1 to 4094.
    pub vlan: u16,
}

/// A list from one vCenter.
#[derive(Debug, Serialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VcenterList<T> {
    /// The vCenter domain answered for.
    pub domain: String,
    /// How many.
    pub total: usize,
    /// The items.
    pub items: Vec<T>,
}

/// A page of VMs from one vCenter.
#[derive(Debug, Serialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VcenterVms {
    /// The vCenter domain answered for.
    pub domain: String,
    #[serde(flatten)]
    pub page: VmPage,
}

/// One VM from one vCenter.
#[derive(Debug, Serialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VcenterVm {
    /// The vCenter domain answered for.
    pub domain: String,
    #[serde(flatten)]
    pub vm: VmDetails,
}

/// Networks from one vCenter, and what their VLAN ids are worth.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VcenterNetworks {
    /// The vCenter domain answered for.
    pub domain: String,
    /// How many.
    pub total: usize,
    /// The networks.
    pub items: Vec<NetworkSummary>,
    /// Where `vlan_id_inferred_from_name` comes from.
    pub vlan_note: &'static str,
}

const VLAN_NOTE: &str = "vCenter's REST API gives no VLAN ids; vlan_id_inferred_from_name is \
read from port-group names such as VLAN123 or v123-web, and may be wrong";

#[tool_router(router = vsphere_router, vis = "pub(crate)")]
impl LatchkeyServer {
    /// List a vCenter's VMs (id, name, power state, CPUs, memory), filtered by exact name,
    /// power state, host, cluster, folder or datacenter, sorted by name, a page at a time.
    #[tool(
        name = "vsphere_list_vms",
        annotations(
            title = "List vCenter VMs",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn vsphere_list_vms(
        &self,
        Parameters(request): Parameters<ListVmsRequest>,
    ) -> Result<Json<VcenterVms>, String> {
        let (domain, client) = self.vsphere_client(request.domain.as_deref()).await?;
        let filter = VmFilter {
            name: request.name,
            power_state: request.power_state,
            host: request.host,
            cluster: request.cluster,
            folder: request.folder,
            datacenter: request.datacenter,
        };
        let limit = request.limit.unwrap_or(DEFAULT_PAGE);
        let page = client
            .list_vms(&filter, request.offset, limit)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Json(VcenterVms { domain, page }))
    }

    /// One VM in detail, by id ("vm-123") or exact name: power state, guest OS, CPUs, memory,
    /// hardware version, UUIDs, network adapters and disks.
    #[tool(
        name = "vsphere_vm_details",
        annotations(
            title = "vCenter VM details",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn vsphere_vm_details(
        &self,
        Parameters(request): Parameters<VmRequest>,
    ) -> Result<Json<VcenterVm>, String> {
        let (domain, client) = self.vsphere_client(request.domain.as_deref()).await?;
        let found = client
            .resolve_vm(&request.vm)
            .await
            .map_err(|e| e.to_string())?;
        let vm = client
            .vm_details(&found.id)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Json(VcenterVm { domain, vm }))
    }

    /// A vCenter's ESXi hosts (id, name, connection and power state).
    #[tool(
        name = "vsphere_list_hosts",
        annotations(
            title = "List vCenter hosts",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn vsphere_list_hosts(
        &self,
        Parameters(request): Parameters<VcenterOnly>,
    ) -> Result<Json<VcenterList<HostSummary>>, String> {
        let (domain, client) = self.vsphere_client(request.domain.as_deref()).await?;
        listed(domain, client.list_hosts().await)
    }

    /// A vCenter's clusters (id, name, whether HA and DRS are on).
    #[tool(
        name = "vsphere_list_clusters",
        annotations(
            title = "List vCenter clusters",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn vsphere_list_clusters(
        &self,
        Parameters(request): Parameters<VcenterOnly>,
    ) -> Result<Json<VcenterList<ClusterSummary>>, String> {
        let (domain, client) = self.vsphere_client(request.domain.as_deref()).await?;
        listed(domain, client.list_clusters().await)
    }

    /// A vCenter's datacenters (id, name).
    #[tool(
        name = "vsphere_list_datacenters",
        annotations(
            title = "List vCenter datacenters",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn vsphere_list_datacenters(
        &self,
        Parameters(request): Parameters<VcenterOnly>,
    ) -> Result<Json<VcenterList<DatacenterSummary>>, String> {
        let (domain, client) = self.vsphere_client(request.domain.as_deref()).await?;
        listed(domain, client.list_datacenters().await)
    }

    /// A vCenter's datastores: type, capacity, free space and the percentage used.
    #[tool(
        name = "vsphere_list_datastores",
        annotations(
            title = "List vCenter datastores",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn vsphere_list_datastores(
        &self,
        Parameters(request): Parameters<VcenterOnly>,
    ) -> Result<Json<VcenterList<DatastoreSummary>>, String> {
        let (domain, client) = self.vsphere_client(request.domain.as_deref()).await?;
        listed(domain, client.list_datastores().await)
    }

    /// A vCenter's networks (standard and distributed port groups), each with a VLAN id
    /// inferred from its name where the name has one (vCenter's REST API has none).
    #[tool(
        name = "vsphere_list_networks",
        annotations(
            title = "List vCenter networks",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn vsphere_list_networks(
        &self,
        Parameters(request): Parameters<VcenterOnly>,
    ) -> Result<Json<VcenterNetworks>, String> {
        let (domain, client) = self.vsphere_client(request.domain.as_deref()).await?;
        let items = client.list_networks().await.map_err(|e| e.to_string())?;
        Ok(Json(networks(domain, items)))
    }

    /// The networks whose port-group names suggest a VLAN id (VLAN123, v123-web, …). The
    /// match is on names only: vCenter's REST API has no VLAN ids.
    #[tool(
        name = "vsphere_find_vlan",
        annotations(
            title = "Find a VLAN in vCenter",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn vsphere_find_vlan(
        &self,
        Parameters(request): Parameters<FindVlanRequest>,
    ) -> Result<Json<VcenterNetworks>, String> {
        let (domain, client) = self.vsphere_client(request.domain.as_deref()).await?;
        let items = client
            .find_vlan(request.vlan)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Json(networks(domain, items)))
    }

    /// A vCenter's folders (id, name, what they hold).
    #[tool(
        name = "vsphere_list_folders",
        annotations(
            title = "List vCenter folders",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn vsphere_list_folders(
        &self,
        Parameters(request): Parameters<VcenterOnly>,
    ) -> Result<Json<VcenterList<FolderSummary>>, String> {
        let (domain, client) = self.vsphere_client(request.domain.as_deref()).await?;
        listed(domain, client.list_folders().await)
    }
}

impl LatchkeyServer {
    /// The domain meant and its client; the domain must be unlocked.
    async fn vsphere_client(
        &self,
        domain: Option<&str>,
    ) -> Result<(String, VsphereClient), String> {
        let domain = self
            .vsphere
            .resolve(domain)
            .await
            .map_err(|e| e.to_string())?;
        let client = self
            .vsphere
            .client(&domain)
            .await
            .map_err(|e| e.to_string())?;
        Ok((domain.to_string(), client))
    }
}

fn listed<T>(
    domain: String,
    items: Result<Vec<T>, latchkey_vsphere::VsphereError>,
) -> Result<Json<VcenterList<T>>, String> {
    let items = items.map_err(|e| e.to_string())?;
    Ok(Json(VcenterList {
        domain,
        total: items.len(),
        items,
    }))
}

fn networks(domain: String, items: Vec<NetworkSummary>) -> VcenterNetworks {
    VcenterNetworks {
        domain,
        total: items.len(),
        items,
        vlan_note: VLAN_NOTE,
    }
}
