//! Reading the inventory: VMs (filtered, paged on this side, split by host when vCenter's
//! list cap is hit), one VM's details, hosts, clusters, datacenters, datastores (with % used),
//! networks (with a VLAN id guessed from the name) and folders. Every field is read
//! leniently: one odd value must not lose a list of 10,000 VMs.

use std::collections::BTreeMap;

use latchkey_http::lenient;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use tokio::task::JoinSet;

use crate::ids::{valid_id, valid_name};
use crate::request::{Route, is_over_list_cap};
use crate::vlan::vlan_from_name;
use crate::{ApiFlavor, VsphereClient, VsphereError};

/// The most VMs vCenter lists in one call (it refuses a list that would return more).
pub const VM_LIST_CAP: usize = 4000;
/// The largest page [`VsphereClient::list_vms`] returns.
pub const MAX_PAGE: usize = 1000;

/// What the VMs listed must match; every part is optional. Ids are vCenter's (`host-12`).
#[derive(Debug, Clone, Default)]
pub struct VmFilter {
    /// The VM's exact name.
    pub name: Option<String>,
    /// `POWERED_ON`, `POWERED_OFF` or `SUSPENDED`.
    pub power_state: Option<PowerState>,
    /// A host id.
    pub host: Option<String>,
    /// A cluster id.
    pub cluster: Option<String>,
    /// A VM folder id.
    pub folder: Option<String>,
    /// A datacenter id.
    pub datacenter: Option<String>,
}

/// A VM's power state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PowerState {
    /// Running.
    #[serde(alias = "powered_on")]
    PoweredOn,
    /// Off.
    #[serde(alias = "powered_off")]
    PoweredOff,
    /// Suspended to disk.
    #[serde(alias = "suspended")]
    Suspended,
}

impl PowerState {
    /// vCenter's name for the state.
    pub fn as_api(self) -> &'static str {
        match self {
            PowerState::PoweredOn => "POWERED_ON",
            PowerState::PoweredOff => "POWERED_OFF",
            PowerState::Suspended => "SUSPENDED",
        }
    }
}

impl std::str::FromStr for PowerState {
    type Err = String;

    /// `POWERED_ON`/`powered_on`/`on`, and the same for off and suspended.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        match s.trim_start_matches("powered_") {
            "on" => Ok(PowerState::PoweredOn),
            "off" => Ok(PowerState::PoweredOff),
            "suspended" => Ok(PowerState::Suspended),
            _ => Err("a power state is one of powered_on, powered_off, suspended".into()),
        }
    }
}

/// One VM in a list.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VmSummary {
    /// vCenter's id (`vm-123`).
    #[serde(default, alias = "vm", deserialize_with = "text")]
    pub id: String,
    /// The VM's name.
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    /// `POWERED_ON`, `POWERED_OFF`, `SUSPENDED` (or what a newer vCenter says).
    #[serde(default, deserialize_with = "lenient::string")]
    pub power_state: Option<String>,
    /// Virtual CPUs.
    #[serde(default, deserialize_with = "lenient::number")]
    pub cpu_count: Option<u64>,
    /// Memory in MiB.
    #[serde(
        default,
        alias = "memory_size_MiB",
        deserialize_with = "lenient::number"
    )]
    pub memory_mib: Option<u64>,
}

/// A page of VMs, sorted by name then id.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VmPage {
    /// How many VMs match in all.
    pub total: usize,
    /// Where this page starts.
    pub offset: usize,
    /// The VMs on this page.
    pub vms: Vec<VmSummary>,
    /// Whether vCenter's cap of 4,000 per list was hit, so the VMs were listed host by host.
    pub listed_by_host: bool,
}

/// One VM in detail.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct VmDetails {
    /// vCenter's id (`vm-123`); filled in from the request.
    #[serde(skip_deserializing)]
    pub id: String,
    /// The VM's name.
    #[serde(deserialize_with = "lenient::string")]
    pub name: Option<String>,
    /// `POWERED_ON`, `POWERED_OFF` or `SUSPENDED`.
    #[serde(deserialize_with = "lenient::string")]
    pub power_state: Option<String>,
    /// The configured guest OS (`UBUNTU_64`, `WINDOWS_9_SERVER_64`, …).
    #[serde(alias = "guest_OS", deserialize_with = "lenient::string")]
    pub guest_os: Option<String>,
    /// CPUs.
    #[serde(deserialize_with = "lenient::section")]
    pub cpu: Option<Cpu>,
    /// Memory.
    #[serde(deserialize_with = "lenient::section")]
    pub memory: Option<Memory>,
    /// Virtual hardware.
    #[serde(deserialize_with = "lenient::section")]
    pub hardware: Option<Hardware>,
    /// Name and UUIDs.
    #[serde(deserialize_with = "lenient::section")]
    pub identity: Option<Identity>,
    /// Network adapters.
    #[serde(deserialize_with = "entries")]
    pub nics: Vec<Nic>,
    /// Virtual disks.
    #[serde(deserialize_with = "entries")]
    pub disks: Vec<Disk>,
}

