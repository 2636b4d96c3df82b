//! Between [`Entry`] values and table rows: the fields a new row is written (and hashed) with,
//! and decoding a stored row.

use std::time::Duration;

use chrono::DateTime;
use rusqlite::Row;

use crate::AuditError;
use crate::canonical::Field;
use crate::model::{Assistant, CallResult, Decision, Entry, EntryKind, Hash, Seq};

/// The select list for reading whole entries: the hashed columns in order, then `hash`.
pub(crate) const SELECT: &str = "seq, kind, time_us, assistant, assistant_version, executable, \
     pid, bundle_id, tool, arguments, domain, decision, result, error_kind, duration_us, \
     intent_seq, pruned_through, pruned_hash, prev_hash, approval, client, hash";

/// Position of `hash` in [`SELECT`].
pub(crate) const HASH: usize = 21;

/// A row to append, before it has a place in the chain.
#[derive(Debug)]
pub(crate) struct NewRow<'a> {
    pub kind: EntryKind,
    pub assistant: Option<&'a Assistant>,
    pub tool: Option<&'a str>,
    pub arguments: Option<&'a str>,
    pub domain: Option<&'a str>,
    pub decision: Option<Decision>,
    pub result: Option<&'static str>,
    pub error_kind: Option<&'a str>,
    pub duration_us: Option<i64>,
    pub intent: Option<Seq>,
    pub pruned: Option<(Seq, &'a Hash)>,
    pub approval: Option<&'a str>,
}

impl<'a> NewRow<'a> {
    /// A row of `kind` with every optional column empty.
    pub(crate) fn new(kind: EntryKind) -> Self {
        NewRow {
            kind,
            assistant: None,
            tool: None,
            arguments: None,
            domain: None,
            decision: None,
            result: None,
            error_kind: None,
            duration_us: None,
            intent: None,
            pruned: None,
            approval: None,
        }
    }

    /// The row's hashed columns, in `canonical::HASHED` order.
    pub(crate) fn fields(&'a self, seq: Seq, time_us: i64, prev: &'a Hash) -> [Field<'a>; 21] {
        let assistant = self.assistant;
        [
            Field::Int(seq_to_sql(seq)),
            Field::Text(self.kind.as_str()),
            Field::Int(time_us),
            Field::text(assistant.map(|a| a.name.as_str())),
            Field::text(assistant.map(|a| a.version.as_str())),
            Field::text(assistant.and_then(|a| a.executable.as_deref())),
            Field::int(assistant.and_then(|a| a.pid).map(i64::from)),
            Field::text(assistant.and_then(|a| a.bundle_id.as_deref())),
            Field::text(self.tool),
            Field::text(self.arguments),
            Field::text(self.domain),
            Field::text(self.decision.map(Decision::as_str)),
            Field::text(self.result),
            Field::text(self.error_kind),
            Field::int(self.duration_us),
            Field::int(self.intent.map(seq_to_sql)),
            Field::int(self.pruned.map(|(s, _)| seq_to_sql(s))),
            self.pruned.map_or(Field::Null, |(_, h)| Field::Blob(&h.0)),
            Field::Blob(&prev.0),
            Field::text(self.approval),
            Field::text(assistant.and_then(|a| a.client.as_deref())),
        ]
    }
}

/// Sequence numbers are SQLite integers; a chain never nears 2^63 entries.
pub(crate) fn seq_to_sql(seq: Seq) -> i64 {
    i64::try_from(seq.0).unwrap_or(i64::MAX)
}

/// A stored hash column, if it holds 32 bytes.
pub(crate) fn hash_of(bytes: &[u8]) -> Option<Hash> {
    bytes.try_into().ok().map(Hash)
}

/// Decodes a row selected with [`SELECT`]. Anything a well-formed row cannot hold is
/// `Unreadable`: the row was changed outside this crate.
pub(crate) fn decode(row: &Row<'_>) -> Result<Entry, AuditError> {
    let seq = Seq(row.get::<_, i64>(0).unwrap_or_default().max(0) as u64);
    let bad = |detail: String| AuditError::Unreadable { seq, detail };
    let sql = |e: rusqlite::Error| bad(e.to_string());
    let text = |i: usize| row.get::<_, Option<String>>(i).map_err(sql);
    let int = |i: usize| row.get::<_, Option<i64>>(i).map_err(sql);
    let blob = |i: usize| -> Result<Option<Hash>, AuditError> {
        match row.get::<_, Option<Vec<u8>>>(i).map_err(sql)? {
            None => Ok(None),
            Some(bytes) => hash_of(&bytes)
                .map(Some)
                .ok_or_else(|| bad("a hash is not 32 bytes".to_owned())),
        }
    };
    let kind_text = text(1)?.unwrap_or_default();
    let kind = EntryKind::parse(&kind_text).ok_or_else(|| bad(format!("kind {kind_text:?}")))?;
    let time_us = int(2)?.unwrap_or_default();
    let time =
        DateTime::from_timestamp_micros(time_us).ok_or_else(|| bad(format!("time {time_us}")))?;
    let assistant = match text(3)? {
        None => None,
        Some(name) => Some(Assistant {
            name,
            client: text(20)?,
            version: text(4)?.unwrap_or_default(),
            executable: text(5)?,
            pid: int(6)?
                .map(|p| u32::try_from(p).map_err(|_| bad(format!("pid {p}"))))
                .transpose()?,
            bundle_id: text(7)?,
        }),
    };
    let arguments = text(9)?
        .map(|json| serde_json::from_str(&json).map_err(|e| bad(format!("arguments: {e}"))))
        .transpose()?;
    let decision = text(11)?
        .map(|d| Decision::parse(&d).ok_or_else(|| bad(format!("decision {d:?}"))))
        .transpose()?;
    let result = match text(12)?.as_deref() {
        None => None,
        Some("ok") => Some(CallResult::Ok),
        Some("error") => Some(CallResult::Error(text(13)?.unwrap_or_default())),
        Some(other) => return Err(bad(format!("result {other:?}"))),
    };
    let seq_at =
        |i: usize| -> Result<Option<Seq>, AuditError> { Ok(int(i)?.map(|s| Seq(s.max(0) as u64))) };
    Ok(Entry {
        seq,
        time,
        kind,
        assistant,
        tool: text(8)?,
        arguments,
        domain: text(10)?,
        decision,
        approval: text(19)?,
        result,
        duration: int(14)?.map(|us| Duration::from_micros(us.max(0) as u64)),
        intent: seq_at(15)?,
        pruned_through: seq_at(16)?,
        pruned_hash: blob(17)?,
        prev_hash: blob(18)?.ok_or_else(|| bad("no prev_hash".to_owned()))?,
        hash: blob(HASH)?.ok_or_else(|| bad("no hash".to_owned()))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::HASHED;

    #[test]
    fn the_select_list_is_the_hashed_columns_then_the_hash() {
        let expected = format!("{}, hash", HASHED.join(", "));
        let actual: Vec<&str> = SELECT.split(',').map(str::trim).collect();
        assert_eq!(actual.join(", "), expected);
        assert_eq!(actual[HASH], "hash");
    }
}
