//! One version in depth: its major's latest release, every release it missed (oldest first,
//! with Apple's notes link and CVE counts), how long it has been behind, and what the missed
//! releases fixed; for a major Apple no longer patches, since when and what to move to; for a
//! version the feed does not list, the nearest real releases; or an explicit "not in this
//! feed" for a major the feed does not cover.

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::Serialize;

use crate::model::Release;
use crate::{
    EndOfLife, HardwareSupport, IndexedFeed, SofaError, StatusCounts, UpdateDeadline, UpdateSla,
    Version, VersionState,
};

/// The answer for one version.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum VersionStatus {
    /// The feed covers the version's major.
    InFeed(Box<VersionAnalysis>),
    /// The feed does not cover the version's major (e.g. 10.15, or a future 27.0).
    NotInFeed(Box<NotInFeed>),
}

impl VersionStatus {
    /// Current, behind, end of life or unknown, whichever variant holds it.
    pub fn state(&self) -> VersionState {
        match self {
            Self::InFeed(a) => a.counts.state,
            Self::NotInFeed(n) => n.state,
        }
    }
}

/// A version whose major the feed covers.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VersionAnalysis {
    /// The version analyzed, normalized (e.g. "15.1").
    pub version: Version,
    /// Its standing in one sentence, e.g. "macOS 15.1 is 16 releases behind 15.7.5".
    pub message: String,
    /// The feed's label for its major, e.g. "Sequoia 15".
    pub os_label: String,
    /// Whether the feed lists this exact version as a release; when not, the state is unknown.
    pub known_release: bool,
    /// For a version the feed does not list, the nearest releases it does ("did you mean").
    pub did_you_mean: Vec<Version>,
    /// When the major gets no security updates any more: since when, and what to move to.
    pub end_of_life: Option<EndOfLife>,
    /// True when the version is newer than anything the feed knows for its major.
    pub newer_than_feed: bool,
    /// The newest release of the version's major.
    pub latest: ReleaseSummary,
    /// Releases behind and what they fixed.
    pub counts: StatusCounts,
    /// Every newer release of the major, oldest first.
    pub missed: Vec<ReleaseSummary>,
    /// Days from the earliest-dated missed release to `now` (feeds carry out-of-order dates,
    /// so not necessarily the oldest version); absent when nothing was missed or no date is
    /// known.
    pub days_since_first_missed: Option<i64>,
    /// When the update is required by: the earliest deadline among the missed releases (and,
    /// for an end-of-life major, the upgrade); absent when current or unknown.
    pub deadline: Option<UpdateDeadline>,
    /// Ids of the actively exploited CVEs fixed by the missed releases, sorted.
    pub actively_exploited_cve_ids: Vec<String>,
    /// Model support, when a model identifier was given.
    pub hardware: Option<HardwareSupport>,
}

/// A version whose major the feed does not cover.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NotInFeed {
    /// The version asked about.
    pub version: Version,
    /// Its major.
    pub major: u32,
    /// End of life (older than every major Apple patches, e.g. 10.15), else unknown.
    pub state: VersionState,
    /// The majors the feed covers, newest first.
    pub feed_majors: Vec<u32>,
    /// A sentence saying so.
    pub message: String,
    /// For an end-of-life major: what to move to.
    pub end_of_life: Option<EndOfLife>,
    /// For an end-of-life major: when the upgrade to a patched major was required by.
    pub deadline: Option<UpdateDeadline>,
    /// Model support, when a model identifier was given.
    pub hardware: Option<HardwareSupport>,
}

/// One release, as listed in an analysis.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReleaseSummary {
    /// Its version.
    pub version: Version,
    /// `ProductVersion` as the feed spells it.
    pub product_version: String,
    /// Build number, when known.
    pub build: Option<String>,
    /// Release date, when known.
    pub release_date: Option<DateTime<Utc>>,
    /// Apple's security notes for it.
    pub security_info_url: Option<String>,
    /// CVEs it fixed.
    pub cve_count: usize,
    /// Of those, actively exploited.
    pub actively_exploited_count: usize,
    /// Known only from the feed's `Latest`: Apple's notes (and CVE list) may still be missing.
    pub security_notes_pending: bool,
    /// For a missed release: the day its update is required by (its date plus the SLA).
    pub required_by: Option<NaiveDate>,
}

impl From<&Release> for ReleaseSummary {
    fn from(r: &Release) -> Self {
        Self {
            version: r.version,
            product_version: r.product_version.clone(),
            build: r.build.clone(),
            release_date: r.release_date,
            security_info_url: r.security_info_url.clone(),
            cve_count: r.cves.len(),
            actively_exploited_count: r.cves.iter().filter(|c| c.actively_exploited).count(),
            security_notes_pending: r.security_notes_pending,
            required_by: None,
        }
    }
}

