//! Requests to the broker, with polkit's text agent beside them on Linux.
//!
//! When a request may need a presence check, and this command runs in a terminal, `latchkey`
//! starts `pkttyagent` for the broker's process first, so polkit asks for the person's
//! password right here, where the command was typed. Without a
//! terminal there is nobody to ask: the broker falls back to the app's dialog or refuses.
//! The agent is stopped when the answer comes back.

use latchkey_broker::control::{ControlClient, ControlError, ControlRequest};
use serde::de::DeserializeOwned;

/// Sends `request` to the broker; see the module docs.
pub async fn call<T: DeserializeOwned>(
    broker: &mut ControlClient,
    request: &ControlRequest,
) -> Result<T, ControlError> {
    let _agent = match (broker.broker_pid(), request.presence_purpose()) {
        (Some(pid), Some(purpose)) => platform::start(pid, &purpose).await,
        _ => None,
    };
    broker.call(request).await
}

#[cfg(target_os = "linux")]
mod platform {
    use std::process::Stdio;
    use std::time::Duration;

    use tokio::io::AsyncReadExt;
    use tokio::process::{Child, Command};

    /// How long `pkttyagent` may take to register with polkit.
    const REGISTER_WITHIN: Duration = Duration::from_secs(5);

    /// A running `pkttyagent`, killed at drop; `None` when there is no terminal, no
    /// `pkttyagent`, or we are root (polkit is not asked for root).
    pub async fn start(broker_pid: u32, purpose: &str) -> Option<Child> {
        if rustix::process::geteuid().is_root() || !has_terminal() {
            return None;
        }
        let mut agent = Command::new("pkttyagent")
            // Registered for the broker's process, it answers before a desktop session's agent
            // (`--fallback` would not: polkit then never picks a process's agent).
            .args(["--process", &broker_pid.to_string()])
            // It closes this fd once registered: the end of its stdout.
            .args(["--notify-fd", "1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .ok()?;
        let mut registered = agent.stdout.take()?;
        let mut ignored = Vec::new();
        let waited =
            tokio::time::timeout(REGISTER_WITHIN, registered.read_to_end(&mut ignored)).await;
        // Exited already: it could not register (e.g. polkit is not running).
        if waited.is_err() || !matches!(agent.try_wait(), Ok(None)) {
            return None;
        }
        // polkit's prompt says only what Latchkey does in general: say what this is.
        eprintln!("latchkey: to {purpose}, polkit may ask for your password here");
        Some(agent)
    }

    /// Whether this process has a controlling terminal, where the agent asks.
    fn has_terminal() -> bool {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .is_ok()
    }
}

#[cfg(not(target_os = "linux"))]
mod platform {
    /// Elsewhere the broker asks by itself (Touch ID on macOS): nothing to start.
    pub async fn start(_broker_pid: u32, _purpose: &str) -> Option<()> {
        None
    }
}
