//! Latchkey's platform seams for secrets.
//!
//! Today this crate answers `latchkey doctor`: which secret store and which presence check
//! this platform uses, and whether each answers. The credential model, the stores and the
//! unlock sessions will live here too. It must never log or return a secret.

use serde::Serialize;

#[cfg(target_os = "linux")]
#[path = "linux.rs"]
mod platform;
#[cfg(target_os = "macos")]
#[path = "macos.rs"]
mod platform;

/// The outcome of asking one platform service whether it is there.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Probe {
    /// What the service is, e.g. "macOS Keychain" or "Secret Service (D-Bus session bus)".
    pub name: &'static str,
    /// Whether it answered.
    pub reachable: bool,
    /// What was found, or why it could not be reached, in words a user can act on.
    pub detail: String,
}

/// The OS secret store credentials will live in.
pub async fn probe_secret_store() -> Probe {
    platform::probe_secret_store().await
}

/// The user-presence check that guards unlocking.
pub async fn probe_presence() -> Probe {
    platform::probe_presence().await
}
