//! Many devices at once: each device's standing from the precomputed indexes, the distribution
//! of versions, and totals. [`FleetTally`] judges devices one at a time as they are read, so a
//! caller streaming a large export holds no more than it chooses to keep; devices on one version
//! whose models top out at one major share one standing, worked out once.

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

// `D` holds the devices: a `Vec` as `IndexedFeed::fleet` gives it, `()` for the totals alone
// (`FleetTally::summary`), or whatever serializes as the devices' array when a caller streams
// them (`latchkey sofa fleet --json`). The doc comment below is the schema's description.
/// The fleet report. Every device is in exactly one of current, behind, end_of_life,
/// unknown_version, unreadable and not_judged (the last only without a feed).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "FleetReport")]
pub struct FleetReport<D = Vec<DeviceStatus>> {
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
    pub devices: D,
}

impl<D> FleetReport<D> {
    /// The same totals with `devices` in place of these.
    pub fn with_devices<E>(self, devices: E) -> FleetReport<E> {
        FleetReport {
            total: self.total,
            current: self.current,
            behind: self.behind,
            end_of_life: self.end_of_life,
            unknown_version: self.unknown_version,
            unreadable: self.unreadable,
            not_judged: self.not_judged,
            limited_by_hardware: self.limited_by_hardware,
            missing_exploited_fixes: self.missing_exploited_fixes,
            overdue: self.overdue,
            distribution: self.distribution,
            devices,
        }
    }
}

impl FleetReport {
    /// Orders `devices` most exposed first ([`DeviceStatus::exposure`]); equally exposed
    /// devices keep their input order.
    pub fn most_exposed_first(&mut self) {
        self.devices.sort_by_key(|d| Reverse(d.exposure()));
    }
}

impl DeviceStatus {
    /// This standing (from [`FleetTally::standing`]) for the device `id` on `os_version`.
    pub fn for_device(&self, id: &str, os_version: &str) -> Self {
        Self {
            id: id.to_owned(),
            os_version: os_version.to_owned(),
            ..self.clone()
        }
    }

    /// How exposed the device is, for ordering: missing actively exploited fixes, then missing
    /// CVEs; devices without counts ("n/a") rank below every counted one.
    pub fn exposure(&self) -> (Option<usize>, Option<usize>) {
        (self.missing_exploited_cves, self.missing_cves)
    }
}

/// What a device's standing rests on: its version, when readable, and the newest major its
/// model runs, when known.
type StandingKey = (Option<Version>, Option<u32>);

/// Judges devices one at a time and keeps the totals: a fleet read row by row never needs to
/// be held whole. Each device gets the number of its standing ([`FleetTally::add`]); devices
/// with the same version and hardware limit share one, worked out once.
#[derive(Debug)]
pub struct FleetTally<'f> {
    /// The feed to judge against, with the deadlines' settings and day; `None` judges nobody.
    judge: Option<(&'f IndexedFeed, UpdateSla, DateTime<Utc>)>,
    /// Distinct standings (their `id` and `os_version` empty), each with its device count.
    standings: Vec<(DeviceStatus, usize)>,
    by_key: HashMap<StandingKey, usize>,
    /// Unreadable version strings, trimmed, and how many devices report each.
    by_malformed: HashMap<String, usize>,
}

impl<'f> FleetTally<'f> {
    /// Judges against `feed`, with deadlines per `sla` at `now`.
    pub fn new(feed: &'f IndexedFeed, now: DateTime<Utc>, sla: &UpdateSla) -> Self {
        Self {
            judge: Some((feed, *sla, now)),
            ..Self::without_feed()
        }
    }

    /// For when no feed can be had: versions counted, nobody judged (every readable version is
    /// `not_judged`, so no report mistakes "no feed" for "nothing behind").
    pub fn without_feed() -> Self {
        Self {
            judge: None,
            standings: Vec::new(),
            by_key: HashMap::new(),
            by_malformed: HashMap::new(),
        }
    }

    /// Counts one device, as its file gives it, and returns the number of its standing.
    pub fn add(&mut self, os_version: &str, model: Option<&str>) -> usize {
        let parsed = os_version.parse::<Version>().ok();
        if parsed.is_none() {
            let raw = os_version.trim();
            match self.by_malformed.get_mut(raw) {
                Some(devices) => *devices += 1,
                None => _ = self.by_malformed.insert(raw.to_owned(), 1),
            }
        }
        let max = (self.judge)
            .zip(model)
            .and_then(|((feed, ..), model)| feed.hardware_max_major(model));
        let key = (parsed, max);
        let i = match self.by_key.get(&key) {
            Some(&i) => i,
            None => {
                self.standings.push((self.judged(key), 0));
                self.by_key.insert(key, self.standings.len() - 1);
                self.standings.len() - 1
            }
        };
        self.standings[i].1 += 1;
        i
    }

