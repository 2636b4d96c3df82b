//! Which majors Apple still patches, read from the feed itself rather than from a list that
//! ages: Apple ships security updates for the newest major and the two before it, so the three
//! newest majors the feed lists are patched, unless one has had no release since the newest
//! major first shipped (its support ended then). Every other major is end of life.

use std::cmp::Reverse;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;

use crate::model::{Feed, OsVersion};
use crate::{IndexedFeed, Version, VersionState};

/// How many majors Apple patches at once: the newest and the two before it.
pub const PATCHED_MAJOR_COUNT: usize = 3;

/// Why a version gets no security updates any more, and the way out.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EndOfLife {
    /// The major Apple no longer patches.
    pub major: u32,
    /// Its newest release the feed lists; absent for a major older than the feed.
    pub last_release: Option<Version>,
    /// When that release came out: the last security update of the major.
    pub last_release_date: Option<DateTime<Utc>>,
    /// Whole days from then to now.
    pub days_without_updates: Option<i64>,
    /// The majors Apple still patches that this Mac can move to, newest first: all of them
    /// when the model is unknown, else those its hardware runs.
    pub upgrade_to: Vec<u32>,
    /// True when the model is known and runs none of the patched majors: replace, not upgrade.
    pub limited_by_hardware: bool,
    /// The above as one sentence.
    pub message: String,
}

/// The majors Apple still patches, newest first (see the module docs).
pub(crate) fn patched_majors(feed: &Feed) -> Vec<u32> {
    let mut majors: Vec<&OsVersion> = feed.os_versions.iter().collect();
    majors.sort_by_key(|os| Reverse(os.major));
    let Some(newest) = majors.first() else {
        return Vec::new();
    };
    let newest_shipped = newest.releases.iter().filter_map(|r| r.release_date).min();
    let patched_since = |os: &&&OsVersion| match (newest_shipped, os.latest.release_date) {
        (Some(shipped), Some(last)) => last >= shipped,
        _ => true,
    };
    let recent = majors
        .iter()
        .take(PATCHED_MAJOR_COUNT)
        .filter(patched_since);
    recent.map(|os| os.major).collect()
}

impl IndexedFeed {
    /// The majors Apple still patches, newest first: derived from the feed (see `support`).
    pub fn patched_majors(&self) -> &[u32] {
        &self.index.patched
    }

    pub(crate) fn is_patched(&self, major: u32) -> bool {
        self.index.patched.contains(&major)
    }

    /// The state of a version whose major the feed does not cover: end of life when it is
    /// older than every patched major (10.15), else unknown (a major newer than the feed).
    pub(crate) fn state_outside_feed(&self, major: u32) -> VersionState {
        match self.index.patched.last() {
            Some(&oldest) if major < oldest => VersionState::EndOfLife,
            _ => VersionState::Unknown,
        }
    }

    /// Why `version` is end of life and what to move to; `None` when its major is patched
    /// (or unknown). `model` narrows the way out to what the hardware runs.
    pub fn end_of_life(
        &self,
        version: &Version,
        model: Option<&str>,
        now: DateTime<Utc>,
    ) -> Option<EndOfLife> {
        let covered = self.index.major(version.major());
        let state = match covered {
            Some(m) if !self.is_patched(m.major) => VersionState::EndOfLife,
            Some(_) => return None,
            None => self.state_outside_feed(version.major()),
        };
        if state != VersionState::EndOfLife {
            return None;
        }
        let last = covered.map(|m| &self.os(m).latest);
        let info = model.and_then(|m| self.feed.models.get(m.trim()));
        let patched = self.index.patched.iter().copied();
        let upgrade_to: Vec<u32> = match info {
            Some(info) => patched
                .filter(|m| info.supported_majors.contains(m))
                .collect(),
            None => patched.collect(),
        };
        let last_date = last.and_then(|r| r.release_date);
        let days = last_date.map(|d| (now - d).num_days());
        let product = self.product();
        let since = match (last_date, days) {
            (Some(date), Some(days)) => format!(
                "no security updates since {} ({days} days)",
                date.format("%Y-%m-%d")
            ),
            _ => "Apple no longer ships security updates for it".to_owned(),
        };
        let way_out = if upgrade_to.is_empty() {
            format!("this Mac's hardware runs no {product} Apple still patches: replace it")
        } else {
            let mut oldest_first: Vec<String> = upgrade_to.iter().map(u32::to_string).collect();
            oldest_first.reverse();
            format!("upgrade to {product} {}", or_list(&oldest_first))
        };
        Some(EndOfLife {
            major: version.major(),
            last_release: last.map(|r| r.version),
            last_release_date: last_date,
            days_without_updates: days,
            limited_by_hardware: info.is_some() && upgrade_to.is_empty(),
            upgrade_to,
            message: format!("{product} {version} is end of life: {since}; {way_out}"),
        })
    }

    /// The feed's product name ("macOS"), for sentences.
    pub(crate) fn product(&self) -> &str {
        self.feed.product.as_deref().unwrap_or("version")
    }
}

/// "14", "14 or 15", "14, 15 or 26".
fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}
