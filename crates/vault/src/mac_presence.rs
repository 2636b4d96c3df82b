//! macOS presence: LocalAuthentication's `DeviceOwnerAuthentication` policy, i.e. Touch ID
//! with the account password as fallback (which also works with the lid closed). The prompt
//! reads "Latchkey is trying to <reason>", with [`PresenceRequest::reason`] as the reason.
//!
//! A passed check's LAContext is kept for a few seconds ([`REUSE_WINDOW`]) so a
//! [`KeychainStore`](crate::KeychainStore) built with it can read the data-protection
//! keychain's presence-protected items without a second prompt.
//!
//! Type-checked on Linux by check-macos; not yet run on a Mac.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use block2::RcBlock;
use objc2::rc::Retained;
use objc2::runtime::Bool;
use objc2_foundation::{NSError, NSString};
use objc2_local_authentication::{LAContext, LAPolicy};
use tokio::sync::oneshot;

use crate::apple::presence_error;
use crate::{Presence, PresenceError, PresenceFuture, PresenceKind, PresenceRequest};

/// How long after a passed check the Keychain may reuse its LAContext instead of prompting
/// again. Long enough for the broker to read a domain's secrets right after the unlock
/// prompt; short, because every secret read is gated by a check of its own anyway.
const REUSE_WINDOW: Duration = Duration::from_secs(10);

/// Touch ID or the account password, via LocalAuthentication. Clones share their passed
/// checks, so one clone can be the broker's presence check and another go to
/// [`KeychainStore::reusing`](crate::KeychainStore::reusing).
#[derive(Debug, Clone, Default)]
pub struct MacPresence {
    passed: Handoff,
}

impl MacPresence {
    /// A presence check; each [`Presence::confirm`] shows one system prompt.
    pub fn new() -> Self {
        Self::default()
    }

    /// Where passed checks are left for the Keychain store.
    pub(crate) fn handoff(&self) -> Handoff {
        self.passed.clone()
    }
}

impl Presence for MacPresence {
    fn kind(&self) -> PresenceKind {
        PresenceKind::DeviceOwner
    }

    fn confirm<'a>(&'a self, request: &'a PresenceRequest) -> PresenceFuture<'a> {
        Box::pin(async move {
            let mut reason = request.reason();
            if reason.trim().is_empty() {
                // LocalAuthentication throws (an Objective-C exception) on an empty reason.
                reason = "confirm an action".to_owned();
            }
            let (mut evaluation, answer) = Evaluation::start(&reason);
            let outcome = answer.await.map_err(|_| {
                PresenceError::Failed("LocalAuthentication did not answer".to_owned())
            })?;
            outcome?;
            if let Some(context) = evaluation.finish() {
                self.passed.store(context);
            }
            Ok(())
        })
    }
}

/// An LAContext shared between threads: the reply to its evaluation arrives on a private
/// LocalAuthentication queue and the Keychain reads run on tokio's blocking pool.
#[derive(Debug, Clone)]
pub(crate) struct SharedContext(pub(crate) Retained<LAContext>);

// SAFETY: LAContext is documented for use from any thread (its replies come on private
// queues and Apple's samples hand contexts to Keychain calls on background queues). Latchkey
// only evaluates it once, invalidates it, or passes it to Keychain calls; it never mutates
// its properties after creation.
#[allow(unsafe_code)]
unsafe impl Send for SharedContext {}
// SAFETY: as above; the methods used through `&` are the thread-safe ones.
#[allow(unsafe_code)]
unsafe impl Sync for SharedContext {}

/// The LAContext of the last passed check and when it passed.
#[derive(Clone, Default)]
pub(crate) struct Handoff(Arc<Mutex<Option<(Instant, SharedContext)>>>);

impl Handoff {
    fn store(&self, context: SharedContext) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), context));
    }

    /// The last passed context if it passed within [`REUSE_WINDOW`]; drops a stale one.
    pub(crate) fn fresh(&self) -> Option<SharedContext> {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match &*slot {
            Some((at, context)) if at.elapsed() <= REUSE_WINDOW => Some(context.clone()),
            _ => {
                *slot = None;
                None
            }
        }
    }
}

impl fmt::Debug for Handoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Handoff")
    }
}

/// One running evaluation. Dropped before it finished (the caller gave up waiting), it
/// invalidates its context, which dismisses the prompt: a late "yes" must not count.
struct Evaluation {
    context: Option<SharedContext>,
}

type Answer = oneshot::Receiver<Result<(), PresenceError>>;

impl Evaluation {
    /// Shows the prompt; the answer arrives on the returned channel.
    fn start(reason: &str) -> (Self, Answer) {
        let (sender, answer) = oneshot::channel();
        // The block is `Fn` (LocalAuthentication calls it once); the sender is taken out.
        let sender = Mutex::new(Some(sender));
        let reply = RcBlock::new(move |success: Bool, error: *mut NSError| {
            let outcome = if success.as_bool() {
                Ok(())
            } else {
                // SAFETY: LocalAuthentication passes nil or a valid NSError that lives for
                // the duration of this call.
                #[allow(unsafe_code)]
                let error = unsafe { error.as_ref() };
                Err(match error {
                    Some(error) => {
                        presence_error(error.code(), &error.localizedDescription().to_string())
                    }
                    None => PresenceError::Failed("LocalAuthentication gave no reason".to_owned()),
                })
            };
            if let Some(sender) = sender.lock().unwrap_or_else(PoisonError::into_inner).take() {
                let _ = sender.send(outcome);
            }
        });
        let reason = NSString::from_str(reason);
        // SAFETY: a fresh LAContext; `reason` is non-empty (an empty one raises an exception);
        // `reply` only touches the Send + Sync sender behind a mutex, so it may run on
        // LocalAuthentication's queue, and the method copies the block before returning.
        #[allow(unsafe_code)]
        let context = unsafe {
            let context = LAContext::new();
            context.evaluatePolicy_localizedReason_reply(
                LAPolicy::DeviceOwnerAuthentication,
                &reason,
                &reply,
            );
            context
        };
        let evaluation = Self {
            context: Some(SharedContext(context)),
        };
        (evaluation, answer)
    }

    /// The context after its evaluation passed, for the Keychain to reuse.
    fn finish(&mut self) -> Option<SharedContext> {
        self.context.take()
    }
}

impl Drop for Evaluation {
    fn drop(&mut self) {
        if let Some(context) = self.context.take() {
            // SAFETY: invalidating a context is allowed at any time, including during an
            // evaluation (which then ends with LAErrorAppCancel) and after one.
            #[allow(unsafe_code)]
            unsafe {
                context.0.invalidate();
            }
        }
    }
}
