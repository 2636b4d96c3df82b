//! Unlock sessions: the secrets of unlocked domains, held in memory for a bounded time.
//!
//! A domain is unlocked after one presence check and stays usable until its TTL runs out,
//! until it has been idle too long (when an idle timeout is set), or until it is locked (by
//! the user, or on sleep and screen lock). Time is measured with [`Uptime`], a clock that
//! wall-clock changes cannot stretch and that keeps counting while the machine sleeps (an
//! unlock's time runs out during a suspend, not after it). Locked or expired secrets are dropped, and
//! so zeroized, as soon as the sweep sees them; a read checks the deadlines itself, so an
//! expired secret is never handed out even before the sweep.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{CredentialId, Domain, Error, SecretString, Uptime};

/// How long an unlock lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockPolicy {
    ttl: Duration,
    idle: Option<Duration>,
}

impl UnlockPolicy {
    /// The default time an unlock lasts: 4 hours.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(4 * 3600);
    /// The shortest TTL one may choose.
    pub const MIN_TTL: Duration = Duration::from_secs(5 * 60);
    /// The longest TTL one may choose.
    pub const MAX_TTL: Duration = Duration::from_secs(12 * 3600);
    /// The shortest idle timeout one may choose.
    pub const MIN_IDLE: Duration = Duration::from_secs(60);

    /// A policy with `ttl` (5 min to 12 h) and an optional idle timeout (at least a minute,
    /// at most the TTL); out-of-range values are refused with the field's name.
    pub fn new(ttl: Duration, idle: Option<Duration>) -> Result<Self, Error> {
        if !(Self::MIN_TTL..=Self::MAX_TTL).contains(&ttl) {
            return Err(Error::OutOfRange {
                field: "ttl",
                range: "between 5 minutes and 12 hours",
            });
        }
        if let Some(idle) = idle
            && !(Self::MIN_IDLE..=ttl).contains(&idle)
        {
            return Err(Error::OutOfRange {
                field: "idle_timeout",
                range: "at least 1 minute and no longer than the unlock time",
            });
        }
        Ok(Self { ttl, idle })
    }

    /// How long an unlock lasts.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// How long an unused unlock lasts, if limited.
    pub fn idle(&self) -> Option<Duration> {
        self.idle
    }

    /// This policy with another TTL (e.g. one chosen for a single unlock), keeping the idle
    /// timeout when it still fits.
    pub fn with_ttl(self, ttl: Duration) -> Result<Self, Error> {
        Self::new(ttl, self.idle.filter(|idle| *idle <= ttl))
    }
}

impl Default for UnlockPolicy {
    fn default() -> Self {
        Self {
            ttl: Self::DEFAULT_TTL,
            idle: None,
        }
    }
}

/// An unlocked domain's state, for status displays. Never carries a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionState {
    /// Time until the domain locks itself: the earlier of its TTL and its idle deadline.
    pub remaining: Duration,
    /// Whether the idle timeout, not the TTL, is the nearer deadline.
    pub idle_limited: bool,
}

/// The unlocked domains.
#[derive(Debug)]
pub struct Sessions {
    domains: RwLock<HashMap<Domain, Session>>,
    /// The origin of the `last_used` counters (nanoseconds since this instant).
    epoch: Uptime,
}

#[derive(Debug)]
struct Session {
    secrets: HashMap<CredentialId, Arc<SecretString>>,
    expires: Uptime,
    idle: Option<Duration>,
    /// Nanoseconds after `Sessions::epoch` of the last read; atomic so reads share the lock.
    last_used: AtomicU64,
}

impl Session {
    /// When this session locks itself.
    fn deadline(&self, epoch: Uptime) -> (Uptime, bool) {
        match self.idle {
            Some(idle) => {
                let idle_deadline =
                    epoch + Duration::from_nanos(self.last_used.load(Ordering::Relaxed)) + idle;
                if idle_deadline < self.expires {
                    (idle_deadline, true)
                } else {
                    (self.expires, false)
                }
            }
            None => (self.expires, false),
        }
    }
}

impl Default for Sessions {
    fn default() -> Self {
        Self::new()
    }
}

impl Sessions {
    /// No domain unlocked.
    pub fn new() -> Self {
        Self {
            domains: RwLock::new(HashMap::new()),
            epoch: Uptime::now(),
        }
    }

    /// Holds `secrets` as `domain`'s for as long as `policy` says, replacing any earlier
    /// unlock of it (whose secrets are wiped).
    pub fn unlock(
        &self,
        domain: Domain,
        secrets: Vec<(CredentialId, SecretString)>,
        policy: UnlockPolicy,
    ) {
        self.unlock_at(domain, secrets, policy, Uptime::now());
    }

    fn unlock_at(
        &self,
        domain: Domain,
        secrets: Vec<(CredentialId, SecretString)>,
        policy: UnlockPolicy,
        now: Uptime,
    ) {
        let session = Session {
            secrets: secrets
                .into_iter()
                .map(|(id, secret)| (id, Arc::new(secret)))
                .collect(),
            expires: now + policy.ttl,
            idle: policy.idle,
            last_used: AtomicU64::new(self.nanos(now)),
        };
        self.write().insert(domain, session);
    }

