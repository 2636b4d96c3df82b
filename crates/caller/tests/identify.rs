//! `identify` against real processes on a real unix socket (Linux): the test process itself,
//! Debian's python3 under `sh` and running a script, a copy of python3 playing the `latchkey
//! mcp` bridge, and peers that exited before we looked; and the [`ProcessPin`] of a peer that
//! then starts another program, exits, or forks a child that writes on its socket. Nothing is
//! mocked: the peers are ordinary child processes.
#![cfg(target_os = "linux")]

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use std::io::Write;
use std::sync::Arc;

use latchkey_caller::{Caller, Changed, ProcessPin, identify, identify_pinned};
use tokio::io::AsyncReadExt;
use tokio::net::{UnixListener, UnixStream};

/// Debian's python3, which runs from a copy too (its standard library is found via /usr).
const PYTHON: &str = "/usr/bin/python3";
/// Connects to argv[1], then holds the connection until stdin closes.
const HOLD: &str = "import socket, sys\ns = socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\nsys.stdin.read()\n";
/// Connects to argv[1] and exits at once.
const LEAVE: &str = "import socket, sys\nsocket.socket(socket.AF_UNIX).connect(sys.argv[1])\n";
/// Connects to argv[1]; at a line on stdin, starts argv[2] (a python) in its place, retrying
/// "text file busy" (see [`Peer::spawn`]).
const EXEC: &str = r#"
import errno, os, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
sys.stdin.readline()
for _ in range(100):
    try:
        os.execv(sys.argv[2], [sys.argv[2], "-c", "import sys; sys.stdin.read()"])
    except OSError as e:
        if e.errno != errno.ETXTBSY:
            raise
        time.sleep(0.01)
"#;
/// Connects to argv[1] and writes a line; at a line on stdin, forks a child that writes one.
const FORK: &str = r#"
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"mine\n")
sys.stdin.readline()
if os.fork() == 0:
    s.sendall(b"theirs\n")
    os._exit(0)
os.wait()
sys.stdin.read()
"#;
/// No process runs this: for tests without a bridge.
const NO_BRIDGE: &str = "/nonexistent/latchkey";

/// A listening socket in its own temporary directory.
struct Socket {
    dir: tempfile::TempDir,
    path: PathBuf,
    listener: UnixListener,
}

impl Socket {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().canonicalize().unwrap().join("mcp.sock");
        let listener = UnixListener::bind(&path).unwrap();
        latchkey_caller::prepare_listener(&listener).unwrap();
        Socket {
            dir,
            path,
            listener,
        }
    }

    async fn accept(&self) -> UnixStream {
        let accepted = tokio::time::timeout(Duration::from_secs(10), self.listener.accept());
        accepted
            .await
            .expect("no connection within 10 s")
            .unwrap()
            .0
    }

    /// A copy of python3 named `latchkey`: the bridge, as far as `identify` can tell.
    fn bridge(&self) -> PathBuf {
        let bridge = self.path.with_file_name("latchkey");
        std::fs::copy(python(), &bridge).unwrap();
        bridge
    }
}

/// A child process that is ended and reaped when dropped.
struct Peer(Child);

