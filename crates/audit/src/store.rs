//! The SQLite file: creating it private to the user, the schema, and how connections are set
//! up. The writer and the readers are separate connections so a long `verify` or export (a
//! read transaction in WAL mode) never holds up `record_intent`.

use std::fs::{self, DirBuilder, OpenOptions, Permissions};
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::AuditError;

/// `PRAGMA application_id`: "LKAU", so a stray SQLite file is not mistaken for a log.
const APPLICATION_ID: i64 = 0x4c4b_4155;
/// `PRAGMA user_version` of the schema below. 1: the first; 2: `approval` and the admin index;
/// 3: `client`; 4: `entries_indexed` (an older file is migrated when a writer opens it; its rows
/// and hashes are unchanged).
const SCHEMA_VERSION: i64 = 4;

/// Columns are the canonical encoding's (`canonical::HASHED`) plus `hash`. STRICT, so a value
/// of the wrong type cannot be stored.
///
/// Search goes through one full-text index, `entries_text` (derived data, outside the hash
/// chain): each entry's words plus one opaque token per filterable value (`search::facet`).
/// FTS5 intersects those lists lazily in `seq` order, so any mix of filters stops once a
/// page is full, where B-tree indexes (one per column) would scan a whole column's matches
/// when a combination is rare. Prefix indexes up to 10 characters keep "starts with"
/// searches from gathering every matching word first. `entries_time` turns time ranges into
/// `seq` ranges; the partial indexes find an intent's outcome and the checkpoints.
const SCHEMA: &str = "
CREATE TABLE entries (
    seq               INTEGER PRIMARY KEY,
    kind              TEXT    NOT NULL,
    time_us           INTEGER NOT NULL,
    assistant         TEXT,
    assistant_version TEXT,
    executable        TEXT,
    pid               INTEGER,
    bundle_id         TEXT,
    tool              TEXT,
    arguments         TEXT,
    domain            TEXT,
    decision          TEXT,
    result            TEXT,
    error_kind        TEXT,
    duration_us       INTEGER,
    intent_seq        INTEGER,
    pruned_through    INTEGER,
    pruned_hash       BLOB,
    prev_hash         BLOB    NOT NULL,
    hash              BLOB    NOT NULL
) STRICT;
CREATE INDEX entries_time ON entries(time_us);
CREATE UNIQUE INDEX entries_outcome_of ON entries(intent_seq) WHERE intent_seq IS NOT NULL;
CREATE INDEX entries_checkpoint ON entries(pruned_through) WHERE pruned_through IS NOT NULL;
CREATE VIRTUAL TABLE entries_text USING fts5(
    text, content='', contentless_delete=1, detail=none, prefix='1 2 3 4 5 6 7 8 9 10'
);
";

/// From schema 1 to 2: how a changing call was approved (hashed only when present, so old
/// rows keep their hashes), and an index of the admin entries (few), where the log finds its
/// own `chain.*` records without scanning.
const MIGRATE_TO_2: &str = "
ALTER TABLE entries ADD COLUMN approval TEXT;
CREATE INDEX entries_admin ON entries(tool, seq) WHERE kind = 'admin';
";

/// From schema 2 to 3: the name the MCP client gave itself, apart from the name the
/// allow-list gives it (`assistant`); hashed only when present, like `approval`.
const MIGRATE_TO_3: &str = "
ALTER TABLE entries ADD COLUMN client TEXT;
";

/// From schema 3 to 4: how far the word index has followed the chain, and the hash of the
/// entry it stopped at (see [`crate::index::catch_up`]); an older file's entries were indexed
/// as they were written.
const MIGRATE_TO_4: &str = "
CREATE TABLE entries_indexed (through INTEGER NOT NULL, hash BLOB) STRICT;
INSERT INTO entries_indexed VALUES (
    (SELECT coalesce(max(seq), 0) FROM entries),
    (SELECT hash FROM entries ORDER BY seq DESC LIMIT 1)
);
";

/// How long a connection waits for another process's lock before failing with `Busy`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// The WAL file is truncated back to this size after a checkpoint (a prune can grow it).
const WAL_SIZE_LIMIT: i64 = 16 * 1024 * 1024;

/// Creates the folder (0700, only if missing: an existing folder is the user's) and a new file
/// (0600) before SQLite opens it: SQLite gives its `-wal` and `-shm` files the database
/// file's permissions. An existing file is left for SQLite to open (so a read-only one is
/// reported as such) and tightened afterwards by [`restrict`].
pub(crate) fn create_private(path: &Path) -> Result<(), AuditError> {
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io("create the folder", dir))?;
    }
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        other => other.map(drop).map_err(io("create", path)),
    }
}

