//! Tunables of one client. The defaults suit Jamf Cloud: it throttles bursts, so five requests
//! in flight and pages of 2,000 keep a fleet scan fast without tripping its limits.

use std::time::Duration;

use latchkey_http::TransportOptions;

use crate::JamfError;

/// The largest page the inventory endpoints accept.
pub const MAX_PAGE_SIZE: u32 = 2000;

/// Timeouts, concurrency, retries and paging of one [`crate::JamfClient`].
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// TCP + TLS connect timeout (default 10 s).
    pub connect_timeout: Duration,
    /// Whole-request timeout, per attempt (default 30 s).
    pub request_timeout: Duration,
    /// Requests in flight at once, token requests included (default 5).
    pub max_concurrency: usize,
    /// Retries after the first attempt of an idempotent call (default 3).
    pub max_retries: u32,
    /// First backoff delay; doubled per retry, plus jitter (default 500 ms).
    pub retry_base_delay: Duration,
    /// Page size for full inventory scans, at most 2,000 (default 2,000).
    pub page_size: u32,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_concurrency: 5,
            max_retries: 3,
            retry_base_delay: Duration::from_millis(500),
            page_size: MAX_PAGE_SIZE,
        }
    }
}

impl ClientOptions {
    pub(crate) fn validate(&self) -> Result<(), JamfError> {
        self.transport()
            .validate()
            .map_err(JamfError::InvalidOptions)?;
        if !(1..=MAX_PAGE_SIZE).contains(&self.page_size) {
            return Err(JamfError::InvalidOptions(
                "page_size must be between 1 and 2000".into(),
            ));
        }
        Ok(())
    }

    /// What the HTTP core needs; its body caps (256 MiB for reads, 1 MiB for changes) suit
    /// Jamf's answers as they are.
    pub(crate) fn transport(&self) -> TransportOptions {
        TransportOptions {
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
            max_concurrency: self.max_concurrency,
            max_retries: self.max_retries,
            retry_base_delay: self.retry_base_delay,
            ..TransportOptions::default()
        }
    }
}