/// A VM's CPUs.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct Cpu {
    /// Cores in all.
    #[serde(deserialize_with = "lenient::number")]
    pub count: Option<u64>,
    /// Cores per socket.
    #[serde(deserialize_with = "lenient::number")]
    pub cores_per_socket: Option<u64>,
}

/// A VM's memory.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct Memory {
    /// Size in MiB.
    #[serde(alias = "size_MiB", deserialize_with = "lenient::number")]
    pub size_mib: Option<u64>,
}

/// A VM's virtual hardware.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct Hardware {
    /// `VMX_19` and the like.
    #[serde(deserialize_with = "lenient::string")]
    pub version: Option<String>,
}

/// A VM's identity.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct Identity {
    /// The SMBIOS UUID.
    #[serde(deserialize_with = "lenient::string")]
    pub bios_uuid: Option<String>,
    /// vCenter's instance UUID.
    #[serde(deserialize_with = "lenient::string")]
    pub instance_uuid: Option<String>,
}

/// A network adapter.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct Nic {
    /// `Network adapter 1`.
    #[serde(deserialize_with = "lenient::string")]
    pub label: Option<String>,
    /// The MAC address.
    #[serde(deserialize_with = "lenient::string")]
    pub mac_address: Option<String>,
    /// `CONNECTED` or `NOT_CONNECTED`.
    #[serde(deserialize_with = "lenient::string")]
    pub state: Option<String>,
    /// What the adapter is connected to.
    #[serde(deserialize_with = "lenient::section")]
    pub backing: Option<NicBacking>,
}

/// What a network adapter is connected to.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct NicBacking {
    /// `STANDARD_PORTGROUP`, `DISTRIBUTED_PORTGROUP`, ….
    #[serde(rename = "type", deserialize_with = "lenient::string")]
    pub kind: Option<String>,
    /// The network's id.
    #[serde(deserialize_with = "lenient::string")]
    pub network: Option<String>,
    /// The network's name.
    #[serde(deserialize_with = "lenient::string")]
    pub network_name: Option<String>,
}

/// A virtual disk.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct Disk {
    /// `Hard disk 1`.
    #[serde(deserialize_with = "lenient::string")]
    pub label: Option<String>,
    /// Size in bytes.
    #[serde(deserialize_with = "lenient::number")]
    pub capacity: Option<u64>,
}

/// A host.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HostSummary {
    /// vCenter's id (`host-12`).
    #[serde(default, alias = "host", deserialize_with = "text")]
    pub id: String,
    /// The host's name.
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    /// `CONNECTED`, `DISCONNECTED`, `NOT_RESPONDING`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub connection_state: Option<String>,
    /// `POWERED_ON`, `POWERED_OFF`, `STANDBY`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub power_state: Option<String>,
}

/// A cluster.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClusterSummary {
    /// vCenter's id (`domain-c7`).
    #[serde(default, alias = "cluster", deserialize_with = "text")]
    pub id: String,
    /// The cluster's name.
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    /// vSphere HA on.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub ha_enabled: Option<bool>,
    /// DRS on.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub drs_enabled: Option<bool>,
}

/// A datacenter.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DatacenterSummary {
    /// vCenter's id (`datacenter-3`).
    #[serde(default, alias = "datacenter", deserialize_with = "text")]
    pub id: String,
    /// The datacenter's name.
    #[serde(default, deserialize_with = "text")]
    pub name: String,
}

/// A datastore and how full it is.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DatastoreSummary {
    /// vCenter's id (`datastore-15`).
    #[serde(default, alias = "datastore", deserialize_with = "text")]
    pub id: String,
    /// The datastore's name.
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    /// `VMFS`, `NFS`, `VSAN`, ….
    #[serde(default, rename = "type", deserialize_with = "lenient::string")]
    pub kind: Option<String>,
    /// Capacity in bytes.
    #[serde(default, alias = "capacity", deserialize_with = "lenient::number")]
    pub capacity_bytes: Option<u64>,
    /// Free space in bytes.
    #[serde(default, alias = "free_space", deserialize_with = "lenient::number")]
    pub free_bytes: Option<u64>,
    /// Used space as a percentage of capacity, one decimal.
    #[serde(default, skip_deserializing)]
    pub used_percent: Option<f64>,
}

