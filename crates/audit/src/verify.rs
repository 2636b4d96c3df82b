//! Verification: walk the chain from its first entry, check each entry's hash and its link to
//! the one before, then hold the end against the anchor. Stops at the first problem and says
//! what it looks like (`diagnose.rs`); reading is one pass in `seq` order, constant memory.

mod diagnose;

use std::fmt;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::Serialize;

use crate::anchor::{Anchor, ChainHead};
use crate::canonical::{self, Field, HASHED, PREV_HASH, SEQ};
use crate::integrity::{self, ChainBreak};
use crate::model::{Hash, Seq};
use crate::row::{HASH, SELECT, hash_of};

/// What [`crate::AuditLog::verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Where the chain starts: 1, or the first entry after a pruned prefix (0 if empty).
    pub first: u64,
    /// Every entry from `first` through this one hashes and links correctly (0: none).
    /// Only the anchor can tell whether they were all rewritten together (see [`Tamper::Rewritten`]).
    pub verified_through: u64,
    /// What the anchored head said.
    pub anchor: AnchorCheck,
    /// The first problem in chain order; `None` if the log verifies. Besides damage, an
    /// unacknowledged break ([`Tamper::Broken`]) and a log with entries but no anchored head
    /// ([`Tamper::Unanchored`]) are problems.
    pub first_problem: Option<Problem>,
    /// The newest break recorded on the chain (the log found it contradicting its anchor when
    /// it was opened), acknowledged or not.
    pub last_break: Option<ChainBreak>,
}

impl Verification {
    /// Whether no problem was found.
    pub fn is_ok(&self) -> bool {
        self.first_problem.is_none()
    }
}

/// Something wrong with the chain, at the first entry it affects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The first entry affected.
    pub seq: Seq,
    /// What it looks like.
    pub what: Tamper,
}

/// What a problem looks like. The chain proves *that* something changed; the kind is the most
/// likely explanation of the evidence, not a certainty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Tamper {
    /// The entry's content no longer matches its hash, or its hash no longer matches what the
    /// next entry recorded: it was changed after it was written.
    Edited,
    /// Entries `seq` through `through` are missing.
    Deleted {
        /// The last missing entry.
        through: Seq,
    },
    /// The entry at `seq` and the one at `with` swapped places.
    Reordered {
        /// The other entry.
        with: Seq,
    },
    /// `count` entries starting at `seq` were not written by the log; the entries after them
    /// were renumbered to make room.
    Inserted {
        /// How many.
        count: u64,
    },
    /// The log ends before the anchored head: entries `seq` through `anchored` were cut off.
    TailCut {
        /// The anchored head's sequence number.
        anchored: Seq,
    },
    /// The chain is consistent, but the entry at `seq` is not the one anchored: an entry at or
    /// before it was changed and every hash after it recomputed.
    Rewritten,
    /// The entry cannot be read (damaged page, wrong type).
    Unreadable {
        /// What SQLite or the decoder said.
        detail: String,
    },
    /// The entry at `seq` records that the log, when opened, found its chain contradicting
    /// the anchor (the anchored entry missing or changed); nobody has acknowledged it yet.
    /// The damaged entries before it are kept as evidence.
    Broken {
        /// What the anchor said.
        anchored: ChainHead,
        /// What was found at the anchored `seq` (`None`: the entry was gone).
        found: Option<Hash>,
    },
    /// No head of this log is anchored: its entries (from `seq`) cannot be checked for a
    /// cut-off end or a rewritten history. Anchoring the next entry ends this.
    Unanchored {
        /// How many entries.
        entries: u64,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seq = self.seq;
        match &self.what {
            Tamper::Edited => write!(f, "entry {seq} was changed after it was written"),
            Tamper::Deleted { through } if *through == seq => {
                write!(f, "entry {seq} was deleted")
            }
            Tamper::Deleted { through } => write!(f, "entries {seq} to {through} were deleted"),
            Tamper::Reordered { with } => write!(f, "entries {seq} and {with} were swapped"),
            Tamper::Inserted { count } => write!(
                f,
                "{count} forged entr{} inserted at {seq}",
                if *count == 1 { "y was" } else { "ies were" }
            ),
            Tamper::TailCut { anchored } => write!(
                f,
                "entries {seq} to {anchored} were cut off the end (the anchor recorded {anchored})"
            ),
            Tamper::Rewritten => write!(
                f,
                "the history up to entry {seq} was rewritten: its hash is not the anchored one"
            ),
            Tamper::Unreadable { detail } => write!(f, "entry {seq} cannot be read: {detail}"),
            Tamper::Broken { anchored, found } => {
                let what = match found {
                    None => format!("the anchored entry #{} was missing", anchored.seq),
                    Some(_) => format!(
                        "the anchored entry #{} had another hash (the history up to it was rewritten)",
                        anchored.seq
                    ),
                };
                write!(
                    f,
                    "the log was found broken when it was opened ({what}); the break is \
                     recorded at entry {seq} and must be acknowledged in Latchkey"
                )
            }
            Tamper::Unanchored { entries } => write!(
                f,
                "no head of this log is anchored, so its {entries} entr{} from #{seq} cannot be \
                 checked for a cut-off end or a rewritten history",
                if *entries == 1 { "y" } else { "ies" }
            ),
        }
    }
}

