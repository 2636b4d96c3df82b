//! How fast one assistant may call tools: a token bucket per assistant, keyed by its
//! executable (so more connections do not buy more calls). A call over the limit is refused
//! before it costs a prompt, a request to a server or a full audit entry; the refusals are
//! recorded once per burst at most (see [`crate::limits::Tally`]), with how many there were.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::limits::Tally;

/// Calls an assistant may make at once after a quiet spell.
pub const CALL_BURST: u32 = 60;
/// Calls an assistant may make a minute, sustained: an agent working through a fleet one
/// Mac at a time stays under it; a loop gone wrong does not.
pub const CALLS_PER_MINUTE: u32 = 120;
/// Refused calls of one assistant are recorded at most this often.
const RECORD_REFUSALS_EVERY: Duration = Duration::from_secs(10);
/// Above this many assistants remembered, those whose buckets have refilled are forgotten.
const REMEMBERED: usize = 64;

/// A call refused for coming too fast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited {
    /// When the assistant may call again.
    pub retry_after: Duration,
    /// The sustained rate allowed.
    pub per_minute: u32,
    /// When this refusal is to be recorded: how many are refused since the last record
    /// (this one included).
    pub record: Option<u64>,
}

/// One assistant's allowance.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
    refusals: Tally,
}

/// The call rate of every assistant.
#[derive(Debug)]
pub struct CallRate {
    /// Calls at once and a minute; `None`: no limit (the bench of a test build).
    limit: Mutex<Option<(u32, u32)>>,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Default for CallRate {
    fn default() -> Self {
        Self {
            limit: Mutex::new(Some((CALL_BURST, CALLS_PER_MINUTE))),
            buckets: Mutex::default(),
        }
    }
}

impl CallRate {
    /// Allows `burst` calls at once and `per_minute` sustained, or (with `None`) any number.
    pub fn set(&self, limit: Option<(u32, u32)>) {
        *lock(&self.limit) = limit.map(|(burst, per_minute)| (burst.max(1), per_minute.max(1)));
        lock(&self.buckets).clear();
    }

    /// Takes one call from `assistant`'s allowance, or says when it may call again.
    pub fn take(&self, assistant: &str) -> Result<(), Limited> {
        let Some((at_once, per_minute)) = *lock(&self.limit) else {
            return Ok(());
        };
        let (burst, per_second) = (f64::from(at_once), f64::from(per_minute) / 60.0);
        let now = Instant::now();
        let mut buckets = lock(&self.buckets);
        if buckets.len() > REMEMBERED {
            buckets.retain(|_, b| b.tokens + per_second * (now - b.at).as_secs_f64() < burst);
        }
        let bucket = buckets
            .entry(assistant.to_owned())
            .or_insert_with(|| Bucket {
                tokens: burst,
                at: now,
                refusals: Tally::new(RECORD_REFUSALS_EVERY),
            });
        bucket.tokens = (bucket.tokens + per_second * (now - bucket.at).as_secs_f64()).min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        Err(Limited {
            retry_after: Duration::from_secs_f64((1.0 - bucket.tokens) / per_second),
            per_minute,
            record: bucket.refusals.refused(now),
        })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_calls_are_refused_per_assistant() {
        let rate = CallRate::default();
        rate.set(Some((3, 60)));
        for _ in 0..3 {
            rate.take("/usr/bin/claude").unwrap();
        }
        let first = rate.take("/usr/bin/claude").unwrap_err();
        assert_eq!(first.record, Some(1));
        assert!(first.retry_after <= Duration::from_secs(1));
        assert_eq!(rate.take("/usr/bin/claude").unwrap_err().record, None);
        rate.take("/usr/bin/codex").unwrap();
        rate.set(None);
        for _ in 0..1000 {
            rate.take("/usr/bin/claude").unwrap();
        }
    }
}
