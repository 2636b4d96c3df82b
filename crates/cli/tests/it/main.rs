//! The CLI's integration tests: the real `latchkey` binary against real brokers, the real
//! gnome-keyring (scripts/with-keyring.sh), polkitd, OpenBao, moto and the mock servers.
//!
//! One test binary for the crate (one link instead of one per file); each file is a module.
//! Tests share one keyring, so each uses its own labels and names its domains.

mod audit;
mod caller_identity;
mod cli;
mod common;
mod creds;
mod encrypted_store;
mod http;
mod polkit;
mod sealed_config;
mod secret_sources;
mod socket_security;
mod sofa;
