//! How an exchange fails before its answer means anything. Every message names the call as
//! `METHOD /path` (never a full URL with a query, never a header), so none can carry a secret.

use std::time::Duration;

/// Why an exchange produced no usable answer.
/// Matched exhaustively by the API clients, which word each case in their server's terms.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The server redirected a request (which carries a credential) to another origin; the
    /// redirect was not followed, so nothing was sent there.
    #[error(
        "{server} redirected to another origin ({target}); Latchkey does not send credentials \
         across origins"
    )]
    Redirected {
        /// The configured server, `host[:port]`.
        server: String,
        /// The origin redirected to (`scheme://host[:port]`, no path or query).
        target: String,
    },
    /// A successful answer too large to read.
    #[error("{endpoint}: {}", oversized_note(*status, *limit, *change, "the server"))]
    Oversized {
        /// `METHOD /path` of the call.
        endpoint: String,
        /// The (successful) status.
        status: u16,
        /// The cap, in bytes.
        limit: usize,
        /// Whether the call was a change (which the server then made).
        change: bool,
    },
    /// The server kept answering with a retryable status (408, 429, 5xx).
    #[error("{endpoint}: HTTP {status}{}", attempts_note(*attempts))]
    GaveUp {
        /// `METHOD /path` of the call.
        endpoint: String,
        /// The last status.
        status: u16,
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
    #[error("cannot reach the server for {endpoint}: {detail}{}", attempts_note(*attempts))]
    Connect {
        /// `METHOD /path` of the call.
        endpoint: String,
        /// The cause, without the URL.
        detail: String,
        /// Attempts made.
        attempts: u32,
    },
    /// A change was sent and no answer came back (a timeout, a cut connection): it may or may
    /// not have been made. Such a call is never repeated automatically.
    #[error(
        "{endpoint}: {detail}; the change may or may not have been made: check the server \
         before trying again"
    )]
    Unconfirmed {
        /// `METHOD /path` of the call.
        endpoint: String,
        /// What happened instead of an answer.
        detail: String,
    },
}

/// The words for an answer over the cap; for a change, what matters is that `who` made it.
pub fn oversized_note(status: u16, limit: usize, change: bool, who: &str) -> String {
    let limit = match limit {
        l if l >= 1 << 20 => format!("{} MiB", l >> 20),
        l if l >= 1 << 10 => format!("{} KiB", l >> 10),
        l => format!("{l} bytes"),
    };
    if change {
        format!(
            "{who} accepted the change (HTTP {status}), but its answer is over {limit}, \
             so it was not read"
        )
    } else {
        format!("the answer is over {limit}, so it was not read")
    }
}

/// ` (gave up after n attempts)`, or nothing for a single attempt.
pub fn attempts_note(attempts: u32) -> String {
    match attempts {
        0 | 1 => String::new(),
        n => format!(" (gave up after {n} attempts)"),
    }
}
