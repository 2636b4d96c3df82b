//! The broker's side of the audit log: who called which tool, written before the tool runs
//! (a call that cannot be recorded is refused), and how it ended.
//!
//! The log itself (hash chain, verify, search) is `latchkey-audit`; this module turns an MCP
//! call and its caller into entries, off the async runtime (SQLite blocks).

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use latchkey_audit::{
    AdminEvent, Anchor, Assistant, AuditLog, CallResult, ChainHead, Decision, Intent, Options,
    Outcome, Seq,
};
use latchkey_caller::{Caller, Changed, ProcessPin};
use latchkey_vault::SecretStore;
use rmcp::model::Implementation;
use tokio::sync::watch;

use crate::limits::Tally;

/// How many days entries are kept unless Settings says otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 365;
/// Refused connections of one program are recorded at most this often.
const RECORD_REFUSED_CONNECTIONS_EVERY: Duration = Duration::from_secs(10);
/// Above this many programs counted, the counts start over (they only thin out records).
const TALLIED_PROGRAMS: usize = 1024;

/// The audit log, or why it could not be opened (then every tool call is refused).
#[derive(Debug)]
pub struct Audit {
    log: Result<Arc<AuditLog>, String>,
    /// Bumped after every entry written, for displays that follow the log.
    changes: watch::Sender<u64>,
    /// Refused connections, per program, since each one's last record.
    refused_connections: Mutex<HashMap<String, Tally>>,
    /// How many days entries are kept (Settings).
    retention_days: std::sync::atomic::AtomicU32,
    /// Wakes the pruning task when the retention changes.
    retention_changed: tokio::sync::Notify,
}

impl Audit {
    /// Opens (or creates) the log at `path`.
    pub fn open(path: &Path, options: Options) -> Self {
        let log = AuditLog::open_with(path, options)
            .map(Arc::new)
            .map_err(|e| {
                tracing::error!("the audit log {} cannot be opened: {e}", path.display());
                e.to_string()
            });
        Self {
            log,
            changes: watch::channel(0).0,
            refused_connections: Mutex::default(),
            retention_days: DEFAULT_RETENTION_DAYS.into(),
            retention_changed: tokio::sync::Notify::new(),
        }
    }

