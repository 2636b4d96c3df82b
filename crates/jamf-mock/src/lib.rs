//! An in-process mock Jamf Pro server (axum on 127.0.0.1) for the Jamf client's behaviour
//! tests and bench, the CLI's tests, and (as the `jamf-mock` binary) the app's end-to-end run.
//!
//! It serves deterministic computers (see [`generate`] for the rule), the token endpoints,
//! inventory v4/v3/v1 with RSQL filtering and paging, mobile devices, smart groups, computer
//! groups with members (see [`groups`]), the Classic policies, configuration profiles and
//! computer history, and the calls that change something (software update plans, blank
//! pushes, framework redeploys), each accepted change recorded: [`Mock::received`] in process,
//! `GET /__mock/received` over HTTP (no token needed). Faults are scripted at run
//! time ([`Mock::fail`], [`Mock::delay`], [`Mock::revoke_tokens`]) and a fixture body can stand in
//! for a path ([`Mock::serve_body`]); every request is recorded, with the most requests in
//! flight at once and the time spent in handlers.

//!
//! Modules: `server` (router, recording, faults, the bearer check), `auth` (tokens), `fleet`
//! (the generated computers and inventory), `mobile`, `lists`, `history`, `groups`,
//! `remediation` (changes, validated and recorded), `respond` (Jamf's answer and error
//! shapes, paging, filtering) and [`rsql`].

mod auth;
mod fleet;
mod groups;
mod history;
mod lists;
mod mobile;
mod remediation;
mod respond;
pub mod rsql;
mod server;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use fleet::{CONTACT_BASE, MODELS, MockComputer, VERSIONS, computer_json, generate};
pub use groups::{MockGroup, groups};
pub use remediation::{Change, ReceivedPlan};
use server::{Fault, FaultKind, MockState, router};

/// How the mock behaves from the start.
#[derive(Debug, Clone)]
pub struct MockConfig {
    pub computers: usize,
    pub client_id: String,
    pub client_secret: String,
    pub username: String,
    pub password: String,
    /// `expires_in` of OAuth tokens and the lifetime of user tokens.
    pub token_lifetime: Duration,
    /// Inventory versions served; the others answer 404.
    pub inventory_versions: Vec<u8>,
    /// Whether `/api/v1/oauth/token` exists (older servers only have `/api/oauth/token`).
    pub v1_oauth: bool,
    /// Added to every API request, so concurrent requests overlap measurably.
    pub latency: Duration,
    /// What `GET /api/v1/auth` says of the account: its privilege set (`ADMINISTRATOR`,
    /// `CUSTOM`, ...) and privileges.
    pub privilege_set: String,
    pub privileges: Vec<String>,
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            computers: 10,
            client_id: "latchkey-test".into(),
            client_secret: "mock-client-secret".into(),
            username: "admin".into(),
            password: "mock-password".into(),
            token_lifetime: Duration::from_secs(1200),
            inventory_versions: vec![4, 3, 1],
            v1_oauth: true,
            latency: Duration::ZERO,
            privilege_set: "ADMINISTRATOR".into(),
            privileges: Vec::new(),
        }
    }
}

/// One request as the mock saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
}

impl std::fmt::Debug for Mock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mock")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// A running mock. Dropping it does not stop the server; the test's runtime does.
#[derive(Clone)]
pub struct Mock {
    pub addr: SocketAddr,
    state: Arc<MockState>,
}

impl Mock {
    /// Starts on an ephemeral loopback port.
    pub async fn start(config: MockConfig) -> Mock {
        Mock::start_on(config, 0).await
    }

