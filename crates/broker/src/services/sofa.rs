//! The SOFA feed the broker answers from: loaded on first use, refreshed in the background
//! (every 6 h by default), shared by every MCP session. The feed holds no secrets.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use latchkey_sofa::fetch::{
    DEFAULT_REFRESH, FeedOrigin, FeedSource, FeedStore, LoadedFeed, Refresh,
};
use latchkey_sofa::{FeedSummary, FixedCve, LatestRelease, VersionState, VersionStatus};
use schemars::JsonSchema;
use serde::Serialize;

use crate::{Error, StatePaths};

#[derive(Debug)]
pub struct SofaService {
    store: FeedStore,
    current: RwLock<Option<LoadedFeed>>,
    /// One fetch at a time; callers arriving meanwhile wait for its result.
    fetching: tokio::sync::Mutex<()>,
}

impl SofaService {
    pub fn new(store: FeedStore) -> Self {
        Self {
            store,
            current: RwLock::new(None),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    /// The feed from `source`, cached in the platform's cache directory.
    pub fn open(source: FeedSource, paths: &StatePaths) -> Result<Self, Error> {
        let store =
            FeedStore::new(source, paths.cache_dir()).map_err(|e| Error::Sofa(e.to_string()))?;
        Ok(Self::new(store))
    }

    /// The current feed, loading it (from cache or source) on first use.
    pub async fn feed(&self) -> Result<LoadedFeed, String> {
        if let Some(loaded) = self
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Ok(loaded);
        }
        self.refresh(Refresh::IfOlderThan(DEFAULT_REFRESH)).await
    }

    /// Loads per `mode` and makes the result current. A failed refresh keeps the previous feed.
    pub async fn refresh(&self, mode: Refresh) -> Result<LoadedFeed, String> {
        let _one_at_a_time = self.fetching.lock().await;
        let loaded = self
            .store
            .load(mode)
            .await
            .map_err(|e| format!("the SOFA feed is unavailable: {e}"))?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(loaded.clone());
        Ok(loaded)
    }

    /// Refreshes now and then every `DEFAULT_REFRESH`, for as long as the broker runs.
    pub(crate) async fn keep_fresh(self: Arc<Self>) {
        loop {
            if let Err(e) = self.refresh(Refresh::IfOlderThan(DEFAULT_REFRESH)).await {
                tracing::warn!("{e}");
            }
            tokio::time::sleep(DEFAULT_REFRESH).await;
        }
    }
}

/// What the app's SOFA page opens with.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SofaOverview {
    /// Where the feed came from and how fresh it is.
    pub feed: FeedOrigin,
    /// Layout, coverage and totals.
    pub summary: FeedSummary,
    /// The newest release of each major, newest major first.
    pub latest: Vec<LatestRelease>,
    /// This Mac's macOS version (macOS only).
    pub this_mac: Option<String>,
}

/// One version in depth: its standing and every CVE it is missing.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct VersionReport {
    /// The version's standing, or why the feed does not cover it.
    pub status: VersionStatus,
    /// CVEs fixed after it (empty when the feed does not cover its major).
    pub cves: Vec<FixedCve>,
}

impl SofaService {
    pub async fn overview(&self) -> Result<SofaOverview, String> {
        overview(self.feed().await?)
    }

    /// Fetches now (conditionally) and answers with the fresh overview.
    pub async fn refresh_overview(&self) -> Result<SofaOverview, String> {
        overview(self.refresh(Refresh::Now).await?)
    }

    pub async fn report(&self, version: &str) -> Result<VersionReport, String> {
        let loaded = self.feed().await?;
        let model = latchkey_sofa::this_mac::model();
        let status = loaded
            .feed
            .status(version, model.as_deref(), Utc::now())
            .map_err(|e| e.to_string())?;
        let cves = match &status {
            VersionStatus::InFeed(analysis) => loaded
                .feed
                .cves_fixed_after(&analysis.version)
                .unwrap_or_default(),
            VersionStatus::NotInFeed(_) => Vec::new(),
        };
        Ok(VersionReport { status, cves })
    }

