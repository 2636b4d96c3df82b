use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use latchkey_jamf::{ClientOptions, ComputerSearch, FleetProgress};

use crate::support::mock::MockConfig;
use crate::support::{by, fast_options, sofa_feed, start, start_with};

async fn fleet_pages(computers: usize) {
    let Some(feed) = sofa_feed() else { return };
    let config = MockConfig {
        computers,
        latency: Duration::from_millis(20),
        ..MockConfig::default()
    };
    let (mock, client) = start(config).await;
    let progress = Mutex::new(Vec::new());
    let report = client
        .fleet_security_report(by(&feed), &|p: FleetProgress| {
            progress.lock().unwrap().push(p)
        })
        .await
        .unwrap();
    assert_eq!(report.total, computers);
    let ids: HashSet<&str> = report.computers.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), computers, "every computer once");
    assert_eq!(
        mock.count("GET /api/v4/computers-inventory"),
        3,
        "three pages of 2,000"
    );
    let pages: Vec<String> = mock
        .seen()
        .iter()
        .filter(|s| s.path == "/api/v4/computers-inventory")
        .map(|s| s.query.iter().find(|(k, _)| k == "page").unwrap().1.clone())
        .collect();
    assert_eq!(pages[0], "0", "page 0 first, to learn totalCount");
    assert!(mock.max_in_flight() <= 5, "{}", mock.max_in_flight());
    let progress = progress.into_inner().unwrap();
    assert_eq!(progress.len(), 3, "after each page");
    assert_eq!(
        progress[0],
        FleetProgress {
            loaded: 2000,
            total: computers as u64
        }
    );
    assert_eq!(
        progress[2],
        FleetProgress {
            loaded: computers as u64,
            total: computers as u64
        }
    );
}

#[tokio::test]
async fn three_full_pages_of_two_thousand() {
    fleet_pages(6000).await;
}

#[tokio::test]
async fn a_partial_last_page() {
    fleet_pages(5500).await;
}

#[tokio::test]
async fn many_pages_run_in_parallel_but_never_more_than_five() {
    let Some(feed) = sofa_feed() else { return };
    let config = MockConfig {
        computers: 2000,
        latency: Duration::from_millis(15),
        ..MockConfig::default()
    };
    let options = ClientOptions {
        page_size: 100,
        ..fast_options()
    };
    let (mock, client) = start_with(config, options).await;
    let report = client
        .fleet_security_report(by(&feed), &|_| {})
        .await
        .unwrap();
    assert_eq!(report.total, 2000);
    assert_eq!(mock.count("GET /api/v4/computers-inventory"), 20);
    assert_eq!(mock.max_in_flight(), 5, "parallel, and bounded");
}

#[tokio::test]
async fn concurrent_callers_share_the_five_permits() {
    let config = MockConfig {
        computers: 10,
        latency: Duration::from_millis(20),
        ..MockConfig::default()
    };
    let (mock, client) = start(config).await;
    let calls: Vec<_> = (0..30)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.search_computers(&ComputerSearch::default()).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(mock.max_in_flight(), 5);
}

#[tokio::test]
async fn a_failing_page_fails_the_report() {
    let Some(feed) = sofa_feed() else { return };
    let options = ClientOptions {
        page_size: 100,
        max_retries: 0,
        ..fast_options()
    };
    let (mock, client) = start_with(
        MockConfig {
            computers: 1000,
            ..MockConfig::default()
        },
        options,
    )
    .await;
    mock.fail_after("/api/v4/computers-inventory", 4, 500, 100);
    let err = client
        .fleet_security_report(by(&feed), &|_| {})
        .await
        .unwrap_err();
    assert!(
        mock.count("GET /api/v4/computers-inventory") < 10,
        "the scan stopped early"
    );
    assert_eq!(
        err.to_string(),
        "Jamf Pro answered HTTP 500 for GET /api/v4/computers-inventory"
    );
}

/// Issue #12 item 10: a server claiming 8.6e12 records (or just one over the bound) is refused
/// with a clear error before a page slot is sized or a second page requested, for computers and
/// for every other paged list.
#[tokio::test]
async fn issue_12_hostile_total_count_is_refused() {
    let Some(feed) = sofa_feed() else { return };
    let (mock, client) = start(MockConfig::default()).await;
    for total in [
        8_600_000_000_000_u64,
        8_000_000_000_000,
        latchkey_jamf::MAX_LISTED + 1,
    ] {
        let body = format!(r#"{{"totalCount": {total}, "results": []}}"#).into_bytes();
        mock.serve_body("/api/v4/computers-inventory", body.clone());
        mock.serve_body("/api/v3/computer-groups/smart-groups", body);
        mock.reset_stats();
        let err = client
            .fleet_security_report(by(&feed), &|_| {})
            .await
            .expect_err("an implausible totalCount is refused")
            .to_string();
        assert!(err.contains(&format!("totalCount {total}")), "{err}");
        assert!(err.contains("at most 1000000"), "{err}");
        let err = client.smart_groups().await.unwrap_err().to_string();
        assert!(err.contains(&format!("totalCount {total}")), "{err}");
        assert_eq!(
            mock.count("GET /api/v4/computers-inventory"),
            1,
            "page 0 only"
        );
    }
}

/// Issue #12 item 10: the 256 MiB cap on a read counts decompressed bytes: a gzip bomb of a
/// few hundred KiB that inflates past it is refused with a clear error.
#[tokio::test]
async fn issue_12_a_gzip_bomb_is_capped_after_decompression() {
    use std::io::Write;
    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..257 {
        bomb.write_all(&chunk).unwrap();
    }
    let bomb = bomb.finish().unwrap();
    assert!(bomb.len() < 4 << 20, "{}", bomb.len());
    let (mock, client) = start(MockConfig::default()).await;
    mock.serve_body("/JSSResource/policies", bomb);
    let err = client.policies().await.unwrap_err().to_string();
    assert_eq!(
        err,
        "unexpected answer from GET /JSSResource/policies: the answer is over 256 MiB, so it \
         was not read"
    );
}

/// Issue #12 item 10: a page with more records than asked for is refused, so the pages of a
/// list cannot add up to more than `MAX_LISTED` whatever the server says.
#[tokio::test]
async fn issue_12_a_page_with_more_records_than_asked_is_refused() {
    let (mock, client) = start(MockConfig::default()).await;
    let results = vec![r#"{"id":"1","name":"x"}"#; 2001].join(",");
    let body = format!(r#"{{"totalCount": 2001, "results": [{results}]}}"#);
    mock.serve_body("/api/v3/computer-groups/smart-groups", body.into_bytes());
    let err = client.smart_groups().await.unwrap_err().to_string();
    assert_eq!(
        err,
        "unexpected answer from GET /api/v3/computer-groups/smart-groups: page 0 has 2001 \
         records, more than the 2000 asked for"
    );
}
