//! An in-process mock Jamf Pro server (axum on 127.0.0.1) for the Jamf client's behaviour
//! tests and bench, the CLI's tests, and (as the `jamf-mock` binary) the app's end-to-end run.
//!
//! It serves deterministic computers (see [`generate`] for the rule), the token endpoints,
//! inventory v4/v3/v1 with RSQL filtering and paging, mobile devices, smart groups, and the
//! Classic policies, configuration profiles and computer history. Faults are scripted at run
//! time ([`Mock::fail`], [`Mock::delay`], [`Mock::revoke_tokens`]) and a fixture body can stand in
//! for a path ([`Mock::serve_body`]); every request is recorded, with the most requests in
//! flight at once and the time spent in handlers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Duration as Days, Utc};
use serde_json::{Value, json};

/// The moment generated "last contact" dates count back from.
pub const CONTACT_BASE: &str = "2026-09-01T12:00:00Z";

/// macOS versions handed out in turn: current and behind releases of 26, 15, 14, 13 and 12
/// (as of the 2026-09-10 SOFA fixture) plus majors the feed does not cover.
pub const VERSIONS: [&str; 18] = [
    "26.6.2", "26.6", "26.3", "26.0", "15.7.9", "15.7.4", "15.6.1", "15.1", "14.8.9", "14.7.6",
    "14.4.1", "13.7.8", "13.6.1", "13.0", "12.7.6", "12.6", "11.7.10", "10.15.7",
];

/// Model identifiers handed out in turn: recent Apple silicon, Intel Macs capped at older
/// majors, and one the feed does not know.
pub const MODELS: [(&str, &str); 9] = [
    ("Mac15,3", "MacBook Pro (14-inch, M3, Nov 2023)"),
    ("Mac14,2", "MacBook Air (M2, 2022)"),
    ("MacBookPro18,3", "MacBook Pro (14-inch, 2021)"),
    ("MacBookAir10,1", "MacBook Air (M1, 2020)"),
    ("iMac19,1", "iMac (Retina 5K, 27-inch, 2019)"),
    ("MacBookPro15,2", "MacBook Pro (13-inch, 2018)"),
    ("Macmini8,1", "Mac mini (2018)"),
    ("MacBookPro14,1", "MacBook Pro (13-inch, 2017)"),
    ("Mac99,9", "Mac of the future"),
];

/// One generated computer.
#[derive(Debug, Clone)]
pub struct MockComputer {
    pub id: u64,
    pub name: String,
    pub serial: String,
    pub username: String,
    pub realname: String,
    pub email: String,
    pub model_identifier: &'static str,
    pub model: &'static str,
    /// `None`: the OS section has no version (null); `Some("")` and junk are sent as is.
    pub os_version: Option<&'static str>,
    /// The whole operatingSystem section is null.
    pub no_os_section: bool,
    /// The whole hardware section is null.
    pub no_hardware_section: bool,
    /// The whole userAndLocation section is null.
    pub no_user_section: bool,
    pub last_contact: DateTime<Utc>,
    pub sip_status: &'static str,
    pub filevault: bool,
    pub firewall: bool,
}

impl MockComputer {
    /// The OS version a client can see (none when the section or the field is missing).
    pub fn visible_os_version(&self) -> Option<&'static str> {
        if self.no_os_section {
            None
        } else {
            self.os_version
        }
    }

    /// The model identifier a client can see.
    pub fn visible_model(&self) -> Option<&'static str> {
        (!self.no_hardware_section).then_some(self.model_identifier)
    }
}

