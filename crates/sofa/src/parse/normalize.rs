//! Raw serde layer -> normalized [`Feed`]: majors from labels, versions with RSR letters,
//! releases sorted newest first, `Latest` folded in, CVE details unified.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use super::cves::RawCve;
use super::hardware;
use super::raw::{RawFeed, RawOsVersion, RawRef, RawRelease};
use super::time::timestamp;
use crate::model::{Cve, Feed, FeedLayout, OsVersion, Release, ReleaseRef};
use crate::{SofaError, Version};

pub(super) fn feed(raw: RawFeed) -> Result<Feed, SofaError> {
    let layout = match (&raw.schema_version, &raw.version) {
        (Some(_), _) => FeedLayout::V2Schema,
        (None, Some(_)) => FeedLayout::V2,
        (None, None) => FeedLayout::V1,
    };
    let raw_os = raw.os_versions.unwrap_or_default();
    // Only some layouts name the OS; otherwise the releases do ("macOS", "iOS and iPadOS").
    let product = raw.os_name.or_else(|| {
        let releases = raw_os
            .iter()
            .flat_map(|os| os.latest.iter().chain(os.releases.iter().flatten()));
        releases.filter_map(|r| r.product_name.clone()).next()
    });
    let mut warnings = Vec::new();
    let mut by_major: BTreeMap<u32, OsVersion> = BTreeMap::new();
    let mut model_groups = Vec::new();
    for mut entry in raw_os {
        let groups = entry.supported_models.take().unwrap_or_default();
        let Some(os) = os_version(entry, &mut warnings) else {
            continue;
        };
        model_groups.push((os.major, groups));
        match by_major.get_mut(&os.major) {
            Some(existing) => {
                warnings.push(format!(
                    "major {} is listed twice; releases merged",
                    os.major
                ));
                existing.releases.extend(os.releases);
                sort_newest_first(&mut existing.releases);
                if let Some(newest) = existing.releases.first() {
                    existing.latest = newest.clone();
                }
            }
            None => _ = by_major.insert(os.major, os),
        }
    }
    if by_major.is_empty() {
        return Err(SofaError::NoOsVersions);
    }
    // Older v2 feeds have no `Models`; each major's `SupportedModels` then says the same thing.
    let models = if raw.models.is_empty() {
        hardware::models_from_groups(model_groups)
    } else {
        hardware::models(raw.models)
    };
    Ok(Feed {
        layout,
        schema_version: raw.schema_version,
        product,
        update_hash: raw.update_hash,
        last_check: raw.last_check.as_deref().and_then(timestamp),
        os_versions: by_major.into_values().rev().collect(),
        models,
        devices: hardware::devices(raw.devices),
        warnings,
    })
}

/// The major an `OSVersion` label names: its last number ("Tahoe 26" -> 26, "18" -> 18).
pub(super) fn label_major(label: &str) -> Option<u32> {
    let head = &label[..label.rfind(|c: char| c.is_ascii_digit())? + 1];
    let start = head.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    head[start..].parse().ok()
}

fn os_version(raw: RawOsVersion, warnings: &mut Vec<String>) -> Option<OsVersion> {
    let label = raw.label.unwrap_or_default();
    // `Latest`'s device list belongs to the whole major: releases without their own share it.
    let mut latest = raw.latest;
    let supported_devices = latest.as_mut().and_then(|l| l.supported_devices.take());
    let latest = latest.and_then(|l| release(l, &label, warnings));
    let mut releases: Vec<Release> = (raw.releases.unwrap_or_default().into_iter())
        .filter_map(|r| release(r, &label, warnings))
        .collect();
    if let Some(latest) = latest {
        fold_latest(&mut releases, latest);
    }
    sort_newest_first(&mut releases);
    let Some(newest) = releases.first() else {
        warnings.push(format!(
            "OS entry {label:?} has no readable release; skipped"
        ));
        return None;
    };
    let major = label_major(&label).unwrap_or(newest.version.major());
    Some(OsVersion {
        major,
        label,
        latest: newest.clone(),
        supported_devices: supported_devices.unwrap_or_default(),
        releases,
    })
}

