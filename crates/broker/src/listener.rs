//! The broker's sockets: MCP for assistants and control for the user's CLI, both 0600 in a
//! private directory, with a peer-uid check on every connection. Each connection is served on
//! its own; a bad one never affects the others, and each socket has its own limits (see
//! [`crate::limits`]).

use std::fs::{DirBuilder, Permissions};
use std::future::Future;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use latchkey_caller::{Caller, ProcessPin};
use rmcp::ServiceExt;
use rmcp::transport::async_rw::AsyncRwTransport;
use tokio::net::{UnixListener, UnixStream};

use crate::limits::{Activity, MAX_CONTROL_CONNECTIONS, MAX_MCP_CONNECTIONS, Slots};
use crate::lock::BrokerLock;
use crate::notices::Notices;
use crate::pipeline::Pipeline;
use crate::pipeline::approvals::Approvals;
use crate::pipeline::audit::Audit;
use crate::settings::SettingsService;
use crate::{
    Assistants, CredentialService, Error, JamfService, LatchkeyServer, Loopback, SofaService,
    StatePaths, VsphereService,
};

/// Longest JSON-RPC line accepted from a client; longer lines are dropped, not buffered.
const MAX_LINE_BYTES: usize = 1024 * 1024;
/// A client must finish the MCP handshake within this time or be disconnected.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// `sun_path` holds 108 bytes on Linux and 104 on macOS, including the terminating NUL.
const MAX_SOCKET_PATH: usize = if cfg!(target_os = "macos") { 103 } else { 107 };

/// What the broker serves: the services every connection shares, and the one pipeline every
/// call goes through.
#[derive(Debug, Clone)]
pub struct Services {
    pub sofa: Arc<SofaService>,
    pub credentials: Arc<CredentialService>,
    pub assistants: Arc<Assistants>,
    pub audit: Arc<Audit>,
    pub jamf: Arc<JamfService>,
    /// One vCenter session per unlocked vCenter domain, shared by every connection.
    pub vsphere: Arc<VsphereService>,
    pub approvals: Arc<Approvals>,
    /// What the person set (Settings, `latchkey settings`), applied to the services above.
    pub settings: Arc<SettingsService>,
    /// What is worth a desktop notification (the app shows them).
    pub notices: Arc<Notices>,
    pub pipeline: Arc<Pipeline>,
    /// MCP over loopback HTTP: its settings, tokens and listener.
    pub loopback: Arc<Loopback>,
}

impl Services {
    /// The services, with the Jamf servers reached through `credentials` and judged by `sofa`.
    pub fn new(
        sofa: Arc<SofaService>,
        credentials: Arc<CredentialService>,
        assistants: Arc<Assistants>,
        audit: Arc<Audit>,
    ) -> Self {
        let notices = Arc::new(Notices::default());
        let jamf = Arc::new(JamfService::new(
            Arc::clone(&credentials),
            Arc::clone(&sofa),
            Arc::clone(&notices),
        ));
        let vsphere = VsphereService::start(Arc::clone(&credentials));
        let approvals = Arc::new(Approvals::new(credentials.presence(), Arc::clone(&audit)));
        let settings = Arc::new(SettingsService::new(
            Arc::clone(&credentials),
            Arc::clone(&sofa),
            Arc::clone(&approvals),
            Arc::clone(&audit),
        ));
        let loopback = Arc::new(Loopback::new(credentials.presence()));
        let pipeline = Arc::new(Pipeline {
            assistants: Arc::clone(&assistants),
            loopback: Arc::clone(&loopback),
            credentials: Arc::clone(&credentials),
            approvals: Arc::clone(&approvals),
            audit: Arc::clone(&audit),
            settings: Arc::clone(&settings),
            rate: Default::default(),
        });
        Self {
            sofa,
            credentials,
            assistants,
            audit,
            jamf,
            vsphere,
            approvals,
            settings,
            notices,
            pipeline,
            loopback,
        }
    }

    /// Keeps the settings in `file`, starting from what it holds (see [`crate::settings`]).
    pub fn with_settings_file(self, file: crate::SealedFile) -> Self {
        self.settings.load(file);
        self
    }
}

/// A bound, locked broker, ready to serve. Dropping it removes the sockets.
#[derive(Debug)]
pub struct Broker {
    services: Services,
    /// Latchkey's own stdio bridge (`latchkey mcp`): a peer running it is looked past.
    bridge: Arc<PathBuf>,
    mcp: PrivateSocket,
    control: PrivateSocket,
    _lock: BrokerLock,
}

