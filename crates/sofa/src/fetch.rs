//! Getting the feed: over HTTP(S) with conditional requests, or from a file (mirrors and
//! air-gapped sites), and an on-disk cache that only ever holds a feed that parsed.
//! The only module of this crate that does I/O.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::IndexedFeed;
pub use crate::freshness::{DEFAULT_MAX_FEED_AGE, FeedInfo, age_text};

/// SOFA's macOS feed, current layout.
pub const DEFAULT_FEED_URL: &str = "https://sofafeed.macadmins.io/v2/macos_data_feed.json";
/// SOFA's macOS feed, v1 layout (for sites that pin it).
pub const V1_FEED_URL: &str = "https://sofafeed.macadmins.io/v1/macos_data_feed.json";
/// How often a running broker refreshes the feed unless told otherwise.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(6 * 60 * 60);

/// The largest feed read from the network, a file or the cache: SOFA's macOS feed is a few MiB
/// today, and anything far beyond this is not a feed but a way to exhaust memory.
pub const MAX_FEED_BYTES: u64 = 64 << 20;

const FEED_FILE: &str = "sofa-feed.json";
const META_FILE: &str = "sofa-feed.meta.json";

/// Where the feed comes from: a URL, or a file path. Its `Debug` leaves out a URL's userinfo.
#[derive(Clone, PartialEq, Eq)]
pub enum FeedSource {
    Url(String),
    File(PathBuf),
}

impl std::fmt::Debug for FeedSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Url(url) => f.debug_tuple("Url").field(&redact_url(url)).finish(),
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

impl FeedSource {
    /// `http(s)://…` is a URL; `file://…` and anything else a path. `v1` and `v2` name SOFA's
    /// own feeds. A path that turns out not to exist is explained when loading (`FetchError`).
    pub fn parse(text: &str) -> Self {
        match text {
            "v1" => Self::Url(V1_FEED_URL.to_owned()),
            "v2" => Self::Url(DEFAULT_FEED_URL.to_owned()),
            _ if text.starts_with("https://") || text.starts_with("http://") => {
                Self::Url(text.to_owned())
            }
            _ => match text.strip_prefix("file://") {
                Some(path) => Self::File(PathBuf::from(
                    path.strip_prefix("localhost").unwrap_or(path),
                )),
                None => Self::File(PathBuf::from(text)),
            },
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Url(url) => redact_url(url),
            Self::File(path) => path.display().to_string(),
        }
    }
}

/// The environment variable that names the feed (a URL, a file, `v1`, `v2`) over any setting.
pub const FEED_ENV: &str = "LATCHKEY_SOFA_FEED";

/// [`FEED_ENV`]'s value, when set and not empty.
pub fn feed_from_env() -> Option<String> {
    std::env::var(FEED_ENV).ok().filter(|s| !s.is_empty())
}

impl FeedSource {
    /// [`FEED_ENV`] when set, else SOFA's v2 macOS feed.
    pub fn from_env() -> Self {
        feed_from_env().map(|s| Self::parse(&s)).unwrap_or_default()
    }
}

impl Default for FeedSource {
    fn default() -> Self {
        Self::Url(DEFAULT_FEED_URL.to_owned())
    }
}

/// How to get a feed when none can be loaded, for every message that says so.
pub const FEED_FIX: &str =
    "check the network, or point LATCHKEY_SOFA_FEED at a reachable mirror or file";

/// Where a loaded feed came from and how fresh it is.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FeedOrigin {
    /// The URL (without any user or password in it) or file path the feed was read from.
    pub source: String,
    /// When it was last fetched (or confirmed unchanged) from the source; for a file, when the
    /// file was written. Says nothing about how old its content is: see `sofa_updated_at`.
    pub fetched_at: DateTime<Utc>,
    /// When SOFA itself last updated the feed (its `LastCheck`); absent when the layout carries
    /// none (v1).
    #[serde(default)]
    pub sofa_updated_at: Option<DateTime<Utc>>,
    /// Set when the source could not be reached or gave a bad feed, so this is the cached copy.
    pub stale_reason: Option<String>,
}

/// A parsed, indexed feed and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedFeed {
    pub feed: Arc<IndexedFeed>,
    pub origin: FeedOrigin,
}

/// When to go to the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// Only if the cached copy is older than this (or missing).
    IfOlderThan(Duration),
    /// Always ask the source (conditionally, so an unchanged feed costs a 304).
    Now,
    /// Never: the cache or nothing.
    Offline,
}