/// The deterministic fleet. For computer `i` (0-based, id `i + 1`):
/// - OS version `VERSIONS[(i * 7) % 18]`, except: every 41st (i % 41 == 40) reports a null
///   version, every 43rd `""`, every 47th `"Sequoia"` (junk), and every 37th has a null
///   operatingSystem section;
/// - model `MODELS[(i * 5) % 9]`; every 53rd has a null hardware section;
/// - every 31st has a null userAndLocation section;
/// - last contact `CONTACT_BASE` minus `i % 120` days;
/// - SIP "ENABLED", or "DISABLED" every 19th, or the unknown "FUTURE_SIP_STATE" every 29th;
///   FileVault off every 6th; firewall off every 5th.
/// - Computer 3 (i = 2) is named `Lab "A\B", 1;(x)` to exercise RSQL escaping.
pub fn generate(count: usize) -> Vec<MockComputer> {
    let base: DateTime<Utc> = CONTACT_BASE.parse().unwrap();
    (0..count)
        .map(|i| {
            let (model_identifier, model) = MODELS[(i * 5) % MODELS.len()];
            let os_version = match i {
                _ if i % 41 == 40 => None,
                _ if i % 43 == 42 => Some(""),
                _ if i % 47 == 46 => Some("Sequoia"),
                _ => Some(VERSIONS[(i * 7) % VERSIONS.len()]),
            };
            MockComputer {
                id: i as u64 + 1,
                name: if i == 2 {
                    r#"Lab "A\B", 1;(x)"#.to_owned()
                } else {
                    format!("Mac-{i:05}")
                },
                serial: format!("C02{i:09}"),
                username: format!("user{i}"),
                realname: format!("User Number {i}"),
                email: format!("user{i}@example.com"),
                model_identifier,
                model,
                os_version,
                no_os_section: i % 37 == 36,
                no_hardware_section: i % 53 == 52,
                no_user_section: i % 31 == 30,
                last_contact: base - Days::days((i % 120) as i64),
                sip_status: match i {
                    _ if i % 29 == 28 => "FUTURE_SIP_STATE",
                    _ if i % 19 == 18 => "DISABLED",
                    _ => "ENABLED",
                },
                filevault: i % 6 != 5,
                firewall: i % 5 != 4,
            }
        })
        .collect()
}

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
        }
    }
}

/// A scripted fault, applied to requests whose path starts with `path`.
#[derive(Debug, Clone)]
struct Fault {
    path: String,
    kind: FaultKind,
    /// Matching requests let through before the fault starts.
    skip: u32,
    remaining: u32,
}

#[derive(Debug, Clone)]
enum FaultKind {
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    Delay(Duration),
}

/// One request as the mock saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
}

struct MockState {
    config: MockConfig,
    computers: Vec<MockComputer>,
    tokens: Mutex<HashMap<String, Instant>>,
    issued: AtomicU64,
    faults: Mutex<Vec<Fault>>,
    bodies: Mutex<HashMap<String, Vec<u8>>>,
    seen: Mutex<Vec<Seen>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    handler_nanos: AtomicU64,
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

