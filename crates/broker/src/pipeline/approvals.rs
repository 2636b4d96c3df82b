//! Approvals: a call that changes something waits here until the person approves it (with
//! presence), denies it, or lets it time out (denied). Nothing an assistant sends reaches
//! [`Approvals::approve`]: only the control socket (the CLI, with presence) and the app do.
//!
//! An approval may be remembered for a short while as a grant. A grant covers the same
//! assistant calling the same tool with the same arguments on the same domain, so it never
//! covers another target or anything else that changes the effect. Every decision is on the
//! audit log before the call runs.
//!
//! A request nobody answered is remembered for a short while (see [`super::unanswered`]):
//! the same call asked again meanwhile is refused without a new card.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use latchkey_audit::{Assistant, Decision};
use latchkey_vault::{Presence, PresenceRequest};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::{oneshot, watch};

use super::admin::{Actor, Event};
use super::audit::Audit;
use super::unanswered::Unanswered;
use super::{Call, Change, ChangeTarget};

/// How long a request waits for the person by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// Shortens every approval wait (tests use it); it can never make one longer.
pub const TIMEOUT_VAR: &str = "LATCHKEY_APPROVAL_TIMEOUT_SECS";

/// `timeout`, or shorter with [`TIMEOUT_VAR`].
fn shortened_timeout(timeout: Duration) -> Duration {
    crate::limits::shortened_from_env(TIMEOUT_VAR, timeout)
}

/// The longest a grant may be remembered.
pub const MAX_GRANT: Duration = Duration::from_secs(3600);
/// How often a waiting caller is told it is still waiting.
const WAITING_EVERY: Duration = Duration::from_secs(10);

/// A change waiting for the person, as the app's card and `latchkey approvals list` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ApprovalRequest {
    pub id: String,
    /// The assistant: its name, executable and (macOS) team id.
    pub assistant: AssistantView,
    pub tool: String,
    pub domain: Option<String>,
    pub targets: Vec<ChangeTarget>,
    /// The change in plain words.
    pub summary: String,
    /// The tool's full preview.
    pub details: serde_json::Value,
    pub asked_at: DateTime<Utc>,
    /// When it counts as denied if nobody answered.
    pub expires_at: DateTime<Utc>,
}

/// Who asked, as a person recognises it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "ApprovalAssistant"))]
pub struct AssistantView {
    /// As the allow-list and the audit name it.
    pub name: String,
    /// The name its MCP client gave itself, when it differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    pub executable: Option<String>,
    pub team_id: Option<String>,
}

/// A remembered approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Grant {
    pub id: String,
    pub assistant: AssistantView,
    pub tool: String,
    pub domain: Option<String>,
    pub targets: Vec<ChangeTarget>,
    pub summary: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    #[serde(skip)]
    key: GrantKey,
}

/// What a grant is bound to: assistant, tool, domain and the exact arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct GrantKey([u8; 32]);

/// A changing call, ready to be asked about.
#[derive(Debug)]
pub struct Asked {
    request: ApprovalRequest,
    key: GrantKey,
}

impl Asked {
    pub fn new(call: &Call, assistant: &Assistant, change: &Change) -> Self {
        let team_id = call
            .origin
            .caller
            .as_deref()
            .and_then(|c| c.team_id())
            .map(str::to_owned);
        let view = AssistantView {
            name: assistant.name.clone(),
            client: assistant.client.clone(),
            executable: assistant.executable.clone(),
            team_id,
        };
        let domain = call.domain.as_ref().map(ToString::to_string);
        // serde_json's maps are sorted, so equal arguments give equal bytes.
        let key = GrantKey(
            Sha256::new()
                .chain_update(view.executable.as_deref().unwrap_or(&view.name))
                .chain_update([0])
                .chain_update(view.team_id.as_deref().unwrap_or_default())
                .chain_update([0])
                .chain_update(&call.tool)
                .chain_update([0])
                .chain_update(domain.as_deref().unwrap_or_default())
                .chain_update([0])
                .chain_update(serde_json::to_vec(&call.arguments).unwrap_or_default())
                .finalize()
                .into(),
        );
        let now = Utc::now();
        Self {
            request: ApprovalRequest {
                id: short_id(),
                assistant: view,
                tool: call.tool.clone(),
                domain,
                targets: change.targets.clone(),
                summary: change.summary.clone(),
                details: change.details.clone(),
                asked_at: now,
                expires_at: now,
            },
            key,
        }
    }
}

