//! Naming a problem once the walk found an entry that does not hash or does not link. Runs
//! once per verification, so it may scan the table (~0.1 s per million entries) to find where
//! the entries that belong around the suspect went.

use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OptionalExtension};

use super::{Problem, Tamper};
use crate::canonical::{self, Field, HASHED, SEQ};
use crate::model::{Hash, Seq};
use crate::row::{HASH, SELECT, hash_of};

/// The entry at which the walk stopped.
pub(super) struct Suspect {
    /// Its columns as in `row::SELECT` (the hashed ones, then `hash`).
    pub values: Vec<Value>,
    /// Its `prev_hash`, if well-formed.
    pub link: Option<Hash>,
    /// Whether its content matches its stored hash.
    pub content_ok: bool,
}

/// The problem at `seq` (where the walk stopped; `prev` is the hash it had to link to).
pub(super) fn diagnose(
    conn: &Connection,
    seq: u64,
    first: u64,
    prev: &Hash,
    suspect: &Suspect,
) -> rusqlite::Result<Problem> {
    let at = |seq: u64, what| Problem {
        seq: Seq(seq),
        what,
    };
    if suspect.content_ok {
        // Sound in itself but linked to a hash its predecessor no longer has: the predecessor
        // was changed and its own hash recomputed.
        let edited = if seq > first { seq - 1 } else { seq };
        return Ok(at(edited, Tamper::Edited));
    }
    // The entry that belongs here is whichever links to `prev`, wherever it is now.
    if let Some(belongs) = row_where(conn, "prev_hash = ?1 AND seq <> ?2", prev, seq)? {
        let found = seq_of(&belongs);
        if belongs_at(&belongs, seq) {
            if belongs_at(&suspect.values, found) {
                return Ok(at(seq, Tamper::Reordered { with: Seq(found) }));
            }
            if found > seq {
                return Ok(at(seq, Tamper::Inserted { count: found - seq }));
            }
        }
        return Ok(at(seq, Tamper::Edited));
    }
    // Or the suspect links to an older entry, and forged entries that link correctly were
    // inserted between the two.
    if let Some(link) = &suspect.link
        && let Some(before) = row_where(conn, "hash = ?1 AND seq < ?2", link, seq - 1)?
    {
        let after = seq_of(&before) + 1;
        if belongs_at(&suspect.values, after) {
            return Ok(at(after, Tamper::Inserted { count: seq - after }));
        }
    }
    Ok(at(seq, Tamper::Edited))
}

/// The first row matching `condition` (`?1` a hash, `?2` a sequence number).
fn row_where(
    conn: &Connection,
    condition: &str,
    hash: &Hash,
    seq: u64,
) -> rusqlite::Result<Option<Vec<Value>>> {
    conn.query_row(
        &format!("SELECT {SELECT} FROM entries WHERE {condition} LIMIT 1"),
        (&hash.0[..], seq as i64),
        |row| (0..=HASH).map(|i| row.get::<_, Value>(i)).collect(),
    )
    .optional()
}

fn seq_of(values: &[Value]) -> u64 {
    match values[SEQ] {
        Value::Integer(seq) => seq.max(0) as u64,
        _ => 0,
    }
}

/// Whether the row's stored hash is what its content hashes to at `seq`: was it written there?
fn belongs_at(values: &[Value], seq: u64) -> bool {
    let stored = match &values[HASH] {
        Value::Blob(b) => hash_of(b),
        _ => None,
    };
    let mut fields = [Field::Null; HASHED.len()];
    for (field, value) in fields.iter_mut().zip(&values[..HASHED.len()]) {
        match Field::from_sql(ValueRef::from(value)) {
            Some(f) => *field = f,
            None => return false,
        }
    }
    fields[SEQ] = Field::Int(seq as i64);
    stored == Some(canonical::row_hash(&fields))
}
