//! Lock events against real D-Bus: private `dbus-daemon`s stand in for the system and session
//! buses, and test-side zbus connections play logind and the screen savers, emitting the real
//! signals. Nothing of zbus is mocked.
//!
//! Needs `dbus-daemon` (Debian: dbus-daemon). Without it these tests skip, except under
//! `CI=true`, where they fail.
#![cfg(target_os = "linux")]

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::pin::pin;
use std::process::{Child, Command, Stdio};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use latchkey_vault::{Error, LockEvent, LockWatch, watch_lock_events, watch_lock_events_on};
use tempfile::TempDir;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio::time::timeout;
use zbus::Connection;
use zbus::names::BusName;
use zbus::zvariant::{ObjectPath, OwnedObjectPath};

const LOGIND: &str = "org.freedesktop.login1";
const LOGIND_PATH: &str = "/org/freedesktop/login1";
const MANAGER: &str = "org.freedesktop.login1.Manager";
const SESSION: &str = "org.freedesktop.login1.Session";
/// The session the fake logind says this process is in.
const OUR_SESSION: &str = "/org/freedesktop/login1/session/_32";
const OTHER_SESSION: &str = "/org/freedesktop/login1/session/_33";
const SCREEN_SAVER: &str = "org.freedesktop.ScreenSaver";
const SCREEN_SAVER_PATH: &str = "/org/freedesktop/ScreenSaver";
const GNOME_SCREEN_SAVER: &str = "org.gnome.ScreenSaver";
const GNOME_SCREEN_SAVER_PATH: &str = "/org/gnome/ScreenSaver";

/// A private bus: a `dbus-daemon` with a minimal config (no service activation), stopped
/// on drop.
struct Daemon {
    child: Child,
    address: String,
    _dir: TempDir,
}

impl Daemon {
    /// A fresh bus, or `None` (after saying so) where dbus-daemon is missing outside CI.
    fn start(test: &str) -> Option<Daemon> {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                dir.path().join("bus").display()
            ),
        )
        .expect("write bus config");
        let spawned = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            // It warns about fd limits it may not raise; the address is all we need.
            .stderr(Stdio::null())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "{test}: dbus-daemon is not installed, and CI=true (apt-get install dbus-daemon)"
                );
                eprintln!(
                    "skipping {test}: dbus-daemon is not installed (apt-get install dbus-daemon)"
                );
                return None;
            }
            Err(e) => panic!("{test}: cannot start dbus-daemon: {e}"),
        };
        let mut address = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut address)
            .expect("read the bus address");
        let address = address.trim().to_string();
        assert!(
            !address.is_empty(),
            "{test}: dbus-daemon exited without printing an address (try: dbus-daemon --config-file={} --nofork)",
            config.display()
        );
        Some(Daemon {
            child,
            address,
            _dir: dir,
        })
    }

    async fn connect(&self) -> Connection {
        zbus::connection::Builder::address(self.address.as_str())
            .expect("bus address")
            .build()
            .await
            .expect("connect to the private bus")
    }

    /// A connection that owns `name`, as the real service would.
    async fn claim(&self, name: &'static str) -> Connection {
        let conn = self.connect().await;
        conn.request_name(name).await.expect("own the name");
        conn
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // Already gone is fine; nothing else to clean up but the temp dir.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Just enough of logind's manager for the watcher to find its session.
struct FakeManager;

#[zbus::interface(name = "org.freedesktop.login1.Manager")]
impl FakeManager {
    /// Like logind, resolves `auto` to the caller's session.
    fn get_session(&self, session_id: &str) -> zbus::fdo::Result<OwnedObjectPath> {
        match session_id {
            "auto" => Ok(ObjectPath::from_static_str_unchecked(OUR_SESSION).into()),
            other => Err(zbus::fdo::Error::Failed(format!("no session {other}"))),
        }
    }
}

/// A fake logind on `bus`: owns the name and serves the manager.
async fn fake_logind(bus: &Daemon) -> Connection {
    zbus::connection::Builder::address(bus.address.as_str())
        .expect("bus address")
        .name(LOGIND)
        .expect("logind name")
        .serve_at(LOGIND_PATH, FakeManager)
        .expect("serve the manager")
        .build()
        .await
        .expect("fake logind")
}

async fn emit(
    conn: &Connection,
    path: &str,
    interface: &str,
    member: &str,
    body: &(impl serde::Serialize + zbus::zvariant::DynamicType),
) {
    conn.emit_signal(None::<BusName<'_>>, path, interface, member, body)
        .await
        .expect("emit signal");
}

async fn next(rx: &mut UnboundedReceiver<LockEvent>) -> LockEvent {
    timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a lock event within 5 s")
        .expect("the watch is still running")
}

/// Nothing more arrives. Signals are forwarded in order per source, so a wrongly forwarded
/// "resume"/"unlock" sent before the expected event would show up here right after it.
async fn quiet(rx: &mut UnboundedReceiver<LockEvent>) {
    if let Ok(event) = timeout(Duration::from_millis(300), rx.recv()).await {
        panic!("unexpected {event:?}");
    }
}

fn states(watch: &LockWatch) -> Vec<(&'static str, bool)> {
    watch
        .sources()
        .iter()
        .map(|s| (s.name, s.reachable))
        .collect()
}

fn detail<'a>(watch: &'a LockWatch, name: &str) -> &'a str {
    let source = watch.sources().iter().find(|s| s.name == name);
    &source.expect("source listed").detail
}

