//! Linux: logind on the system bus says the machine is about to sleep, or that this login
//! session was told to lock (`loginctl lock-session`); the screen saver on the session bus
//! says the screen locked (Super+L, idle).
//!
//! Each source is a zbus signal stream forwarded by its own tokio task. The streams name the
//! service, so zbus passes only signals sent by the service's current owner (another client on
//! the bus cannot fake one, or hide one), and follows a service that starts after we
//! subscribed.

use std::future::poll_fn;
use std::pin::pin;

use tokio::runtime::Handle;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;
use zbus::export::futures_core::Stream;
use zbus::fdo::DBusProxy;
use zbus::names::BusName;
use zbus::proxy::{Builder, CacheProperties, SignalStream};
use zbus::zvariant::OwnedObjectPath;
use zbus::{Connection, Message, Proxy};

use super::LockEvent;
use crate::{Error, Probe};

const LOGIND: &str = "org.freedesktop.login1";
const LOGIND_PATH: &str = "/org/freedesktop/login1";

/// A bus, or why this process has none.
type Bus = Result<Connection, String>;

/// One signal that means "lock now".
struct Source {
    /// What `latchkey doctor` and the logs call it.
    name: &'static str,
    service: &'static str,
    interface: &'static str,
    member: &'static str,
    event: LockEvent,
    /// Whether an emission means "lock now" rather than its undoing (resume, unlock).
    fires: fn(&Message) -> bool,
}

/// `PrepareForSleep(b)` and `ActiveChanged(b)` fire on `true` only (going to sleep, screen
/// saver on); `false` is waking up or unlocking.
fn on_true(message: &Message) -> bool {
    message.body().deserialize::<bool>().unwrap_or(false)
}

static SLEEP: Source = Source {
    name: "logind sleep",
    service: LOGIND,
    interface: "org.freedesktop.login1.Manager",
    member: "PrepareForSleep",
    event: LockEvent::Sleep,
    fires: on_true,
};

static SESSION_LOCK: Source = Source {
    name: "logind session lock",
    service: LOGIND,
    interface: "org.freedesktop.login1.Session",
    member: "Lock",
    event: LockEvent::ScreenLocked,
    fires: |_| true,
};

static SCREEN_SAVER: Source = Source {
    name: "screen saver",
    service: "org.freedesktop.ScreenSaver",
    interface: "org.freedesktop.ScreenSaver",
    member: "ActiveChanged",
    event: LockEvent::ScreenLocked,
    fires: on_true,
};

/// GNOME Shell announces its lock screen here, not on the freedesktop name.
static GNOME_SCREEN_SAVER: Source = Source {
    name: "GNOME screen saver",
    service: "org.gnome.ScreenSaver",
    interface: "org.gnome.ScreenSaver",
    member: "ActiveChanged",
    event: LockEvent::ScreenLocked,
    fires: on_true,
};

/// The forwarding tasks; dropping this stops them, which drops their subscriptions.
#[derive(Debug)]
pub(crate) struct Watch(Vec<AbortHandle>);

