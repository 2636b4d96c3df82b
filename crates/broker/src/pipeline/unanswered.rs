//! Questions nobody answered, remembered for a short while: an assistant retrying in a loop
//! is told the person did not answer a moment ago, and the person is not asked the same
//! thing again and again while away from the Mac.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How long a question nobody answered is not asked again.
pub const UNANSWERED_FOR: Duration = Duration::from_secs(120);

/// The questions (by key) nobody answered lately.
#[derive(Debug)]
pub(crate) struct Unanswered<K> {
    until: Mutex<Vec<(K, Instant)>>,
}

impl<K> Default for Unanswered<K> {
    fn default() -> Self {
        Self {
            until: Mutex::new(Vec::new()),
        }
    }
}

impl<K: PartialEq> Unanswered<K> {
    /// Remembers that nobody answered `key` just now.
    pub(crate) fn remember(&self, key: K) {
        let now = Instant::now();
        let mut until = self.lock();
        until.retain(|(k, t)| *t > now && *k != key);
        until.push((key, now + UNANSWERED_FOR));
    }

    /// How long until `key` may be asked again, when nobody answered it a moment ago.
    pub(crate) fn wait_for(&self, key: &K) -> Option<Duration> {
        let now = Instant::now();
        let mut until = self.lock();
        until.retain(|(_, t)| *t > now);
        until.iter().find(|(k, _)| k == key).map(|(_, t)| *t - now)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(K, Instant)>> {
        self.until.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What an assistant is told instead of the person being asked again.
pub(crate) fn not_asked_again(wait: Duration) -> String {
    format!(
        "the person did not answer this a moment ago, so Latchkey does not ask again yet: \
         try again later (in {} s)",
        wait.as_secs().max(1)
    )
}
