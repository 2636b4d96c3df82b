//! The fake's inventory and its rules: VM `i` is `vm-{1000+i}`, named `app-{i:05}`, on host
//! `i % hosts`, powered on, off or suspended in turn; power actions move between states as
//! vCenter's do, and refuse what vCenter refuses.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Value, json};

use crate::{Config, Faults, Seen};

/// A VM as the fake holds it.
#[derive(Debug, Clone)]
pub struct Vm {
    pub id: String,
    pub name: String,
    /// `POWERED_ON`, `POWERED_OFF` or `SUSPENDED`.
    pub power_state: &'static str,
    pub host: String,
}

/// The id of VM number `i`.
pub fn vm_id(i: usize) -> String {
    format!("vm-{}", 1000 + i)
}

#[derive(Debug)]
pub(crate) struct State {
    pub config: Config,
    pub sessions: HashSet<String>,
    pub sessions_created: usize,
    pub vms: BTreeMap<String, Vm>,
    pub faults: Faults,
    pub seen: Vec<Seen>,
}

const STATES: [&str; 3] = ["POWERED_ON", "POWERED_OFF", "SUSPENDED"];
pub(crate) const CLUSTER: &str = "domain-c7";
pub(crate) const DATACENTER: &str = "datacenter-2";
pub(crate) const VM_FOLDER: &str = "group-v3";

pub(crate) fn host_id(h: usize) -> String {
    format!("host-{}", 10 + h)
}

impl State {
    pub fn new(config: Config) -> Self {
        let hosts = config.hosts.max(1);
        let vms = (0..config.vms)
            .map(|i| {
                let vm = Vm {
                    id: vm_id(i),
                    name: format!("app-{i:05}"),
                    power_state: STATES[i % 3],
                    host: host_id(i % hosts),
                };
                (vm.id.clone(), vm)
            })
            .collect();
        Self {
            config,
            sessions: HashSet::new(),
            sessions_created: 0,
            vms,
            faults: Faults::new(),
            seen: Vec::new(),
        }
    }

    pub fn new_session(&mut self) -> String {
        self.sessions_created += 1;
        let id = format!(
            "fake-session-{:04}-{}",
            self.sessions_created,
            std::process::id()
        );
        self.sessions.insert(id.clone());
        id
    }

    /// The VMs matching the filters (`names`, `power_states`, `hosts`, `vms`; cluster, folder
    /// and datacenter hold every VM).
    pub fn list_vms(&self, filters: &BTreeMap<String, Vec<String>>) -> Vec<&Vm> {
        let keep = |key: &str, value: &str| {
            filters
                .get(key)
                .is_none_or(|wanted| wanted.iter().any(|w| w == value))
        };
        self.vms
            .values()
            .filter(|vm| {
                keep("names", &vm.name)
                    && keep("power_states", vm.power_state)
                    && keep("hosts", &vm.host)
                    && keep("vms", &vm.id)
                    && keep("clusters", CLUSTER)
                    && keep("folders", VM_FOLDER)
                    && keep("datacenters", DATACENTER)
            })
            .collect()
    }

    pub fn hosts(&self) -> Value {
        (0..self.config.hosts.max(1))
            .map(|h| {
                json!({"host": host_id(h), "name": format!("esx-{h:02}.lab.example"),
                       "connection_state": "CONNECTED", "power_state": "POWERED_ON"})
            })
            .collect()
    }

    /// Applies `action`; `Err((error_type, message))` when vCenter would refuse it.
    pub fn power(&mut self, id: &str, action: &str) -> Result<(), (&'static str, String)> {
        let vm = self
            .vms
            .get_mut(id)
            .ok_or(("NOT_FOUND", format!("VM {id} not found")))?;
        let now = vm.power_state;
        let next = match (action, now) {
            ("start", "POWERED_ON") | ("stop", "POWERED_OFF") | ("suspend", "SUSPENDED") => {
                return Err((
                    "ALREADY_IN_DESIRED_STATE",
                    format!("Virtual machine is already {now}"),
                ));
            }
            ("start", _) => "POWERED_ON",
            ("stop", _) => "POWERED_OFF",
            ("suspend", "POWERED_ON") => "SUSPENDED",
            ("reset" | "reboot", "POWERED_ON") => "POWERED_ON",
            ("shutdown", "POWERED_ON") => "POWERED_OFF",
            ("suspend" | "reset" | "reboot" | "shutdown", _) => {
                return Err((
                    "NOT_ALLOWED_IN_CURRENT_STATE",
                    format!("The operation is not allowed in the current state ({now})"),
                ));
            }
            _ => return Err(("INVALID_ARGUMENT", format!("unknown action {action:?}"))),
        };
        vm.power_state = next;
        Ok(())
    }
}

pub(crate) fn vm_summary(vm: &Vm) -> Value {
    json!({"vm": vm.id, "name": vm.name, "power_state": vm.power_state,
           "cpu_count": 2, "memory_size_MiB": 4096})
}

pub(crate) fn vm_info(vm: &Vm) -> Value {
    json!({
        "name": vm.name, "power_state": vm.power_state, "guest_OS": "UBUNTU_64",
        "cpu": {"count": 2, "cores_per_socket": 1, "hot_add_enabled": false, "hot_remove_enabled": false},
        "memory": {"size_MiB": 4096, "hot_add_enabled": false},
        "hardware": {"version": "VMX_19", "upgrade_policy": "NEVER", "upgrade_status": "NONE"},
        "identity": {"name": vm.name, "bios_uuid": "4210c6a1-0000-0000-0000-000000000001",
                     "instance_uuid": "5010c6a1-0000-0000-0000-000000000001"},
        "nics": {"4000": {"label": "Network adapter 1", "type": "VMXNET3", "state": "CONNECTED",
                          "mac_address": "00:50:56:aa:bb:01",
                          "backing": {"type": "DISTRIBUTED_PORTGROUP", "network": "dvportgroup-21",
                                      "network_name": "VLAN100-prod"}}},
        "disks": {"2000": {"label": "Hard disk 1", "type": "SCSI", "capacity": 42_949_672_960u64}},
    })
}

pub(crate) fn clusters() -> Value {
    json!([{"cluster": CLUSTER, "name": "Lab", "ha_enabled": true, "drs_enabled": false}])
}

pub(crate) fn datacenters() -> Value {
    json!([{"datacenter": DATACENTER, "name": "DC1"}])
}

pub(crate) fn datastores() -> Value {
    json!([
        {"datastore": "datastore-15", "name": "ssd-01", "type": "VMFS",
         "capacity": 1_099_511_627_776u64, "free_space": 274_877_906_944u64},
        {"datastore": "datastore-16", "name": "nfs-iso", "type": "NFS"},
    ])
}

pub(crate) fn networks() -> Value {
    json!([
        {"network": "network-11", "name": "VM Network", "type": "STANDARD_PORTGROUP"},
        {"network": "dvportgroup-21", "name": "VLAN100-prod", "type": "DISTRIBUTED_PORTGROUP"},
        {"network": "dvportgroup-22", "name": "v200-dmz", "type": "DISTRIBUTED_PORTGROUP"},
        {"network": "network-12", "name": "Backup VLAN 100", "type": "STANDARD_PORTGROUP"},
    ])
}

pub(crate) fn folders() -> Value {
    json!([
        {"folder": VM_FOLDER, "name": "vm", "type": "VIRTUAL_MACHINE"},
        {"folder": "group-h4", "name": "host", "type": "HOST"},
    ])
}
