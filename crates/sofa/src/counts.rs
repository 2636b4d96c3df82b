//! The fast path: how far behind one version is, from the precomputed suffix tallies
//! (a binary search, no allocation). The fleet report runs this once per device.

use schemars::JsonSchema;
use serde::Serialize;

use crate::{IndexedFeed, Version};

/// Whether a version is its major's newest release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VersionState {
    /// At (or past) the newest release of its major.
    Current,
    /// Newer releases of its major exist.
    Behind,
}

/// Distinct CVEs by the severity the feed states (only feeds that state one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SeverityCounts {
    /// Severity "Critical".
    pub critical: usize,
    /// Severity "High".
    pub high: usize,
    /// Severity "Medium" (or "Moderate").
    pub medium: usize,
    /// Severity "Low".
    pub low: usize,
    /// Any other stated severity.
    pub other: usize,
}

impl SeverityCounts {
    pub(crate) fn add(&mut self, severity: &str) {
        let is = |name: &str| severity.trim().eq_ignore_ascii_case(name);
        let bucket = if is("critical") {
            &mut self.critical
        } else if is("high") {
            &mut self.high
        } else if is("medium") || is("moderate") {
            &mut self.medium
        } else if is("low") {
            &mut self.low
        } else {
            &mut self.other
        };
        *bucket += 1;
    }
}

/// How far one version is behind its major's newest release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct StatusCounts {
    /// The version's major.
    pub major: u32,
    /// Current or behind.
    pub state: VersionState,
    /// Releases of this major newer than the version.
    pub releases_behind: usize,
    /// Distinct CVEs fixed by those newer releases.
    pub cves_fixed_later: usize,
    /// Of those, the ones listed as actively exploited.
    pub actively_exploited_fixed_later: usize,
    /// Of those, the ones in CISA's KEV catalog; absent when the feed does not say.
    pub kev_fixed_later: Option<usize>,
    /// Those CVEs by severity; absent when the feed states no severities for this major.
    pub severity_fixed_later: Option<SeverityCounts>,
}

impl IndexedFeed {
    /// Counts for one version; `None` when the feed does not cover its major.
    pub fn counts(&self, version: &Version) -> Option<StatusCounts> {
        let major = self.index.major(version.major())?;
        let pos = major.first_after(version);
        let tally = major.after[pos];
        let releases_behind = major.versions.len() - pos;
        Some(StatusCounts {
            major: major.major,
            state: match releases_behind {
                0 => VersionState::Current,
                _ => VersionState::Behind,
            },
            releases_behind,
            cves_fixed_later: tally.cves,
            actively_exploited_fixed_later: tally.exploited,
            kev_fixed_later: major.has_kev.then_some(tally.kev),
            severity_fixed_later: major.has_severity.then_some(tally.severity),
        })
    }
}
