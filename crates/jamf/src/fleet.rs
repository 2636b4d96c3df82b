//! The whole fleet against the SOFA feed: every computer's GENERAL, HARDWARE and
//! OPERATING_SYSTEM sections, judged by `IndexedFeed::fleet` and joined back to names,
//! serials and users. The JSON shape of [`FleetSecurityReport`] is shared with the UI.

use std::cmp::Reverse;

use chrono::{DateTime, Utc};
use latchkey_sofa::fetch::FeedInfo;
use latchkey_sofa::{DeviceState, FleetDevice, UpdateDeadline, VersionCount, fleet_without_feed};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::raw::RawComputer;
use crate::{Currency, JamfClient, JamfError, Section};

/// How far a fleet scan has got, reported after each page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub struct FleetProgress {
    /// Computers loaded so far.
    pub loaded: u64,
    /// Computers the server says it has.
    pub total: u64,
}

/// Every Mac in Jamf Pro against Apple's security releases.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub struct FleetSecurityReport {
    /// The Jamf Pro server, host[:port].
    pub server: String,
    /// When the report was made.
    pub generated_at: DateTime<Utc>,
    /// The inventory API version that answered: "v4", "v3" or "v1".
    pub inventory_api: String,
    /// The SOFA feed versions were judged against: source, SOFA's update time and age.
    pub macos_feed: Option<FeedInfo>,
    /// Set when there was no feed to judge against (every readable version is then
    /// `not_judged`): why, and how to fix it.
    pub macos_currency_unavailable: Option<String>,
    /// Computers in the fleet.
    pub total: usize,
    /// On the newest release of their major.
    pub current: usize,
    /// Behind within their major.
    pub behind: usize,
    /// On a major Apple no longer patches.
    pub end_of_life: usize,
    /// On a version the feed does not list (not judged).
    pub unknown_version: usize,
    /// Reporting no macOS version, or one that cannot be read (not judged).
    pub unreadable: usize,
    /// Not judged for want of a feed (see `macos_currency_unavailable`).
    #[serde(default)]
    pub not_judged: usize,
    /// Missing at least one fix for an actively exploited CVE.
    pub missing_exploited_fixes: usize,
    /// Whose model cannot run the newest macOS.
    pub limited_by_hardware: usize,
    /// Past their update deadline (see [`FleetComputer::deadline`]).
    #[serde(default)]
    pub overdue: usize,
    /// Computers per macOS version, newest first, unreadable versions last.
    pub distribution: Vec<VersionCount>,
    /// Computers, most exposed first: missing exploited fixes, then missing CVEs, then
    /// releases behind, each descending; those without counts last.
    pub computers: Vec<FleetComputer>,
    /// Computers left out of `computers` by [`FleetSecurityReport::truncate`].
    pub computers_omitted: usize,
}

/// One computer in the fleet report.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub struct FleetComputer {
    /// Jamf's computer id.
    pub id: String,
    /// Computer name.
    pub name: Option<String>,
    /// Serial number.
    pub serial: Option<String>,
    /// Assigned user (account name, else full name).
    pub user: Option<String>,
    /// Model identifier, e.g. "Mac14,5".
    pub model: Option<String>,
    /// macOS version as reported.
    pub os_version: Option<String>,
    /// current, behind, end_of_life, unknown_version, unreadable (missing or unreadable
    /// version) or not_judged (no feed).
    pub state: DeviceState,
    /// Releases of its major it has not installed; absent ("n/a") when the feed does not list
    /// its version.
    pub releases_behind: Option<usize>,
    /// CVEs fixed in those releases; absent when the feed does not list its version.
    pub missing_cves: Option<usize>,
    /// Of those, actively exploited; absent when the feed does not list its version.
    pub missing_exploited_cves: Option<usize>,
    /// When its missed updates are required by (the earliest missed release's date plus its
    /// SLA), and how many days overdue; absent when current or not judged.
    #[serde(default)]
    pub deadline: Option<UpdateDeadline>,
    /// When it last contacted Jamf Pro.
    pub last_contact: Option<DateTime<Utc>>,
    /// Whole days since then.
    pub days_since_contact: Option<i64>,
}

