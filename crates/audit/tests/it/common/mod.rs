//! Shared helpers: sample calls, an in-memory anchor, and the attacker's tools — a separate
//! SQLite connection to the log file and an independent implementation of the canonical
//! encoding from the README (so the README and the code are checked against each other).

#![allow(dead_code)] // each test binary uses its own subset

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use latchkey_audit::{
    Anchor, Assistant, AuditLog, CallResult, ChainHead, Decision, Intent, Options, Outcome, Seq,
};
use rusqlite::Connection;
use rusqlite::types::ValueRef;
use serde_json::json;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// A Claude Desktop–like assistant.
pub fn claude() -> Assistant {
    Assistant {
        name: "claude-ai".to_owned(),
        client: None,
        version: "0.14.1".to_owned(),
        executable: Some("/Applications/Claude.app/Contents/MacOS/Claude".to_owned()),
        pid: Some(4242),
        bundle_id: Some("com.anthropic.claudefordesktop".to_owned()),
    }
}

/// A read-only Jamf call about one computer.
pub fn intent(n: u64) -> Intent {
    Intent {
        assistant: claude(),
        tool: "jamf_get_computer".to_owned(),
        arguments: json!({"serial": format!("C02XL0GH{n:04}"), "section": "GENERAL"}),
        domain: Some("jamf:acme.jamfcloud.com".to_owned()),
        decision: Decision::Allowed,
        approval: None,
    }
}

pub fn ok() -> Outcome {
    Outcome {
        result: CallResult::Ok,
        duration: Duration::from_millis(120),
    }
}

/// A new log in a temp dir.
pub fn new_log(options: Options) -> (TempDir, AuditLog) {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open_with(dir.path().join("audit/audit.db"), options).unwrap();
    (dir, log)
}

/// Records `calls` calls (intent + outcome each: 2 entries per call).
pub fn record_calls(log: &AuditLog, calls: u64) {
    for n in 0..calls {
        let seq = log.record_intent(&intent(n)).unwrap();
        log.record_outcome(seq, &ok()).unwrap();
    }
}

/// An anchor in memory, shared between the log and the test.
#[derive(Debug, Default)]
pub struct MemoryAnchor {
    pub head: Mutex<Option<ChainHead>>,
    pub saves: Mutex<u64>,
}

impl MemoryAnchor {
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    pub fn get(&self) -> Option<ChainHead> {
        *self.head.lock().unwrap()
    }
}

impl Anchor for MemoryAnchor {
    fn save(&self, head: &ChainHead) -> Result<(), String> {
        *self.head.lock().unwrap() = Some(*head);
        *self.saves.lock().unwrap() += 1;
        Ok(())
    }

    fn load(&self) -> Result<Option<ChainHead>, String> {
        Ok(self.get())
    }
}

pub fn anchored(anchor: &Arc<MemoryAnchor>) -> Options {
    Options {
        anchor: Some(anchor.clone()),
        ..Options::default()
    }
}

/// The attacker's own connection to the log file.
pub fn attacker(path: &Path) -> Connection {
    Connection::open(path).unwrap()
}

/// The hashed columns, in the README's order (`approval` last, and only when not NULL).
const HASHED: &str = "seq, kind, time_us, assistant, assistant_version, executable, pid, \
    bundle_id, tool, arguments, domain, decision, result, error_kind, duration_us, intent_seq, \
    pruned_through, pruned_hash, prev_hash";

/// The hash of the row at `seq`, per the README's canonical encoding.
pub fn readme_hash(conn: &Connection, seq: i64) -> Vec<u8> {
    readme_hash_of(conn, seq, &format!("{HASHED}, approval, client"))
}

/// The hash of the row at `seq` as the first version (schema 1, no `approval`) wrote it.
pub fn readme_hash_v1(conn: &Connection, seq: i64) -> Vec<u8> {
    readme_hash_of(conn, seq, HASHED)
}

fn readme_hash_of(conn: &Connection, seq: i64, columns: &str) -> Vec<u8> {
    let count = columns.split(',').count();
    conn.query_row(
        &format!("SELECT {columns} FROM entries WHERE seq = ?1"),
        [seq],
        |row| {
            let mut h = Sha256::new();
            h.update(b"latchkey-audit v1\n");
            // approval and client: encoded up to the last that is present.
            let mut encoded = count;
            while encoded > 19 && matches!(row.get_ref(encoded - 1)?, ValueRef::Null) {
                encoded -= 1;
            }
            for i in 0..encoded {
                match row.get_ref(i)? {
                    ValueRef::Null => h.update([0]),
                    ValueRef::Integer(v) => {
                        h.update([1]);
                        h.update(v.to_be_bytes());
                    }
                    ValueRef::Text(t) => {
                        h.update([2]);
                        h.update((t.len() as u64).to_be_bytes());
                        h.update(t);
                    }
                    ValueRef::Blob(b) => {
                        h.update([3]);
                        h.update((b.len() as u64).to_be_bytes());
                        h.update(b);
                    }
                    ValueRef::Real(_) => unreachable!("no REAL columns"),
                }
            }
            Ok(h.finalize().to_vec())
        },
    )
    .unwrap()
}

/// Recomputes the hash of the row at `seq` (a careful attacker's edit).
pub fn rehash(conn: &Connection, seq: i64) {
    let hash = readme_hash(conn, seq);
    conn.execute("UPDATE entries SET hash = ?1 WHERE seq = ?2", (hash, seq))
        .unwrap();
}

/// Relinks and rehashes every row from `seq` on: the whole rest of the chain rewritten.
pub fn rechain(conn: &Connection, from: i64) {
    let last: i64 = conn
        .query_row("SELECT max(seq) FROM entries", [], |r| r.get(0))
        .unwrap();
    for seq in from..=last {
        conn.execute(
            "UPDATE entries SET prev_hash = (SELECT hash FROM entries WHERE seq = ?1 - 1)
             WHERE seq = ?1 AND ?1 > 1",
            [seq],
        )
        .unwrap();
        rehash(conn, seq);
    }
}

/// The problem `verify` reports, as (seq, Display text), or `None`.
pub fn problem(log: &AuditLog) -> Option<(u64, String)> {
    let v = log.verify().unwrap();
    v.first_problem.map(|p| (p.seq.0, p.to_string()))
}

pub fn seq(n: u64) -> Seq {
    Seq(n)
}