#[derive(Debug, Serialize, Deserialize)]
struct CacheMeta {
    source: String,
    etag: Option<String>,
    last_modified: Option<String>,
    fetched_at: DateTime<Utc>,
}

/// Loads the feed from its source, keeping the last good copy in a cache directory.
#[derive(Debug, Clone)]
pub struct FeedStore {
    source: FeedSource,
    cache_dir: PathBuf,
    timeout: Duration,
    /// Made for the first download: a store that only reads a file never loads the system's
    /// root certificates (tens of milliseconds of a `latchkey sofa … --feed FILE`).
    client: OnceLock<reqwest::Client>,
}

impl FeedStore {
    pub fn new(source: FeedSource, cache_dir: impl Into<PathBuf>) -> Result<Self, FetchError> {
        Self::with_timeout(source, cache_dir, Duration::from_secs(30))
    }

    pub fn with_timeout(
        source: FeedSource,
        cache_dir: impl Into<PathBuf>,
        timeout: Duration,
    ) -> Result<Self, FetchError> {
        let store = Self {
            source,
            cache_dir: cache_dir.into(),
            timeout,
            client: OnceLock::new(),
        };
        // A client that cannot be made is said now for a URL, as it always was.
        if let FeedSource::Url(_) = store.source {
            store.client()?;
        }
        Ok(store)
    }

