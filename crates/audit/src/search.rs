//! Finding entries: filters over indexed columns and the word index, newest first, one page at
//! a time. Pages continue from a cursor (`before`), not an offset, so the thousandth page costs
//! what the first does.
//!
//! A time range becomes a `seq` range first (times never decrease along the chain), so every
//! filter is an index walk in `seq` order that stops once the page is full.

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::AuditError;
use crate::index;
use crate::model::{Decision, Entry, Seq};
use crate::row::{SELECT, decode, seq_to_sql};

/// Counting matches stops here; beyond it the total is "at least".
const COUNT_CAP: u64 = 10_000;

/// Which entries to find. Empty fields match everything; set fields must all match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(default)]
pub struct Filter {
    /// The assistant, exactly as the audit names it (the allow-list's name) or as it named
    /// itself (`clientInfo.name`).
    pub assistant: Option<String>,
    /// The tool's name, exactly.
    pub tool: Option<String>,
    /// The target domain, exactly (e.g. `jamf:acme.jamfcloud.com`).
    pub domain: Option<String>,
    /// The decision.
    pub decision: Option<Decision>,
    /// Admin entries only, or the assistants' calls (intents and outcomes) only.
    pub kind: Option<KindFilter>,
    /// Entries written at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Entries written at or before this time.
    pub until: Option<DateTime<Utc>>,
    /// Words, each matched as a word or word prefix (case-insensitive) in the assistant's
    /// name, the tool, the domain, the arguments and the error kind: `acme C02XL` finds
    /// entries about `acme.jamfcloud.com` and serial `C02XL0GHJGH5`.
    pub text: Option<String>,
}

/// Which kind of entry a [`Filter`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum KindFilter {
    /// Admin entries ([`crate::EntryKind::Admin`]): unlocks, credentials, policy, approvals.
    Admin,
    /// The assistants' calls: intents and outcomes.
    Tool,
}

/// Which page: up to `limit` entries older than `before` (newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Continue below this entry (a previous page's `next`); `None` for the newest.
    pub before: Option<Seq>,
    /// At most this many entries.
    pub limit: u32,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            before: None,
            limit: 100,
        }
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchPage {
    /// Newest first.
    pub entries: Vec<Entry>,
    /// The cursor for the next page, if this one was full.
    pub next: Option<Seq>,
    /// How many entries match in all pages.
    pub total: Total,
}

/// A count of matches, exact up to a cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Total {
    /// Exactly this many.
    Exact(u64),
    /// More than this many (counting stopped).
    AtLeast(u64),
}

/// Result order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    Oldest,
    Newest,
}

/// A filter as SQL: a `FROM` clause, conditions and their parameters.
#[derive(Debug)]
pub(crate) struct Query {
    from: &'static str,
    /// What counting needs: the word index alone, without the join.
    count_from: &'static str,
    /// The column results are ordered and paged by: `seq`, or the word index's rowid (equal to
    /// it), which lets SQLite walk the word index in order and stop early.
    key: &'static str,
    conditions: Vec<String>,
    params: Vec<Value>,
}

impl Query {
    /// The query for `filter`, or `None` if nothing can match (an empty time range).
    pub(crate) fn new(conn: &Connection, filter: &Filter) -> rusqlite::Result<Option<Query>> {
        let mut query = match index::match_expression(filter) {
            Some(expression) => Query {
                from: "entries_text JOIN entries ON entries.seq = entries_text.rowid",
                count_from: "entries_text",
                key: "entries_text.rowid",
                conditions: vec!["entries_text MATCH ?".to_owned()],
                params: vec![Value::Text(expression)],
            },
            None => Query {
                from: "entries",
                count_from: "entries",
                key: "seq",
                conditions: Vec::new(),
                params: Vec::new(),
            },
        };
        if filter.kind == Some(KindFilter::Tool) {
            // Counting must see the kind too, so it goes through the join.
            query.count_from = query.from;
            query
                .conditions
                .push("entries.kind IN ('intent', 'outcome')".to_owned());
        }
        if let Some(since) = filter.since {
            let first = conn
                .query_row(
                    "SELECT seq FROM entries WHERE time_us >= ?1 ORDER BY time_us, seq LIMIT 1",
                    [since.timestamp_micros()],
                    |r| r.get::<_, i64>(0),
                )
                .optional()?;
            let Some(first) = first else { return Ok(None) };
            query.push(format!("{} >= ?", query.key), Value::Integer(first));
        }
        if let Some(until) = filter.until {
            let last = conn
                .query_row(
                    "SELECT seq FROM entries WHERE time_us <= ?1
                     ORDER BY time_us DESC, seq DESC LIMIT 1",
                    [until.timestamp_micros()],
                    |r| r.get::<_, i64>(0),
                )
                .optional()?;
            let Some(last) = last else { return Ok(None) };
            query.push(format!("{} <= ?", query.key), Value::Integer(last));
        }
        Ok(Some(query))
    }

