//! A vCenter REST client for Latchkey: one session per client, reused (`/api/session`, or
//! `/rest/com/vmware/cis/session` on vCenter 6.5/6.7, remembered per host), renewed once on
//! 401 and deleted on [`VsphereClient::logout`]; TLS with the system's roots, or a self-signed
//! vCenter pinned by the SHA-256 of its certificate after a person confirmed it
//! ([`fetch_fingerprint`]), never verification turned off; the inventory (VMs filtered and
//! paged, split by host past vCenter's list cap; hosts, clusters, datacenters, datastores with
//! usage, networks with VLAN ids guessed from names, folders); and power operations.
//!
//! What it must never do: put the password or a session id in an error, a log line or a
//! `Debug` string; paste input into a URL path unchecked (ids are checked, names travel only
//! as query values); repeat a power call that may have reached vCenter.
//!
//! Modules: `client` (construction, addresses, trust), `tls` (pinning), `session`, `request`
//! (the session header, 401 renewal, statuses), `inventory`, `vlan`, `power`, `ids`, `error`.
//! The HTTP core (retries, permits, body cap, redirects) is latchkey-http.

mod client;
mod error;
mod ids;
mod inventory;
mod power;
mod request;
mod session;
mod tls;
mod vlan;

pub use client::{
    CertificateProbe, VsphereClient, default_options, fetch_fingerprint, probe_certificate,
};
pub use error::VsphereError;
pub use inventory::{
    ClusterSummary, Cpu, DatacenterSummary, DatastoreSummary, Disk, FolderSummary, Hardware,
    HostSummary, Identity, MAX_PAGE, Memory, NetworkSummary, Nic, NicBacking, PowerState,
    VM_LIST_CAP, VmDetails, VmFilter, VmPage, VmSummary,
};
pub use latchkey_http::{Secret, TransportOptions};
pub use power::{PowerAction, PowerOutcome};
pub use session::{ApiFlavor, ConnectionCheck, SessionInfo};
pub use tls::{Fingerprint, Trust};
pub use vlan::vlan_from_name;
