//! The crate's error. The broker refuses a call whenever recording its intent fails, and shows
//! the message: so each one names the log's path and what the user can do about it.

use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;

use crate::model::Seq;

/// Everything that can go wrong with the audit log. Messages never quote an entry's content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The log's folder or file could not be created or opened.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// The log cannot be written (file or file system is read-only).
    #[error("the audit log {path} is read-only, so calls cannot be recorded: make it writable")]
    ReadOnly {
        /// The log's path.
        path: PathBuf,
    },
    /// The disk (or the log's size limit) is full.
    #[error(
        "the disk holding the audit log {path} is full, so calls cannot be recorded: free some space"
    )]
    Full {
        /// The log's path.
        path: PathBuf,
    },
    /// Writing failed at the OS level (an I/O error, a permission changed under the broker).
    #[error("the audit log {path} cannot be written ({detail}), so calls cannot be recorded")]
    Unwritable {
        /// The log's path.
        path: PathBuf,
        /// SQLite's description.
        detail: String,
    },
    /// The file is not an audit log, or is damaged beyond what SQLite can read.
    #[error(
        "the audit log {path} is damaged ({detail}): move it aside (keep it as evidence) and start a new one"
    )]
    Corrupt {
        /// The log's path.
        path: PathBuf,
        /// What SQLite or this crate found.
        detail: String,
    },
    /// Another process holds the log's write lock for too long.
    #[error("the audit log {path} is locked by another process")]
    Busy {
        /// The log's path.
        path: PathBuf,
    },
    /// An entry cannot be decoded: a row was changed outside this crate.
    #[error("audit entry {seq} cannot be read ({detail}): run `latchkey audit verify`")]
    Unreadable {
        /// The entry.
        seq: Seq,
        /// What is wrong with it.
        detail: String,
    },
    /// `record_outcome` named a sequence number that is not an intent.
    #[error("audit entry {seq} is not an intent, so it cannot have an outcome")]
    NotAnIntent {
        /// The sequence number given.
        seq: Seq,
    },
    /// `record_outcome` was called twice for one intent.
    #[error("the intent {seq} already has an outcome")]
    OutcomeExists {
        /// The intent.
        seq: Seq,
    },
    /// Pruning was refused because the chain does not verify; pruning would discard the evidence.
    #[error("not pruning: the audit log does not verify ({problem})")]
    Unverified {
        /// What `verify` reported.
        problem: String,
    },
    /// The anchor store failed (anchoring at `close`).
    #[error("cannot anchor the audit log's head: {0}")]
    Anchor(String),
    /// Writing an export failed.
    #[error("cannot write the export: {0}")]
    Export(String),
    /// Any other SQLite failure.
    #[error("audit log {path}: {source}")]
    Sqlite {
        /// The log's path.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
}

impl AuditError {
    /// Maps a SQLite error on the log at `path` to the variant a user can act on.
    pub(crate) fn sqlite(path: &Path, source: rusqlite::Error) -> Self {
        let path = path.to_path_buf();
        match source.sqlite_error_code() {
            Some(ErrorCode::ReadOnly) => AuditError::ReadOnly { path },
            Some(ErrorCode::DiskFull) => AuditError::Full { path },
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => AuditError::Busy { path },
            Some(ErrorCode::SystemIoFailure | ErrorCode::PermissionDenied) => {
                AuditError::Unwritable {
                    path,
                    detail: source.to_string(),
                }
            }
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => AuditError::Corrupt {
                path,
                detail: source.to_string(),
            },
            _ => AuditError::Sqlite { path, source },
        }
    }
}