    /// Authorized GETs of exactly `path` answer 200 with `body` (a fixture) from now on.
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

fn router(state: Arc<MockState>) -> Router {
    let mut app = Router::new()
        .route("/api/oauth/token", post(oauth_token))
        .route("/api/v1/auth/token", post(user_token))
        .route("/api/v1/auth/invalidate-token", post(invalidate))
        .route("/api/v1/jamf-pro-version", get(version))
        .route("/api/v2/mobile-devices", get(mobile_list))
        .route("/api/v2/mobile-devices/detail", get(mobile_detail))
        .route("/api/v3/computer-groups/smart-groups", get(smart_groups))
        .route("/JSSResource/policies", get(policies))
        .route("/JSSResource/osxconfigurationprofiles", get(profiles))
        .route("/JSSResource/computerhistory/id/{id}", get(history_by_id))
        .route(
            "/JSSResource/computerhistory/serialnumber/{serial}",
            get(history_by_serial),
        );
    if state.config.v1_oauth {
        app = app.route("/api/v1/oauth/token", post(oauth_token));
    }
    for version in state.config.inventory_versions.clone() {
        app = app
            .route(
                &format!("/api/v{version}/computers-inventory"),
                get(move |s, q| inventory_list(s, q, version)),
            )
            .route(
                &format!("/api/v{version}/computers-inventory/{{id}}"),
                get(move |s, p, q| inventory_one(s, p, q, version)),
            );
    }
    app.fallback(|| async { api_error(StatusCode::NOT_FOUND, "no such path") })
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

/// Counts, concurrency, faults and bearer-token checks, around every request.
async fn track(State(state): State<Arc<MockState>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let query = request
        .uri()
        .query()
        .map(|q| {
            Query::<Vec<(String, String)>>::try_from_uri(&format!("/?{q}").parse().unwrap())
                .map(|Query(q)| q)
                .unwrap_or_default()
        })
        .unwrap_or_default();
    state.seen.lock().unwrap().push(Seen {
        method: request.method().to_string(),
        path: path.clone(),
        query,
    });
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let response = handle(&state, &path, request, next).await;
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    response
}

async fn handle(state: &MockState, path: &str, request: Request, next: Next) -> Response {
    let fault = {
        let mut faults = state.faults.lock().unwrap();
        let found = faults
            .iter_mut()
            .find(|f| f.remaining > 0 && path.starts_with(&f.path));
        found.and_then(|f| {
            if f.skip > 0 {
                f.skip -= 1;
                return None;
            }
            f.remaining -= 1;
            Some(f.kind.clone())
        })
    };
    match fault {
        Some(FaultKind::Status {
            status,
            retry_after,
        }) => {
            let mut response = api_error(StatusCode::from_u16(status).unwrap(), "scripted fault");
            if let Some(seconds) = retry_after {
                response.headers_mut().insert(RETRY_AFTER, seconds.into());
            }
            return response;
        }
        Some(FaultKind::Delay(delay)) => tokio::time::sleep(delay).await,
        None => {}
    }
    let is_token_path = path.ends_with("/oauth/token") || path == "/api/v1/auth/token";
    if !is_token_path {
        if !state.config.latency.is_zero() {
            tokio::time::sleep(state.config.latency).await;
        }
        if !authorized(state, request.headers()) {
            return api_error(StatusCode::UNAUTHORIZED, "invalid or expired token");
        }
    }
    let canned = state.bodies.lock().unwrap().get(path).cloned();
    if let Some(body) = canned {
        return (StatusCode::OK, [(CONTENT_TYPE, "application/json")], body).into_response();
    }
    let started = Instant::now();
    let response = next.run(request).await;
    state
        .handler_nanos
        .fetch_add(started.elapsed().as_nanos() as u64, Ordering::SeqCst);
    response
}

fn authorized(state: &MockState, headers: &HeaderMap) -> bool {
    let Some(token) = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let tokens = state.tokens.lock().unwrap();
    tokens
        .get(token)
        .is_some_and(|expiry| Instant::now() < *expiry)
}

fn issue(state: &MockState) -> String {
    let n = state.issued.fetch_add(1, Ordering::SeqCst) + 1;
    let token = format!("mock-token-{n}-{}", std::process::id());
    let expiry = Instant::now() + state.config.token_lifetime;
    state.tokens.lock().unwrap().insert(token.clone(), expiry);
    token
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn api_error(status: StatusCode, description: &str) -> Response {
    json_response(
        status,
        &json!({"httpStatus": status.as_u16(), "errors": [{"code": "MOCK", "description": description}]}),
    )
}

async fn oauth_token(
    State(state): State<Arc<MockState>>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let ok = field("grant_type") == Some("client_credentials")
        && field("client_id") == Some(state.config.client_id.as_str())
        && field("client_secret") == Some(state.config.client_secret.as_str());
    if !ok {
        return json_response(
            StatusCode::UNAUTHORIZED,
            &json!({"error": "invalid_client"}),
        );
    }
    let token = issue(&state);
    json_response(
        StatusCode::OK,
        &json!({"access_token": token, "token_type": "Bearer", "scope": "api-role:1",
                "expires_in": state.config.token_lifetime.as_secs()}),
    )
}

async fn user_token(State(state): State<Arc<MockState>>, headers: HeaderMap) -> Response {
    let expected = format!(
        "Basic {}",
        base64(format!("{}:{}", state.config.username, state.config.password).as_bytes())
    );
    if headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return api_error(StatusCode::UNAUTHORIZED, "bad credentials");
    }
    let token = issue(&state);
    let expires = Utc::now() + Days::from_std(state.config.token_lifetime).unwrap();
    json_response(
        StatusCode::OK,
        &json!({"token": token, "expires": expires.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)}),
    )
}

async fn invalidate(State(state): State<Arc<MockState>>, headers: HeaderMap) -> Response {
    if let Some(token) = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        state.tokens.lock().unwrap().remove(token);
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn version() -> Response {
    json_response(
        StatusCode::OK,
        &json!({"version": "11.30.1-t1784555528405"}),
    )
}

fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `page` and `page-size` as Jamf reads them (page size at most 2,000).
/// Why a request is refused: status and description, made a response with [`refused`].
type Refusal = (StatusCode, String);

fn refused((status, description): Refusal) -> Response {
    api_error(status, &description)
}

fn paging(query: &[(String, String)]) -> Result<(usize, usize), Refusal> {
    let page = param(query, "page").unwrap_or("0").parse::<usize>();
    let size = param(query, "page-size").unwrap_or("100").parse::<usize>();
    match (page, size) {
        (Ok(page), Ok(size)) if (1..=2000).contains(&size) => Ok((page, size)),
        _ => Err((StatusCode::BAD_REQUEST, "bad paging".into())),
    }
}

/// A field's value; `Err` for a field the endpoint does not allow (Jamf answers 400).
type Lookup = Result<Option<String>, String>;

fn filtered<'a, T>(
    items: &'a [T],
    query: &[(String, String)],
    field: impl Fn(&T, &str) -> Lookup,
) -> Result<Vec<&'a T>, Refusal> {
    let Some(filter) = param(query, "filter").filter(|f| !f.is_empty()) else {
        return Ok(items.iter().collect());
    };
    let expr = rsql::parse(filter).map_err(|e| (StatusCode::BAD_REQUEST, e))?;
    let mut out = Vec::new();
    for item in items {
        if expr
            .eval(&|name| field(item, name))
            .map_err(|e| (StatusCode::BAD_REQUEST, e))?
        {
            out.push(item);
        }
    }
    Ok(out)
}

