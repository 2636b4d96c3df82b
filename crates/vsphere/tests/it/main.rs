//! The vSphere client's integration tests: behaviour against the fake vCenter, the REST contract (Prism) and govmomi's simulator.
//!
//! One test binary for the crate (one link instead of one per file); each file is a module.

mod behaviour;
mod contract;
mod vcsim;