    /// The secret of credential `id` in `domain`, or [`Error::DomainLocked`]. Counts as use
    /// for the idle timeout. Lock-free apart from a shared read lock: this is the hot path.
    pub fn secret(&self, domain: &Domain, id: &CredentialId) -> Result<Arc<SecretString>, Error> {
        self.secret_at(domain, id, Uptime::now())
    }

    fn secret_at(
        &self,
        domain: &Domain,
        id: &CredentialId,
        now: Uptime,
    ) -> Result<Arc<SecretString>, Error> {
        let locked = || Error::DomainLocked {
            domain: domain.clone(),
        };
        let domains = self.read();
        let session = domains.get(domain).ok_or_else(locked)?;
        if session.deadline(self.epoch).0 <= now {
            return Err(locked());
        }
        let secret = session
            .secrets
            .get(id)
            .ok_or_else(|| Error::NotFound(id.clone()))?;
        session.last_used.store(self.nanos(now), Ordering::Relaxed);
        Ok(Arc::clone(secret))
    }

    /// Whether `domain` is unlocked, and for how long.
    pub fn state(&self, domain: &Domain) -> Option<SessionState> {
        self.state_at(domain, Uptime::now())
    }

    fn state_at(&self, domain: &Domain, now: Uptime) -> Option<SessionState> {
        let domains = self.read();
        let (deadline, idle_limited) = domains.get(domain)?.deadline(self.epoch);
        (deadline > now).then(|| SessionState {
            remaining: deadline - now,
            idle_limited,
        })
    }

    /// Every unlocked domain with its state, sorted by domain.
    pub fn unlocked(&self) -> Vec<(Domain, SessionState)> {
        let now = Uptime::now();
        let domains: Vec<Domain> = self.read().keys().cloned().collect();
        let mut open: Vec<_> = domains
            .into_iter()
            .filter_map(|d| self.state_at(&d, now).map(|s| (d, s)))
            .collect();
        open.sort_by(|a, b| a.0.cmp(&b.0));
        open
    }

    /// Locks `domain`, wiping its secrets; whether it was unlocked.
    pub fn lock(&self, domain: &Domain) -> bool {
        self.write().remove(domain).is_some()
    }

    /// Locks every domain; how many were unlocked.
    pub fn lock_all(&self) -> usize {
        let mut domains = self.write();
        let count = domains.len();
        domains.clear();
        count
    }

    /// Replaces one credential's secret in an unlocked session (after rotation), so tools
    /// use the new one without a second unlock. Does nothing when the domain is locked.
    pub fn replace(&self, domain: &Domain, id: &CredentialId, secret: SecretString) {
        if let Some(session) = self.write().get_mut(domain) {
            session.secrets.insert(id.clone(), Arc::new(secret));
        }
    }

    /// Drops one credential's secret from its session (after removal); a session left with
    /// no secrets is locked.
    pub fn forget(&self, domain: &Domain, id: &CredentialId) {
        let mut domains = self.write();
        if let Some(session) = domains.get_mut(domain) {
            session.secrets.remove(id);
            if session.secrets.is_empty() {
                domains.remove(domain);
            }
        }
    }

    /// Locks every domain whose time is up; the domains locked.
    pub fn sweep(&self) -> Vec<Domain> {
        self.sweep_at(Uptime::now())
    }

    fn sweep_at(&self, now: Uptime) -> Vec<Domain> {
        let mut domains = self.write();
        let expired: Vec<Domain> = domains
            .iter()
            .filter(|(_, s)| s.deadline(self.epoch).0 <= now)
            .map(|(d, _)| d.clone())
            .collect();
        for domain in &expired {
            domains.remove(domain);
        }
        expired
    }

    /// How long until a domain locks itself (on the [`Uptime`] clock), for scheduling the
    /// next [`Self::sweep`].
    pub fn next_deadline(&self) -> Option<Duration> {
        self.next_deadline_at(Uptime::now())
    }

    fn next_deadline_at(&self, now: Uptime) -> Option<Duration> {
        let next = self.read().values().map(|s| s.deadline(self.epoch).0).min();
        next.map(|at| at - now)
    }

