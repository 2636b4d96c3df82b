//! Bearer tokens. One token per client, kept zeroized in memory until shortly before it expires;
//! fetching happens under the token lock, so concurrent callers wait for one fetch instead of
//! each asking the server (single flight). Token bodies are never logged.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use reqwest::header::ACCEPT;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use tracing::{debug, info};
use zeroize::{Zeroize, Zeroizing};

use crate::transport::{Repeat, endpoint};
use crate::{Auth, JamfClient, JamfError};

/// OAuth token paths, newest first: Jamf Pro 11.x serves the first, 10.49–10.x the second.
/// `Inner::oauth_path` stores the index + 1 of the one that answered.
pub(crate) const OAUTH_PATHS: [&str; 2] = ["api/v1/oauth/token", "api/oauth/token"];
const USER_TOKEN_PATH: &str = "api/v1/auth/token";
const INVALIDATE_PATH: &str = "api/v1/auth/invalidate-token";
/// Refresh this long before expiry (or at half-life for tokens shorter than twice this).
const REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// Lifetime assumed when a user token's `expires` cannot be read (Jamf's default is 30 min).
const FALLBACK_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// A bearer token in use.
pub(crate) struct Token {
    value: Zeroizing<String>,
    fresh_until: Instant,
    generation: u64,
}

impl Token {
    pub(crate) fn expose(&self) -> &str {
        &self.value
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }
}

/// The client's current token, if any, and how many were fetched (to tell them apart).
#[derive(Default)]
pub(crate) struct TokenState {
    current: Option<Arc<Token>>,
    fetched: u64,
}

#[derive(Deserialize)]
struct OAuthToken {
    access_token: String,
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct UserToken {
    token: String,
    expires: Option<String>,
}

impl JamfClient {
    /// A fresh token, fetching one if there is none or it is about to expire.
    pub(crate) async fn token(&self) -> Result<Arc<Token>, JamfError> {
        let mut state = self.inner.token.lock().await;
        if let Some(token) = &state.current
            && Instant::now() < token.fresh_until
        {
            return Ok(token.clone());
        }
        state.current = None;
        let (value, lifetime) = self.fetch_token().await?;
        state.fetched += 1;
        let token = Arc::new(Token {
            value,
            fresh_until: Instant::now() + lifetime.saturating_sub(REFRESH_MARGIN.min(lifetime / 2)),
            generation: state.fetched,
        });
        state.current = Some(token.clone());
        Ok(token)
    }

    /// The server refused token `generation`: forget it, unless another caller already
    /// replaced it (then the replacement is used and no second fetch happens).
    pub(crate) async fn token_rejected(&self, generation: u64) {
        let mut state = self.inner.token.lock().await;
        if state
            .current
            .as_ref()
            .is_some_and(|t| t.generation == generation)
        {
            state.current = None;
        }
    }

    /// Best effort: asks the server to revoke the current token, and forgets it either way.
    /// Not retried: invalidation is not idempotent.
    pub async fn invalidate_token(&self) {
        let Some(token) = self.inner.token.lock().await.current.take() else {
            return;
        };
        let Ok(url) = self.url(INVALIDATE_PATH) else {
            return;
        };
        let endpoint = endpoint(&Method::POST, INVALIDATE_PATH);
        let result = self
            .exchange(&endpoint, Repeat::Never, || {
                self.inner
                    .transport
                    .http()
                    .post(url.clone())
                    .bearer_auth(token.expose())
            })
            .await;
        match result {
            Ok(reply) => debug!(%endpoint, status = %reply.status, "token invalidated"),
            Err(e) => debug!(%endpoint, error = %e, "token invalidation failed; forgotten anyway"),
        }
    }

    /// The token endpoint in use (or to be tried first), for reports.
    pub(crate) fn token_endpoint(&self) -> String {
        let path = match &self.inner.auth {
            Auth::Client { .. } => {
                let known = self.inner.oauth_path.load(Ordering::Relaxed) as usize;
                OAUTH_PATHS[known.saturating_sub(1)]
            }
            Auth::User { .. } => USER_TOKEN_PATH,
        };
        format!("/{path}")
    }