    /// How many standings there are: [`FleetTally::add`] numbers them from 0.
    pub fn standings(&self) -> usize {
        self.standings.len()
    }

    /// Standing number `i` from [`FleetTally::add`]: every field but `id` and `os_version`
    /// (empty here).
    pub fn standing(&self, i: usize) -> &DeviceStatus {
        &self.standings[i].0
    }

    /// The totals and distribution of every device added so far.
    pub fn summary(&self) -> FleetReport<()> {
        let mut report = FleetReport {
            total: 0,
            current: 0,
            behind: 0,
            end_of_life: 0,
            unknown_version: 0,
            unreadable: 0,
            not_judged: 0,
            limited_by_hardware: 0,
            missing_exploited_fixes: 0,
            overdue: 0,
            distribution: Vec::new(),
            devices: (),
        };
        let mut by_version: HashMap<Version, (DeviceState, usize)> = HashMap::new();
        for (&(version, _), &i) in &self.by_key {
            let (standing, devices) = &self.standings[i];
            let devices = *devices;
            report.total += devices;
            *match standing.state {
                DeviceState::Current => &mut report.current,
                DeviceState::Behind => &mut report.behind,
                DeviceState::EndOfLife => &mut report.end_of_life,
                DeviceState::UnknownVersion => &mut report.unknown_version,
                DeviceState::Unreadable => &mut report.unreadable,
                DeviceState::NotJudged => &mut report.not_judged,
            } += devices;
            if standing.limited_by_hardware {
                report.limited_by_hardware += devices;
            }
            if standing.missing_exploited_cves > Some(0) {
                report.missing_exploited_fixes += devices;
            }
            if standing.deadline.as_ref().is_some_and(|d| d.overdue) {
                report.overdue += devices;
            }
            if let Some(version) = version {
                by_version.entry(version).or_insert((standing.state, 0)).1 += devices;
            }
        }
        report.distribution = distribution(by_version, &self.by_malformed);
        report
    }

    /// Every device judged, in input order, with the totals.
    pub fn report(mut self, devices: &[FleetDevice]) -> FleetReport {
        let standings: Vec<usize> = (devices.iter())
            .map(|d| self.add(&d.os_version, d.model.as_deref()))
            .collect();
        let statuses = (devices.iter().zip(standings))
            .map(|(d, i)| self.standing(i).for_device(&d.id, &d.os_version))
            .collect();
        self.summary().with_devices(statuses)
    }

    /// The standing of every device with this version and hardware limit.
    fn judged(&self, (parsed, max): StandingKey) -> DeviceStatus {
        let mut standing = DeviceStatus {
            id: String::new(),
            os_version: String::new(),
            state: match parsed {
                Some(_) => DeviceState::NotJudged,
                None => DeviceState::Unreadable,
            },
            releases_behind: None,
            missing_cves: None,
            missing_exploited_cves: None,
            hardware_max_major: max,
            limited_by_hardware: false,
            deadline: None,
        };
        let Some((feed, sla, now)) = self.judge else {
            return standing;
        };
        standing.limited_by_hardware =
            (max.zip(feed.newest_major())).is_some_and(|(max, newest)| max < newest);
        let Some(version) = parsed else {
            return standing;
        };
        let counts = feed.counts(&version);
        standing.state = match &counts {
            None => feed.state_outside_feed(version.major()).into(),
            Some(c) => c.state.into(),
        };
        // Counts by number would guess for a version the feed does not list.
        if let Some(c) = counts.filter(|c| c.state != VersionState::Unknown) {
            standing.releases_behind = Some(c.releases_behind);
            standing.missing_cves = Some(c.cves_fixed_later);
            standing.missing_exploited_cves = Some(c.actively_exploited_fixed_later);
        }
        standing.deadline = feed.deadline(&version, &sla, now);
        standing
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
        FleetTally::new(self, now, sla).report(devices)
    }
}

/// The fleet when no feed can be had: versions counted, nobody judged
/// ([`FleetTally::without_feed`]).
pub fn fleet_without_feed(devices: &[FleetDevice]) -> FleetReport {
    FleetTally::without_feed().report(devices)
}

fn distribution(
    by_version: HashMap<Version, (DeviceState, usize)>,
    by_malformed: &HashMap<String, usize>,
) -> Vec<VersionCount> {
    let mut versions: Vec<_> = by_version.into_iter().collect();
    versions.sort_unstable_by_key(|(version, _)| Reverse(*version));
    let mut malformed: Vec<_> = by_malformed.iter().collect();
    malformed.sort_unstable();
    let versions = versions
        .into_iter()
        .map(|(version, (state, devices))| VersionCount {
            os_version: version.to_string(),
            state,
            devices,
        });
    let malformed = malformed.into_iter().map(|(raw, &devices)| VersionCount {
        os_version: raw.clone(),
        state: DeviceState::Unreadable,
        devices,
    });
    versions.chain(malformed).collect()
}
