//! User presence: the check a human passes before secrets are unlocked or a credential is
//! changed from a place an assistant could also reach (the CLI).
//!
//! One trait, one implementation per platform: LocalAuthentication on macOS (Touch ID with
//! password fallback); on Linux polkit's authentication agent (the person's password) when one
//! answers, else the app's own confirmation dialog (see `PolkitPresence`). The scripted
//! check that tests use exists only when the `scripted-presence` feature is on, which only
//! test builds turn on.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

use crate::display_safe;

/// Who asked for the action a presence check guards; shown to the human.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Requester {
    /// The person, in the Latchkey app or its menu.
    App,
    /// The `latchkey` command line (which an assistant with a shell could also run).
    Cli,
    /// An assistant over MCP, by the name it gave.
    Assistant(String),
}

/// What a presence check is for: the action in words, who asked, and the kind of answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PresenceRequest {
    /// The action, completing "Latchkey wants to …", e.g. `unlock Jamf Pro acme.jamfcloud.com`.
    pub action: String,
    /// Who asked.
    pub requester: Requester,
    /// Confirm an action, or let an assistant in (a dialog then says Allow / Deny).
    pub purpose: Purpose,
}

/// The kind of answer a presence check asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Confirm or cancel one action.
    Confirm,
    /// Allow or deny an assistant not seen before; the answer is remembered.
    AllowAssistant,
}

impl PresenceRequest {
    /// A request to confirm `action`, from `requester`. Control characters and bidi
    /// controls in either (a label, an assistant's name) are dropped: a prompt must show
    /// what it asks about as it is ([`crate::display_safe`]).
    pub fn new(action: impl Into<String>, requester: Requester) -> Self {
        let requester = match requester {
            Requester::Assistant(name) => Requester::Assistant(display_safe(&name).into_owned()),
            other => other,
        };
        Self {
            action: display_safe(&action.into()).into_owned(),
            requester,
            purpose: Purpose::Confirm,
        }
    }

    /// A request to let an assistant in, described by `action` (e.g. `allow Claude
    /// (/Applications/Claude.app) to use Latchkey`).
    pub fn allow_assistant(action: impl Into<String>, requester: Requester) -> Self {
        Self {
            purpose: Purpose::AllowAssistant,
            ..Self::new(action, requester)
        }
    }

    /// The sentence a prompt shows, naming the assistant when one asked, e.g. `unlock Jamf
    /// Pro acme.jamfcloud.com (asked by Claude Desktop)`. macOS puts "Latchkey is trying to"
    /// in front of it.
    pub fn reason(&self) -> String {
        match &self.requester {
            Requester::App => self.action.clone(),
            Requester::Cli => format!("{} (asked from the latchkey command line)", self.action),
            Requester::Assistant(name) => format!("{} (asked by {name})", self.action),
        }
    }
}

/// Why a presence check did not pass. Messages are for the person who asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PresenceError {
    /// The person cancelled or declined.
    #[error("the confirmation was declined")]
    Declined,
    /// Nobody answered in time.
    #[error("nobody confirmed in time")]
    TimedOut,
    /// Too many failed attempts; biometrics are locked until the password is entered.
    #[error("Touch ID is locked after too many attempts; unlock the Mac with its password first")]
    Lockout,
    /// This machine has no way to check presence right now.
    #[error("no presence check is available: {0}")]
    NotAvailable(String),
    /// The check itself failed.
    #[error("the presence check failed: {0}")]
    Failed(String),
}

/// What kind of check a [`Presence`] is, for the UI and `latchkey doctor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PresenceKind {
    /// Touch ID, or the account password (macOS LocalAuthentication).
    DeviceOwner,
    /// The person's password, asked by polkit's authentication agent, falling back to another
    /// check when no agent runs (Linux).
    Polkit,
    /// The Latchkey app's own dialog: a confirmation, not biometrics.
    Confirmation,
    /// No check available; everything that needs one is refused.
    Unavailable,
    /// Answers from the test script (test builds only).
    Scripted,
}

impl PresenceKind {
    /// How the check is described to the user.
    pub fn description(self) -> &'static str {
        match self {
            PresenceKind::DeviceOwner => "Touch ID or your password",
            PresenceKind::Polkit => "your password, asked by polkit",
            PresenceKind::Confirmation => "a confirmation in the Latchkey app (not biometrics)",
            PresenceKind::Unavailable => "none available",
            PresenceKind::Scripted => "scripted (test build)",
        }
    }
}

