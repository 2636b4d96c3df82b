//! [`AuditLog`]: the handle the broker holds. Writes go through one connection behind a mutex
//! (SQLite has one writer anyway); searches use a second, read-only connection, and `verify`,
//! `export` and `prune`'s check open their own, so none of them waits for another.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::anchor::{Anchor, ChainHead};
use crate::append::{Appender, Head};
use crate::export::{self, ExportFormat};
use crate::model::{AdminEvent, Entry, Intent, Outcome, Seq};
use crate::prune::{self, Pruned};
use crate::search::{self, Filter, Page, SearchPage};
use crate::verify::{self, Verification};
use crate::{AuditError, store};

/// How much of the log survives a crash. Every level keeps the chain whole: what a crash loses
/// is always the newest entries, never one in the middle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Durability {
    /// Every entry survives the broker being killed; a power loss or OS crash can lose the
    /// newest entries (SQLite `synchronous=NORMAL`: no fsync per commit).
    Process,
    /// Intents are flushed to disk before `record_intent` returns (`synchronous=FULL`), so a
    /// call never runs unrecorded; outcomes survive the broker being killed, and each intent's
    /// flush also carries the outcomes before it. A power loss can lose only the newest
    /// outcomes, which then show as calls without an outcome.
    #[default]
    Intents,
    /// Every entry is flushed before it returns; on macOS with `F_FULLFSYNC`, through the
    /// drive's own cache, which costs milliseconds per entry.
    Full,
}

/// How a log is opened.
#[derive(Clone)]
pub struct Options {
    /// What survives a crash.
    pub durability: Durability,
    /// Where the chain head is anchored; `None` leaves a cut-off tail undetectable.
    pub anchor: Option<Arc<dyn Anchor>>,
    /// Anchor after this many new entries (and always after a prune and on close).
    pub anchor_every: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            durability: Durability::default(),
            anchor: None,
            anchor_every: 100,
        }
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("durability", &self.durability)
            .field("anchor", &self.anchor.as_ref().map(|_| "configured"))
            .field("anchor_every", &self.anchor_every)
            .finish()
    }
}

/// The tamper-evident audit log: a hash chain of entries in a SQLite file.
pub struct AuditLog {
    path: PathBuf,
    options: Options,
    writer: Mutex<Writer>,
    reader: Mutex<Connection>,
}

impl fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditLog")
            .field("path", &self.path)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// The writing connection and what it knows about the chain.
struct Writer {
    conn: Connection,
    /// The `synchronous` level last set on `conn`.
    synchronous: Synchronous,
    /// The newest entry written through this handle (or found at open).
    head: Head,
    /// The newest head saved to the anchor.
    anchored: Seq,
    /// The head last offered to the anchor, saved or not: the next attempt waits another
    /// `anchor_every` entries, so a missing secret store does not slow every write.
    attempted: Seq,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Synchronous {
    Normal,
    Full,
}

impl AuditLog {
    /// Opens (or creates) the log at `path` with default [`Options`] (no anchor).
    pub fn open(path: impl AsRef<Path>) -> Result<AuditLog, AuditError> {
        Self::open_with(path, Options::default())
    }

    /// Opens (or creates) the log at `path`: the file 0600, its folder 0700 if created, WAL.
    pub fn open_with(path: impl AsRef<Path>, options: Options) -> Result<AuditLog, AuditError> {
        let path = path.as_ref().to_path_buf();
        store::create_private(&path)?;
        let conn = store::open_writer(&path, options.durability == Durability::Full)?;
        store::restrict(&path)?;
        let reader = store::open_reader(&path)?;
        let mut conn = conn;
        let head = Appender::begin(&mut conn, &path)?.head();
        let mut writer = Writer {
            conn,
            synchronous: Synchronous::Normal,
            head,
            // Count towards the next anchor from here.
            anchored: head.seq,
            attempted: head.seq,
        };
        writer.set_synchronous(&path, Synchronous::Full)?;
        Ok(AuditLog {
            path,
            options,
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
        })
    }

    /// The log's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records a call before it runs, committed before this returns; the arguments are
    /// [`crate::redact`]ed first. If this fails the call must not run: the broker refuses it
    /// with this error's message.
    pub fn record_intent(&self, intent: &Intent) -> Result<Seq, AuditError> {
        let level = match self.options.durability {
            Durability::Process => Synchronous::Normal,
            Durability::Intents | Durability::Full => Synchronous::Full,
        };
        self.write(level, |a| a.intent(Utc::now(), intent))
    }

