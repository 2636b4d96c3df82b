//! [`AuditLog`]: the handle the broker holds. Writes go through one connection behind a mutex
//! (SQLite has one writer anyway); read-only intents and outcomes are queued and committed in
//! groups by a thread of the log's own (see `batch`); searches use a second, read-only
//! connection, and `verify`, `export` and `prune`'s check open their own, so none of them waits
//! for another.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::anchor::{Anchor, ChainHead};
use crate::append::{Appender, Head};
use crate::batch::{self, Batch, Pushed, Queued, Waited};
use crate::export::{self, ExportFormat};
use crate::index;
use crate::integrity::{self, BreakDetails, Integrity};
use crate::model::{AdminEvent, Assistant, Decision, Entry, Intent, Outcome, Seq};
use crate::prune::{self, Pruned};
use crate::search::{self, Filter, Page, SearchPage};
use crate::verify::{self, Verification};
use crate::{AuditError, store};

/// How much of the log survives a crash. Every level keeps the chain whole: what a crash loses
/// is always the newest entries, never one in the middle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Durability {
    /// Changing calls' intents and admin events are committed before they return (a power
    /// loss or OS crash can lose the newest: SQLite `synchronous=NORMAL`, no fsync per
    /// commit); read-only intents and outcomes are committed in groups (see `Intents`).
    Process,
    /// Changing calls' intents and admin events are flushed to disk before they return
    /// (`synchronous=FULL`), so such a call never runs unrecorded. Read-only intents and
    /// outcomes are queued and committed in groups by the log's own thread, within about a
    /// millisecond and a commit's time of being queued; killing the broker in that
    /// window loses them (a read changes nothing a lost entry could hide, and a lost outcome
    /// shows as a call without one). Anything that reads the log commits the queue first.
    #[default]
    Intents,
    /// Every entry is flushed before it returns, nothing is queued; on macOS with
    /// `F_FULLFSYNC`, through the drive's own cache, which costs milliseconds per entry.
    Full,
}

/// How a log is opened.
#[derive(Clone)]
pub struct Options {
    /// What survives a crash.
    pub durability: Durability,
    /// Where the chain head is anchored; `None` leaves a cut-off tail undetectable.
    pub anchor: Option<Arc<dyn Anchor>>,
    /// Anchor after this many new entries (and always after a prune, on close, and at the
    /// first entry of a log that has no anchored head): at the next synchronous write, or at
    /// [`AuditLog::anchor_if_stale`], which a broker calls every few seconds (group-committed
    /// entries do not anchor by themselves).
    pub anchor_every: u64,
    /// Anchor on the next write once the last anchor is this old; a quiet log is anchored by
    /// [`AuditLog::anchor_if_stale`], which a broker calls now and then.
    pub anchor_after: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            durability: Durability::default(),
            anchor: None,
            anchor_every: 16,
            anchor_after: Duration::from_secs(60),
        }
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("durability", &self.durability)
            .field("anchor", &self.anchor.as_ref().map(|_| "configured"))
            .field("anchor_every", &self.anchor_every)
            .field("anchor_after", &self.anchor_after)
            .finish()
    }
}