/// What [`Presence::confirm`] returns.
pub type PresenceFuture<'a> = Pin<Box<dyn Future<Output = Result<(), PresenceError>> + Send + 'a>>;

/// A check that a human is present and agrees to one action.
pub trait Presence: Send + Sync + fmt::Debug {
    /// What kind of check this is.
    fn kind(&self) -> PresenceKind;

    /// How the check is described to the user; by default the kind's description.
    fn description(&self) -> String {
        self.kind().description().to_owned()
    }

    /// Asks the human; `Ok` only when they confirmed.
    fn confirm<'a>(&'a self, request: &'a PresenceRequest) -> PresenceFuture<'a>;
}

/// No presence check: refuses everything, saying why (e.g. `latchkey serve` on a Linux box
/// without the app).
#[derive(Debug, Clone)]
pub struct NoPresence {
    why: String,
}

impl NoPresence {
    /// Refuses with `why`, which should tell the user what to do instead.
    pub fn new(why: impl Into<String>) -> Self {
        Self { why: why.into() }
    }
}

impl Presence for NoPresence {
    fn kind(&self) -> PresenceKind {
        PresenceKind::Unavailable
    }

    fn description(&self) -> String {
        format!("none available: {}", self.why)
    }

    fn confirm<'a>(&'a self, _request: &'a PresenceRequest) -> PresenceFuture<'a> {
        Box::pin(async move { Err(PresenceError::NotAvailable(self.why.clone())) })
    }
}

#[cfg(feature = "scripted-presence")]
pub use scripted::ScriptedPresence;

/// The scripted presence check when this is a test build (the `scripted-presence` feature)
/// and `LATCHKEY_SCRIPTED_PRESENCE` is set; `None` in every shipped build. Lets binaries pick
/// it without feature flags of their own: tests turn the feature on from dev-dependencies.
pub fn scripted_presence() -> Option<std::sync::Arc<dyn Presence>> {
    #[cfg(feature = "scripted-presence")]
    if std::env::var_os("LATCHKEY_SCRIPTED_PRESENCE").is_some() {
        return Some(std::sync::Arc::new(ScriptedPresence));
    }
    None
}

#[cfg(feature = "scripted-presence")]
mod scripted {
    use super::*;

    /// Answers from the `LATCHKEY_SCRIPTED_PRESENCE` environment variable (`approve`;
    /// anything else declines), read at each check so a test can change its mind. Each
    /// request's reason is logged at info level, so tests can see what a human would be
    /// shown. Compiled only with the `scripted-presence` feature: never in a shipped build.
    #[derive(Debug, Default, Clone)]
    pub struct ScriptedPresence;

    impl Presence for ScriptedPresence {
        fn kind(&self) -> PresenceKind {
            PresenceKind::Scripted
        }

        fn confirm<'a>(&'a self, request: &'a PresenceRequest) -> PresenceFuture<'a> {
            Box::pin(async move {
                tracing::info!(reason = %request.reason(), "scripted presence check");
                match std::env::var("LATCHKEY_SCRIPTED_PRESENCE").as_deref() {
                    Ok("approve") => Ok(()),
                    _ => Err(PresenceError::Declined),
                }
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_the_asker() {
        let action = "unlock Jamf Pro acme.jamfcloud.com";
        assert_eq!(
            PresenceRequest::new(action, Requester::App).reason(),
            action
        );
        assert_eq!(
            PresenceRequest::new(action, Requester::Assistant("Claude Desktop".into())).reason(),
            "unlock Jamf Pro acme.jamfcloud.com (asked by Claude Desktop)"
        );
        assert!(
            PresenceRequest::new(action, Requester::Cli)
                .reason()
                .contains("command line")
        );
    }

    /// Issue #12, item 15: a label or name cannot disguise what a prompt asks about.
    #[test]
    fn issue_12_prompts_show_labels_and_names_harmlessly() {
        let request = PresenceRequest::allow_assistant(
            "unlock Jamf Pro Acme\u{202E}gnp.exe",
            Requester::Assistant("Claude\x1b[2J\u{2066}".into()),
        );
        assert_eq!(
            request.reason(),
            "unlock Jamf Pro Acmegnp.exe (asked by Claude[2J)"
        );
        assert_eq!(request.purpose, Purpose::AllowAssistant);
    }

    #[tokio::test]
    async fn no_presence_refuses_with_its_reason() {
        let none = NoPresence::new("start the Latchkey app");
        let err = none
            .confirm(&PresenceRequest::new("unlock x", Requester::Cli))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "no presence check is available: start the Latchkey app"
        );
    }
}
