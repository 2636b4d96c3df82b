//! SOFA tools: how current a macOS version or a fleet is against Apple's security releases.
//! Read-only; they may fetch the public SOFA feed. Results are sized for an assistant.

use chrono::Utc;
use latchkey_sofa::fetch::FeedInfo;
use latchkey_sofa::{FixedCve, FleetDevice, FleetReport, LatestRelease, Version, VersionStatus};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{Json, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::LatchkeyServer;

/// Fleet answers list at most this many devices (the most exposed first).
const FLEET_DEVICES_SHOWN: usize = 50;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct OsStatusRequest {
    /// A macOS version, e.g. "15.1", "26.0" or "13.4.1 (a)".
    pub version: String,
    /// Optional Mac model identifier (e.g. "Mac14,2") to tell whether hardware caps the major.
    pub model: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct OsStatusAnswer {
    /// Where the feed came from, when SOFA last updated it, and whether that is too long ago.
    pub feed: FeedInfo,
    /// The version's standing (current, behind, end_of_life or unknown), or why the feed does
    /// not cover it.
    pub status: VersionStatus,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CvesRequest {
    /// A macOS version, e.g. "15.1".
    pub version: String,
    /// Only list actively exploited CVEs.
    #[serde(default)]
    pub exploited_only: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CvesAnswer {
    /// Where the feed came from, when SOFA last updated it, and whether that is too long ago.
    pub feed: FeedInfo,
    /// The version asked about.
    pub version: Version,
    /// CVEs fixed by newer releases of its major, sorted by id.
    pub cves: Vec<FixedCve>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct LatestAnswer {
    /// Where the feed came from, when SOFA last updated it, and whether that is too long ago.
    pub feed: FeedInfo,
    /// The newest release of each major, newest major first.
    pub releases: Vec<LatestRelease>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FleetRequest {
    /// The devices: an id of your choice (serial, name), the macOS version, and optionally the model.
    pub devices: Vec<FleetDevice>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FleetAnswer {
    /// Where the feed came from, when SOFA last updated it, and whether that is too long ago.
    pub feed: FeedInfo,
    /// Totals, the version distribution, and the most exposed devices.
    pub report: FleetReport,
    /// Devices left out of `report.devices` to keep the answer short (they are in the totals).
    pub devices_omitted: usize,
}

#[tool_router(router = sofa_router, vis = "pub(crate)")]
impl LatchkeyServer {
    /// How current a macOS version is against Apple's security releases (macadmins SOFA feed):
    /// the major's latest release, releases missed with dates, Apple's notes and the date each
    /// is required by (release date + 7 days with an actively exploited fix, else 30), the
    /// overall deadline (the earliest) with days overdue, days behind (from the earliest missed
    /// date), CVEs fixed since and how many are actively exploited. A major Apple no longer patches is
    /// end_of_life (since when, what to upgrade to); a version the feed does not list is
    /// unknown, with the nearest real releases; versions outside the feed get an explicit "not
    /// in this feed" answer listing the covered majors.
    #[tool(
        name = "sofa_os_status",
        annotations(
            title = "macOS version security status",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn sofa_os_status(
        &self,
        Parameters(req): Parameters<OsStatusRequest>,
    ) -> Result<Json<OsStatusAnswer>, String> {
        let loaded = self.sofa.feed().await?;
        let status = loaded
            .feed
            .status(
                &req.version,
                req.model.as_deref(),
                Utc::now(),
                &self.sofa.update_sla(),
            )
            .map_err(|e| e.to_string())?;
        Ok(Json(OsStatusAnswer {
            feed: self.sofa.describe(&loaded),
            status,
        }))
    }

    /// The CVEs fixed in macOS releases newer than a version (same major), with the release
    /// that fixes each, exploited/KEV flags, severity and NVD link. A version the feed does
    /// not list is refused, naming the nearest real releases.
    #[tool(
        name = "sofa_cves_fixed_after",
        annotations(
            title = "CVEs fixed after a macOS version",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn sofa_cves_fixed_after(
        &self,
        Parameters(req): Parameters<CvesRequest>,
    ) -> Result<Json<CvesAnswer>, String> {
        let loaded = self.sofa.feed().await?;
        let version: Version = req
            .version
            .parse()
            .map_err(|e: latchkey_sofa::SofaError| e.to_string())?;
        let mut cves = loaded
            .feed
            .cves_fixed_after(&version)
            .map_err(|e| e.to_string())?;
        cves.retain(|c| c.actively_exploited || !req.exploited_only);
        Ok(Json(CvesAnswer {
            feed: self.sofa.describe(&loaded),
            version,
            cves,
        }))
    }

    /// The newest macOS release of every major in the SOFA feed: version, build, date, notes.
    #[tool(
        name = "sofa_latest_releases",
        annotations(
            title = "Latest macOS releases",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn sofa_latest_releases(&self) -> Result<Json<LatestAnswer>, String> {
        let loaded = self.sofa.feed().await?;
        Ok(Json(LatestAnswer {
            releases: loaded.feed.latest_releases(),
            feed: self.sofa.describe(&loaded),
        }))
    }

    /// Security exposure of a list of Macs (id, macOS version, optional model): how many are
    /// current, behind, end of life (a major Apple no longer patches), on a version the feed
    /// does not list, or unreadable; how many are past their update deadline; the version
    /// distribution; and the most exposed devices, each with its deadline (missing actively
    /// exploited fixes first; at most 50 listed).
    #[tool(
        name = "sofa_fleet_exposure",
        annotations(
            title = "Fleet security exposure",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn sofa_fleet_exposure(
        &self,
        Parameters(mut req): Parameters<FleetRequest>,
    ) -> Result<Json<FleetAnswer>, String> {
        let loaded = self.sofa.feed().await?;
        let sla = self.sofa.update_sla();
        // As MDMs write them: "macOS 14.5", "14.5 (23F79)".
        latchkey_sofa::reduce_os_versions(&mut req.devices);
        let mut report = loaded.feed.fleet(&req.devices, Utc::now(), &sla);
        report.most_exposed_first();
        let devices_omitted = report.devices.len().saturating_sub(FLEET_DEVICES_SHOWN);
        report.devices.truncate(FLEET_DEVICES_SHOWN);
        Ok(Json(FleetAnswer {
            feed: self.sofa.describe(&loaded),
            report,
            devices_omitted,
        }))
    }
}
