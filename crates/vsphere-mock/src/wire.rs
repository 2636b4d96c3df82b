//! The fake's HTTP side: one handler that reads the path the way vCenter lays it out, under
//! `/api` or `/rest` (where answers are wrapped in `{"value": …}`, filters are `filter.x`, and
//! hard power actions are path segments).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use crate::model::{self, State as Model, vm_info, vm_summary};
use crate::{Fault, Flavor, Seen};

type Shared = Arc<Mutex<Model>>;

pub(crate) fn router(state: Shared) -> Router {
    Router::new().fallback(handle).with_state(state)
}

/// What `GET /__mock/power` answers (see the binary's docs): not part of vCenter's API, and
/// not recorded as seen.
fn power_log(st: &Model) -> Value {
    let requests: Vec<Value> = st
        .seen
        .iter()
        .filter(|s| s.is_power())
        .map(|s| json!({ "path": s.path, "query": s.query }))
        .collect();
    let vms: Vec<Value> = st
        .vms
        .values()
        .map(|vm| json!({ "id": vm.id, "name": vm.name, "power_state": vm.power_state, "host": vm.host }))
        .collect();
    json!({ "requests": requests, "vms": vms })
}

/// What a request gets: a status and a JSON body (none for an empty answer).
struct Answer(StatusCode, Option<Value>);

async fn handle(
    State(state): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
    let path = uri.path().to_owned();
    if path == "/__mock/power" {
        return reply(false, Answer(StatusCode::OK, Some(power_log(&st))));
    }
    let session = headers
        .get("vmware-api-session-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let session_ok = st.sessions.contains(&session);
    st.seen.push(Seen {
        method: method.to_string(),
        path: path.clone(),
        query: uri.query().map(str::to_owned),
        session_ok,
    });
    let (rest, sub) = match (path.strip_prefix("/api/"), path.strip_prefix("/rest/")) {
        (Some(sub), _) if st.config.flavor == Flavor::Api => (false, sub.to_owned()),
        (_, Some(sub)) => (true, sub.to_owned()),
        _ => return reply(false, Answer(StatusCode::NOT_FOUND, None)),
    };
    let params: BTreeMap<String, Vec<String>> =
        query.into_iter().fold(BTreeMap::new(), |mut map, (k, v)| {
            let key = k.strip_prefix("filter.").unwrap_or(&k).to_owned();
            map.entry(key).or_default().push(v);
            map
        });
    let action = params.get("action").and_then(|a| a.first()).cloned();

    if sub == "session" || sub == "com/vmware/cis/session" {
        let authorized = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == basic(&st.config.username, &st.config.password));
        let get = method == Method::GET || params.contains_key("~action");
        let answer = match method {
            Method::POST | Method::GET if get => match session_ok {
                true => Answer(StatusCode::OK, Some(json!({"user": st.config.username}))),
                false => unauthenticated(),
            },
            Method::POST if authorized => {
                let id = st.new_session();
                let status = if rest {
                    StatusCode::OK
                } else {
                    StatusCode::CREATED
                };
                Answer(status, Some(json!(id)))
            }
            Method::POST => unauthenticated(),
            Method::DELETE if session_ok => {
                st.sessions.remove(&session);
                Answer(
                    if rest {
                        StatusCode::OK
                    } else {
                        StatusCode::NO_CONTENT
                    },
                    None,
                )
            }
            Method::DELETE => unauthenticated(),
            _ => Answer(StatusCode::METHOD_NOT_ALLOWED, None),
        };
        return reply(rest, answer);
    }
    if !session_ok {
        return reply(rest, unauthenticated());
    }
    if let Some(fault) = st.faults.pop_front() {
        return faulty(fault, &path);
    }
    let parts: Vec<&str> = sub.split('/').collect();
    let answer = match (method.clone(), parts.as_slice()) {
        (Method::GET, ["vcenter", "vm"]) => {
            let found = st.list_vms(&params);
            if found.len() > st.config.list_cap {
                error(
                    if rest {
                        StatusCode::BAD_REQUEST
                    } else {
                        StatusCode::INTERNAL_SERVER_ERROR
                    },
                    "UNABLE_TO_ALLOCATE_RESOURCE",
                    "Too many virtual machines. Add more filter criteria.",
                )
            } else {
                let list: Vec<Value> = found.into_iter().map(vm_summary).collect();
                Answer(StatusCode::OK, Some(Value::Array(list)))
            }
        }
        (Method::GET, ["vcenter", "vm", id]) => match st.vms.get(*id) {
            Some(vm) => Answer(StatusCode::OK, Some(vm_info(vm))),
            None => not_found(id),
        },
        (Method::GET, ["vcenter", "vm", id, "power"]) => match st.vms.get(*id) {
            Some(vm) => Answer(StatusCode::OK, Some(json!({"state": vm.power_state}))),
            None => not_found(id),
        },
        (Method::POST, ["vcenter", "vm", id, "power"]) if !rest => power(&mut st, id, action, rest),
        (Method::POST, ["vcenter", "vm", id, "power", act]) if rest => {
            power(&mut st, id, Some((*act).to_owned()), rest)
        }
        (Method::POST, ["vcenter", "vm", id, "guest", "power"]) => match action.as_deref() {
            Some("shutdown" | "reboot" | "standby") => power(&mut st, id, action, rest),
            _ => error(
                StatusCode::BAD_REQUEST,
                "INVALID_ARGUMENT",
                "bad guest action",
            ),
        },
        (Method::GET, ["vcenter", "host"]) => Answer(StatusCode::OK, Some(st.hosts())),
        (Method::GET, ["vcenter", "cluster"]) => Answer(StatusCode::OK, Some(model::clusters())),
        (Method::GET, ["vcenter", "datacenter"]) => {
            Answer(StatusCode::OK, Some(model::datacenters()))
        }
        (Method::GET, ["vcenter", "datastore"]) => {
            Answer(StatusCode::OK, Some(model::datastores()))
        }
        (Method::GET, ["vcenter", "network"]) => Answer(StatusCode::OK, Some(model::networks())),
        (Method::GET, ["vcenter", "folder"]) => Answer(StatusCode::OK, Some(model::folders())),
        _ => Answer(StatusCode::NOT_FOUND, None),
    };
    reply(rest, answer)
}

