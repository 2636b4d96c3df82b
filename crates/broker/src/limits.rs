//! Limits on the broker's connections, so that no peer can starve the others:
//!
//! - each socket serves at most so many connections at once ([`Slots`]): a flood of assistant
//!   connections never takes the command line's slots, and a connection over the limit is
//!   told why and closed at once (never parked in the backlog, where it would hold a
//!   descriptor and wait);
//! - a connection that sends nothing for [`IDLE_TIMEOUT`] is closed ([`Activity`]); an MCP
//!   client quiet for half of that is pinged first, and its answer counts as sending.
//!
//! Refusals are logged, and put on the audit log, once per burst at most ([`Tally`]): the
//! person learns that something flooded a socket without the flood filling the log.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use latchkey_audit::Decision;
use rmcp::model::{PingRequest, ServerRequest};
use rmcp::{Peer, RoleServer};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::pipeline::admin::{Actor, Event};
use crate::pipeline::audit::Audit;

/// Assistant connections (MCP) served at once: far more than the assistants one person runs.
pub const MAX_MCP_CONNECTIONS: usize = 64;
/// Command-line connections (control) served at once: each `latchkey` command holds one.
pub const MAX_CONTROL_CONNECTIONS: usize = 16;
/// A connection that sends nothing for this long is closed. Long enough that an assistant
/// between tasks keeps its session (it answers the ping sent at half time) and a person
/// typing at a `latchkey` prompt is not cut off; short enough that a stuck or abandoned peer
/// gives its slot back within minutes.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// Refusals of one kind are recorded at most this often; the count covers those in between.
const RECORD_REFUSALS_EVERY: Duration = Duration::from_secs(60);

/// The idle timeout in force: [`IDLE_TIMEOUT`], or shorter with `LATCHKEY_IDLE_TIMEOUT_SECS`
/// (tests use it).
pub fn idle_timeout() -> Duration {
    static IDLE: std::sync::LazyLock<Duration> =
        std::sync::LazyLock::new(|| shortened_from_env("LATCHKEY_IDLE_TIMEOUT_SECS", IDLE_TIMEOUT));
    *IDLE
}

/// `default`, or the whole seconds in `var` when that is shorter (at least one): an override
/// for tests that can never make a wait longer.
pub(crate) fn shortened_from_env(var: &str, default: Duration) -> Duration {
    std::env::var(var)
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map_or(default, |secs| {
            Duration::from_secs(secs.max(1)).min(default)
        })
}

/// Counts refusals and says when to record them: the first of a burst, then at most one per
/// period while it lasts, each with the number refused since the last record.
#[derive(Debug)]
pub(crate) struct Tally {
    every: Duration,
    recorded_at: Option<Instant>,
    unrecorded: u64,
}

impl Tally {
    pub(crate) fn new(every: Duration) -> Self {
        Self {
            every,
            recorded_at: None,
            unrecorded: 0,
        }
    }

    /// Counts one refusal; returns how many to record (this one and those not yet recorded)
    /// when it is time to.
    pub(crate) fn refused(&mut self, now: Instant) -> Option<u64> {
        self.unrecorded += 1;
        if self
            .recorded_at
            .is_some_and(|at| now.duration_since(at) < self.every)
        {
            return None;
        }
        self.recorded_at = Some(now);
        Some(std::mem::take(&mut self.unrecorded))
    }
}

/// The connections one socket serves at once.
#[derive(Debug)]
pub(crate) struct Slots {
    /// `mcp`, `control` or `http`, for the log and the audit.
    socket: &'static str,
    limit: usize,
    free: Arc<Semaphore>,
    refusals: Mutex<Tally>,
}

impl Slots {
    pub(crate) fn new(socket: &'static str, limit: usize) -> Self {
        Self {
            socket,
            limit,
            free: Arc::new(Semaphore::new(limit)),
            refusals: Mutex::new(Tally::new(RECORD_REFUSALS_EVERY)),
        }
    }

    /// How many connections this socket serves at once.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// A slot for a new connection (held until it is dropped), or `None` when all are taken:
    /// the refusal is then counted, and logged and audited once per burst.
    pub(crate) fn take(&self, audit: &Arc<Audit>) -> Option<OwnedSemaphorePermit> {
        if let Ok(slot) = Arc::clone(&self.free).try_acquire_owned() {
            return Some(slot);
        }
        let refused = self
            .refusals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .refused(Instant::now());
        if let Some(refused) = refused {
            tracing::warn!(
                "refused {refused} connection(s) to the {} socket: {} are open, the most it serves",
                self.socket,
                self.limit
            );
            let event = Event {
                action: "connections.refused",
                details: serde_json::json!({
                    "socket": self.socket,
                    "limit": self.limit,
                    "refused_since_last_entry": refused,
                }),
                domain: None,
                decision: Decision::RefusedRateLimited,
            };
            let audit = Arc::clone(audit);
            // Off the accept loop: the next connection is not kept waiting on the disk.
            tokio::spawn(async move {
                if let Err(e) = audit.admin(&Actor::latchkey(), event).await {
                    tracing::error!("could not record refused connections: {e}");
                }
            });
        }
        None
    }
}

/// When a connection last sent something.
#[derive(Debug, Clone)]
pub(crate) struct Activity(Arc<Mutex<Instant>>);

impl Activity {
    /// Activity starting now (the connection just came).
    pub(crate) fn now() -> Self {
        Self(Arc::new(Mutex::new(Instant::now())))
    }

    fn last(&self) -> Instant {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn touch(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    /// `read`, noting here each time it yields bytes.
    pub(crate) fn noting<R>(&self, read: R) -> Noting<R> {
        Noting {
            read,
            activity: self.clone(),
        }
    }

    /// Resolves once the peer has sent nothing for `idle`. An MCP client quiet for half of it
    /// is pinged: a live one answers (which is sending), so only one that is stuck or gone
    /// is let go. A peer that cannot be pinged (a protocol without server requests) just
    /// runs out its time.
    pub(crate) async fn quiet_for(&self, idle: Duration, peer: &Peer<RoleServer>) {
        loop {
            let last = self.last();
            let (ping_at, close_at) = (last + idle / 2, last + idle);
            let now = Instant::now();
            if now >= close_at {
                return;
            }
            if now < ping_at {
                tokio::time::sleep_until(ping_at).await;
                continue;
            }
            let ping = peer.send_request(ServerRequest::PingRequest(PingRequest::default()));
            if !matches!(tokio::time::timeout_at(close_at, ping).await, Ok(Ok(_))) {
                tokio::time::sleep_until(close_at).await;
            }
        }
    }
}

/// A reader that notes in its [`Activity`] each time the peer sends something.
#[derive(Debug)]
pub(crate) struct Noting<R> {
    read: R,
    activity: Activity,
}

impl<R: AsyncRead + Unpin> AsyncRead for Noting<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.read).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_refusals_is_recorded_once_per_period_with_its_count() {
        let mut tally = Tally::new(Duration::from_secs(60));
        let start = Instant::now();
        assert_eq!(tally.refused(start), Some(1));
        for i in 1..1000 {
            assert_eq!(tally.refused(start + Duration::from_millis(i)), None);
        }
        assert_eq!(tally.refused(start + Duration::from_secs(61)), Some(1000));
    }
}