    /// Records a read-only call before it runs, like [`Self::record_intent`] but flushed to
    /// disk only at [`Durability::Full`]: a read changes nothing a lost entry could hide, so
    /// it survives the broker being killed, and only a power loss can take the newest ones.
    /// Saves the fsync (hundreds of microseconds) on every read.
    pub fn record_read_intent(&self, intent: &Intent) -> Result<Seq, AuditError> {
        let level = match self.options.durability {
            Durability::Process | Durability::Intents => Synchronous::Normal,
            Durability::Full => Synchronous::Full,
        };
        self.write(level, |a| a.intent(Utc::now(), intent))
    }

    /// Records something done to Latchkey itself (an unlock, a credential change, an approval
    /// given or timed out, …) as an [`crate::EntryKind::Admin`] entry in the same chain, its
    /// details [`crate::redact`]ed; flushed to disk before this returns, like
    /// [`Self::record_intent`]. It reads back with `tool` = the action and `arguments` = the
    /// details.
    pub fn record_admin(&self, event: &AdminEvent) -> Result<Seq, AuditError> {
        let level = match self.options.durability {
            Durability::Process => Synchronous::Normal,
            Durability::Intents | Durability::Full => Synchronous::Full,
        };
        self.write(level, |a| a.admin(Utc::now(), event))
    }

    /// Records how the call `intent` ended, as its own entry.
    pub fn record_outcome(&self, intent: Seq, outcome: &Outcome) -> Result<Seq, AuditError> {
        let level = match self.options.durability {
            Durability::Process | Durability::Intents => Synchronous::Normal,
            Durability::Full => Synchronous::Full,
        };
        self.write(level, |a| a.outcome(Utc::now(), intent, outcome))
    }