/// Merge the feed's `Latest` entry into the security releases. It may name the same release
/// (v1 only gives the build there), a newer one whose notes Apple has not published yet, or
/// an older one (the feed's `Latest` is not always the newest): then it adds nothing.
fn fold_latest(releases: &mut Vec<Release>, mut latest: Release) {
    if let Some(same) = releases.iter_mut().find(|r| r.version == latest.version) {
        same.build = same.build.take().or(latest.build);
        same.release_date = same.release_date.or(latest.release_date);
        same.security_info_url = same.security_info_url.take().or(latest.security_info_url);
        same.update_name = same.update_name.take().or(latest.update_name);
    } else if releases.iter().all(|r| r.version < latest.version) {
        latest.security_notes_pending = true;
        releases.push(latest);
    }
}

fn sort_newest_first(releases: &mut [Release]) {
    releases.sort_by_key(|r| Reverse(r.version));
}

fn release(raw: RawRelease, label: &str, warnings: &mut Vec<String>) -> Option<Release> {
    let Some(product_version) = non_empty(raw.product_version) else {
        warnings.push(format!(
            "{label}: a release without ProductVersion was skipped"
        ));
        return None;
    };
    let update_name = non_empty(raw.update_name);
    let release_type = non_empty(raw.release_type);
    let version = Version::of_release(
        &product_version,
        update_name.as_deref(),
        release_type.as_deref(),
    );
    let version = match version {
        Ok(version) => version,
        Err(err) => {
            warnings.push(format!("{label}: release skipped: {err}"));
            return None;
        }
    };
    Some(Release {
        version,
        product_version,
        update_name,
        build: non_empty(raw.build),
        release_date: raw.release_date.as_deref().and_then(timestamp),
        release_type,
        security_info_url: non_empty(raw.security_info),
        cves: cves(raw.cves, raw.actively_exploited),
        supported_devices: raw.supported_devices,
        superseded_by: raw.superseded_by.and_then(reference),
        merged_into: raw.merged_into.and_then(reference),
        security_notes_pending: false,
    })
}

/// CVEs sorted by id, one entry per id. Exploited = flagged in the CVE value or listed in
/// `ActivelyExploitedCVEs`; a listed id missing from `CVEs` is still a CVE the release fixed.
fn cves(raw: Vec<RawCve>, exploited: Vec<String>) -> Vec<Cve> {
    let mut cves: Vec<Cve> = (raw.into_iter())
        .filter(|c| !c.id.trim().is_empty())
        .map(|c| Cve {
            id: c.id,
            actively_exploited: c.exploited == Some(true),
            in_kev: c.in_kev,
            severity: non_empty(c.severity),
            nist_url: non_empty(c.nist_url),
        })
        .collect();
    cves.sort_by(|a, b| a.id.cmp(&b.id));
    cves.dedup_by(|a, b| a.id == b.id);
    for id in exploited.into_iter().filter(|id| !id.trim().is_empty()) {
        match cves.binary_search_by(|c| c.id.cmp(&id)) {
            Ok(i) => cves[i].actively_exploited = true,
            Err(i) => {
                let cve = Cve {
                    id,
                    actively_exploited: true,
                    in_kev: None,
                    severity: None,
                    nist_url: None,
                };
                cves.insert(i, cve);
            }
        }
    }
    cves
}

fn reference(raw: RawRef) -> Option<ReleaseRef> {
    Some(ReleaseRef {
        product_version: non_empty(raw.product_version)?,
        build: non_empty(raw.build),
        release_date: raw.release_date.as_deref().and_then(timestamp),
    })
}

/// Feeds use "" for "unknown" (e.g. `Build: ""`, `SecurityInfo: ""`).
fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|s| !s.trim().is_empty())
}