    /// Sees a new value whenever entries were written.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn written(&self) {
        self.changes.send_modify(|generation| *generation += 1);
    }

    /// Anchors the chain's head now, off the runtime; for shutdown.
    /// A secret store that no longer answers (its D-Bus session gone) cannot hold up the
    /// shutdown for more than a few seconds.
    pub async fn anchor_head(&self) {
        let Ok(log) = self.log.clone() else { return };
        let anchoring = tokio::task::spawn_blocking(move || log.anchor_head());
        let anchored = match tokio::time::timeout(Duration::from_secs(5), anchoring).await {
            Err(_) => Err("the secret store did not answer within 5 s".to_owned()),
            Ok(joined) => joined
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string())),
        };
        if let Err(e) = anchored {
            tracing::warn!("could not anchor the audit log at shutdown: {e}");
        }
    }

    /// Anchors the head every `anchor_every` entries of group-committed reads and within
    /// about a minute of the log going quiet, until dropped (synchronous writes anchor on their
    /// own; this covers reads, which the log's thread commits, and the last entries before a
    /// lull). The check is a lock and a comparison when there is nothing to do.
    pub async fn keep_anchored(self: Arc<Self>) {
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let Ok(log) = self.log.clone() else { return };
            match tokio::task::spawn_blocking(move || log.anchor_if_stale()).await {
                Ok(Err(e)) => tracing::warn!("could not anchor the audit log: {e}"),
                Err(e) => tracing::warn!("could not anchor the audit log: {e}"),
                Ok(Ok(_)) => {}
            }
        }
    }

    /// Records that the person acknowledged the newest break on the chain, after a presence
    /// check: from then on the log verifies again if nothing else is wrong. `false` when
    /// there was no break to acknowledge.
    pub async fn acknowledge_break(
        &self,
        presence: &dyn latchkey_vault::Presence,
        actor: &super::admin::Actor,
    ) -> Result<bool, String> {
        let log = self
            .log
            .clone()
            .map_err(|e| format!("it cannot be opened: {e}"))?;
        let request = latchkey_vault::PresenceRequest::new(
            "acknowledge the break in the audit chain and start trusting it again",
            actor.requester.clone(),
        );
        presence
            .confirm(&request)
            .await
            .map_err(|e| e.to_string())?;
        let who = actor.who.clone();
        let acknowledged = blocking(move || log.acknowledge_break(&who))
            .await?
            .map_err(|e| e.to_string())?;
        self.written();
        Ok(acknowledged.is_some())
    }

    /// How many days entries are kept.
    pub fn retention_days(&self) -> u32 {
        self.retention_days
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Keeps entries `days` from now on; a shorter retention prunes at once.
    pub fn set_retention_days(&self, days: u32) {
        let before = self
            .retention_days
            .swap(days, std::sync::atomic::Ordering::Relaxed);
        if days < before {
            self.retention_changed.notify_one();
        }
    }

    /// Prunes entries older than the retention now, then once a day and whenever the retention
    /// is shortened, until dropped. The log keeps a checkpoint entry, so what remains still
    /// verifies.
    pub async fn keep_retention(self: Arc<Self>) {
        loop {
            if let Ok(log) = self.log.clone() {
                let before =
                    chrono::Utc::now() - chrono::TimeDelta::days(self.retention_days().into());
                let pruned = blocking(move || log.prune(before))
                    .await
                    .and_then(|r| r.map_err(|e| e.to_string()));
                match pruned {
                    Ok(pruned) if pruned.removed > 0 => {
                        tracing::info!(removed = pruned.removed, "pruned old audit entries");
                        self.written();
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!("could not prune the audit log: {e}"),
                }
            }
            tokio::select! {
                () = tokio::time::sleep(std::time::Duration::from_secs(24 * 3600)) => {}
                () = self.retention_changed.notified() => {}
            }
        }
    }

    /// Hands back the log's page caches (see [`AuditLog::release_memory`]); blocks briefly.
    pub(crate) fn release_memory(&self) {
        if let Ok(log) = &self.log {
            log.release_memory();
        }
    }

    /// The log, for reading (pages, verify, export).
    pub fn log(&self) -> Result<Arc<AuditLog>, String> {
        self.log.clone()
    }

    /// Records `intent` before a tool runs; an error means the tool must not run. A tool
    /// that changes the world has its intent flushed to disk first; a read-only one is queued
    /// for the log's next group commit, so it waits for no disk and no other thread (see
    /// `AuditLog::record_read_intent`).
    pub async fn intent(&self, intent: Intent, read_only: bool) -> Result<Seq, String> {
        let log = self
            .log
            .clone()
            .map_err(|e| format!("it cannot be opened: {e}"))?;
        let seq = match read_only && log.queues_reads() {
            true => log.record_read_intent(&intent),
            false => {
                blocking(move || match read_only {
                    true => log.record_read_intent(&intent),
                    false => log.record_intent(&intent),
                })
                .await?
            }
        }
        .map_err(|e| e.to_string())?;
        self.written();
        Ok(seq)
    }

    /// Records how the call that `intent` announced ended. A failure here is logged: the
    /// intent is already on record, and the call has already happened.
    pub async fn outcome(&self, intent: Seq, result: CallResult, duration: Duration) {
        let Ok(log) = self.log.clone() else { return };
        let outcome = Outcome { result, duration };
        // Queued (no waiting) unless group commits are off or failing.
        let recorded = match log.queues_reads() {
            true => Ok(log.record_outcome(intent, &outcome)),
            false => blocking(move || log.record_outcome(intent, &outcome)).await,
        };
        let failure = match recorded {
            Ok(Ok(_)) => return self.written(),
            Ok(Err(e)) => e.to_string(),
            Err(e) => e,
        };
        tracing::error!("could not record the outcome of audit entry {intent}: {failure}");
    }

    /// Records an admin event (an unlock, an approval, …), flushed to disk before it returns.
    pub(crate) async fn record_admin(&self, event: AdminEvent) -> Result<Seq, String> {
        let log = self
            .log
            .clone()
            .map_err(|e| format!("it cannot be opened: {e}"))?;
        let seq = blocking(move || log.record_admin(&event))
            .await?
            .map_err(|e| e.to_string())?;
        self.written();
        Ok(seq)
    }

    /// Records a connection ended because a process other than the one that connected wrote
    /// on it (see [`latchkey_caller::PinnedReader`]), if it was; a call refused because the
    /// caller changed otherwise is recorded by the pipeline.
    pub(crate) async fn foreign_writer(&self, caller: &Caller, pin: &ProcessPin) {
        if let Some(changed @ Changed::ForeignWriter { .. }) = pin.broken() {
            tracing::warn!("closed the connection of {}: {changed}", caller.describe());
            self.refused(caller, &changed.to_string()).await;
        }
    }

    /// Records that a connection was refused before any MCP exchange: once per burst at most
    /// for each program, with how many were refused since its last record (a refused program
    /// reconnecting in a loop must not fill the log).
    pub async fn refused(&self, caller: &Caller, why: &str) {
        self.refused_as(assistant(None, Some(caller)), why).await;
    }

    /// Records a refused HTTP request (no valid bearer token), thinned out like refused
    /// connections; `why` never holds what was sent.
    pub async fn refused_http(&self, why: &str) {
        let unknown = Implementation::new("http client without a valid token", "");
        self.refused_as(surface(&unknown, None), why).await;
    }

    async fn refused_as(&self, assistant: Assistant, why: &str) {
        let program = assistant.executable.as_ref().unwrap_or(&assistant.name);
        let refused = {
            let mut tallies = self
                .refused_connections
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if tallies.len() >= TALLIED_PROGRAMS && !tallies.contains_key(program) {
                tallies.clear();
            }
            tallies
                .entry(program.clone())
                .or_insert_with(|| Tally::new(RECORD_REFUSED_CONNECTIONS_EVERY))
                .refused(tokio::time::Instant::now())
        };
        let Some(refused) = refused else { return };
        let intent = Intent {
            assistant,
            tool: "connect".to_owned(),
            arguments: serde_json::json!({ "refused": why, "refused_since_last_entry": refused }),
            domain: None,
            decision: Decision::RefusedUnknownClient,
            approval: None,
        };
        if let Err(e) = self.intent(intent, true).await {
            tracing::error!("could not record a refused connection: {e}");
        }
    }
}

/// Runs a short blocking write (SQLite) without stalling other tasks: in place on a
/// multi-threaded runtime (no hand-off to another thread, which costs more than the write),
/// on the blocking pool otherwise.
async fn blocking<T: Send + 'static>(
    write: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    match tokio::runtime::Handle::current().runtime_flavor() {
        tokio::runtime::RuntimeFlavor::MultiThread => Ok(tokio::task::block_in_place(write)),
        _ => tokio::task::spawn_blocking(write)
            .await
            .map_err(|e| e.to_string()),
    }
}

