//! Feed-level answers: a summary (layout, freshness, coverage, totals) and each major's
//! newest release.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;

use crate::{FeedLayout, IndexedFeed, Version};

/// What a loaded feed holds.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FeedSummary {
    /// The layout it was published in.
    pub layout: FeedLayout,
    /// `SchemaVersion`, when stated.
    pub schema_version: Option<String>,
    /// The product it covers ("macOS", "iOS and iPadOS"...), when stated.
    pub product: Option<String>,
    /// When SOFA last checked Apple's sources, when stated.
    pub last_check: Option<DateTime<Utc>>,
    /// The feed's `UpdateHash`.
    pub update_hash: Option<String>,
    /// OS majors covered, newest first.
    pub majors: Vec<u32>,
    /// Of those, the majors Apple still patches, newest first; the others are end of life.
    pub patched_majors: Vec<u32>,
    /// Security releases listed, all majors.
    pub security_releases: usize,
    /// Distinct CVE ids fixed, all majors.
    pub distinct_cves: usize,
    /// Distinct actively exploited CVE ids, all majors.
    pub distinct_actively_exploited_cves: usize,
    /// Mac model identifiers with known OS support.
    pub models: usize,
    /// What was skipped or repaired while reading.
    pub warnings: Vec<String>,
}

/// The newest release of one major.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LatestRelease {
    /// The OS major.
    pub major: u32,
    /// The feed's label for it, e.g. "Tahoe 26".
    pub label: String,
    /// The newest version.
    pub version: Version,
    /// `ProductVersion` as the feed spells it.
    pub product_version: String,
    /// Build, when known.
    pub build: Option<String>,
    /// Release date, when known.
    pub release_date: Option<DateTime<Utc>>,
    /// Apple's security notes for it.
    pub security_info_url: Option<String>,
}

impl IndexedFeed {
    /// Layout, freshness, coverage and totals.
    pub fn summary(&self) -> FeedSummary {
        let feed = &self.feed;
        FeedSummary {
            layout: feed.layout,
            schema_version: feed.schema_version.clone(),
            product: feed.product.clone(),
            last_check: feed.last_check,
            update_hash: feed.update_hash.clone(),
            majors: self.majors(),
            patched_majors: self.patched_majors().to_vec(),
            security_releases: self.index.security_releases,
            distinct_cves: self.index.distinct_cves,
            distinct_actively_exploited_cves: self.index.distinct_exploited,
            models: feed.models.len(),
            warnings: feed.warnings.clone(),
        }
    }

    /// Each major's newest release, newest major first.
    pub fn latest_releases(&self) -> Vec<LatestRelease> {
        let latest = self.feed.os_versions.iter().map(|os| LatestRelease {
            major: os.major,
            label: os.label.clone(),
            version: os.latest.version,
            product_version: os.latest.product_version.clone(),
            build: os.latest.build.clone(),
            release_date: os.latest.release_date,
            security_info_url: os.latest.security_info_url.clone(),
        });
        latest.collect()
    }
}
