//! The SOFA engine's integration tests: real feeds from the shared fixtures, every layout, analysis, deadlines, fleets and fetching.
//!
//! One test binary for the crate (one link instead of one per file); each file is a module.

mod analysis;
mod common;
mod deadlines;
mod diff;
mod expected;
mod fetch;
mod fleet;
mod fleet_input;
mod layouts;
mod schemas;
mod standing;
mod tolerance;
mod version;
