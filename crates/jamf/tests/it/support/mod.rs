//! Shared by the integration tests: the mock Jamf server, fixture access, and clients wired
//! to a mock with test-friendly options.

#![allow(dead_code)] // each test binary uses its own subset

pub use latchkey_jamf_mock as mock;

use std::path::PathBuf;
use std::sync::LazyLock;
use std::time::Duration;

use chrono::Utc;
use latchkey_jamf::{Auth, ClientOptions, Currency, JamfClient, Secret};
use latchkey_sofa::IndexedFeed;
use latchkey_sofa::fetch::{DEFAULT_MAX_FEED_AGE, FeedInfo, FeedOrigin};

use mock::{Mock, MockConfig};

const JAMF_FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/jamf");
const SOFA_FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/sofa");
/// The SOFA feed the mock's versions were chosen against.
pub const SOFA_FEED: &str = "v2-2026-09-10/macos_data_feed.json";

/// The bytes of a fixture under `root`, or `None` (after saying so) when the fixture folder is
/// absent outside CI. In CI (`CI=true`) a missing folder is a failure.
fn fixture_in(root: &str, relative: &str) -> Option<Vec<u8>> {
    let dir = PathBuf::from(root);
    if !dir.is_dir() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "fixtures missing at {}: CI needs ../shared beside the repository",
            dir.display()
        );
        eprintln!("skipping: fixtures not found at {}", dir.display());
        return None;
    }
    let path = dir.join(relative);
    Some(std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// A Jamf fixture file (relative to shared/fixtures/jamf).
pub fn jamf_fixture(relative: &str) -> Option<Vec<u8>> {
    fixture_in(JAMF_FIXTURES, relative)
}

/// The SOFA feed the tests judge against.
pub fn sofa_feed() -> Option<IndexedFeed> {
    sofa_fixture(SOFA_FEED)
}

/// Judging by `feed`, named as the fixture the tests read.
pub fn by(feed: &IndexedFeed) -> Currency<'_> {
    static INFO: LazyLock<FeedInfo> = LazyLock::new(|| {
        FeedOrigin {
            source: format!("{SOFA_FIXTURES}/{SOFA_FEED}"),
            fetched_at: Utc::now(),
            sofa_updated_at: None,
            stale_reason: None,
        }
        .info(Utc::now(), DEFAULT_MAX_FEED_AGE)
    });
    Currency::Feed {
        feed,
        info: &INFO,
        sla: &latchkey_sofa::UpdateSla::DEFAULT,
    }
}

/// A SOFA feed fixture (relative to shared/fixtures/sofa), parsed.
pub fn sofa_fixture(relative: &str) -> Option<IndexedFeed> {
    let bytes = fixture_in(SOFA_FIXTURES, relative)?;
    Some(IndexedFeed::from_slice(&bytes).expect("SOFA fixture parses"))
}

/// Options that keep tests fast: millisecond backoff, short timeouts.
pub fn fast_options() -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        retry_base_delay: Duration::from_millis(1),
        ..ClientOptions::default()
    }
}

/// The API-client credentials the mock accepts.
pub fn client_auth(config: &MockConfig) -> Auth {
    Auth::Client {
        client_id: config.client_id.clone(),
        client_secret: Secret::new(config.client_secret.clone()),
    }
}

/// A mock with `config` and an API client for it.
pub async fn start(config: MockConfig) -> (Mock, JamfClient) {
    start_with(config, fast_options()).await
}

/// A mock with `config` and an API client with `options`.
pub async fn start_with(config: MockConfig, options: ClientOptions) -> (Mock, JamfClient) {
    let auth = client_auth(&config);
    let mock = Mock::start(config).await;
    let client = JamfClient::new(&mock.url(), auth, options).unwrap();
    (mock, client)
}
