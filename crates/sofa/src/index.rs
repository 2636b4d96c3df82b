//! Per-major indexes, built once when a feed loads so that a version's counts cost a binary
//! search instead of a scan: each major's releases sorted by version, with suffix tallies of
//! the distinct CVEs fixed from each position on (all, actively exploited, KEV, by severity).

use std::collections::HashMap;

use crate::Version;
use crate::counts::SeverityCounts;
use crate::model::{Feed, OsVersion};

/// Indexes over a whole feed.
#[derive(Debug, Clone)]
pub(crate) struct FeedIndex {
    /// One per major, ascending by major.
    pub majors: Vec<MajorIndex>,
    /// Security releases over all majors (excluding `Latest`-only releases awaiting notes).
    pub security_releases: usize,
    /// Distinct CVE ids over all majors.
    pub distinct_cves: usize,
    /// Distinct actively exploited CVE ids over all majors.
    pub distinct_exploited: usize,
    /// The majors Apple still patches, newest first (`support::patched_majors`).
    pub patched: Vec<u32>,
}

/// The index of one major.
#[derive(Debug, Clone)]
pub(crate) struct MajorIndex {
    pub major: u32,
    /// Position of this major in `Feed::os_versions`.
    pub os: usize,
    /// Positions in `OsVersion::releases`, ascending by version.
    pub order: Vec<usize>,
    /// `versions[i]` is the version of release `order[i]`.
    pub versions: Vec<Version>,
    /// `after[i]`: distinct CVEs over releases `order[i..]`; `after[len]` is all zeros.
    pub after: Vec<Tally>,
    /// Whether any CVE of this major states KEV membership / a severity.
    pub has_kev: bool,
    pub has_severity: bool,
}

/// Distinct-CVE counts over a run of releases.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tally {
    pub cves: usize,
    pub exploited: usize,
    pub kev: usize,
    pub severity: SeverityCounts,
}

// Which counters already hold a CVE id.
const SEEN: u8 = 1;
const EXPLOITED: u8 = 2;
const KEV: u8 = 4;
const SEVERITY: u8 = 8;

/// Per distinct CVE id: its flags in the major being indexed, and over all majors.
#[derive(Debug, Clone, Copy)]
struct Mark {
    major: usize,
    flags: u8,
    everywhere: u8,
}

/// CVE ids interned once for the whole feed, so each occurrence costs one hash lookup.
#[derive(Default)]
struct Marks<'a> {
    /// std's randomly seeded SipHash: the ids come from the feed, which a hostile mirror
    /// controls, and a fixed-seed hasher would let it pick colliding ids and stall the broker.
    ids: HashMap<&'a str, usize>,
    marks: Vec<Mark>,
}

impl<'a> Marks<'a> {
    /// The mark of `id`, with its per-major flags reset when `major` first meets it.
    fn get(&mut self, id: &'a str, major: usize) -> &mut Mark {
        let next = self.marks.len();
        let at = *self.ids.entry(id).or_insert(next);
        if at == next {
            self.marks.push(Mark {
                major,
                flags: 0,
                everywhere: 0,
            });
        }
        let mark = &mut self.marks[at];
        if mark.major != major {
            *mark = Mark {
                major,
                flags: 0,
                ..*mark
            };
        }
        mark
    }
}

impl FeedIndex {
    pub fn build(feed: &Feed) -> Self {
        let occurrences = feed.os_versions.iter().flat_map(|os| &os.releases);
        let occurrences = occurrences.map(|r| r.cves.len()).sum();
        let mut marks = Marks::default();
        marks.ids.reserve(occurrences);
        let mut majors: Vec<MajorIndex> = Vec::with_capacity(feed.os_versions.len());
        for (os, entry) in feed.os_versions.iter().enumerate() {
            let mut order: Vec<usize> = (0..entry.releases.len()).collect();
            order.sort_by_key(|&i| entry.releases[i].version);
            let after = tallies(&order, entry, os, &mut marks);
            let cves = entry.releases.iter().flat_map(|r| &r.cves);
            majors.push(MajorIndex {
                major: entry.major,
                os,
                versions: order.iter().map(|&i| entry.releases[i].version).collect(),
                order,
                after,
                has_kev: cves.clone().any(|c| c.in_kev.is_some()),
                has_severity: cves.clone().any(|c| c.severity.is_some()),
            });
        }
        majors.sort_by_key(|m| m.major);
        let releases = feed.os_versions.iter().flat_map(|os| &os.releases);
        let everywhere = marks.marks.iter().map(|m| m.everywhere);
        Self {
            majors,
            security_releases: releases.filter(|r| !r.security_notes_pending).count(),
            distinct_cves: marks.marks.len(),
            distinct_exploited: everywhere.filter(|f| f & EXPLOITED != 0).count(),
            patched: crate::support::patched_majors(feed),
        }
    }

    /// The index of one major, if the feed covers it.
    pub fn major(&self, major: u32) -> Option<&MajorIndex> {
        let at = self.majors.binary_search_by_key(&major, |m| m.major).ok()?;
        self.majors.get(at)
    }
}

/// Suffix tallies of one major: `after[i]` counts the distinct CVEs of releases `order[i..]`.
/// Walks newest to oldest, so each id is counted once, in the newest release fixing it.
fn tallies<'a>(
    order: &[usize],
    entry: &'a OsVersion,
    os: usize,
    marks: &mut Marks<'a>,
) -> Vec<Tally> {
    let mut tally = Tally::default();
    let mut after = vec![tally; order.len() + 1];
    for (pos, &i) in order.iter().enumerate().rev() {
        for cve in &entry.releases[i].cves {
            let mark = marks.get(&cve.id, os);
            let mut first = |flag: u8| {
                let new = mark.flags & flag == 0;
                mark.flags |= flag;
                new
            };
            if first(SEEN) {
                tally.cves += 1;
            }
            if cve.actively_exploited && first(EXPLOITED) {
                tally.exploited += 1;
            }
            if cve.in_kev == Some(true) && first(KEV) {
                tally.kev += 1;
            }
            if let Some(severity) = &cve.severity
                && first(SEVERITY)
            {
                tally.severity.add(severity);
            }
            mark.everywhere |= mark.flags;
        }
        after[pos] = tally;
    }
    after
}

impl MajorIndex {
    /// Position (in `order`) of the first release strictly newer than `version`.
    pub fn first_after(&self, version: &Version) -> usize {
        self.versions.partition_point(|v| v <= version)
    }
}
