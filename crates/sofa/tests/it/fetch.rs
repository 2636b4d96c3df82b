//! Fetching and caching against a real HTTP server on 127.0.0.1 that can misbehave on cue:
//! 304s, a garbage body, a hang past the timeout, a 500.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Response, StatusCode};
use axum::routing::get;
use latchkey_sofa::fetch::{FeedSource, FeedStore, MAX_FEED_BYTES, Refresh};

use crate::common;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Feed,
    Garbage,
    Hang,
    Fail,
    /// 200 with a body one byte over `MAX_FEED_BYTES`.
    Huge,
}

#[derive(Default)]
struct Seen {
    user_agents: Vec<String>,
    if_none_match: Vec<Option<String>>,
}

#[derive(Clone)]
struct Server {
    mode: Arc<Mutex<Mode>>,
    body: Arc<Vec<u8>>,
    seen: Arc<Mutex<Seen>>,
}

const ETAG: &str = "\"feed-v1\"";

async fn serve_feed(State(server): State<Server>, headers: HeaderMap) -> Response<Body> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    {
        let mut seen = server.seen.lock().unwrap();
        seen.user_agents
            .push(header("user-agent").unwrap_or_default());
        seen.if_none_match.push(header("if-none-match"));
    }
    let mode = *server.mode.lock().unwrap();
    let reply = |status: StatusCode, body: Vec<u8>| {
        Response::builder()
            .status(status)
            .header("etag", ETAG)
            .body(Body::from(body))
            .unwrap()
    };
    match mode {
        Mode::Feed if header("if-none-match").as_deref() == Some(ETAG) => {
            reply(StatusCode::NOT_MODIFIED, Vec::new())
        }
        Mode::Feed => reply(StatusCode::OK, server.body.to_vec()),
        Mode::Garbage => Response::builder()
            .status(StatusCode::OK)
            .header("etag", "\"other\"")
            .body(Body::from("<html>captive portal</html>"))
            .unwrap(),
        Mode::Hang => {
            tokio::time::sleep(Duration::from_secs(10)).await;
            reply(StatusCode::OK, server.body.to_vec())
        }
        Mode::Fail => reply(StatusCode::INTERNAL_SERVER_ERROR, b"oops".to_vec()),
        Mode::Huge => reply(StatusCode::OK, vec![b' '; MAX_FEED_BYTES as usize + 1]),
    }
}

/// A local server for the v2 fixture feed, or `None` when fixtures are absent (outside CI).
async fn start() -> Option<(Server, String)> {
    let server = Server {
        mode: Arc::new(Mutex::new(Mode::Feed)),
        body: Arc::new(common::fixture("v2/macos_data_feed.json")?),
        seen: Arc::default(),
    };
    let app = Router::new()
        .route("/v2/macos_data_feed.json", get(serve_feed))
        .with_state(server.clone());
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let url = format!(
        "http://{}/v2/macos_data_feed.json",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Some((server, url))
}

fn set(server: &Server, mode: Mode) {
    *server.mode.lock().unwrap() = mode;
}

#[tokio::test]
async fn a_fetch_is_cached_and_revalidated_with_its_etag() {
    let Some((server, url)) = start().await else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let store = FeedStore::new(FeedSource::Url(url.clone()), cache.path()).unwrap();

    let first = store.load(Refresh::Now).await.unwrap();
    assert_eq!(first.origin.source, url);
    assert!(first.origin.stale_reason.is_none());
    let releases = first.feed.summary().security_releases;

    // Fresh enough: no request at all.
    store
        .load(Refresh::IfOlderThan(Duration::from_secs(3600)))
        .await
        .unwrap();
    assert_eq!(server.seen.lock().unwrap().if_none_match.len(), 1);

    // Forced: a conditional request, answered 304, served from the cache.
    let again = store.load(Refresh::Now).await.unwrap();
    assert_eq!(again.feed.summary().security_releases, releases);
    assert!(again.origin.fetched_at >= first.origin.fetched_at);
    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.if_none_match, vec![None, Some(ETAG.to_owned())]);
    assert!(
        seen.user_agents
            .iter()
            .all(|ua| ua.starts_with(concat!("Latchkey/", env!("CARGO_PKG_VERSION")))),
        "{:?}",
        seen.user_agents
    );
}

