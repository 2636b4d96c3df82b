//! The SOFA feed the broker answers from: loaded on first use, refreshed in the background
//! (every 6 h by default), shared by every MCP session. The feed holds no secrets.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use latchkey_sofa::fetch::{
    DEFAULT_MAX_FEED_AGE, DEFAULT_REFRESH, FeedInfo, FeedSource, FeedStore, LoadedFeed, Refresh,
    age_text,
};
use latchkey_sofa::{
    FeedSummary, FixedCve, LatestRelease, UpdateSla, Version, VersionState, VersionStatus,
};
use schemars::JsonSchema;
use serde::Serialize;

use crate::notices::Notices;
use crate::{Error, StatePaths};

#[derive(Debug)]
pub struct SofaService {
    /// Where the feed comes from (Settings may change it while the broker runs).
    store: RwLock<FeedStore>,
    /// How often the background refresh fetches it (Settings; default 6 hours).
    refresh_every: AtomicU64,
    /// Wakes the background refresh when the source or interval changes.
    settings_changed: tokio::sync::Notify,
    current: RwLock<Option<LoadedFeed>>,
    /// One fetch at a time; callers arriving meanwhile wait for its result.
    fetching: tokio::sync::Mutex<()>,
    /// Seconds since SOFA's own update past which answers warn that the feed is outdated.
    max_feed_age: AtomicU64,
    /// How long each missed update may wait before it is overdue (Settings; defaults 7/30/90).
    sla: RwLock<UpdateSla>,
}

impl SofaService {
    pub fn new(store: FeedStore) -> Self {
        Self {
            store: RwLock::new(store),
            refresh_every: AtomicU64::new(DEFAULT_REFRESH.as_secs()),
            settings_changed: tokio::sync::Notify::new(),
            current: RwLock::new(None),
            fetching: tokio::sync::Mutex::new(()),
            max_feed_age: AtomicU64::new(DEFAULT_MAX_FEED_AGE.as_secs()),
            sla: RwLock::new(UpdateSla::DEFAULT),
        }
    }

    /// The update deadlines' SLAs every answer uses.
    pub fn update_sla(&self) -> UpdateSla {
        *self.sla.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets the update deadlines' SLAs (days after a release before its update is overdue).
    pub fn set_update_sla(&self, sla: UpdateSla) {
        *self.sla.write().unwrap_or_else(|p| p.into_inner()) = sla;
    }

    /// Takes the feed from `source` from now on: the next answer loads it (its cached copy
    /// if there is one for that source), and the background refresh fetches it at once.
    pub fn set_source(&self, source: FeedSource) {
        let mut store = self.store.write().unwrap_or_else(|p| p.into_inner());
        if store.source() == &source {
            return;
        }
        *store = store.with_source(source);
        drop(store);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = None;
        self.settings_changed.notify_one();
    }

    /// How often the background refresh fetches the feed.
    pub fn refresh_every(&self) -> Duration {
        Duration::from_secs(self.refresh_every.load(Ordering::Relaxed))
    }

    /// Fetches the feed every `every` from now on.
    pub fn set_refresh_every(&self, every: Duration) {
        if self.refresh_every.swap(every.as_secs(), Ordering::Relaxed) != every.as_secs() {
            self.settings_changed.notify_one();
        }
    }

    fn store(&self) -> FeedStore {
        self.store.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// How old (by SOFA's own update time) the feed may be before answers warn about it.
    pub fn set_max_feed_age(&self, age: Duration) {
        self.max_feed_age.store(age.as_secs(), Ordering::Relaxed);
    }

    /// Where `loaded` came from and how old its content is now.
    pub fn describe(&self, loaded: &LoadedFeed) -> FeedInfo {
        let max_age = Duration::from_secs(self.max_feed_age.load(Ordering::Relaxed));
        loaded.origin.info(Utc::now(), max_age)
    }

    /// The feed from `source`, cached in the platform's cache directory.
    pub fn open(source: FeedSource, paths: &StatePaths) -> Result<Self, Error> {
        let store =
            FeedStore::new(source, paths.cache_dir()).map_err(|e| Error::Sofa(e.to_string()))?;
        Ok(Self::new(store))
    }

    /// The current feed, loading it on first use: from the cache whatever its age (a call
    /// never waits on the network while a copy can answer; the background refresh brings a
    /// newer one, and answers say how old theirs is), else from the source.
    pub async fn feed(&self) -> Result<LoadedFeed, String> {
        if let Some(loaded) = self
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Ok(loaded);
        }
        if let Ok(cached) = self.store().load(Refresh::Offline).await {
            let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
            return Ok(current.get_or_insert(cached).clone());
        }
        self.refresh(Refresh::IfOlderThan(self.refresh_every()))
            .await
    }

    /// Loads per `mode` and makes the result current. A failed refresh keeps the previous feed.
    pub async fn refresh(&self, mode: Refresh) -> Result<LoadedFeed, String> {
        let _one_at_a_time = self.fetching.lock().await;
        let loaded = self
            .store()
            .load(mode)
            .await
            .map_err(|e| format!("the SOFA feed is unavailable: {e}"))?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(loaded.clone());
        Ok(loaded)
    }

    /// Refreshes now and then at the interval set, for as long as the broker runs; at once
    /// when the source or the interval changes. After each refresh, `notices` hears whether
    /// this Mac misses an actively exploited fix.
    pub(crate) async fn keep_fresh(self: Arc<Self>, notices: Arc<Notices>) {
        loop {
            let every = self.refresh_every();
            match self.refresh(Refresh::IfOlderThan(every)).await {
                Ok(loaded) => notices.this_mac(
                    &loaded,
                    latchkey_sofa::this_mac::os_version().ok().as_deref(),
                    Utc::now(),
                ),
                Err(e) => tracing::warn!("{e}"),
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = self.settings_changed.notified() => {}
            }
        }
    }
}

/// What the app's SOFA page opens with.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SofaOverview {
    /// Where the feed came from, when SOFA last updated it, and whether that is too long ago.
    pub feed: FeedInfo,
    /// Layout, coverage and totals.
    pub summary: FeedSummary,
    /// The newest release of each major, newest major first.
    pub latest: Vec<LatestRelease>,
    /// This Mac's macOS version (macOS only).
    pub this_mac: Option<String>,
}

