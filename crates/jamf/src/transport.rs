//! Every HTTP exchange goes through here: a permit from the client's semaphore for the whole
//! exchange (body included, so "in flight" means what the server sees), retries with backoff
//! and jitter on 408/429/5xx and network errors for idempotent calls only, `Retry-After`
//! honoured up to a cap, one token refresh on a 401, and a cap on how much of an answer is
//! read. A call that changes something is repeated only when it never reached the server.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use reqwest::header::{ACCEPT, HeaderMap, LOCATION, RETRY_AFTER};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use tracing::{debug, warn};

use crate::client::origin_of;
use crate::{JamfClient, JamfError};

/// The longest `Retry-After` obeyed; a server asking for more gets retried sooner, and if it is
/// still busy the call fails with `RateLimited` instead of hanging for minutes.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// The longest computed backoff step.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The most of an answer read for a call that may be repeated: far above a page of 2,000
/// computers with every section, far below what would exhaust memory.
const MAX_READ_BODY: usize = 256 << 20;
/// The most of an answer read for a change: Jamf answers one with a few ids.
pub(crate) const MAX_CHANGE_BODY: usize = 1 << 20;

/// A complete answer: status and the whole body. No `Debug`: the body may be a token.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

/// Whether a call may be repeated without changing anything on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// Idempotent: retried on retryable statuses and transient network errors.
    Safe,
    /// Sent once, whatever happens.
    Never,
    /// A change: retried only when the connection could not be made, so nothing was sent.
    /// Any answer, or any failure after sending, is final.
    UntilSent,
}

impl Repeat {
    fn body_limit(self) -> usize {
        match self {
            Repeat::Safe => MAX_READ_BODY,
            Repeat::Never | Repeat::UntilSent => MAX_CHANGE_BODY,
        }
    }

