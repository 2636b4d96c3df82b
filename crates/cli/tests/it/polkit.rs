//! Presence on a Linux machine with polkit, through the real `latchkey` binary: the broker
//! runs as an unprivileged user (polkit allows root anything) against a real polkitd on a
//! private system bus, and `latchkey assistants allow` needs that user to pass polkit.
//!
//! - Without a terminal nobody can be asked: refused, saying what to do.
//! - In a terminal, `latchkey` starts `pkttyagent` for the broker; polkit asks for the
//!   password there, and a wrong one is declined.
//!
//! The right password cannot be shown here: the test user, nobody, has none (see DESIGN.md).
#![cfg(target_os = "linux")]

use crate::common;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use crate::common::{Home, Served};
use latchkey_test_peer::polkitd::PolkitBus;

const NOBODY: &str = "65534";
const ASSISTANT: &str = "/usr/local/bin/some-assistant";

fn as_nobody(program: &str) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.args([
        "--reuid",
        NOBODY,
        "--regid",
        NOBODY,
        "--clear-groups",
        "--",
        program,
    ]);
    cmd
}

/// A broker running as nobody, with polkit on `bus`, and the `latchkey` copy nobody can run.
struct Setup {
    home: Home,
    latchkey: String,
    _broker: Served,
}

impl Setup {
    fn start(bus: &PolkitBus) -> Self {
        let home = Home::traversable();
        std::fs::create_dir_all(&home.dir).unwrap();
        std::os::unix::fs::chown(&home.dir, Some(65534), Some(65534)).unwrap();
        let latchkey = home.shared_binary().to_str().unwrap().to_owned();
        let mut serve = as_nobody(&latchkey);
        serve
            .arg("serve")
            .env("LATCHKEY_HOME", &home.dir)
            // nobody's own runtime dir, for the one-broker lock
            .env("XDG_RUNTIME_DIR", &home.dir)
            .env("LATCHKEY_SOFA_FEED", common::SOFA_FIXTURE)
            .env("DBUS_SYSTEM_BUS_ADDRESS", &bus.address)
            .env_remove("LATCHKEY_SCRIPTED_PRESENCE");
        let broker = home.serve_with(serve);
        Self {
            home,
            latchkey,
            _broker: broker,
        }
    }

    /// Whether the broker has the test's assistant on its allow-list.
    fn allowed(&self) -> bool {
        std::fs::read_to_string(self.home.dir.join("assistants.json"))
            .is_ok_and(|json| json.contains(ASSISTANT))
    }
}

fn polkit_bus(test: &str) -> Option<PolkitBus> {
    if !common::require_root(test) {
        return None;
    }
    PolkitBus::start(test)
}

#[test]
fn without_a_terminal_nobody_is_asked_and_the_refusal_says_what_to_do() {
    let Some(bus) = polkit_bus("without_a_terminal_nobody_is_asked") else {
        return;
    };
    let setup = Setup::start(&bus);
    // setsid: no controlling terminal, as for an assistant's shell tool.
    let out = Command::new("setsid")
        .args([
            "--wait",
            "setpriv",
            "--reuid",
            NOBODY,
            "--regid",
            NOBODY,
            "--clear-groups",
        ])
        .args(["--", &setup.latchkey, "assistants", "allow", ASSISTANT])
        .env("LATCHKEY_HOME", &setup.home.dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("no polkit authentication agent answered")
            && err.contains("run `latchkey` in a terminal"),
        "{err}"
    );
    assert!(!setup.allowed());
}

#[test]
fn in_a_terminal_polkit_asks_for_the_password_and_a_wrong_one_is_declined() {
    let Some(bus) = polkit_bus("in_a_terminal_polkit_asks_for_the_password") else {
        return;
    };
    let setup = Setup::start(&bus);
    // script(1) gives the command a terminal of its own; we type into it.
    let command = format!(
        "env LATCHKEY_HOME={} {} assistants allow {ASSISTANT}",
        setup.home.dir.display(),
        setup.latchkey
    );
    let mut terminal = as_nobody("script")
        .args(["--quiet", "--return", "--command", &command, "/dev/null"])
        .env("DBUS_SYSTEM_BUS_ADDRESS", &bus.address)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let screen = read_in_background(&mut terminal);

    let prompt = wait_for(&screen, "Password:");
    assert!(
        prompt.contains(&format!(
            "latchkey: to allow {ASSISTANT} to use Latchkey, polkit may ask for your password here"
        )) && prompt.contains("AUTHENTICATING FOR app.latchkey.Latchkey.presence")
            && prompt.contains("Latchkey needs your password")
            && prompt.contains("Authenticating as: nobody"),
        "{prompt}"
    );
    // The agent turns echo off after its prompt with TCSAFLUSH, which drops what was typed
    // before: type again until it has read a line.
    let mut keyboard = terminal.stdin.take().unwrap();
    let mut after = String::new();
    for _ in 0..10 {
        keyboard.write_all(b"not-the-password\n").unwrap();
        after.push_str(&read_for(&screen, Duration::from_secs(2)));
        if after.contains("AUTHENTICATION FAILED") {
            break;
        }
    }
    let declined = "the confirmation was declined";
    if !after.contains(declined) {
        after.push_str(&wait_for(&screen, declined));
    }
    assert!(after.contains("AUTHENTICATION FAILED"), "{after}");
    drop(keyboard);
    assert!(!terminal.wait().unwrap().success());
    assert!(!setup.allowed());
    // The agent went with the command (killed as it ends; give the kernel a moment).
    let deadline = Instant::now() + Duration::from_secs(5);
    while agent_running() {
        assert!(Instant::now() < deadline, "a pkttyagent outlived latchkey");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether nobody runs a live (not zombie) pkttyagent.
fn agent_running() -> bool {
    let found = Command::new("pgrep")
        .args(["--runstates", "R,S,D,T", "-u", NOBODY, "pkttyagent"])
        .output()
        .unwrap();
    !found.stdout.is_empty()
}

/// What the terminal shows, chunk by chunk.
fn read_in_background(child: &mut Child) -> Receiver<Vec<u8>> {
    let mut out = child.stdout.take().unwrap();
    let (send, receive) = channel();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = out.read(&mut chunk) {
            if n == 0 || send.send(chunk[..n].to_vec()).is_err() {
                return;
            }
        }
    });
    receive
}

/// Everything shown within `time`.
fn read_for(screen: &Receiver<Vec<u8>>, time: Duration) -> String {
    let deadline = Instant::now() + time;
    let mut shown = String::new();
    while let Ok(chunk) = screen.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        shown.push_str(&String::from_utf8_lossy(&chunk));
    }
    shown
}

/// Everything shown until `text` appears (within 30 s).
fn wait_for(screen: &Receiver<Vec<u8>>, text: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut shown = String::new();
    while !shown.contains(text) {
        let left = deadline.saturating_duration_since(Instant::now());
        match screen.recv_timeout(left) {
            Ok(chunk) => shown.push_str(&String::from_utf8_lossy(&chunk)),
            Err(_) => panic!("{text:?} did not appear; the terminal showed:\n{shown}"),
        }
    }
    shown
}
