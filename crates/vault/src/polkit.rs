//! Linux presence through polkit: the session's authentication agent (GNOME's or KDE's
//! password dialog, or `pkttyagent` in the terminal that runs `latchkey`) asks for the
//! person's own password. When no agent answers, or polkit is not there, the check falls back
//! to another one (the app's confirmation dialog, or a refusal that says why).
//!
//! An assistant is never let in on polkit's word alone: the fallback, which can name it, is
//! asked first, and polkit's password follows.
//!
//! The subject polkit authorizes is this process, the broker: `latchkey` registers a
//! `pkttyagent` for the broker's pid when it runs in a terminal. polkit lets only root pass
//! details with a check, so its prompt cannot name the domain; whoever asked shows that
//! beside the prompt. Root is never checked through polkit, which allows root everything.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use zbus::zvariant::Value;
use zbus::{Connection, Proxy};

use crate::{Presence, PresenceError, PresenceFuture, PresenceKind, PresenceRequest, Purpose};

/// The polkit action Latchkey checks; its policy file is `app.latchkey.Latchkey.policy` in
/// `/usr/share/polkit-1/actions`.
pub const POLKIT_ACTION: &str = "app.latchkey.Latchkey.presence";

const AUTHORITY: &str = "org.freedesktop.PolicyKit1";
const AUTHORITY_PATH: &str = "/org/freedesktop/PolicyKit1/Authority";
const AUTHORITY_INTERFACE: &str = "org.freedesktop.PolicyKit1.Authority";
/// `CheckAuthorization`'s flag that lets polkit ask the person through an agent.
const ALLOW_USER_INTERACTION: u32 = 1;
/// How long the person has to type their password.
const ANSWER_WITHIN: Duration = Duration::from_secs(120);

/// polkit first, then `fallback`. See the module docs.
#[derive(Debug)]
pub struct PolkitPresence {
    fallback: Arc<dyn Presence>,
    /// The bus polkit is on: `None` for the system bus (tests give a private one).
    bus_address: Option<String>,
    checks: AtomicU64,
}

/// What asking polkit came to.
enum Asked {
    /// polkit had an agent ask the person: this is the answer.
    Answered(Result<(), PresenceError>),
    /// polkit could not ask anybody, for this reason: the fallback decides.
    Unusable(String),
}

impl PolkitPresence {
    /// polkit on the system bus, then `fallback`.
    pub fn new(fallback: Arc<dyn Presence>) -> Self {
        Self {
            fallback,
            bus_address: None,
            checks: AtomicU64::new(0),
        }
    }

    /// polkit on the bus at `address` (a private test bus), then `fallback`.
    pub fn on_bus(address: impl Into<String>, fallback: Arc<dyn Presence>) -> Self {
        Self {
            bus_address: Some(address.into()),
            ..Self::new(fallback)
        }
    }

    async fn bus(&self) -> zbus::Result<Connection> {
        match &self.bus_address {
            None => Connection::system().await,
            Some(address) => {
                zbus::connection::Builder::address(address.as_str())?
                    .build()
                    .await
            }
        }
    }

    async fn ask(&self) -> Asked {
        if is_root() {
            return Asked::Unusable(
                "polkit is not asked for root, which it allows anything".into(),
            );
        }
        let subject = match this_process() {
            Ok(subject) => subject,
            Err(why) => return Asked::Unusable(why),
        };
        let authority = match authority(self.bus().await).await {
            Ok(proxy) => proxy,
            Err(why) => return Asked::Unusable(why),
        };
        let cancel = format!(
            "latchkey-{}-{}",
            std::process::id(),
            self.checks.fetch_add(1, Ordering::Relaxed)
        );
        let details: HashMap<&str, &str> = HashMap::new();
        let arguments = (
            subject,
            POLKIT_ACTION,
            details,
            ALLOW_USER_INTERACTION,
            cancel.as_str(),
        );
        let check = authority
            .call::<_, _, (bool, bool, HashMap<String, String>)>("CheckAuthorization", &arguments);
        match tokio::time::timeout(ANSWER_WITHIN, check).await {
            Err(_) => {
                // Take the agent's prompt down; the answer no longer counts either way.
                let _ = authority
                    .call::<_, _, ()>("CancelCheckAuthorization", &(cancel.as_str(),))
                    .await;
                Asked::Answered(Err(PresenceError::TimedOut))
            }
            Ok(Ok((true, _, _))) => Asked::Answered(Ok(())),
            // A challenge that was not taken up: no agent is registered for us.
            Ok(Ok((false, true, _))) => {
                Asked::Unusable("no polkit authentication agent answered".into())
            }
            // Dismissed, a wrong password, or a local rule that says no.
            Ok(Ok((false, false, _))) => Asked::Answered(Err(PresenceError::Declined)),
            Ok(Err(e)) => Asked::Unusable(unusable(&e)),
        }
    }
}