    fn client(&self) -> Result<&reqwest::Client, FetchError> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let client = reqwest::Client::builder()
            // SOFA asks clients to identify themselves.
            .user_agent(concat!(
                "Latchkey/",
                env!("CARGO_PKG_VERSION"),
                " (macOS admin tool; SOFA client)"
            ))
            .connect_timeout(Duration::from_secs(10).min(self.timeout))
            .timeout(self.timeout)
            .redirect(plain_http_only_to_loopback())
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        Ok(self.client.get_or_init(|| client))
    }

    pub fn source(&self) -> &FeedSource {
        &self.source
    }

    /// The same store (cache, and client once made) for another source; a cached copy of this
    /// source's feed is not taken for the other's.
    pub fn with_source(&self, source: FeedSource) -> Self {
        Self {
            source,
            ..self.clone()
        }
    }

    /// The feed, fetched or cached according to `refresh`. A download that fails or does not
    /// parse never replaces the cached copy; the cached copy is returned with the reason.
    pub async fn load(&self, refresh: Refresh) -> Result<LoadedFeed, FetchError> {
        let url = match &self.source {
            FeedSource::File(path) => return load_file(path),
            FeedSource::Url(url) => url.clone(),
        };
        check_url(&url)?;
        let cached = self.cached()?;
        let fresh_enough = |meta: &CacheMeta| match refresh {
            Refresh::IfOlderThan(max) => Utc::now()
                .signed_duration_since(meta.fetched_at)
                .to_std()
                .is_ok_and(|age| age < max),
            Refresh::Now => false,
            Refresh::Offline => true,
        };
        if let Some((feed, meta)) = &cached
            && fresh_enough(meta)
        {
            return Ok(self.loaded(feed.clone(), meta, None));
        }
        if refresh == Refresh::Offline {
            return Err(FetchError::NoCache {
                from: redact_url(&url),
            });
        }
        match self.download(&url, cached.as_ref().map(|(_, m)| m)).await {
            Ok(Downloaded::Changed(feed, meta)) => Ok(self.loaded(feed, &meta, None)),
            Ok(Downloaded::Unchanged(meta)) => {
                let (feed, _) =
                    cached.expect("a 304 answers a conditional request, made only with a cache");
                Ok(self.loaded(feed, &meta, None))
            }
            Err(e) => match cached {
                Some((feed, meta)) => Ok(self.loaded(feed, &meta, Some(e.to_string()))),
                None => Err(e),
            },
        }
    }

    fn loaded(
        &self,
        feed: Arc<IndexedFeed>,
        meta: &CacheMeta,
        stale_reason: Option<String>,
    ) -> LoadedFeed {
        LoadedFeed {
            origin: FeedOrigin {
                source: meta.source.clone(),
                fetched_at: meta.fetched_at,
                sofa_updated_at: feed.feed().last_check,
                stale_reason,
            },
            feed,
        }
    }

    /// The cached copy for this source, if there is one that parses.
    fn cached(&self) -> Result<Option<(Arc<IndexedFeed>, CacheMeta)>, FetchError> {
        let meta_path = self.cache_dir.join(META_FILE);
        let meta: CacheMeta = match std::fs::read(&meta_path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(meta) => meta,
                Err(_) => return Ok(None), // unreadable metadata: treat as no cache
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(FetchError::Io {
                    path: meta_path,
                    error: e.to_string(),
                });
            }
        };
        if meta.source != self.source.describe() {
            return Ok(None);
        }
        let feed_path = self.cache_dir.join(FEED_FILE);
        // A cache that is too big or does not parse counts as none: the next request is
        // unconditional (no If-None-Match), so a 304 can never stand for a feed we cannot read.
        match read_capped(&feed_path) {
            Ok(Some(bytes)) => Ok(IndexedFeed::from_slice(&bytes)
                .ok()
                .map(|feed| (Arc::new(feed), meta))),
            Ok(None) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(FetchError::Io {
                path: feed_path,
                error: e.to_string(),
            }),
        }
    }

    async fn download(
        &self,
        url: &str,
        cached: Option<&CacheMeta>,
    ) -> Result<Downloaded, FetchError> {
        let mut request = self.client()?.get(url);
        if let Some(meta) = cached {
            if let Some(etag) = &meta.etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            if let Some(modified) = &meta.last_modified {
                request = request.header(IF_MODIFIED_SINCE, modified);
            }
        }
        let shown = redact_url(url);
        let network = |e: reqwest::Error| FetchError::Network {
            url: shown.clone(),
            error: describe(&e.without_url()),
        };
        let mut response = request.send().await.map_err(network)?;
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let mut meta = CacheMeta {
            source: shown.clone(),
            etag: header(ETAG),
            last_modified: header(LAST_MODIFIED),
            fetched_at: Utc::now(),
        };
        match response.status() {
            StatusCode::NOT_MODIFIED if cached.is_some() => {
                let old = cached.expect("checked");
                meta.etag = meta.etag.or_else(|| old.etag.clone());
                meta.last_modified = meta.last_modified.or_else(|| old.last_modified.clone());
                self.write_atomically(
                    META_FILE,
                    &serde_json::to_vec(&meta).expect("meta serializes"),
                )?;
                Ok(Downloaded::Unchanged(meta))
            }
            status if status.is_success() => {
                let too_large = || FetchError::TooLarge {
                    from: shown.clone(),
                    limit_mib: MAX_FEED_BYTES >> 20,
                };
                if response.content_length().unwrap_or(0) > MAX_FEED_BYTES {
                    return Err(too_large());
                }
                // Counted after gzip decompression (reqwest inflates before `chunk`).
                let mut body = Vec::new();
                while let Some(chunk) = response.chunk().await.map_err(network)? {
                    if (body.len() + chunk.len()) as u64 > MAX_FEED_BYTES {
                        return Err(too_large());
                    }
                    body.extend_from_slice(&chunk);
                }
                let feed = IndexedFeed::from_slice(&body).map_err(|e| FetchError::BadFeed {
                    from: shown.clone(),
                    error: e.to_string(),
                })?;
                // Feed first, then metadata: a crash in between only costs one unconditional fetch.
                self.write_atomically(FEED_FILE, &body)?;
                self.write_atomically(
                    META_FILE,
                    &serde_json::to_vec(&meta).expect("meta serializes"),
                )?;
                Ok(Downloaded::Changed(Arc::new(feed), meta))
            }
            status => Err(FetchError::Http {
                url: shown.clone(),
                status: status.as_u16(),
            }),
        }
    }

    /// Write to a temporary file in the same directory, fsync, then rename over the old file.
    fn write_atomically(&self, name: &str, bytes: &[u8]) -> Result<(), FetchError> {
        use std::io::Write;
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |e: std::io::Error| FetchError::Io {
                path,
                error: e.to_string(),
            }
        };
        std::fs::create_dir_all(&self.cache_dir).map_err(io(&self.cache_dir))?;
        let target = self.cache_dir.join(name);
        let mut tmp =
            tempfile::NamedTempFile::new_in(&self.cache_dir).map_err(io(&self.cache_dir))?;
        tmp.write_all(bytes)
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(io(tmp.path()))?;
        tmp.persist(&target).map_err(|e| io(&target)(e.error))?;
        Ok(())
    }
}

enum Downloaded {
    Changed(Arc<IndexedFeed>, CacheMeta),
    Unchanged(CacheMeta),
}