    /// The menu bar's SOFA line: this Mac's standing on macOS, the feed's age elsewhere.
    pub async fn tray_line(&self) -> String {
        match self.feed().await {
            Ok(loaded) => tray_line(
                &loaded,
                latchkey_sofa::this_mac::os_version().ok().as_deref(),
                Utc::now(),
            ),
            Err(_) => "SOFA feed unavailable".to_owned(),
        }
    }
}

fn overview(loaded: LoadedFeed) -> Result<SofaOverview, String> {
    Ok(SofaOverview {
        summary: loaded.feed.summary(),
        latest: loaded.feed.latest_releases(),
        feed: loaded.origin,
        this_mac: latchkey_sofa::this_mac::os_version().ok(),
    })
}

pub(crate) fn tray_line(loaded: &LoadedFeed, this_mac: Option<&str>, now: DateTime<Utc>) -> String {
    let Some(version) = this_mac else {
        let hours = (now - loaded.origin.fetched_at).num_hours().max(0);
        let age = if hours < 48 {
            format!("{hours} h")
        } else {
            format!("{} days", hours / 24)
        };
        let cached = if loaded.origin.stale_reason.is_some() {
            ", offline copy"
        } else {
            ""
        };
        return format!("SOFA feed: {age} old{cached}");
    };
    let counts = version.parse().ok().and_then(|v| loaded.feed.counts(&v));
    match counts {
        Some(c) if c.state == VersionState::Current => format!("macOS {version} · up to date"),
        Some(c) => {
            let plural = if c.releases_behind == 1 { "" } else { "s" };
            let exploited = match c.actively_exploited_fixed_later {
                0 => String::new(),
                n => format!(" · {n} exploited"),
            };
            format!(
                "macOS {version} · {} update{plural} behind{exploited}",
                c.releases_behind
            )
        }
        None => format!("macOS {version} · not in the SOFA feed"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone;
    use latchkey_sofa::IndexedFeed;

    use super::*;

    fn loaded(stale: bool) -> Option<LoadedFeed> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/fixtures/sofa/v2/macos_data_feed.json"
        );
        let bytes = std::fs::read(path).ok()?;
        let origin = FeedOrigin {
            source: path.to_owned(),
            fetched_at: Utc.with_ymd_and_hms(2026, 4, 1, 6, 0, 0).unwrap(),
            stale_reason: stale.then(|| "cannot reach sofafeed.macadmins.io".to_owned()),
        };
        Some(LoadedFeed {
            feed: Arc::new(IndexedFeed::from_slice(&bytes).unwrap()),
            origin,
        })
    }

    #[test]
    fn tray_line_says_how_far_behind_this_mac_is() {
        let Some(feed) = loaded(false) else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "SOFA fixtures missing"
            );
            return;
        };
        let now = Utc.with_ymd_and_hms(2026, 4, 2, 12, 0, 0).unwrap();
        assert_eq!(
            tray_line(&feed, Some("15.7.5"), now),
            "macOS 15.7.5 · up to date"
        );
        assert_eq!(
            tray_line(&feed, Some("15.7.4"), now),
            "macOS 15.7.4 · 1 update behind"
        );
        assert_eq!(
            tray_line(&feed, Some("15.1"), now),
            "macOS 15.1 · 16 updates behind · 12 exploited"
        );
        assert_eq!(
            tray_line(&feed, Some("10.15.7"), now),
            "macOS 10.15.7 · not in the SOFA feed"
        );
        assert_eq!(tray_line(&feed, None, now), "SOFA feed: 30 h old");
        let stale = loaded(true).unwrap();
        assert_eq!(
            tray_line(&stale, None, now + chrono::Duration::days(3)),
            "SOFA feed: 4 days old, offline copy"
        );
    }
}
