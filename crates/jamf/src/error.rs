//! The crate's one error type. Every message names what went wrong and where (an endpoint path,
//! never a full URL with a query, never a header), so none can carry a secret or a token.

use std::time::Duration;

/// Why a Jamf Pro call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JamfError {
    /// The server address cannot be used.
    #[error("invalid Jamf Pro URL: {0}")]
    InvalidUrl(String),
    /// A serial number failed validation (the message says why).
    #[error("{0}")]
    InvalidSerial(String),
    /// A Jamf computer id failed validation (the message says why).
    #[error("{0}")]
    InvalidId(String),
    /// A section name is not one the inventory API knows.
    #[error("{0}")]
    InvalidSection(String),
    /// A search value or paging argument cannot be used (the message says why).
    #[error("{0}")]
    InvalidArgument(String),
    /// The options given to the client are inconsistent.
    #[error("invalid client options: {0}")]
    InvalidOptions(String),
    /// The server refused the credentials or the token, after what `tried` says was attempted.
    #[error("Jamf Pro refused {endpoint} (HTTP {status}): {tried}")]
    Auth {
        /// The endpoint path that refused.
        endpoint: String,
        /// 400, 401 or 403.
        status: u16,
        /// What the client did before giving up, in plain words.
        tried: String,
    },
    /// The thing asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The server answered with an error status the client does not retry, or kept answering
    /// with a retryable one.
    #[error("Jamf Pro answered HTTP {status} for {endpoint}{}", attempts_note(*attempts))]
    Http {
        /// The status code.
        status: u16,
        /// `METHOD /path` of the call.
        endpoint: String,
        /// Attempts made (1 when not retried).
        attempts: u32,
    },
    /// The server kept answering 429 Too Many Requests.
    #[error("Jamf Pro is rate limiting {endpoint} (HTTP 429){}", attempts_note(*attempts))]
    RateLimited {
        /// `METHOD /path` of the call.
        endpoint: String,
        /// Attempts made.
        attempts: u32,
    },
    /// No answer within the request timeout.
    #[error("{endpoint} timed out after {}s{}", after.as_secs_f32(), attempts_note(*attempts))]
    Timeout {
        /// `METHOD /path` of the call.
        endpoint: String,
        /// The per-request timeout that expired.
        after: Duration,
        /// Attempts made.
        attempts: u32,
    },
    /// The server could not be reached (DNS, refused connection, TLS).
    #[error("cannot reach Jamf Pro for {endpoint}: {detail}{}", attempts_note(*attempts))]
    Connect {
        /// `METHOD /path` of the call.
        endpoint: String,
        /// The cause, without the URL.
        detail: String,
        /// Attempts made.
        attempts: u32,
    },
    /// Jamf Pro refused a request as invalid (400, 409, 422); nothing was changed.
    #[error("Jamf Pro rejected {endpoint} (HTTP {status}): {detail}")]
    Rejected {
        /// `METHOD /path` of the call.
        endpoint: String,
        /// The status code.
        status: u16,
        /// What the server said was wrong, cut short and cleaned of control characters and
        /// of anything the client holds secret.
        detail: String,
    },
    /// A change was sent and no clear answer came back (a 5xx, a timeout, a cut connection):
    /// it may or may not have been made. Such a call is never repeated automatically.
    #[error(
        "{endpoint}: {detail}; the change may or may not have been made: \
         check Jamf Pro before trying again"
    )]
    Unconfirmed {
        /// `METHOD /path` of the call.
        endpoint: String,
        /// What happened instead of an answer.
        detail: String,
    },
    /// The server redirected a request (which carries a secret or a token) to another
    /// origin; the redirect was not followed, so nothing was sent there.
    #[error(
        "Jamf Pro at {server} redirected to another origin ({target}); Latchkey does not send \
         credentials across origins"
    )]
    Redirected {
        /// The configured server, `host[:port]`.
        server: String,
        /// The origin redirected to (`scheme://host[:port]`, no path or query).
        target: String,
    },
    /// The server's answer did not have the expected shape.
    #[error("unexpected answer from {endpoint}: {detail}")]
    Parse {
        /// `METHOD /path` of the call.
        endpoint: String,
        /// What could not be read.
        detail: String,
    },
}

fn attempts_note(attempts: u32) -> String {
    match attempts {
        0 | 1 => String::new(),
        n => format!(" (gave up after {n} attempts)"),
    }
}
