//! Update deadlines the way Nudge computes them from SOFA: each missed release is required by
//! its release date plus an SLA (shorter when it fixes an actively exploited CVE), and a Mac on
//! a major Apple no longer patches must move to a patched major within the major-upgrade SLA of
//! the first release of the major that ended its support. A version's deadline is the earliest
//! of these: feeds carry out-of-order dates (13.0.1 dated 2024, 13.1 dated 2022), so the
//! earliest is taken over every missed release, never the oldest by version.

use chrono::{DateTime, Days, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::Release;
use crate::{IndexedFeed, PATCHED_MAJOR_COUNT, Version, VersionState};

/// How many days after a release its update is required: the settings behind every deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct UpdateSla {
    /// For a release fixing at least one actively exploited CVE (default 7).
    pub actively_exploited_days: u32,
    /// For any other security release (default 30).
    pub standard_days: u32,
    /// For moving off a major Apple no longer patches, from the first release of the major
    /// that ended its support (default 90).
    pub major_upgrade_days: u32,
}

impl UpdateSla {
    /// 7 days for an actively exploited fix, 30 for any other, 90 to leave an unpatched major.
    pub const DEFAULT: Self = Self {
        actively_exploited_days: 7,
        standard_days: 30,
        major_upgrade_days: 90,
    };
}

impl Default for UpdateSla {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Which SLA set a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SlaKind {
    /// The release fixes an actively exploited CVE.
    ActivelyExploited,
    /// A security release without actively exploited fixes.
    Standard,
    /// The version's major gets no security updates any more: move to a patched major.
    MajorUpgrade,
}

/// When an update is due, and how late it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UpdateDeadline {
    /// The day (UTC) the update is required by: `release_date` plus `sla_days`.
    pub required_by: NaiveDate,
    /// The release that sets it: a missed release, or for a major upgrade the first release
    /// of the major that ended support.
    pub release: Version,
    /// That release's date (UTC).
    pub release_date: NaiveDate,
    /// Which SLA applies.
    pub sla: SlaKind,
    /// Its length in days.
    pub sla_days: u32,
    /// Whole days past `required_by` today; zero or less when not yet late (-3: due in 3 days).
    pub days_overdue: i64,
    /// True when `required_by` has passed.
    pub overdue: bool,
}

impl UpdateDeadline {
    fn new(release: &Release, sla: SlaKind, days: u32, today: NaiveDate) -> Option<Self> {
        let release_date = release.release_date?.date_naive();
        let required_by = release_date.checked_add_days(Days::new(days.into()))?;
        let days_overdue = (today - required_by).num_days();
        Some(Self {
            required_by,
            release: release.version,
            release_date,
            sla,
            sla_days: days,
            days_overdue,
            overdue: days_overdue > 0,
        })
    }

    /// "required by 2024-01-15, overdue by 3 days" / "due in 3 days" / "due today".
    pub fn describe(&self) -> String {
        let when = match self.days_overdue {
            1 => "overdue by 1 day".to_owned(),
            d if d > 1 => format!("overdue by {d} days"),
            0 => "due today".to_owned(),
            -1 => "due in 1 day".to_owned(),
            d => format!("due in {} days", -d),
        };
        format!("required by {}, {when}", self.required_by)
    }
}

impl UpdateSla {
    /// The deadline of one missed release at `today`; `None` when its date is unknown.
    pub fn for_release(&self, release: &Release, today: NaiveDate) -> Option<UpdateDeadline> {
        let (kind, days) = match release.cves.iter().any(|c| c.actively_exploited) {
            true => (SlaKind::ActivelyExploited, self.actively_exploited_days),
            false => (SlaKind::Standard, self.standard_days),
        };
        UpdateDeadline::new(release, kind, days, today)
    }
}

impl IndexedFeed {
    /// The earliest deadline of `version` at `now`: over the releases of its major it missed,
    /// and for an end-of-life major the upgrade to a patched one. `None` when it is current,
    /// not a release the feed lists, or no date is known.
    pub fn deadline(
        &self,
        version: &Version,
        sla: &UpdateSla,
        now: DateTime<Utc>,
    ) -> Option<UpdateDeadline> {
        let state = match self.counts(version) {
            Some(counts) => counts.state,
            None => self.state_outside_feed(version.major()),
        };
        let today = now.date_naive();
        let missed = match state {
            VersionState::Behind | VersionState::EndOfLife => self.missed(version),
            VersionState::Current | VersionState::Unknown => return None,
        };
        let upgrade = (state == VersionState::EndOfLife)
            .then(|| self.major_upgrade(version.major(), sla, today))
            .flatten();
        (missed.iter().filter_map(|r| sla.for_release(r, today)))
            .chain(upgrade)
            .min_by_key(|d| (d.required_by, d.release))
    }

    /// The releases of `version`'s major newer than it, oldest version first.
    pub(crate) fn missed(&self, version: &Version) -> Vec<&Release> {
        let Some(major) = self.index.major(version.major()) else {
            return Vec::new();
        };
        let os = self.os(major);
        (major.order[major.first_after(version)..].iter())
            .map(|&i| &os.releases[i])
            .collect()
    }

    /// Moving off `major`, which Apple no longer patches: due `major_upgrade_days` after the
    /// first release of the major whose arrival ended its support (the one
    /// [`PATCHED_MAJOR_COUNT`] newer; the newest when it lapsed inside that window). For a
    /// major older than the feed, the feed's oldest possible answer: the true date is earlier.
    fn major_upgrade(
        &self,
        major: u32,
        sla: &UpdateSla,
        today: NaiveDate,
    ) -> Option<UpdateDeadline> {
        let majors = self.majors();
        let newer = majors.iter().filter(|&&m| m > major).count();
        let ending = *majors.get(newer.saturating_sub(PATCHED_MAJOR_COUNT))?;
        let os = self.os_version(ending)?;
        let first = (os.releases.iter())
            .filter(|r| r.release_date.is_some())
            .min_by_key(|r| (r.release_date, r.version))?;
        UpdateDeadline::new(first, SlaKind::MajorUpgrade, sla.major_upgrade_days, today)
    }
}