fn computer_field(c: &MockComputer, name: &str) -> Lookup {
    let user = |value: &String| (!c.no_user_section).then(|| value.clone());
    Ok(match name {
        "id" => Some(c.id.to_string()),
        "general.name" => Some(c.name.clone()),
        "hardware.serialNumber" => (!c.no_hardware_section).then(|| c.serial.clone()),
        "userAndLocation.username" => user(&c.username),
        "userAndLocation.realname" => user(&c.realname),
        "userAndLocation.email" => user(&c.email),
        _ => return Err(format!("unknown field {name}")),
    })
}

async fn inventory_list(
    State(state): State<Arc<MockState>>,
    Query(query): Query<Vec<(String, String)>>,
    version: u8,
) -> Response {
    let (page, size) = match paging(&query) {
        Ok(p) => p,
        Err(e) => return refused(e),
    };
    let matching = match filtered(&state.computers, &query, computer_field) {
        Ok(m) => m,
        Err(e) => return refused(e),
    };
    let sections: Vec<&str> = query
        .iter()
        .filter(|(k, _)| k == "section")
        .map(|(_, v)| v.as_str())
        .collect();
    let results: Vec<Value> = matching
        .iter()
        .skip(page * size)
        .take(size)
        .map(|c| computer_json(c, &sections, version))
        .collect();
    json_response(
        StatusCode::OK,
        &json!({"totalCount": matching.len(), "results": results}),
    )
}

async fn inventory_one(
    State(state): State<Arc<MockState>>,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    version: u8,
) -> Response {
    let sections: Vec<&str> = query
        .iter()
        .filter(|(k, _)| k == "section")
        .map(|(_, v)| v.as_str())
        .collect();
    match state.computers.iter().find(|c| c.id.to_string() == id) {
        Some(c) => json_response(StatusCode::OK, &computer_json(c, &sections, version)),
        None => api_error(StatusCode::NOT_FOUND, "computer not found"),
    }
}