/// The tamper-evident audit log: a hash chain of entries in a SQLite file.
pub struct AuditLog {
    path: PathBuf,
    options: Options,
    writer: Arc<Mutex<Writer>>,
    reader: Mutex<Connection>,
    /// Read-only intents and outcomes waiting for the committing thread.
    batch: Arc<Batch>,
    committer: Option<JoinHandle<()>>,
    /// Set while the log has no anchored head and none was offered yet: the next entry is
    /// written synchronously so that it is anchored at once, not queued.
    first_anchor_due: AtomicBool,
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
    /// Entries up to here need no anchoring by this handle: the head found at open (only
    /// what this handle writes is anchored at close), then each head saved.
    anchored: Seq,
    /// The head last offered to the anchor, saved or not: the next attempt waits another
    /// `anchor_every` entries, so a missing secret store does not slow every write.
    attempted: Seq,
    /// When a head was last offered to the anchor (or the log was opened).
    attempted_at: Instant,
    /// Whether this handle offered a head to the anchor yet.
    offered: bool,
    /// The newest head known to be in the anchor store: loaded at open, then each saved.
    saved: Option<Seq>,
    /// Why the chain has not been held to the anchor yet (the store could not be read):
    /// nothing is anchored until it has, so a damaged chain is never anchored over.
    unchecked: Option<String>,
    /// The last entry the word index was seen to cover (another process may have indexed
    /// more): how far it lags behind `head`.
    indexed: Seq,
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
            attempted_at: Instant::now(),
            offered: false,
            saved: None,
            unchecked: Some("not checked yet".to_owned()),
            indexed: Seq(0),
        };
        writer.set_synchronous(&path, Synchronous::Full)?;
        let batch = Arc::new(Batch::new(writer.head.seq));
        let writer = Arc::new(Mutex::new(writer));
        let committer = (options.durability != Durability::Full)
            .then(|| spawn_committer(&path, &writer, &batch))
            .transpose()?;
        let log = AuditLog {
            path,
            options,
            writer,
            reader: Mutex::new(reader),
            batch,
            committer,
            first_anchor_due: AtomicBool::new(false),
        };
        // Hold the chain to its anchor before anything could be anchored over it.
        let mut writer = log.lock_writer();
        log.hold_to_anchor(&mut writer);
        let due = log.options.anchor.is_some() && writer.saved.is_none() && !writer.offered;
        log.first_anchor_due.store(due, Ordering::Relaxed);
        drop(writer);
        Ok(log)
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
        let seq = self.write(level, |a| a.intent(Utc::now(), intent))?;
        self.batch.lock().opened(seq);
        Ok(seq)
    }

    /// Records a read-only call before it runs: queued with its seq and committed with the
    /// next group (see [`Durability::Intents`]), so the call does not wait for SQLite; written
    /// and flushed at once at [`Durability::Full`], and written at once (returning the error)
    /// while group commits fail.
    pub fn record_read_intent(&self, intent: &Intent) -> Result<Seq, AuditError> {
        let now = Utc::now();
        if self.queues_reads()
            && let Pushed::Queued(seq) = self.batch.push(Queued::Intent(now, intent.clone()))
        {
            return Ok(seq);
        }
        let level = match self.options.durability {
            Durability::Process | Durability::Intents => Synchronous::Normal,
            Durability::Full => Synchronous::Full,
        };
        let seq = self.write(level, |a| a.intent(now, intent))?;
        self.batch.lock().opened(seq);
        Ok(seq)
    }

    /// Whether read-only intents and outcomes are queued rather than written before their
    /// record call returns (so the call need not be moved off an async runtime).
    pub fn queues_reads(&self) -> bool {
        self.committer.is_some() && !self.first_anchor_due.load(Ordering::Relaxed)
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

    /// Records how the call `intent` ended, as its own entry: queued like a read-only intent
    /// (written at once at [`Durability::Full`] and while group commits fail).
    pub fn record_outcome(&self, intent: Seq, outcome: &Outcome) -> Result<Seq, AuditError> {
        let now = Utc::now();
        if self.queues_reads() {
            match self
                .batch
                .push(Queued::Outcome(now, intent, outcome.clone()))
            {
                Pushed::Queued(seq) => return Ok(seq),
                Pushed::IntentLost => {
                    return Err(AuditError::Unwritable {
                        path: self.path.clone(),
                        detail: format!("its intent, entry {intent}, was lost by a failed write"),
                    });
                }
                Pushed::Failing | Pushed::Unknown => {}
            }
        }
        let level = match self.options.durability {
            Durability::Process | Durability::Intents => Synchronous::Normal,
            Durability::Full => Synchronous::Full,
        };
        self.write(level, |a| a.outcome(now, intent, outcome))
    }

    /// Appends many entries in one transaction (for benchmarks and imports): the same chain,
    /// hashing and clamping of times as single records, at bulk speed.
    #[doc(hidden)]
    pub fn bulk<T>(
        &self,
        f: impl FnOnce(&mut Appender<'_>) -> Result<T, AuditError>,
    ) -> Result<T, AuditError> {
        self.write(Synchronous::Full, |appender| {
            let value = f(appender)?;
            index::catch_up(appender.tx(), &self.path, None)?;
            Ok(value)
        })
    }

    /// Caps the file at its current size plus `spare_pages` pages (SQLite `max_page_count`):
    /// writes beyond fail as on a full disk. For tests of that failure.
    #[doc(hidden)]
    pub fn simulate_full_disk(&self, spare_pages: u32) -> Result<(), AuditError> {
        let mut writer = self.lock_writer();
        // What was queued before the disk "fills" was written before it did.
        settle(&mut writer, &self.batch, &self.path);
        let pages: i64 = writer
            .conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .map_err(|e| self.sqlite(e))?;
        writer
            .conn
            .pragma_update(None, "max_page_count", pages + i64::from(spare_pages))
            .map_err(|e| self.sqlite(e))
    }

    /// How far the log can be trusted: whether the chain held to its anchor when the log was
    /// opened, whether a break was recorded (and acknowledged), whether it is anchored at all.
    /// If the anchor store could not be read before, it is tried again now.
    pub fn integrity(&self) -> Result<Integrity, AuditError> {
        let mut writer = self.lock_writer();
        settle(&mut writer, &self.batch, &self.path);
        if self.options.anchor.is_none() {
            return Ok(Integrity::NoAnchor);
        }
        let checked = self.hold_to_anchor(&mut writer);
        let sqlite = |e| AuditError::sqlite(&self.path, e);
        if let Some(b) = integrity::latest_break(&writer.conn, writer.saved).map_err(sqlite)? {
            return Ok(Integrity::Broken {
                at: b.at,
                acknowledged: b.acknowledged.is_some(),
                anchored: b.anchored,
                found: b.found,
            });
        }
        if !checked {
            return Ok(Integrity::Unchecked {
                error: writer.unchecked.clone().unwrap_or_default(),
            });
        }
        if writer.saved.is_none() && writer.head.seq.0 > 0 {
            let entries: i64 = writer
                .conn
                .query_row(
                    "SELECT coalesce(max(seq) - min(seq) + 1, 0) FROM entries",
                    [],
                    |r| r.get(0),
                )
                .map_err(sqlite)?;
            return Ok(Integrity::Unanchored {
                entries: entries.max(0) as u64,
            });
        }
        Ok(Integrity::Intact)
    }

    /// Records that a person acknowledged the newest break on the chain (`chain.acknowledge`,
    /// an admin entry by `actor`), then anchors it: from then on `verify` passes again if
    /// nothing else is wrong. The broker asks for the person's presence before calling this.
    /// Returns the acknowledgement's entry; `None` if there is no break. An acknowledgement
    /// counts only once anchored: if the anchor cannot be saved, this fails with
    /// [`AuditError::Anchor`] and the entry counts from the next successful anchor.
    pub fn acknowledge_break(&self, actor: &Assistant) -> Result<Option<Seq>, AuditError> {
        let sqlite = |e| AuditError::sqlite(&self.path, e);
        let latest = integrity::latest_break(&self.lock_writer().conn, None).map_err(sqlite)?;
        let Some(latest) = latest else {
            return Ok(None);
        };
        let seq = match latest.acknowledged {
            Some(seq) => seq,
            None => {
                let details = serde_json::json!({
                    "break": latest.at,
                    "anchored": latest.anchored,
                    "found": latest.found,
                })
                .to_string();
                self.write(Synchronous::Full, |a| {
                    a.admin_row(
                        Utc::now(),
                        actor,
                        integrity::ACKNOWLEDGE,
                        &details,
                        None,
                        Some(Decision::Approved),
                    )
                })?
            }
        };
        let mut writer = self.lock_writer();
        if self.options.anchor.is_some() && writer.saved.is_none_or(|saved| saved < seq) {
            self.flush(&mut writer)?;
            if !self.hold_to_anchor(&mut writer) {
                let error = writer.unchecked.clone().unwrap_or_default();
                return Err(AuditError::Anchor(error));
            }
            self.save(&mut writer).map_err(AuditError::Anchor)?;
        }
        Ok(Some(seq))
    }

    /// Walks the whole chain; with an anchor, also checks the end against it. Fails (with a
    /// `first_problem`) while a break is unacknowledged or no head is anchored.
    pub fn verify(&self) -> Result<Verification, AuditError> {
        self.settle();
        let conn = store::open_reader(&self.path)?;
        verify::run(&conn, self.options.anchor.as_deref()).map_err(|e| self.sqlite(e))
    }

    /// One page of entries matching `filter`, newest first.
    pub fn search(&self, filter: &Filter, page: Page) -> Result<SearchPage, AuditError> {
        self.settle_indexed()?;
        search::search(&self.reader(), &self.path, filter, page)
    }

    /// The assistants, tools and domains of recent entries (for filter choices).
    pub fn facets(&self) -> Result<crate::Facets, AuditError> {
        self.settle();
        crate::summary::facets(&self.reader()).map_err(|e| self.sqlite(e))
    }

    /// How many calls the program at `executable` made since `since`.
    pub fn calls_since(&self, executable: &str, since: DateTime<Utc>) -> Result<u64, AuditError> {
        self.settle();
        crate::summary::calls_since(&self.reader(), executable, since).map_err(|e| self.sqlite(e))
    }

    /// The outcomes of the intents `intents` that have one (a call still running, refused or
    /// cut short by a crash has none), in the order given: for showing how each call on a
    /// page ended.
    pub fn outcomes_of(&self, intents: &[Seq]) -> Result<Vec<Entry>, AuditError> {
        self.settle();
        search::outcomes_of(&self.reader(), &self.path, intents)
    }

    /// The newest `n` entries, oldest first.
    pub fn tail(&self, n: u32) -> Result<Vec<Entry>, AuditError> {
        self.settle();
        search::tail(&self.reader(), &self.path, n)
    }

    /// Streams the entries matching `filter`, oldest first, to `out`; returns how many.
    pub fn export(
        &self,
        filter: &Filter,
        format: ExportFormat,
        out: impl Write,
    ) -> Result<u64, AuditError> {
        self.settle_indexed()?;
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
        settle(&mut writer, &self.batch, &self.path);
        self.flush(&mut writer)?;
        // Only what this handle wrote is anchored: the head found at open is not re-anchored.
        let behind = writer.head.seq > writer.anchored;
        if self.options.anchor.is_some() && behind {
            if !self.hold_to_anchor(&mut writer) {
                let error = writer.unchecked.clone().unwrap_or_default();
                return Err(AuditError::Anchor(error));
            }
            if writer.head.seq > writer.anchored {
                self.save(&mut writer).map_err(AuditError::Anchor)?;
            }
        }
        if writer.head.seq.0 == 0 {
            return Ok(None);
        }
        Ok(Some(ChainHead {
            seq: writer.head.seq,
            hash: writer.head.hash,
        }))
    }

    /// Anchors the head if entries were written since the last anchor and that was at least
    /// [`Options::anchor_after`] ago: so a log that went quiet is anchored within about a
    /// minute. Cheap when there is nothing to do; a broker calls it every few seconds or so.
    /// Returns the head anchored, if it anchored one.
    pub fn anchor_if_stale(&self) -> Result<Option<ChainHead>, AuditError> {
        {
            let mut writer = self.lock_writer();
            // What is queued counts: commit it, so the head compared is the real one.
            settle(&mut writer, &self.batch, &self.path);
            let behind = writer.head.seq > writer.anchored;
            // Queued entries are committed by the log's thread, which does not anchor: a busy
            // log of reads is anchored here once `anchor_every` entries are past the anchor.
            let many = writer.head.seq.0 >= writer.attempted.0 + self.options.anchor_every;
            let stale = writer.attempted_at.elapsed() >= self.options.anchor_after;
            if self.options.anchor.is_none() || !behind || !(stale || many) {
                return Ok(None);
            }
        }
        self.anchor_head()
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
        // Due: every `anchor_every` entries; once the last anchor is `anchor_after` old; and
        // at once for a log with no anchored head (so it is not left unanchored).
        let soon = self.options.anchor.is_some()
            && ((writer.saved.is_none() && !writer.offered)
                || writer.attempted_at.elapsed() >= self.options.anchor_after);
        let due = |head: Seq| self.options.anchor.is_some() && (soon || head.0 >= anchor_at);
        let level = match due(Seq(writer.head.seq.0 + 1)) {
            true => Synchronous::Full,
            false => level,
        };
        writer.set_synchronous(&self.path, level)?;
        let value = self.exclusive(&mut writer, f)?;
        if due(writer.head.seq) {
            self.anchor_now(&mut writer);
        }
        if writer.offered {
            self.first_anchor_due.store(false, Ordering::Relaxed);
        }
        Ok(value)
    }

    /// Runs `f` in one write transaction with what is queued (appended first, so in the order
    /// their seqs were given) and commits both at once: one commit, so one flush for a
    /// synchronous write however many reads were queued before it. The queue is held
    /// throughout, so no entry is given a seq `f` takes. If `f` fails, nothing of it is written
    /// (and what was queued is still committed).
    fn exclusive<T>(
        &self,
        writer: &mut Writer,
        f: impl FnOnce(&mut Appender<'_>) -> Result<T, AuditError>,
    ) -> Result<T, AuditError> {
        let mut queue = self.batch.lock();
        let queued = queue.take();
        let had_queued = !queued.is_empty();
        let mut appender = match Appender::begin(&mut writer.conn, &self.path) {
            Ok(appender) => appender,
            Err(e) => {
                if had_queued {
                    queue.failed(writer.head.seq, &e);
                }
                return Err(e);
            }
        };
        if let Err(e) = batch::append(&mut appender, queued, &self.path) {
            drop(appender);
            queue.failed(writer.head.seq, &e);
            return Err(e);
        }
        let value = appender.all_or_nothing(f);
        match appender.commit() {
            Ok(head) => writer.head = head,
            Err(e) => {
                // Whatever was queued went with it: lost, and said so.
                if had_queued {
                    queue.failed(writer.head.seq, &e);
                }
                return Err(value.err().unwrap_or(e));
            }
        }
        queue.committed(writer.head.seq);
        value
    }

    /// Hands back the page caches of the log's connections (SQLite keeps up to 2 MiB each),
    /// for a broker gone quiet; they fill again as needed. The word index catches up first:
    /// indexing afterwards would fill them again.
    pub fn release_memory(&self) {
        let mut writer = self.lock_writer();
        if let Err(e) = writer.catch_up_index(&self.path, None) {
            tracing::warn!("cannot index audit entries (the next search will): {e}");
        }
        for conn in [&writer.conn, &*self.reader()] {
            if let Err(e) = conn.release_memory() {
                tracing::debug!("could not release the audit log's cache: {e}");
            }
        }
    }

    /// Commits what is queued now, so that a read that follows sees it.
    fn settle(&self) {
        settle(&mut self.lock_writer(), &self.batch, &self.path);
    }

    /// Commits what is queued and indexes every entry, so that a search that follows finds
    /// all of them.
    fn settle_indexed(&self) -> Result<(), AuditError> {
        let mut writer = self.lock_writer();
        settle(&mut writer, &self.batch, &self.path);
        writer.catch_up_index(&self.path, None)
    }

    /// Saves the head to the anchor, if there is one, once the chain has been held to it. A
    /// failure leaves `anchored` behind, so the shutdown (or the next due write) tries again;
    /// the entry itself is committed.
    fn anchor_now(&self, writer: &mut Writer) {
        if self.options.anchor.is_none() {
            return;
        }
        if !self.hold_to_anchor(writer) {
            writer.attempted = writer.head.seq;
            writer.attempted_at = Instant::now();
            writer.offered = true;
            return;
        }
        if (writer.head.seq > writer.anchored || writer.saved.is_none())
            && let Err(e) = self.save(writer)
        {
            tracing::warn!(seq = writer.head.seq.0, "cannot anchor the audit log: {e}");
        }
    }

    /// Offers the head to the anchor store (whose error is returned as is).
    fn save(&self, writer: &mut Writer) -> Result<(), String> {
        let Some(anchor) = &self.options.anchor else {
            return Ok(());
        };
        let head = writer.head;
        // An empty log has nothing to anchor yet: its first entry is anchored at once.
        if head.seq.0 == 0 {
            return Ok(());
        }
        writer.attempted = head.seq;
        writer.attempted_at = Instant::now();
        writer.offered = true;
        anchor.save(&ChainHead {
            seq: head.seq,
            hash: head.hash,
        })?;
        writer.anchored = head.seq;
        writer.saved = Some(head.seq);
        Ok(())
    }

    /// Holds the chain to the anchored head, once per handle (again while the anchor store
    /// cannot be read). If the anchored entry is missing or changed, records the break
    /// (`chain.broken`, keeping the damaged rows) and anchors the break record, which starts
    /// a new segment; it never anchors over the damage. Whether the chain has been held to
    /// the anchor (always, without one).
    fn hold_to_anchor(&self, writer: &mut Writer) -> bool {
        let Some(anchor) = &self.options.anchor else {
            return true;
        };
        if writer.unchecked.is_none() {
            return true;
        }
        let anchored = match anchor.load() {
            Ok(anchored) => anchored,
            Err(e) => {
                // Reported by `integrity()` and `verify`; a CLI without a keyring opens logs too.
                tracing::debug!("cannot read the audit log's anchor: {e}");
                writer.unchecked = Some(e);
                return false;
            }
        };
        writer.saved = anchored.map(|h| h.seq);
        let Some(anchored) = anchored else {
            writer.unchecked = None;
            return true;
        };
        match self.record_break(writer, anchored) {
            Ok(()) => {
                writer.unchecked = None;
                true
            }
            Err(e) => {
                tracing::error!("cannot hold the audit log to its anchor: {e}");
                writer.unchecked = Some(e.to_string());
                false
            }
        }
    }

    /// If the chain contradicts `anchored`, records the break (once) and anchors the head.
    fn record_break(&self, writer: &mut Writer, anchored: ChainHead) -> Result<(), AuditError> {
        let sqlite = |e| AuditError::sqlite(&self.path, e);
        let Some(found) = integrity::contradiction(&writer.conn, anchored).map_err(sqlite)? else {
            return Ok(());
        };
        if !integrity::already_recorded(&writer.conn, anchored).map_err(sqlite)? {
            writer.set_synchronous(&self.path, Synchronous::Full)?;
            let at = self.exclusive(writer, |appender| {
                let head = appender.head();
                let details = BreakDetails {
                    anchored,
                    found,
                    head: (head.seq.0 > 0).then_some(ChainHead {
                        seq: head.seq,
                        hash: head.hash,
                    }),
                };
                let details = serde_json::to_string(&details).unwrap_or_default();
                appender.admin_row(
                    Utc::now(),
                    &integrity::latchkey_itself(),
                    integrity::BROKEN,
                    &details,
                    None,
                    None,
                )
            })?;
            tracing::error!(
                "the audit log {} contradicts its anchor (entry {}): the break is recorded \
                 at entry {at} and the damaged entries kept",
                self.path.display(),
                anchored.seq
            );
        }
        // The new segment starts at the break record: anchor it (flushed first).
        self.flush(writer)?;
        self.save(writer).map_err(AuditError::Anchor)
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
    /// Indexes up to `limit` of the entries the word index does not cover yet (all with
    /// `None`), in a transaction of its own.
    fn catch_up_index(&mut self, path: &Path, limit: Option<u64>) -> Result<(), AuditError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| AuditError::sqlite(path, e))?;
        let indexed = index::catch_up(&tx, path, limit)?;
        tx.commit().map_err(|e| AuditError::sqlite(path, e))?;
        self.indexed = indexed;
        Ok(())
    }

    /// How many entries the word index is behind the chain, as far as this handle knows.
    fn index_lag(&self) -> u64 {
        self.head.seq.0.saturating_sub(self.indexed.0)
    }

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
        self.batch.close();
        if let Some(committer) = self.committer.take()
            && committer.join().is_err()
        {
            tracing::error!("the audit log's committing thread panicked");
        }
        let mut writer = self.lock_writer();
        if let Err(e) = commit_queued(&mut writer, &self.batch, &self.path) {
            tracing::error!("cannot commit the last audit entries: {e}");
        }
        if let Err(e) = writer.catch_up_index(&self.path, None) {
            tracing::warn!("cannot index the last audit entries (the next search will): {e}");
        }
        let behind = writer.head.seq > writer.anchored;
        if self.options.anchor.is_some() && behind {
            // Written through `anchor_now`: the chain is held to the anchor first.
            match self.flush(&mut writer) {
                Ok(()) => self.anchor_now(&mut writer),
                Err(e) => tracing::warn!("cannot flush the audit log before anchoring: {e}"),
            }
        }
    }
}