    async fn fetch_token(&self) -> Result<(Zeroizing<String>, Duration), JamfError> {
        match &self.inner.auth {
            Auth::Client {
                client_id,
                client_secret,
            } => {
                let known = self.inner.oauth_path.load(Ordering::Relaxed) as usize;
                let first = known.saturating_sub(1);
                for (index, path) in OAUTH_PATHS.iter().enumerate().skip(first) {
                    let url = self.url(path)?;
                    let endpoint = endpoint(&Method::POST, path);
                    let form = [
                        ("grant_type", "client_credentials"),
                        ("client_id", client_id.as_str()),
                        ("client_secret", client_secret.expose()),
                    ];
                    let mut reply = self
                        .exchange(&endpoint, Repeat::Safe, || {
                            self.inner
                                .transport
                                .http()
                                .post(url.clone())
                                .header(ACCEPT, "application/json")
                                .form(&form)
                        })
                        .await?;
                    if reply.status == StatusCode::NOT_FOUND
                        && known == 0
                        && index + 1 < OAUTH_PATHS.len()
                    {
                        info!(%endpoint, "no OAuth token endpoint here; trying the older path");
                        continue;
                    }
                    let tried =
                        format!("API client {client_id:?} at /{path}: client id or secret refused");
                    let parsed = read_token::<OAuthToken>(&mut reply, &endpoint, tried)?;
                    self.inner
                        .oauth_path
                        .store(index as u8 + 1, Ordering::Relaxed);
                    debug!(%endpoint, "token fetched");
                    let lifetime = Duration::from_secs(parsed.expires_in.unwrap_or(60));
                    return Ok((Zeroizing::new(parsed.access_token), lifetime));
                }
                Err(JamfError::NotFound(format!(
                    "no OAuth token endpoint (tried /{} and /{})",
                    OAUTH_PATHS[0], OAUTH_PATHS[1]
                )))
            }
            Auth::User { username, password } => {
                let url = self.url(USER_TOKEN_PATH)?;
                let endpoint = endpoint(&Method::POST, USER_TOKEN_PATH);
                let mut reply = self
                    .exchange(&endpoint, Repeat::Safe, || {
                        self.inner
                            .transport
                            .http()
                            .post(url.clone())
                            .header(ACCEPT, "application/json")
                            .basic_auth(username, Some(password.expose()))
                    })
                    .await?;
                let tried = format!("user account {username:?}: username or password refused");
                let parsed = read_token::<UserToken>(&mut reply, &endpoint, tried)?;
                debug!(%endpoint, "token fetched");
                let lifetime = parsed
                    .expires
                    .as_deref()
                    .and_then(|e| chrono::DateTime::parse_from_rfc3339(e).ok())
                    .and_then(|at| {
                        (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
                            .to_std()
                            .ok()
                    })
                    .unwrap_or(FALLBACK_LIFETIME);
                Ok((Zeroizing::new(parsed.token), lifetime))
            }
        }
    }
}

/// Maps the token endpoint's status, parses the body and wipes it. Parse errors say only that
/// the shape was wrong: serde's message could quote the token.
fn read_token<T: for<'de> Deserialize<'de>>(
    reply: &mut crate::transport::Reply,
    endpoint: &str,
    tried: String,
) -> Result<T, JamfError> {
    let status = reply.status.as_u16();
    let result = match status {
        200..=299 => serde_json::from_slice::<T>(&reply.body).map_err(|_| JamfError::Parse {
            endpoint: endpoint.to_owned(),
            detail: "the token response is not the expected JSON".into(),
        }),
        400 | 401 | 403 => Err(JamfError::Auth {
            endpoint: endpoint.to_owned(),
            status,
            tried,
        }),
        404 => Err(JamfError::NotFound(endpoint.to_owned())),
        _ => Err(JamfError::Http {
            status,
            endpoint: endpoint.to_owned(),
            attempts: 1,
        }),
    };
    reply.body.zeroize();
    result
}
