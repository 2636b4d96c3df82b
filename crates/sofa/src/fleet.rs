//! Many devices at once: each device's standing from the precomputed indexes (one parse and
//! one binary search per device), the distribution of versions, and totals.

use std::cmp::Reverse;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{IndexedFeed, UpdateDeadline, UpdateSla, Version, VersionState};

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

/// Where one device stands. Only current and behind devices run a release Apple still patches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// On the newest release of its major.
    Current,
    /// Newer releases of its major exist.
    Behind,
    /// Its major gets no security updates any more (e.g. 12.7.6 or 10.15.7 on a 2026 feed).
    EndOfLife,
    /// A version the feed does not list: a typo, a build Apple never published, a major newer
    /// than the feed. No counts.
    UnknownVersion,
    /// The row's version string could not be read (or is missing). No counts.
    Unreadable,
    /// No feed was available to judge it against. No counts.
    NotJudged,
}

impl DeviceState {
    /// The state's JSON name ("end_of_life"), for tables and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Behind => "behind",
            Self::EndOfLife => "end_of_life",
            Self::UnknownVersion => "unknown_version",
            Self::Unreadable => "unreadable",
            Self::NotJudged => "not_judged",
        }
    }
}

impl From<VersionState> for DeviceState {
    fn from(state: VersionState) -> Self {
        match state {
            VersionState::Current => Self::Current,
            VersionState::Behind => Self::Behind,
            VersionState::EndOfLife => Self::EndOfLife,
            VersionState::Unknown => Self::UnknownVersion,
        }
    }
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
    /// Releases of its major newer than its version; absent ("n/a") when the feed does not list
    /// the version. For an end-of-life major, what it missed before support ended.
    pub releases_behind: Option<usize>,
    /// Distinct CVEs fixed by those releases; absent when the feed does not list the version.
    pub missing_cves: Option<usize>,
    /// Of those, actively exploited; absent when the feed does not list the version.
    pub missing_exploited_cves: Option<usize>,
    /// The newest major its model supports, when the model is known to the feed.
    pub hardware_max_major: Option<u32>,
    /// True when its model cannot run the feed's newest major.
    pub limited_by_hardware: bool,
    /// When its missed updates are required by (the earliest deadline), and how late;
    /// absent when current, not judged, or on a version the feed does not list.
    pub deadline: Option<UpdateDeadline>,
}

/// How many devices report one version.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VersionCount {
    /// The version, normalized ("15.1"); the raw string when it could not be read.
    pub os_version: String,
    /// The standing of that version.
    pub state: DeviceState,
    /// Devices on it.
    pub devices: usize,
}

/// The fleet report. Every device is in exactly one of current, behind, end_of_life,
/// unknown_version, unreadable and not_judged (the last only without a feed).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FleetReport {
    /// Devices in the input.
    pub total: usize,
    /// Devices on the newest release of their major.
    pub current: usize,
    /// Devices behind within their major.
    pub behind: usize,
    /// Devices on a major Apple no longer patches.
    pub end_of_life: usize,
    /// Devices on a version the feed does not list.
    pub unknown_version: usize,
    /// Devices whose version could not be read.
    pub unreadable: usize,
    /// Devices not judged because no feed was available to judge them against.
    pub not_judged: usize,
    /// Devices whose model cannot run the feed's newest major.
    pub limited_by_hardware: usize,
    /// Devices missing at least one actively exploited fix.
    pub missing_exploited_fixes: usize,
    /// Devices past their update deadline.
    pub overdue: usize,
    /// Devices per version: readable versions newest first, then unreadable strings.
    pub distribution: Vec<VersionCount>,
    /// Every device, in input order.
    pub devices: Vec<DeviceStatus>,
}

impl FleetReport {
    /// Orders `devices` by missing actively exploited fixes, then by missing CVEs, worst first;
    /// devices without counts ("n/a") come last.
    pub fn most_exposed_first(&mut self) {
        self.devices.sort_by(|a, b| {
            (b.missing_exploited_cves, b.missing_cves)
                .cmp(&(a.missing_exploited_cves, a.missing_cves))
        });
    }
}