/// A computer as inventory version `version` renders it; unrequested sections are null.
pub fn computer_json(c: &MockComputer, sections: &[&str], version: u8) -> Value {
    let wants = |s: &str| sections.contains(&s) || (sections.is_empty() && s == "GENERAL");
    let contact_key = if version == 4 {
        "lastContact"
    } else {
        "lastContactTime"
    };
    let contact = c
        .last_contact
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut general = json!({
        "name": c.name, "platform": "Mac", "remoteManagement": {"managed": !c.id.is_multiple_of(10)},
        "reportDate": contact, "site": {"id": "-1", "name": "None"}
    });
    general[contact_key] = json!(contact);
    json!({
        "id": c.id.to_string(),
        "udid": format!("00000000-0000-0000-0000-{:012}", c.id),
        "general": wants("GENERAL").then_some(general),
        "hardware": (wants("HARDWARE") && !c.no_hardware_section).then(|| json!({
            "make": "Apple", "model": c.model, "modelIdentifier": c.model_identifier,
            "serialNumber": c.serial, "appleSilicon": c.model_identifier.starts_with("Mac1"),
            "batteryHealth": if c.id.is_multiple_of(13) { "FUTURE_BATTERY_STATE" } else { "NORMAL" }
        })),
        "operatingSystem": (wants("OPERATING_SYSTEM") && !c.no_os_section).then(|| json!({
            "name": "macOS", "version": c.os_version, "build": "25A000",
            "fileVault2Status": match (c.filevault, c.id.is_multiple_of(11)) {
                (_, true) => "SOME_NEW_STATUS", (true, _) => "ALL_ENCRYPTED", (false, _) => "NOT_ENCRYPTED"
            }
        })),
        "security": wants("SECURITY").then(|| json!({
            "sipStatus": c.sip_status, "gatekeeperStatus": "APP_STORE_AND_IDENTIFIED_DEVELOPERS",
            "xprotectVersion": "5310", "firewallEnabled": c.firewall, "secureBootLevel": "FULL_SECURITY",
            "activationLockEnabled": false, "bootstrapTokenEscrowedStatus": "ESCROWED"
        })),
        "diskEncryption": wants("DISK_ENCRYPTION").then(|| json!({
            "fileVault2Enabled": c.filevault,
            "bootPartitionEncryptionDetails": {"partitionName": "Macintosh HD",
                "partitionFileVault2State": if c.filevault { "ENCRYPTED" } else { "UNENCRYPTED" },
                "partitionFileVault2Percent": if c.filevault { 100 } else { 0 }},
            "individualRecoveryKeyValidityStatus": "VALID", "institutionalRecoveryKeyPresent": false
        })),
        "userAndLocation": (wants("USER_AND_LOCATION") && !c.no_user_section).then(|| json!({
            "username": c.username, "realname": c.realname, "email": c.email, "position": null
        })),
        "applications": wants("APPLICATIONS").then(|| (0..150).map(|n| json!({
            "name": format!("App {n}.app"), "version": "1.0", "bundleId": null
        })).collect::<Vec<_>>()),
    })
}

fn mobile_devices() -> Vec<Value> {
    vec![
        json!({"id": "1", "name": "Front desk iPad", "serialNumber": "DMQVGC0DHLA0", "model": "iPad (9th generation)",
               "modelIdentifier": "iPad12,1", "username": "reception", "type": "ios"}),
        json!({"id": "2", "name": "Lobby TV", "serialNumber": "C02XYZ987ABC", "model": "Apple TV 4K",
               "modelIdentifier": "AppleTV11,1", "username": null, "type": "tvos"}),
        json!({"id": "3", "name": "Field Vision", "serialNumber": "VPRO00000001", "model": "Apple Vision Pro",
               "modelIdentifier": "RealityDevice14,1", "username": "ann", "type": "some-future-os"}),
    ]
}

async fn mobile_list(Query(query): Query<Vec<(String, String)>>) -> Response {
    let (page, size) = match paging(&query) {
        Ok(p) => p,
        Err(e) => return refused(e),
    };
    let all = mobile_devices();
    let results: Vec<&Value> = all.iter().skip(page * size).take(size).collect();
    json_response(
        StatusCode::OK,
        &json!({"totalCount": all.len(), "results": results}),
    )
}

async fn mobile_detail(Query(query): Query<Vec<(String, String)>>) -> Response {
    let (page, size) = match paging(&query) {
        Ok(p) => p,
        Err(e) => return refused(e),
    };
    let all = mobile_devices();
    let field = |d: &Value, name: &str| {
        let key = match name {
            "displayName" => "name",
            "serialNumber" => "serialNumber",
            "username" => "username",
            "fullName" | "emailAddress" => return Ok(None),
            other => return Err(format!("unknown field {other}")),
        };
        Ok(d[key].as_str().map(str::to_owned))
    };
    let matching = match filtered(&all, &query, field) {
        Ok(m) => m,
        Err(e) => return refused(e),
    };
    let results: Vec<Value> = matching
        .iter()
        .skip(page * size)
        .take(size)
        .map(|d| json!({
            "mobileDeviceId": d["id"], "deviceType": d["type"],
            "general": {"displayName": d["name"], "osVersion": "18.6", "managed": true,
                        "lastContactDate": "2026-08-30T10:00:00.000Z"},
            "hardware": {"serialNumber": d["serialNumber"], "model": d["model"], "modelIdentifier": d["modelIdentifier"]},
            "userAndLocation": {"username": d["username"]}
        }))
        .collect();
    json_response(
        StatusCode::OK,
        &json!({"totalCount": matching.len(), "results": results}),
    )
}

