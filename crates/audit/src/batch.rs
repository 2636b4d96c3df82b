//! Group commit. A read-only call's intent and every call's outcome are queued, and one thread
//! commits whatever has queued up in a single transaction, a millisecond after the first of
//! them: a read never waits for SQLite, and calls of the same moment share a commit instead of
//! taking turns (the word index follows once they pause: see `crate::index`). An
//! entry gets its `seq` when it is queued, so the chain's order is the queue's order.
//! Everything that writes synchronously (a changing call's intent, admin events) or reads the
//! log commits the queue first, so what is read always includes what was queued before.

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::AuditError;
use crate::append::Appender;
use crate::model::{Intent, Outcome, Seq};

/// An entry waiting for the next commit.
#[derive(Debug)]
pub(crate) enum Queued {
    Intent(DateTime<Utc>, Intent),
    Outcome(DateTime<Utc>, Seq, Outcome),
}

#[derive(Debug)]
pub(crate) struct Queue {
    /// The `seq` the next queued entry gets.
    next: u64,
    entries: Vec<(Seq, Queued)>,
    /// Why the last commit failed: until one succeeds, writers write synchronously (and learn
    /// the error) rather than queue entries that may be lost.
    failed: Option<String>,
    /// The seqs handed out for entries a failed commit lost: their outcomes are dropped too.
    lost: Range<u64>,
    /// Intents recorded through this handle still awaiting their outcome: only an outcome
    /// for one of these is queued, so a queued entry cannot fail (and take its group with it).
    open: HashSet<u64>,
    closing: bool,
}

/// What [`Batch::wait`] waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Waited {
    Queued,
    /// Nothing was queued for the time asked.
    Quiet,
    Closing,
}

/// What became of an entry offered to the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    Queued(Seq),
    /// Commits are failing: write it synchronously instead.
    Failing,
    /// An outcome whose intent a failed commit lost: dropped.
    IntentLost,
    /// An outcome for an intent not known to await one (already has one, is not an intent,
    /// or was written by another handle): write it synchronously, which says which.
    Unknown,
}

#[derive(Debug)]
pub(crate) struct Batch {
    queue: Mutex<Queue>,
    ready: Condvar,
}

impl Batch {
    /// A queue whose first entry follows `head`.
    pub(crate) fn new(head: Seq) -> Self {
        Batch {
            queue: Mutex::new(Queue {
                next: head.0 + 1,
                entries: Vec::new(),
                failed: None,
                lost: 0..0,
                open: HashSet::new(),
                closing: false,
            }),
            ready: Condvar::new(),
        }
    }

    /// Queues `entry`, giving it the next seq.
    pub(crate) fn push(&self, entry: Queued) -> Pushed {
        let mut queue = self.lock();
        if queue.failed.is_some() {
            return Pushed::Failing;
        }
        match &entry {
            Queued::Outcome(_, intent, _) if queue.lost.contains(&intent.0) => {
                return Pushed::IntentLost;
            }
            Queued::Outcome(_, intent, _) if !queue.open.remove(&intent.0) => {
                return Pushed::Unknown;
            }
            Queued::Outcome(..) => {}
            Queued::Intent(..) => {
                let next = queue.next;
                queue.opened(Seq(next));
            }
        }
        let seq = Seq(queue.next);
        queue.next += 1;
        queue.entries.push((seq, entry));
        if queue.entries.len() == 1 {
            self.ready.notify_one();
        }
        Pushed::Queued(seq)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panic while holding the lock leaves a consistent queue (pushes are atomic).
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Blocks until entries are queued, the log is closing with nothing left, or (with
    /// `quiet`) nothing was queued for that long.
    pub(crate) fn wait(&self, quiet: Option<Duration>) -> Waited {
        let deadline = quiet.map(|quiet| Instant::now() + quiet);
        let mut queue = self.lock();
        loop {
            if !queue.entries.is_empty() {
                return Waited::Queued;
            }
            if queue.closing {
                return Waited::Closing;
            }
            queue = match deadline {
                None => self.ready.wait(queue).unwrap_or_else(|p| p.into_inner()),
                Some(deadline) => {
                    let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                        return Waited::Quiet;
                    };
                    let waited = self.ready.wait_timeout(queue, left);
                    waited.unwrap_or_else(|p| p.into_inner()).0
                }
            };
        }
    }

    /// Ends the committing thread once the queue is empty.
    pub(crate) fn close(&self) {
        self.lock().closing = true;
        self.ready.notify_all();
    }
}

/// Open intents kept beyond this many (calls that never ended) are forgotten: their outcomes,
/// if they ever come, are written synchronously.
const MAX_OPEN: usize = 65_536;

impl Queue {
    /// `intent` awaits its outcome.
    pub(crate) fn opened(&mut self, intent: Seq) {
        if self.open.len() >= MAX_OPEN {
            self.open.clear();
        }
        self.open.insert(intent.0);
    }

    pub(crate) fn take(&mut self) -> Vec<(Seq, Queued)> {
        std::mem::take(&mut self.entries)
    }

    /// After a commit that made `head` the chain's head.
    pub(crate) fn committed(&mut self, head: Seq) {
        // Entries queued meanwhile follow `head`; with none, the next one does.
        if self.entries.is_empty() {
            self.next = head.0 + 1;
        }
        self.failed = None;
    }

    /// After a failed commit left `head` the chain's head: what was queued is lost (logged,
    /// and their outcomes dropped), and writers write synchronously until a commit succeeds.
    pub(crate) fn failed(&mut self, head: Seq, error: &AuditError) {
        let lost = head.0 + 1..self.next;
        if !lost.is_empty() {
            tracing::error!(
                "audit entries {}..={} were not recorded: {error}",
                lost.start,
                lost.end - 1
            );
        }
        self.entries.clear();
        self.next = head.0 + 1;
        self.lost = lost;
        self.failed = Some(error.to_string());
    }
}

/// Appends `entries` in their queued order, each checked to land on the seq it was given.
pub(crate) fn append(
    appender: &mut Appender<'_>,
    entries: Vec<(Seq, Queued)>,
    path: &Path,
) -> Result<(), AuditError> {
    for (seq, entry) in entries {
        let written = match entry {
            Queued::Intent(time, intent) => appender.intent(time, &intent)?,
            Queued::Outcome(time, intent, outcome) => appender.outcome(time, intent, &outcome)?,
        };
        if written != seq {
            return Err(AuditError::Unwritable {
                path: path.to_owned(),
                detail: format!("entry queued as {seq} would be {written}"),
            });
        }
    }
    Ok(())
}
