//! A test peer's process (OpenBao here, moto in `latchkey-moto-harness`): a free loopback
//! port, a temp directory as its `HOME` with its log in it, and a shell watchdog holding the
//! other end of a pipe, which kills the peer when the test process goes away, however it
//! ends. Dropping a [`Watched`] stops it at once.

use std::ffi::OsStr;
use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Whether this is a CI run (`CI=true`), where a missing test peer fails the test.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// `true` when `bin` is there. Otherwise, under `CI=true` a panic, else a note on stderr and
/// `false`, so the caller returns and `test` passes as skipped. `what` names the peer.
pub fn require(test: &str, bin: &Path, what: &str) -> bool {
    if bin.is_file() {
        return true;
    }
    let what = format!(
        "{what} at {} (run `scripts/setup.sh --test`)",
        bin.display()
    );
    if in_ci() {
        panic!("{test} needs {what}");
    }
    eprintln!("skipping {test}: missing {what}");
    false
}

/// `127.0.0.1:PORT` on a port that was free a moment ago (found by binding and releasing it;
/// another process may take it in between, so a start that loses that race tries again).
pub fn free_addr() -> SocketAddr {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Runs its arguments in the background and kills them when its stdin reaches end of file.
const WATCHDOG: &str = r#""$@" </dev/null & p=$!
read -r _ || :
kill -TERM "$p" 2>/dev/null
wait "$p""#;

/// One peer process, in a process group of its own under a watchdog shell.
#[derive(Debug)]
pub struct Watched {
    child: Child,
    lifeline: Option<ChildStdin>,
    dir: tempfile::TempDir,
}

impl Watched {
    /// Starts `program ARGS` with `envs`, its `HOME` a new temp directory (`prefix…`) and its
    /// output in `peer.log` there.
    pub fn spawn<I, S>(prefix: &str, program: &Path, args: I, envs: &[(&str, &str)]) -> Watched
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .expect("temp dir");
        let log = File::create(dir.path().join("peer.log")).expect("log file");
        let err = log.try_clone().expect("log file");
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg(format!("{prefix}watchdog"))
            .arg(program)
            .args(args)
            .envs(envs.iter().copied())
            .env("HOME", dir.path())
            .stdin(Stdio::piped())
            .stdout(log)
            .stderr(err)
            .process_group(0)
            .spawn()
            .expect("start sh for a test peer");
        let lifeline = child.stdin.take();
        Watched {
            child,
            lifeline,
            dir,
        }
    }

    /// The peer's `HOME`, a temp directory removed when it is dropped.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// What the peer logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("peer.log")).unwrap_or_default()
    }

    /// How the watchdog ended, if it has.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Polls `ready` until it says yes (`Ok`), the peer exits or logs `address already in
    /// use`, or `limit` passes (`Err` with why).
    pub fn wait_ready(
        &mut self,
        limit: Duration,
        mut ready: impl FnMut(&Self) -> bool,
    ) -> Result<(), String> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = self.exited() {
                return Err(format!("the peer exited: {status}"));
            }
            if self.log_text().contains("address already in use")
                || self.log_text().contains("Address already in use")
            {
                return Err("address already in use".into());
            }
            if ready(self) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Err(format!("no answer within {}s", limit.as_secs()))
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        // Closing the lifeline makes the watchdog stop the peer and exit once it has. A
        // watchdog still there after that has its whole group killed before it is reaped,
        // while its pid still names the group.
        drop(self.lifeline.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_)) | Err(_)) {
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
