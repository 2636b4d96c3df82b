//! A stand-in for Azure Key Vault and Microsoft Entra ID's token endpoint, for Latchkey's
//! tests (Azure has no emulator one can install). It follows Microsoft's published REST
//! shapes, on one TLS port of 127.0.0.1 with a certificate its own fresh CA signs:
//!
//! - `POST /{tenant}/oauth2/v2.0/token` (client credentials): a bearer token, or Entra's
//!   errors with their AADSTS codes (an unknown tenant 90002, an unknown application 700016,
//!   a wrong client secret 7000215).
//! - `GET /secrets/{name}[/{version}]?api-version=…`: first, without a token, the 401
//!   challenge Key Vault answers (`WWW-Authenticate: Bearer authorization=…, resource=…`);
//!   with a token, the secret bundle, or Key Vault's errors (403 Forbidden/AccessDenied for an
//!   application without access, 404 SecretNotFound, 403 Forbidden/SecretDisabled).
//!
//! The vault's host is [`VAULT_HOST`] (the challenge's resource is
//! `https://vault.azure.test`, as Azure's is `https://vault.azure.net` for
//! `*.vault.azure.net`), which resolves nowhere: a client reaches the stand-in through
//! [`StandIn::addr`] given to its resolver, or through the HTTP CONNECT proxy the stand-in
//! also runs ([`StandIn::proxy_url`], for a process told `HTTPS_PROXY`).

mod tls;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Form, Path, Query, State as Shared};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The vault's host name; the sign-in authority is served at the same host.
pub const VAULT_HOST: &str = "contoso.vault.azure.test";
/// The resource Key Vault's challenge names (the vault's host lies under it).
pub const RESOURCE: &str = "https://vault.azure.test";
/// The API versions accepted: the one `azure_security_keyvault_secrets` 1.0.0 sends, and
/// Key Vault's 7.x versions.
pub const API_VERSIONS: &[&str] = &["2025-07-01", "7.6", "7.5", "7.4"];

/// One request the vault side saw.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The path, e.g. `/secrets/jamf-prod/`.
    pub path: String,
    /// Whether it carried a bearer token.
    pub bearer: bool,
}

#[derive(Debug)]
struct App {
    tenant: String,
    secret: String,
    reader: bool,
}

#[derive(Debug)]
struct Version {
    id: String,
    value: String,
    enabled: bool,
}

#[derive(Debug, Default)]
struct Model {
    vault_tenant: String,
    /// The resource the challenge names ([`RESOURCE`] unless a test says otherwise).
    resource: String,
    tenants: BTreeSet<String>,
    apps: BTreeMap<String, App>,
    tokens: BTreeMap<String, String>,
    secrets: BTreeMap<String, Vec<Version>>,
    seen: Vec<Seen>,
    sign_ins: usize,
    connects: Vec<String>,
    counter: u64,
}

impl Model {
    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }
}

type State = Arc<Mutex<Model>>;