    fn may_retry(self, e: &reqwest::Error) -> bool {
        match self {
            Repeat::Safe => transient(e),
            Repeat::UntilSent => e.is_connect(),
            Repeat::Never => false,
        }
    }
}

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
                        .http
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

    /// Sends the request built by `build` until it succeeds, fails for good, or the retries
    /// are spent. Returns any final status; the caller decides what it means.
    pub(crate) async fn exchange(
        &self,
        endpoint: &str,
        repeat: Repeat,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Reply, JamfError> {
        let options = &self.inner.options;
        let max_attempts = match repeat {
            Repeat::Safe | Repeat::UntilSent => options.max_retries + 1,
            Repeat::Never => 1,
        };
        let mut attempt = 1;
        loop {
            let outcome = {
                let _permit = self.inner.permits.acquire().await.map_err(|_| {
                    JamfError::InvalidOptions("the client's request permits were closed".into())
                })?;
                send(build(), repeat.body_limit()).await
            };
            let last = attempt >= max_attempts;
            let wait = match outcome {
                Ok((status, headers, _)) if status.is_redirection() => {
                    // Only a redirect to another origin gets here (see `client.rs`).
                    let location = headers.get(LOCATION).and_then(|v| v.to_str().ok());
                    return Err(JamfError::Redirected {
                        server: self.inner.server.clone(),
                        target: origin_of(&self.inner.base, location),
                    });
                }
                Ok((status, _, None)) => return Err(oversized(status, endpoint, repeat)),
                Ok((status, _, Some(body))) if repeat != Repeat::Safe || !retryable(status) => {
                    return Ok(Reply { status, body });
                }
                Ok((status, ..)) if last => return Err(gave_up(status, endpoint, attempt)),
                Ok((status, headers, _)) => {
                    let wait = retry_after(&headers)
                        .unwrap_or_else(|| backoff(options.retry_base_delay, attempt));
                    warn!(%endpoint, %status, attempt, ?wait, "retrying");
                    wait
                }
                Err(e) if last || !repeat.may_retry(&e) => {
                    return Err(network_error(
                        &e,
                        endpoint,
                        attempt,
                        options.request_timeout,
                        repeat,
                    ));
                }
                Err(e) => {
                    let wait = backoff(options.retry_base_delay, attempt);
                    warn!(%endpoint, error = %cause_chain(&e), attempt, ?wait, "retrying");
                    wait
                }
            };
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

/// Network failures worth another try: timeouts, refused or reset connections, cut bodies.
fn transient(e: &reqwest::Error) -> bool {
    e.is_timeout() || e.is_connect() || e.is_request() || e.is_body()
}

/// Sends and reads the whole body, so the permit covers the full exchange. A body over
/// `limit` bytes is not kept: `None` for a success (its content was the point), an empty body
/// for an error status (its text is only ever read for a message).
async fn send(
    request: RequestBuilder,
    limit: usize,
) -> Result<(StatusCode, HeaderMap, Option<Vec<u8>>), reqwest::Error> {
    let mut response = request.send().await?;
    let status = response.status();
    let headers = response.headers().clone();
    let too_big = || (!status.is_success()).then(Vec::new);
    let announced = response.content_length().unwrap_or(0);
    if announced > limit as u64 {
        return Ok((status, headers, too_big()));
    }
    // Content-Length is the server's word: reserve at most 1 MiB on it, grow as bytes arrive.
    // reqwest decompresses gzip before `chunk`, so `limit` counts decompressed bytes.
    let mut body = Vec::with_capacity((announced as usize).min(MAX_CHANGE_BODY));
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok((status, headers, too_big()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, headers, Some(body)))
}

/// A successful answer too large to read. For a change, what matters is that it was made.
fn oversized(status: StatusCode, endpoint: &str, repeat: Repeat) -> JamfError {
    let limit = repeat.body_limit() >> 20;
    let detail = match repeat {
        Repeat::Safe => format!("the answer is over {limit} MiB, so it was not read"),
        Repeat::Never | Repeat::UntilSent => format!(
            "Jamf Pro accepted the change (HTTP {}), but its answer is over {limit} MiB, \
             so it was not read",
            status.as_u16()
        ),
    };
    JamfError::Parse {
        endpoint: endpoint.to_owned(),
        detail,
    }
}

/// `METHOD /path`: how errors and logs name a call (no host, no query, nothing secret).
pub(crate) fn endpoint(method: &Method, path: &str) -> String {
    format!("{method} /{path}")
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

fn retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

fn gave_up(status: StatusCode, endpoint: &str, attempts: u32) -> JamfError {
    match status {
        StatusCode::TOO_MANY_REQUESTS => JamfError::RateLimited {
            endpoint: endpoint.to_owned(),
            attempts,
        },
        status => JamfError::Http {
            status: status.as_u16(),
            endpoint: endpoint.to_owned(),
            attempts,
        },
    }
}

fn network_error(
    e: &reqwest::Error,
    endpoint: &str,
    attempts: u32,
    timeout: Duration,
    repeat: Repeat,
) -> JamfError {
    // Once a change has left, a failure says nothing about whether the server made it.
    if repeat == Repeat::UntilSent && !e.is_connect() {
        let detail = if e.is_timeout() {
            format!("no answer within {}s", timeout.as_secs_f32())
        } else {
            cause_chain(e)
        };
        return JamfError::Unconfirmed {
            endpoint: endpoint.to_owned(),
            detail,
        };
    }
    if e.is_timeout() {
        return JamfError::Timeout {
            endpoint: endpoint.to_owned(),
            after: timeout,
            attempts,
        };
    }
    JamfError::Connect {
        endpoint: endpoint.to_owned(),
        detail: cause_chain(e),
        attempts,
    }
}

/// The causes of a reqwest error, innermost last, without the URL reqwest would print.
fn cause_chain(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    if parts.is_empty() {
        "the request could not be sent".into()
    } else {
        parts.join(": ")
    }
}

/// `Retry-After` as seconds or an HTTP date, capped.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
            (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
                .to_std()
                .unwrap_or_default()
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// Exponential backoff with jitter: around `base * 2^(attempt-1)`, anywhere from half to one
/// and a half times that, so clients that failed together do not retry together.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let step = base
        .saturating_mul(1 << (attempt - 1).min(16))
        .min(MAX_BACKOFF);
    let jitter = step.mul_f64(random_unit());
    step / 2 + jitter
}

/// A number in [0, 1) from the std hasher's random keys; enough for jitter, no RNG crate.
fn random_unit() -> f64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn backoff_grows_and_stays_within_jitter_bounds() {
        let base = Duration::from_millis(100);
        for attempt in 1..=4 {
            let step = base * (1 << (attempt - 1));
            for _ in 0..50 {
                let wait = backoff(base, attempt);
                assert!(
                    wait >= step / 2 && wait < step / 2 + step,
                    "{attempt}: {wait:?}"
                );
            }
        }
        assert!(backoff(Duration::from_secs(10), 30) <= MAX_BACKOFF * 3 / 2);
    }

    #[test]
    fn retry_after_seconds_are_honoured_and_capped() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3600"));
        assert_eq!(retry_after(&headers), Some(MAX_RETRY_AFTER));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
    }
}
