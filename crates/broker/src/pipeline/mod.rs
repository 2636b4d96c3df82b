//! The one guarded path every request takes, whatever surface it came from (the MCP socket,
//! the `latchkey mcp` bridge, MCP over loopback HTTP, the control socket, an app command):
//!
//! caller identity (still the processes identified at connect) → allow-list ([`admission`])
//! → call rate ([`rate`]) → domain lock → approval ([`approvals`], changing calls only) →
//! audit intent ([`audit`]) → run → audit outcome.
//!
//! Each stage can veto before the call runs and the audit records after, like Secretive's
//! "witness". Surfaces build a [`Call`] and hand [`Pipeline::run`] the work; none of them
//! re-implements a stage. What the person does themselves (unlock, add a credential, allow an
//! assistant, approve) takes [`admin`], which records each on the same chain.

pub mod admin;
pub mod admission;
pub mod approvals;
pub mod audit;
pub mod rate;
mod unanswered;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use latchkey_audit::{Assistant, CallResult, Decision, Intent};
use latchkey_caller::{Caller, ProcessPin};
use latchkey_vault::Domain;
use rmcp::model::Implementation;
use serde::{Deserialize, Serialize};

use crate::CredentialService;
use admin::Actor;
use admission::{Assistants, Refusal};
use approvals::{ApprovalVerdict, Approvals, Asked};
use audit::Audit;
use rate::{CallRate, Limited};

/// Where a request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Surface {
    /// An assistant over MCP (the socket, or the `latchkey mcp` bridge in front of it).
    Mcp,
    /// The `latchkey` command line, through the control socket.
    Control,
    /// The person in the Latchkey app.
    App,
}

/// Who is asking, worked out once per connection: what the OS says of the peer (absent for
/// the app itself) and what the client says it is.
#[derive(Debug, Clone)]
pub struct Origin {
    pub surface: Surface,
    /// The peer process and the program it belongs to; `None` in process.
    pub caller: Option<Arc<Caller>>,
    /// The client's own name and version (MCP `clientInfo`), when it gave one.
    pub client: Option<Implementation>,
    /// The processes `caller` was identified by, checked again at every call.
    pub pin: Option<Arc<ProcessPin>>,
    /// Over loopback HTTP: the name of the token the request came with, which names the
    /// assistant (TCP tells nothing of the process) and is checked again at every call.
    pub token: Option<Arc<str>>,
}

impl Origin {
    /// The app's own requests: the person clicked.
    pub fn app() -> Self {
        Self {
            surface: Surface::App,
            caller: None,
            client: Some(Implementation::new("latchkey-app", crate::VERSION)),
            pin: None,
            token: None,
        }
    }

    /// The assistant as the audit names it: by its token over HTTP, else by its process.
    pub fn assistant(&self) -> Assistant {
        match &self.token {
            Some(token) => audit::token_holder(token, self.client.as_ref()),
            None => audit::assistant(self.client.as_ref(), self.caller.as_deref()),
        }
    }
}

/// Whether a tool changes anything, from its MCP annotations (`readOnlyHint`), never its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    ReadOnly,
    Changes,
}

impl Effect {
    /// A tool without a `readOnlyHint: true` annotation is treated as changing things.
    pub fn of(tool: &rmcp::model::Tool) -> Self {
        match tool.annotations.as_ref().and_then(|a| a.read_only_hint) {
            Some(true) => Effect::ReadOnly,
            _ => Effect::Changes,
        }
    }
}

/// Works out (and checks) what a changing call will do; only changing calls are previewed.
/// It may borrow the surface's state (`'a`), not the call.
pub type Preview<'a> = Pin<Box<dyn Future<Output = Result<Change, String>> + Send + 'a>>;

/// The preview of a surface whose calls only read (it is never asked for).
/// How a call that answers `result` ended, for the audit: a failed one as a tool error (its
/// message goes to the caller, not the log).
pub fn outcome_of<T, E>(result: &Result<T, E>) -> CallResult {
    match result {
        Ok(_) => CallResult::Ok,
        Err(_) => CallResult::Error("tool_error".to_owned()),
    }
}

pub fn no_preview(call: &Call) -> Preview<'static> {
    Box::pin(std::future::ready(Err(format!(
        "{} changes something and cannot be called from here",
        call.tool
    ))))
}

/// One request, as every stage sees it.
#[derive(Debug, Clone)]
pub struct Call {
    pub origin: Origin,
    /// The tool's name (the MCP tool the CLI's and the app's reads correspond to).
    pub tool: String,
    /// The arguments as sent (the audit redacts them).
    pub arguments: serde_json::Map<String, serde_json::Value>,
    /// The credential domain the call would use, when it needs one.
    pub domain: Option<Domain>,
    pub effect: Effect,
}

