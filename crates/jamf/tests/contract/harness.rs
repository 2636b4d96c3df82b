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
//! - One Prism per schema per test binary, started on a free port of 127.0.0.1 in static mode
//!   (Jamf's documentation examples, so the answers are the same every run) with request
//!   validation on: a request that breaks the schema gets 422. A shell watchdog holding the
//!   other end of a pipe kills Prism when this process goes away, however it ends; dropping a
//!   [`Prism`] kills its whole process group at once.
//! - Each test gets its own [`Mock`]: a small proxy on 127.0.0.1 that sends `/JSSResource/...`
//!   to the Classic Prism and everything else to the Jamf Pro API Prism, and records every
//!   exchange with Prism's verdict (the status and its `sl-violations` header), so a test can
//!   assert on exactly the requests its client made.
//! - The Classic swagger describes no response bodies (every answer is "No response was
//!   specified"), so Prism answers an accepted Classic request with an empty 200. A test gives
//!   the body for such a path with [`Mock::classic_answer`]: it replaces only an empty 2xx
//!   answer, so Prism's verdict on the request stands.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;

/// The Jamf Pro version the saved schemas come from.
pub const SCHEMA_VERSION: &str = "11.30.1";

/// Where the fixtures and Prism are; `None` (after a note on stderr) when either is missing
/// outside CI.
#[derive(Debug, Clone)]
pub struct Paths {
    pub fixtures: PathBuf,
    pub prism: PathBuf,
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

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Finds the fixtures and Prism. Missing either: under `CI=true` a panic, otherwise a note on
/// stderr and `None`, so the caller returns and the test passes as skipped.
pub fn locate() -> Option<Paths> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = manifest.join("../../../shared/fixtures/jamf");
    let prism = manifest.join("../../tests/contract/node_modules/.bin/prism");
    let paths = Paths { fixtures, prism };
    let mut missing = Vec::new();
    for fixture in [
        paths.pro_schema(),
        paths.classic_schema(),
        paths.sofa_feed(),
    ] {
        if !fixture.is_file() {
            missing.push(format!(
                "{} (the shared fixtures beside the repository)",
                fixture.display()
            ));
        }
    }
    if !paths.prism.is_file() {
        missing.push(format!(
            "Prism at {} (run `scripts/setup.sh --test`)",
            paths.prism.display()
        ));
    }
    if missing.is_empty() {
        return Some(paths);
    }
    let what = missing.join("; ");
    if in_ci() {
        panic!("contract tests need {what}");
    }
    eprintln!("skipping the Jamf contract test: missing {what}");
    None
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
        .map(|p| match p["$ref"].as_str() {
            Some(r) => &schema["components"]["parameters"][r.rsplit('/').next().unwrap_or("")],
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

/// One running `prism mock`, in a process group of its own under a watchdog shell.
#[derive(Debug)]
pub struct Prism {
    child: Child,
    /// The watchdog's stdin: when it closes (dropped here, or this process gone), the
    /// watchdog kills Prism.
    lifeline: Option<ChildStdin>,
    pub addr: SocketAddr,
    pub log: PathBuf,
    _dir: tempfile::TempDir,
}

/// Runs its arguments in the background, and when its stdin reaches end of file kills that
/// and removes `$PRISM_CONTRACT_DIR` (the adjusted schema and Prism's log).
const WATCHDOG: &str = r#""$@" </dev/null & p=$!
read -r _ || :
kill -TERM "$p" 2>/dev/null
wait "$p"
rm -rf -- "$PRISM_CONTRACT_DIR""#;

impl Prism {
    /// Starts Prism on `api`'s adjusted schema and waits until it answers.
    pub fn start(paths: &Paths, api: Api) -> Prism {
        let (name, text) = match api {
            Api::Pro => (
                "jamf-pro-api.json",
                serde_json::to_vec(pro_schema(paths)).expect("serialize"),
            ),
            Api::Classic => {
                let raw = fs::read_to_string(paths.classic_schema()).expect("read the swagger");
                (
                    "classic-api.yaml",
                    adjust_classic_swagger(&raw).into_bytes(),
                )
            }
        };
        let mut last = String::new();
        // A free port is found by binding and releasing it; another process may take it in
        // between, so a start that loses that race is tried again on a new port.
        for _ in 0..3 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            // Each attempt has a directory of its own, which its watchdog removes when Prism
            // has gone (a shared Prism is never dropped).
            let dir = tempfile::Builder::new()
                .prefix("latchkey-jamf-contract-")
                .tempdir()
                .expect("temp dir");
            let doc = dir.path().join(name);
            fs::write(&doc, &text).expect("write the adjusted schema");
            let log = dir.path().join("prism.log");
            let out = File::create(&log).expect("log file");
            let err = out.try_clone().expect("log file");
            let mut child = Command::new("sh")
                .arg("-c")
                .arg(WATCHDOG)
                .arg("prism-watchdog")
                .arg(&paths.prism)
                .args(["mock", "--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--verboseLevel", "info"])
                .arg(&doc)
                .env("PRISM_CONTRACT_DIR", dir.path())
                .env("FORCE_COLOR", "0")
                .env("NO_COLOR", "1")
                .stdin(Stdio::piped())
                .stdout(out)
                .stderr(err)
                .process_group(0)
                .spawn()
                .expect("start sh for Prism");
            let lifeline = child.stdin.take();
            let mut prism = Prism {
                child,
                lifeline,
                addr,
                log,
                _dir: dir,
            };
            match prism.wait_ready(Duration::from_secs(90)) {
                Ok(()) => return prism,
                Err(why) => {
                    last = format!("{why}\n--- Prism log ---\n{}", prism.log_text());
                    drop(prism);
                    if !last.contains("EADDRINUSE") {
                        break;
                    }
                }
            }
        }
        panic!("Prism did not start: {last}");
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                return Err(format!("Prism exited with {status}"));
            }
            if Self::answers(self.addr) {
                return Ok(());
            }
            if start.elapsed() > limit {
                return Err(format!(
                    "Prism did not answer on {} within {limit:?}",
                    self.addr
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
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
        String::from_utf8_lossy(&fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    /// The process id of the watchdog shell, which leads Prism's process group.
    pub fn pgid(&self) -> u32 {
        self.child.id()
    }

    fn kill_group(&mut self) {
        // Closing the lifeline makes the watchdog stop Prism and exit once Prism has. A
        // watchdog still there after that (Prism deaf to SIGTERM) has its whole group killed
        // before it is reaped, while its pid still names the group.
        drop(self.lifeline.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_)) | Err(_)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        self.kill_group();
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
    cell.get_or_init(|| Prism::start(paths, api)).addr
}

/// One request the client made, and Prism's verdict on it.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub api: Api,
    pub method: String,
    /// Path and query exactly as the client sent them.
    pub target: String,
    pub status: u16,
    /// Prism's `sl-violations` header, parsed: the schema violations it found.
    pub violations: Vec<Value>,
    /// The start of the response body, for messages.
    pub body: String,
    /// Whether the body was the test's own (an accepted Classic request), not Prism's.
    pub canned: bool,
    /// Query parameters the operation does not declare (Prism does not check this). The
    /// Classic operations the client uses declare none.
    pub undeclared: Vec<String>,
}

impl Exchange {
    fn is_response_violation(v: &Value) -> bool {
        v.pointer("/location/0").and_then(Value::as_str) == Some("response")
    }

    /// Violations of the request (anything Prism did not place in the response).
    pub fn request_violations(&self) -> Vec<&Value> {
        self.violations
            .iter()
            .filter(|v| !Self::is_response_violation(v))
            .collect()
    }

    /// Violations of Jamf's own example responses: Jamf's business, logged, not failed.
    pub fn response_violations(&self) -> Vec<&Value> {
        self.violations
            .iter()
            .filter(|v| Self::is_response_violation(v))
            .collect()
    }
}

impl std::fmt::Display for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} -> {}", self.method, self.target, self.status)?;
        if self.status >= 300 {
            write!(f, " {}", self.body)?;
        }
        Ok(())
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

    /// Asserts that the client made at least one request and Prism accepted every one:
    /// a 2xx status and no violation of the request. Returns the exchanges; prints each, and
    /// any violations Prism found in Jamf's own example responses.
    pub fn assert_all_accepted(&self) -> Vec<Exchange> {
        let all = self.exchanges();
        assert!(!all.is_empty(), "the client made no request");
        for x in &all {
            eprintln!("prism: {x}");
            for v in x.response_violations() {
                eprintln!("prism:   (Jamf's example breaks Jamf's schema) {v}");
            }
        }
        let bad: Vec<String> = all
            .iter()
            .filter(|x| {
                !(200..300).contains(&x.status)
                    || !x.request_violations().is_empty()
                    || !x.undeclared.is_empty()
            })
            .map(|x| {
                format!(
                    "{x}\n  violations: {:?}\n  undeclared query parameters: {:?}",
                    x.request_violations(),
                    x.undeclared
                )
            })
            .collect();
        assert!(
            bad.is_empty(),
            "Prism rejected or flagged requests:\n{}",
            bad.join("\n")
        );
        all
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.server.abort();
    }
}

const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "host",
    "content-length",
    // The client's reqwest would decompress; Prism never compresses. Keep bodies plain.
    "accept-encoding",
];

fn copy_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for (name, value) in from {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            to.append(name.clone(), value.clone());
        }
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
    let violations = head
        .get(HeaderName::from_static("sl-violations"))
        .and_then(|v| serde_json::from_slice::<Vec<Value>>(v.as_bytes()).ok())
        .unwrap_or_default();
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
        method: parts.method.to_string(),
        target,
        status: status.as_u16(),
        violations,
        body: String::from_utf8_lossy(&bytes[..bytes.len().min(1500)]).into_owned(),
        canned: canned.is_some(),
        undeclared,
    });
    let mut out = Response::new(Body::from(bytes));
    *out.status_mut() = status;
    copy_headers(&head, out.headers_mut());
    out
}
