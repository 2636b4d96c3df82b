//! Which assistants may use the broker. An assistant not seen before is held at connect until
//! the person allows it (Touch ID on a Mac, the app's dialog on Linux; `latchkey assistants
//! allow` from a terminal asks the same check). The answer is remembered by the assistant's
//! executable (the `.app` bundle on macOS) in `assistants.json`, sealed (see `sealed`), and
//! can be revoked. Forgetting one asks for presence too: a forgotten denial is asked again.
//!
//! On macOS the team id of the assistant's valid code signature is remembered with the path.
//! A caller at a remembered path whose team differs (another team, or no valid signature
//! any more) is not that assistant: it is asked about again, and the answer replaces the
//! record. A record without a team id (Linux, unsigned, or decided before it was known)
//! matches by path alone, and learns the team of the first signed caller seen at that path.
//!
//! An interpreter (`python3`, `node`, `sh`, …) is never allowed by itself: a caller that is
//! one running a script is remembered by the script, with the interpreter beside it (another
//! interpreter running that file is asked about again), and one running code that is in no
//! file is refused. A record for a bare interpreter (from before) therefore admits nothing.
//!
//! The list is identification, not authentication (see `latchkey-caller`): it makes the
//! person decide once per program, it cannot stop a same-user process that imitates one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use latchkey_caller::Caller;
use latchkey_vault::{Presence, PresenceError, PresenceRequest, Requester};
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex as AsyncMutex, watch};

use super::unanswered::{Unanswered, not_asked_again};
use crate::sealed::{RefusedFile, SealedFile};

/// Whether an assistant may connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Allowed,
    Denied,
}

/// One assistant the person has decided about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AssistantRecord {
    /// The executable, `.app` bundle or (run by an interpreter) script the decision is
    /// remembered by.
    pub path: PathBuf,
    /// The interpreter that ran the script at `path`, when `path` is a script.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpreter: Option<PathBuf>,
    /// What it is called, e.g. `Claude` or `python3`.
    pub name: String,
    /// macOS bundle id, when it is an app.
    pub bundle_id: Option<String>,
    /// macOS: the team id of its valid code signature, when it had one.
    #[serde(default)]
    pub team_id: Option<String>,
    pub verdict: Verdict,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

/// Why a connection is not served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "{0} was denied earlier; allow it on the Assistants page or with `latchkey assistants allow`"
    )]
    Denied(String),
    #[error("{name} was not allowed: {reason}")]
    NotAllowed { name: String, reason: String },
    #[error("the caller cannot be identified: {0}")]
    Unidentified(String),
    #[error(
        "the HTTP token {0} was revoked in Latchkey; the person makes a new one with `latchkey \
         http tokens create`"
    )]
    TokenRevoked(String),
    #[error(
        "{0}: an interpreter is never allowed by itself, only a script it runs (or the program that started it)"
    )]
    Interpreter(String),
}

/// The allow-list and the prompts for newcomers.
#[derive(Debug)]
pub struct Assistants {
    presence: Arc<dyn Presence>,
    file: Option<SealedFile>,
    records: Mutex<Vec<AssistantRecord>>,
    /// One prompt per program at a time: other connections from it wait for that answer.
    asking: AsyncMutex<HashMap<PathBuf, Arc<AsyncMutex<()>>>>,
    /// Programs whose prompt nobody answered lately: not asked about again for a while.
    unanswered: Unanswered<PathBuf>,
    changes: watch::Sender<u64>,
}

impl Assistants {
    /// An allow-list kept in `file` (in memory only without one). A missing file means
    /// empty; a refused one (not sealed by this broker's key, or damaged) too, so every
    /// assistant is asked about again: see [`Self::refused_file`].
    pub fn new(presence: Arc<dyn Presence>, file: Option<SealedFile>) -> Self {
        let records = file.as_ref().and_then(SealedFile::load).unwrap_or_default();
        Self {
            presence,
            file,
            records: Mutex::new(records),
            asking: AsyncMutex::new(HashMap::new()),
            unanswered: Unanswered::default(),
            changes: watch::channel(0).0,
        }
    }

    /// Every remembered assistant, most recently seen first.
    pub fn list(&self) -> Vec<AssistantRecord> {
        let mut all = self.records().clone();
        all.sort_by_key(|r| std::cmp::Reverse(r.last_seen));
        all
    }