/// What a changing call will do, worked out (and checked) before the person is asked: the
/// approval card shows it, a grant is bound to it, and the tool runs exactly it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Each thing changed, by name and id.
    pub targets: Vec<ChangeTarget>,
    /// The change in plain words, e.g. "schedule macOS 15.7.9 on 34 Macs with a deadline of
    /// 13 Dec 2026; fixes 3 actively exploited CVEs".
    pub summary: String,
    /// The tool's full preview, which the tool then carries out.
    pub details: serde_json::Value,
}

/// One thing a change touches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChangeTarget {
    pub name: String,
    pub id: String,
}

/// Why the pipeline did not run a call. The text is what the caller is told; none contains a
/// secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Refused {
    #[error(transparent)]
    NotAdmitted(#[from] Refusal),
    /// The process that connected is not the one identified any more; the connection ends.
    #[error("Latchkey refused this call and closes the connection: {0}")]
    CallerChanged(latchkey_caller::Changed),
    /// The vault's own words on the MCP and in the app; the command line is told the command.
    #[error("{}", locked_message(.0, *.1))]
    Locked(latchkey_vault::Error, Surface),
    /// The arguments or the preview were refused before anyone was asked.
    #[error("{0}")]
    Invalid(String),
    #[error("denied by the person in Latchkey: nothing was changed")]
    Denied,
    #[error("not approved within {0} in Latchkey: nothing was changed")]
    TimedOut(String),
    #[error("{}: nothing was changed", unanswered::not_asked_again(*.0))]
    Unanswered(std::time::Duration),
    #[error("{}", rate_message(.assistant, .limited))]
    RateLimited { assistant: String, limited: Limited },
    #[error("Latchkey could not write its audit log, so the call was not run: {0}")]
    Audit(String),
}

/// What a caller on `surface` is told of a locked domain: the fix it can reach from there.
fn locked_message(error: &latchkey_vault::Error, surface: Surface) -> String {
    match (error, surface) {
        (latchkey_vault::Error::DomainLocked { domain }, Surface::Control) => format!(
            "domain {domain} is locked: run `latchkey creds unlock {domain}`, or unlock it from the Latchkey menu"
        ),
        _ => error.to_string(),
    }
}

/// What an assistant calling too fast is told.
fn rate_message(assistant: &str, limited: &Limited) -> String {
    format!(
        "{assistant} is calling faster than Latchkey allows ({} calls a minute): this call was \
         refused; try again in {} s",
        limited.per_minute,
        limited.retry_after.as_secs_f64().ceil().max(1.0)
    )
}

/// The stages, shared by every surface.
#[derive(Debug)]
pub struct Pipeline {
    pub(crate) assistants: Arc<Assistants>,
    pub(crate) loopback: Arc<crate::Loopback>,
    pub(crate) credentials: Arc<CredentialService>,
    pub(crate) approvals: Arc<Approvals>,
    pub(crate) audit: Arc<Audit>,
    pub(crate) settings: Arc<crate::settings::SettingsService>,
    pub(crate) rate: CallRate,
}

