//! Jamf's side of every HTTP exchange: latchkey-http's transport does the permits, retries,
//! `Retry-After` and body caps; here a 401 gets one token refresh, statuses become
//! [`JamfError`]s, and the transport's failures are worded as Jamf Pro's.

use latchkey_http::{TransportError, oversized_note};
use reqwest::header::ACCEPT;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use tracing::debug;

pub(crate) use latchkey_http::{Repeat, Reply, endpoint};

use crate::{JamfClient, JamfError};

impl JamfClient {
    /// GET a Jamf Pro API path as JSON.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, JamfError> {
        let reply = self.get(path, query).await?;
        parse_json(&reply.body, &endpoint(&Method::GET, path))
    }

    /// GET with a bearer token; 2xx only (404 becomes `NotFound`, 401/403 `Auth`).
    pub(crate) async fn get(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Reply, JamfError> {
        let url = self.url(path)?;
        let endpoint = endpoint(&Method::GET, path);
        let mut refreshed = false;
        loop {
            let token = self.token().await?;
            let reply = self
                .exchange(&endpoint, Repeat::Safe, || {
                    self.inner
                        .transport
                        .http()
                        .get(url.clone())
                        .query(query)
                        .header(ACCEPT, "application/json")
                        .bearer_auth(token.expose())
                })
                .await?;
            match reply.status {
                StatusCode::UNAUTHORIZED if !refreshed => {
                    debug!(%endpoint, "token refused; fetching a new one and retrying once");
                    self.token_rejected(token.generation()).await;
                    refreshed = true;
                }
                status => return check_status(reply, status, &endpoint, refreshed),
            }
        }
    }

    /// Sends the request built by `build` through the transport (see latchkey-http).
    pub(crate) async fn exchange(
        &self,
        endpoint: &str,
        repeat: Repeat,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Reply, JamfError> {
        Ok(self
            .inner
            .transport
            .exchange(endpoint, repeat, build)
            .await?)
    }
}

pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8], endpoint: &str) -> Result<T, JamfError> {
    serde_json::from_slice(body).map_err(|e| JamfError::Parse {
        endpoint: endpoint.to_owned(),
        detail: format!("invalid JSON: {e}"),
    })
}

fn check_status(
    reply: Reply,
    status: StatusCode,
    endpoint: &str,
    refreshed: bool,
) -> Result<Reply, JamfError> {
    if status.is_success() {
        Ok(reply)
    } else {
        Err(refusal(status, endpoint, refreshed))
    }
}

/// The error for a status that is not a success and not retried (or no longer).
pub(crate) fn refusal(status: StatusCode, endpoint: &str, refreshed: bool) -> JamfError {
    match status.as_u16() {
        401 => JamfError::Auth {
            endpoint: endpoint.to_owned(),
            status: 401,
            tried: if refreshed {
                "fetched a new token and retried once; the server still refused it".into()
            } else {
                "the token was refused".into()
            },
        },
        403 => JamfError::Auth {
            endpoint: endpoint.to_owned(),
            status: 403,
            tried: "the token is valid but lacks the privilege for this endpoint; \
                    add it to the API role or account"
                .into(),
        },
        404 => JamfError::NotFound(endpoint.to_owned()),
        status => JamfError::Http {
            status,
            endpoint: endpoint.to_owned(),
            attempts: 1,
        },
    }
}

fn gave_up(status: u16, endpoint: &str, attempts: u32) -> JamfError {
    match status {
        429 => JamfError::RateLimited {
            endpoint: endpoint.to_owned(),
            attempts,
        },
        status => JamfError::Http {
            status,
            endpoint: endpoint.to_owned(),
            attempts,
        },
    }
}

/// The transport's failures in Jamf Pro's words.
impl From<TransportError> for JamfError {
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::Redirected { server, target } => {
                JamfError::Redirected { server, target }
            }
            TransportError::Oversized {
                endpoint,
                status,
                limit,
                change,
            } => JamfError::Parse {
                endpoint,
                detail: oversized_note(status, limit, change, "Jamf Pro"),
            },
            TransportError::GaveUp {
                endpoint,
                status,
                attempts,
            } => gave_up(status, &endpoint, attempts),
            TransportError::Timeout {
                endpoint,
                after,
                attempts,
            } => JamfError::Timeout {
                endpoint,
                after,
                attempts,
            },
            TransportError::Connect {
                endpoint,
                detail,
                attempts,
            } => JamfError::Connect {
                endpoint,
                detail,
                attempts,
            },
            TransportError::Unconfirmed { endpoint, detail } => {
                JamfError::Unconfirmed { endpoint, detail }
            }
        }
    }
}