    /// Appends many entries in one transaction (for benchmarks and imports): the same chain,
    /// hashing and clamping of times as single records, at bulk speed.
    #[doc(hidden)]
    pub fn bulk<T>(
        &self,
        f: impl FnOnce(&mut Appender<'_>) -> Result<T, AuditError>,
    ) -> Result<T, AuditError> {
        self.write(Synchronous::Full, f)
    }

    /// Caps the file at its current size plus `spare_pages` pages (SQLite `max_page_count`):
    /// writes beyond fail as on a full disk. For tests of that failure.
    #[doc(hidden)]
    pub fn simulate_full_disk(&self, spare_pages: u32) -> Result<(), AuditError> {
        let writer = self.lock_writer();
        let pages: i64 = writer
            .conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .map_err(|e| self.sqlite(e))?;
        writer
            .conn
            .pragma_update(None, "max_page_count", pages + i64::from(spare_pages))
            .map_err(|e| self.sqlite(e))
    }

    /// Walks the whole chain; with an anchor, also checks the end against it.
    pub fn verify(&self) -> Result<Verification, AuditError> {
        let conn = store::open_reader(&self.path)?;
        verify::run(&conn, self.options.anchor.as_deref()).map_err(|e| self.sqlite(e))
    }

    /// One page of entries matching `filter`, newest first.
    pub fn search(&self, filter: &Filter, page: Page) -> Result<SearchPage, AuditError> {
        search::search(&self.reader(), &self.path, filter, page)
    }

    /// The assistants, tools and domains of recent entries (for filter choices).
    pub fn facets(&self) -> Result<crate::Facets, AuditError> {
        crate::summary::facets(&self.reader()).map_err(|e| self.sqlite(e))
    }

    /// How many calls the program at `executable` made since `since`.
    pub fn calls_since(&self, executable: &str, since: DateTime<Utc>) -> Result<u64, AuditError> {
        crate::summary::calls_since(&self.reader(), executable, since).map_err(|e| self.sqlite(e))
    }

    /// The newest `n` entries, oldest first.
    pub fn tail(&self, n: u32) -> Result<Vec<Entry>, AuditError> {
        search::tail(&self.reader(), &self.path, n)
    }

    /// Streams the entries matching `filter`, oldest first, to `out`; returns how many.
    pub fn export(
        &self,
        filter: &Filter,
        format: ExportFormat,
        out: impl Write,
    ) -> Result<u64, AuditError> {
        let conn = store::open_reader(&self.path)?;
        export::export(&conn, &self.path, filter, format, out)
    }

    /// Removes the entries written before `before` (the caller's retention policy, e.g. 365
    /// days), leaving a checkpoint so the rest still verifies, then anchors. Refuses if the log
    /// does not verify: pruning would discard the evidence.
    pub fn prune(&self, before: DateTime<Utc>) -> Result<Pruned, AuditError> {
        let verification = self.verify()?;
        if let Some(problem) = verification.first_problem {
            return Err(AuditError::Unverified {
                problem: problem.to_string(),
            });
        }
        let pruned = self.write(Synchronous::Full, |a| {
            prune::prune(a, &self.path, before, Utc::now())
        })?;
        if pruned.checkpoint.is_some() {
            self.anchor_now(&mut self.lock_writer());
        }
        Ok(pruned)
    }

    /// Flushes the log and anchors its head; returns the head. Dropping the log does the same
    /// but can only log a failure.
    pub fn close(self) -> Result<Option<ChainHead>, AuditError> {
        self.anchor_head()
    }

    /// Flushes the log and anchors its head now if entries were written since the last
    /// anchor (a broker shutting down calls this from a thread that may block, rather than
    /// relying on the drop); returns the head.
    pub fn anchor_head(&self) -> Result<Option<ChainHead>, AuditError> {
        let mut writer = self.lock_writer();
        self.flush(&mut writer)?;
        if writer.head.seq.0 == 0 {
            return Ok(None);
        }
        let head = ChainHead {
            seq: writer.head.seq,
            hash: writer.head.hash,
        };
        // Only what this handle wrote is anchored: re-anchoring a head found at open would
        // bless a log whose tail was cut while no broker ran.
        let behind = writer.head.seq > writer.anchored;
        if let Some(anchor) = self.options.anchor.as_ref().filter(|_| behind) {
            anchor.save(&head).map_err(AuditError::Anchor)?;
            writer.anchored = head.seq;
            writer.attempted = head.seq;
        }
        Ok(Some(head))
    }

    /// Runs `f` in one write transaction and commits; anchors if enough entries were added.
    /// A write that will be anchored is flushed whatever the level: an anchor must never name
    /// an entry a power loss could take back.
    fn write<T>(
        &self,
        level: Synchronous,
        f: impl FnOnce(&mut Appender<'_>) -> Result<T, AuditError>,
    ) -> Result<T, AuditError> {
        let mut writer = self.lock_writer();
        let anchor_at = writer.attempted.0 + self.options.anchor_every;
        let due = |head: Seq| self.options.anchor.is_some() && head.0 >= anchor_at;
        let level = match due(Seq(writer.head.seq.0 + 1)) {
            true => Synchronous::Full,
            false => level,
        };
        writer.set_synchronous(&self.path, level)?;
        let mut appender = Appender::begin(&mut writer.conn, &self.path)?;
        let value = f(&mut appender)?;
        writer.head = appender.commit()?;
        if due(writer.head.seq) {
            self.anchor_now(&mut writer);
        }
        Ok(value)
    }

    /// Saves the head to the anchor, if there is one. A failure leaves `anchored` behind, so
    /// the shutdown (or the next due write) tries again; the entry itself is committed.
    fn anchor_now(&self, writer: &mut Writer) {
        let (Some(anchor), head) = (&self.options.anchor, writer.head) else {
            return;
        };
        writer.attempted = head.seq;
        match anchor.save(&ChainHead {
            seq: head.seq,
            hash: head.hash,
        }) {
            Ok(()) => writer.anchored = head.seq,
            Err(e) => tracing::warn!(seq = head.seq.0, "cannot anchor the audit log: {e}"),
        }
    }

    /// Checkpoints the WAL into the database file; SQLite syncs both on the way.
    fn flush(&self, writer: &mut Writer) -> Result<(), AuditError> {
        writer
            .conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .map_err(|e| self.sqlite(e))
    }

    fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        // A panic while holding the lock rolled its transaction back: the state is sound.
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        self.reader.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn sqlite(&self, e: rusqlite::Error) -> AuditError {
        AuditError::sqlite(&self.path, e)
    }
}

impl Writer {
    fn set_synchronous(&mut self, path: &Path, level: Synchronous) -> Result<(), AuditError> {
        if self.synchronous != level {
            let value = match level {
                Synchronous::Normal => "NORMAL",
                Synchronous::Full => "FULL",
            };
            self.conn
                .pragma_update(None, "synchronous", value)
                .map_err(|e| AuditError::sqlite(path, e))?;
            self.synchronous = level;
        }
        Ok(())
    }
}

impl Drop for AuditLog {
    /// Anchors entries written since the last anchor (best effort; `close` reports failures).
    fn drop(&mut self) {
        let mut writer = self.lock_writer();
        let behind = writer.head.seq > writer.anchored;
        if self.options.anchor.is_some() && behind {
            match self.flush(&mut writer) {
                Ok(()) => self.anchor_now(&mut writer),
                Err(e) => tracing::warn!("cannot flush the audit log before anchoring: {e}"),
            }
        }
    }
}
