//! Latchkey's tamper-evident audit log: every call an assistant makes, attributable and
//! provable after the fact.
//!
//! - [`AuditLog`]: a SQLite file (WAL) holding a hash chain. [`AuditLog::record_intent`]
//!   commits an entry *before* a tool runs (if it fails, the broker refuses the call);
//!   [`AuditLog::record_outcome`] adds how it ended. [`AuditLog::verify`] walks the chain and
//!   names the first edit, deletion, reordering, insertion or cut-off tail it finds;
//!   [`AuditLog::search`], [`AuditLog::tail`] and [`AuditLog::export`] read it back;
//!   [`AuditLog::prune`] removes old entries through a checkpoint so the rest still verifies.
//! - [`Anchor`]: where the chain head is saved outside the database (the broker uses the OS
//!   secret store), so a truncated log is detected too.
//! - [`redact`]: what keeps secrets out of stored arguments; [`MAX_STORED_ARGUMENTS`]: what
//!   keeps a huge argument from bloating the log (longer ones are stored as their hash).
//!
//! Each entry's hash covers a canonical encoding of all its other columns, including the
//! previous entry's hash (`canonical.rs`, and the README). The log never stores a secret it
//! can recognise, and no error message quotes an entry's content.
//!
//! This crate knows nothing of the broker or the vault: the broker implements [`Anchor`].

mod anchor;
mod append;
mod batch;
mod canonical;
mod cap;
mod error;
mod export;
mod index;
mod integrity;
mod log;
mod model;
mod prune;
mod redact;
mod row;
mod search;
mod store;
mod summary;
mod verify;

pub use anchor::{Anchor, ChainHead};
#[doc(hidden)]
pub use append::Appender;
pub use cap::MAX_STORED_ARGUMENTS;
pub use error::AuditError;
pub use export::ExportFormat;
pub use integrity::{ChainBreak, Integrity};
pub use log::{AuditLog, Durability, Options};
pub use model::{
    AdminEvent, Assistant, BadDecision, BadHash, CallResult, Decision, Entry, EntryKind, Hash,
    Intent, Outcome, Seq,
};
pub use prune::Pruned;
pub use redact::{REDACTED, redact};
pub use search::{Filter, KindFilter, Page, SearchPage, Total};
pub use summary::Facets;
pub use verify::{AnchorCheck, Problem, Tamper, Verification};
