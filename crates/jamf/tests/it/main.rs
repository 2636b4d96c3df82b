//! The Jamf client's integration tests, in one binary so the crate links once:
//! its behaviour against the in-process mock, and its contract with Jamf's own schema.

/// Behaviour against the in-process mock server and the shared fixtures.
mod behaviour;
/// Every request against Prism serving Jamf Pro's published schema.
mod contract;
mod support;
