//! Prism for contract tests, shared by the admin API clients (Jamf, vCenter): where Prism is
//! (`tests/contract/node_modules`, from `scripts/setup.sh --test`), running one on an API
//! description under a watchdog, the query parameters an operation does not declare (Prism
//! lets those through), and a recording proxy that keeps Prism's verdict on every request.
//!
//! - A missing Prism or fixture skips a test with a note, except under `CI=true`, where it
//!   fails the test ([`require`]).
//! - Prism runs on a free port of 127.0.0.1 with request validation on: a request that breaks
//!   the description gets 422 (or 400/401, as described). A shell watchdog holding the other
//!   end of a pipe kills Prism when the test process goes away, however it ends; dropping a
//!   [`Prism`] kills its whole process group at once.

mod recorder;

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

pub use recorder::{Exchange, Recorder, assert_accepted, copy_headers, parse_violations};

use latchkey_test_peer::{Launch, Peer};

/// The Prism installed by `scripts/setup.sh --test`.
pub fn prism_bin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/contract/node_modules/.bin/prism")
}

/// `true` when Prism and every file in `fixtures` are there. Otherwise, under `CI=true` a
/// panic, else a note on stderr naming what is missing and `false`, so the caller returns and
/// `test` passes as skipped.
pub fn require(test: &str, fixtures: &[PathBuf]) -> bool {
    let mut missing: Vec<String> = fixtures
        .iter()
        .filter(|f| !f.is_file())
        .map(|f| {
            format!(
                "{} (the shared fixtures beside the repository)",
                f.display()
            )
        })
        .collect();
    if !prism_bin().is_file() {
        missing.push(format!(
            "Prism at {} (run `scripts/setup.sh --test`)",
            prism_bin().display()
        ));
    }
    latchkey_test_peer::require(test, &missing)
}

/// Query parameters in `target` that the schema's operation does not declare. Prism lets
/// unknown parameters through, and a real server ignores them, so a misspelt `page-size`
/// would otherwise go unnoticed. An empty list when the path is not in the schema (Prism
/// answers that with 404 anyway).
pub fn undeclared_query(schema: &Value, method: &str, target: &str) -> Vec<String> {
    let Ok(url) = reqwest::Url::parse(&format!("http://mock{target}")) else {
        return Vec::new();
    };
    let segments: Vec<&str> = url.path().split('/').collect();
    let matches = |template: &str| {
        let parts: Vec<&str> = template.split('/').collect();
        let literal = |p: &str| !p.starts_with('{');
        (parts.len() == segments.len()
            && parts
                .iter()
                .zip(&segments)
                .all(|(p, s)| !literal(p) || p == s))
        .then(|| parts.iter().filter(|p| literal(p)).count())
    };
    let Some(item) = schema["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(template, item)| matches(template).map(|score| (score, item)))
        .max_by_key(|(score, _)| *score)
        .map(|(_, item)| item)
    else {
        return Vec::new();
    };
    let op = &item[method.to_ascii_lowercase()];
    let declared: Vec<&str> = [&item["parameters"], &op["parameters"]]
        .into_iter()
        .filter_map(Value::as_array)
        .flatten()
        // `#/components/parameters/x` (OpenAPI 3) or `#/parameters/x` (Swagger 2).
        .map(|p| match p["$ref"].as_str() {
            Some(r) => schema
                .pointer(r.trim_start_matches('#'))
                .unwrap_or(&Value::Null),
            None => p,
        })
        .filter(|p| p["in"] == "query")
        .filter_map(|p| p["name"].as_str())
        .collect();
    let mut undeclared: Vec<String> = url
        .query_pairs()
        .map(|(k, _)| k.into_owned())
        .filter(|k| !declared.contains(&k.as_str()))
        .collect();
    undeclared.dedup();
    undeclared
}

/// One running `prism mock`, in a process group of its own under a watchdog shell.
#[derive(Debug)]
pub struct Prism {
    peer: Peer,
    pub addr: SocketAddr,
}

impl Prism {
    /// Starts Prism on the API description `doc` (saved as `name`, whose extension tells
    /// Prism its format) and waits until it answers. `label` names its temporary directory.
    pub fn start(name: &str, text: &[u8], label: &str) -> Prism {
        let launch = Launch {
            name: &format!("{label}-contract"),
            program: &prism_bin(),
            port_taken: "EADDRINUSE",
            limit: Duration::from_secs(90),
        };
        let peer = Peer::start(
            launch,
            |command, addr, dir| {
                let doc = dir.join(name);
                fs::write(&doc, text).expect("write the API description");
                command
                    .args(["mock", "--host", "127.0.0.1", "--port"])
                    .arg(addr.port().to_string())
                    .args(["--verboseLevel", "info"])
                    .arg(&doc)
                    .env("FORCE_COLOR", "0")
                    .env("NO_COLOR", "1");
            },
            |peer| Self::answers(peer.addr),
        );
        Prism {
            addr: peer.addr,
            peer,
        }
    }

    /// Prism is up when it answers HTTP (404 for `/`, which no schema has).
    fn answers(addr: SocketAddr) -> bool {
        let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        let req = format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        if s.write_all(req.as_bytes()).is_err() {
            return false;
        }
        let mut head = [0u8; 12];
        s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 ")
    }

    /// Prism's log so far (stdout and stderr).
    pub fn log_text(&self) -> String {
        self.peer.log_text()
    }

    /// The process id of the watchdog shell, which leads Prism's process group.
    pub fn pgid(&self) -> u32 {
        self.peer.pgid()
    }
}
