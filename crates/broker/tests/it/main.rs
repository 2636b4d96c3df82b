//! The broker's integration tests: its real surfaces (MCP and control sockets, the pipeline, approvals, tools against mock servers), in process.
//!
//! One test binary for the crate (one link instead of one per file); each file is a module.

mod approvals;
mod assistants;
mod audited_calls;
mod common;
mod credentials;
mod interpreters;
mod jamf_changes;
mod jamf_tools;
mod limits;
mod mcp;
mod sofa_tools;
mod vsphere_tools;
