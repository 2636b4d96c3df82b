//! The app's own presence check on Linux: a confirmation dialog in the main window.
//!
//! A prompt goes to the page as a `presence-request` event; the person's answer comes back
//! through the `presence_answer` command. It is a confirmation, not biometrics, and the
//! dialog says so. Unanswered prompts time out; `presence-closed` tells the page to drop one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use latchkey_vault::{
    Presence, PresenceError, PresenceFuture, PresenceKind, PresenceRequest, Purpose, Requester,
};
use serde::Serialize;
use tokio::sync::oneshot;

/// How long a prompt waits for an answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(120);

/// What the page is told.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PromptEvent {
    /// Show a dialog for this prompt.
    Request {
        id: u64,
        action: String,
        reason: String,
        requester: Requester,
        /// `confirm` (Confirm / Cancel) or `allow_assistant` (Allow / Deny).
        purpose: Purpose,
    },
    /// Drop the dialog for this prompt (timed out).
    Closed { id: u64 },
}

type Notify = Box<dyn Fn(PromptEvent) + Send + Sync>;

/// Prompts waiting for the person's answer.
#[derive(Default)]
pub struct DialogPresence {
    next_id: AtomicU64,
    waiting: Mutex<HashMap<u64, oneshot::Sender<bool>>>,
    /// Set once the window exists; until then prompts are refused.
    notify: OnceLock<Notify>,
}

impl std::fmt::Debug for DialogPresence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DialogPresence")
            .field("waiting", &self.waiting().len())
            .finish_non_exhaustive()
    }
}

impl DialogPresence {
    /// Connects prompts to the window (showing it and emitting the event).
    pub fn connect(&self, notify: impl Fn(PromptEvent) + Send + Sync + 'static) {
        let _ = self.notify.set(Box::new(notify));
    }

    /// The person's answer to prompt `id`; false when it is no longer waiting.
    pub fn answer(&self, id: u64, approved: bool) -> bool {
        match self.waiting().remove(&id) {
            Some(reply) => reply.send(approved).is_ok(),
            None => false,
        }
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, HashMap<u64, oneshot::Sender<bool>>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Presence for DialogPresence {
    fn kind(&self) -> PresenceKind {
        PresenceKind::Confirmation
    }

    fn confirm<'a>(&'a self, request: &'a PresenceRequest) -> PresenceFuture<'a> {
        Box::pin(async move {
            let notify = self.notify.get().ok_or_else(|| {
                PresenceError::NotAvailable("the Latchkey window is not ready yet".into())
            })?;
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            let (reply, answer) = oneshot::channel();
            self.waiting().insert(id, reply);
            notify(PromptEvent::Request {
                id,
                action: request.action.clone(),
                reason: request.reason(),
                requester: request.requester.clone(),
                purpose: request.purpose,
            });
            match tokio::time::timeout(ANSWER_WITHIN, answer).await {
                Ok(Ok(true)) => Ok(()),
                Ok(Ok(false) | Err(_)) => Err(PresenceError::Declined),
                Err(_) => {
                    self.waiting().remove(&id);
                    notify(PromptEvent::Closed { id });
                    Err(PresenceError::TimedOut)
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn answers_reach_the_waiting_check() {
        let presence = Arc::new(DialogPresence::default());
        let request = PresenceRequest::new("unlock Jamf Pro a.example.com", Requester::App);
        assert!(matches!(
            presence.confirm(&request).await,
            Err(PresenceError::NotAvailable(_))
        ));

        let (seen, mut prompts) = tokio::sync::mpsc::unbounded_channel();
        presence.connect(move |event| {
            let _ = seen.send(event);
        });
        for approved in [true, false] {
            let asking = {
                let presence = Arc::clone(&presence);
                let request = request.clone();
                tokio::spawn(async move { presence.confirm(&request).await })
            };
            let Some(PromptEvent::Request { id, reason, .. }) = prompts.recv().await else {
                panic!("expected a prompt");
            };
            assert_eq!(reason, "unlock Jamf Pro a.example.com");
            assert!(presence.answer(id, approved));
            assert!(!presence.answer(id, approved), "answered once only");
            let outcome = asking.await.unwrap();
            assert_eq!(outcome.is_ok(), approved, "{outcome:?}");
        }
    }
}