/// A network (standard or distributed port group, or opaque network).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct NetworkSummary {
    /// vCenter's id (`network-13`, `dvportgroup-20`).
    #[serde(default, alias = "network", deserialize_with = "text")]
    pub id: String,
    /// The network's name.
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    /// `STANDARD_PORTGROUP`, `DISTRIBUTED_PORTGROUP`, `OPAQUE_NETWORK`.
    #[serde(default, rename = "type", deserialize_with = "lenient::string")]
    pub kind: Option<String>,
    /// A VLAN id guessed from the name (`VLAN123`, `v123-…`); vCenter's REST API has none,
    /// so this is an inference, not vCenter's word.
    #[serde(default, skip_deserializing)]
    pub vlan_id_inferred_from_name: Option<u16>,
}

/// A folder.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FolderSummary {
    /// vCenter's id (`group-v4`).
    #[serde(default, alias = "folder", deserialize_with = "text")]
    pub id: String,
    /// The folder's name.
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    /// `VIRTUAL_MACHINE`, `HOST`, `DATASTORE`, `NETWORK`, `DATACENTER`.
    #[serde(default, rename = "type", deserialize_with = "lenient::string")]
    pub kind: Option<String>,
}

impl VsphereClient {
    /// A page of the VMs matching `filter`, sorted by name then id. vCenter returns a whole
    /// list at once and refuses one longer than 4,000; then the VMs are listed host by host
    /// (at most a few requests in flight) and merged.
    pub async fn list_vms(
        &self,
        filter: &VmFilter,
        offset: usize,
        limit: usize,
    ) -> Result<VmPage, VsphereError> {
        if limit == 0 || limit > MAX_PAGE {
            return Err(VsphereError::InvalidArgument(format!(
                "limit must be between 1 and {MAX_PAGE}"
            )));
        }
        let pairs = vm_filter_pairs(filter)?;
        let (mut vms, listed_by_host) = match self.vm_list(pairs.clone()).await {
            Ok(vms) => (vms, false),
            Err(e) if is_over_list_cap(&e) && filter.host.is_none() => {
                (self.vms_host_by_host(filter, pairs).await?, true)
            }
            Err(e) if is_over_list_cap(&e) => return Err(self.too_many("VMs", VM_LIST_CAP)),
            Err(e) => return Err(e),
        };
        vms.retain(|vm| !vm.id.is_empty());
        vms.sort_by(|a, b| (a.name.to_lowercase(), &a.id).cmp(&(b.name.to_lowercase(), &b.id)));
        vms.dedup_by(|a, b| a.id == b.id);
        let total = vms.len();
        let vms = vms.into_iter().skip(offset).take(limit).collect();
        Ok(VmPage {
            total,
            offset,
            vms,
            listed_by_host,
        })
    }

    /// One VM in detail, by id (`vm-123`).
    pub async fn vm_details(&self, vm: &str) -> Result<VmDetails, VsphereError> {
        valid_id(vm, "VM")?;
        let mut details: VmDetails = self
            .get_json(|api| Route::get(format!("{}/vm/{vm}", prefix(api))))
            .await?;
        details.id = vm.to_owned();
        Ok(details)
    }