impl Drop for Watch {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

pub(crate) async fn watch(tx: UnboundedSender<LockEvent>) -> Result<(Vec<Probe>, Watch), Error> {
    // zbus on tokio cannot even connect outside a runtime: refuse before it panics.
    runtime()?;
    let system = Connection::system().await.map_err(|e| e.to_string());
    let session = Connection::session().await.map_err(|e| e.to_string());
    watch_on(system, session, tx).await
}

pub(crate) async fn watch_on(
    system: Bus,
    session: Bus,
    tx: UnboundedSender<LockEvent>,
) -> Result<(Vec<Probe>, Watch), Error> {
    let runtime = runtime()?;
    let system = system.map_err(|e| format!("system bus: {e}"));
    let session = session.map_err(|e| format!("session bus: {e}"));
    let login_session = match &system {
        Ok(bus) => login_session(bus)
            .await
            .map(|path| path.to_string())
            .map_err(|e| format!("no login session for this process: {e}")),
        Err(e) => Err(e.clone()),
    };

    let mut sources = Vec::new();
    let mut tasks = Vec::new();
    for (source, bus, path) in [
        (&SLEEP, &system, Ok(LOGIND_PATH.into())),
        (&SESSION_LOCK, &system, login_session),
        (
            &SCREEN_SAVER,
            &session,
            Ok("/org/freedesktop/ScreenSaver".into()),
        ),
        (
            &GNOME_SCREEN_SAVER,
            &session,
            Ok("/org/gnome/ScreenSaver".into()),
        ),
    ] {
        let (probe, task) = watch_one(source, bus, &path, &runtime, &tx).await;
        sources.push(probe);
        tasks.extend(task);
    }
    Ok((sources, Watch(tasks)))
}

/// Subscribes to one source and starts forwarding it; what to report, and the task.
async fn watch_one(
    source: &'static Source,
    bus: &Bus,
    path: &Result<String, String>,
    runtime: &Handle,
    tx: &UnboundedSender<LockEvent>,
) -> (Probe, Option<AbortHandle>) {
    let (bus, path) = match (bus, path) {
        (Ok(bus), Ok(path)) => (bus, path),
        (Err(why), _) | (_, Err(why)) => return (unavailable(source, why.clone()), None),
    };
    let (stream, present) = match subscribe(bus, source, path).await {
        Ok(subscribed) => subscribed,
        Err(e) => {
            let why = format!("cannot subscribe to {}: {e}", source.member);
            return (unavailable(source, why), None);
        }
    };
    let task = runtime.spawn(forward(stream, source, tx.clone()));
    let detail = if present {
        format!("{} from {} on {path}", source.member, source.service)
    } else {
        format!(
            "nothing provides {} now; noticed if it starts",
            source.service
        )
    };
    let probe = Probe {
        name: source.name,
        reachable: present,
        detail,
    };
    (probe, Some(task.abort_handle()))
}

/// The runtime the forwarding tasks run on.
fn runtime() -> Result<Handle, Error> {
    Handle::try_current()
        .map_err(|_| Error::NoLockEvents("needs to run inside a tokio runtime".into()))
}

fn unavailable(source: &Source, detail: String) -> Probe {
    Probe {
        name: source.name,
        reachable: false,
        detail,
    }
}

/// This process's login session: logind's `auto` is the caller's own session or, for a
/// process outside any (an app that systemd --user started), the user's graphical session.
/// Its signals come from the session's real path, so that is what to subscribe to.
async fn login_session(system: &Connection) -> zbus::Result<OwnedObjectPath> {
    let manager: Proxy<'_> = Builder::new(system)
        .destination(LOGIND)?
        .path(LOGIND_PATH)?
        .interface("org.freedesktop.login1.Manager")?
        .cache_properties(CacheProperties::No)
        .build()
        .await?;
    manager.call("GetSession", &("auto",)).await
}

/// Subscribes to `source` on the object at `path`; the stream, and whether the service is
/// there now (the subscription stands either way, for a service that starts later).
async fn subscribe(
    bus: &Connection,
    source: &Source,
    path: &str,
) -> zbus::Result<(SignalStream<'static>, bool)> {
    let proxy: Proxy<'_> = Builder::new(bus)
        .destination(source.service)?
        .path(path)?
        .interface(source.interface)?
        .cache_properties(CacheProperties::No)
        .build()
        .await?;
    let stream = proxy.receive_signal(source.member).await?;
    let present = DBusProxy::new(bus)
        .await?
        .name_has_owner(BusName::try_from(source.service)?)
        .await?;
    Ok((stream, present))
}

/// Sends the source's event for every emission that fires, until the bus connection closes
/// or nobody receives any more.
async fn forward(
    stream: SignalStream<'static>,
    source: &'static Source,
    tx: UnboundedSender<LockEvent>,
) {
    let mut stream = pin!(stream);
    while let Some(message) = poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
        if (source.fires)(&message) && tx.send(source.event).is_err() {
            return;
        }
    }
}
