//! Appending to the chain. One write transaction reads the chain's head once, then links each
//! new entry to the one before: `record_intent` appends one entry this way, the bulk path
//! (benchmarks, imports) many, through the same hashing code.

use std::path::Path;
use std::sync::LazyLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, ErrorCode, OptionalExtension, Transaction, TransactionBehavior};

use crate::AuditError;
use crate::canonical::{self, Field};
use crate::cap::capped;
use crate::model::{
    AdminEvent, Assistant, CallResult, Decision, EntryKind, Hash, Intent, Outcome, Seq,
};
use crate::redact::{redact, redact_text};
use crate::row::{HASH, NewRow, SELECT, hash_of, seq_to_sql};

/// Error kinds are labels, not messages: longer ones are cut (at a character boundary).
const MAX_ERROR_KIND: usize = 200;

static INSERT: LazyLock<String> = LazyLock::new(|| {
    let params: Vec<String> = (1..=HASH + 1).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO entries ({SELECT}) VALUES ({})",
        params.join(", ")
    )
});

/// The newest entry: the next one links to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    pub seq: Seq,
    pub time_us: i64,
    pub hash: Hash,
}

/// Appends entries inside one write transaction. Dropped without being committed, it writes
/// nothing: an entry is never half-written.
#[doc(hidden)]
#[derive(Debug)]
pub struct Appender<'c> {
    tx: Transaction<'c>,
    path: &'c Path,
    head: Head,
}