    /// The id of the VM `vm` names: an id (`vm-123`) as it is, else the one VM with exactly
    /// that name (none: `NotFound`; several: `Ambiguous`, with their ids).
    pub async fn resolve_vm(&self, vm: &str) -> Result<VmSummary, VsphereError> {
        let vm = vm.trim();
        let by_id = vm.starts_with("vm-") && valid_id(vm, "VM").is_ok();
        let pairs = if by_id {
            vec![("vms", vm.to_owned())]
        } else {
            valid_name(vm, "VM name")?;
            vec![("names", vm.to_owned())]
        };
        let mut found = self.vm_list(pairs).await?;
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(VsphereError::NotFound {
                server: self.server().to_owned(),
                what: format!("a VM {}{vm:?}", if by_id { "with id " } else { "named " }),
            }),
            _ => Err(VsphereError::Ambiguous {
                what: format!("the VM name {vm:?}"),
                ids: found.into_iter().map(|v| v.id).collect(),
            }),
        }
    }

    /// The host the VM with id `vm` runs on, if vCenter places it on one. The REST API has no
    /// call for a VM's host, so each host is asked whether it has the VM (one small list per
    /// host, as many in flight as the transport allows).
    pub async fn vm_host(&self, vm: &str) -> Result<Option<HostSummary>, VsphereError> {
        valid_id(vm, "VM")?;
        let hosts: Vec<HostSummary> = self.list("host", &[]).await?;
        let mut tasks = JoinSet::new();
        for host in hosts {
            let client = self.clone();
            let pairs = vec![("vms", vm.to_owned()), ("hosts", host.id.clone())];
            tasks.spawn(async move { (host, client.vm_list(pairs).await) });
        }
        while let Some(joined) = tasks.join_next().await {
            let (host, found) = joined.expect("a VM list task panicked");
            if !found?.is_empty() {
                return Ok(Some(host));
            }
        }
        Ok(None)
    }

    /// Every host.
    pub async fn list_hosts(&self) -> Result<Vec<HostSummary>, VsphereError> {
        self.list("host", &[]).await
    }

    /// Every cluster.
    pub async fn list_clusters(&self) -> Result<Vec<ClusterSummary>, VsphereError> {
        self.list("cluster", &[]).await
    }

    /// Every datacenter.
    pub async fn list_datacenters(&self) -> Result<Vec<DatacenterSummary>, VsphereError> {
        self.list("datacenter", &[]).await
    }

    /// Every datastore, with the share of its capacity in use.
    pub async fn list_datastores(&self) -> Result<Vec<DatastoreSummary>, VsphereError> {
        let mut stores: Vec<DatastoreSummary> = self.list("datastore", &[]).await?;
        for store in &mut stores {
            store.used_percent = match (store.capacity_bytes, store.free_bytes) {
                (Some(cap), Some(free)) if cap > 0 && free <= cap => {
                    Some(((cap - free) as f64 * 1000.0 / cap as f64).round() / 10.0)
                }
                _ => None,
            };
        }
        Ok(stores)
    }

    /// Every network, with a VLAN id guessed from its name where the name has one.
    pub async fn list_networks(&self) -> Result<Vec<NetworkSummary>, VsphereError> {
        let mut networks: Vec<NetworkSummary> = self.list("network", &[]).await?;
        for network in &mut networks {
            network.vlan_id_inferred_from_name = vlan_from_name(&network.name);
        }
        Ok(networks)
    }

    /// The networks whose names suggest VLAN `vlan` (see [`crate::vlan_from_name`]).
    pub async fn find_vlan(&self, vlan: u16) -> Result<Vec<NetworkSummary>, VsphereError> {
        if !(1..=4094).contains(&vlan) {
            return Err(VsphereError::InvalidArgument(
                "a VLAN id is between 1 and 4094".into(),
            ));
        }
        let mut networks = self.list_networks().await?;
        networks.retain(|n| n.vlan_id_inferred_from_name == Some(vlan));
        Ok(networks)
    }

    /// Every folder.
    pub async fn list_folders(&self) -> Result<Vec<FolderSummary>, VsphereError> {
        self.list("folder", &[]).await
    }

    async fn list<T: serde::de::DeserializeOwned>(
        &self,
        resource: &str,
        pairs: &[(&str, String)],
    ) -> Result<Vec<T>, VsphereError> {
        self.get_json(|api| list_route(api, resource, pairs)).await
    }

    async fn vm_list(&self, pairs: Vec<(&str, String)>) -> Result<Vec<VmSummary>, VsphereError> {
        self.list("vm", &pairs).await
    }

    async fn vms_host_by_host(
        &self,
        filter: &VmFilter,
        pairs: Vec<(&'static str, String)>,
    ) -> Result<Vec<VmSummary>, VsphereError> {
        let mut host_pairs = Vec::new();
        if let Some(cluster) = &filter.cluster {
            host_pairs.push(("clusters", cluster.clone()));
        }
        if let Some(datacenter) = &filter.datacenter {
            host_pairs.push(("datacenters", datacenter.clone()));
        }
        let hosts: Vec<HostSummary> = self.list("host", &host_pairs).await?;
        let mut tasks = JoinSet::new();
        for host in hosts {
            let client = self.clone();
            let mut pairs = pairs.clone();
            pairs.push(("hosts", host.id));
            // The transport's permits bound how many of these are in flight.
            tasks.spawn(async move { client.vm_list(pairs).await });
        }
        let mut all = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined.expect("a VM list task panicked") {
                Ok(vms) => all.extend(vms),
                Err(e) if is_over_list_cap(&e) => return Err(self.too_many("VMs", VM_LIST_CAP)),
                Err(e) => return Err(e),
            }
        }
        Ok(all)
    }

    fn too_many(&self, what: &str, cap: usize) -> VsphereError {
        VsphereError::TooMany {
            server: self.server().to_owned(),
            what: what.to_owned(),
            cap,
        }
    }
}

