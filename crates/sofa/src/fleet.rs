//! Many devices at once: each device's standing from the precomputed indexes (one parse and
//! one binary search per device), the distribution of versions, and totals.

use std::cmp::Reverse;
use std::collections::HashMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{IndexedFeed, Version, VersionState};

/// One row of fleet input.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct FleetDevice {
    /// Any identifier the caller uses (serial, hostname, asset tag).
    pub id: String,
    /// The OS version the device reports, e.g. "15.1" or "13.4.1 (a)".
    pub os_version: String,
    /// Mac model identifier, e.g. "MacBookPro15,2", when known.
    #[serde(default)]
    pub model: Option<String>,
}

/// Where one device stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// On the newest release of its major.
    Current,
    /// Newer releases of its major exist.
    Behind,
    /// Its major is not in the feed (e.g. 10.15): unsupported, no counts.
    UnknownMajor,
    /// Its version string could not be read: unsupported, no counts.
    Malformed,
}

/// One device's result.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DeviceStatus {
    /// The device's id, as given.
    pub id: String,
    /// Its OS version, as given.
    pub os_version: String,
    /// Its standing.
    pub state: DeviceState,
    /// Releases of its major newer than its version.
    pub releases_behind: usize,
    /// Distinct CVEs fixed by those releases.
    pub missing_cves: usize,
    /// Of those, actively exploited.
    pub missing_exploited_cves: usize,
    /// The newest major its model supports, when the model is known to the feed.
    pub hardware_max_major: Option<u32>,
    /// True when its model cannot run the feed's newest major.
    pub limited_by_hardware: bool,
}

/// How many devices report one version.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct VersionCount {
    /// The version, normalized ("15.1"); the raw string when it could not be read.
    pub os_version: String,
    /// The standing of that version.
    pub state: DeviceState,
    /// Devices on it.
    pub devices: usize,
}

/// The fleet report.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FleetReport {
    /// Devices in the input.
    pub total: usize,
    /// Devices on the newest release of their major.
    pub current: usize,
    /// Devices behind within their major.
    pub behind: usize,
    /// Devices the feed cannot judge: unknown major plus malformed version.
    pub unsupported: usize,
    /// Of the unsupported, those on a major the feed does not cover.
    pub unknown_major: usize,
    /// Of the unsupported, those with an unreadable version.
    pub malformed: usize,
    /// Devices whose model cannot run the feed's newest major.
    pub limited_by_hardware: usize,
    /// Devices missing at least one actively exploited fix.
    pub missing_exploited_fixes: usize,
    /// Devices per version: readable versions newest first, then unreadable strings.
    pub distribution: Vec<VersionCount>,
    /// Every device, in input order.
    pub devices: Vec<DeviceStatus>,
}

impl FleetReport {
    /// Orders `devices` by missing actively exploited fixes, then by missing CVEs, worst first.
    pub fn most_exposed_first(&mut self) {
        self.devices.sort_by(|a, b| {
            (b.missing_exploited_cves, b.missing_cves)
                .cmp(&(a.missing_exploited_cves, a.missing_cves))
        });
    }
}

impl IndexedFeed {
    /// Judge every device against the feed.
    pub fn fleet(&self, devices: &[FleetDevice]) -> FleetReport {
        let newest = self.newest_major();
        let mut by_version: HashMap<Version, (DeviceState, usize)> = HashMap::new();
        let mut by_malformed: HashMap<&str, usize> = HashMap::new();
        let mut statuses = Vec::with_capacity(devices.len());
        for device in devices {
            let parsed = device.os_version.parse::<Version>().ok();
            let counts = parsed.and_then(|v| self.counts(&v));
            let state = match (parsed, &counts) {
                (None, _) => DeviceState::Malformed,
                (Some(_), None) => DeviceState::UnknownMajor,
                (Some(_), Some(c)) if c.state == VersionState::Current => DeviceState::Current,
                (Some(_), Some(_)) => DeviceState::Behind,
            };
            match parsed {
                Some(v) => by_version.entry(v).or_insert((state, 0)).1 += 1,
                None => *by_malformed.entry(device.os_version.trim()).or_insert(0) += 1,
            }
            let max = device
                .model
                .as_deref()
                .and_then(|m| self.hardware_max_major(m));
            statuses.push(DeviceStatus {
                id: device.id.clone(),
                os_version: device.os_version.clone(),
                state,
                releases_behind: counts.map_or(0, |c| c.releases_behind),
                missing_cves: counts.map_or(0, |c| c.cves_fixed_later),
                missing_exploited_cves: counts.map_or(0, |c| c.actively_exploited_fixed_later),
                hardware_max_major: max,
                limited_by_hardware: max.zip(newest).is_some_and(|(max, newest)| max < newest),
            });
        }
        let count = |state| statuses.iter().filter(|d| d.state == state).count();
        let (unknown_major, malformed) = (
            count(DeviceState::UnknownMajor),
            count(DeviceState::Malformed),
        );
        FleetReport {
            total: statuses.len(),
            current: count(DeviceState::Current),
            behind: count(DeviceState::Behind),
            unsupported: unknown_major + malformed,
            unknown_major,
            malformed,
            limited_by_hardware: statuses.iter().filter(|d| d.limited_by_hardware).count(),
            missing_exploited_fixes: statuses
                .iter()
                .filter(|d| d.missing_exploited_cves > 0)
                .count(),
            distribution: distribution(by_version, by_malformed),
            devices: statuses,
        }
    }
}

fn distribution(
    by_version: HashMap<Version, (DeviceState, usize)>,
    by_malformed: HashMap<&str, usize>,
) -> Vec<VersionCount> {
    let mut versions: Vec<_> = by_version.into_iter().collect();
    versions.sort_unstable_by_key(|(version, _)| Reverse(*version));
    let mut malformed: Vec<_> = by_malformed.into_iter().collect();
    malformed.sort_unstable();
    let versions = versions
        .into_iter()
        .map(|(version, (state, devices))| VersionCount {
            os_version: version.to_string(),
            state,
            devices,
        });
    let malformed = malformed.into_iter().map(|(raw, devices)| VersionCount {
        os_version: raw.to_owned(),
        state: DeviceState::Malformed,
        devices,
    });
    versions.chain(malformed).collect()
}
