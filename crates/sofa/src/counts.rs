//! The fast path: how far behind one version is, from the precomputed suffix tallies
//! (a binary search, no allocation). The fleet report runs this once per device.

use schemars::JsonSchema;
use serde::Serialize;

use crate::{IndexedFeed, Version};

/// Where a version stands. Only a release the feed lists, of a major Apple still patches, is
/// current or behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum VersionState {
    /// The newest release of a major Apple still patches.
    Current,
    /// A release of a major Apple still patches, with newer releases out.
    Behind,
    /// Its major gets no security updates any more (see [`IndexedFeed::patched_majors`]).
    EndOfLife,
    /// Not a release the feed lists (a typo, a build Apple never published, or one newer than
    /// the feed): neither current nor behind can be said.
    Unknown,
}

/// Distinct CVEs by the severity the feed states (only feeds that state one), and those it
/// states none for: most CVEs carry no severity, so "high 0" alone would mislead.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
    /// No severity stated.
    pub unrated: usize,
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

    /// CVEs with a stated severity.
    fn rated(&self) -> usize {
        self.critical + self.high + self.medium + self.low + self.other
    }
}

/// How far one version is behind its major's newest release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StatusCounts {
    /// The version's major.
    pub major: u32,
    /// Current, behind, end of life, or unknown (not a listed release).
    pub state: VersionState,
    /// Releases of this major newer than the version (compared by number for an unknown one).
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
        let state = if !self.is_patched(major.major) {
            VersionState::EndOfLife
        } else if major.versions.binary_search(version).is_err() {
            VersionState::Unknown
        } else if releases_behind == 0 {
            VersionState::Current
        } else {
            VersionState::Behind
        };
        let mut severity = tally.severity;
        severity.unrated = tally.cves.saturating_sub(severity.rated());
        Some(StatusCounts {
            major: major.major,
            state,
            releases_behind,
            cves_fixed_later: tally.cves,
            actively_exploited_fixed_later: tally.exploited,
            kev_fixed_later: major.has_kev.then_some(tally.kev),
            severity_fixed_later: major.has_severity.then_some(severity),
        })
    }
}