/// Commits what is queued before a read or an anchor, so it sees what was queued. A failure is
/// the queue's business (logged, and writers learn it at their next write); the read still
/// shows, and the anchor still covers, what is committed.
fn settle(writer: &mut Writer, batch: &Batch, path: &Path) {
    // Already logged by the queue, with the entries it lost.
    let _ = commit_queued(writer, batch, path);
}

/// Commits what is queued in one transaction (at the writer's current `synchronous` level).
/// The queue is held only to take its entries: new ones queue up meanwhile, numbered after.
fn commit_queued(writer: &mut Writer, batch: &Batch, path: &Path) -> Result<(), AuditError> {
    let queued = batch.lock().take();
    if queued.is_empty() {
        return Ok(());
    }
    let written = (|| {
        let mut appender = Appender::begin(&mut writer.conn, path)?;
        batch::append(&mut appender, queued, path)?;
        appender.commit()
    })();
    match written {
        Ok(head) => {
            writer.head = head;
            batch.lock().committed(head.seq);
            Ok(())
        }
        Err(e) => {
            batch.lock().failed(writer.head.seq, &e);
            Err(e)
        }
    }
}

/// How long the committing thread lets entries gather once the first is queued.
const GROUP_WINDOW: Duration = Duration::from_millis(1);
/// Entries the committing thread indexes at a time: a synchronous write waits for at most
/// this many to be indexed.
const INDEX_CHUNK: u64 = 1024;
/// How far the word index may fall behind while calls keep coming, before the committing
/// thread indexes a chunk between two commits anyway: about two seconds of calls at the
/// broker's full speed (two entries each).
const INDEX_LAG: u64 = 64 * INDEX_CHUNK;
/// How long nothing must be queued before the committing thread indexes what is behind.
const INDEX_QUIET: Duration = Duration::from_millis(50);