async fn smart_groups(Query(query): Query<Vec<(String, String)>>) -> Response {
    let (page, size) = match paging(&query) {
        Ok(p) => p,
        Err(e) => return refused(e),
    };
    let all: Vec<Value> = (1..=3)
        .map(|i| json!({"id": i.to_string(), "siteId": "-1", "name": format!("Smart group {i}"),
                        "description": if i == 1 { json!("Macs behind on updates") } else { Value::Null },
                        "membershipCount": i * 10}))
        .collect();
    let results: Vec<&Value> = all.iter().skip(page * size).take(size).collect();
    json_response(
        StatusCode::OK,
        &json!({"totalCount": all.len(), "results": results}),
    )
}

async fn policies() -> Response {
    json_response(
        StatusCode::OK,
        &json!({"policies": [{"id": 2, "name": "Update Inventory"}, {"id": 1, "name": "Install Chrome"}]}),
    )
}

async fn profiles() -> Response {
    json_response(
        StatusCode::OK,
        &json!({"os_x_configuration_profiles": [{"id": 7, "name": "Wi-Fi"}, {"id": 3, "name": "FileVault"}]}),
    )
}

async fn history_by_id(State(state): State<Arc<MockState>>, Path(id): Path<String>) -> Response {
    history(state.computers.iter().find(|c| c.id.to_string() == id))
}

async fn history_by_serial(
    State(state): State<Arc<MockState>>,
    Path(serial): Path<String>,
) -> Response {
    history(state.computers.iter().find(|c| c.serial == serial))
}