/// A running stand-in; stopped when dropped.
#[derive(Debug)]
pub struct StandIn {
    /// Where the TLS port listens.
    pub addr: SocketAddr,
    proxy: SocketAddr,
    ca_pem: String,
    state: State,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl StandIn {
    /// Starts the stand-in on the current Tokio runtime, its vault in `tenant` (a tenant it
    /// knows).
    pub async fn start(tenant: &str) -> StandIn {
        let state = State::default();
        {
            let mut model = state.lock().unwrap();
            model.vault_tenant = tenant.to_owned();
            model.resource = RESOURCE.to_owned();
            model.tenants.insert(tenant.to_owned());
        }
        let certificates = tls::certificates(&[VAULT_HOST, "*.vault.azure.test"]);
        let tcp = bind().await;
        let addr = tcp.local_addr().expect("address");
        let app = Router::new()
            .route("/{tenant}/oauth2/v2.0/token", post(token))
            .route("/secrets/{name}", get(secret))
            .route("/secrets/{name}/", get(secret))
            .route("/secrets/{name}/{version}", get(secret_version))
            .with_state(state.clone());
        let acceptor = certificates.acceptor;
        let server = tokio::spawn(async move {
            axum::serve(latchkey_test_peer::tls::TlsListener { tcp, acceptor }, app)
                .await
                .expect("the Azure stand-in");
        });
        let proxy_tcp = bind().await;
        let proxy = proxy_tcp.local_addr().expect("address");
        let proxy_task = tokio::spawn(connect_proxy(proxy_tcp, addr, state.clone()));
        StandIn {
            addr,
            proxy,
            ca_pem: certificates.ca_pem,
            state,
            tasks: vec![server, proxy_task],
        }
    }

    /// `https://contoso.vault.azure.test:PORT`, the vault (and the sign-in authority).
    pub fn vault_url(&self) -> String {
        format!("https://{VAULT_HOST}:{}", self.addr.port())
    }

    /// `contoso.vault.azure.test:PORT`, the vault's host as a domain names it.
    pub fn host(&self) -> String {
        format!("{VAULT_HOST}:{}", self.addr.port())
    }

    /// The CA that signed the stand-in's certificate, as PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// `http://127.0.0.1:PORT`: an HTTP CONNECT proxy that tunnels every connection to the
    /// stand-in's TLS port, whatever host it names (as a corporate proxy would resolve it).
    pub fn proxy_url(&self) -> String {
        format!("http://{}", self.proxy)
    }

    fn model(&self) -> MutexGuard<'_, Model> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds an application (a service principal) to `tenant` with its client secret; a
    /// `reader` may get the vault's secrets.
    pub fn add_app(&self, tenant: &str, client_id: &str, secret: &str, reader: bool) {
        let mut model = self.model();
        model.tenants.insert(tenant.to_owned());
        model.apps.insert(
            client_id.to_owned(),
            App {
                tenant: tenant.to_owned(),
                secret: secret.to_owned(),
                reader,
            },
        );
    }

    /// Sets `name` to `value`: a new version, enabled, which is the latest. Returns its id.
    pub fn set_secret(&self, name: &str, value: &str) -> String {
        let mut model = self.model();
        let n = model.next();
        let id = format!("{:016x}{n:016x}", 0x5eed_0000_u64 + name.len() as u64);
        model
            .secrets
            .entry(name.to_owned())
            .or_default()
            .push(Version {
                id: id.clone(),
                value: value.to_owned(),
                enabled: true,
            });
        id
    }

    /// Makes the vault's challenge name `resource` instead of [`RESOURCE`]: a vault (or
    /// something answering in its name) asking for a token for another service.
    pub fn challenge_for(&self, resource: &str) {
        self.model().resource = resource.to_owned();
    }

    /// Disables the latest version of `name`.
    pub fn disable(&self, name: &str) {
        if let Some(latest) = self
            .model()
            .secrets
            .get_mut(name)
            .and_then(|v| v.last_mut())
        {
            latest.enabled = false;
        }
    }

    /// What the vault side saw, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.model().seen.clone()
    }

    /// How many tokens the token endpoint gave.
    pub fn sign_ins(&self) -> usize {
        self.model().sign_ins
    }

    /// The `host:port` each CONNECT through the proxy named.
    pub fn connects(&self) -> Vec<String> {
        self.model().connects.clone()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

async fn bind() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the Azure stand-in")
}

/// Entra ID's error answer.
fn aad_error(status: StatusCode, error: &str, code: u32, description: &str) -> Response {
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {description} Trace ID: 00000000-0000-0000-0000-000000000000 Correlation ID: 00000000-0000-0000-0000-000000000000 Timestamp: 2026-01-01 00:00:00Z"),
        "error_codes": [code],
        "timestamp": "2026-01-01 00:00:00Z",
        "trace_id": "00000000-0000-0000-0000-000000000000",
        "correlation_id": "00000000-0000-0000-0000-000000000000",
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    });
    (status, Json(body)).into_response()
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

async fn token(
    Shared(state): Shared<State>,
    Path(tenant): Path<String>,
    Form(form): Form<TokenForm>,
) -> Response {
    let mut model = state.lock().unwrap_or_else(|p| p.into_inner());
    if !model.tenants.contains(&tenant) {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        );
    }
    if form.grant_type.as_deref() != Some("client_credentials") {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.",
        );
    }
    let client_id = form.client_id.unwrap_or_default();
    let Some(app) = model.apps.get(&client_id).filter(|a| a.tenant == tenant) else {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'."
            ),
        );
    };
    if form.client_secret.as_deref() != Some(app.secret.as_str()) {
        return aad_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
        );
    }
    if form.scope.as_deref() != Some(&format!("{RESOURCE}/.default")) {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            "The provided value for the input parameter 'scope' is not valid.",
        );
    }
    let n = model.next();
    let token = format!("standin-token-{n:08x}");
    model.tokens.insert(token.clone(), client_id);
    model.sign_ins += 1;
    Json(json!({
        "token_type": "Bearer",
        "expires_in": 3599,
        "ext_expires_in": 3599,
        "access_token": token,
    }))
    .into_response()
}