/// Told, every few seconds, that a call is still waiting for the person.
pub type WaitingNotice = Box<dyn Fn(&str) + Send + Sync>;

/// How a request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalVerdict {
    /// Approved: how, for the audit ("approved once by the person (request …)", "grant …").
    Approved(String),
    Denied,
    /// Nobody answered within this time.
    TimedOut(String),
    /// Nobody answered the same request a moment ago: not asked again for this long.
    Unanswered(Duration),
}

/// Why an answer could not be given.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApprovalError {
    #[error("no approval request {0} is waiting (answered, timed out, or never asked)")]
    UnknownRequest(String),
    #[error("no grant {0} (expired, revoked, or never made)")]
    UnknownGrant(String),
    #[error("a grant lasts at most {} minutes", MAX_GRANT.as_secs() / 60)]
    TooLong,
    #[error(transparent)]
    Presence(#[from] latchkey_vault::PresenceError),
    #[error("Latchkey could not write its audit log, so nothing was decided: {0}")]
    Audit(String),
}

/// The person's answer to one request.
#[derive(Debug)]
enum Answer {
    Approve { how: String },
    Deny,
}

#[derive(Debug)]
struct Waiting {
    request: ApprovalRequest,
    key: GrantKey,
    answer: oneshot::Sender<Answer>,
}

#[derive(Debug, Default)]
struct State {
    waiting: Vec<Waiting>,
    grants: Vec<Grant>,
}

/// The requests waiting for the person, and the grants remembered.
#[derive(Debug)]
pub struct Approvals {
    presence: Arc<dyn Presence>,
    audit: Arc<Audit>,
    timeout: Mutex<Duration>,
    state: Mutex<State>,
    /// Requests that timed out lately, by what a grant would be bound to.
    unanswered: Unanswered<GrantKey>,
    changes: watch::Sender<u64>,
}

impl Approvals {
    pub fn new(presence: Arc<dyn Presence>, audit: Arc<Audit>) -> Self {
        Self {
            presence,
            audit,
            timeout: Mutex::new(shortened_timeout(DEFAULT_TIMEOUT)),
            state: Mutex::default(),
            unanswered: Unanswered::default(),
            changes: watch::channel(0).0,
        }
    }

    /// How long a request waits before it counts as denied.
    pub fn timeout(&self) -> Duration {
        *lock(&self.timeout)
    }

    /// Sets how long a request waits before it counts as denied ([`TIMEOUT_VAR`] may shorten
    /// it).
    pub fn set_timeout(&self, timeout: Duration) {
        *lock(&self.timeout) = shortened_timeout(timeout);
    }

    /// Sees a new value whenever a request or grant comes or goes.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// The requests waiting, oldest first.
    pub fn pending(&self) -> Vec<ApprovalRequest> {
        lock(&self.state)
            .waiting
            .iter()
            .map(|w| w.request.clone())
            .collect()
    }

    /// The grants in force, soonest to expire first.
    pub fn grants(&self) -> Vec<Grant> {
        let mut state = lock(&self.state);
        let now = Utc::now();
        state.grants.retain(|g| g.expires_at > now);
        let mut grants = state.grants.clone();
        grants.sort_by_key(|g| g.expires_at);
        grants
    }

