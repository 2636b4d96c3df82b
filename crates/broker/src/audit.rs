//! The broker's side of the audit log: who called which tool, written before the tool runs
//! (a call that cannot be recorded is refused), and how it ended.
//!
//! The log itself (hash chain, verify, search) is `latchkey-audit`; this module turns an MCP
//! call and its caller into entries, off the async runtime (SQLite blocks).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use latchkey_audit::{Assistant, AuditLog, CallResult, Decision, Intent, Options, Outcome, Seq};
use latchkey_caller::Caller;
use rmcp::model::Implementation;
use tokio::sync::watch;

/// The audit log, or why it could not be opened (then every tool call is refused).
#[derive(Debug)]
pub struct Audit {
    log: Result<Arc<AuditLog>, String>,
    /// Bumped after every entry written, for displays that follow the log.
    changes: watch::Sender<u64>,
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
        }
    }

    /// Sees a new value whenever entries were written.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn written(&self) {
        self.changes.send_modify(|generation| *generation += 1);
    }

    /// The log, for reading (pages, verify, export).
    pub fn log(&self) -> Result<Arc<AuditLog>, String> {
        self.log.clone()
    }

    /// Commits `intent` before a tool runs; an error means the tool must not run.
    pub async fn intent(&self, intent: Intent) -> Result<Seq, String> {
        let log = self
            .log
            .clone()
            .map_err(|e| format!("it cannot be opened: {e}"))?;
        tokio::task::spawn_blocking(move || log.record_intent(&intent))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())
    }

    /// Records how the call that `intent` announced ended. A failure here is logged: the
    /// intent is already on record, and the call has already happened.
    pub async fn outcome(&self, intent: Seq, result: CallResult, duration: Duration) {
        let Ok(log) = self.log.clone() else { return };
        let outcome = Outcome { result, duration };
        let written = tokio::task::spawn_blocking(move || log.record_outcome(intent, &outcome));
        let failure = match written.await {
            Ok(Ok(_)) => return self.written(),
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        };
        tracing::error!("could not record the outcome of audit entry {intent}: {failure}");
    }

    /// Records that a connection was refused before any MCP exchange.
    pub async fn refused(&self, caller: &Caller, why: &str) {
        let intent = Intent {
            assistant: assistant(None, Some(caller)),
            tool: "connect".to_owned(),
            arguments: serde_json::json!({ "refused": why }),
            domain: None,
            decision: Decision::RefusedUnknownClient,
        };
        if let Err(e) = self.intent(intent).await {
            tracing::error!("could not record a refused connection: {e}");
        }
    }
}

/// The assistant as the audit names it: what it told us at initialize, and what the OS says.
pub(crate) fn assistant(client: Option<&Implementation>, caller: Option<&Caller>) -> Assistant {
    let process = caller.and_then(|c| c.assistant.as_ref());
    Assistant {
        name: client
            .map(|c| c.name.clone())
            .or_else(|| process.map(|p| p.name.clone()))
            .unwrap_or_else(|| "unknown".to_owned()),
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
