//! MCP over loopback HTTP: a second front door onto the same pipeline as the MCP socket, for
//! assistants that speak only Streamable HTTP. Off until the person turns it on (`latchkey
//! http enable`, with presence); bound to 127.0.0.1 only, at `/mcp`, served by rmcp's own
//! Streamable HTTP transport (protocol 2026-07-28, stateless with `server/discover`, and the
//! session-based 2025-11-25 and earlier).
//!
//! - **Who calls.** The socket names an assistant by its process; TCP cannot, so each
//!   assistant gets a bearer token of its own, made by the person (with presence), shown once,
//!   kept only as its SHA-256 and compared in constant time. The token's name is the
//!   assistant's name in the audit, and holding a token is being on the allow-list: the
//!   pipeline checks at every call that it still exists, so a revoked token stops at once. A
//!   request without a valid token gets 401 and a refused entry on the audit log (never the
//!   value sent).
//! - **Browsers.** A foreign `Host` (DNS rebinding) or `Origin` gets 403 from rmcp's checks,
//!   configured here for this listener's own address.
//! - **Limits.** At most as many connections at once as the MCP socket takes (counted apart),
//!   request bodies up to 1 MiB, sessions (2025-11-25) ended after five minutes unused.
//! - **Kept where the other settings are.** `http.json` in the settings directory, sealed like
//!   `settings.json`: whether it is on, its port, and the tokens' hashes.
//!
//! Nothing arriving over HTTP can turn the listener on, make a token or approve anything:
//! those are control-socket requests, and each asks for presence.

use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use latchkey_vault::{Presence, PresenceRequest, Requester};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::limits::{MAX_MCP_CONNECTIONS, Slots};
use crate::pipeline::audit::Audit;
use crate::sealed::{RefusedFile, SealedFile};
use crate::services::credentials::CredentialError;
use crate::{LatchkeyServer, Services};

/// The port used when none was ever chosen.
pub const DEFAULT_PORT: u16 = 7483;
/// The path MCP is served at.
pub const MCP_PATH: &str = "/mcp";
/// How a token starts, so that one pasted somewhere is recognisable as Latchkey's.
const TOKEN_PREFIX: &str = "lk_";
/// Random bytes in a token.
const TOKEN_BYTES: usize = 32;
/// Longest request body accepted, like the socket's longest line.
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Longest a token's name may be.
const MAX_NAME_CHARS: usize = 64;

/// What `http.json` holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Stored {
    enabled: bool,
    port: Option<u16>,
    tokens: Vec<StoredToken>,
}

/// A token as kept: its name and the SHA-256 of its value, never the value.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredToken {
    name: String,
    sha256: String,
    created: DateTime<Utc>,
}

/// A token as `latchkey http tokens list` and the app show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HttpToken {
    pub name: String,
    pub created: DateTime<Utc>,
}

/// A token just made: the only time its value is seen.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewHttpToken {
    pub name: String,
    pub token: String,
}

/// Whether the listener is on, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HttpStatus {
    /// Turned on by the person (kept across restarts).
    pub enabled: bool,
    /// The port it listens on, or will.
    pub port: u16,
    /// Where assistants connect, while it listens.
    pub url: Option<String>,
    /// Why it is not listening although enabled (the port was taken, say).
    pub error: Option<String>,
    /// How many tokens exist.
    pub tokens: usize,
}

/// The name of the token an HTTP request came with, put on the request for the MCP server.
#[derive(Debug, Clone)]
pub(crate) struct TokenHolder(pub Arc<str>);

/// The loopback HTTP listener's settings, tokens and (while on) the listener itself.
pub struct Loopback {
    presence: Arc<dyn Presence>,
    file: OnceLock<SealedFile>,
    stored: Mutex<Stored>,
    running: tokio::sync::Mutex<Listening>,
}

impl std::fmt::Debug for Loopback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loopback").finish_non_exhaustive()
    }
}

