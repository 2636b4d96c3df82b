//! The router and what wraps every request: the record of what was seen, requests in flight,
//! scripted faults, latency, the bearer check and fixture bodies standing in for a path. The
//! test hook `GET /__mock/received` sits outside all that.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::auth::{account, authorized, invalidate, oauth_token, user_token};
use crate::fleet::{inventory_list, inventory_one};
use crate::groups::{MockGroup, classic_group};
use crate::history::{history_by_id, history_by_serial};
use crate::lists::{policies, profiles, smart_groups};
use crate::mobile::{mobile_detail, mobile_list};
use crate::remediation::{Change, blank_push, create_group_plan, create_plan, received, redeploy};
use crate::respond::{api_error, json_response};
use crate::{MockComputer, MockConfig, Seen};

/// A scripted fault, applied to requests whose path starts with `path`.
#[derive(Debug, Clone)]
pub(crate) struct Fault {
    pub(crate) path: String,
    pub(crate) kind: FaultKind,
    /// Matching requests let through before the fault starts.
    pub(crate) skip: u32,
    pub(crate) remaining: u32,
}

#[derive(Debug, Clone)]
pub(crate) enum FaultKind {
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    Delay(Duration),
    /// Answer `status` (307, 308...) with `Location: location`, as a hijacked server would.
    Redirect {
        status: u16,
        location: String,
    },
}

/// Everything the handlers share.
pub(crate) struct MockState {
    pub(crate) config: MockConfig,
    pub(crate) computers: Vec<MockComputer>,
    pub(crate) tokens: Mutex<HashMap<String, Instant>>,
    pub(crate) issued: AtomicU64,
    pub(crate) faults: Mutex<Vec<Fault>>,
    pub(crate) bodies: Mutex<HashMap<String, Vec<u8>>>,
    pub(crate) seen: Mutex<Vec<Seen>>,
    pub(crate) in_flight: AtomicUsize,
    pub(crate) max_in_flight: AtomicUsize,
    pub(crate) handler_nanos: AtomicU64,
    pub(crate) groups: Vec<MockGroup>,
    /// Changes accepted, oldest first.
    pub(crate) changes: Mutex<Vec<Change>>,
    /// Plans created so far, for plan ids.
    pub(crate) plans_made: AtomicU64,
}

pub(crate) fn router(state: Arc<MockState>) -> Router {
    let mut app = Router::new()
        .route("/api/oauth/token", post(oauth_token))
        .route("/api/v1/auth/token", post(user_token))
        .route("/api/v1/auth/invalidate-token", post(invalidate))
        .route("/api/v1/auth", get(account))
        .route("/api/v1/jamf-pro-version", get(version))
        .route("/api/v2/mobile-devices", get(mobile_list))
        .route("/api/v2/mobile-devices/detail", get(mobile_detail))
        .route("/api/v3/computer-groups/smart-groups", get(smart_groups))
        .route("/JSSResource/policies", get(policies))
        .route("/JSSResource/osxconfigurationprofiles", get(profiles))
        .route("/JSSResource/computerhistory/id/{id}", get(history_by_id))
        .route("/JSSResource/computergroups/id/{id}", get(classic_group))
        .route("/api/v1/managed-software-updates/plans", post(create_plan))
        .route(
            "/api/v1/managed-software-updates/plans/group",
            post(create_group_plan),
        )
        .route("/api/v2/mdm/blank-push", post(blank_push))
        .route(
            "/api/v1/jamf-management-framework/redeploy/{id}",
            post(redeploy),
        )
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
    // The test hook is added after the layer: no token, no faults, not counted as seen.
    app.fallback(|| async { api_error(StatusCode::NOT_FOUND, "no such path") })
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .route("/__mock/received", get(received))
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
        Some(FaultKind::Redirect { status, location }) => {
            let mut response = StatusCode::from_u16(status).unwrap().into_response();
            response
                .headers_mut()
                .insert(axum::http::header::LOCATION, location.parse().unwrap());
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
        // A gzip stream (its magic number) is served as `Content-Encoding: gzip`.
        let encoding = if body.starts_with(&[0x1f, 0x8b]) {
            "gzip"
        } else {
            "identity"
        };
        let headers = [
            (CONTENT_TYPE, "application/json"),
            (axum::http::header::CONTENT_ENCODING, encoding),
        ];
        return (StatusCode::OK, headers, body).into_response();
    }
    let started = Instant::now();
    let response = next.run(request).await;
    state
        .handler_nanos
        .fetch_add(started.elapsed().as_nanos() as u64, Ordering::SeqCst);
    response
}

async fn version() -> Response {
    json_response(
        StatusCode::OK,
        &json!({"version": "11.30.1-t1784555528405"}),
    )
}
