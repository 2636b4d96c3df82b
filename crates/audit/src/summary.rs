//! Small summaries for the app's filters and the Assistants page, read from recent entries.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use serde::Serialize;

/// Entries looked at for filter choices: the newest this many (enough to cover what a person
/// is looking for, bounded so the query is fast on a million entries).
const RECENT: i64 = 10_000;
/// At most this many choices per filter.
const CHOICES: i64 = 200;

/// The values recent entries hold, for filter drop-downs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    /// Assistant names (`clientInfo.name`), sorted.
    pub assistants: Vec<String>,
    /// Tool names, sorted.
    pub tools: Vec<String>,
    /// Domains, sorted.
    pub domains: Vec<String>,
}

pub(crate) fn facets(conn: &Connection) -> rusqlite::Result<Facets> {
    let distinct = |column: &str| -> rusqlite::Result<Vec<String>> {
        // `column` is one of three fixed names below, never input.
        let sql = format!(
            "SELECT DISTINCT {column} FROM (SELECT {column} FROM entries ORDER BY seq DESC LIMIT ?1) \
             WHERE {column} IS NOT NULL ORDER BY {column} LIMIT ?2"
        );
        let mut statement = conn.prepare(&sql)?;
        let rows = statement.query_map(params![RECENT, CHOICES], |r| r.get(0))?;
        rows.collect()
    };
    Ok(Facets {
        assistants: distinct("assistant")?,
        tools: distinct("tool")?,
        domains: distinct("domain")?,
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