impl Broker {
    /// Claims the per-user lock and binds the MCP and control sockets. Must run inside a
    /// tokio runtime.
    pub fn bind(paths: &StatePaths, services: Services) -> Result<Self, Error> {
        let (mcp, control) = (paths.mcp_socket(), paths.control_socket());
        for socket in [&mcp, &control] {
            let len = socket.as_os_str().len();
            if len > MAX_SOCKET_PATH {
                return Err(Error::SocketPathTooLong {
                    path: socket.clone(),
                    len,
                    max: MAX_SOCKET_PATH,
                });
            }
        }
        prepare_private_dir(paths.lock_dir())?;
        let lock = BrokerLock::acquire(&paths.lock_file(), paths.dir())?;
        prepare_private_dir(paths.dir())?;
        // The CLI sits next to the app's executable (and is the executable of `serve`).
        let bridge = std::env::current_exe()
            .map(|exe| exe.with_file_name("latchkey"))
            .unwrap_or_else(|_| PathBuf::from("latchkey"));
        Ok(Self {
            services,
            bridge: Arc::new(bridge),
            mcp: PrivateSocket::bind(mcp)?,
            control: PrivateSocket::bind(control)?,
            _lock: lock,
        })
    }

    /// The MCP socket assistants connect to.
    pub fn socket_path(&self) -> &Path {
        &self.mcp.path
    }

    /// Accepts connections on both sockets until `shutdown` resolves; meanwhile keeps the
    /// SOFA feed fresh, locks credentials whose time is up (and all of them on sleep and
    /// screen lock), and prunes audit entries older than a year.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) {
        // Only now, holding the one-broker lock: a second broker must not write to the log.
        self.services.audit_refused_files().await;
        // MCP over HTTP, when the person left it on.
        self.services.loopback.resume(&self.services).await;
        let mcp_slots = Slots::new("mcp", MAX_MCP_CONNECTIONS);
        let control_slots = Slots::new("control", MAX_CONTROL_CONNECTIONS);
        let idle = crate::limits::idle_timeout();
        let refresher = tokio::spawn(
            Arc::clone(&self.services.sofa).keep_fresh(Arc::clone(&self.services.notices)),
        );
        let expiry = tokio::spawn(Arc::clone(&self.services.credentials).expire_sessions());
        let sleep_lock = tokio::spawn(Arc::clone(&self.services.credentials).lock_on_sleep());
        let retention = tokio::spawn(Arc::clone(&self.services.audit).keep_retention());
        let anchoring = tokio::spawn(Arc::clone(&self.services.audit).keep_anchored());
        let jamf_tokens = tokio::spawn(Arc::clone(&self.services.jamf).forget_locked());
        let trimming = tokio::spawn(crate::memory::keep_trimmed(Arc::clone(
            &self.services.audit,
        )));
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = self.mcp.accept() => if let Some(stream) = accepted {
                    let Some(slot) = mcp_slots.take(&self.services.audit) else {
                        tell_too_many(&stream, &mcp_slots);
                        continue;
                    };
                    let services = self.services.clone();
                    let bridge = Arc::clone(&self.bridge);
                    tokio::spawn(async move {
                        match admitted(&services, &stream, &bridge).await {
                            Ok((caller, pin)) => {
                                let (caller, pin) = (Arc::new(caller), Arc::new(pin));
                                let server = LatchkeyServer::new(services.clone(), Some(Arc::clone(&caller)))
                                    .pinned(Arc::clone(&pin));
                                serve_connection(server, stream, &pin, idle).await;
                                services.audit.foreign_writer(&caller, &pin).await;
                            }
                            Err(why) => tell_refused(stream, &why).await,
                        }
                        drop(slot);
                    });
                },
                accepted = self.control.accept() => if let Some(stream) = accepted {
                    let Some(slot) = control_slots.take(&self.services.audit) else {
                        crate::control::tell_too_many(&stream, control_slots.limit());
                        continue;
                    };
                    let services = self.services.clone();
                    let bridge = Arc::clone(&self.bridge);
                    tokio::spawn(async move {
                        crate::control::serve_connection(services, stream, &bridge, idle).await;
                        drop(slot);
                    });
                },
            }
        }
        refresher.abort();
        expiry.abort();
        sleep_lock.abort();
        retention.abort();
        anchoring.abort();
        jamf_tokens.abort();
        trimming.abort();
        self.services.loopback.shut().await;
        self.services.jamf.forget(|_| true).await;
        self.services.vsphere.forget(|_| true).await;
        self.services.audit.anchor_head().await;
    }
}

/// A 0600 unix socket whose connections are checked to come from this uid. Dropping it
/// removes the socket file.
#[derive(Debug)]
struct PrivateSocket {
    path: PathBuf,
    listener: UnixListener,
}

