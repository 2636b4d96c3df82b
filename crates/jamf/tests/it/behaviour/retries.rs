use std::time::{Duration, Instant};

use latchkey_jamf::{ClientOptions, ComputerRef, JamfClient, JamfError};

use crate::support::mock::MockConfig;
use crate::support::{client_auth, fast_options, start, start_with};

#[tokio::test]
async fn a_503_twice_is_retried_then_succeeds() {
    let (mock, client) = start(MockConfig::default()).await;
    client.policies().await.unwrap();
    mock.fail("/JSSResource/policies", 503, 2, None);
    assert_eq!(client.policies().await.unwrap().len(), 2);
    assert_eq!(mock.count("GET /JSSResource/policies"), 4);
}

#[tokio::test]
async fn every_retryable_status_is_retried() {
    let (mock, client) = start(MockConfig::default()).await;
    for (n, status) in [408, 429, 500, 502, 503, 504].into_iter().enumerate() {
        mock.fail("/JSSResource/osxconfigurationprofiles", status, 1, Some(0));
        client.configuration_profiles().await.unwrap();
        assert_eq!(
            mock.count("GET /JSSResource/osxconfigurationprofiles"),
            2 * (n + 1),
            "{status}"
        );
    }
}

#[tokio::test]
async fn a_429_waits_for_retry_after() {
    let (mock, client) = start(MockConfig::default()).await;
    client.policies().await.unwrap();
    mock.fail("/JSSResource/policies", 429, 1, Some(1));
    let started = Instant::now();
    client.policies().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(mock.count("GET /JSSResource/policies"), 3);
}

#[tokio::test]
async fn backoff_doubles_between_attempts() {
    let options = ClientOptions {
        retry_base_delay: Duration::from_millis(100),
        ..fast_options()
    };
    let (mock, client) = start_with(MockConfig::default(), options).await;
    client.policies().await.unwrap();
    mock.fail("/JSSResource/policies", 503, 3, None);
    let started = Instant::now();
    client.policies().await.unwrap();
    // 100 + 200 + 400 ms, each between half and one and a half times its step.
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(350), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
}

#[tokio::test]
async fn after_three_retries_the_client_gives_up_with_a_clear_error() {
    let (mock, client) = start(MockConfig::default()).await;
    mock.fail("/JSSResource/policies", 503, 100, None);
    let err = client.policies().await.unwrap_err();
    assert!(
        matches!(
            err,
            JamfError::Http {
                status: 503,
                attempts: 4,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "Jamf Pro answered HTTP 503 for GET /JSSResource/policies (gave up after 4 attempts)"
    );
    assert_eq!(mock.count("GET /JSSResource/policies"), 4);

    mock.fail("/JSSResource/osxconfigurationprofiles", 429, 100, Some(0));
    let err = client.configuration_profiles().await.unwrap_err();
    assert!(
        matches!(err, JamfError::RateLimited { attempts: 4, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_slow_answer_times_out_with_a_clear_error() {
    let options = ClientOptions {
        request_timeout: Duration::from_millis(200),
        max_retries: 1,
        ..fast_options()
    };
    let (mock, client) = start_with(MockConfig::default(), options).await;
    mock.delay("/JSSResource/policies", Duration::from_secs(2), 10);
    let started = Instant::now();
    let err = client.policies().await.unwrap_err();
    assert!(
        matches!(err, JamfError::Timeout { attempts: 2, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "GET /JSSResource/policies timed out after 0.2s (gave up after 2 attempts)"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "did not wait for the slow answer"
    );
    assert_eq!(mock.count("GET /JSSResource/policies"), 2);
}

#[tokio::test]
async fn the_token_request_is_retried_too() {
    let (mock, client) = start(MockConfig::default()).await;
    mock.fail("/api/v1/oauth/token", 503, 2, None);
    client.policies().await.unwrap();
    assert_eq!(mock.count("POST /api/v1/oauth/token"), 3);
    assert_eq!(mock.tokens_issued(), 1);
}

#[tokio::test]
async fn errors_that_retrying_cannot_fix_are_not_retried() {
    let (mock, client) = start(MockConfig::default()).await;
    mock.fail("/JSSResource/policies", 400, 5, None);
    let err = client.policies().await.unwrap_err();
    assert!(
        matches!(
            err,
            JamfError::Http {
                status: 400,
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(mock.count("GET /JSSResource/policies"), 1);
    let err = client
        .computer_inventory(&ComputerRef::id("999999").unwrap(), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, JamfError::NotFound(_)), "{err:?}");
    assert_eq!(err.to_string(), "not found: no computer with id 999999");
    assert_eq!(mock.count("GET /api/v4/computers-inventory/999999"), 1);
}

#[tokio::test]
async fn an_unreachable_server_is_a_connect_error_after_retries() {
    // Bind and drop a listener so the port is very likely closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = JamfClient::new(
        &format!("http://127.0.0.1:{port}"),
        client_auth(&MockConfig::default()),
        fast_options(),
    )
    .unwrap();
    let err = client.policies().await.unwrap_err();
    assert!(
        matches!(err, JamfError::Connect { attempts: 4, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with("cannot reach Jamf Pro for POST /api/v1/oauth/token"),
        "{text}"
    );
    assert!(
        !text.contains(&port.to_string()),
        "no URL in the message: {text}"
    );
}