/// One `EnumerateActions` entry: id, description, message, vendor, vendor URL, icon, the three
/// implicit authorizations, annotations.
type ActionDescription = (
    String,
    String,
    String,
    String,
    String,
    String,
    u32,
    u32,
    u32,
    HashMap<String, String>,
);

/// Whether polkit on the system bus can ask for Latchkey (for `latchkey doctor`); the reason
/// when it cannot.
pub(crate) async fn probe() -> Result<(), String> {
    if is_root() {
        return Err("polkit is not asked for root, which it allows anything".into());
    }
    let actions: Vec<ActionDescription> = authority(Connection::system().await)
        .await?
        .call("EnumerateActions", &("",))
        .await
        .map_err(|e| unusable(&e))?;
    if actions.iter().any(|action| action.0 == POLKIT_ACTION) {
        Ok(())
    } else {
        Err(not_registered())
    }
}

/// polkit's authority on `bus`, or why it cannot be reached.
async fn authority(bus: zbus::Result<Connection>) -> Result<Proxy<'static>, String> {
    let unreachable = |e: zbus::Error| format!("polkit cannot be reached ({e})");
    Proxy::new(
        &bus.map_err(unreachable)?,
        AUTHORITY,
        AUTHORITY_PATH,
        AUTHORITY_INTERFACE,
    )
    .await
    .map_err(unreachable)
}

fn not_registered() -> String {
    format!(
        "polkit does not know Latchkey's action {POLKIT_ACTION}: install \
         app.latchkey.Latchkey.policy into /usr/share/polkit-1/actions"
    )
}

/// Why a failed polkit call leaves the decision to the fallback, in words a user can act on.
fn unusable(e: &zbus::Error) -> String {
    let text = e.to_string();
    if text.contains("not registered") {
        not_registered()
    } else if text.contains("ServiceUnknown") || text.contains("NameHasNoOwner") {
        "polkit is not running".into()
    } else {
        format!("polkit did not answer ({text})")
    }
}

impl Presence for PolkitPresence {
    fn kind(&self) -> PresenceKind {
        if is_root() {
            self.fallback.kind()
        } else {
            PresenceKind::Polkit
        }
    }

    fn description(&self) -> String {
        if is_root() {
            return self.fallback.description();
        }
        format!(
            "your password, asked by polkit when an authentication agent runs (your desktop's, \
             or `latchkey` in a terminal); otherwise {}",
            self.fallback.description()
        )
    }

    fn confirm<'a>(&'a self, request: &'a PresenceRequest) -> PresenceFuture<'a> {
        Box::pin(async move {
            // polkit's prompt cannot name an assistant, and a password prompt nobody expected
            // is one to refuse: the fallback (the app's dialog, which names it) decides first,
            // then polkit asks for the password when it can.
            let unasked = request.purpose == Purpose::AllowAssistant;
            if unasked {
                self.fallback.confirm(request).await?;
            }
            let why = match self.ask().await {
                Asked::Answered(answer) => return answer,
                Asked::Unusable(_) if unasked => return Ok(()),
                Asked::Unusable(why) => why,
            };
            match self.fallback.confirm(request).await {
                Err(PresenceError::NotAvailable(more)) => {
                    Err(PresenceError::NotAvailable(format!("{why}; {more}")))
                }
                answer => answer,
            }
        })
    }
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// This process as a polkit `unix-process` subject: pid, start time (which tells a reused pid
/// apart, and which an agent registered for this pid also records) and uid.
fn this_process() -> Result<(&'static str, HashMap<&'static str, Value<'static>>), String> {
    let stat = std::fs::read_to_string("/proc/self/stat")
        .map_err(|e| format!("cannot read this process's start time: {e}"))?;
    let start_time = start_time(&stat).ok_or("cannot read this process's start time")?;
    Ok((
        "unix-process",
        HashMap::from([
            ("pid", Value::from(std::process::id())),
            ("start-time", Value::from(start_time)),
            // polkit keeps uids as int32; every real uid fits.
            (
                "uid",
                Value::from(rustix::process::geteuid().as_raw() as i32),
            ),
        ]),
    ))
}

/// Field 22 of `/proc/PID/stat`, counted after the command name, which may hold spaces and
/// parentheses of its own.
fn start_time(stat: &str) -> Option<u64> {
    let (_, after_name) = stat.rsplit_once(')')?;
    after_name.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_time_is_read_past_a_tricky_command_name() {
        let stat = "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 \
                    987654 1000 10 18446744073709551615";
        assert_eq!(start_time(stat), Some(987654));
        assert_eq!(start_time("4242 (cut"), None);
    }

    #[test]
    fn this_process_reports_its_own_start_time() {
        let (kind, fields) = this_process().unwrap();
        assert_eq!(kind, "unix-process");
        let Value::U64(start) = fields["start-time"] else {
            panic!("start-time is not a u64");
        };
        assert!(start > 0);
        assert_eq!(fields["pid"], Value::from(std::process::id()));
    }
}