impl PrivateSocket {
    /// Binds `path`; only called with the broker lock held, inside the private directory.
    fn bind(path: PathBuf) -> Result<Self, Error> {
        remove_stale_socket(&path)?;
        let listener = UnixListener::bind(&path).map_err(Error::io("bind", &path))?;
        // The directory is 0700, so nobody else could connect in the moment before this.
        std::fs::set_permissions(&path, Permissions::from_mode(0o600))
            .map_err(Error::io("set permissions on", &path))?;
        // Each message then says who wrote it: only the process that connected may.
        latchkey_caller::prepare_listener(&listener)
            .map_err(Error::io("pass credentials on", &path))?;
        Ok(Self { path, listener })
    }

    /// The next connection from this uid; `None` when one was refused or accept failed.
    async fn accept(&self) -> Option<UnixStream> {
        let stream = match self.listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!("accept on {}: {e}", self.path.display());
                tokio::time::sleep(Duration::from_millis(50)).await;
                return None;
            }
        };
        let me = rustix::process::geteuid().as_raw();
        match stream.peer_cred() {
            Ok(cred) if cred.uid() == me => Some(stream),
            Ok(cred) => {
                tracing::warn!(
                    "refused a connection to {} from uid {} (pid {:?}): only uid {me} may connect",
                    self.path.display(),
                    cred.uid(),
                    cred.pid()
                );
                None
            }
            Err(e) => {
                tracing::warn!("refused a connection with unknown credentials: {e}");
                None
            }
        }
    }
}

impl Drop for PrivateSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Who the peer is, if its assistant may use the broker (asking the person when it is new),
/// with the processes it was identified by. The connection waits meanwhile; a refused one is
/// recorded, and the error is what it is told (see [`tell_refused`]).
async fn admitted(
    services: &Services,
    stream: &UnixStream,
    bridge: &Path,
) -> Result<(Caller, ProcessPin), String> {
    let (caller, pin) = match latchkey_caller::identify_pinned(stream, bridge) {
        Ok(identified) => identified,
        Err(e) => {
            tracing::warn!("refused a connection: {e}");
            return Err(format!("Latchkey refused this connection: {e}"));
        }
    };
    // The look-ups were of the process that connected, unless it is gone or changed already.
    let admitted = match pin.check() {
        Ok(()) => services
            .assistants
            .admit(&caller)
            .await
            .map_err(|r| r.to_string()),
        Err(changed) => Err(changed.to_string()),
    };
    match admitted {
        Ok(_) => Ok((caller, pin)),
        Err(refusal) => {
            tracing::warn!("refused {}: {refusal}", caller.describe());
            services.audit.refused(&caller, &refusal).await;
            Err(format!("Latchkey refused this assistant: {refusal}"))
        }
    }
}

/// JSON-RPC's code for "server error" that Latchkey uses for a refused assistant (or a
/// connection over the limit).
pub const REFUSED_CODE: i64 = -32001;

/// The JSON-RPC error line that tells a connection why it is refused.
fn refusal_line(id: Option<serde_json::Value>, why: &str) -> String {
    let answer = serde_json::json!({
        "jsonrpc": "2.0",
        "id": id.unwrap_or(serde_json::Value::Null),
        "error": { "code": REFUSED_CODE, "message": why },
    });
    format!("{answer}\n")
}

/// Tells a connection over the socket's limit so, without waiting for its first request (a
/// flood must cost the broker nothing more), and closes it when dropped.
fn tell_too_many(stream: &UnixStream, slots: &Slots) {
    let why = format!(
        "Latchkey refused this connection: it already serves {} assistant connections, the most \
         it takes at once; close some and try again",
        slots.limit()
    );
    // A new socket's send buffer is empty: the line goes out whole or not at all.
    let _ = stream.try_write(refusal_line(None, &why).as_bytes());
}

/// Answers a refused connection's first request with a JSON-RPC error saying why, then
/// closes it, so the assistant (and `latchkey mcp`) can tell the person rather than see the
/// socket just close. Waits a few seconds at most for that request.
async fn tell_refused(stream: UnixStream, why: &str) {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let (read, mut write) = stream.into_split();
    let mut first = Vec::new();
    let mut reader = BufReader::new(read).take(MAX_LINE_BYTES as u64);
    let read_first = reader.read_until(b'\n', &mut first);
    let id = match tokio::time::timeout(Duration::from_secs(5), read_first).await {
        Ok(Ok(_)) => serde_json::from_slice::<serde_json::Value>(&first)
            .ok()
            .and_then(|request| request.get("id").cloned()),
        _ => None,
    };
    let _ = write.write_all(refusal_line(id, why).as_bytes()).await;
    let _ = write.shutdown().await;
}

