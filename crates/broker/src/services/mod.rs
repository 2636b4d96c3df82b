//! What the broker serves, each service shared by every connection and by the app:
//! credentials and unlock sessions, secrets fetched from a secret manager, the SOFA feed, Jamf
//! Pro and vCenter clients.

pub mod credentials;
pub mod jamf;
mod reads;
pub mod sofa;
pub mod sources;
pub mod vsphere;
