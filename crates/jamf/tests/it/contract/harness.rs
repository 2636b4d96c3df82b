//! Prism, serving Jamf's own API schemas, behind a recording proxy.
//!
//! - The fixtures (`../shared/fixtures/jamf`, beside the repository) and Prism
//!   (`tests/contract/node_modules`, from `scripts/setup.sh --test`) are found or the test is
//!   skipped, except under `CI=true`, where their absence fails the test.
//! - Each schema is adjusted in a temporary directory, never in the fixtures or the repository:
//!   the Jamf Pro API schema gets `/api` in front of every path (its `servers` entry is `/api`,
//!   which Prism does not route by) and loses the security requirement of the operations Jamf
//!   marks `x-authentication-required: false` (the OAuth token endpoint among them); the Classic
//!   API swagger gets `/JSSResource` in front of every path (its `basePath`).
//! - One Prism per schema per test binary (run by latchkey-prism-harness, shared with the
//!   vCenter client's contract test), on a free port of 127.0.0.1 in static mode (Jamf's
//!   documentation examples, so the answers are the same every run) with request validation
//!   on: a request that breaks the schema gets 422.
//! - Each test gets its own [`Mock`]: a small proxy on 127.0.0.1 that sends `/JSSResource/...`
//!   to the Classic Prism and everything else to the Jamf Pro API Prism, and records every
//!   exchange with Prism's verdict (the status and its `sl-violations` header), so a test can
//!   assert on exactly the requests its client made.
//! - The Classic swagger describes no response bodies (every answer is "No response was
//!   specified"), so Prism answers an accepted Classic request with an empty 200. A test gives
//!   the body for such a path with [`Mock::classic_answer`]: it replaces only an empty 2xx
//!   answer, so Prism's verdict on the request stands.

use std::collections::HashMap;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
pub use latchkey_prism_harness::{Prism, undeclared_query};
use latchkey_prism_harness::{copy_headers, parse_violations};
use serde_json::Value;

/// The Jamf Pro version the saved schemas come from.
pub const SCHEMA_VERSION: &str = "11.30.1";

/// Where the fixtures are.
#[derive(Debug, Clone)]
pub struct Paths {
    pub fixtures: PathBuf,
}

impl Paths {
    pub fn pro_schema(&self) -> PathBuf {
        self.fixtures
            .join(format!("openapi/jamf-pro-api-{SCHEMA_VERSION}.json"))
    }

    pub fn classic_schema(&self) -> PathBuf {
        self.fixtures
            .join(format!("openapi/classic-api-swagger-{SCHEMA_VERSION}.yaml"))
    }

    /// A real SOFA macOS feed (v1, 2026-03-31) from the shared SOFA fixtures.
    pub fn sofa_feed(&self) -> PathBuf {
        self.fixtures.join("../sofa/v1/macos_data_feed.json")
    }
}

/// Finds the fixtures and Prism. Missing either: under `CI=true` a panic, otherwise a note on
/// stderr and `None`, so the caller returns and the test passes as skipped.
pub fn locate() -> Option<Paths> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = manifest.join("../../../shared/fixtures/jamf");
    let paths = Paths { fixtures };
    let needed = [
        paths.pro_schema(),
        paths.classic_schema(),
        paths.sofa_feed(),
    ];
    latchkey_prism_harness::require("the Jamf contract test", &needed).then_some(paths)
}

/// The Jamf Pro API schema as Prism can serve it at `http://HOST/api/...`.
pub fn adjust_pro_schema(mut schema: Value) -> Value {
    let root = schema.as_object_mut().expect("the schema is a JSON object");
    let paths = root
        .remove("paths")
        .and_then(|p| match p {
            Value::Object(map) => Some(map),
            _ => None,
        })
        .expect("the schema has paths");
    let prefixed: serde_json::Map<String, Value> = paths
        .into_iter()
        .map(|(path, mut item)| {
            if let Some(ops) = item.as_object_mut() {
                for op in ops.values_mut().filter_map(Value::as_object_mut) {
                    let open = op.get("x-authentication-required") == Some(&Value::Bool(false));
                    if open && !op.contains_key("security") {
                        op.insert("security".into(), Value::Array(Vec::new()));
                    }
                }
            }
            (format!("/api{path}"), item)
        })
        .collect();
    root.insert("paths".into(), Value::Object(prefixed));
    root.insert("servers".into(), serde_json::json!([{ "url": "/" }]));
    schema
}