/// The audit chain's head, anchored in the OS secret store (so cutting entries off the end
/// of the log is detected). The log calls it from blocking code; the store is async, so each
/// call runs on `runtime` from a short-lived thread (never on a runtime thread itself).
pub struct StoreAnchor {
    store: Arc<dyn SecretStore>,
    runtime: tokio::runtime::Handle,
    /// The state item the head is kept in, named after the log's file so that side-by-side
    /// installations (`LATCHKEY_HOME`) keep their own.
    item: String,
}

impl StoreAnchor {
    /// An anchor in `store`, reached through the runtime that owns the store's connection.
    /// That runtime must be multi-threaded with a worker free to drive I/O while the caller
    /// waits (the broker's runtimes are; `Broker::serve` anchors at shutdown off the runtime).
    pub fn new(store: Arc<dyn SecretStore>, runtime: tokio::runtime::Handle, log: &Path) -> Self {
        Self {
            store,
            runtime,
            item: format!("audit chain head of {}", log.display()),
        }
    }

    fn run<T: Send>(
        &self,
        call: impl std::future::Future<Output = Result<T, latchkey_vault::Error>> + Send,
    ) -> Result<T, String> {
        std::thread::scope(|scope| {
            scope
                .spawn(|| self.runtime.block_on(call))
                .join()
                .map_err(|_| "the secret store call panicked".to_owned())?
                .map_err(|e| e.to_string())
        })
    }
}