#[tokio::test]
async fn logind_sleep_and_session_lock() {
    let Some(system) = Daemon::start("logind_sleep_and_session_lock") else {
        return;
    };
    let logind = fake_logind(&system).await;
    let (tx, mut rx) = unbounded_channel();
    let watch = watch_lock_events_on(Some(system.connect().await), None, tx)
        .await
        .expect("watching");

    assert_eq!(
        states(&watch),
        [
            ("logind sleep", true),
            ("logind session lock", true),
            ("screen saver", false),
            ("GNOME screen saver", false),
        ]
    );
    assert!(detail(&watch, "logind session lock").contains(OUR_SESSION));
    assert_eq!(detail(&watch, "screen saver"), "session bus: not connected");
    assert_eq!(
        watch.to_string(),
        "locks on: logind sleep, logind session lock"
    );

    // Resuming is not an event; going to sleep is.
    emit(&logind, LOGIND_PATH, MANAGER, "PrepareForSleep", &(false,)).await;
    emit(&logind, LOGIND_PATH, MANAGER, "PrepareForSleep", &(true,)).await;
    assert_eq!(next(&mut rx).await, LockEvent::Sleep);
    quiet(&mut rx).await;

    // Another session locking is not ours; ours is.
    emit(&logind, OTHER_SESSION, SESSION, "Lock", &()).await;
    emit(&logind, OUR_SESSION, SESSION, "Lock", &()).await;
    assert_eq!(next(&mut rx).await, LockEvent::ScreenLocked);
    quiet(&mut rx).await;

    // Only logind speaks for logind: the same signal from another client is ignored.
    let impostor = system.connect().await;
    emit(&impostor, LOGIND_PATH, MANAGER, "PrepareForSleep", &(true,)).await;
    emit(&impostor, OUR_SESSION, SESSION, "Lock", &()).await;
    quiet(&mut rx).await;

    // Dropping the watch stops it: its tasks, and with them every sender, are gone.
    drop(watch);
    let closed = timeout(Duration::from_secs(5), rx.recv()).await;
    assert_eq!(closed, Ok(None), "the watch stopped");
}