impl IndexedFeed {
    /// Judge every device against the feed, with deadlines per `sla` at `now`.
    pub fn fleet(
        &self,
        devices: &[FleetDevice],
        now: DateTime<Utc>,
        sla: &UpdateSla,
    ) -> FleetReport {
        let newest = self.newest_major();
        // Fleets run few distinct versions: each one's deadline is worked out once.
        let mut deadlines: HashMap<Version, Option<UpdateDeadline>> = HashMap::new();
        let mut by_version: HashMap<Version, (DeviceState, usize)> = HashMap::new();
        let mut by_malformed: HashMap<&str, usize> = HashMap::new();
        let mut statuses = Vec::with_capacity(devices.len());
        for device in devices {
            let parsed = device.os_version.parse::<Version>().ok();
            let counts = parsed.and_then(|v| self.counts(&v));
            let state = match (parsed, &counts) {
                (None, _) => DeviceState::Unreadable,
                (Some(v), None) => self.state_outside_feed(v.major()).into(),
                (Some(_), Some(c)) => c.state.into(),
            };
            // Counts by number would guess for a version the feed does not list.
            let counts = counts.filter(|c| c.state != VersionState::Unknown);
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
                releases_behind: counts.map(|c| c.releases_behind),
                missing_cves: counts.map(|c| c.cves_fixed_later),
                missing_exploited_cves: counts.map(|c| c.actively_exploited_fixed_later),
                hardware_max_major: max,
                limited_by_hardware: max.zip(newest).is_some_and(|(max, newest)| max < newest),
                deadline: parsed.and_then(|v| {
                    (deadlines.entry(v))
                        .or_insert_with(|| self.deadline(&v, sla, now))
                        .clone()
                }),
            });
        }
        let count = |state| statuses.iter().filter(|d| d.state == state).count();
        FleetReport {
            total: statuses.len(),
            current: count(DeviceState::Current),
            behind: count(DeviceState::Behind),
            end_of_life: count(DeviceState::EndOfLife),
            unknown_version: count(DeviceState::UnknownVersion),
            unreadable: count(DeviceState::Unreadable),
            not_judged: 0,
            limited_by_hardware: statuses.iter().filter(|d| d.limited_by_hardware).count(),
            missing_exploited_fixes: statuses
                .iter()
                .filter(|d| d.missing_exploited_cves > Some(0))
                .count(),
            overdue: (statuses.iter())
                .filter(|d| d.deadline.as_ref().is_some_and(|d| d.overdue))
                .count(),
            distribution: distribution(by_version, by_malformed),
            devices: statuses,
        }
    }
}

/// The fleet when no feed can be had: versions counted, nobody judged (every readable version
/// is `not_judged`, so no report mistakes "no feed" for "nothing behind").
pub fn fleet_without_feed(devices: &[FleetDevice]) -> FleetReport {
    let mut by_version: HashMap<Version, (DeviceState, usize)> = HashMap::new();
    let mut by_malformed: HashMap<&str, usize> = HashMap::new();
    let statuses: Vec<DeviceStatus> = devices
        .iter()
        .map(|device| {
            let state = match device.os_version.parse::<Version>() {
                Ok(v) => {
                    by_version.entry(v).or_insert((DeviceState::NotJudged, 0)).1 += 1;
                    DeviceState::NotJudged
                }
                Err(_) => {
                    *by_malformed.entry(device.os_version.trim()).or_insert(0) += 1;
                    DeviceState::Unreadable
                }
            };
            DeviceStatus {
                id: device.id.clone(),
                os_version: device.os_version.clone(),
                state,
                releases_behind: None,
                missing_cves: None,
                missing_exploited_cves: None,
                hardware_max_major: None,
                limited_by_hardware: false,
                deadline: None,
            }
        })
        .collect();
    let unreadable = statuses
        .iter()
        .filter(|d| d.state == DeviceState::Unreadable)
        .count();
    FleetReport {
        total: statuses.len(),
        current: 0,
        behind: 0,
        end_of_life: 0,
        unknown_version: 0,
        unreadable,
        not_judged: statuses.len() - unreadable,
        limited_by_hardware: 0,
        missing_exploited_fixes: 0,
        overdue: 0,
        distribution: distribution(by_version, by_malformed),
        devices: statuses,
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
        state: DeviceState::Unreadable,
        devices,
    });
    versions.chain(malformed).collect()
}