fn load_file(path: &Path) -> Result<LoadedFeed, FetchError> {
    let io = |e: std::io::Error| FetchError::Io {
        path: path.to_path_buf(),
        error: e.to_string(),
    };
    let bytes = read_capped(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => FetchError::NoSuchFeed {
                input: path.display().to_string(),
                hint: not_found_hint(path),
            },
            _ => io(e),
        })?
        .ok_or_else(|| FetchError::TooLarge {
            from: path.display().to_string(),
            limit_mib: MAX_FEED_BYTES >> 20,
        })?;
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map_err(io)?;
    let feed = IndexedFeed::from_slice(&bytes).map_err(|e| FetchError::BadFeed {
        from: path.display().to_string(),
        error: e.to_string(),
    })?;
    Ok(LoadedFeed {
        origin: FeedOrigin {
            source: path.display().to_string(),
            fetched_at: modified.into(),
            sofa_updated_at: feed.feed().last_check,
            stale_reason: None,
        },
        feed: Arc::new(feed),
    })
}

/// The file's bytes, or `None` when it holds more than [`MAX_FEED_BYTES`] (never read past that).
fn read_capped(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_FEED_BYTES + 1)
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= MAX_FEED_BYTES).then_some(bytes))
}

/// `url` without its userinfo, for everything shown, logged, serialised or cached: a mirror's
/// `https://user:password@host/feed.json` becomes `https://host/feed.json`.
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        // Unparsable: drop anything up to an `@` in what would be the authority.
        Err(_) => match url.split_once("://") {
            Some((scheme, rest)) => {
                let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
                let host = rest[..end].rsplit('@').next().unwrap_or_default();
                format!("{scheme}://{host}{}", &rest[end..])
            }
            None => url.to_owned(),
        },
    }
}

/// Whether plain http may be used for `url`: only to this machine (a test server, a local
/// mirror), where nobody on the network can change the feed in flight.
fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// https anywhere; http only to loopback.
fn check_url(url: &str) -> Result<(), FetchError> {
    let insecure = |why: &str| FetchError::InsecureUrl {
        url: redact_url(url),
        why: why.to_owned(),
    };
    let parsed = reqwest::Url::parse(url).map_err(|_| insecure("not a valid URL"))?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&parsed) => Ok(()),
        "http" => Err(insecure(
            "plain http is refused except to this machine (localhost); use https://",
        )),
        _ => Err(insecure(
            "only https:// (or http:// to localhost) is fetched",
        )),
    }
}

/// Redirects are followed (up to 10) under the same rule as the URL itself.
fn plain_http_only_to_loopback() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= 10 {
            attempt.error("too many redirects")
        } else if attempt.url().scheme() == "https" || is_loopback(attempt.url()) {
            attempt.follow()
        } else {
            attempt.error("redirected to plain http, which is refused except to localhost")
        }
    })
}

/// What a `--feed` value that names no file probably meant.
fn not_found_hint(path: &Path) -> String {
    let text = path.to_string_lossy();
    let host = text.split('/').next().unwrap_or("");
    let host_like = host.contains('.')
        && !host.starts_with('.')
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b':');
    if text.len() > 1 && text.starts_with('v') && text[1..].bytes().all(|b| b.is_ascii_digit()) {
        "unknown feed name; use v1, v2, a URL or a file".to_owned()
    } else if let Some((scheme, _)) = text.split_once("://") {
        format!("unsupported scheme {scheme}://; use https://, http://, file:// or a path")
    } else if host_like && text.contains('/') {
        format!("no such file; did you mean https://{text}?")
    } else {
        "no such file; use v1, v2, a URL or a file".to_owned()
    }
}

/// Why the feed could not be had. Messages name the URL (userinfo removed) or path, never
/// anything secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    #[error("cannot reach {url}: {error}")]
    Network { url: String, error: String },
    #[error("{url} answered HTTP {status}")]
    Http { url: String, status: u16 },
    #[error("{from} is not a SOFA feed: {error}")]
    BadFeed { from: String, error: String },
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: String },
    #[error("{input}: {hint}")]
    NoSuchFeed { input: String, hint: String },
    #[error("offline, and no cached copy of {from}")]
    NoCache { from: String },
    #[error("{from} is larger than {limit_mib} MiB, the most Latchkey reads of a SOFA feed")]
    TooLarge { from: String, limit_mib: u64 },
    #[error("cannot fetch the SOFA feed from {url}: {why}")]
    InsecureUrl { url: String, why: String },
}

/// reqwest's Display hides the cause ("error sending request"); users need the cause.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".to_owned();
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
