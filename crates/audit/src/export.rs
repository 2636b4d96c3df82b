//! Export: the matching entries, oldest first, streamed row by row as JSON Lines or CSV, so
//! memory stays flat however long the log is.

use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::SecondsFormat;
use rusqlite::Connection;

use crate::AuditError;
use crate::model::{CallResult, Entry};
use crate::row::{SELECT, decode};
use crate::search::{Filter, Order, Query};

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// One JSON object per line, as [`Entry`] serialises.
    Jsonl,
    /// A header row, then one row per entry; arguments as JSON text.
    Csv,
}

const CSV_HEADER: [&str; 22] = [
    "seq",
    "time",
    "kind",
    "assistant",
    "assistant_version",
    "executable",
    "pid",
    "bundle_id",
    "tool",
    "arguments",
    "domain",
    "decision",
    "result",
    "error_kind",
    "duration_us",
    "intent_seq",
    "pruned_through",
    "pruned_hash",
    "prev_hash",
    "hash",
    // Added with schema 2: last, so scripts that read columns by position keep working.
    "approval",
    // Added with schema 3.
    "client",
];

/// Writes the entries matching `filter` to `out`; returns how many.
pub(crate) fn export(
    conn: &Connection,
    path: &Path,
    filter: &Filter,
    format: ExportFormat,
    out: impl Write,
) -> Result<u64, AuditError> {
    let sqlite = |e| AuditError::sqlite(path, e);
    let failed = |e: &dyn std::fmt::Display| AuditError::Export(e.to_string());
    let mut sink = match format {
        ExportFormat::Jsonl => Sink::Jsonl(BufWriter::new(out)),
        ExportFormat::Csv => {
            let mut csv = csv::Writer::from_writer(out);
            csv.write_record(CSV_HEADER).map_err(|e| failed(&e))?;
            Sink::Csv(Box::new(csv))
        }
    };
    let mut count = 0;
    if let Some(query) = Query::new(conn, filter).map_err(sqlite)? {
        let (sql, params) = query.sql(SELECT, None, Order::Oldest);
        let mut statement = conn.prepare(&sql).map_err(sqlite)?;
        let mut rows = statement
            .query(rusqlite::params_from_iter(params))
            .map_err(sqlite)?;
        while let Some(row) = rows.next().map_err(sqlite)? {
            sink.write(&decode(row)?)?;
            count += 1;
        }
    }
    sink.finish()?;
    Ok(count)
}

enum Sink<W: Write> {
    Jsonl(BufWriter<W>),
    // Boxed: the CSV writer carries its own buffer inline.
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> Sink<W> {
    fn write(&mut self, entry: &Entry) -> Result<(), AuditError> {
        let failed = |e: &dyn std::fmt::Display| AuditError::Export(e.to_string());
        match self {
            Sink::Jsonl(out) => {
                serde_json::to_writer(&mut *out, entry).map_err(|e| failed(&e))?;
                out.write_all(b"\n").map_err(|e| failed(&e))
            }
            Sink::Csv(out) => out.write_record(csv_row(entry)).map_err(|e| failed(&e)),
        }
    }

    fn finish(self) -> Result<(), AuditError> {
        let failed = |e: &dyn std::fmt::Display| AuditError::Export(e.to_string());
        match self {
            Sink::Jsonl(mut out) => out.flush().map_err(|e| failed(&e)),
            Sink::Csv(mut out) => out.flush().map_err(|e| failed(&e)),
        }
    }
}

fn csv_row(e: &Entry) -> [String; 22] {
    let assistant = e.assistant.as_ref();
    let number = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
    let (result, error_kind) = match &e.result {
        None => ("", None),
        Some(CallResult::Ok) => ("ok", None),
        Some(CallResult::Error(kind)) => ("error", Some(kind.as_str())),
    };
    [
        e.seq.to_string(),
        e.time.to_rfc3339_opts(SecondsFormat::Micros, true),
        e.kind.as_str().to_owned(),
        cell(assistant.map(|a| a.name.as_str())),
        cell(assistant.map(|a| a.version.as_str())),
        cell(assistant.and_then(|a| a.executable.as_deref())),
        number(assistant.and_then(|a| a.pid).map(u64::from)),
        cell(assistant.and_then(|a| a.bundle_id.as_deref())),
        cell(e.tool.as_deref()),
        cell(e.arguments.as_ref().map(|a| a.to_string()).as_deref()),
        cell(e.domain.as_deref()),
        e.decision
            .map(|d| d.as_str())
            .unwrap_or_default()
            .to_owned(),
        result.to_owned(),
        cell(error_kind),
        number(e.duration.map(|d| d.as_micros() as u64)),
        number(e.intent.map(|s| s.0)),
        number(e.pruned_through.map(|s| s.0)),
        e.pruned_hash.map(|h| h.to_string()).unwrap_or_default(),
        e.prev_hash.to_string(),
        e.hash.to_string(),
        cell(e.approval.as_deref()),
        cell(assistant.and_then(|a| a.client.as_deref())),
    ]
}

/// Text that came from an assistant, made inert for spreadsheets: a cell starting with
/// `=`, `+`, `-`, `@` or a control character would run as a formula, so it gets a leading `'`.
fn cell(text: Option<&str>) -> String {
    match text {
        None => String::new(),
        Some(t) if t.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{t}"),
        Some(t) => t.to_owned(),
    }
}