#[tokio::test]
async fn screen_savers_activating() {
    let Some(session) = Daemon::start("screen_savers_activating") else {
        return;
    };
    let freedesktop = session.claim(SCREEN_SAVER).await;
    let gnome = session.claim(GNOME_SCREEN_SAVER).await;
    let (tx, mut rx) = unbounded_channel();
    // No system bus: logind's sources are reported, the rest still works.
    let watch = watch_lock_events_on(None, Some(session.connect().await), tx)
        .await
        .expect("a missing system bus does not stop the watch");

    assert_eq!(
        states(&watch),
        [
            ("logind sleep", false),
            ("logind session lock", false),
            ("screen saver", true),
            ("GNOME screen saver", true),
        ]
    );
    assert_eq!(detail(&watch, "logind sleep"), "system bus: not connected");
    assert_eq!(
        watch.to_string(),
        "locks on: screen saver, GNOME screen saver"
    );

    for (conn, path, interface) in [
        (&freedesktop, SCREEN_SAVER_PATH, SCREEN_SAVER),
        (&gnome, GNOME_SCREEN_SAVER_PATH, GNOME_SCREEN_SAVER),
    ] {
        // Deactivating (unlocking) is not an event; activating is.
        emit(conn, path, interface, "ActiveChanged", &(false,)).await;
        emit(conn, path, interface, "ActiveChanged", &(true,)).await;
        assert_eq!(next(&mut rx).await, LockEvent::ScreenLocked, "{interface}");
        quiet(&mut rx).await;
    }

    let impostor = session.connect().await;
    emit(
        &impostor,
        SCREEN_SAVER_PATH,
        SCREEN_SAVER,
        "ActiveChanged",
        &(true,),
    )
    .await;
    quiet(&mut rx).await;
}

#[tokio::test]
async fn screen_saver_that_starts_later_is_noticed() {
    let (Some(system), Some(session)) = (
        Daemon::start("screen_saver_that_starts_later_is_noticed"),
        Daemon::start("screen_saver_that_starts_later_is_noticed"),
    ) else {
        return;
    };
    let _logind = fake_logind(&system).await;
    let (tx, mut rx) = unbounded_channel();
    let watch = watch_lock_events_on(
        Some(system.connect().await),
        Some(session.connect().await),
        tx,
    )
    .await
    .expect("watching");
    assert_eq!(states(&watch)[2], ("screen saver", false));
    assert!(
        detail(&watch, "screen saver").contains("nothing provides org.freedesktop.ScreenSaver"),
        "{}",
        detail(&watch, "screen saver")
    );

    let freedesktop = session.claim(SCREEN_SAVER).await;
    emit(
        &freedesktop,
        SCREEN_SAVER_PATH,
        SCREEN_SAVER,
        "ActiveChanged",
        &(true,),
    )
    .await;
    assert_eq!(next(&mut rx).await, LockEvent::ScreenLocked);
}

#[tokio::test]
async fn nothing_to_watch_is_an_error_that_says_why() {
    let (tx, _rx) = unbounded_channel();
    match watch_lock_events_on(None, None, tx).await {
        Err(Error::NoLockEvents(why)) => {
            assert_eq!(
                why,
                "logind sleep, logind session lock: system bus: not connected; \
                 screen saver, GNOME screen saver: session bus: not connected"
            );
        }
        other => panic!("expected NoLockEvents, got {other:?}"),
    }
}

/// The real buses of whatever machine runs this: either something is watched, or the error
/// says why not. Never a panic, whatever DBUS_*_BUS_ADDRESS say.
#[tokio::test]
async fn default_buses_are_watched_or_explained() {
    let (tx, _rx) = unbounded_channel();
    match watch_lock_events(tx).await {
        Ok(watch) => assert!(watch.active().count() > 0, "{watch:?}"),
        Err(Error::NoLockEvents(why)) => eprintln!("no lock events here: {why}"),
        Err(other) => panic!("unexpected error: {other}"),
    }
}

#[test]
fn outside_a_tokio_runtime_is_an_error_not_a_panic() {
    let (tx, _rx) = unbounded_channel();
    let mut watching = pin!(watch_lock_events_on(None, None, tx));
    match watching
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(Err(Error::NoLockEvents(why))) => assert!(why.contains("tokio"), "{why}"),
        other => panic!("expected NoLockEvents at once, got {other:?}"),
    }
}

/// The app keeps the watch in shared state, so it must cross threads.
#[test]
fn lock_watch_is_send_and_sync() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<LockWatch>();
}

#[test]
fn events_read_well_in_logs() {
    assert_eq!(
        LockEvent::Sleep.to_string(),
        "the machine is going to sleep"
    );
    assert_eq!(LockEvent::ScreenLocked.to_string(), "the screen locked");
}