    /// Sees a new value whenever the list changes.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Lets `caller` in if it is allowed, asking the person when it is new or its signature
    /// changed. Denials are remembered; a prompt nobody answered is not asked again for a
    /// short while (see [`super::unanswered`]).
    pub async fn admit(&self, caller: &Caller) -> Result<AssistantRecord, Refusal> {
        if caller.runs_inline_code() {
            return Err(Refusal::Interpreter(caller.describe()));
        }
        let path = caller
            .assistant_executable()
            .map(PathBuf::from)
            .ok_or_else(|| Refusal::Unidentified(caller.describe()))?;
        let team_id = caller.team_id();
        let interpreter = caller.interpreter();
        if let Seen::Known(known) = self.seen(&path, interpreter, team_id) {
            return admission(known);
        }
        let turn = {
            let mut asking = self.asking.lock().await;
            Arc::clone(asking.entry(path.clone()).or_default())
        };
        let _mine = turn.lock().await;
        // Another connection from the same program may have been answered meanwhile.
        let action = match self.seen(&path, interpreter, team_id) {
            Seen::Known(known) => return admission(known),
            Seen::New => format!("allow {} to use Latchkey", caller.describe()),
            Seen::SignatureChanged { was } => format!(
                "allow {} to use Latchkey although its code signature changed \
                 (signed by team {was} before, {} now)",
                caller.describe(),
                team_id.map_or_else(
                    || "not validly signed by a team".to_owned(),
                    |team| format!("by team {team}")
                ),
            ),
        };
        let name = display_name(caller);
        if let Some(wait) = self.unanswered.wait_for(&path) {
            let reason = not_asked_again(wait);
            return Err(Refusal::NotAllowed { name, reason });
        }
        let request = PresenceRequest::allow_assistant(action, Requester::Assistant(name.clone()));
        let verdict = match self.presence.confirm(&request).await {
            Ok(()) => Verdict::Allowed,
            Err(PresenceError::Declined) => Verdict::Denied,
            Err(e) => {
                if matches!(e, PresenceError::TimedOut) {
                    self.unanswered.remember(path);
                }
                return Err(Refusal::NotAllowed {
                    name,
                    reason: e.to_string(),
                });
            }
        };
        let now = Utc::now();
        admission(self.remember(AssistantRecord {
            path,
            interpreter: interpreter.map(PathBuf::from),
            name,
            bundle_id: bundle_id(caller),
            team_id: team_id.map(str::to_owned),
            verdict,
            first_seen: now,
            last_seen: now,
        }))
    }

    /// Why `caller` is refused without asking anyone: the person denied it. A newcomer is not
    /// refused here (see [`Self::admit`]).
    pub fn refusal(&self, caller: &Caller) -> Option<Refusal> {
        let path = caller.assistant_executable()?;
        let interpreter = caller.interpreter();
        self.records()
            .iter()
            .find(|r| r.is(path, interpreter) && r.verdict == Verdict::Denied)
            .map(|r| Refusal::Denied(r.name.clone()))
    }

    /// Allows or denies a program by path (from the CLI or the Assistants page); allowing
    /// asks for presence (a click on the page can be automated).
    pub async fn set_verdict(
        &self,
        path: PathBuf,
        verdict: Verdict,
        requester: Requester,
    ) -> Result<AssistantRecord, PresenceError> {
        let name = self
            .records()
            .iter()
            .find(|r| r.path == path)
            .map(|r| r.name.clone())
            .unwrap_or_else(|| file_name(&path));
        if verdict == Verdict::Allowed {
            let request = PresenceRequest::new(
                format!("allow {name} ({}) to use Latchkey", path.display()),
                requester,
            );
            self.presence.confirm(&request).await?;
        }
        let now = Utc::now();
        let record = {
            let mut records = self.records();
            match records.iter_mut().find(|r| r.path == path) {
                Some(known) => {
                    known.verdict = verdict;
                    known.last_seen = now;
                    known.clone()
                }
                None => {
                    let record = AssistantRecord {
                        path,
                        interpreter: None,
                        name,
                        bundle_id: None,
                        team_id: None,
                        verdict,
                        first_seen: now,
                        last_seen: now,
                    };
                    records.push(record.clone());
                    record
                }
            }
        };
        Ok(self.decided(record))
    }

    /// The path an assistant is remembered by, from what a person typed: a remembered name
    /// or path, else the text as a path.
    pub fn resolve(&self, name_or_path: &str) -> PathBuf {
        let wanted = name_or_path.trim();
        self.records()
            .iter()
            .find(|r| r.name == wanted || r.path.as_os_str() == wanted)
            .map_or_else(|| PathBuf::from(wanted), |r| r.path.clone())
    }

    /// The allow-list file refused at start, while the person has not decided anew.
    pub fn refused_file(&self) -> Option<RefusedFile> {
        RefusedFile::of(
            self.file.as_ref(),
            "Every assistant is asked about again: allow yours on the Assistants page or with \
             `latchkey assistants allow NAME`",
        )
    }

