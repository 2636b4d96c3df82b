//! Tunables of one transport. The defaults suit a cloud admin API that throttles bursts: five
//! requests in flight, three retries from half a second, 30 s per attempt.

use std::time::Duration;

/// Timeouts, concurrency, retries and body caps of one [`crate::Transport`].
#[derive(Debug, Clone)]
pub struct TransportOptions {
    /// TCP + TLS connect timeout (default 10 s).
    pub connect_timeout: Duration,
    /// Whole-request timeout, per attempt (default 30 s).
    pub request_timeout: Duration,
    /// Requests in flight at once to this server (default 5).
    pub max_concurrency: usize,
    /// Retries after the first attempt of an idempotent call (default 3).
    pub max_retries: u32,
    /// First backoff delay; doubled per retry, plus jitter (default 500 ms).
    pub retry_base_delay: Duration,
    /// The most of an answer read for a call that may be repeated (default 256 MiB: far above
    /// a page of 2,000 computers with every section, far below what would exhaust memory).
    pub max_body: usize,
    /// The most of an answer read for a change (default 1 MiB: servers answer one with a few
    /// ids).
    pub max_change_body: usize,
    /// The statuses an idempotent call is repeated on (default 408, 429, 500, 502, 503, 504).
    /// An API whose 500 is a final answer with a reason in its body (vCenter) leaves 500 out.
    pub retry_statuses: &'static [u16],
}

/// Timeouts, throttling and the usual transient server errors.
pub const DEFAULT_RETRY_STATUSES: &[u16] = &[408, 429, 500, 502, 503, 504];

impl Default for TransportOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_concurrency: 5,
            max_retries: 3,
            retry_base_delay: Duration::from_millis(500),
            max_body: 256 << 20,
            max_change_body: 1 << 20,
            retry_statuses: DEFAULT_RETRY_STATUSES,
        }
    }
}

impl TransportOptions {
    /// Why these options cannot be used, if they cannot.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_concurrency == 0 {
            return Err("max_concurrency must be at least 1".into());
        }
        if self.request_timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err("timeouts must be longer than zero".into());
        }
        if self.max_body == 0 || self.max_change_body == 0 {
            return Err("body caps must be at least one byte".into());
        }
        Ok(())
    }
}