/// The thread that commits queued entries as they come: one transaction for all that queued
/// up while the last one was being written. Ends when the log is dropped.
fn spawn_committer(
    path: &Path,
    writer: &Arc<Mutex<Writer>>,
    batch: &Arc<Batch>,
) -> Result<JoinHandle<()>, AuditError> {
    let error_path = path.to_owned();
    let (path, writer, batch) = (path.to_owned(), Arc::clone(writer), Arc::clone(batch));
    std::thread::Builder::new()
        .name("audit-commit".to_owned())
        .spawn(move || {
            let lock = || writer.lock().unwrap_or_else(|p| p.into_inner());
            let mut lagging = true;
            loop {
                let quiet = lagging.then_some(INDEX_QUIET);
                let mut writer = match batch.wait(quiet) {
                    Waited::Closing => break,
                    Waited::Queued => {
                        // Let the calls of the next moment join this group: one transaction
                        // for all of them, not one each.
                        std::thread::sleep(GROUP_WINDOW);
                        let mut writer = lock();
                        // Group commits are read entries: flushed with the next synchronous
                        // write.
                        if let Err(e) = writer
                            .set_synchronous(&path, Synchronous::Normal)
                            .and_then(|()| commit_queued(&mut writer, &batch, &path))
                        {
                            tracing::error!("cannot commit queued audit entries: {e}");
                        }
                        if writer.index_lag() < INDEX_LAG {
                            lagging = writer.index_lag() > 0;
                            continue;
                        }
                        writer
                    }
                    Waited::Quiet => lock(),
                };
                // The word index follows once calls pause, or once it falls too far behind:
                // a chunk at a time, the writer free in between.
                lagging = match writer.catch_up_index(&path, Some(INDEX_CHUNK)) {
                    Ok(()) => writer.index_lag() > 0,
                    // Tried again after the next commit, not every moment meanwhile.
                    Err(e) => {
                        tracing::warn!("cannot index audit entries (the next search will): {e}");
                        false
                    }
                };
            }
        })
        .map_err(|source| AuditError::Io {
            action: "start the committing thread of",
            path: error_path,
            source,
        })
}
