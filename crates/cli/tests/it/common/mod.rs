//! What the CLI's integration tests share: a private state home, the real `latchkey`
//! binary, a headless broker that is killed when the test ends, and an rmcp client.
#![allow(dead_code)] // each test binary uses its own subset

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};

pub const LATCHKEY: &str = env!("CARGO_BIN_EXE_latchkey");
/// A real published SOFA feed beside the repository (../shared), never copied into it.
pub const SOFA_FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/sofa/v2/macos_data_feed.json"
);

/// A temporary `LATCHKEY_HOME`, with its own `XDG_RUNTIME_DIR` (where the one-per-user
/// broker lock lives) so tests run brokers side by side; removed at drop.
pub struct Home {
    _root: tempfile::TempDir,
    pub dir: PathBuf,
    pub runtime: PathBuf,
}

impl Home {
    pub fn new() -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let dir = root.path().join("latchkey");
        let runtime = root.path().join("runtime");
        Self {
            _root: root,
            dir,
            runtime,
        }
    }

    /// Another state home in the same runtime directory as `self`: as the same user
    /// running `LATCHKEY_HOME=/elsewhere latchkey serve` would be.
    pub fn beside(other: &Home) -> Self {
        Self {
            runtime: other.runtime.clone(),
            ..Self::new()
        }
    }

    /// A home whose parent other users may traverse (for tests that switch uid).
    pub fn traversable() -> Self {
        use std::os::unix::fs::PermissionsExt;
        let home = Self::new();
        let root = home.dir.parent().unwrap();
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
        home
    }

    /// A copy of `latchkey` that any user can execute, wherever the checkout lives.
    pub fn shared_binary(&self) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let copy = self.dir.parent().unwrap().join("latchkey-bin");
        if !copy.exists() {
            std::fs::copy(LATCHKEY, &copy).expect("copy latchkey");
            std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        copy
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.join("mcp.sock")
    }

    /// `latchkey ARGS` with this home and nothing inherited that could point elsewhere.
    pub fn latchkey(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(LATCHKEY);
        cmd.args(args)
            .env("LATCHKEY_HOME", &self.dir)
            .env("XDG_RUNTIME_DIR", &self.runtime)
            // A broker refreshes the SOFA feed at start: tests keep that off the network.
            .env("LATCHKEY_SOFA_FEED", SOFA_FIXTURE)
            .env_remove("LATCHKEY_LOG")
            .env_remove("LATCHKEY_SCRIPTED_PRESENCE");
        cmd
    }

    /// `latchkey` run by another program, `wrapper` (e.g. `timeout 60`): the caller the
    /// broker sees is then that program, not this test.
    pub fn latchkey_via(&self, wrapper: &[&str], args: &[&str]) -> Command {
        let mut cmd = self.latchkey(args);
        let mut wrapped = Command::new(wrapper[0]);
        wrapped.args(&wrapper[1..]).arg(LATCHKEY).args(args);
        for (key, value) in cmd.get_envs() {
            match value {
                Some(value) => wrapped.env(key, value),
                None => wrapped.env_remove(key),
            };
        }
        cmd = wrapped;
        cmd
    }

    /// Starts `latchkey serve` and waits until its socket accepts connections. Its (test
    /// build's) scripted presence check approves, so test clients are let in.
    pub fn serve(&self) -> Served {
        let mut serve = self.latchkey(&["serve"]);
        serve.env("LATCHKEY_SCRIPTED_PRESENCE", "approve");
        self.serve_with(serve)
    }

    /// Starts `latchkey serve` whose (test build's) scripted presence check answers
    /// `presence` (`approve`, `deny`, `decline`). Latchkey's own lines only are logged: zbus
    /// at debug would fill the stderr pipe a test reads only at the end, and block the broker.
    pub fn serve_answering(&self, presence: &str) -> Served {
        let mut cmd = self.latchkey(&["serve"]);
        cmd.env("LATCHKEY_SCRIPTED_PRESENCE", presence)
            .env("LATCHKEY_LOG", "latchkey_broker=debug,latchkey_vault=debug");
        self.serve_with(cmd)
    }

    /// Runs `latchkey ARGS` with `stdin` piped in, and collects what it printed.
    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .latchkey(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    pub fn serve_with(&self, mut cmd: Command) -> Served {
        let child = cmd
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn latchkey serve");
        let served = Served { child };
        // The control socket: connecting to the MCP one would make this test an assistant
        // the broker asks about (and a declining presence check would deny it).
        wait_for_socket(&self.dir.join("control.sock"));
        served
    }
}

/// What a command that succeeded printed; else fails with what it said.
pub fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// What a command that failed said on stderr; fails if it succeeded.
pub fn failed(out: &Output) -> String {
    assert!(!out.status.success(), "unexpectedly succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// What `secret-tool search` shows for a domain: attributes and secrets.
pub fn keyring_items(domain: &str) -> String {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "--unlock", "application", "latchkey"])
        .args(["latchkey-domain", domain])
        .output()
        .expect("secret-tool (libsecret-tools) runs");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// Stops a broker and returns everything it logged.
pub fn stop(mut served: Served) -> String {
    let _ = served.child.kill();
    let _ = served.child.wait();
    let mut log = String::new();
    if let Some(mut stderr) = served.child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut stderr, &mut log);
    }
    log
}

/// A running `latchkey serve`, killed at drop.
pub struct Served {
    pub child: Child,
}

impl Served {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A failing test shows what its broker said.
        if std::thread::panicking()
            && let Some(mut stderr) = self.child.stderr.take()
        {
            let mut said = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut said);
            eprintln!("--- the broker's stderr ---\n{said}");
        }
    }
}

pub fn wait_for_socket(socket: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::os::unix::net::UnixStream::connect(socket).is_err() {
        assert!(
            Instant::now() < deadline,
            "no broker on {} after 20 s",
            socket.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An rmcp client session over the broker's socket.
pub async fn socket_client(socket: &Path) -> RunningService<RoleClient, ()> {
    let stream = tokio::net::UnixStream::connect(socket)
        .await
        .expect("connect to the broker");
    ().serve(stream.into_split()).await.expect("MCP handshake")
}

/// Calls `latchkey_status` and returns its structured output.
pub async fn status(client: &RunningService<RoleClient, ()>) -> serde_json::Value {
    let result = client
        .call_tool(CallToolRequestParams::new("latchkey_status"))
        .await
        .expect("latchkey_status");
    result.structured_content.expect("structured output")
}

pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Tests that switch uid need root; in CI (CI=true, run as root) skipping is a failure.
pub fn require_root(test: &str) -> bool {
    if is_root() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test} needs root in CI"
    );
    eprintln!("skipping {test}: needs root (to switch uid with setpriv)");
    false
}

/// Whether the Secret Service is there (see [`latchkey_test_peer::keyring`]).
pub use latchkey_test_peer::keyring;
