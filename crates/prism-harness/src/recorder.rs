//! A recording proxy in front of one Prism: each test gets its own, on 127.0.0.1, and every
//! exchange is kept with Prism's verdict (the status and its `sl-violations` header) and the
//! query parameters the operation does not declare, so a test can assert on exactly the
//! requests its client made. Paths under a given prefix can be answered 404 here instead, to
//! play an older server that lacks them.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;

use crate::undeclared_query;

/// One request the client made, and the verdict on it.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    /// Path and query exactly as the client sent them.
    pub target: String,
    pub status: u16,
    /// Prism's `sl-violations` header, parsed: the description violations it found.
    pub violations: Vec<Value>,
    /// The start of the response body, for messages.
    pub body: String,
    /// Query parameters the operation does not declare (Prism does not check this).
    pub undeclared: Vec<String>,
    /// Answered 404 by the proxy itself (see [`Recorder::refusing`]); Prism never saw it.
    pub refused_here: bool,
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

    /// Violations of the vendor's own example responses: the vendor's business, logged.
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

/// Prism's `sl-violations` header value, parsed (none: no violations).
pub fn parse_violations(header: Option<&[u8]>) -> Vec<Value> {
    header
        .and_then(|v| serde_json::from_slice::<Vec<Value>>(v).ok())
        .unwrap_or_default()
}

#[derive(Clone)]
struct ProxyState {
    upstream: SocketAddr,
    schema: Arc<Value>,
    refuse: Option<String>,
    http: reqwest::Client,
    log: Arc<Mutex<Vec<Exchange>>>,
}

/// A test's view of a Prism server: a base URL and the record of every exchange.
#[derive(Debug)]
pub struct Recorder {
    pub base_url: String,
    log: Arc<Mutex<Vec<Exchange>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Recorder {
    /// A proxy (on the current Tokio runtime) to the Prism at `upstream`, serving `schema`.
    pub async fn start(upstream: SocketAddr, schema: Arc<Value>) -> Recorder {
        Self::serve(upstream, schema, None).await
    }

    /// Like [`Recorder::start`], but paths starting with `prefix` are answered 404 here.
    pub async fn refusing(upstream: SocketAddr, schema: Arc<Value>, prefix: &str) -> Recorder {
        Self::serve(upstream, schema, Some(prefix.to_owned())).await
    }

    async fn serve(upstream: SocketAddr, schema: Arc<Value>, refuse: Option<String>) -> Recorder {
        let log = Arc::new(Mutex::new(Vec::new()));
        let state = ProxyState {
            upstream,
            schema,
            refuse,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("proxy client"),
            log: log.clone(),
        };
        let app = axum::Router::new().fallback(forward).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("proxy");
        });
        Recorder {
            base_url: format!("http://{addr}"),
            log,
            server,
        }
    }

    /// Every exchange so far, in order.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.log.lock().expect("exchange log").clone()
    }

    /// Asserts that the client made at least one request to Prism and Prism accepted every
    /// one (see [`assert_accepted`]); requests the proxy refused itself are left out.
    /// Returns the exchanges.
    pub fn assert_all_accepted(&self) -> Vec<Exchange> {
        let all: Vec<Exchange> = self
            .exchanges()
            .into_iter()
            .filter(|x| !x.refused_here)
            .collect();
        assert_accepted(&all);
        all
    }
}

/// Asserts that `all` holds at least one request and Prism accepted every one: a 2xx status,
/// no violation of the request, no undeclared query parameter. Prints each, and any
/// violation Prism found in the vendor's own example responses (logged, not failed).
pub fn assert_accepted<'a>(all: impl IntoIterator<Item = &'a Exchange>) {
    let all: Vec<&Exchange> = all.into_iter().collect();
    assert!(!all.is_empty(), "the client made no request");
    for x in &all {
        eprintln!("prism: {x}");
        for v in x.response_violations() {
            eprintln!("prism:   (the vendor's example breaks its description) {v}");
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
}

impl Drop for Recorder {
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

/// `from`'s headers without the hop-by-hop ones, added to `to`.
pub fn copy_headers(from: &HeaderMap, to: &mut HeaderMap) {
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
    let method = parts.method.to_string();
    if let Some(prefix) = &state.refuse
        && parts.uri.path().starts_with(prefix.as_str())
    {
        state.log.lock().expect("exchange log").push(Exchange {
            method,
            target,
            status: 404,
            violations: Vec::new(),
            body: String::new(),
            undeclared: Vec::new(),
            refused_here: true,
        });
        let mut out = Response::new(Body::empty());
        *out.status_mut() = StatusCode::NOT_FOUND;
        return out;
    }
    let body: Bytes = axum::body::to_bytes(body, 16 << 20)
        .await
        .unwrap_or_default();
    let mut headers = HeaderMap::new();
    copy_headers(&parts.headers, &mut headers);
    let sent = state
        .http
        .request(
            parts.method.clone(),
            format!("http://{}{target}", state.upstream),
        )
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
    let undeclared = undeclared_query(&state.schema, &method, &target);
    state.log.lock().expect("exchange log").push(Exchange {
        method,
        target,
        status: status.as_u16(),
        violations,
        body: String::from_utf8_lossy(&bytes[..bytes.len().min(1500)]).into_owned(),
        undeclared,
        refused_here: false,
    });
    let mut out = Response::new(Body::from(bytes));
    *out.status_mut() = status;
    copy_headers(&head, out.headers_mut());
    out
}