fn power(st: &mut Model, id: &str, action: Option<String>, rest: bool) -> Answer {
    let Some(action) = action else {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "action is required",
        );
    };
    match st.power(id, &action) {
        Ok(()) => Answer(
            if rest {
                StatusCode::OK
            } else {
                StatusCode::NO_CONTENT
            },
            None,
        ),
        Err(("NOT_FOUND", message)) => error(StatusCode::NOT_FOUND, "NOT_FOUND", &message),
        Err((kind, message)) => error(StatusCode::BAD_REQUEST, kind, &message),
    }
}

fn faulty(fault: Fault, path: &str) -> Response {
    let mut response = Response::new(Body::empty());
    match fault {
        Fault::Status(status) => {
            *response.status_mut() = StatusCode::from_u16(status).expect("a status");
            if matches!(status, 429 | 503) {
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, "0".parse().expect("header"));
            }
        }
        Fault::Oversized(bytes) => {
            let body = format!("\"{}\"", "x".repeat(bytes.saturating_sub(2)));
            *response.body_mut() = Body::from(body);
            response
                .headers_mut()
                .insert(CONTENT_TYPE, "application/json".parse().expect("header"));
        }
        Fault::RedirectTo(origin) => {
            *response.status_mut() = StatusCode::TEMPORARY_REDIRECT;
            let location = format!("{origin}{path}");
            response
                .headers_mut()
                .insert(LOCATION, location.parse().expect("header"));
        }
    }
    response
}

fn unauthenticated() -> Answer {
    error(
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
        "Authentication required.",
    )
}

fn not_found(id: &str) -> Answer {
    error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        &format!("{id} not found"),
    )
}

/// An error as `/api` words it; `reply` rewords it for `/rest`.
fn error(status: StatusCode, kind: &str, message: &str) -> Answer {
    Answer(
        status,
        Some(json!({"error_type": kind,
                     "messages": [{"id": "fake", "default_message": message, "args": []}]})),
    )
}

fn reply(rest: bool, Answer(status, body): Answer) -> Response {
    let body = match body {
        Some(mut value) if rest && !status.is_success() => {
            let kind = value["error_type"]
                .as_str()
                .unwrap_or("error")
                .to_ascii_lowercase();
            let messages = value["messages"].take();
            Some(json!({"type": format!("com.vmware.vapi.std.errors.{kind}"),
                        "value": {"messages": messages}}))
        }
        Some(value) if rest => Some(json!({ "value": value })),
        other => other,
    };
    let mut response = Response::new(match &body {
        Some(value) => Body::from(serde_json::to_vec(value).expect("JSON")),
        None => Body::empty(),
    });
    *response.status_mut() = status;
    if body.is_some() {
        response
            .headers_mut()
            .insert(CONTENT_TYPE, "application/json".parse().expect("header"));
    }
    response
}

/// `Basic base64(user:password)`.
fn basic(user: &str, password: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{user}:{password}").into_bytes();
    let mut out = String::from("Basic ");
    for chunk in input.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn basic_auth_is_base64() {
        assert_eq!(
            super::basic("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(super::basic("a", "b"), "Basic YTpi");
    }
}