    /// Waits for the person's answer to `asked`, unless a grant already covers it or the same
    /// request went unanswered a moment ago. `waiting` is told every few seconds meanwhile. A
    /// timeout is recorded on the audit log here; an answer was recorded by whoever gave it.
    pub async fn ask(&self, asked: Asked, waiting: Option<WaitingNotice>) -> ApprovalVerdict {
        let Asked { mut request, key } = asked;
        if let Some(grant) = self.covering(&key) {
            return ApprovalVerdict::Approved(format!(
                "grant {} (until {})",
                grant.id,
                grant.expires_at.format("%Y-%m-%d %H:%M:%S UTC")
            ));
        }
        if let Some(wait) = self.unanswered.wait_for(&key) {
            return ApprovalVerdict::Unanswered(wait);
        }
        let timeout = *lock(&self.timeout);
        request.expires_at =
            request.asked_at + chrono::TimeDelta::from_std(timeout).unwrap_or_default();
        let id = request.id.clone();
        let (answer_tx, mut answer) = oneshot::channel();
        lock(&self.state).waiting.push(Waiting {
            request: request.clone(),
            key: key.clone(),
            answer: answer_tx,
        });
        self.changed();
        let deadline = tokio::time::Instant::now() + timeout;
        let verdict = loop {
            if let Some(tell) = &waiting {
                tell("waiting for approval in Latchkey");
            }
            let tick = (tokio::time::Instant::now() + WAITING_EVERY).min(deadline);
            tokio::select! {
                answered = &mut answer => break match answered {
                    Ok(Answer::Approve { how }) => ApprovalVerdict::Approved(how),
                    Ok(Answer::Deny) | Err(_) => ApprovalVerdict::Denied,
                },
                () = tokio::time::sleep_until(tick) => if tick >= deadline {
                    break ApprovalVerdict::TimedOut(minutes(timeout));
                },
            }
        };
        if matches!(verdict, ApprovalVerdict::TimedOut(_)) && self.take(&id).is_some() {
            self.unanswered.remember(key);
            self.changed();
            let event = event(&request, "approval.timeout", Decision::TimedOut);
            if let Err(e) = self.audit.admin(&Actor::latchkey(), event).await {
                tracing::error!("could not record an approval timeout: {e}");
            }
        }
        verdict
    }

    /// A change the person asked for themselves (in the app): the presence check is the
    /// approval, and it is on the audit log before the call goes on.
    pub async fn confirm_own(&self, asked: Asked, actor: &Actor) -> ApprovalVerdict {
        let request = asked.request;
        let action = format!(
            "{} on {}",
            request.summary,
            request.domain.as_deref().unwrap_or("Latchkey")
        );
        let presence = PresenceRequest::new(action, actor.requester.clone());
        if let Err(e) = self.presence.confirm(&presence).await {
            tracing::info!("{} not confirmed: {e}", request.tool);
            let event = event(&request, "approval.deny", Decision::Denied);
            if let Err(e) = self.audit.admin(actor, event).await {
                tracing::error!("could not record a declined change: {e}");
            }
            return ApprovalVerdict::Denied;
        }
        let event = event(&request, "approval.approve", Decision::Approved);
        match self.audit.admin(actor, event).await {
            Ok(_) => ApprovalVerdict::Approved(format!(
                "asked and confirmed by the person in the app (request {})",
                request.id
            )),
            Err(e) => {
                tracing::error!("could not record an approval, so it does not count: {e}");
                ApprovalVerdict::Denied
            }
        }
    }

    /// Approves request `id`, once or (with `remember`) for a while; asks `actor` for
    /// presence first. The decision is on the audit log before the call goes on.
    pub async fn approve(
        &self,
        id: &str,
        remember: Option<Duration>,
        actor: &Actor,
    ) -> Result<Option<Grant>, ApprovalError> {
        if remember.is_some_and(|d| d > MAX_GRANT) {
            return Err(ApprovalError::TooLong);
        }
        let request = self.find(id)?;
        let action = format!(
            "approve: {} (asked by {}){}",
            request.summary,
            request.assistant.name,
            remember.map_or_else(String::new, |d| format!(
                ", and the same call for {}",
                minutes(d)
            ))
        );
        self.presence
            .confirm(&PresenceRequest::new(action, actor.requester.clone()))
            .await?;
        let waiting = self
            .take(id)
            .ok_or_else(|| ApprovalError::UnknownRequest(id.to_owned()))?;
        let grant = remember.map(|d| {
            let now = Utc::now();
            Grant {
                id: format!("g-{}", short_id()),
                assistant: waiting.request.assistant.clone(),
                tool: waiting.request.tool.clone(),
                domain: waiting.request.domain.clone(),
                targets: waiting.request.targets.clone(),
                summary: waiting.request.summary.clone(),
                created_at: now,
                expires_at: now + chrono::TimeDelta::from_std(d).unwrap_or_default(),
                key: waiting.key.clone(),
            }
        });
        let mut event = event(&waiting.request, "approval.approve", Decision::Approved);
        if let Some(grant) = &grant {
            event.details["grant"] = grant.id.clone().into();
            event.details["grant_expires_at"] = grant.expires_at.to_rfc3339().into();
        }
        if let Err(e) = self.audit.admin(actor, event).await {
            // Unrecorded, the approval does not count: the call is denied.
            let _ = waiting.answer.send(Answer::Deny);
            self.changed();
            return Err(ApprovalError::Audit(e));
        }
        let how = match &grant {
            Some(grant) => {
                lock(&self.state).grants.push(grant.clone());
                format!(
                    "approved by the person (request {id}) and remembered as grant {} until {}",
                    grant.id,
                    grant.expires_at.format("%Y-%m-%d %H:%M:%S UTC")
                )
            }
            None => format!("approved once by the person (request {id})"),
        };
        let _ = waiting.answer.send(Answer::Approve { how });
        self.changed();
        Ok(grant)
    }

