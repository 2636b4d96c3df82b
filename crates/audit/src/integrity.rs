//! Holding the chain to its anchor before anchoring anything new. A log is checked when it is
//! opened (and, if the anchor store could not be read then, before its first anchor): if the
//! anchored entry is missing or changed, the log never anchors over it. It appends a
//! `chain.broken` admin entry that names what the anchor said and what it found, keeps the
//! damaged rows as evidence, and anchors the break record, so a new segment starts there.
//! `verify` fails while a break is not acknowledged (`chain.acknowledge`, recorded by
//! [`crate::AuditLog::acknowledge_break`] and counted only once anchored, so an entry forged
//! at the unanchored end of the log cannot acknowledge anything).

use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::anchor::ChainHead;
use crate::model::{Assistant, Hash, Seq};
use crate::row::{hash_of, seq_to_sql};

/// The action of the log's record of a break.
pub(crate) const BROKEN: &str = "chain.broken";
/// The action of a person's acknowledgement of a break.
pub(crate) const ACKNOWLEDGE: &str = "chain.acknowledge";

/// How far the log can be trusted, as [`crate::AuditLog::integrity`] reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Integrity {
    /// The anchored head is on the chain, with its hash (or the log is new and empty).
    Intact,
    /// The log has no anchor configured: a cut-off end or a rewrite cannot be detected.
    NoAnchor,
    /// The log holds entries but no head has been anchored for it yet (the anchor item was
    /// deleted, or never saved): they cannot be checked. The next entry is anchored at once.
    Unanchored {
        /// How many entries the log holds.
        entries: u64,
    },
    /// The anchor store could not be read, so the chain could not be held to it; nothing is
    /// anchored until it can be (checked again before each anchor).
    Unchecked {
        /// The anchor store's error.
        error: String,
    },
    /// The chain contradicted its anchor; the break was recorded at `at`.
    Broken {
        /// The `chain.broken` entry.
        at: Seq,
        /// Whether a person acknowledged it (and the acknowledgement is anchored).
        acknowledged: bool,
        /// What the anchor said.
        anchored: ChainHead,
        /// The hash found at the anchored `seq`; `None` if the entry was gone.
        found: Option<Hash>,
    },
}

/// What a `chain.broken` entry's details hold (JSON, unredacted: hashes look like secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BreakDetails {
    /// The head the anchor named.
    pub anchored: ChainHead,
    /// The hash found at that `seq`; `None` if the entry was missing.
    pub found: Option<Hash>,
    /// The log's head when the break was found (what the break record links to).
    pub head: Option<ChainHead>,
}

/// A break on the chain and whether it was acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    /// The `chain.broken` entry.
    pub at: Seq,
    /// The head the anchor named when the break was found.
    pub anchored: ChainHead,
    /// The hash found at the anchored `seq`; `None` if the entry was missing.
    pub found: Option<Hash>,
    /// The `chain.acknowledge` entry that acknowledged it, if one did.
    pub acknowledged: Option<Seq>,
}

impl ChainBreak {
    /// What was wrong, in words: "entry #20 was missing", "entry #20 had another hash".
    pub fn what(&self) -> String {
        match self.found {
            None => format!("the anchored entry #{} was missing", self.anchored.seq),
            Some(_) => format!(
                "the anchored entry #{} had another hash (history up to it was rewritten)",
                self.anchored.seq
            ),
        }
    }
}

/// Whether the chain still holds `anchored`: the entry at its `seq` with its hash, or, if it
/// was pruned, a checkpoint at or after it. `Some(found)` if not.
pub(crate) fn contradiction(
    conn: &Connection,
    anchored: ChainHead,
) -> rusqlite::Result<Option<Option<Hash>>> {
    let seq = seq_to_sql(anchored.seq);
    let stored: Option<Vec<u8>> = conn
        .query_row("SELECT hash FROM entries WHERE seq = ?1", [seq], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(stored) = stored {
        let found = hash_of(&stored);
        return Ok((found != Some(anchored.hash)).then_some(found));
    }
    // Pruned: a checkpoint records the last pruned entry; the anchor may name an earlier one
    // (its update after the prune failed), which `verify` reports as `Pruned`.
    let pruned: Option<i64> = conn.query_row(
        "SELECT max(pruned_through) FROM entries WHERE pruned_through IS NOT NULL",
        [],
        |r| r.get(0),
    )?;
    Ok(match pruned {
        Some(through) if through >= seq => None,
        _ => Some(None),
    })
}

/// The newest break on the chain, with its acknowledgement: the first `chain.acknowledge`
/// after it at or before `anchored_through` (any, if `None`).
pub(crate) fn latest_break(
    conn: &Connection,
    anchored_through: Option<Seq>,
) -> rusqlite::Result<Option<ChainBreak>> {
    // Both go through the partial index of admin entries.
    let record: Option<(i64, Option<String>)> = conn
        .query_row(
            "SELECT seq, arguments FROM entries WHERE kind = 'admin' AND tool = ?1
             ORDER BY seq DESC LIMIT 1",
            [BROKEN],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((at, details)) = record else {
        return Ok(None);
    };
    let through = anchored_through.map_or(i64::MAX, seq_to_sql);
    let acknowledged: Option<i64> = conn
        .query_row(
            "SELECT seq FROM entries WHERE kind = 'admin' AND tool = ?1 AND seq > ?2
             AND seq <= ?3 ORDER BY seq LIMIT 1",
            (ACKNOWLEDGE, at, through),
            |r| r.get(0),
        )
        .optional()?;
    let details: Option<BreakDetails> = details.and_then(|d| serde_json::from_str(&d).ok());
    let at = Seq(at.max(0) as u64);
    // A record whose details do not parse (forged) still counts as a break.
    let (anchored, found) = match details {
        Some(d) => (d.anchored, d.found),
        None => (
            ChainHead {
                seq: at,
                hash: Hash::GENESIS,
            },
            None,
        ),
    };
    Ok(Some(ChainBreak {
        at,
        anchored,
        found,
        acknowledged: acknowledged.map(|s| Seq(s.max(0) as u64)),
    }))
}

/// Whether a break naming `anchored` is already on the chain (found by an earlier session
/// whose anchor could not be saved): it is not recorded twice.
pub(crate) fn already_recorded(conn: &Connection, anchored: ChainHead) -> rusqlite::Result<bool> {
    Ok(latest_break(conn, None)?.is_some_and(|b| b.anchored == anchored))
}

/// Who records a break: this process.
pub(crate) fn latchkey_itself() -> Assistant {
    Assistant {
        name: "latchkey-audit".to_owned(),
        client: None,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        executable: std::env::current_exe()
            .ok()
            .map(|p| p.display().to_string()),
        pid: Some(std::process::id()),
        bundle_id: None,
    }
}