impl fmt::Debug for StoreAnchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreAnchor").finish_non_exhaustive()
    }
}

impl Anchor for StoreAnchor {
    fn save(&self, head: &ChainHead) -> Result<(), String> {
        let json = serde_json::to_vec(head).map_err(|e| e.to_string())?;
        self.run(self.store.set_state(&self.item, &json))
    }

    fn load(&self) -> Result<Option<ChainHead>, String> {
        match self.run(self.store.state(&self.item))? {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| format!("the anchored head is not readable: {e}")),
            None => Ok(None),
        }
    }
}

/// Options for the log at `log`, its head anchored in `store` at its first entry, every 16
/// entries, after a quiet minute and at shutdown.
pub fn anchored_options(
    store: Arc<dyn SecretStore>,
    runtime: tokio::runtime::Handle,
    log: &Path,
) -> Options {
    Options {
        anchor: Some(Arc::new(StoreAnchor::new(store, runtime, log))),
        ..Options::default()
    }
}

/// The assistant as the audit names it: as the allow-list does, from what the OS says of
/// the process (the name it gave itself at initialize only when the OS said nothing), with
/// that self-given name beside it when it differs.
pub(crate) fn assistant(client: Option<&Implementation>, caller: Option<&Caller>) -> Assistant {
    let named = caller.and_then(super::admission::assistant_name);
    let client_name = client.map(|c| c.name.clone());
    let name = named
        .clone()
        .or_else(|| client_name.clone())
        .unwrap_or_else(|| "unknown".to_owned());
    Assistant {
        client: client_name.filter(|client| *client != name),
        name,
        ..surface_program(client, caller)
    }
}

/// An assistant over loopback HTTP, named by its token (the client's own name beside it).
pub(crate) fn token_holder(token: &str, client: Option<&Implementation>) -> Assistant {
    let client_name = client.map(|c| c.name.clone());
    Assistant {
        client: client_name.filter(|client| client != token),
        name: token.to_owned(),
        ..surface_program(client, None)
    }
}

/// A surface of Latchkey itself (the CLI, the app) named by `surface`, with what the OS says
/// of the program that ran it.
pub(crate) fn surface(surface: &Implementation, caller: Option<&Caller>) -> Assistant {
    Assistant {
        name: surface.name.clone(),
        client: None,
        ..surface_program(Some(surface), caller)
    }
}

/// The version a client gave, and what the OS says of its process.
fn surface_program(client: Option<&Implementation>, caller: Option<&Caller>) -> Assistant {
    let process = caller.and_then(|c| c.assistant.as_ref());
    Assistant {
        name: String::new(),
        client: None,
        version: client.map(|c| c.version.clone()).unwrap_or_default(),
        executable: caller
            .and_then(Caller::assistant_executable)
            .map(|p| p.display().to_string()),
        pid: process
            .map(|p| p.pid)
            .or_else(|| caller.and_then(|c| c.pid)),
        bundle_id: caller
            .and_then(|c| c.app.as_ref())
            .and_then(|app| app.bundle_id.clone()),
    }
}