/// Key Vault's error answer.
fn kv_error(status: StatusCode, code: &str, message: &str, inner: Option<&str>) -> Response {
    let mut error = json!({ "code": code, "message": message });
    if let Some(inner) = inner {
        error["innererror"] = json!({ "code": inner });
    }
    (status, Json(json!({ "error": error }))).into_response()
}

#[derive(Deserialize)]
struct ApiVersion {
    #[serde(rename = "api-version")]
    api_version: Option<String>,
}

async fn secret(
    state: Shared<State>,
    name: Path<String>,
    query: Query<ApiVersion>,
    headers: HeaderMap,
) -> Response {
    read(state, name.0, None, query, headers)
}

async fn secret_version(
    state: Shared<State>,
    Path((name, version)): Path<(String, String)>,
    query: Query<ApiVersion>,
    headers: HeaderMap,
) -> Response {
    read(state, name, Some(version), query, headers)
}

fn read(
    Shared(state): Shared<State>,
    name: String,
    version: Option<String>,
    Query(query): Query<ApiVersion>,
    headers: HeaderMap,
) -> Response {
    let mut model = state.lock().unwrap_or_else(|p| p.into_inner());
    let bearer = (headers.get(header::AUTHORIZATION))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let path = match &version {
        Some(v) => format!("/secrets/{name}/{v}"),
        None => format!("/secrets/{name}/"),
    };
    model.seen.push(Seen {
        path,
        bearer: bearer.is_some(),
    });
    let challenge = |model: &Model| {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or(VAULT_HOST);
        let value = format!(
            "Bearer authorization=\"https://{host}/{}\", resource=\"{}\"",
            model.vault_tenant, model.resource
        );
        let mut response = kv_error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "AKV10000: Request is missing a Bearer or PoP token.",
            None,
        );
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value.parse().expect("a header"));
        response
    };
    let Some(token) = bearer else {
        return challenge(&model);
    };
    let Some(client_id) = model.tokens.get(&token).cloned() else {
        return challenge(&model);
    };
    if !query
        .api_version
        .as_deref()
        .is_some_and(|v| API_VERSIONS.contains(&v))
    {
        return kv_error(
            StatusCode::BAD_REQUEST,
            "BadParameter",
            "The specified api-version is not supported.",
            None,
        );
    }
    if !model.apps.get(&client_id).is_some_and(|a| a.reader) {
        return kv_error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!(
                "The user, group or application 'appid={client_id};iss=https://sts.windows.net/{}/' does not have secrets get permission on key vault 'contoso;location=westeurope'.",
                model.vault_tenant
            ),
            Some("AccessDenied"),
        );
    }
    let not_found = || {
        kv_error(
            StatusCode::NOT_FOUND,
            "SecretNotFound",
            &format!(
                "A secret with (name/id) {name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command."
            ),
            None,
        )
    };
    let Some(versions) = model.secrets.get(&name) else {
        return not_found();
    };
    let found = match &version {
        Some(v) => versions.iter().find(|x| &x.id == v),
        None => versions.last(),
    };
    let Some(found) = found else {
        return not_found();
    };
    if !found.enabled {
        return kv_error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "Operation get is not allowed on a disabled secret.",
            Some("SecretDisabled"),
        );
    }
    Json(json!({
        "value": found.value,
        "id": format!("https://{VAULT_HOST}/secrets/{name}/{}", found.id),
        "attributes": {
            "enabled": true,
            "created": 1_767_225_600,
            "updated": 1_767_225_600,
            "recoveryLevel": "Recoverable+Purgeable",
            "recoverableDays": 90,
        },
        "tags": {},
    }))
    .into_response()
}

/// An HTTP CONNECT proxy: reads `CONNECT host:port`, answers 200 and tunnels the connection
/// to the stand-in's TLS port (the client's TLS session, and its name check, pass through).
async fn connect_proxy(listener: tokio::net::TcpListener, target: SocketAddr, state: State) {
    loop {
        let Ok((mut client, _)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
                if client.read_exact(&mut byte).await.is_err() {
                    return;
                }
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head);
            let Some(authority) = head
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("CONNECT "))
                .and_then(|l| l.split(' ').next())
            else {
                let _ = client
                    .write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")
                    .await;
                return;
            };
            (state.lock().unwrap_or_else(|p| p.into_inner()))
                .connects
                .push(authority.to_owned());
            let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await else {
                return;
            };
            if client
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .await
                .is_ok()
            {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            }
        });
    }
}
