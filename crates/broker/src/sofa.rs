//! The SOFA feed the broker answers from: loaded on first use, refreshed in the background
//! (every 6 h by default), shared by every MCP session. The feed holds no secrets.

use std::sync::{Arc, RwLock};

use latchkey_sofa::fetch::{DEFAULT_REFRESH, FeedSource, FeedStore, LoadedFeed, Refresh};

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

    /// The feed named by `LATCHKEY_SOFA_FEED` (URL, file, `v1`, `v2`), else SOFA's v2 feed,
    /// cached in the platform's cache directory.
    pub fn from_env(paths: &StatePaths) -> Result<Self, Error> {
        let source = std::env::var("LATCHKEY_SOFA_FEED")
            .ok()
            .filter(|s| !s.is_empty())
            .map(|s| FeedSource::parse(&s))
            .unwrap_or_default();
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