impl Pipeline {
    /// Runs `call` through every stage. A changing call first has `preview` worked out (a
    /// refusal there asks nobody), then waits for the person; `waiting` is told while it does
    /// (MCP progress notifications). `work` gets the approved change and returns its answer
    /// and how it ended, for the audit.
    pub async fn run<'s, T, P, W, F>(
        &self,
        call: Call,
        preview: P,
        waiting: Option<approvals::WaitingNotice>,
        work: W,
    ) -> Result<T, Refused>
    where
        P: FnOnce(&Call) -> Preview<'s>,
        W: FnOnce(Option<Arc<Change>>) -> F,
        F: Future<Output = (T, CallResult)>,
    {
        let assistant = call.origin.assistant();
        // The caller: still the processes it was identified by (no exec, exit or pid reuse
        // since), else the identity below is someone else's.
        if let Some(pin) = &call.origin.pin
            && let Err(changed) = pin.check()
        {
            let why = changed.to_string();
            tracing::warn!("refused a call from {}: {why}", assistant.name);
            self.refuse(
                &call,
                &assistant,
                Decision::RefusedUnknownClient,
                Some(&why),
            )
            .await;
            return Err(Refused::CallerChanged(changed));
        }
        // Allow-list: held again at every call, so a revoked assistant stops at once.
        if let Some(caller) = &call.origin.caller
            && let Err(refusal) = self.assistants.admit(caller).await
        {
            self.refuse(&call, &assistant, Decision::RefusedUnknownClient, None)
                .await;
            return Err(refusal.into());
        }
        // Over HTTP, the token is the allowance: a revoked one stops at once.
        if let Some(token) = &call.origin.token
            && !self.loopback.holds(token)
        {
            self.refuse(&call, &assistant, Decision::RefusedUnknownClient, None)
                .await;
            return Err(Refusal::TokenRevoked(token.to_string()).into());
        }
        // Call rate, per assistant (the person in the app is not limited).
        if call.origin.surface != Surface::App
            && let Err(limited) = self.rate.take(rate_key(&assistant))
        {
            if let Some(refused) = limited.record {
                let why = format!(
                    "too many calls: {refused} refused since the last entry like this one, \
                     this one included"
                );
                self.refuse(&call, &assistant, Decision::RefusedRateLimited, Some(&why))
                    .await;
            }
            let assistant = assistant.name.clone();
            return Err(Refused::RateLimited { assistant, limited });
        }
        if let Some(domain) = call
            .domain
            .as_ref()
            .filter(|d| !self.credentials.is_unlocked(d))
        {
            let locked = latchkey_vault::Error::DomainLocked {
                domain: domain.clone(),
            };
            self.refuse(&call, &assistant, Decision::RefusedLocked, None)
                .await;
            return Err(Refused::Locked(locked, call.origin.surface));
        }
        let (change, approval) = match call.effect {
            Effect::ReadOnly => (None, None),
            Effect::Changes => {
                let change = match preview(&call).await {
                    Ok(change) => Arc::new(change),
                    Err(why) => {
                        self.refuse(&call, &assistant, Decision::RefusedInvalid, Some(&why))
                            .await;
                        return Err(Refused::Invalid(why));
                    }
                };
                let asked = Asked::new(&call, &assistant, &change);
                let verdict = match call.origin.surface {
                    // The person asked in the app: their presence is the approval.
                    Surface::App => self.approvals.confirm_own(asked, &Actor::app()).await,
                    // Anyone else (an assistant, or a program running the CLI) waits for the
                    // person's answer.
                    Surface::Mcp | Surface::Control => self.approvals.ask(asked, waiting).await,
                };
                match verdict {
                    ApprovalVerdict::Approved(how) => (Some(change), Some(how)),
                    ApprovalVerdict::Denied => {
                        self.refuse(&call, &assistant, Decision::Denied, None).await;
                        return Err(Refused::Denied);
                    }
                    ApprovalVerdict::TimedOut(after) => {
                        self.refuse(&call, &assistant, Decision::TimedOut, None)
                            .await;
                        return Err(Refused::TimedOut(after));
                    }
                    ApprovalVerdict::Unanswered(wait) => {
                        let why = "not asked again: the same request went unanswered a moment ago";
                        self.refuse(&call, &assistant, Decision::TimedOut, Some(why))
                            .await;
                        return Err(Refused::Unanswered(wait));
                    }
                }
            }
        };
        let decision = match approval {
            Some(_) => Decision::Approved,
            None => Decision::Allowed,
        };
        let intent = intent(&call, assistant, decision, approval);
        let seq = self
            .audit
            .intent(intent, call.effect == Effect::ReadOnly)
            .await
            .map_err(Refused::Audit)?;
        let started = Instant::now();
        let (answer, result) = work(change).await;
        self.audit.outcome(seq, result, started.elapsed()).await;
        Ok(answer)
    }

    /// Allows `burst` calls at once and `per_minute` sustained to each assistant, or (with
    /// `None`) any number. The default is [`rate::CALL_BURST`] and [`rate::CALLS_PER_MINUTE`].
    pub fn limit_calls(&self, limit: Option<(u32, u32)>) {
        self.rate.set(limit);
    }

    /// Records a call that a stage refused (nothing ran), with the reason when the decision
    /// alone does not say it. The audit failing is logged: the call is refused either way.
    async fn refuse(
        &self,
        call: &Call,
        assistant: &Assistant,
        decision: Decision,
        reason: Option<&str>,
    ) {
        let mut intent = intent(call, assistant.clone(), decision, None);
        if let (Some(reason), serde_json::Value::Object(arguments)) =
            (reason, &mut intent.arguments)
        {
            arguments.insert("refused".to_owned(), reason.into());
        }
        if let Err(e) = self.audit.intent(intent, true).await {
            tracing::error!("could not record a refused call: {e}");
        }
    }
}

/// Whose allowance a call takes: the assistant's program, or its name when it has none.
fn rate_key(assistant: &Assistant) -> &str {
    assistant.executable.as_deref().unwrap_or(&assistant.name)
}

fn intent(
    call: &Call,
    assistant: Assistant,
    decision: Decision,
    approval: Option<String>,
) -> Intent {
    Intent {
        assistant,
        tool: call.tool.clone(),
        arguments: serde_json::Value::Object(call.arguments.clone()),
        domain: call.domain.as_ref().map(ToString::to_string),
        decision,
        approval,
    }
}