    /// Starts on `port` (0: any free port) on 127.0.0.1.
    pub async fn start_on(config: MockConfig, port: u16) -> Mock {
        let state = Arc::new(MockState {
            computers: generate(config.computers),
            groups: groups(config.computers),
            changes: Mutex::new(Vec::new()),
            plans_made: AtomicU64::new(0),
            config,
            tokens: Mutex::new(HashMap::new()),
            issued: AtomicU64::new(0),
            faults: Mutex::new(Vec::new()),
            bodies: Mutex::new(HashMap::new()),
            seen: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            handler_nanos: AtomicU64::new(0),
        });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let app = router(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Mock { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn computers(&self) -> &[MockComputer] {
        &self.state.computers
    }

    /// The next `times` requests under `path` answer `status` (with `Retry-After` if given).
    pub fn fail(&self, path: &str, status: u16, times: u32, retry_after: Option<u64>) {
        self.add_fault(
            path,
            FaultKind::Status {
                status,
                retry_after,
            },
            0,
            times,
        );
    }

    /// Like [`Mock::fail`], after letting `skip` matching requests through.
    pub fn fail_after(&self, path: &str, skip: u32, status: u16, times: u32) {
        self.add_fault(
            path,
            FaultKind::Status {
                status,
                retry_after: None,
            },
            skip,
            times,
        );
    }

    /// The next `times` requests under `path` answer `status` (a 3xx) pointing at `location`.
    pub fn redirect(&self, path: &str, status: u16, location: &str, times: u32) {
        let location = location.to_owned();
        self.add_fault(path, FaultKind::Redirect { status, location }, 0, times);
    }

    /// The next `times` requests under `path` wait `delay` before being handled.
    pub fn delay(&self, path: &str, delay: Duration, times: u32) {
        self.add_fault(path, FaultKind::Delay(delay), 0, times);
    }

    fn add_fault(&self, path: &str, kind: FaultKind, skip: u32, remaining: u32) {
        self.state.faults.lock().unwrap().push(Fault {
            path: path.to_owned(),
            kind,
            skip,
            remaining,
        });
    }

    /// Authorized GETs of exactly `path` answer 200 with `body` (a fixture) from now on; a
    /// gzip stream is sent as `Content-Encoding: gzip` (for tests of decompressed sizes).
    pub fn serve_body(&self, path: &str, body: Vec<u8>) {
        self.state
            .bodies
            .lock()
            .unwrap()
            .insert(path.to_owned(), body);
    }

    /// Every token issued so far stops working (as if it expired or was revoked).
    pub fn revoke_tokens(&self) {
        self.state.tokens.lock().unwrap().clear();
    }

    /// Requests seen for `METHOD /path` (exact path, query ignored).
    pub fn count(&self, method_and_path: &str) -> usize {
        let seen = self.state.seen.lock().unwrap();
        seen.iter()
            .filter(|s| format!("{} {}", s.method, s.path) == method_and_path)
            .count()
    }

    /// Requests seen whose path starts with `prefix`.
    pub fn count_prefix(&self, prefix: &str) -> usize {
        let seen = self.state.seen.lock().unwrap();
        seen.iter().filter(|s| s.path.starts_with(prefix)).count()
    }

    /// The computer groups served.
    pub fn groups(&self) -> &[MockGroup] {
        &self.state.groups
    }

    /// Every change accepted so far (plans, blank pushes, redeploys), oldest first. A request
    /// refused (invalid, unknown target, or a scripted fault) made no change and is not here.
    pub fn received(&self) -> Vec<Change> {
        self.state.changes.lock().unwrap().clone()
    }

    /// Tokens handed out by any token endpoint.
    pub fn tokens_issued(&self) -> u64 {
        self.state.issued.load(Ordering::SeqCst)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    /// Time spent inside handlers (fault delays and latency excluded) since the last reset.
    pub fn handler_time(&self) -> Duration {
        Duration::from_nanos(self.state.handler_nanos.load(Ordering::SeqCst))
    }

    /// Forgets counts, requests seen, peak concurrency and handler time.
    pub fn reset_stats(&self) {
        self.state.seen.lock().unwrap().clear();
        self.state.max_in_flight.store(0, Ordering::SeqCst);
        self.state.handler_nanos.store(0, Ordering::SeqCst);
    }
}