/// What the anchored head said about the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AnchorCheck {
    /// The log has no anchor: a cut-off tail or a rewritten chain cannot be detected.
    NotConfigured,
    /// The anchor store holds no head yet (a new log).
    NothingSaved,
    /// The anchor store could not be read.
    Unavailable {
        /// Its error.
        error: String,
    },
    /// The log holds the anchored entry, with the anchored hash.
    Confirmed {
        /// The anchored head.
        head: ChainHead,
    },
    /// The log contradicts the anchor; `first_problem` says how.
    Contradicted {
        /// The anchored head.
        head: ChainHead,
    },
    /// Verification stopped at an earlier problem, before the anchored entry.
    NotReached {
        /// The anchored head.
        head: ChainHead,
    },
    /// The anchored entry was pruned and no checkpoint records it (the anchor was not updated
    /// after a prune).
    Pruned {
        /// The anchored head.
        head: ChainHead,
    },
}

/// Walks the chain in one read transaction (a consistent snapshot while the writer goes on).
pub(crate) fn run(
    conn: &Connection,
    anchor: Option<&dyn Anchor>,
) -> rusqlite::Result<Verification> {
    let tx = conn.unchecked_transaction()?;
    let (anchor, anchored) = match anchor.map(|a| a.load()) {
        None => (AnchorCheck::NotConfigured, None),
        Some(Err(error)) => (AnchorCheck::Unavailable { error }, None),
        Some(Ok(None)) => (AnchorCheck::NothingSaved, None),
        Some(Ok(Some(head))) => (AnchorCheck::NotReached { head }, Some(head)),
    };
    let mut v = Verification {
        first: 0,
        verified_through: 0,
        anchor,
        first_problem: None,
        last_break: None,
    };
    let first: Option<i64> = tx.query_row("SELECT min(seq) FROM entries", [], |r| r.get(0))?;
    match first {
        Some(first) => {
            v.first = first.max(1) as u64;
            match start(&tx, v.first)? {
                Ok(prev) => walk(&tx, prev, anchored, &mut v)?,
                Err(problem) => v.first_problem = Some(problem),
            }
        }
        None => v.first = 0,
    }
    if v.first_problem.is_none()
        && let Some(head) = anchored
    {
        v.anchor = end_against_anchor(&tx, head, &mut v)?;
    }
    if let Some(problem) = &v.first_problem {
        v.verified_through = v.verified_through.min(problem.seq.0.saturating_sub(1));
    }
    // An acknowledgement counts only if anchored: one forged at the unanchored end does not.
    v.last_break = integrity::latest_break(&tx, anchored.map(|h| h.seq))?;
    if v.first_problem.is_none() {
        v.first_problem = match (&v.last_break, &v.anchor) {
            (Some(b), _) if b.acknowledged.is_none() => Some(Problem {
                seq: b.at,
                what: Tamper::Broken {
                    anchored: b.anchored,
                    found: b.found,
                },
            }),
            (_, AnchorCheck::NothingSaved) if v.verified_through > 0 => Some(Problem {
                seq: Seq(v.first),
                what: Tamper::Unanchored {
                    entries: v.verified_through + 1 - v.first,
                },
            }),
            _ => None,
        };
    }
    Ok(v)
}

/// The hash the first entry must link to: the genesis hash, or after a prune the hash the
/// checkpoint recorded for the last pruned entry.
fn start(conn: &Connection, first: u64) -> rusqlite::Result<Result<Hash, Problem>> {
    if first == 1 {
        return Ok(Ok(Hash::GENESIS));
    }
    let checkpoint: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT pruned_through, pruned_hash FROM entries
             WHERE pruned_through IS NOT NULL AND pruned_through < ?1
             ORDER BY pruned_through DESC LIMIT 1",
            [first as i64],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let deleted_from = |from: u64| Problem {
        seq: Seq(from),
        what: Tamper::Deleted {
            through: Seq(first - 1),
        },
    };
    Ok(match checkpoint {
        None => Err(deleted_from(1)),
        Some((through, hash)) if through as u64 == first - 1 => {
            hash_of(&hash).ok_or_else(|| Problem {
                seq: Seq(first),
                what: Tamper::Unreadable {
                    detail: "the checkpoint's pruned hash is not 32 bytes".to_owned(),
                },
            })
        }
        Some((through, _)) => Err(deleted_from(through.max(0) as u64 + 1)),
    })
}

