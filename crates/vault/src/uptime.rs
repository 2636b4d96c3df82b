//! `Uptime`: the clock unlock sessions run on. It keeps counting while the machine sleeps, so
//! a 4-hour unlock means 4 hours of wall time, not 4 hours of being awake.
//!
//! [`std::time::Instant`] does not: on Linux it is `CLOCK_MONOTONIC`, which stops during
//! suspend. Linux uses `CLOCK_BOOTTIME`; macOS `mach_continuous_time` (type-checked only).
//! Neither jumps when the wall clock is set.

use std::ops::{Add, Sub};
use std::time::Duration;

/// A point in time since boot, sleep included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uptime(Duration);

impl Uptime {
    pub fn now() -> Self {
        Self(since_boot())
    }

    /// The time from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Self) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

impl Add<Duration> for Uptime {
    type Output = Self;
    fn add(self, rhs: Duration) -> Self {
        Self(self.0.saturating_add(rhs))
    }
}

/// Saturating: never panics when `rhs` is later.
impl Sub for Uptime {
    type Output = Duration;
    fn sub(self, rhs: Self) -> Duration {
        self.saturating_duration_since(rhs)
    }
}

#[cfg(target_os = "linux")]
fn since_boot() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

// In libSystem (macOS 10.12+); the libc crate does not declare it.
#[cfg(target_os = "macos")]
#[allow(unsafe_code)]
unsafe extern "C" {
    fn mach_continuous_time() -> u64;
}

// libc marks the mach timebase items deprecated in favour of the mach2 crate; not worth a
// new dependency for two calls.
#[cfg(target_os = "macos")]
#[allow(deprecated)]
fn since_boot() -> Duration {
    // SAFETY: both calls only read the kernel's clock; `info` is a plain out-parameter.
    #[allow(unsafe_code)]
    let (ticks, info) = unsafe {
        let mut info = libc::mach_timebase_info { numer: 0, denom: 0 };
        libc::mach_timebase_info(&mut info);
        (mach_continuous_time(), info)
    };
    let (numer, denom) = (u128::from(info.numer.max(1)), u128::from(info.denom.max(1)));
    let nanos = u128::from(ticks) * numer / denom;
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn since_boot() -> Duration {
    use std::sync::OnceLock;
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_advances() {
        let t0 = Uptime::now();
        std::thread::sleep(Duration::from_millis(20));
        assert!(Uptime::now() - t0 >= Duration::from_millis(20));
    }

    /// What tells it from `Instant`; suspending the machine to watch it is not possible in
    /// a test (nor in this CI's container).
    #[cfg(target_os = "linux")]
    #[test]
    fn it_is_clock_boottime() {
        let boot = || {
            let t = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
            Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
        };
        let (before, now, after) = (boot(), Uptime::now(), boot());
        assert!(before <= now.0 && now.0 <= after);
    }

    #[test]
    fn arithmetic_saturates() {
        let t = Uptime(Duration::from_secs(5));
        assert_eq!(t - (t + Duration::from_secs(1)), Duration::ZERO);
        assert_eq!((t + Duration::from_secs(3)) - t, Duration::from_secs(3));
    }
}