impl<'c> Appender<'c> {
    /// Takes the write lock (`BEGIN IMMEDIATE`, so no other writer slips in between reading
    /// the head and appending) and reads the head.
    pub(crate) fn begin(conn: &'c mut Connection, path: &'c Path) -> Result<Self, AuditError> {
        let sqlite = |e| AuditError::sqlite(path, e);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite)?;
        let head = read_head(&tx, path)?;
        Ok(Appender { tx, path, head })
    }

    /// Appends an intent written at `time` (its arguments redacted, and capped: see
    /// [`crate::MAX_STORED_ARGUMENTS`]).
    pub fn intent(&mut self, time: DateTime<Utc>, intent: &Intent) -> Result<Seq, AuditError> {
        let arguments = capped(redact(intent.arguments.clone()).to_string());
        let row = NewRow {
            assistant: Some(&intent.assistant),
            tool: Some(&intent.tool),
            arguments: Some(&arguments),
            domain: intent.domain.as_deref(),
            decision: Some(intent.decision),
            approval: intent.approval.as_deref(),
            ..NewRow::new(EntryKind::Intent)
        };
        self.append(time, &row)
    }

    /// Appends an admin event written at `time` (its details redacted).
    pub fn admin(&mut self, time: DateTime<Utc>, event: &AdminEvent) -> Result<Seq, AuditError> {
        let details = redact(event.details.clone()).to_string();
        self.admin_row(
            time,
            &event.actor,
            &event.action,
            &details,
            event.domain.as_deref(),
            Some(event.decision),
        )
    }

    /// Appends an admin entry whose details are already JSON text, unredacted: for the log's
    /// own records (`chain.broken`), whose hashes redaction would hide.
    pub(crate) fn admin_row(
        &mut self,
        time: DateTime<Utc>,
        actor: &Assistant,
        action: &str,
        details: &str,
        domain: Option<&str>,
        decision: Option<Decision>,
    ) -> Result<Seq, AuditError> {
        let row = NewRow {
            assistant: Some(actor),
            tool: Some(action),
            arguments: Some(details),
            domain,
            decision,
            ..NewRow::new(EntryKind::Admin)
        };
        self.append(time, &row)
    }

    /// Appends the outcome of `intent`, repeating its assistant, tool, domain and decision.
    pub fn outcome(
        &mut self,
        time: DateTime<Utc>,
        intent: Seq,
        outcome: &Outcome,
    ) -> Result<Seq, AuditError> {
        let context = self.intent_context(intent)?;
        let error_kind = match &outcome.result {
            CallResult::Ok => None,
            CallResult::Error(kind) => Some(truncate(redact_text(kind), MAX_ERROR_KIND)),
        };
        let row = NewRow {
            assistant: context.assistant.as_ref(),
            tool: context.tool.as_deref(),
            domain: context.domain.as_deref(),
            decision: context.decision,
            result: Some(match outcome.result {
                CallResult::Ok => "ok",
                CallResult::Error(_) => "error",
            }),
            error_kind,
            duration_us: Some(micros(outcome.duration)),
            intent: Some(intent),
            ..NewRow::new(EntryKind::Outcome)
        };
        self.append(time, &row).map_err(|e| match e {
            AuditError::Sqlite { source, .. }
                if source.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) =>
            {
                AuditError::OutcomeExists { seq: intent }
            }
            other => other,
        })
    }

    /// Appends a checkpoint: entries through `through` were pruned, the last had `hash`.
    pub(crate) fn checkpoint(
        &mut self,
        time: DateTime<Utc>,
        through: Seq,
        hash: &Hash,
    ) -> Result<Seq, AuditError> {
        let row = NewRow {
            pruned: Some((through, hash)),
            ..NewRow::new(EntryKind::Checkpoint)
        };
        self.append(time, &row)
    }

    /// The newest entry, including those appended so far.
    pub(crate) fn head(&self) -> Head {
        self.head
    }

    /// The open transaction, for pruning inside it.
    pub(crate) fn tx(&self) -> &Transaction<'c> {
        &self.tx
    }

    /// Runs `f`, keeping what it appends only if it succeeds (a savepoint): what was appended
    /// before stays either way, unless SQLite rolled the whole transaction back on an error
    /// (a full disk can), which the commit then reports.
    pub(crate) fn all_or_nothing<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, AuditError>,
    ) -> Result<T, AuditError> {
        let head = self.head;
        self.tx
            .execute_batch("SAVEPOINT entry")
            .map_err(|e| AuditError::sqlite(self.path, e))?;
        let value = f(self);
        match &value {
            Ok(_) => self
                .tx
                .execute_batch("RELEASE entry")
                .map_err(|e| AuditError::sqlite(self.path, e))?,
            Err(_) => {
                self.head = head;
                // The error that matters is `f`'s.
                let _ = self.tx.execute_batch("ROLLBACK TO entry; RELEASE entry");
            }
        }
        value
    }

    /// Commits; returns the new head.
    pub(crate) fn commit(self) -> Result<Head, AuditError> {
        self.tx
            .commit()
            .map_err(|e| AuditError::sqlite(self.path, e))?;
        Ok(self.head)
    }

    /// Links `row` to the head, hashes it and inserts it (the word index follows: see
    /// [`crate::index::catch_up`]). Times never go backwards along the chain (a clock stepped
    /// back repeats the last time), which keeps time ranges equal to `seq` ranges for search.
    fn append(&mut self, time: DateTime<Utc>, row: &NewRow<'_>) -> Result<Seq, AuditError> {
        let sqlite = |e| AuditError::sqlite(self.path, e);
        let seq = Seq(self.head.seq.0 + 1);
        let time_us = time.timestamp_micros().max(self.head.time_us);
        let prev = self.head.hash;
        let fields = row.fields(seq, time_us, &prev);
        let hash = canonical::row_hash(&fields);
        let params = fields.into_iter().chain([Field::Blob(&hash.0)]);
        self.tx
            .prepare_cached(&INSERT)
            .and_then(|mut insert| insert.execute(rusqlite::params_from_iter(params)))
            .map_err(sqlite)?;
        self.head = Head { seq, time_us, hash };
        Ok(seq)
    }

    fn intent_context(&self, intent: Seq) -> Result<IntentContext, AuditError> {
        let sqlite = |e| AuditError::sqlite(self.path, e);
        let row = self
            .tx
            .prepare_cached(
                "SELECT assistant, assistant_version, executable, pid, bundle_id, tool, domain,
                        decision, client
                 FROM entries WHERE seq = ?1 AND kind = 'intent'",
            )
            .and_then(|mut query| {
                query
                    .query_row([seq_to_sql(intent)], |r| {
                        let assistant = r.get::<_, Option<String>>(0)?.map(|name| {
                            Ok::<_, rusqlite::Error>(Assistant {
                                name,
                                client: r.get(8)?,
                                version: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                                executable: r.get(2)?,
                                pid: r.get(3)?,
                                bundle_id: r.get(4)?,
                            })
                        });
                        Ok(IntentContext {
                            assistant: assistant.transpose()?,
                            tool: r.get(5)?,
                            domain: r.get(6)?,
                            decision: r
                                .get::<_, Option<String>>(7)?
                                .as_deref()
                                .and_then(Decision::parse),
                        })
                    })
                    .optional()
            })
            .map_err(sqlite)?;
        row.ok_or(AuditError::NotAnIntent { seq: intent })
    }
}

/// What an outcome repeats from its intent.
struct IntentContext {
    assistant: Option<Assistant>,
    tool: Option<String>,
    domain: Option<String>,
    decision: Option<Decision>,
}

fn read_head(conn: &Connection, path: &Path) -> Result<Head, AuditError> {
    let head = conn
        .query_row(
            "SELECT seq, time_us, hash FROM entries ORDER BY seq DESC LIMIT 1",
            [],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            },
        )
        .optional()
        .map_err(|e| AuditError::sqlite(path, e))?;
    let Some((seq, time_us, hash)) = head else {
        return Ok(Head {
            seq: Seq(0),
            time_us: i64::MIN,
            hash: Hash::GENESIS,
        });
    };
    let hash = hash_of(&hash).ok_or_else(|| AuditError::Corrupt {
        path: path.to_path_buf(),
        detail: format!("the hash of entry {seq} is not 32 bytes"),
    })?;
    Ok(Head {
        seq: Seq(seq.max(0) as u64),
        time_us,
        hash,
    })
}

fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}