#[tokio::test]
async fn a_bad_body_never_replaces_the_good_cache() {
    let Some((server, url)) = start().await else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let store = FeedStore::new(FeedSource::Url(url), cache.path()).unwrap();
    let good = store.load(Refresh::Now).await.unwrap();
    let on_disk = std::fs::read(cache.path().join("sofa-feed.json")).unwrap();

    set(&server, Mode::Garbage);
    let after = store.load(Refresh::Now).await.unwrap();
    let reason = after.origin.stale_reason.as_deref().expect("marked stale");
    assert!(reason.contains("is not a SOFA feed"), "{reason}");
    assert_eq!(
        after.feed.summary().security_releases,
        good.feed.summary().security_releases
    );
    assert_eq!(
        std::fs::read(cache.path().join("sofa-feed.json")).unwrap(),
        on_disk,
        "cache untouched"
    );

    // Without a cache, the same garbage is a clear error.
    let empty = tempfile::tempdir().unwrap();
    let fresh = FeedStore::new(store.source().clone(), empty.path()).unwrap();
    let err = fresh.load(Refresh::Now).await.unwrap_err();
    assert!(err.to_string().contains("127.0.0.1"), "{err}");
    assert!(!empty.path().join("sofa-feed.json").exists());
}

#[tokio::test]
async fn a_server_error_or_timeout_falls_back_to_the_cache_with_the_reason() {
    let Some((server, url)) = start().await else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let store = FeedStore::with_timeout(
        FeedSource::Url(url),
        cache.path(),
        Duration::from_millis(500),
    )
    .unwrap();
    store.load(Refresh::Now).await.unwrap();

    set(&server, Mode::Fail);
    let after_500 = store.load(Refresh::Now).await.unwrap();
    assert!(
        after_500
            .origin
            .stale_reason
            .as_deref()
            .unwrap()
            .contains("500"),
        "{:?}",
        after_500.origin
    );

    set(&server, Mode::Hang);
    let started = std::time::Instant::now();
    let after_hang = store.load(Refresh::Now).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        after_hang
            .origin
            .stale_reason
            .as_deref()
            .unwrap()
            .contains("timed out"),
        "{:?}",
        after_hang.origin
    );

    // Offline: the cache, no request.
    let requests = server.seen.lock().unwrap().user_agents.len();
    store.load(Refresh::Offline).await.unwrap();
    assert_eq!(server.seen.lock().unwrap().user_agents.len(), requests);
}

#[tokio::test]
async fn nothing_reachable_and_nothing_cached_is_a_clear_error() {
    let cache = tempfile::tempdir().unwrap();
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let store = FeedStore::new(
        FeedSource::Url(format!("http://127.0.0.1:{port}/feed.json")),
        cache.path(),
    )
    .unwrap();
    let err = store.load(Refresh::Now).await.unwrap_err();
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    let err = store.load(Refresh::Offline).await.unwrap_err();
    assert!(err.to_string().contains("no cached"), "{err}");
}

#[tokio::test]
async fn a_file_source_is_read_directly() {
    if common::fixture("v1/macos_data_feed.json").is_none() {
        return;
    }
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/sofa/v1/macos_data_feed.json"
    );
    let cache = tempfile::tempdir().unwrap();
    let loaded = FeedStore::new(FeedSource::parse(path), cache.path())
        .unwrap()
        .load(Refresh::Now)
        .await
        .unwrap();
    assert_eq!(loaded.origin.source, path);
    assert_eq!(loaded.feed.summary().security_releases, 113);
    let missing =
        FeedStore::new(FeedSource::parse("/nonexistent/feed.json"), cache.path()).unwrap();
    assert!(
        missing
            .load(Refresh::Now)
            .await
            .unwrap_err()
            .to_string()
            .contains("/nonexistent/feed.json")
    );
}

#[tokio::test]
async fn feed_names_that_name_nothing_say_what_to_use() {
    let cache = tempfile::tempdir().unwrap();
    let error = |text: &'static str| {
        let store = FeedStore::new(FeedSource::parse(text), cache.path()).unwrap();
        async move { store.load(Refresh::Now).await.unwrap_err().to_string() }
    };
    assert_eq!(
        error("v3").await,
        "v3: unknown feed name; use v1, v2, a URL or a file"
    );
    assert_eq!(
        error("sofafeed.macadmins.io/v2/macos_data_feed.json").await,
        "sofafeed.macadmins.io/v2/macos_data_feed.json: no such file; did you mean https://sofafeed.macadmins.io/v2/macos_data_feed.json?"
    );
    assert!(
        error("ftp://example.com/feed.json")
            .await
            .contains("unsupported scheme ftp://")
    );
    assert_eq!(
        FeedSource::parse("file:///srv/sofa/feed.json"),
        FeedSource::File("/srv/sofa/feed.json".into())
    );
    assert_eq!(
        FeedSource::parse("file://localhost/srv/feed.json"),
        FeedSource::File("/srv/feed.json".into())
    );
}

#[tokio::test]
async fn a_file_source_carries_sofas_own_update_time() {
    if common::fixture("v2-2026-09-10/macos_data_feed.json").is_none() {
        return;
    }
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/sofa/v2-2026-09-10/macos_data_feed.json"
    );
    let cache = tempfile::tempdir().unwrap();
    let loaded = FeedStore::new(FeedSource::parse(&format!("file://{path}")), cache.path())
        .unwrap()
        .load(Refresh::Now)
        .await
        .unwrap();
    let updated = loaded.origin.sofa_updated_at.expect("LastCheck");
    assert_eq!(
        updated.format("%Y-%m-%d %H:%M").to_string(),
        "2026-09-10 19:13"
    );
}