impl FleetSecurityReport {
    /// Keeps the `limit` most exposed computers, counting the rest in `computers_omitted`;
    /// the totals still cover the whole fleet.
    pub fn truncate(&mut self, limit: usize) {
        if self.computers.len() > limit {
            self.computers_omitted += self.computers.len() - limit;
            self.computers.truncate(limit);
        }
    }
}

impl JamfClient {
    /// Loads every computer (pages in parallel, `progress` after each) and judges the fleet's
    /// macOS versions by `currency`.
    pub async fn fleet_security_report(
        &self,
        currency: Currency<'_>,
        progress: &(dyn Fn(FleetProgress) + Send + Sync),
    ) -> Result<FleetSecurityReport, JamfError> {
        let sections = [
            Section::General,
            Section::Hardware,
            Section::OperatingSystem,
            // Who uses each Mac: the table is for finding the person to call.
            Section::UserAndLocation,
        ];
        let report_progress = |loaded, total| progress(FleetProgress { loaded, total });
        let (api, computers) = self.all_computers(&sections, &report_progress).await?;
        Ok(judge(
            self.server(),
            api.name(),
            computers,
            currency,
            Utc::now(),
        ))
    }
}

/// Pure: the report for already loaded computers at `now`.
pub(crate) fn judge(
    server: &str,
    inventory_api: &str,
    mut computers: Vec<RawComputer>,
    currency: Currency<'_>,
    now: DateTime<Utc>,
) -> FleetSecurityReport {
    // A page boundary shifting while we read (a computer added or removed) can repeat one.
    computers.sort_by(|a, b| id_key(a.id.as_deref()).cmp(&id_key(b.id.as_deref())));
    computers.dedup_by(|a, b| a.id == b.id);
    let devices: Vec<FleetDevice> = computers
        .iter()
        .map(|c| FleetDevice {
            id: c.id.clone().unwrap_or_default(),
            // An empty string is unreadable to SOFA: that is where a missing version belongs.
            os_version: c.sofa_version().unwrap_or_default(),
            model: c.model_identifier().map(str::to_owned),
        })
        .collect();
    let fleet = match currency.feed() {
        Some((feed, sla)) => feed.fleet(&devices, now, sla),
        None => fleet_without_feed(&devices),
    };
    let (macos_feed, macos_currency_unavailable) = currency.described();
    let mut rows: Vec<FleetComputer> = computers
        .iter()
        .zip(&fleet.devices)
        .map(|(c, status)| {
            let last_contact = c.last_contact();
            FleetComputer {
                id: status.id.clone(),
                name: c.name().map(str::to_owned),
                serial: c.serial().map(str::to_owned),
                user: c.user().map(str::to_owned),
                model: c.model_identifier().map(str::to_owned),
                os_version: c.os_version().map(str::to_owned),
                state: status.state,
                releases_behind: status.releases_behind,
                missing_cves: status.missing_cves,
                missing_exploited_cves: status.missing_exploited_cves,
                deadline: status.deadline.clone(),
                last_contact,
                days_since_contact: last_contact.map(|at| (now - at).num_days()),
            }
        })
        .collect();
    // Stable sort over id order: equally exposed computers stay in id order.
    rows.sort_by_key(|c| Reverse((c.missing_exploited_cves, c.missing_cves, c.releases_behind)));
    FleetSecurityReport {
        server: server.to_owned(),
        generated_at: now,
        inventory_api: inventory_api.to_owned(),
        macos_feed,
        macos_currency_unavailable,
        total: fleet.total,
        current: fleet.current,
        behind: fleet.behind,
        end_of_life: fleet.end_of_life,
        unknown_version: fleet.unknown_version,
        unreadable: fleet.unreadable,
        not_judged: fleet.not_judged,
        missing_exploited_fixes: fleet.missing_exploited_fixes,
        limited_by_hardware: fleet.limited_by_hardware,
        overdue: fleet.overdue,
        distribution: fleet.distribution,
        computers: rows,
        computers_omitted: 0,
    }
}

/// Numeric ids sort as numbers, anything else after them as text.
fn id_key(id: Option<&str>) -> (u64, &str) {
    let id = id.unwrap_or("");
    (id.parse().unwrap_or(u64::MAX), id)
}