fn history(computer: Option<&MockComputer>) -> Response {
    let Some(c) = computer else {
        return api_error(
            StatusCode::NOT_FOUND,
            "The server has not found anything matching the request URI",
        );
    };
    let epoch = c.last_contact.timestamp_millis();
    let policy_logs: Vec<Value> = (0..25)
        .map(|n| {
            json!({"policy_id": n, "policy_name": format!("Policy {n}"), "username": "jamfadmin",
                        "date_time_epoch": epoch - (25 - n) * 3_600_000, "status": "Completed"})
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({"computer_history": {
            "general": {"id": c.id, "name": c.name, "udid": "x", "serial_number": c.serial, "mac_address": "00:11:22:33:44:55"},
            "computer_usage_logs": [{"event": "login", "username": c.username, "date_time_epoch": epoch}],
            "audits": [],
            "policy_logs": policy_logs,
            "casper_remote_logs": [],
            "screen_sharing_logs": [{"status": "Accepted", "details": "Screen sharing by jamfadmin", "date_time_epoch": epoch - 1000}],
            "commands": {"completed": [{"name": "DeviceInformation", "completed": "x", "completed_epoch": epoch, "username": ""}],
                         "pending": [{"name": "InstallProfile", "status": "Pending", "issued_epoch": epoch + 1000}],
                         "failed": []},
            "user_location": [{"date_time_epoch": epoch, "username": c.username, "full_name": c.realname, "email_address": c.email}],
            "mac_app_store_applications": {"installed": [], "pending": [], "failed": []}
        }}),
    )
}

/// Standard base64, for the expected Basic auth header.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Enough of RSQL to evaluate what a client sends: `==` with `*` wildcards (case-insensitive,
/// like Jamf), `=in=`, `and`/`;`, `or`/`,`, parentheses, double-quoted values with `\` escapes.
/// It is strict: anything it cannot parse is a 400, so malformed client filters fail tests.
pub mod rsql {
    #[derive(Debug)]
    pub enum Expr {
        Or(Vec<Expr>),
        And(Vec<Expr>),
        Cmp { field: String, values: Vec<String> },
    }

    impl Expr {
        /// `lookup` returns the field's value, or `Err` for a field that is not allowed.
        pub fn eval(
            &self,
            lookup: &dyn Fn(&str) -> Result<Option<String>, String>,
        ) -> Result<bool, String> {
            Ok(match self {
                Expr::Or(items) => {
                    let mut any = false;
                    for item in items {
                        any |= item.eval(lookup)?;
                    }
                    any
                }
                Expr::And(items) => {
                    let mut all = true;
                    for item in items {
                        all &= item.eval(lookup)?;
                    }
                    all
                }
                Expr::Cmp { field, values } => match lookup(field)? {
                    Some(v) => values.iter().any(|pattern| glob(pattern, &v)),
                    None => false,
                },
            })
        }
    }

    fn glob(pattern: &str, value: &str) -> bool {
        let (pattern, value) = (pattern.to_lowercase(), value.to_lowercase());
        let parts: Vec<&str> = pattern.split('*').collect();
        if parts.len() == 1 {
            return pattern == value;
        }
        let (first, last) = (parts[0], parts[parts.len() - 1]);
        if !value.starts_with(first) || !value[first.len()..].ends_with(last) {
            return false;
        }
        let mut rest = &value[first.len()..value.len() - last.len()];
        for middle in &parts[1..parts.len() - 1] {
            match rest.find(middle) {
                Some(at) => rest = &rest[at + middle.len()..],
                None => return false,
            }
        }
        true
    }

    pub fn parse(input: &str) -> Result<Expr, String> {
        let mut p = Parser {
            s: input.as_bytes(),
            at: 0,
        };
        let expr = p.or()?;
        p.ws();
        if p.at != p.s.len() {
            return Err(format!("unexpected input at {}: {input}", p.at));
        }
        Ok(expr)
    }

    struct Parser<'a> {
        s: &'a [u8],
        at: usize,
    }

    impl Parser<'_> {
        fn ws(&mut self) {
            while self.s.get(self.at).is_some_and(|b| b.is_ascii_whitespace()) {
                self.at += 1;
            }
        }
        fn eat(&mut self, token: &str) -> bool {
            self.ws();
            if self.s[self.at..].starts_with(token.as_bytes()) {
                let word = token.as_bytes()[0].is_ascii_alphabetic();
                let next = self.s.get(self.at + token.len());
                if word && !next.is_some_and(|b| b.is_ascii_whitespace() || *b == b'(') {
                    return false;
                }
                self.at += token.len();
                return true;
            }
            false
        }
        fn or(&mut self) -> Result<Expr, String> {
            let mut items = vec![self.and()?];
            while self.eat("or") || self.eat(",") {
                items.push(self.and()?);
            }
            Ok(if items.len() == 1 {
                items.pop().unwrap()
            } else {
                Expr::Or(items)
            })
        }
        fn and(&mut self) -> Result<Expr, String> {
            let mut items = vec![self.primary()?];
            while self.eat("and") || self.eat(";") {
                items.push(self.primary()?);
            }
            Ok(if items.len() == 1 {
                items.pop().unwrap()
            } else {
                Expr::And(items)
            })
        }
        fn primary(&mut self) -> Result<Expr, String> {
            if self.eat("(") {
                let inner = self.or()?;
                if !self.eat(")") {
                    return Err("missing )".into());
                }
                return Ok(inner);
            }
            self.ws();
            let start = self.at;
            while self
                .s
                .get(self.at)
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'.')
            {
                self.at += 1;
            }
            let field = String::from_utf8(self.s[start..self.at].to_vec()).unwrap();
            if field.is_empty() {
                return Err(format!("expected a field at {}", self.at));
            }
            if self.eat("==") {
                Ok(Expr::Cmp {
                    field,
                    values: vec![self.value()?],
                })
            } else if self.eat("=in=") {
                if !self.eat("(") {
                    return Err("=in= needs (".into());
                }
                let mut values = vec![self.value()?];
                while self.eat(",") {
                    values.push(self.value()?);
                }
                if !self.eat(")") {
                    return Err("=in= needs )".into());
                }
                Ok(Expr::Cmp { field, values })
            } else {
                Err(format!("expected an operator after {field}"))
            }
        }
        fn value(&mut self) -> Result<String, String> {
            self.ws();
            if self.s.get(self.at) != Some(&b'"') {
                return Err("the mock wants every value double-quoted".into());
            }
            self.at += 1;
            let mut out = Vec::new();
            loop {
                match self.s.get(self.at) {
                    None => return Err("unterminated string".into()),
                    Some(b'"') => {
                        self.at += 1;
                        return String::from_utf8(out).map_err(|e| e.to_string());
                    }
                    Some(b'\\') => {
                        let escaped = *self.s.get(self.at + 1).ok_or("dangling escape")?;
                        out.push(escaped);
                        self.at += 2;
                    }
                    Some(b) => {
                        out.push(*b);
                        self.at += 1;
                    }
                }
            }
        }
    }
}