/// Issue #12 item 12: a feed over 64 MiB, from the network or a file, is refused with a clear
/// error instead of being read into memory.
#[tokio::test]
async fn issue_12_a_feed_over_the_size_cap_is_refused() {
    let Some((server, url)) = start().await else {
        return;
    };
    set(&server, Mode::Huge);
    let cache = tempfile::tempdir().unwrap();
    let store = FeedStore::new(FeedSource::Url(url.clone()), cache.path()).unwrap();
    let err = store.load(Refresh::Now).await.unwrap_err().to_string();
    assert_eq!(
        err,
        format!("{url} is larger than 64 MiB, the most Latchkey reads of a SOFA feed")
    );

    let big = cache.path().join("big.json");
    std::fs::write(&big, vec![b' '; MAX_FEED_BYTES as usize + 1]).unwrap();
    let store = FeedStore::new(FeedSource::File(big.clone()), cache.path()).unwrap();
    let err = store.load(Refresh::Now).await.unwrap_err().to_string();
    assert!(err.contains("larger than 64 MiB"), "{err}");
}

/// Issue #12 item 12: plain http is refused unless it stays on this machine; nothing is sent.
#[tokio::test]
async fn issue_12_plain_http_is_refused_except_to_loopback() {
    let cache = tempfile::tempdir().unwrap();
    for url in [
        "http://mirror.example/v2/macos_data_feed.json",
        "http://10.0.0.8:8080/feed.json",
    ] {
        let store = FeedStore::new(FeedSource::Url(url.to_owned()), cache.path()).unwrap();
        let err = store.load(Refresh::Now).await.unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "cannot fetch the SOFA feed from {url}: plain http is refused except to this \
                 machine (localhost); use https://"
            )
        );
    }
}

/// Issue #12 item 12: a mirror URL's user and password never reach what is shown (errors, the
/// feed origin assistants see) or the cache's metadata.
#[tokio::test]
async fn issue_12_a_feed_urls_userinfo_is_never_shown() {
    let Some((server, url)) = start().await else {
        return;
    };
    let secret_url = url.replacen("http://", "http://mirror-user:hunter2pw@", 1);
    let cache = tempfile::tempdir().unwrap();
    let store = FeedStore::new(FeedSource::Url(secret_url.clone()), cache.path()).unwrap();
    let debug = format!("{store:?}");
    assert!(!debug.contains("hunter2pw"), "{debug}");
    let loaded = store.load(Refresh::Now).await.unwrap();
    assert_eq!(loaded.origin.source, url);
    let shown = serde_json::to_string(&loaded.origin).unwrap();
    assert!(!shown.contains("hunter2pw"), "{shown}");

    set(&server, Mode::Fail);
    let stale = store.load(Refresh::Now).await.unwrap();
    let reason = stale.origin.stale_reason.unwrap();
    assert!(
        !reason.contains("hunter2pw") && !reason.contains("mirror-user"),
        "{reason}"
    );
    for entry in std::fs::read_dir(cache.path()).unwrap() {
        let text =
            String::from_utf8_lossy(&std::fs::read(entry.unwrap().path()).unwrap()).into_owned();
        assert!(!text.contains("hunter2pw"), "the cache holds the password");
    }

    // Nothing listening: the network error names the URL without its userinfo.
    let closed = "http://mirror-user:hunter2pw@127.0.0.1:9/feed.json";
    let empty = tempfile::tempdir().unwrap();
    let store = FeedStore::new(FeedSource::Url(closed.to_owned()), empty.path()).unwrap();
    let err = store.load(Refresh::Now).await.unwrap_err().to_string();
    assert!(
        err.starts_with("cannot reach http://127.0.0.1:9/feed.json: "),
        "{err}"
    );
    assert!(
        !err.contains("hunter2pw") && !err.contains("mirror-user"),
        "{err}"
    );
}

/// Issue #12 item 12: a cache whose body no longer parses is not revalidated (a 304 would
/// leave Latchkey with no feed); it is fetched in full, without If-None-Match.
#[tokio::test]
async fn issue_12_an_unreadable_cache_is_refetched_in_full() {
    let Some((server, url)) = start().await else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let store = FeedStore::new(FeedSource::Url(url), cache.path()).unwrap();
    store.load(Refresh::Now).await.unwrap();
    std::fs::write(cache.path().join("sofa-feed.json"), b"{ truncated").unwrap();
    let again = store.load(Refresh::Now).await.unwrap();
    assert!(again.origin.stale_reason.is_none());
    assert_eq!(
        server.seen.lock().unwrap().if_none_match,
        vec![None, None],
        "the second request is unconditional"
    );
}
