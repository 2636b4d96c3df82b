//! Tokens: the OAuth client-credentials and user (Basic) token endpoints, invalidation, and
//! the bearer check every other endpoint is behind.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::extract::{Form, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Duration as Days, Utc};
use serde_json::json;

use crate::respond::{api_error, json_response};
use crate::server::MockState;

pub(crate) fn authorized(state: &MockState, headers: &HeaderMap) -> bool {
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

pub(crate) fn issue(state: &MockState) -> String {
    let n = state.issued.fetch_add(1, Ordering::SeqCst) + 1;
    let token = format!("mock-token-{n}-{}", std::process::id());
    let expiry = Instant::now() + state.config.token_lifetime;
    state.tokens.lock().unwrap().insert(token.clone(), expiry);
    token
}

pub(crate) async fn oauth_token(
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

pub(crate) async fn user_token(
    State(state): State<Arc<MockState>>,
    headers: HeaderMap,
) -> Response {
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

/// `GET /api/v1/auth`: the account and its privileges, on one site, as configured.
pub(crate) async fn account(State(state): State<Arc<MockState>>) -> Response {
    let config = &state.config;
    json_response(
        StatusCode::OK,
        &json!({
            "account": {
                "id": "1",
                "username": config.username,
                "accessLevel": "FullAccess",
                "privilegeSet": config.privilege_set,
                "privilegesBySite": { "-1": config.privileges },
            },
            "accountGroups": [],
            "sites": [],
            "authenticationType": "CLIENT_CREDENTIALS",
        }),
    )
}

pub(crate) async fn invalidate(
    State(state): State<Arc<MockState>>,
    headers: HeaderMap,
) -> Response {
    if let Some(token) = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        state.tokens.lock().unwrap().remove(token);
    }
    StatusCode::NO_CONTENT.into_response()
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
