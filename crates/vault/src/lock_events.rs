//! "Lock now" events: the machine is going to sleep, or the screen locked. An unlocked domain
//! must not stay unlocked for whoever opens the lid or sits down next, so the broker and the
//! app lock every session on these events.
//!
//! A missing source (no system bus, no screen saver, a headless box) is reported, not fatal:
//! [`LockWatch::sources`] says what is watched and why the rest is not, for `latchkey doctor`
//! and the logs. Events may repeat (one screen lock can be announced by several sources);
//! locking is idempotent, so callers need not deduplicate.

use std::fmt;

use tokio::sync::mpsc::UnboundedSender;

use crate::{Error, Probe};

#[cfg(target_os = "linux")]
#[path = "lock_events/linux.rs"]
mod platform;
#[cfg(target_os = "macos")]
#[path = "lock_events/macos.rs"]
mod platform;

/// Why every unlocked session must be locked now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockEvent {
    /// The machine is about to sleep (logind `PrepareForSleep(true)`; macOS
    /// `NSWorkspaceWillSleepNotification`). Resuming is not an event.
    Sleep,
    /// The screen locked, or the user's desktop was switched away from (screen saver
    /// `ActiveChanged(true)`, logind session `Lock`; macOS `com.apple.screenIsLocked`, fast
    /// user switching). Unlocking is not an event.
    ScreenLocked,
}

impl fmt::Display for LockEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LockEvent::Sleep => "the machine is going to sleep",
            LockEvent::ScreenLocked => "the screen locked",
        })
    }
}

/// Watching for [`LockEvent`]s; dropping it stops the watching. Holds what was tried.
#[derive(Debug)]
#[must_use = "dropping the LockWatch stops watching"]
pub struct LockWatch {
    sources: Vec<Probe>,
    _watch: platform::Watch,
}

impl LockWatch {
    /// Every source tried: `reachable` when its events will arrive, otherwise `detail` says why
    /// not (e.g. "system bus: …"), in words for `latchkey doctor`.
    pub fn sources(&self) -> &[Probe] {
        &self.sources
    }

    /// The names of the sources whose events will arrive, e.g. "logind sleep", "screen saver".
    pub fn active(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.sources.iter().filter(|s| s.reachable).map(|s| s.name)
    }

    /// Refuses a watch with nothing to watch, so that "sessions never lock on sleep" is an
    /// error the caller must handle rather than an empty list nobody reads.
    fn new(sources: Vec<Probe>, watch: platform::Watch) -> Result<LockWatch, Error> {
        if sources.iter().any(|s| s.reachable) {
            return Ok(LockWatch {
                sources,
                _watch: watch,
            });
        }
        // Sources on one missing bus share a reason: say it once, naming them all.
        let mut reasons: Vec<(Vec<&str>, &str)> = Vec::new();
        for source in &sources {
            match reasons.iter_mut().find(|(_, why)| *why == source.detail) {
                Some((names, _)) => names.push(source.name),
                None => reasons.push((vec![source.name], &source.detail)),
            }
        }
        let reasons: Vec<String> = reasons
            .iter()
            .map(|(names, why)| format!("{}: {why}", names.join(", ")))
            .collect();
        Err(Error::NoLockEvents(reasons.join("; ")))
    }
}

/// For the logs: `locks on: logind sleep, screen saver`.
impl fmt::Display for LockWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let active: Vec<&str> = self.active().collect();
        write!(f, "locks on: {}", active.join(", "))
    }
}

/// Starts sending a [`LockEvent`] into `tx` whenever the machine is about to sleep or the
/// screen locks, until the returned [`LockWatch`] is dropped.
///
/// Sources that are missing are skipped and listed in [`LockWatch::sources`]; the error
/// ([`Error::NoLockEvents`]) is only for "nothing at all can be watched", and says why.
///
/// Linux: logind on the system bus (`PrepareForSleep`, and `Lock` of this process's login
/// session), and `org.freedesktop.ScreenSaver` / `org.gnome.ScreenSaver` on the session bus.
/// Must run inside a tokio runtime (the forwarding runs on tasks).
///
/// macOS: NSWorkspace's will-sleep and session-resigned notifications, and the distributed
/// `com.apple.screenIsLocked`. These are delivered on the main thread's run loop: the Tauri
/// app runs one (AppKit), so it gets them; a headless `latchkey serve` runs none, so on macOS
/// it is told nothing (its sources say so).
pub async fn watch_lock_events(tx: UnboundedSender<LockEvent>) -> Result<LockWatch, Error> {
    let (sources, watch) = platform::watch(tx).await?;
    LockWatch::new(sources, watch)
}

/// [`watch_lock_events`] on these connections instead of the default buses: for a process
/// that already holds them, and for tests on private buses. `None` stands for a bus this
/// process cannot reach; its sources are reported as unavailable.
#[cfg(target_os = "linux")]
pub async fn watch_lock_events_on(
    system: Option<zbus::Connection>,
    session: Option<zbus::Connection>,
    tx: UnboundedSender<LockEvent>,
) -> Result<LockWatch, Error> {
    let not_connected = || "not connected".to_string();
    let (sources, watch) = platform::watch_on(
        system.ok_or_else(not_connected),
        session.ok_or_else(not_connected),
        tx,
    )
    .await?;
    LockWatch::new(sources, watch)
}