/// Removes group and other permissions from an existing log (and its WAL files).
pub(crate) fn restrict(path: &Path) -> Result<(), AuditError> {
    for file in [
        path.to_path_buf(),
        suffixed(path, "-wal"),
        suffixed(path, "-shm"),
    ] {
        let Ok(meta) = fs::metadata(&file) else {
            continue;
        };
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            fs::set_permissions(&file, Permissions::from_mode(mode & 0o700))
                .map_err(io("restrict the permissions of", &file))?;
        }
    }
    Ok(())
}

fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> AuditError {
    let path = path.to_path_buf();
    move |source| AuditError::Io {
        action,
        path,
        source,
    }
}

/// The writing connection: WAL, the schema created or checked.
pub(crate) fn open_writer(path: &Path, full_fsync: bool) -> Result<Connection, AuditError> {
    let sqlite = |e| AuditError::sqlite(path, e);
    let conn = Connection::open(path).map_err(sqlite)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sqlite)?;
    // SQLite falls back to read-only when it cannot open the file for writing; say so now
    // rather than at the first call.
    if conn.is_readonly("main").map_err(sqlite)? {
        return Err(AuditError::ReadOnly {
            path: path.to_path_buf(),
        });
    }
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(sqlite)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(AuditError::Corrupt {
            path: path.to_path_buf(),
            detail: format!("cannot switch to WAL mode (got {mode})"),
        });
    }
    conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)
        .map_err(sqlite)?;
    // On macOS, F_FULLFSYNC: through the drive's own cache (a no-op elsewhere).
    conn.pragma_update(None, "fullfsync", full_fsync)
        .map_err(sqlite)?;
    ensure_schema(&conn).map_err(|e| match e {
        SchemaError::Sqlite(e) => sqlite(e),
        SchemaError::Foreign(detail) => AuditError::Corrupt {
            path: path.to_path_buf(),
            detail,
        },
    })?;
    Ok(conn)
}

/// A read-only connection (search, verify, export).
pub(crate) fn open_reader(path: &Path) -> Result<Connection, AuditError> {
    let sqlite = |e| AuditError::sqlite(path, e);
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(sqlite)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sqlite)?;
    Ok(conn)
}

enum SchemaError {
    Sqlite(rusqlite::Error),
    Foreign(String),
}

impl From<rusqlite::Error> for SchemaError {
    fn from(e: rusqlite::Error) -> Self {
        SchemaError::Sqlite(e)
    }
}

/// Creates the schema in a new file, or checks that an existing one is a log this code reads.
/// Inside one write transaction, so two processes opening a new file cannot both create it.
fn ensure_schema(conn: &Connection) -> Result<(), SchemaError> {
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    let (app, version, objects): (i64, i64, i64) = tx.query_row(
        "SELECT (SELECT application_id FROM pragma_application_id),
                (SELECT user_version FROM pragma_user_version),
                (SELECT count(*) FROM sqlite_schema)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    match (app, version, objects) {
        (0, 0, 0) => {
            tx.execute_batch(&format!(
                "{SCHEMA}{MIGRATE_TO_2}{MIGRATE_TO_3}{MIGRATE_TO_4}
                 PRAGMA application_id = {APPLICATION_ID};
                 PRAGMA user_version = {SCHEMA_VERSION};"
            ))?;
            tx.commit()?;
            Ok(())
        }
        (APPLICATION_ID, older @ 1..SCHEMA_VERSION, _) => {
            let steps = [MIGRATE_TO_2, MIGRATE_TO_3, MIGRATE_TO_4];
            let migrations = steps[usize::try_from(older - 1).unwrap_or_default()..].concat();
            tx.execute_batch(&format!(
                "{migrations} PRAGMA user_version = {SCHEMA_VERSION};"
            ))?;
            tx.commit()?;
            Ok(())
        }
        (APPLICATION_ID, SCHEMA_VERSION, _) => Ok(()),
        (APPLICATION_ID, newer, _) => Err(SchemaError::Foreign(format!(
            "schema version {newer} is from a newer Latchkey"
        ))),
        _ => Err(SchemaError::Foreign(
            "it is not a Latchkey audit log".to_owned(),
        )),
    }
}
