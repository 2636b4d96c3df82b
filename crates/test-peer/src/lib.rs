//! What the harnesses of the real test peers (Prism, OpenBao) share:
//!
//! - [`require`]: a missing peer skips a test with a note, except under `CI=true`, where it
//!   fails the test; [`keyring`] is that guard for the Secret Service;
//! - [`Watched`]: a server run by a shell watchdog holding the other end of a pipe, in a
//!   process group of its own. The watchdog kills the server when the test process goes away,
//!   however it ends; dropping a [`Watched`] stops it at once.
//! - [`polkitd`]: a real polkitd on a private system bus, for the presence tests;
//! - [`tls`]: a rustls acceptor and an axum listener for the loopback TLS test servers.
//! - [`Peer`]: a [`Watched`] server on a free port of 127.0.0.1 with a temporary directory
//!   of its own, started again on another port when it lost the port to another process.

pub mod polkitd;
pub mod tls;

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use std::os::unix::process::CommandExt;

/// Whether this is a CI run (`CI=true`), where a missing test peer fails the test.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// `true` when nothing is `missing`. Otherwise, under `CI=true` a panic naming it, else a
/// note on stderr and `false`, so the caller returns and `test` passes as skipped.
pub fn require(test: &str, missing: &[String]) -> bool {
    if missing.is_empty() {
        return true;
    }
    let what = missing.join("; ");
    if in_ci() {
        panic!("{test} needs {what}");
    }
    eprintln!("skipping {test}: missing {what}");
    false
}

/// Whether the Secret Service is there: `scripts/with-keyring.sh` runs the tests in a private
/// D-Bus session with an unlocked gnome-keyring and sets `LATCHKEY_TEST_KEYRING=1`. Without it a
/// test that needs the keyring skips with a note, except under `CI=true`, where it fails.
pub fn keyring(test: &str) -> bool {
    let there = std::env::var("LATCHKEY_TEST_KEYRING").is_ok_and(|v| v == "1");
    there
        || require(
            test,
            &["the Secret Service: run under scripts/with-keyring.sh".to_owned()],
        )
}

/// The environment variable naming a directory the watchdog removes once the server is gone.
pub const REMOVE_AFTER: &str = "LATCHKEY_WATCHDOG_REMOVE";

/// Runs its arguments in the background; when its stdin reaches end of file, stops them and
/// removes `$LATCHKEY_WATCHDOG_REMOVE` if set.
const WATCHDOG: &str = r#""$@" </dev/null & p=$!
read -r _ || :
kill -TERM "$p" 2>/dev/null
wait "$p"
[ -z "$LATCHKEY_WATCHDOG_REMOVE" ] || rm -rf -- "$LATCHKEY_WATCHDOG_REMOVE""#;

/// A server under its watchdog shell, which leads the server's process group.
#[derive(Debug)]
pub struct Watched {
    child: Child,
    /// The watchdog's stdin: when it closes (dropped here, or this process gone), the
    /// watchdog stops the server.
    lifeline: Option<ChildStdin>,
}

impl Watched {
    /// Starts `program` under a watchdog named `name`; `configure` adds its arguments,
    /// environment and output.
    pub fn spawn(name: &str, program: &Path, configure: impl FnOnce(&mut Command)) -> Watched {
        let mut command = Command::new("sh");
        command.arg("-c").arg(WATCHDOG).arg(name).arg(program);
        configure(&mut command);
        let mut child = command
            .stdin(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("start sh for {name}: {e}"));
        let lifeline = child.stdin.take();
        Watched { child, lifeline }
    }

    /// How the watchdog (and so the server) ended, once it has.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(status) => status.map(|s| s.to_string()),
            Err(e) => Some(e.to_string()),
        }
    }

    /// The watchdog's process id, which names the server's process group.
    pub fn pgid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        // Closing the lifeline makes the watchdog stop the server and exit once it has. A
        // watchdog still there after that (a server deaf to SIGTERM) has its whole group
        // killed before it is reaped, while its pid still names the group.
        drop(self.lifeline.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self.exited().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server on a free loopback port under its watchdog, with a temporary directory of its
/// own holding its log (`DIR/server.log`), removed once the server has gone.
#[derive(Debug)]
pub struct Peer {
    watched: Watched,
    /// Where it listens.
    pub addr: SocketAddr,
    log: PathBuf,
    dir: tempfile::TempDir,
}

/// How to start one kind of [`Peer`].
#[derive(Debug)]
pub struct Launch<'a> {
    /// Names the watchdog and the temporary directory.
    pub name: &'a str,
    pub program: &'a Path,
    /// What the server logs when its port was taken in the meantime.
    pub port_taken: &'a str,
    /// How long it may take to answer.
    pub limit: Duration,
}

impl Peer {
    /// Starts `launch.program`, `configure` giving it its arguments and environment for the
    /// address and directory chosen, and waits until `ready` says it answers.
    pub fn start(
        launch: Launch,
        configure: impl Fn(&mut Command, SocketAddr, &Path),
        ready: impl Fn(&Peer) -> bool,
    ) -> Peer {
        let mut last = String::new();
        // A free port is found by binding and releasing it; another process may take it in
        // between, so a start that loses that race is tried again on a new port.
        for _ in 0..3 {
            let addr = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port");
            let dir = tempfile::Builder::new()
                .prefix(&format!("latchkey-{}-", launch.name))
                .tempdir()
                .expect("temp dir");
            let log = dir.path().join("server.log");
            let out = File::create(&log).expect("log file");
            let err = out.try_clone().expect("log file");
            let watchdog = format!("{}-watchdog", launch.name);
            let watched = Watched::spawn(&watchdog, launch.program, |command| {
                configure(command, addr, dir.path());
                // A peer shared by a whole test binary is never dropped: its watchdog
                // removes the directory.
                command
                    .env(REMOVE_AFTER, dir.path())
                    .stdout(out)
                    .stderr(err);
            });
            let mut peer = Peer {
                watched,
                addr,
                log,
                dir,
            };
            match peer.wait_ready(&launch, &ready) {
                Ok(()) => return peer,
                Err(why) => {
                    last = format!("{why}\n--- {} log ---\n{}", launch.name, peer.log_text());
                    drop(peer);
                    if !last.contains(launch.port_taken) {
                        break;
                    }
                }
            }
        }
        panic!("{} did not start: {last}", launch.name);
    }

    /// The server's own temporary directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// What the server logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The watchdog's process id, which names the server's process group.
    pub fn pgid(&self) -> u32 {
        self.watched.pgid()
    }

    fn wait_ready(
        &mut self,
        launch: &Launch,
        ready: &impl Fn(&Peer) -> bool,
    ) -> Result<(), String> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.watched.exited() {
                return Err(format!("{} exited: {status}", launch.name));
            }
            if self.log_text().contains(launch.port_taken) {
                return Err(launch.port_taken.to_owned());
            }
            if ready(self) {
                return Ok(());
            }
            if start.elapsed() > launch.limit {
                return Err(format!(
                    "{} did not answer on {} within {:?}",
                    launch.name, self.addr, launch.limit
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