    /// Forgets a program, after a presence check: it is asked about again at its next
    /// connection (so a denied one would be let in by a careless answer). `false`, without
    /// asking, when it was not on the list.
    pub async fn forget(&self, path: &Path, requester: Requester) -> Result<bool, PresenceError> {
        let Some(name) = self
            .records()
            .iter()
            .find(|r| r.path == path)
            .map(|r| r.name.clone())
        else {
            return Ok(false);
        };
        let request = PresenceRequest::new(
            format!(
                "forget {name} ({}): it will be asked about again when it connects",
                path.display()
            ),
            requester,
        );
        self.presence.confirm(&request).await?;
        let removed = {
            let mut records = self.records();
            let before = records.len();
            records.retain(|r| r.path != path);
            before != records.len()
        };
        if removed {
            self.save();
        }
        Ok(removed)
    }

    /// What the list says of a caller at `path` (run by `interpreter`, when a script) signed
    /// by `team_id`; a known one is marked seen now, and a record without a team learns it.
    fn seen(&self, path: &Path, interpreter: Option<&Path>, team_id: Option<&str>) -> Seen {
        let (seen, learned) = {
            let mut records = self.records();
            let Some(record) = records.iter_mut().find(|r| r.is(path, interpreter)) else {
                return Seen::New;
            };
            let learned = match (&record.team_id, team_id) {
                (Some(was), now) if now != Some(was.as_str()) => {
                    return Seen::SignatureChanged { was: was.clone() };
                }
                (None, Some(team)) => {
                    record.team_id = Some(team.to_owned());
                    true
                }
                _ => false,
            };
            record.last_seen = Utc::now();
            (Seen::Known(record.clone()), learned)
        };
        if learned {
            tracing::info!(path = %path.display(), team_id, "assistant's team id remembered");
            self.save();
        }
        seen
    }

    /// Remembers an answer about `record.path`, replacing what was remembered there.
    fn remember(&self, record: AssistantRecord) -> AssistantRecord {
        {
            let mut records = self.records();
            records.retain(|r| r.path != record.path);
            records.push(record.clone());
        }
        self.decided(record)
    }

    /// Logs and saves a decision.
    fn decided(&self, record: AssistantRecord) -> AssistantRecord {
        tracing::info!(
            path = %record.path.display(),
            team_id = record.team_id.as_deref().unwrap_or("none"),
            verdict = ?record.verdict,
            "assistant decided"
        );
        self.save();
        record
    }

    fn save(&self) {
        if let Some(file) = &self.file {
            let records = self.records().clone();
            if let Err(e) = file.save(&records) {
                tracing::warn!("cannot save {}: {e}", file.path().display());
            }
        }
        self.changes.send_modify(|generation| *generation += 1);
    }

    fn records(&self) -> std::sync::MutexGuard<'_, Vec<AssistantRecord>> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl AssistantRecord {
    /// Whether this is the record of a caller at `path`, run by `interpreter`.
    fn is(&self, path: &Path, interpreter: Option<&Path>) -> bool {
        self.path == path && self.interpreter.as_deref() == interpreter
    }
}

/// What the list says of a caller.
enum Seen {
    /// Remembered, with the same signature (or none to compare).
    Known(AssistantRecord),
    /// Remembered by path, but signed by team `was` then and not now.
    SignatureChanged {
        was: String,
    },
    New,
}

/// What a remembered verdict means for a connection.
fn admission(record: AssistantRecord) -> Result<AssistantRecord, Refusal> {
    match record.verdict {
        Verdict::Allowed => Ok(record),
        Verdict::Denied => Err(Refusal::Denied(record.name)),
    }
}

/// The app's name on macOS, else the assistant process's name.
fn display_name(caller: &Caller) -> String {
    assistant_name(caller).unwrap_or_else(|| "an unknown program".to_owned())
}

/// How the allow-list and the audit both name an assistant, from what the OS says (never the
/// name an MCP client gives itself, which any program can choose): what its interpreter runs
/// ("python3.11 running tool.py"), else its app's name, else its executable's file name; the
/// kernel's short process name (15 bytes on Linux, e.g. "dbus-run-sessio") only when none
/// is known.
pub(crate) fn assistant_name(caller: &Caller) -> Option<String> {
    let script = || {
        let interpreter = caller.interpreter()?;
        let script = caller.assistant_executable()?;
        Some(format!(
            "{} running {}",
            file_name(interpreter),
            file_name(script)
        ))
    };
    script()
        .or_else(|| caller.app.as_ref().map(|app| app.name.clone()))
        .or_else(|| caller.assistant_executable().map(file_name))
        .or_else(|| caller.assistant.as_ref().map(|p| p.name.clone()))
}

fn bundle_id(caller: &Caller) -> Option<String> {
    caller.app.as_ref().and_then(|app| app.bundle_id.clone())
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