    fn nanos(&self, now: Uptime) -> u64 {
        u64::try_from(now.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }

    // A poisoned lock means a panic while holding it; every update is a single map
    // operation, so the map is still consistent.
    fn read(&self) -> RwLockReadGuard<'_, HashMap<Domain, Session>> {
        self.domains.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<Domain, Session>> {
        self.domains.write().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(name: &str) -> Domain {
        Domain::from(name)
    }

    fn minutes(n: u64) -> Duration {
        Duration::from_secs(n * 60)
    }

    fn one(id: &str, secret: &str) -> Vec<(CredentialId, SecretString)> {
        vec![(CredentialId::from(id), SecretString::from(secret))]
    }

    #[test]
    fn policy_bounds_are_named() {
        assert!(UnlockPolicy::new(minutes(5), None).is_ok());
        assert!(UnlockPolicy::new(minutes(12 * 60), Some(minutes(10))).is_ok());
        let err = UnlockPolicy::new(minutes(4), None).unwrap_err();
        assert_eq!(err.field(), Some("ttl"));
        let err = UnlockPolicy::new(minutes(12 * 60 + 1), None).unwrap_err();
        assert_eq!(err.field(), Some("ttl"));
        let err = UnlockPolicy::new(minutes(30), Some(minutes(31))).unwrap_err();
        assert_eq!(err.field(), Some("idle_timeout"));
        assert_eq!(UnlockPolicy::default().ttl(), Duration::from_secs(4 * 3600));
        let shorter = UnlockPolicy::new(minutes(60), Some(minutes(30)))
            .unwrap()
            .with_ttl(minutes(10))
            .unwrap();
        assert_eq!(shorter.idle(), None);
    }

    #[test]
    fn secrets_are_served_until_the_ttl_then_refused_and_swept() {
        let sessions = Sessions::new();
        let jamf = domain("jamf:acme.example.com");
        let t0 = Uptime::now();
        let policy = UnlockPolicy::new(minutes(5), None).unwrap();
        sessions.unlock_at(jamf.clone(), one("a", "s3cret"), policy, t0);

        let got = sessions
            .secret_at(&jamf, &"a".into(), t0 + minutes(4))
            .unwrap();
        assert_eq!(got.expose(), "s3cret");
        let state = sessions.state_at(&jamf, t0 + minutes(4)).unwrap();
        assert_eq!(state.remaining, minutes(1));

        let late = t0 + minutes(5);
        let err = sessions.secret_at(&jamf, &"a".into(), late).unwrap_err();
        assert_eq!(
            err.to_string(),
            "domain jamf:acme.example.com is locked — unlock it from the Latchkey menu"
        );
        assert_eq!(sessions.state_at(&jamf, late), None);
        assert_eq!(sessions.next_deadline_at(t0), Some(minutes(5)));
        assert_eq!(sessions.sweep_at(late), vec![jamf.clone()]);
        assert_eq!(sessions.next_deadline(), None);
    }

    #[test]
    fn idle_timeout_is_pushed_back_by_use() {
        let sessions = Sessions::new();
        let vc = domain("vcenter:vc01.example.com");
        let t0 = Uptime::now();
        let policy = UnlockPolicy::new(minutes(60), Some(minutes(10))).unwrap();
        sessions.unlock_at(vc.clone(), one("v", "pw"), policy, t0);
        let state = sessions.state_at(&vc, t0).unwrap();
        assert!(state.idle_limited);
        assert_eq!(state.remaining, minutes(10));

        sessions
            .secret_at(&vc, &"v".into(), t0 + minutes(9))
            .unwrap();
        assert!(
            sessions
                .secret_at(&vc, &"v".into(), t0 + minutes(18))
                .is_ok()
        );
        // Idle from minute 18: locked at 28.
        assert!(
            sessions
                .secret_at(&vc, &"v".into(), t0 + minutes(28))
                .is_err()
        );
        assert_eq!(sessions.sweep_at(t0 + minutes(28)), vec![vc]);
    }

    #[test]
    fn lock_one_or_all_and_unknown_ids() {
        let sessions = Sessions::new();
        let (a, b) = (domain("jamf:a.example.com"), domain("vault:b.example.com"));
        let policy = UnlockPolicy::default();
        sessions.unlock(a.clone(), one("1", "x"), policy);
        sessions.unlock(b.clone(), one("2", "y"), policy);
        assert!(matches!(
            sessions.secret(&a, &"2".into()),
            Err(Error::NotFound(_))
        ));
        assert_eq!(
            sessions
                .unlocked()
                .iter()
                .map(|(d, _)| d)
                .collect::<Vec<_>>(),
            [&a, &b]
        );
        assert!(sessions.lock(&a));
        assert!(!sessions.lock(&a));
        assert!(sessions.secret(&a, &"1".into()).is_err());
        assert_eq!(sessions.lock_all(), 1);
        assert!(sessions.unlocked().is_empty());
    }

    #[test]
    fn rotation_and_removal_update_an_open_session() {
        let sessions = Sessions::new();
        let a = domain("jamf:a.example.com");
        sessions.unlock(a.clone(), one("1", "old"), UnlockPolicy::default());
        let held = sessions.secret(&a, &"1".into()).unwrap();
        sessions.replace(&a, &"1".into(), "new".into());
        assert_eq!(sessions.secret(&a, &"1".into()).unwrap().expose(), "new");
        // A reader that took the old secret keeps a valid copy until it lets go.
        assert_eq!(held.expose(), "old");
        sessions.forget(&a, &"1".into());
        assert!(sessions.state(&a).is_none());
    }
}
