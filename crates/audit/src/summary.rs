//! Small summaries for the app's filters and the Assistants page, read from recent entries.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use serde::Serialize;

/// Entries looked at for filter choices: the newest this many (enough to cover what a person
/// is looking for, bounded so the query is fast on a million entries).
const RECENT: i64 = 10_000;
/// At most this many choices per filter.
const CHOICES: i64 = 200;
/// The kinds that are an assistant's calls.
const CALLS: &str = "'intent', 'outcome'";

/// The values recent entries hold, for filter drop-downs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Facets {
    /// Assistant names (as the allow-list names them), sorted.
    pub assistants: Vec<String>,
    /// Tool names (of calls), sorted.
    pub tools: Vec<String>,
    /// Admin actions (`unlock`, `credential.add`, …), sorted.
    pub actions: Vec<String>,
    /// Domains, sorted.
    pub domains: Vec<String>,
}

pub(crate) fn facets(conn: &Connection) -> rusqlite::Result<Facets> {
    let distinct = |column: &str, kinds: &str| -> rusqlite::Result<Vec<String>> {
        // `column` and `kinds` are fixed text below, never input.
        let sql = format!(
            "SELECT DISTINCT {column} FROM \
             (SELECT {column}, kind FROM entries ORDER BY seq DESC LIMIT ?1) \
             WHERE {column} IS NOT NULL AND kind IN ({kinds}) ORDER BY {column} LIMIT ?2"
        );
        let mut statement = conn.prepare(&sql)?;
        let rows = statement.query_map(params![RECENT, CHOICES], |r| r.get(0))?;
        rows.collect()
    };
    Ok(Facets {
        assistants: distinct("assistant", CALLS)?,
        tools: distinct("tool", CALLS)?,
        actions: distinct("tool", "'admin'")?,
        domains: distinct("domain", "'intent', 'outcome', 'admin'")?,
    })
}

/// How many calls (intents) a program made since `since`.
pub(crate) fn calls_since(
    conn: &Connection,
    executable: &str,
    since: DateTime<Utc>,
) -> rusqlite::Result<u64> {
    let count: i64 = conn.query_row(
        "SELECT count(*) FROM entries WHERE time_us >= ?1 AND kind = 'intent' AND executable = ?2",
        params![since.timestamp_micros(), executable],
        |r| r.get(0),
    )?;
    Ok(count.unsigned_abs())
}