/// `api/vcenter` or `rest/vcenter`.
pub(crate) fn prefix(api: ApiFlavor) -> &'static str {
    match api {
        ApiFlavor::Api => "api/vcenter",
        ApiFlavor::Rest => "rest/vcenter",
    }
}

/// A list call: `/api` takes `names=…`, `/rest` takes `filter.names=…`.
fn list_route(api: ApiFlavor, resource: &str, pairs: &[(&str, String)]) -> Route {
    let mut route = Route::get(format!("{}/{resource}", prefix(api)));
    for (key, value) in pairs {
        route = match api {
            ApiFlavor::Api => route.with(*key, value.clone()),
            ApiFlavor::Rest => route.with(format!("filter.{key}"), value.clone()),
        };
    }
    route
}

fn vm_filter_pairs(filter: &VmFilter) -> Result<Vec<(&'static str, String)>, VsphereError> {
    let mut pairs = Vec::new();
    if let Some(name) = &filter.name {
        valid_name(name, "VM name")?;
        pairs.push(("names", name.trim().to_owned()));
    }
    if let Some(state) = filter.power_state {
        pairs.push(("power_states", state.as_api().to_owned()));
    }
    for (key, what, value) in [
        ("hosts", "host", &filter.host),
        ("clusters", "cluster", &filter.cluster),
        ("folders", "folder", &filter.folder),
        ("datacenters", "datacenter", &filter.datacenter),
    ] {
        if let Some(id) = value {
            valid_id(id, what)?;
            pairs.push((key, id.clone()));
        }
    }
    Ok(pairs)
}

/// A required string field read leniently: absent or odd becomes empty (and the item is
/// dropped where an id is needed).
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    lenient::string(d).map(Option::unwrap_or_default)
}

/// vCenter's device maps: `{"4000": {...}}` from `/api`, `[{"key": "4000", "value": {...}}]`
/// from `/rest`; either way the devices, in key order. Anything else is an empty list.
fn entries<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Shape<T> {
        Map(BTreeMap<String, T>),
        Pairs(Vec<Pair<T>>),
        Other(serde::de::IgnoredAny),
    }
    #[derive(Deserialize)]
    struct Pair<T> {
        value: T,
    }
    Ok(match Shape::<T>::deserialize(d)? {
        Shape::Map(map) => map.into_values().collect(),
        Shape::Pairs(pairs) => pairs.into_iter().map(|p| p.value).collect(),
        Shape::Other(_) => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_maps_read_in_both_shapes() {
        let api: VmDetails = serde_json::from_str(
            r#"{"name":"web-1","guest_OS":"UBUNTU_64","power_state":"POWERED_ON",
                "cpu":{"count":4,"cores_per_socket":2},"memory":{"size_MiB":8192},
                "nics":{"4000":{"label":"Network adapter 1","mac_address":"00:50:56:aa:bb:cc",
                    "backing":{"type":"STANDARD_PORTGROUP","network":"network-13"}}},
                "disks":{"2000":{"label":"Hard disk 1","capacity":42949672960}}}"#,
        )
        .unwrap();
        assert_eq!(api.nics.len(), 1);
        assert_eq!(api.disks[0].capacity, Some(42_949_672_960));
        assert_eq!(api.memory.unwrap().size_mib, Some(8192));
        let rest: VmDetails = serde_json::from_str(
            r#"{"name":"web-1","nics":[{"key":"4000","value":{"label":"Network adapter 1"}}],
                "disks":"unexpected"}"#,
        )
        .unwrap();
        assert_eq!(rest.nics[0].label.as_deref(), Some("Network adapter 1"));
        assert!(rest.disks.is_empty());
    }

    #[test]
    fn power_states_read_loosely() {
        for (text, state) in [
            ("POWERED_ON", PowerState::PoweredOn),
            ("on", PowerState::PoweredOn),
            ("powered-off", PowerState::PoweredOff),
            ("Suspended", PowerState::Suspended),
        ] {
            assert_eq!(text.parse::<PowerState>().unwrap(), state);
        }
        assert!("running".parse::<PowerState>().is_err());
    }
}