/// The adjusted Jamf Pro API schema, read once per test binary.
pub fn pro_schema(paths: &Paths) -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let raw = fs::read(paths.pro_schema()).expect("read the Jamf Pro API schema");
        adjust_pro_schema(serde_json::from_slice(&raw).expect("schema JSON"))
    })
}

/// The Classic API swagger (YAML, Swagger 2.0) with `basePath` folded into each path. A line
/// edit, as the workspace has no YAML parser: top-level keys sit at column 0 and the paths at
/// column 2, quoted or not, and both counts are checked.
pub fn adjust_classic_swagger(yaml: &str) -> String {
    let mut out = String::with_capacity(yaml.len() + 16 * 1024);
    let (mut in_paths, mut prefixed, mut base) = (false, 0usize, 0usize);
    for line in yaml.lines() {
        if !line.starts_with([' ', '#']) && !line.is_empty() {
            in_paths = line.trim_end() == "paths:";
            if line.trim_end() == "basePath: /JSSResource/" {
                out.push_str("basePath: /\n");
                base += 1;
                continue;
            }
        }
        if let Some(key) = line.strip_prefix("  ").filter(|_| in_paths) {
            let (quote, key) = match key.strip_prefix(['\'', '"']) {
                Some(unquoted) => (&key[..1], unquoted),
                None => ("", key),
            };
            if key.starts_with('/') {
                out.push_str(&format!("  {quote}/JSSResource{key}\n"));
                prefixed += 1;
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    assert_eq!(
        base, 1,
        "the Classic swagger's basePath is no longer /JSSResource/"
    );
    assert!(
        prefixed > 100,
        "only {prefixed} Classic paths found: has the layout changed?"
    );
    out
}

/// Which Prism a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Pro,
    Classic,
}

/// Starts Prism on `api`'s adjusted schema and waits until it answers.
pub fn start(paths: &Paths, api: Api) -> Prism {
    match api {
        Api::Pro => Prism::start(
            "jamf-pro-api.json",
            &serde_json::to_vec(pro_schema(paths)).expect("serialize"),
            "jamf",
        ),
        Api::Classic => {
            let raw = fs::read_to_string(paths.classic_schema()).expect("read the swagger");
            Prism::start(
                "classic-api.yaml",
                adjust_classic_swagger(&raw).as_bytes(),
                "jamf",
            )
        }
    }
}

/// The Prism for `api`, shared by every test in this binary and started on first use. Its
/// watchdog ends it when the test binary exits.
pub fn shared(paths: &Paths, api: Api) -> SocketAddr {
    static PRO: OnceLock<Prism> = OnceLock::new();
    static CLASSIC: OnceLock<Prism> = OnceLock::new();
    let cell = match api {
        Api::Pro => &PRO,
        Api::Classic => &CLASSIC,
    };
    cell.get_or_init(|| start(paths, api)).addr
}

/// One request the client made, Prism's verdict on it, and which Jamf API it went to.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub api: Api,
    /// Whether the body was the test's own (an accepted Classic request), not Prism's.
    pub canned: bool,
    /// The request and Prism's verdict. Undeclared query parameters: the Classic operations
    /// the client uses declare none.
    pub prism: latchkey_prism_harness::Exchange,
}

impl std::ops::Deref for Exchange {
    type Target = latchkey_prism_harness::Exchange;

    fn deref(&self) -> &Self::Target {
        &self.prism
    }
}

#[derive(Clone)]
struct ProxyState {
    paths: Paths,
    http: reqwest::Client,
    log: Arc<Mutex<Vec<Exchange>>>,
    classic: Arc<Mutex<HashMap<String, Value>>>,
}

/// A test's view of the mock Jamf Pro server: a base URL and the record of every exchange.
#[derive(Debug)]
pub struct Mock {
    pub base_url: String,
    log: Arc<Mutex<Vec<Exchange>>>,
    classic: Arc<Mutex<HashMap<String, Value>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Mock {
    /// Starts this test's proxy (on the current Tokio runtime) in front of the shared Prism.
    pub async fn start(paths: &Paths) -> Mock {
        // Start the Jamf Pro API Prism now (off the async threads), the Classic one on demand.
        let p = paths.clone();
        tokio::task::spawn_blocking(move || shared(&p, Api::Pro))
            .await
            .expect("start Prism");
        let log = Arc::new(Mutex::new(Vec::new()));
        let classic = Arc::new(Mutex::new(HashMap::new()));
        let state = ProxyState {
            paths: paths.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("proxy client"),
            log: log.clone(),
            classic: classic.clone(),
        };
        let app = axum::Router::new().fallback(forward).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("proxy");
        });
        Mock {
            base_url: format!("http://{addr}"),
            log,
            classic,
            server,
        }
    }

    /// The JSON body to answer with when Prism accepts `GET path` (no query) of the Classic
    /// API, which has no response bodies of its own.
    pub fn classic_answer(&self, path: &str, body: Value) {
        self.classic
            .lock()
            .expect("classic answers")
            .insert(path.to_owned(), body);
    }

    /// Every exchange so far, in order.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.log.lock().expect("exchange log").clone()
    }

    /// Asserts that the client made at least one request and Prism accepted every one (see
    /// [`latchkey_prism_harness::assert_accepted`]). Returns the exchanges.
    pub fn assert_all_accepted(&self) -> Vec<Exchange> {
        let all = self.exchanges();
        latchkey_prism_harness::assert_accepted(all.iter().map(|x| &x.prism));
        all
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn forward(State(state): State<ProxyState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let target = parts
        .uri
        .path_and_query()
        .map_or("/".to_owned(), |p| p.as_str().to_owned());
    let api = if parts.uri.path().starts_with("/JSSResource/") {
        Api::Classic
    } else {
        Api::Pro
    };
    let paths = state.paths.clone();
    let upstream = tokio::task::spawn_blocking(move || shared(&paths, api))
        .await
        .expect("start Prism");
    let body: Bytes = axum::body::to_bytes(body, 16 << 20)
        .await
        .unwrap_or_default();
    let mut headers = HeaderMap::new();
    copy_headers(&parts.headers, &mut headers);
    let sent = state
        .http
        .request(parts.method.clone(), format!("http://{upstream}{target}"))
        .headers(headers)
        .body(body)
        .send()
        .await;
    let (status, head, bytes) = match sent {
        Ok(resp) => {
            let status = resp.status();
            let head = resp.headers().clone();
            (status, head, resp.bytes().await.unwrap_or_default())
        }
        Err(e) => {
            let msg = format!("contract proxy: Prism unreachable: {e}");
            (StatusCode::BAD_GATEWAY, HeaderMap::new(), Bytes::from(msg))
        }
    };
    let violations = parse_violations(head.get("sl-violations").map(|v| v.as_bytes()));
    let canned = match api {
        Api::Classic if status.is_success() && bytes.is_empty() => state
            .classic
            .lock()
            .expect("classic answers")
            .get(parts.uri.path())
            .cloned(),
        _ => None,
    };
    let (head, bytes) = match &canned {
        Some(body) => {
            let mut head = HeaderMap::new();
            head.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            (
                head,
                Bytes::from(serde_json::to_vec(body).expect("serialize")),
            )
        }
        None => (head, bytes),
    };
    let undeclared = match api {
        Api::Pro => undeclared_query(pro_schema(&state.paths), parts.method.as_str(), &target),
        Api::Classic => {
            let url = reqwest::Url::parse(&format!("http://mock{target}")).ok();
            url.into_iter()
                .flat_map(|u| {
                    u.query_pairs()
                        .map(|(k, _)| k.into_owned())
                        .collect::<Vec<_>>()
                })
                .collect()
        }
    };
    state.log.lock().expect("exchange log").push(Exchange {
        api,
        canned: canned.is_some(),
        prism: latchkey_prism_harness::Exchange {
            method: parts.method.to_string(),
            target,
            status: status.as_u16(),
            violations,
            body: String::from_utf8_lossy(&bytes[..bytes.len().min(1500)]).into_owned(),
            undeclared,
            refused_here: false,
        },
    });
    let mut out = Response::new(Body::from(bytes));
    *out.status_mut() = status;
    copy_headers(&head, out.headers_mut());
    out
}