/// The listener's state while the broker runs.
#[derive(Default)]
enum Listening {
    #[default]
    Off,
    On {
        addr: SocketAddr,
        stop: tokio::sync::oneshot::Sender<()>,
        task: tokio::task::JoinHandle<()>,
    },
    Failed(String),
}

impl Loopback {
    /// Off, with no tokens, kept in memory until [`Self::keep_in`] gives it a file.
    pub fn new(presence: Arc<dyn Presence>) -> Self {
        Self {
            presence,
            file: OnceLock::new(),
            stored: Mutex::new(Stored::default()),
            running: tokio::sync::Mutex::new(Listening::Off),
        }
    }

    /// Keeps the settings and tokens in `file`, starting from what it holds. A refused file
    /// (not sealed by this broker's key) counts as none: off, no tokens.
    pub fn keep_in(&self, file: SealedFile) {
        if let Some(stored) = file.load::<Stored>() {
            *self.stored() = stored;
        }
        let _ = self.file.set(file);
    }

    /// The settings file refused at start, while nothing has been saved anew.
    pub fn refused_file(&self) -> Option<RefusedFile> {
        RefusedFile::of(
            self.file.get(),
            "MCP over HTTP is off and no token is accepted until you turn it on and make tokens \
             again with `latchkey http`",
        )
    }

    fn stored(&self) -> std::sync::MutexGuard<'_, Stored> {
        self.stored.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Saves `changed` (then makes it current); nothing changes when it cannot be saved.
    fn save(&self, changed: Stored) -> Result<(), CredentialError> {
        if let Some(file) = self.file.get() {
            file.save_setting(&changed)?;
        }
        *self.stored() = changed;
        Ok(())
    }

    async fn confirm(&self, action: String, requester: Requester) -> Result<(), CredentialError> {
        let request = PresenceRequest::new(action, requester);
        self.presence.confirm(&request).await.map_err(Into::into)
    }

    pub async fn status(&self) -> HttpStatus {
        let stored = self.stored().clone();
        let (url, error) = match &*self.running.lock().await {
            Listening::On { addr, .. } => (Some(url(*addr)), None),
            Listening::Failed(why) => (None, Some(why.clone())),
            Listening::Off => (None, None),
        };
        HttpStatus {
            enabled: stored.enabled,
            port: stored.port.unwrap_or(DEFAULT_PORT),
            url,
            error,
            tokens: stored.tokens.len(),
        }
    }

    /// Turns the listener on at `port` (the one kept, else [`DEFAULT_PORT`]; 0 picks a free
    /// one) after a presence check, at once, and keeps it on across restarts.
    pub async fn enable(
        &self,
        services: &Services,
        port: Option<u16>,
        requester: Requester,
    ) -> Result<HttpStatus, CredentialError> {
        let port = port.or(self.stored().port).unwrap_or(DEFAULT_PORT);
        let action = match port {
            0 => "let assistants with a token connect over HTTP on 127.0.0.1".to_owned(),
            port => format!(
                "let assistants with a token connect over HTTP at {}",
                url((Ipv4Addr::LOCALHOST, port).into())
            ),
        };
        self.confirm(action, requester).await?;
        let mut running = self.running.lock().await;
        stop(std::mem::take(&mut *running)).await;
        let addr = listen(services, port)
            .await
            .map_err(|reason| CredentialError::HttpListener {
                port,
                reason: reason.clone(),
            });
        let addr = match addr {
            Ok((addr, listening)) => {
                *running = listening;
                addr
            }
            Err(e) => {
                *running = Listening::Failed(e.to_string());
                return Err(e);
            }
        };
        let changed = Stored {
            enabled: true,
            port: Some(addr.port()),
            ..self.stored().clone()
        };
        if let Err(e) = self.save(changed) {
            stop(std::mem::take(&mut *running)).await;
            return Err(e);
        }
        tracing::info!("MCP over HTTP listens at {}", url(addr));
        drop(running);
        Ok(self.status().await)
    }

