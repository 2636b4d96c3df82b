//! A fake vCenter for tests, in process (axum on 127.0.0.1, plain http or TLS; `main.rs` runs it
//! as a process for the end-to-end suite): sessions on `/api`
//! or only on `/rest` (a 6.7-style vCenter), an inventory of as many VMs as asked spread over
//! hosts, vCenter's refusal of a VM list longer than its cap, power-state transitions, and
//! faults on demand (every session dropped, a status for the next calls, an answer too large,
//! a redirect to another host). Every request is recorded.
//!
//! Modules: `model` (the inventory and power rules), `wire` (the HTTP side), `tls` (a
//! self-signed certificate, for [`FakeVcenter::start_tls`]).

mod model;
mod tls;
mod wire;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

pub use model::{Vm, vm_id};

/// Which API generation the fake speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `/api/...` and `/rest/...` (vCenter 7.0 U2 and later).
    Api,
    /// Only `/rest/...` (vCenter 6.5/6.7): `/api/...` answers 404.
    Rest,
}

/// How the fake is set up.
#[derive(Debug, Clone)]
pub struct Config {
    pub flavor: Flavor,
    /// How many VMs (spread evenly over `hosts` hosts).
    pub vms: usize,
    pub hosts: usize,
    /// The most VMs one list returns; more matching is refused as vCenter does.
    pub list_cap: usize,
    pub username: String,
    pub password: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            flavor: Flavor::Api,
            vms: 30,
            hosts: 3,
            list_cap: 4000,
            username: "administrator@vsphere.local".into(),
            password: "fake-vcenter-password".into(),
        }
    }
}

/// A fault the next request (other than a session call) gets instead of its answer.
#[derive(Debug, Clone)]
pub enum Fault {
    /// This status, with `Retry-After: 0` when it is 429 or 503.
    Status(u16),
    /// A 200 whose JSON body is this many bytes.
    Oversized(usize),
    /// A 307 to the same path on this origin (`http://host:port`).
    RedirectTo(String),
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The session header, if it named a live session.
    pub session_ok: bool,
}

impl Seen {
    /// Whether this was a power request (`POST …/power…`).
    pub fn is_power(&self) -> bool {
        self.method == "POST" && self.path.contains("/power")
    }
}

/// A running fake vCenter; stops when dropped.
#[derive(Debug)]
pub struct FakeVcenter {
    pub addr: SocketAddr,
    /// Over TLS: the DER of its self-signed certificate.
    certificate: Option<Vec<u8>>,
    state: Arc<Mutex<model::State>>,
    server: tokio::task::JoinHandle<()>,
}

impl FakeVcenter {
    /// Starts the fake on the current Tokio runtime, over plain http.
    pub async fn start(config: Config) -> Self {
        let state = Arc::new(Mutex::new(model::State::new(config)));
        let listener = bind().await;
        let addr = listener.local_addr().expect("address");
        let app = wire::router(state.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake vCenter");
        });
        Self {
            addr,
            certificate: None,
            state,
            server,
        }
    }

    /// Starts the fake over TLS with a fresh self-signed certificate, as a vCenter that a
    /// person pins: the client's host is then [`FakeVcenter::host`].
    pub async fn start_tls(config: Config) -> Self {
        let state = Arc::new(Mutex::new(model::State::new(config)));
        let tcp = bind().await;
        let addr = tcp.local_addr().expect("address");
        let tls::SelfSigned { der, acceptor } = tls::self_signed();
        let app = wire::router(state.clone());
        let server = tokio::spawn(async move {
            axum::serve(latchkey_test_peer::tls::TlsListener { tcp, acceptor }, app)
                .await
                .expect("fake vCenter");
        });
        Self {
            addr,
            certificate: Some(der),
            state,
            server,
        }
    }

    /// `http://127.0.0.1:PORT`, for the client's host (see [`FakeVcenter::host`] over TLS).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `127.0.0.1:PORT`, what a vCenter credential's host holds.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Over TLS, the DER of the certificate it presents.
    pub fn certificate(&self) -> Option<&[u8]> {
        self.certificate.as_deref()
    }

    fn state(&self) -> MutexGuard<'_, model::State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drops every session, as a vCenter restart or an expiry does.
    pub fn expire_sessions(&self) {
        self.state().sessions.clear();
    }

    /// Sessions alive now.
    pub fn live_sessions(&self) -> usize {
        self.state().sessions.len()
    }

    /// Sessions created so far.
    pub fn sessions_created(&self) -> usize {
        self.state().sessions_created
    }

    /// The next requests (other than session calls) get these faults, in order.
    pub fn inject(&self, faults: impl IntoIterator<Item = Fault>) {
        self.state().faults.extend(faults);
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state().seen.clone()
    }

    /// The VM with this id, as the fake holds it now.
    pub fn vm(&self, id: &str) -> Option<Vm> {
        self.state().vms.get(id).cloned()
    }

    /// Power requests received (any outcome).
    pub fn power_requests(&self) -> usize {
        self.state().seen.iter().filter(|s| s.is_power()).count()
    }
}

async fn bind() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the fake vCenter")
}

impl Drop for FakeVcenter {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub(crate) type Faults = VecDeque<Fault>;