    /// Denies request `id`; no presence needed to say no.
    pub async fn deny(&self, id: &str, actor: &Actor) -> Result<(), ApprovalError> {
        let waiting = self
            .take(id)
            .ok_or_else(|| ApprovalError::UnknownRequest(id.to_owned()))?;
        let event = event(&waiting.request, "approval.deny", Decision::Denied);
        // The call is denied whether or not the audit takes the record.
        let recorded = self.audit.admin(actor, event).await;
        let _ = waiting.answer.send(Answer::Deny);
        self.changed();
        recorded.map(|_| ()).map_err(ApprovalError::Audit)
    }

    /// Revokes grant `id` at once.
    pub async fn revoke(&self, id: &str, actor: &Actor) -> Result<(), ApprovalError> {
        let grant = {
            let mut state = lock(&self.state);
            let at = state.grants.iter().position(|g| g.id == id);
            at.map(|at| state.grants.remove(at))
        }
        .ok_or_else(|| ApprovalError::UnknownGrant(id.to_owned()))?;
        self.changed();
        let event = Event {
            action: "grant.revoke",
            details: serde_json::json!({
                "grant": grant.id, "tool": grant.tool, "assistant": grant.assistant.name,
                "summary": grant.summary,
            }),
            domain: grant.domain.clone(),
            decision: Decision::Allowed,
        };
        self.audit
            .admin(actor, event)
            .await
            .map(|_| ())
            .map_err(ApprovalError::Audit)
    }

    fn covering(&self, key: &GrantKey) -> Option<Grant> {
        let now = Utc::now();
        let mut state = lock(&self.state);
        state.grants.retain(|g| g.expires_at > now);
        state.grants.iter().find(|g| &g.key == key).cloned()
    }

    fn find(&self, id: &str) -> Result<ApprovalRequest, ApprovalError> {
        lock(&self.state)
            .waiting
            .iter()
            .find(|w| w.request.id == id)
            .map(|w| w.request.clone())
            .ok_or_else(|| ApprovalError::UnknownRequest(id.to_owned()))
    }

    fn take(&self, id: &str) -> Option<Waiting> {
        let mut state = lock(&self.state);
        let at = state.waiting.iter().position(|w| w.request.id == id)?;
        Some(state.waiting.remove(at))
    }

    fn changed(&self) {
        self.changes.send_modify(|generation| *generation += 1);
    }
}

/// The audit entry for a decision about `request`.
fn event(request: &ApprovalRequest, action: &'static str, decision: Decision) -> Event {
    Event {
        action,
        details: serde_json::json!({
            "request": request.id,
            "tool": request.tool,
            "assistant": request.assistant.name,
            "assistant_executable": request.assistant.executable,
            "targets": request.targets,
            "summary": request.summary,
        }),
        domain: request.domain.clone(),
        decision,
    }
}

/// "2 min", "15 min", "1 h".
pub fn minutes(d: Duration) -> String {
    match d.as_secs() {
        s if s >= 3600 && s % 3600 == 0 => format!("{} h", s / 3600),
        s if s >= 60 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// Eight hex digits from the OS's random source: short enough to type.
fn short_id() -> String {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