    fn push(&mut self, condition: String, param: Value) {
        self.conditions.push(condition);
        self.params.push(param);
    }

    /// `SELECT <select>` with the conditions, entries before `before`, in `order`.
    pub(crate) fn sql(
        &self,
        select: &str,
        before: Option<Seq>,
        order: Order,
    ) -> (String, Vec<Value>) {
        self.sql_from(self.from, select, before, order)
    }

    fn sql_from(
        &self,
        from: &str,
        select: &str,
        before: Option<Seq>,
        order: Order,
    ) -> (String, Vec<Value>) {
        let mut conditions = self.conditions.clone();
        let mut params = self.params.clone();
        if let Some(before) = before {
            conditions.push(format!("{} < ?", self.key));
            params.push(Value::Integer(seq_to_sql(before)));
        }
        let filter = match conditions.is_empty() {
            true => String::new(),
            false => format!(" WHERE {}", conditions.join(" AND ")),
        };
        let direction = match order {
            Order::Oldest => "ASC",
            Order::Newest => "DESC",
        };
        let sql = format!(
            "SELECT {select} FROM {from}{filter} ORDER BY {} {direction}",
            self.key
        );
        (sql, params)
    }
}

/// One page of entries matching `filter`.
pub(crate) fn search(
    conn: &Connection,
    path: &Path,
    filter: &Filter,
    page: Page,
) -> Result<SearchPage, AuditError> {
    let sqlite = |e| AuditError::sqlite(path, e);
    let empty = SearchPage {
        entries: Vec::new(),
        next: None,
        total: Total::Exact(0),
    };
    let Some(query) = Query::new(conn, filter).map_err(sqlite)? else {
        return Ok(empty);
    };
    let (sql, params) = query.sql(SELECT, page.before, Order::Newest);
    let mut statement = conn
        .prepare_cached(&format!("{sql} LIMIT {}", page.limit))
        .map_err(sqlite)?;
    let mut rows = statement
        .query(rusqlite::params_from_iter(params))
        .map_err(sqlite)?;
    let mut entries = Vec::new();
    while let Some(row) = rows.next().map_err(sqlite)? {
        entries.push(decode(row)?);
    }
    let (count, params) = query.sql_from(query.count_from, "1", None, Order::Newest);
    let matches: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM ({count} LIMIT {})",
            COUNT_CAP + 1
        ))
        .and_then(|mut s| s.query_row(rusqlite::params_from_iter(params), |r| r.get(0)))
        .map_err(sqlite)?;
    let total = match matches.max(0) as u64 {
        n if n > COUNT_CAP => Total::AtLeast(COUNT_CAP),
        n => Total::Exact(n),
    };
    let next = match entries.len() == page.limit as usize {
        true => entries.last().map(|e| e.seq),
        false => None,
    };
    Ok(SearchPage {
        entries,
        next,
        total,
    })
}

/// The last `n` entries, oldest first.
pub(crate) fn tail(conn: &Connection, path: &Path, n: u32) -> Result<Vec<Entry>, AuditError> {
    let sqlite = |e| AuditError::sqlite(path, e);
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {SELECT} FROM entries ORDER BY seq DESC LIMIT ?1"
        ))
        .map_err(sqlite)?;
    let mut rows = statement.query([n]).map_err(sqlite)?;
    let mut entries = Vec::new();
    while let Some(row) = rows.next().map_err(sqlite)? {
        entries.push(decode(row)?);
    }
    entries.reverse();
    Ok(entries)
}

/// The outcomes of `intents` that have one, in the order given.
pub(crate) fn outcomes_of(
    conn: &Connection,
    path: &Path,
    intents: &[Seq],
) -> Result<Vec<Entry>, AuditError> {
    let sqlite = |e| AuditError::sqlite(path, e);
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {SELECT} FROM entries WHERE intent_seq = ?1"
        ))
        .map_err(sqlite)?;
    let mut outcomes = Vec::new();
    for intent in intents {
        let mut rows = statement.query([seq_to_sql(*intent)]).map_err(sqlite)?;
        if let Some(row) = rows.next().map_err(sqlite)? {
            outcomes.push(decode(row)?);
        }
    }
    Ok(outcomes)
}
