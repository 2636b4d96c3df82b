//! The CVEs a version is missing, one by one: what `latchkey sofa cves` and the
//! `sofa_cves_fixed_after` tool list. Counts alone come faster from [`IndexedFeed::counts`].

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::{IndexedFeed, SofaError, Version, VersionState, VersionStatus};

/// One CVE fixed in a release newer than the version asked about.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FixedCve {
    /// The CVE id, e.g. "CVE-2026-20643".
    pub id: String,
    /// The first (oldest) release of the major that fixes it.
    pub fixed_in: Version,
    /// Whether Apple says it may have been actively exploited.
    pub actively_exploited: bool,
    /// Whether CISA's Known Exploited Vulnerabilities catalog lists it, when the feed says.
    pub in_kev: Option<bool>,
    /// Severity as the feed gives it, when it does.
    pub severity: Option<String>,
    /// The NIST NVD entry.
    pub nist_url: String,
    /// Apple's security notes for the release that fixes it, when known.
    pub apple_notes_url: Option<String>,
}

impl IndexedFeed {
    /// Every distinct CVE fixed by a release of `version`'s major newer than it, sorted by id.
    /// A version the feed does not list (or whose major it does not cover) is refused with a
    /// sentence saying so: an empty list would read as "nothing missing".
    pub fn cves_fixed_after(&self, version: &Version) -> Result<Vec<FixedCve>, SofaError> {
        let judged = self
            .counts(version)
            .is_some_and(|c| c.state != VersionState::Unknown);
        let major = match self.index.major(version.major()) {
            Some(major) if judged => major,
            _ => {
                // These sentences hold no dates, so any `now` and SLA do.
                let (now, sla) = (chrono::DateTime::UNIX_EPOCH, &crate::UpdateSla::default());
                let message = match self.analyze(version, None, now, sla) {
                    VersionStatus::InFeed(a) => a.message,
                    VersionStatus::NotInFeed(n) => n.message,
                };
                return Err(SofaError::NotJudged(message));
            }
        };
        let os = self.os(major);
        let mut by_id: BTreeMap<&str, FixedCve> = BTreeMap::new();
        // Oldest release first, so the first sighting of an id is where it was fixed.
        for &i in &major.order[major.first_after(version)..] {
            let release = &os.releases[i];
            for cve in &release.cves {
                let entry = by_id.entry(&cve.id).or_insert_with(|| FixedCve {
                    id: cve.id.clone(),
                    fixed_in: release.version,
                    actively_exploited: false,
                    in_kev: None,
                    severity: None,
                    nist_url: cve
                        .nist_url
                        .clone()
                        .unwrap_or_else(|| format!("https://nvd.nist.gov/vuln/detail/{}", cve.id)),
                    apple_notes_url: release.security_info_url.clone(),
                });
                // A later release may add what an earlier one left out.
                entry.actively_exploited |= cve.actively_exploited;
                entry.in_kev = entry.in_kev.or(cve.in_kev);
                entry.severity = entry.severity.take().or_else(|| cve.severity.clone());
            }
        }
        Ok(by_id.into_values().collect())
    }
}