/// The walk proper: each entry must carry the next `seq`, hash to its stored hash and link to
/// the previous entry's hash. At the first that does not, `diagnose` names the problem.
fn walk(
    conn: &Connection,
    genesis: Hash,
    anchored: Option<ChainHead>,
    v: &mut Verification,
) -> rusqlite::Result<()> {
    let mut query = conn.prepare(&format!("SELECT {SELECT} FROM entries ORDER BY seq"))?;
    let mut rows = query.query([])?;
    let (mut expected, mut prev) = (v.first, genesis);
    let suspect = loop {
        let row = match rows.next() {
            Ok(Some(row)) => row,
            Ok(None) => return Ok(()),
            Err(e) => break Err(unreadable(expected, e.to_string())),
        };
        let checked = match check(row, expected, &prev) {
            Ok(checked) => checked,
            Err(problem) => break Err(problem),
        };
        match checked {
            Check::Sound(hash) => {
                if let Some(head) = anchored.filter(|h| h.seq.0 == expected) {
                    if head.hash != hash {
                        v.anchor = AnchorCheck::Contradicted { head };
                        break Err(Problem {
                            seq: head.seq,
                            what: Tamper::Rewritten,
                        });
                    }
                    v.anchor = AnchorCheck::Confirmed { head };
                }
                v.verified_through = expected;
                expected += 1;
                prev = hash;
            }
            Check::Gap(found) => {
                break Err(Problem {
                    seq: Seq(expected),
                    what: Tamper::Deleted {
                        through: Seq(found - 1),
                    },
                });
            }
            Check::Broken(suspect) => break Ok(suspect),
        }
    };
    drop(rows);
    v.first_problem = Some(match suspect {
        Ok(suspect) => diagnose::diagnose(conn, expected, v.first, &prev, &suspect)?,
        Err(problem) => problem,
    });
    Ok(())
}

/// One row's verdict.
enum Check {
    /// Hashes and links correctly; its hash.
    Sound(Hash),
    /// Carries a later `seq` than expected.
    Gap(u64),
    /// Does not hash or does not link.
    Broken(diagnose::Suspect),
}

fn check(row: &Row<'_>, expected: u64, prev: &Hash) -> Result<Check, Problem> {
    let bad = |detail: &str| unreadable(expected, detail.to_owned());
    let mut fields = [Field::Null; HASHED.len()];
    for (i, field) in fields.iter_mut().enumerate() {
        let value = row.get_ref(i).map_err(|e| bad(&e.to_string()))?;
        *field = Field::from_sql(value)
            .ok_or_else(|| bad("a column holds a value of the wrong type"))?;
    }
    let stored = match row.get_ref(HASH).map_err(|e| bad(&e.to_string()))? {
        rusqlite::types::ValueRef::Blob(b) => hash_of(b),
        _ => None,
    }
    .ok_or_else(|| bad("its hash is not 32 bytes"))?;
    let seq = match fields[SEQ] {
        Field::Int(seq) if seq > 0 => seq as u64,
        _ => return Err(bad("its sequence number is not positive")),
    };
    if seq != expected {
        return Ok(Check::Gap(seq));
    }
    let link = match fields[PREV_HASH] {
        Field::Blob(b) => hash_of(b),
        _ => None,
    };
    let content_ok = canonical::row_hash(&fields) == stored;
    if content_ok && link.as_ref() == Some(prev) {
        return Ok(Check::Sound(stored));
    }
    let values = (0..=HASH)
        .map(|i| row.get::<_, Value>(i))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(&e.to_string()))?;
    Ok(Check::Broken(diagnose::Suspect {
        values,
        link,
        content_ok,
    }))
}

/// With the whole chain sound, the anchored head must be in it (checked during the walk), or
/// recorded by the checkpoint of the prune that removed it.
fn end_against_anchor(
    conn: &Connection,
    head: ChainHead,
    v: &mut Verification,
) -> rusqlite::Result<AnchorCheck> {
    if head.seq.0 > v.verified_through {
        v.first_problem = Some(Problem {
            seq: Seq(v.verified_through + 1),
            what: Tamper::TailCut { anchored: head.seq },
        });
        return Ok(AnchorCheck::Contradicted { head });
    }
    if head.seq.0 >= v.first {
        return Ok(v.anchor.clone());
    }
    let recorded: Option<Vec<u8>> = conn
        .query_row(
            "SELECT pruned_hash FROM entries WHERE pruned_through = ?1",
            [head.seq.0 as i64],
            |r| r.get(0),
        )
        .optional()?;
    Ok(match recorded.as_deref().and_then(hash_of) {
        Some(hash) if hash == head.hash => AnchorCheck::Confirmed { head },
        _ => AnchorCheck::Pruned { head },
    })
}

fn unreadable(seq: u64, detail: String) -> Problem {
    Problem {
        seq: Seq(seq),
        what: Tamper::Unreadable { detail },
    }
}