    /// Turns the listener off at once (and across restarts); no presence needed to close a
    /// door.
    pub async fn disable(&self) -> Result<HttpStatus, CredentialError> {
        let changed = Stored {
            enabled: false,
            ..self.stored().clone()
        };
        self.save(changed)?;
        stop(std::mem::take(&mut *self.running.lock().await)).await;
        Ok(self.status().await)
    }

    /// At the broker's start: listens when the person left it on. A port taken meanwhile is
    /// logged and shown by `latchkey http status`.
    pub(crate) async fn resume(&self, services: &Services) {
        let stored = self.stored().clone();
        if !stored.enabled {
            return;
        }
        let port = stored.port.unwrap_or(DEFAULT_PORT);
        let mut running = self.running.lock().await;
        *running = match listen(services, port).await {
            Ok((addr, listening)) => {
                tracing::info!("MCP over HTTP listens at {}", url(addr));
                listening
            }
            Err(why) => {
                tracing::warn!("MCP over HTTP cannot listen on port {port}: {why}");
                Listening::Failed(why)
            }
        };
    }

    /// At the broker's end.
    pub(crate) async fn shut(&self) {
        stop(std::mem::take(&mut *self.running.lock().await)).await;
    }

    pub fn tokens(&self) -> Vec<HttpToken> {
        self.stored()
            .tokens
            .iter()
            .map(|t| HttpToken {
                name: t.name.clone(),
                created: t.created,
            })
            .collect()
    }

    /// Makes a token for the assistant `name`, after a presence check. Its value is returned
    /// once and kept only as a hash.
    pub async fn create_token(
        &self,
        name: &str,
        requester: Requester,
    ) -> Result<NewHttpToken, CredentialError> {
        let name = valid_name(name)?;
        if self.stored().tokens.iter().any(|t| t.name == name) {
            return Err(CredentialError::HttpToken(format!(
                "a token named {name} exists already: revoke it first, or choose another name"
            )));
        }
        self.confirm(
            format!("give the assistant {name} a token to use Latchkey over HTTP"),
            requester,
        )
        .await?;
        let mut random = Zeroizing::new([0u8; TOKEN_BYTES]);
        getrandom::fill(&mut *random)
            .map_err(|e| CredentialError::HttpToken(format!("no random bytes for a token: {e}")))?;
        let token = Zeroizing::new(format!("{TOKEN_PREFIX}{}", hex::encode(*random)));
        let mut changed = self.stored().clone();
        changed.tokens.push(StoredToken {
            name: name.clone(),
            sha256: hex::encode(Sha256::digest(token.as_bytes())),
            created: Utc::now(),
        });
        self.save(changed)?;
        Ok(NewHttpToken {
            name,
            token: token.to_string(),
        })
    }

    /// Revokes the token named `name`: its next request is refused. `false` when there was
    /// none.
    pub fn revoke_token(&self, name: &str) -> Result<bool, CredentialError> {
        let mut changed = self.stored().clone();
        let before = changed.tokens.len();
        changed.tokens.retain(|t| t.name != name.trim());
        if changed.tokens.len() == before {
            return Ok(false);
        }
        self.save(changed)?;
        Ok(true)
    }

    /// Whether a token named `name` still exists (the pipeline's allow-list stage).
    pub(crate) fn holds(&self, name: &str) -> bool {
        self.stored().tokens.iter().any(|t| t.name == name)
    }

    /// The name of the token an `Authorization: Bearer …` header carries, or why it is
    /// refused (the words never include what was sent).
    fn authenticate(&self, authorization: Option<&[u8]>) -> Result<Arc<str>, &'static str> {
        // The scheme's name is case-insensitive (RFC 9110).
        let presented = authorization
            .and_then(|value| value.split_at_checked(7))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case(b"Bearer "))
            .map(|(_, token)| token)
            .ok_or("no bearer token")?;
        let hash = hex::encode(Sha256::digest(presented.trim_ascii()));
        let stored = self.stored();
        // Every token is compared, in constant time, whichever matches.
        let mut found = None;
        for token in &stored.tokens {
            if bool::from(token.sha256.as_bytes().ct_eq(hash.as_bytes())) {
                found = Some(Arc::from(token.name.as_str()));
            }
        }
        found.ok_or("the bearer token is not one Latchkey made, or it was revoked")
    }
}

