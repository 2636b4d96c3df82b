//! The audit log's integration tests: recording, search, integrity, tampering, pruning, crashes and failures.
//!
//! One test binary for the crate (one link instead of one per file); each file is a module.

mod admin;
mod common;
mod crash;
mod failures;
mod integrity;
mod prune;
mod record;
mod search;
mod summary;
mod tamper;
