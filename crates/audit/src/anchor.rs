//! Anchoring: the chain's head, saved outside the database, so that cutting entries off the
//! end (which leaves a shorter chain that still verifies) is noticed. The broker keeps it in
//! the OS secret store; tests keep it in memory.

use serde::{Deserialize, Serialize};

use crate::model::{Hash, Seq};

/// The newest entry of the chain: its place and hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    /// The entry's sequence number.
    pub seq: Seq,
    /// The entry's hash.
    pub hash: Hash,
}

/// Where the chain head is kept, outside the database. The log saves the head every
/// [`crate::Options::anchor_every`] entries, after a prune and when it is closed; `verify`
/// loads it. Errors are messages for the user (they must not contain a secret).
pub trait Anchor: Send + Sync {
    /// Replaces the saved head.
    fn save(&self, head: &ChainHead) -> Result<(), String>;
    /// The saved head; `None` if none was saved yet.
    fn load(&self) -> Result<Option<ChainHead>, String>;
}