/// Serves one MCP session until the client hangs up, has been quiet for `idle`, or is found
/// changed (see [`ProcessPin`]).
async fn serve_connection(
    server: LatchkeyServer,
    stream: UnixStream,
    pin: &Arc<ProcessPin>,
    idle: Duration,
) {
    let (read, write) = stream.into_split();
    let activity = Activity::now();
    let transport = AsyncRwTransport::new_server(activity.noting(pin.reader(read)), write)
        .with_max_line_length(MAX_LINE_BYTES);
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, server.serve(transport)).await {
        Ok(Ok(session)) => {
            let peer = session.peer().clone();
            let stop = session.cancellation_token();
            tokio::select! {
                ended = session.waiting() => if let Err(e) = ended {
                    tracing::debug!("MCP session ended with an error: {e}");
                },
                () = activity.quiet_for(idle, &peer) => {
                    tracing::info!("closed an MCP session that sent nothing for {}", crate::pipeline::approvals::minutes(idle));
                    stop.cancel();
                }
            }
        }
        Ok(Err(e)) => tracing::debug!("MCP handshake failed: {e}"),
        Err(_) => tracing::debug!("MCP handshake timed out"),
    }
}

/// Creates `dir` as 0700 if missing; refuses one that someone else owns, and tightens our
/// own if its mode lets others in.
fn prepare_private_dir(dir: &Path) -> Result<(), Error> {
    let created = DirBuilder::new().recursive(true).mode(0o700).create(dir);
    let meta = std::fs::symlink_metadata(dir);
    if matches!(&meta, Ok(m) if !m.is_dir()) {
        return Err(Error::NotADirectory {
            path: dir.to_path_buf(),
        });
    }
    created.map_err(Error::io("create", dir))?;
    let meta = meta.map_err(Error::io("inspect", dir))?;
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Err(Error::ForeignOwner {
            path: dir.to_path_buf(),
            owner: meta.uid(),
            me,
        });
    }
    if meta.mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, Permissions::from_mode(0o700))
            .map_err(Error::io("set permissions on", dir))?;
    }
    Ok(())
}

/// A socket left by a broker that died is replaced; anything else at that path is not ours
/// to delete. Only called while holding the lock, so no live broker owns it.
fn remove_stale_socket(socket: &Path) -> Result<(), Error> {
    match std::fs::symlink_metadata(socket) {
        Ok(meta) if meta.file_type().is_socket() => {
            std::fs::remove_file(socket).map_err(Error::io("remove stale socket", socket))
        }
        Ok(_) => Err(Error::NotASocket {
            path: socket.to_path_buf(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("inspect", socket)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loose_dir_of_ours_is_tightened() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("state");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, Permissions::from_mode(0o755)).unwrap();
        prepare_private_dir(&dir).unwrap();
        assert_eq!(std::fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
    }

    #[test]
    fn a_file_where_the_dir_should_be_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("state");
        std::fs::write(&file, b"").unwrap();
        assert!(matches!(
            prepare_private_dir(&file),
            Err(Error::NotADirectory { .. })
        ));
    }

    #[test]
    fn a_regular_file_at_the_socket_path_is_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("mcp.sock");
        std::fs::write(&path, b"precious").unwrap();
        assert!(matches!(
            remove_stale_socket(&path),
            Err(Error::NotASocket { .. })
        ));
        assert_eq!(std::fs::read(&path).unwrap(), b"precious");
    }

    #[test]
    fn a_stale_socket_is_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("mcp.sock");
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        remove_stale_socket(&path).unwrap();
        assert!(!path.exists());
    }

    #[test]
    fn an_overlong_socket_path_is_refused_with_its_length() {
        let deep = PathBuf::from("/tmp").join("x".repeat(120));
        let paths = StatePaths::at(deep);
        let services = Services::new(
            Arc::new(
                SofaService::open(
                    latchkey_sofa::fetch::FeedSource::File("/nonexistent".into()),
                    &paths,
                )
                .unwrap(),
            ),
            Arc::new(CredentialService::new(
                Arc::new(latchkey_vault::MemoryStore::new()),
                Arc::new(latchkey_vault::NoPresence::new("test")),
            )),
            Arc::new(Assistants::new(
                Arc::new(latchkey_vault::NoPresence::new("test")),
                None,
            )),
            Arc::new(Audit::open(
                &tempfile::tempdir().unwrap().path().join("audit.sqlite"),
                latchkey_audit::Options::default(),
            )),
        );
        match Broker::bind(&paths, services) {
            Err(Error::SocketPathTooLong { len, .. }) => assert!(len > MAX_SOCKET_PATH),
            other => panic!("expected SocketPathTooLong, got {other:?}"),
        }
    }
}
