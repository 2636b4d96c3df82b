//! What the harnesses of the real test peers (Prism, OpenBao) share:
//!
//! - [`require`]: a missing peer skips a test with a note, except under `CI=true`, where it
//!   fails the test;
//! - [`Watched`]: a server run by a shell watchdog holding the other end of a pipe, in a
//!   process group of its own. The watchdog kills the server when the test process goes away,
//!   however it ends; dropping a [`Watched`] stops it at once.

use std::path::Path;
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
