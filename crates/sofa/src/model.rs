//! The normalized feed: one typed shape for every SOFA layout (v1, v2 2025, v2 schema
//! 2026.04.11, the other OS feeds). Built by `parse`, read by everything else.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;

use crate::Version;

/// Which published layout a feed was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum FeedLayout {
    /// v1: CVE values are booleans (true = actively exploited); no `Version` key.
    V1,
    /// v2 as published through 2025: CVE values are `{nist_url, actively_exploited, in_kev, severity}`.
    V2,
    /// v2 with a `SchemaVersion` (2026.04.11 on): PascalCase CVE details, `Devices`, `SupersededBy`.
    V2Schema,
}

/// A whole feed, normalized.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Feed {
    /// The layout the feed was published in.
    pub layout: FeedLayout,
    /// `SchemaVersion` (e.g. "2026.04.11.2") when the feed states one.
    pub schema_version: Option<String>,
    /// The product the feed covers ("macOS", "iOS and iPadOS", "tvOS", "Safari"...), when stated.
    pub product: Option<String>,
    /// The feed's `UpdateHash`; it does not always change when the content does.
    pub update_hash: Option<String>,
    /// When SOFA last checked Apple's sources (`LastCheck`); v1 feeds carry none.
    pub last_check: Option<DateTime<Utc>>,
    /// One entry per OS major, newest major first.
    pub os_versions: Vec<OsVersion>,
    /// Mac model identifier (e.g. "MacBookPro15,2") -> the OS majors it supports.
    pub models: BTreeMap<String, ModelInfo>,
    /// GDMF board id (e.g. "J132AP") -> the device it names (schema 2026.04.11 `Devices`).
    pub devices: BTreeMap<String, DeviceInfo>,
    /// What was skipped or repaired while reading (unreadable versions, duplicate majors...).
    pub warnings: Vec<String>,
}

/// One OS major (e.g. "Tahoe 26") and its security releases.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct OsVersion {
    /// The major number: the last number of the feed's `OSVersion` label.
    pub major: u32,
    /// The feed's label, e.g. "Tahoe 26", "Sequoia 15", "18", "tvOS 26".
    pub label: String,
    /// The newest release of this major by version (not necessarily the feed's `Latest` entry).
    pub latest: Release,
    /// GDMF identifiers (board ids on macOS) from the feed's `Latest` entry: the devices this
    /// major supports, shared by every release that does not list its own.
    pub supported_devices: Vec<String>,
    /// Security releases, newest version first.
    pub releases: Vec<Release>,
}

impl OsVersion {
    /// The devices that can install `release`: its own list, else the major's (schema
    /// 2026.04.11 omits repeated lists; sharing one copy keeps loading fast).
    pub fn devices_for<'a>(&'a self, release: &'a Release) -> &'a [String] {
        release
            .supported_devices
            .as_deref()
            .unwrap_or(&self.supported_devices)
    }
}

/// One OS release with the security content Apple published for it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Release {
    /// The version, including an RSR letter when the release is a Rapid Security Response.
    pub version: Version,
    /// `ProductVersion` exactly as the feed spells it (RSRs repeat the base version here).
    pub product_version: String,
    /// `UpdateName`, e.g. "macOS Tahoe 26.4" or "Rapid Security Response macOS Ventura 13.4.1 (a)".
    pub update_name: Option<String>,
    /// Build number; some releases have none.
    pub build: Option<String>,
    /// When Apple released it.
    pub release_date: Option<DateTime<Utc>>,
    /// `ReleaseType` such as "OS", "RSR_a", "Safari".
    pub release_type: Option<String>,
    /// Link to Apple's security notes for this release.
    pub security_info_url: Option<String>,
    /// CVEs fixed by this release, sorted by id.
    pub cves: Vec<Cve>,
    /// GDMF identifiers (board ids on macOS) of devices that can install it, when the release
    /// lists its own; absent means it inherits its major's list (see [`OsVersion::devices_for`]).
    pub supported_devices: Option<Vec<String>>,
    /// The next release that replaces this one for the same devices (schema 2026.04.11).
    pub superseded_by: Option<ReleaseRef>,
    /// For a device-specific hotfix, the universal release that absorbed it (schema 2026.04.11).
    pub merged_into: Option<ReleaseRef>,
    /// True when the release is known only from the feed's `Latest` entry: Apple has not yet
    /// published its security notes, so its CVE list may be incomplete.
    pub security_notes_pending: bool,
}

/// One CVE fixed by a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Cve {
    /// The CVE id, e.g. "CVE-2026-20643".
    pub id: String,
    /// Listed in the release's `ActivelyExploitedCVEs` or flagged exploited in its CVE details.
    pub actively_exploited: bool,
    /// Whether CISA's Known Exploited Vulnerabilities catalog lists it, when the feed says.
    pub in_kev: Option<bool>,
    /// Severity as the feed gives it (e.g. "Critical"), when it does.
    pub severity: Option<String>,
    /// Link to the NIST NVD entry, when the feed gives one.
    pub nist_url: Option<String>,
}

/// A pointer from one release to another (`SupersededBy`, `MergedInto`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ReleaseRef {
    /// `ProductVersion` of the release pointed to.
    pub product_version: String,
    /// Its build, when given.
    pub build: Option<String>,
    /// Its release date, when given.
    pub release_date: Option<DateTime<Utc>>,
}

/// What the feed's `Models` section says about one Mac model identifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ModelInfo {
    /// Marketing name, e.g. "MacBook Pro (13-inch, 2018, Four Thunderbolt 3 ports)".
    pub marketing_name: Option<String>,
    /// OS majors the hardware supports, newest first.
    pub supported_majors: Vec<u32>,
    /// The newest OS major the hardware supports.
    pub newest_major: Option<u32>,
}

/// One entry of the schema 2026.04.11 `Devices` map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DeviceInfo {
    /// The model identifier, e.g. "MacBookPro15,2" (macOS only).
    pub model_identifier: Option<String>,
    /// Marketing name.
    pub marketing_name: Option<String>,
}
