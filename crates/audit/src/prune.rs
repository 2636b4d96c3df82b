//! Retention: removing a prefix of the chain "through a checkpoint". The checkpoint entry,
//! appended in the same transaction, records the last removed entry's `seq` and hash; the
//! first remaining entry links to that hash, so what remains verifies from there.

use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;
use serde::Serialize;

use crate::AuditError;
use crate::append::Appender;
use crate::model::{Hash, Seq};
use crate::row::hash_of;

/// What a prune removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pruned {
    /// How many entries were removed.
    pub removed: u64,
    /// The checkpoint entry that records them; `None` if nothing was old enough.
    pub checkpoint: Option<Seq>,
}

/// Removes the entries written before `before` — the longest prefix of the chain that is
/// older, so nothing newer is ever removed — and appends the checkpoint, at `now`.
pub(crate) fn prune(
    appender: &mut Appender<'_>,
    path: &std::path::Path,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Pruned, AuditError> {
    let sqlite = |e| AuditError::sqlite(path, e);
    let nothing = Pruned {
        removed: 0,
        checkpoint: None,
    };
    let tx = appender.tx();
    let last_old: Option<i64> = tx
        .query_row(
            "SELECT coalesce(
                 (SELECT seq FROM entries WHERE time_us >= ?1 ORDER BY time_us, seq LIMIT 1) - 1,
                 (SELECT max(seq) FROM entries))",
            [before.timestamp_micros()],
            |r| r.get(0),
        )
        .map_err(sqlite)?;
    let Some(through) = last_old.filter(|&s| s > 0) else {
        return Ok(nothing);
    };
    let hash: Option<Vec<u8>> = tx
        .query_row("SELECT hash FROM entries WHERE seq = ?1", [through], |r| {
            r.get(0)
        })
        .optional()
        .map_err(sqlite)?;
    let Some(hash) = hash else {
        // Already pruned through here (or the entry is missing, which verify reports).
        return Ok(nothing);
    };
    let hash: Hash = hash_of(&hash).ok_or_else(|| AuditError::Corrupt {
        path: path.to_path_buf(),
        detail: format!("the hash of entry {through} is not 32 bytes"),
    })?;
    // The index leaves the pruned entries with them: it must hold them to remove them.
    crate::index::catch_up(tx, path, None)?;
    let removed = tx
        .execute("DELETE FROM entries WHERE seq <= ?1", [through])
        .map_err(sqlite)?;
    tx.execute("DELETE FROM entries_text WHERE rowid <= ?1", [through])
        .map_err(sqlite)?;
    let checkpoint = appender.checkpoint(now, Seq(through as u64), &hash)?;
    Ok(Pruned {
        removed: removed as u64,
        checkpoint: Some(checkpoint),
    })
}