impl Peer {
    /// `program args…` with a piped stdin, which the HOLD script waits on.
    ///
    /// Retries "text file busy": a bridge copied in one test may still be open for writing in
    /// a child another test forked at that moment, until that child execs.
    fn spawn(command: &mut Command) -> Self {
        command.stdin(Stdio::piped());
        for _ in 0..100 {
            match command.spawn() {
                Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                spawned => return Peer(spawned.unwrap()),
            }
        }
        panic!("{command:?} stayed busy for a second");
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        drop(self.0.stdin.take());
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn python() -> PathBuf {
    Path::new(PYTHON)
        .canonicalize()
        .expect("these tests run Debian's python3 at /usr/bin/python3")
}

fn python_command(program: &Path, script: &str, socket: &Socket) -> Command {
    let mut command = Command::new(program);
    command.arg("-c").arg(script).arg(&socket.path);
    command
}

/// `sh -c 'PROGRAM -c SCRIPT SOCKET; exit $?'`: the `exit` keeps sh from exec'ing into
/// the program, so sh stays in the chain.
fn under_sh(program: &Path, script: &str, socket: &Socket) -> Command {
    let mut command = Command::new("/bin/sh");
    command.arg("-c").arg(r#""$0" -c "$1" "$2"; exit $?"#);
    command.arg(program).arg(script).arg(&socket.path);
    command
}

fn our_exe() -> PathBuf {
    std::env::current_exe().unwrap().canonicalize().unwrap()
}

fn pids(caller: &Caller) -> Vec<u32> {
    caller.chain.iter().map(|p| p.pid).collect()
}

fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

#[tokio::test]
async fn the_test_process_itself() {
    let socket = Socket::new();
    let _client = UnixStream::connect(&socket.path).await.unwrap();
    let caller = identify(&socket.accept().await, Path::new(NO_BRIDGE)).unwrap();

    assert_eq!((caller.uid, caller.pid), (euid(), Some(std::process::id())));
    let me = caller.peer().expect("we are alive");
    assert_eq!(me.executable.as_deref(), Some(our_exe().as_path()));
    assert!(!caller.via_bridge);
    assert_eq!(caller.assistant.as_ref(), Some(me));
    assert_eq!(caller.assistant_executable(), Some(our_exe().as_path()));
    assert_eq!(caller.app, None);
    assert_eq!(
        caller.signature, None,
        "Linux has no code signatures to check"
    );
    let parent = std::os::unix::process::parent_id();
    if parent != 1 {
        assert_eq!(
            caller.chain.get(1).map(|p| p.pid),
            Some(parent),
            "{caller:#?}"
        );
    }
    assert!(caller.chain.len() <= latchkey_caller::MAX_DEPTH);
    let described = caller.describe();
    assert!(
        described.contains(&format!(
            "{}, pid {}",
            our_exe().display(),
            std::process::id()
        )),
        "{described}"
    );
}

#[tokio::test]
async fn a_child_under_a_shell_and_the_chain_up_to_us() {
    let socket = Socket::new();
    let sh = Peer::spawn(&mut under_sh(&python(), HOLD, &socket));
    let caller = identify(&socket.accept().await, Path::new(NO_BRIDGE)).unwrap();

    let [py, shell, us] = &caller.chain[..3] else {
        panic!("{caller:#?}")
    };
    assert_ne!(py.pid, sh.pid());
    assert_eq!(caller.pid, Some(py.pid));
    assert_eq!(py.executable.as_deref(), Some(python().as_path()));
    assert!(py.name.starts_with("python3"), "{py:?}");
    assert_eq!(py.script, None, "python3 -c runs no script");
    assert_eq!((shell.pid, shell.name.as_str()), (sh.pid(), "sh"));
    assert_eq!(
        (us.pid, us.executable.as_deref()),
        (std::process::id(), Some(our_exe().as_path()))
    );
    // Inline code under a shell: named after the program that started them, us.
    assert_eq!(caller.assistant.as_ref(), Some(us));
    assert!(!caller.runs_inline_code());
}

#[tokio::test]
async fn a_python3_script_is_named_by_its_script() {
    let socket = Socket::new();
    let script = socket.dir.path().canonicalize().unwrap().join("hold.py");
    std::fs::write(&script, HOLD).unwrap();
    // A relative path, from the script's working directory; `-u` is an option, not the script.
    let mut command = Command::new(python());
    command
        .args(["-u", "hold.py"])
        .arg(&socket.path)
        .current_dir(socket.dir.path());
    let peer = Peer::spawn(&mut command);
    let caller = identify(&socket.accept().await, Path::new(NO_BRIDGE)).unwrap();

    let assistant = caller.assistant.as_ref().unwrap();
    assert_eq!(assistant.pid, peer.pid());
    assert_eq!(assistant.script.as_deref(), Some(script.as_path()));
    assert_eq!(caller.assistant_executable(), Some(script.as_path()));
    assert_eq!(caller.interpreter(), Some(python().as_path()));
    assert!(
        caller.describe().contains(&format!(
            "running {} ({}, pid ",
            script.display(),
            python().display()
        )),
        "{}",
        caller.describe()
    );
}

/// The peer connected to `socket`, pinned, and checked once as the broker does at connect.
async fn pinned(socket: &Socket) -> (UnixStream, Caller, Arc<ProcessPin>) {
    let stream = socket.accept().await;
    let (caller, pin) = identify_pinned(&stream, Path::new(NO_BRIDGE)).unwrap();
    (stream, caller, Arc::new(pin))
}

#[tokio::test]
async fn the_pin_breaks_when_the_peer_starts_another_program() {
    let socket = Socket::new();
    let copy = socket.path.with_file_name("python3-copy");
    std::fs::copy(python(), &copy).unwrap();
    let mut command = python_command(&python(), EXEC, &socket);
    command.arg(&copy);
    let mut peer = Peer::spawn(&mut command);
    let (_stream, caller, pin) = pinned(&socket).await;
    assert_eq!(pin.check(), Ok(()), "{caller:#?}");
    assert_eq!(pin.check(), Ok(()));

    writeln!(peer.0.stdin.as_mut().unwrap()).unwrap();
    wait_for_exe(peer.pid(), &copy);
    let changed = pin.check().unwrap_err();
    assert!(
        matches!(&changed, Changed::Executed { pid, was } if *pid == peer.pid() && was.contains(&*python().to_string_lossy())),
        "{changed:?}"
    );
    assert_eq!(
        pin.check(),
        Err(changed.clone()),
        "a broken pin stays broken"
    );
    assert_eq!(pin.broken(), Some(changed));
}

#[tokio::test]
async fn the_pin_breaks_when_the_peer_exits() {
    let socket = Socket::new();
    let mut peer = Peer::spawn(&mut python_command(&python(), EXEC, &socket));
    let (_stream, _caller, pin) = pinned(&socket).await;
    assert_eq!(pin.check(), Ok(()));
    peer.0.kill().unwrap();
    peer.0.wait().unwrap();
    assert_eq!(pin.check(), Err(Changed::Gone { pid: peer.pid() }));

    // Gone before it was even looked at: the pidfd from SO_PEERPIDFD names the process that
    // connected, not whoever has its pid now.
    let mut leaver = Peer::spawn(&mut python_command(&python(), LEAVE, &socket));
    let stream = socket.accept().await;
    assert!(leaver.0.wait().unwrap().success());
    let (_caller, pin) = identify_pinned(&stream, Path::new(NO_BRIDGE)).unwrap();
    assert_eq!(pin.check(), Err(Changed::Gone { pid: leaver.pid() }));
}

#[tokio::test]
async fn bytes_another_process_writes_end_the_connection() {
    let socket = Socket::new();
    let mut peer = Peer::spawn(&mut python_command(&python(), FORK, &socket));
    let (stream, _caller, pin) = pinned(&socket).await;
    let (read, _write) = stream.into_split();
    let mut reader = pin.reader(read);
    let mut mine = [0u8; 5];
    reader.read_exact(&mut mine).await.unwrap();
    assert_eq!(&mine, b"mine\n", "the peer's own bytes pass");

    writeln!(peer.0.stdin.as_mut().unwrap()).unwrap();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), reader.read_to_end(&mut rest));
    read.await.expect("the reader ends").unwrap();
    assert!(rest.is_empty(), "not a byte of the child's: {rest:?}");
    match pin.broken() {
        Some(Changed::ForeignWriter { pid, writer }) => {
            assert_eq!(pid, peer.pid());
            assert!(writer != 0 && writer != pid, "{writer}");
        }
        other => panic!("{other:?}"),
    }
    assert!(pin.check().is_err(), "calls are refused too");
}

#[tokio::test]
async fn the_bridge_is_skipped_for_its_parent() {
    let socket = Socket::new();
    let bridge = socket.bridge();
    // Passed through a symlink, as an installed `latchkey` on the PATH may be.
    let link = socket.dir.path().join("latchkey-link");
    std::os::unix::fs::symlink(&bridge, &link).unwrap();
    let peer = Peer::spawn(&mut python_command(&bridge, HOLD, &socket));
    let caller = identify(&socket.accept().await, &link).unwrap();

    assert!(caller.via_bridge, "{caller:#?}");
    assert_eq!(caller.pid, Some(peer.pid()));
    assert_eq!(
        caller.chain[0].executable.as_deref(),
        Some(bridge.as_path())
    );
    assert_eq!(
        caller.assistant.as_ref().map(|p| p.pid),
        Some(std::process::id())
    );
    assert_eq!(caller.assistant_executable(), Some(our_exe().as_path()));
}

#[tokio::test]
async fn shells_between_the_bridge_and_the_assistant_are_skipped() {
    let socket = Socket::new();
    let bridge = socket.bridge();
    let sh = Peer::spawn(&mut under_sh(&bridge, HOLD, &socket));
    let caller = identify(&socket.accept().await, &bridge).unwrap();

    assert!(caller.via_bridge, "{caller:#?}");
    assert_eq!(pids(&caller)[1..3], [sh.pid(), std::process::id()]);
    assert_eq!(caller.assistant_executable(), Some(our_exe().as_path()));
}

#[tokio::test]
async fn a_bridge_upgraded_while_it_runs_is_still_the_bridge() {
    let socket = Socket::new();
    let bridge = socket.bridge();
    let _peer = Peer::spawn(&mut python_command(&bridge, HOLD, &socket));
    let stream = socket.accept().await;
    // What a package upgrade does: a new file renamed over the running one.
    let new = bridge.with_file_name("latchkey.new");
    std::fs::copy(python(), &new).unwrap();
    std::fs::rename(&new, &bridge).unwrap();
    let caller = identify(&stream, &bridge).unwrap();

    assert!(caller.via_bridge, "{caller:#?}");
    assert_eq!(
        caller.chain[0].executable.as_deref(),
        Some(bridge.as_path())
    );
}

#[tokio::test]
async fn a_peer_that_is_gone_keeps_its_pid_and_nothing_else() {
    let socket = Socket::new();
    let mut peer = Peer::spawn(&mut python_command(&python(), LEAVE, &socket));
    let stream = socket.accept().await;
    assert!(peer.0.wait().unwrap().success());
    let caller = identify(&stream, Path::new(NO_BRIDGE)).unwrap();

    assert_eq!(caller.pid, Some(peer.pid()));
    assert_eq!(
        (
            caller.chain.len(),
            caller.peer(),
            caller.assistant_executable()
        ),
        (0, None, None)
    );
    assert!(
        caller.describe().contains(&format!("pid {}", peer.pid())),
        "{}",
        caller.describe()
    );
}

#[tokio::test]
async fn an_exited_unreaped_peer_is_named_but_has_no_executable() {
    let socket = Socket::new();
    let peer = Peer::spawn(&mut python_command(&python(), LEAVE, &socket));
    let stream = socket.accept().await;
    wait_for_zombie(peer.pid());
    let caller = identify(&stream, Path::new(NO_BRIDGE)).unwrap();

    let zombie = caller.peer().expect("a zombie is still in /proc");
    assert!(zombie.name.starts_with("python3"), "{zombie:?}");
    assert_eq!(zombie.executable, None);
    assert_eq!(caller.chain.get(1).map(|p| p.pid), Some(std::process::id()));
    assert_eq!(caller.assistant.as_ref(), Some(zombie));
    assert_eq!(caller.assistant_executable(), None);
}

#[tokio::test]
async fn the_chain_ends_at_a_process_of_another_uid() {
    if euid() != 0 {
        eprintln!("skipped: starting a process of another uid needs root");
        return;
    }
    let socket = Socket::new();
    // Let `nobody` reach the socket.
    std::fs::set_permissions(socket.dir.path(), PermissionsExt::from_mode(0o711)).unwrap();
    std::fs::set_permissions(&socket.path, PermissionsExt::from_mode(0o777)).unwrap();
    let peer = Peer::spawn(
        python_command(&python(), HOLD, &socket)
            .uid(65534)
            .gid(65534),
    );
    let caller = identify(&socket.accept().await, Path::new(NO_BRIDGE)).unwrap();

    assert_eq!((caller.uid, caller.pid), (65534, Some(peer.pid())));
    assert_eq!(
        pids(&caller),
        [peer.pid()],
        "our process (root) is not part of nobody's chain"
    );
}

/// Waits until `pid` has exited but is not yet reaped (state `Z` in /proc/PID/stat).
fn wait_for_zombie(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        if stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        {
            return;
        }
        assert!(Instant::now() < deadline, "pid {pid} did not exit: {stat}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until `pid` runs `exe`.
fn wait_for_exe(pid: u32, exe: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_link(format!("/proc/{pid}/exe"))
        .ok()
        .as_deref()
        != Some(exe)
    {
        assert!(Instant::now() < deadline, "pid {pid} never ran {exe:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}
