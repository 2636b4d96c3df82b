//! What changed between two fetches of a feed: releases added or removed, CVE lists revised
//! (Apple revises old releases' notes), and each major's newest release. Releases are matched
//! by (major, version); duplicates of one version are merged.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;

use crate::Version;
use crate::model::{Feed, Release};

/// The differences between two feeds.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FeedDiff {
    /// Releases only in the new feed, by major then version, ascending.
    pub added: Vec<DiffRelease>,
    /// Releases only in the old feed, by major then version, ascending.
    pub removed: Vec<DiffRelease>,
    /// Releases in both whose CVE lists differ.
    pub revised: Vec<CveRevision>,
    /// Majors whose newest release changed, appeared or disappeared.
    pub latest_changed: Vec<LatestChange>,
}

/// A release added or removed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DiffRelease {
    /// Its OS major.
    pub major: u32,
    /// Its version.
    pub version: Version,
    /// `ProductVersion` as the feed spells it.
    pub product_version: String,
    /// Build, when known.
    pub build: Option<String>,
    /// Release date, when known.
    pub release_date: Option<DateTime<Utc>>,
    /// CVEs it lists.
    pub cve_count: usize,
}

/// A release whose CVE list was revised.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CveRevision {
    /// Its OS major.
    pub major: u32,
    /// Its version.
    pub version: Version,
    /// CVE ids listed now but not before, sorted.
    pub cves_added: Vec<String>,
    /// CVE ids listed before but not now, sorted.
    pub cves_removed: Vec<String>,
}

/// A major whose newest release changed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LatestChange {
    /// The OS major.
    pub major: u32,
    /// Its newest version in the old feed (absent: the major is new).
    pub old: Option<Version>,
    /// Its newest version in the new feed (absent: the major was dropped).
    pub new: Option<Version>,
}

type Key = (u32, Version);

/// One release per key, with the union of the CVE ids of any duplicates.
fn releases(feed: &Feed) -> BTreeMap<Key, (&Release, BTreeSet<&str>)> {
    let mut out: BTreeMap<Key, (&Release, BTreeSet<&str>)> = BTreeMap::new();
    for os in &feed.os_versions {
        for release in &os.releases {
            let entry = out
                .entry((os.major, release.version))
                .or_insert((release, BTreeSet::new()));
            entry.1.extend(release.cves.iter().map(|c| c.id.as_str()));
        }
    }
    out
}

fn listed(((major, version), (release, ids)): (&Key, &(&Release, BTreeSet<&str>))) -> DiffRelease {
    DiffRelease {
        major: *major,
        version: *version,
        product_version: release.product_version.clone(),
        build: release.build.clone(),
        release_date: release.release_date,
        cve_count: ids.len(),
    }
}

/// Compare two feeds (any layouts: both are normalized).
pub fn diff(old: &Feed, new: &Feed) -> FeedDiff {
    let (before, after) = (releases(old), releases(new));
    let added = after
        .iter()
        .filter(|(k, _)| !before.contains_key(k))
        .map(listed)
        .collect();
    let removed = before
        .iter()
        .filter(|(k, _)| !after.contains_key(k))
        .map(listed)
        .collect();
    let strings = |ids: BTreeSet<&&str>| ids.into_iter().map(|id| id.to_string()).collect();
    let revised = (after.iter())
        .filter_map(|(&(major, version), (_, now))| {
            let (_, was) = before.get(&(major, version))?;
            (was != now).then(|| CveRevision {
                major,
                version,
                cves_added: strings(now.difference(was).collect()),
                cves_removed: strings(was.difference(now).collect()),
            })
        })
        .collect();
    let newest = |feed: &Feed| -> BTreeMap<u32, Version> {
        feed.os_versions
            .iter()
            .map(|os| (os.major, os.latest.version))
            .collect()
    };
    let (old_latest, new_latest) = (newest(old), newest(new));
    let majors: BTreeSet<u32> = old_latest
        .keys()
        .chain(new_latest.keys())
        .copied()
        .collect();
    let latest_changed = (majors.into_iter())
        .map(|major| LatestChange {
            major,
            old: old_latest.get(&major).copied(),
            new: new_latest.get(&major).copied(),
        })
        .filter(|change| change.old != change.new)
        .collect();
    FeedDiff {
        added,
        removed,
        revised,
        latest_changed,
    }
}