/// A token's name as the person typed it, checked: it names the assistant in the audit.
fn valid_name(name: &str) -> Result<String, CredentialError> {
    let name = name.trim();
    let fits = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '));
    if fits {
        Ok(name.to_owned())
    } else {
        Err(CredentialError::HttpToken(format!(
            "name: a token's name is 1 to {MAX_NAME_CHARS} letters, digits, spaces, '-', '_' \
             or '.'"
        )))
    }
}

fn url(addr: SocketAddr) -> String {
    format!("http://{addr}{MCP_PATH}")
}

/// Binds 127.0.0.1:`port` and serves MCP there until stopped.
async fn listen(services: &Services, port: u16) -> Result<(SocketAddr, Listening), String> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let listener = Limited {
        listener,
        slots: Slots::new("http", MAX_MCP_CONNECTIONS),
        audit: Arc::clone(&services.audit),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts([
            format!("127.0.0.1:{}", addr.port()),
            format!("localhost:{}", addr.port()),
        ])
        .with_allowed_origins([
            format!("http://127.0.0.1:{}", addr.port()),
            format!("http://localhost:{}", addr.port()),
        ])
        .enforce_origin_validation()
        .with_max_request_body_bytes(MAX_BODY_BYTES);
    let sessions_end = config.cancellation_token.clone();
    let for_sessions = services.clone();
    let mcp = StreamableHttpService::new(
        move || Ok(LatchkeyServer::new(for_sessions.clone(), None).over_http()),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let router = axum::Router::new().route_service(MCP_PATH, mcp).layer(
        axum::middleware::from_fn_with_state(services.clone(), guard),
    );
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, router).with_graceful_shutdown(async move {
            let _ = stopped.await;
            sessions_end.cancel();
        });
        if let Err(e) = served.await {
            tracing::warn!("MCP over HTTP stopped: {e}");
        }
    });
    Ok((addr, Listening::On { addr, stop, task }))
}

/// The listener's connections, at most [`MAX_MCP_CONNECTIONS`] at once like the MCP socket's
/// (its own count): one over the limit is closed at once, and the refusal counted (see
/// [`Slots`]).
struct Limited {
    listener: tokio::net::TcpListener,
    slots: Slots,
    audit: Arc<Audit>,
}

impl axum::serve::Listener for Limited {
    type Io = Held;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Held, SocketAddr) {
        loop {
            let (stream, addr) = match self.listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!("accept on the HTTP listener: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            if let Some(slot) = self.slots.take(&self.audit) {
                return (
                    Held {
                        stream,
                        _slot: slot,
                    },
                    addr,
                );
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

/// A connection, holding its slot until it closes.
struct Held {
    stream: tokio::net::TcpStream,
    _slot: tokio::sync::OwnedSemaphorePermit,
}

impl tokio::io::AsyncRead for Held {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Held {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Stops a listener: its sessions end, and it stops accepting at once.
async fn stop(listening: Listening) {
    if let Listening::On { stop, mut task, .. } = listening {
        let _ = stop.send(());
        // Open streams get a moment to close; then the listener goes regardless.
        if tokio::time::timeout(Duration::from_secs(2), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}

/// Lets through only requests with a valid token, naming its holder on the request; the rest
/// get 401 and a refused entry on the audit log.
async fn guard(State(services): State<Services>, mut request: Request, next: Next) -> Response {
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|value| value.as_bytes());
    match services.loopback.authenticate(authorization) {
        Ok(name) => {
            request.extensions_mut().insert(TokenHolder(name));
            next.run(request).await
        }
        Err(why) => {
            tracing::warn!("refused an HTTP request: {why}");
            services.audit.refused_http(why).await;
            let body = format!(
                "Latchkey refused this request: {why}; the person makes a token with \
                 `latchkey http tokens create NAME`"
            );
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                body,
            )
                .into_response()
        }
    }
}
