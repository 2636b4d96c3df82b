//! Every HTTP exchange goes through here: a permit from the client's semaphore for the whole
//! exchange (body included, so "in flight" means what the server sees), retries with backoff
//! and jitter on 408/429/5xx (as configured) and network errors for idempotent calls only, `Retry-After`
//! honoured up to a cap, and a cap on how much of an answer is read. A call that changes
//! something is repeated only when it never reached the server. What a status means (a token
//! to refresh, a session to renew) is the API client's business: it gets the final answer.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use reqwest::header::{HeaderMap, LOCATION, RETRY_AFTER};
use reqwest::{ClientBuilder, Method, RequestBuilder, StatusCode, Url};
use tokio::sync::Semaphore;
use tracing::warn;

use crate::origin::{origin_of, same_origin_redirects, server_of};
use crate::{TransportError, TransportOptions};

/// The longest `Retry-After` obeyed; a server asking for more gets retried sooner, and if it is
/// still busy the call fails with `GaveUp` instead of hanging for minutes.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// The longest computed backoff step.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// A complete answer: status and the whole body. Its `Debug` shows the body's length only: the
/// body may be a token.
pub struct Reply {
    /// The final status (any: the caller decides what it means).
    pub status: StatusCode,
    /// The whole body, at most the cap for the call's [`Repeat`].
    pub body: Vec<u8>,
}

/// Whether a call may be repeated without changing anything on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// Idempotent: retried on retryable statuses and transient network errors.
    Safe,
    /// Sent once, whatever happens.
    Never,
    /// A change: retried only when the connection could not be made, so nothing was sent.
    /// Any answer, or any failure after sending, is final.
    UntilSent,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl Repeat {
    fn may_retry(self, e: &reqwest::Error) -> bool {
        match self {
            Repeat::Safe => transient(e),
            Repeat::UntilSent => e.is_connect(),
            Repeat::Never => false,
        }
    }
}

/// One server's HTTP client: its base URL, a reqwest client (rustls, timeouts, same-origin
/// redirects only) and the permits that bound requests in flight to it.
#[derive(Debug)]
pub struct Transport {
    base: Url,
    server: String,
    http: reqwest::Client,
    permits: Semaphore,
    options: TransportOptions,
}

impl Transport {
    /// A transport for `base` (already checked, see [`crate::parse_base`]). `configure` adds
    /// what one API needs (a user agent, a cookie jar, its own TLS settings) to a builder that
    /// already has the timeouts, the redirect policy and https-only for an https base.
    pub fn new(
        base: Url,
        options: TransportOptions,
        configure: impl FnOnce(ClientBuilder) -> ClientBuilder,
    ) -> Result<Self, String> {
        options.validate()?;
        let builder = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .https_only(base.scheme() == "https")
            .redirect(same_origin_redirects());
        let http = configure(builder)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            server: server_of(&base),
            base,
            http,
            permits: Semaphore::new(options.max_concurrency),
            options,
        })
    }

    /// The base URL, ending with `/`.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// The server as `host[:port]`.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The options this transport was built with.
    pub fn options(&self) -> &TransportOptions {
        &self.options
    }

    /// The reqwest client, to build requests for [`Transport::exchange`].
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// `path` (relative, no leading `/`) joined under the base.
    pub fn url(&self, path: &str) -> Result<Url, String> {
        self.base
            .join(path)
            .map_err(|e| format!("cannot form the URL of {path}: {e}"))
    }

    /// The most of an answer read for a call that may be repeated (`Safe`) or for one that
    /// changes something.
    pub fn body_limit(&self, repeat: Repeat) -> usize {
        match repeat {
            Repeat::Safe => self.options.max_body,
            Repeat::Never | Repeat::UntilSent => self.options.max_change_body,
        }
    }

    /// Sends the request built by `build` until it succeeds, fails for good, or the retries
    /// are spent. Returns any final status; the caller decides what it means. `endpoint`
    /// (see [`endpoint`]) names the call in logs and errors.
    pub async fn exchange(
        &self,
        endpoint: &str,
        repeat: Repeat,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Reply, TransportError> {
        let options = &self.options;
        let max_attempts = match repeat {
            Repeat::Safe | Repeat::UntilSent => options.max_retries + 1,
            Repeat::Never => 1,
        };
        let limit = self.body_limit(repeat);
        let mut attempt = 1;
        loop {
            let outcome = {
                // Never closed: the semaphore lives and dies with this transport.
                let _permit = self
                    .permits
                    .acquire()
                    .await
                    .expect("permits are never closed");
                send(build(), limit).await
            };
            let last = attempt >= max_attempts;
            let wait = match outcome {
                Ok((status, headers, _)) if status.is_redirection() => {
                    // Only a redirect to another origin gets here (see `origin.rs`).
                    let location = headers.get(LOCATION).and_then(|v| v.to_str().ok());
                    return Err(TransportError::Redirected {
                        server: self.server.clone(),
                        target: origin_of(&self.base, location),
                    });
                }
                Ok((status, _, None)) => {
                    return Err(TransportError::Oversized {
                        endpoint: endpoint.to_owned(),
                        status: status.as_u16(),
                        limit,
                        change: repeat != Repeat::Safe,
                    });
                }
                Ok((status, _, Some(body)))
                    if repeat != Repeat::Safe
                        || !options.retry_statuses.contains(&status.as_u16()) =>
                {
                    return Ok(Reply { status, body });
                }
                Ok((status, ..)) if last => {
                    return Err(TransportError::GaveUp {
                        endpoint: endpoint.to_owned(),
                        status: status.as_u16(),
                        attempts: attempt,
                    });
                }
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

/// `METHOD /path`: how errors and logs name a call (no host, no query, nothing secret).
pub fn endpoint(method: &Method, path: &str) -> String {
    format!("{method} /{path}")
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
    let mut body = Vec::with_capacity((announced as usize).min(1 << 20));
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok((status, headers, too_big()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, headers, Some(body)))
}

fn network_error(
    e: &reqwest::Error,
    endpoint: &str,
    attempts: u32,
    timeout: Duration,
    repeat: Repeat,
) -> TransportError {
    // Once a change has left, a failure says nothing about whether the server made it.
    if repeat == Repeat::UntilSent && !e.is_connect() {
        let detail = if e.is_timeout() {
            format!("no answer within {}s", timeout.as_secs_f32())
        } else {
            cause_chain(e)
        };
        return TransportError::Unconfirmed {
            endpoint: endpoint.to_owned(),
            detail,
        };
    }
    if e.is_timeout() {
        return TransportError::Timeout {
            endpoint: endpoint.to_owned(),
            after: timeout,
            attempts,
        };
    }
    TransportError::Connect {
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