impl IndexedFeed {
    /// Analyze a version string such as "15.1" or "13.4.1 (a)", optionally for a Mac model
    /// identifier. `now` dates "days behind" and deadlines (pass `Utc::now()`; fixed in tests),
    /// `sla` sets the deadlines.
    pub fn status(
        &self,
        version: &str,
        model: Option<&str>,
        now: DateTime<Utc>,
        sla: &UpdateSla,
    ) -> Result<VersionStatus, SofaError> {
        Ok(self.analyze(&version.parse()?, model, now, sla))
    }

    /// Why `version` gets no answer: its major is not covered, and which majors are.
    pub fn not_in_feed_message(&self, version: &Version) -> String {
        let majors: Vec<String> = self.majors().iter().map(u32::to_string).collect();
        format!(
            "{} {version} is not in this feed: it covers majors {}",
            self.feed.product.as_deref().unwrap_or("version"),
            majors.join(", ")
        )
    }

    /// [`IndexedFeed::status`] for an already parsed version.
    pub fn analyze(
        &self,
        version: &Version,
        model: Option<&str>,
        now: DateTime<Utc>,
        sla: &UpdateSla,
    ) -> VersionStatus {
        let hardware = model.map(|m| self.hardware_support(m, Some(version.major())));
        let end_of_life = self.end_of_life(version, model, now);
        let deadline = self.deadline(version, sla, now);
        let (Some(major), Some(counts)) = (self.index.major(version.major()), self.counts(version))
        else {
            return VersionStatus::NotInFeed(Box::new(NotInFeed {
                version: *version,
                major: version.major(),
                state: self.state_outside_feed(version.major()),
                feed_majors: self.majors(),
                message: end_of_life.as_ref().map_or_else(
                    || self.not_in_feed_message(version),
                    |eol| eol.message.clone(),
                ),
                end_of_life,
                deadline,
                hardware,
            }));
        };
        let os = self.os(major);
        let missed = self.missed(version);
        let mut exploited: Vec<String> = (missed.iter().flat_map(|r| &r.cves))
            .filter(|c| c.actively_exploited)
            .map(|c| c.id.clone())
            .collect();
        exploited.sort_unstable();
        exploited.dedup();
        let first_date = missed.iter().filter_map(|r| r.release_date).min();
        let known_release = major.versions.binary_search(version).is_ok();
        let did_you_mean = match known_release {
            true => Vec::new(),
            false => self.nearest_releases(version),
        };
        let message = match &end_of_life {
            Some(eol) => eol.message.clone(),
            None => self.standing(version, &counts, &os.latest, &did_you_mean),
        };
        VersionStatus::InFeed(Box::new(VersionAnalysis {
            version: *version,
            message,
            os_label: os.label.clone(),
            known_release,
            did_you_mean,
            end_of_life,
            newer_than_feed: *version > os.latest.version,
            latest: ReleaseSummary::from(&os.latest),
            counts,
            missed: (missed.into_iter())
                .map(|r| ReleaseSummary {
                    required_by: sla.for_release(r, now.date_naive()).map(|d| d.required_by),
                    ..ReleaseSummary::from(r)
                })
                .collect(),
            days_since_first_missed: first_date.map(|d| (now - d).num_days()),
            deadline,
            actively_exploited_cve_ids: exploited,
            hardware,
        }))
    }

    /// The one-sentence standing of a version of a patched major.
    fn standing(
        &self,
        version: &Version,
        counts: &StatusCounts,
        latest: &Release,
        did_you_mean: &[Version],
    ) -> String {
        let product = self.product();
        match counts.state {
            VersionState::Current => format!("{product} {version} is up to date"),
            VersionState::Behind => format!(
                "{product} {version} is {} behind {}: {} CVEs fixed since, {} actively exploited",
                match counts.releases_behind {
                    1 => "1 release".to_owned(),
                    n => format!("{n} releases"),
                },
                latest.version,
                counts.cves_fixed_later,
                counts.actively_exploited_fixed_later
            ),
            VersionState::Unknown | VersionState::EndOfLife => {
                let guess = match did_you_mean.first() {
                    Some(guess) => format!("; did you mean {guess}?"),
                    None => String::new(),
                };
                format!(
                    "{product} {version} is not a release this feed lists (newest {}), so it is neither current nor behind{guess}",
                    latest.version
                )
            }
        }
    }
}
