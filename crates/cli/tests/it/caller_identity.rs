//! Issue #12, item 5: a caller cannot borrow another program's identity. Real `latchkey
//! serve` processes (test builds: the scripted presence check answers for the person) and
//! real clients: small python3 scripts speaking MCP over the socket, which connect and then
//! start another program, fork a child that keeps the socket, or exit. The broker must refuse
//! the call that follows, record why, and close the connection. And an allowed python3 script
//! does not let in every python3 script. Needs `/usr/bin/python3` (Linux).
#![cfg(target_os = "linux")]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Home, Served};

const PYTHON: &str = "/usr/bin/python3";

/// What the scripts share: `call(sock, id, tool)` and friends, one JSON-RPC line each way.
const MCP: &str = r#"
import json, os, socket, sys

def connect(path):
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(30)
    sock.connect(path)
    return sock

def send(sock, message):
    try:
        sock.sendall((json.dumps(message) + "\n").encode())
    except OSError:
        pass  # closed by the broker: the next receive says so

def receive(sock):
    line = b""
    while not line.endswith(b"\n"):
        try:
            chunk = sock.recv(1)
        except OSError:
            return "closed"
        if not chunk:
            return "closed"
        line += chunk
    return json.loads(line)

def initialize(sock):
    send(sock, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "probe", "version": "1"}}})
    answer = receive(sock)
    send(sock, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    return answer

def status_request(sock, id):
    send(sock, {"jsonrpc": "2.0", "id": id, "method": "tools/call",
                "params": {"name": "latchkey_status", "arguments": {}}})

def status(sock, id):
    status_request(sock, id)
    return receive(sock)

def say(what, **fields):
    print(json.dumps(dict(what=what, **fields)), flush=True)
"#;

/// `client.py SOCKET`: initializes, asks for the status once, says what it got.
const CLIENT: &str = r#"
import sys
from mcp_lines import *
sock = connect(sys.argv[1])
say("initialize", answer=initialize(sock))
say("status", answer=status(sock, 2))
"#;

/// `exec_after.py SOCKET PROGRAM`: an allowed client that, once served, starts PROGRAM
/// (a python) running `talk.py` at its own pid, handing it the connection.
const EXEC_AFTER: &str = r#"
import os, sys, time
from mcp_lines import *
sock = connect(sys.argv[1])
say("initialize", answer=initialize(sock))
say("status", answer=status(sock, 2))
os.set_inheritable(sock.fileno(), True)
talk = os.path.join(os.path.dirname(os.path.abspath(__file__)), "talk.py")
for _ in range(100):
    try:
        os.execv(sys.argv[2], [sys.argv[2], talk, str(sock.fileno())])
    except OSError as e:  # a copy just written may be "busy" while another test forks
        if e.errno != 26:
            raise
        time.sleep(0.01)
"#;

/// `talk.py FD`: the program started in its place, calling on the inherited connection.
const TALK: &str = r#"
import socket, sys
from mcp_lines import *
sock = socket.socket(fileno=int(sys.argv[1]))
sock.settimeout(30)
say("status", answer=status(sock, 3))
say("after", answer=receive(sock))
"#;

/// `control_exec.py SOCKET PROGRAM REQUEST`: the control socket's twin of `exec_after.py`:
/// sends REQUEST (one JSON line), then starts PROGRAM running `control_talk.py` in its place.
const CONTROL_EXEC: &str = r#"
import os, sys, time
from mcp_lines import *
sock = connect(sys.argv[1])
sock.sendall((sys.argv[3] + "\n").encode())
say("first", answer=receive(sock))
os.set_inheritable(sock.fileno(), True)
talk = os.path.join(os.path.dirname(os.path.abspath(__file__)), "control_talk.py")
for _ in range(100):
    try:
        os.execv(sys.argv[2], [sys.argv[2], talk, str(sock.fileno()), sys.argv[3]])
    except OSError as e:
        if e.errno != 26:
            raise
        time.sleep(0.01)
"#;

/// `control_talk.py FD REQUEST`: sends REQUEST again on the inherited connection.
const CONTROL_TALK: &str = r#"
import socket, sys
from mcp_lines import *
sock = socket.socket(fileno=int(sys.argv[1]))
sock.settimeout(30)
sock.sendall((sys.argv[2] + "\n").encode())
say("second", answer=receive(sock))
"#;

/// `fork_exec.py SOCKET`: connects, forks; the parent becomes `sleep` (a program the person
/// would allow) while the child, keeping the socket, talks once it has.
const FORK_EXEC: &str = r#"
import os, sys, time
from mcp_lines import *
sock = connect(sys.argv[1])
parent = os.getpid()
if os.fork() == 0:
    deadline = time.time() + 30
    while os.readlink(f"/proc/{parent}/exe") != "/usr/bin/sleep" and time.time() < deadline:
        time.sleep(0.01)
    say("initialize", answer=initialize(sock))
    say("status", answer=status(sock, 2))
    os._exit(0)
devnull = os.open(os.devnull, os.O_WRONLY)
os.dup2(devnull, 1)
os.execv("/usr/bin/sleep", ["sleep", "60"])
"#;

/// `leave.py SOCKET`: once served, waits for a line on stdin, sends a call, forks a child to
/// read the answer, and exits.
const LEAVE: &str = r#"
import os, sys
from mcp_lines import *
sock = connect(sys.argv[1])
say("initialize", answer=initialize(sock))
sys.stdin.readline()
status_request(sock, 2)
if os.fork() == 0:
    say("status", answer=receive(sock))
    os._exit(0)
"#;

/// The scripts in a directory of their own; paths resolved as the broker reports them.
struct Scripts {
    _dir: tempfile::TempDir,
    dir: PathBuf,
}

impl Scripts {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().canonicalize().unwrap();
        for (name, text) in [
            ("mcp_lines.py", MCP),
            ("client.py", CLIENT),
            ("other.py", CLIENT),
            ("exec_after.py", EXEC_AFTER),
            ("talk.py", TALK),
            ("fork_exec.py", FORK_EXEC),
            ("leave.py", LEAVE),
            ("control_exec.py", CONTROL_EXEC),
            ("control_talk.py", CONTROL_TALK),
        ] {
            std::fs::write(dir.join(name), text).unwrap();
        }
        Self { _dir: tmp, dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// `python SCRIPT ARGS…` with stdout piped (the script's reports) and stdin piped.
    fn run<A: AsRef<OsStr>>(&self, python: &Path, script: &str, args: &[A]) -> Script {
        let mut command = Command::new(python);
        command.arg(self.path(script)).args(args);
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Script { child, stdout }
    }

    /// A copy of python3 at another path: another executable, as far as the kernel knows.
    fn python_copy(&self) -> PathBuf {
        let copy = self.dir.join("python3-copy");
        std::fs::copy(python(), &copy).unwrap();
        copy
    }
}

/// A running script: its reports, one JSON line each.
struct Script {
    child: Child,
    stdout: BufReader<ChildStdout>,
}

impl Script {
    /// The next report, `{"what": …, "answer": …}`; `None` when the script's output ended.
    fn report(&mut self) -> Option<serde_json::Value> {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        (!line.is_empty()).then(|| serde_json::from_str(&line).unwrap())
    }

    fn answer(&mut self, what: &str) -> serde_json::Value {
        let report = self.report().expect("the script ended early");
        assert_eq!(report["what"], what, "{report}");
        report["answer"].clone()
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python() -> PathBuf {
    Path::new(PYTHON)
        .canonicalize()
        .expect("these tests run python3 at /usr/bin/python3")
}

fn signal(broker: &Served, signal: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(broker.pid() as i32).unwrap();
    rustix::process::kill_process(pid, signal).unwrap();
}

/// Stops the broker and waits until every thread of it has stopped: `kill` only asks, and on
/// a loaded machine a worker thread can still serve a request before the stop reaches it.
fn hold_still(broker: &Served) {
    signal(broker, rustix::process::Signal::STOP);
    let tasks = format!("/proc/{}/task", broker.pid());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let running = std::fs::read_dir(&tasks)
            .unwrap()
            .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("stat")).ok())
            .filter(|stat| {
                // The state follows the name, which is in parentheses and may hold spaces.
                let state = stat.rsplit_once(") ").map(|(_, rest)| &rest[..1]);
                state != Some("T") && state != Some("t")
            })
            .count();
        if running == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "the broker never stopped");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Whether a `tools/call` answer is the status, served.
fn served(answer: &serde_json::Value) -> bool {
    answer["result"]["structuredContent"]["version"].is_string()
}

/// The text of a refused call's answer.
fn refusal(answer: &serde_json::Value) -> String {
    assert_eq!(answer["result"]["isError"], true, "not refused: {answer}");
    answer["result"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// What the audit recorded as refused for an unknown or changed client.
fn refused_entries(home: &Home) -> Vec<serde_json::Value> {
    let out = home
        .latchkey(&[
            "audit",
            "search",
            "--decision",
            "refused_unknown_client",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Waits until `pid` runs `exe`.
fn wait_for_exe(pid: u32, exe: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_link(format!("/proc/{pid}/exe"))
        .ok()
        .as_deref()
        != Some(exe)
    {
        assert!(Instant::now() < deadline, "pid {pid} never ran {exe:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn issue_12_an_allowed_program_that_starts_another_is_refused_at_its_next_call() {
    let home = Home::new();
    let _broker = home.serve_answering("approve");
    let scripts = Scripts::new();
    let socket = home.socket();
    // Another executable at the same pid, and the same interpreter running another script.
    for (program, was) in [
        (scripts.python_copy(), "exec_after.py"),
        (python(), "exec_after.py"),
    ] {
        let mut client = scripts.run(&python(), "exec_after.py", &[&socket, &program]);
        let pid = client.pid();
        assert!(client.answer("initialize")["result"]["serverInfo"].is_object());
        assert!(
            served(&client.answer("status")),
            "the allowed script is served"
        );

        let answer = client.answer("status");
        let said = refusal(&answer);
        assert!(
            said.contains(&format!("pid {pid} started another program")) && said.contains(was),
            "{said}"
        );
        assert_eq!(client.answer("after"), "closed", "the connection is closed");

        let recorded = refused_entries(&home);
        let last = recorded.last().expect("the refusal is audited");
        assert_eq!(last["tool"], "latchkey_status", "{last}");
        assert!(
            last["arguments"]["refused"]
                .as_str()
                .is_some_and(|why| why.contains("started another program")),
            "{last}"
        );
    }
}

#[test]
fn issue_12_a_cli_client_that_starts_another_program_is_refused_its_next_request() {
    let home = Home::new();
    let _broker = home.serve_answering("approve");
    let scripts = Scripts::new();
    let request =
        serde_json::to_string(&latchkey_broker::control::ControlRequest::Overview).unwrap();
    let control = home.dir.join("control.sock");
    let copy = scripts.python_copy();
    let args = [control.as_os_str(), copy.as_os_str(), OsStr::new(&request)];
    let mut client = scripts.run(&python(), "control_exec.py", &args);
    let first = client.answer("first");
    assert!(first["ok"].is_object(), "{first}");
    let second = client.answer("second");
    assert!(
        second["error"]["message"]
            .as_str()
            .is_some_and(|said| said.contains("started another program")),
        "{second}"
    );
}

#[test]
fn issue_12_a_child_keeping_the_socket_of_a_process_that_became_an_allowed_program_is_refused() {
    let home = Home::new();
    let broker = home.serve_answering("approve");
    let scripts = Scripts::new();
    // The broker is held still, so that by the time it looks, the process that connected
    // already runs the allowed program: the look-up itself cannot tell.
    hold_still(&broker);
    let mut forger = scripts.run(&python(), "fork_exec.py", &[&home.socket()]);
    wait_for_exe(forger.pid(), Path::new("/usr/bin/sleep"));
    signal(&broker, rustix::process::Signal::CONT);

    let answer = forger.answer("initialize");
    assert_eq!(answer, "closed", "the child is not served: {answer}");
    let recorded = refused_entries(&home);
    let last = recorded.last().expect("the refusal is audited");
    let why = last["arguments"]["refused"].as_str().unwrap_or_default();
    assert!(
        why.contains(&format!(
            "wrote on the connection that pid {} opened",
            forger.pid()
        )),
        "{last}"
    );
}

#[test]
fn issue_12_a_connection_whose_process_exited_is_refused() {
    let home = Home::new();
    let broker = home.serve_answering("approve");
    let scripts = Scripts::new();
    let mut leaver = scripts.run(&python(), "leave.py", &[&home.socket()]);
    let pid = leaver.pid();
    assert!(leaver.answer("initialize")["result"]["serverInfo"].is_object());
    // Its call reaches the broker only after it has exited, leaving a child to read.
    hold_still(&broker);
    writeln!(leaver.child.stdin.as_mut().unwrap()).unwrap();
    assert!(leaver.child.wait().unwrap().success());
    signal(&broker, rustix::process::Signal::CONT);

    let said = refusal(&leaver.answer("status"));
    assert!(said.contains(&format!("pid {pid} has exited")), "{said}");
}

#[test]
fn issue_12_an_allowed_python3_script_does_not_admit_another() {
    let home = Home::new();
    let scripts = Scripts::new();
    let socket = home.socket();
    {
        let _broker = home.serve_answering("approve");
        let mut client = scripts.run(&python(), "client.py", &[&socket]);
        client.answer("initialize");
        assert!(served(&client.answer("status")));
    }

    // The person now declines whatever they are asked: another script of the same python3
    // must be asked about (and so refused); the allowed one still gets in.
    let _broker = home.serve_answering("deny");
    let mut other = scripts.run(&python(), "other.py", &[&socket]);
    let answer = other.answer("initialize");
    assert_eq!(answer["error"]["code"], -32001, "{answer}");
    let mut client = scripts.run(&python(), "client.py", &[&socket]);
    client.answer("initialize");
    assert!(served(&client.answer("status")));

    // The list remembers the script, and the interpreter that ran it.
    let out = home
        .latchkey(&["assistants", "list", "--json"])
        .output()
        .unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let allowed: Vec<&serde_json::Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["verdict"] == "allowed")
        .collect();
    assert_eq!(allowed.len(), 1, "{listed}");
    assert_eq!(
        allowed[0]["path"],
        scripts.path("client.py").to_str().unwrap()
    );
    assert_eq!(allowed[0]["interpreter"], python().to_str().unwrap());
    let text = home.latchkey(&["assistants", "list"]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("running client.py"), "{text}");
}