/// One version in depth: its standing and every CVE it is missing.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VersionReport {
    /// The version's standing, or why the feed does not cover it.
    pub status: VersionStatus,
    /// CVEs fixed after it (empty when the feed cannot judge it: see `status`).
    pub cves: Vec<FixedCve>,
}

impl SofaService {
    pub async fn overview(&self) -> Result<SofaOverview, String> {
        Ok(self.overview_of(self.feed().await?))
    }

    /// Fetches now (conditionally) and answers with the fresh overview.
    pub async fn refresh_overview(&self) -> Result<SofaOverview, String> {
        Ok(self.overview_of(self.refresh(Refresh::Now).await?))
    }

    fn overview_of(&self, loaded: LoadedFeed) -> SofaOverview {
        SofaOverview {
            summary: loaded.feed.summary(),
            latest: loaded.feed.latest_releases(),
            feed: self.describe(&loaded),
            this_mac: latchkey_sofa::this_mac::os_version().ok(),
        }
    }

    pub async fn report(&self, version: &str) -> Result<VersionReport, String> {
        let loaded = self.feed().await?;
        let model = latchkey_sofa::this_mac::model();
        let status = loaded
            .feed
            .status(version, model.as_deref(), Utc::now(), &self.update_sla())
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

/// The menu bar's line. The feed's age is SOFA's own (when it last updated the feed), else the
/// time this copy was fetched.
pub(crate) fn tray_line(loaded: &LoadedFeed, this_mac: Option<&str>, now: DateTime<Utc>) -> String {
    let Some(version) = this_mac else {
        let origin = &loaded.origin;
        let since = origin.sofa_updated_at.unwrap_or(origin.fetched_at);
        let age = age_text((now - since).num_hours());
        let cached = if origin.stale_reason.is_some() {
            ", offline copy"
        } else {
            ""
        };
        return format!("SOFA feed: {age} old{cached}");
    };
    let Ok(parsed) = version.parse::<Version>() else {
        return format!("macOS {version} · not a version the SOFA feed knows");
    };
    // The line names no deadline, so the default SLAs do.
    let status = loaded.feed.analyze(&parsed, None, now, &UpdateSla::DEFAULT);
    match (&status, status.state()) {
        (_, VersionState::Current) => format!("macOS {version} · up to date"),
        (_, VersionState::EndOfLife) => {
            format!("macOS {version} · end of life: no security updates")
        }
        (_, VersionState::Unknown) => {
            format!("macOS {version} · not a release the SOFA feed lists")
        }
        (VersionStatus::InFeed(a), VersionState::Behind) => {
            let c = &a.counts;
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
        (VersionStatus::NotInFeed(_), VersionState::Behind) => {
            unreachable!("only a listed release is behind")
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone;
    use latchkey_sofa::IndexedFeed;
    use latchkey_sofa::fetch::FeedOrigin;

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
            sofa_updated_at: None,
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
            "macOS 10.15.7 · end of life: no security updates"
        );
        assert_eq!(
            tray_line(&feed, Some("12.7.6"), now),
            "macOS 12.7.6 · end of life: no security updates"
        );
        assert_eq!(
            tray_line(&feed, Some("15.77"), now),
            "macOS 15.77 · not a release the SOFA feed lists"
        );
        assert_eq!(tray_line(&feed, None, now), "SOFA feed: 30 h old");
        // SOFA's own update time, when the feed states it, not the download's.
        let mut mirrored = feed.clone();
        mirrored.origin.sofa_updated_at = Some(Utc.with_ymd_and_hms(2026, 3, 20, 0, 0, 0).unwrap());
        assert_eq!(tray_line(&mirrored, None, now), "SOFA feed: 13 days old");
        let stale = loaded(true).unwrap();
        assert_eq!(
            tray_line(&stale, None, now + chrono::Duration::days(3)),
            "SOFA feed: 4 days old, offline copy"
        );
    }
}
