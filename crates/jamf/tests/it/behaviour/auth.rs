use std::time::Duration;

use latchkey_jamf::{Auth, JamfClient, JamfError, Secret};

use crate::support::mock::{Mock, MockConfig};
use crate::support::{fast_options, start};

#[tokio::test]
async fn a_token_is_reused_until_shortly_before_expiry_then_refreshed() {
    // 2 s tokens are refreshed at half-life (the 60 s margin is capped at half the lifetime).
    let config = MockConfig {
        token_lifetime: Duration::from_secs(2),
        ..MockConfig::default()
    };
    let (mock, client) = start(config).await;
    client.policies().await.unwrap();
    client.policies().await.unwrap();
    assert_eq!(mock.tokens_issued(), 1, "second call reuses the token");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.policies().await.unwrap();
    assert_eq!(mock.tokens_issued(), 2, "refreshed before expiry");
    assert_eq!(
        mock.count("GET /JSSResource/policies"),
        3,
        "no request was refused"
    );
}

#[tokio::test]
async fn a_401_fetches_a_new_token_once_and_retries() {
    let (mock, client) = start(MockConfig::default()).await;
    client.policies().await.unwrap();
    mock.revoke_tokens();
    let policies = client.policies().await.unwrap();
    assert_eq!(policies.len(), 2);
    assert_eq!(mock.tokens_issued(), 2);
    assert_eq!(
        mock.count("GET /JSSResource/policies"),
        3,
        "first, refused, retried"
    );
}

#[tokio::test]
async fn a_401_after_the_refresh_is_an_auth_error_saying_what_was_tried() {
    let (mock, client) = start(MockConfig::default()).await;
    mock.fail("/JSSResource/policies", 401, 5, None);
    let err = client.policies().await.unwrap_err();
    assert!(
        matches!(err, JamfError::Auth { status: 401, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("GET /JSSResource/policies") && text.contains("retried once"),
        "{text}"
    );
    assert_eq!(
        mock.count("GET /JSSResource/policies"),
        2,
        "refresh once, not forever"
    );
    assert_eq!(mock.tokens_issued(), 2);
}

#[tokio::test]
async fn a_403_is_not_retried_and_names_the_missing_privilege() {
    let (mock, client) = start(MockConfig::default()).await;
    mock.fail("/JSSResource/policies", 403, 5, None);
    let err = client.policies().await.unwrap_err();
    assert!(
        matches!(err, JamfError::Auth { status: 403, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("privilege"), "{err}");
    assert_eq!(mock.count("GET /JSSResource/policies"), 1);
    assert_eq!(mock.tokens_issued(), 1);
}

#[tokio::test]
async fn twenty_concurrent_calls_share_one_token_fetch_and_one_refresh() {
    let config = MockConfig {
        latency: Duration::from_millis(5),
        ..MockConfig::default()
    };
    let (mock, client) = start(config).await;
    // Slow the token endpoint so every caller arrives while the first fetch is under way.
    mock.delay("/api/v1/oauth/token", Duration::from_millis(100), 1);
    let calls = (0..20).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.policies().await })
    });
    for call in calls.collect::<Vec<_>>() {
        call.await.unwrap().unwrap();
    }
    assert_eq!(mock.tokens_issued(), 1, "single flight");

    mock.revoke_tokens();
    let calls = (0..20).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.policies().await })
    });
    for call in calls.collect::<Vec<_>>() {
        call.await.unwrap().unwrap();
    }
    assert_eq!(mock.tokens_issued(), 2, "twenty 401s, one refresh");
}

#[tokio::test]
async fn older_servers_get_the_legacy_oauth_path_which_is_remembered() {
    let config = MockConfig {
        v1_oauth: false,
        ..MockConfig::default()
    };
    let (mock, client) = start(config).await;
    let check = client.check_connection().await.unwrap();
    assert_eq!(check.token_endpoint, "/api/oauth/token");
    assert_eq!(check.auth, "API client");
    assert_eq!(mock.count("POST /api/v1/oauth/token"), 1);
    assert_eq!(mock.count("POST /api/oauth/token"), 1);
    mock.revoke_tokens();
    client.policies().await.unwrap();
    assert_eq!(mock.count("POST /api/v1/oauth/token"), 1, "not asked again");
    assert_eq!(mock.count("POST /api/oauth/token"), 2);
}

#[tokio::test]
async fn a_user_account_exchanges_basic_auth_for_a_bearer_token() {
    let config = MockConfig::default();
    let mock = Mock::start(config.clone()).await;
    let auth = Auth::User {
        username: config.username.clone(),
        password: Secret::new(config.password.clone()),
    };
    let client = JamfClient::new(&mock.url(), auth, fast_options()).unwrap();
    let check = client.check_connection().await.unwrap();
    assert_eq!(check.auth, "user account");
    assert_eq!(check.token_endpoint, "/api/v1/auth/token");
    assert_eq!(check.computers, Some(10));
    assert_eq!(mock.count("POST /api/v1/auth/token"), 1);
    assert_eq!(mock.count_prefix("/api/v1/oauth"), 0);

    let wrong = Auth::User {
        username: config.username,
        password: Secret::new("nope".into()),
    };
    let client = JamfClient::new(&mock.url(), wrong, fast_options()).unwrap();
    let err = client.policies().await.unwrap_err();
    assert!(
        matches!(err, JamfError::Auth { status: 401, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("user account \"admin\""), "{err}");
}

#[tokio::test]
async fn a_wrong_client_secret_is_an_auth_error_and_is_not_retried() {
    let config = MockConfig::default();
    let mock = Mock::start(config.clone()).await;
    let auth = Auth::Client {
        client_id: config.client_id,
        client_secret: Secret::new("wrong".into()),
    };
    let client = JamfClient::new(&mock.url(), auth, fast_options()).unwrap();
    let err = client.check_connection().await.unwrap_err();
    assert!(
        matches!(err, JamfError::Auth { status: 401, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("client id or secret refused"),
        "{err}"
    );
    assert_eq!(mock.count("POST /api/v1/oauth/token"), 1);
}

#[tokio::test]
async fn invalidate_token_revokes_it_once_without_retrying() {
    let (mock, client) = start(MockConfig::default()).await;
    client.invalidate_token().await;
    assert_eq!(
        mock.count("POST /api/v1/auth/invalidate-token"),
        0,
        "no token, nothing to do"
    );
    client.policies().await.unwrap();
    mock.fail("/api/v1/auth/invalidate-token", 503, 5, None);
    client.invalidate_token().await;
    assert_eq!(
        mock.count("POST /api/v1/auth/invalidate-token"),
        1,
        "POST is never retried"
    );
    client.policies().await.unwrap();
    assert_eq!(
        mock.tokens_issued(),
        2,
        "the invalidated token was forgotten"
    );
    client.invalidate_token().await;
    assert_eq!(mock.count("POST /api/v1/auth/invalidate-token"), 2);
}

/// What a second server on loopback received: one line per request, with whether it carried a
/// body and an Authorization header. It answers like a token endpoint, so a client that
/// followed a redirect there would carry on as if nothing happened.
async fn recording_server() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use axum::body::Bytes;
    use axum::http::HeaderMap;
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = received.clone();
    let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
        let log = log.clone();
        async move {
            let auth = headers.contains_key(axum::http::header::AUTHORIZATION);
            log.lock()
                .unwrap()
                .push(format!("body={} authorization={auth}", body.len()));
            let answer = serde_json::json!({
                "access_token": "stolen", "token": "stolen",
                "expires_in": 600, "expires": "2099-01-01T00:00:00Z"
            });
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                answer.to_string(),
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

/// Issue #12 item 11: the OAuth token request (client_secret in its body) and a bearer call
/// answered with a 307/308 to another origin are not followed; the error says why.
#[tokio::test]
async fn issue_12_credentials_never_follow_a_redirect_to_another_origin() {
    let (other, received) = recording_server().await;
    let (mock, client) = start(MockConfig::default()).await;
    mock.redirect("/api/v1/oauth/token", 307, &format!("{other}/steal"), 1);
    let err = client.policies().await.unwrap_err();
    let server = mock.url().trim_start_matches("http://").to_owned();
    assert_eq!(
        err.to_string(),
        format!(
            "Jamf Pro at {server} redirected to another origin ({other}); Latchkey does not \
             send credentials across origins"
        )
    );
    assert!(matches!(err, JamfError::Redirected { .. }), "{err:?}");

    client.policies().await.unwrap();
    mock.redirect("/JSSResource/policies", 308, &format!("{other}/steal"), 1);
    let err = client.policies().await.unwrap_err();
    assert!(matches!(err, JamfError::Redirected { .. }), "{err:?}");
    assert!(
        received.lock().unwrap().is_empty(),
        "the other server got {:?}",
        received.lock().unwrap()
    );
}

/// Issue #15: the connection check reads the account's privileges (`GET /api/v1/auth`) and
/// names what it holds beyond Latchkey's needs, and what a tool will miss.
#[tokio::test]
async fn the_connection_check_names_privileges_beyond_and_missing() {
    let role = latchkey_jamf::MinimalRole::new();
    let needed: Vec<String> = role
        .read_only
        .iter()
        .chain(role.changes.values().flatten())
        .cloned()
        .collect();

    // Over-privileged: everything needed, and the power to delete and wipe.
    let mut over = needed.clone();
    over.extend([
        "Delete Computers".into(),
        "Send Computer Remote Wipe Command".into(),
    ]);
    let check = check_with("CUSTOM", over).await;
    assert!(check.over_privileged, "{check:?}");
    assert_eq!(
        check.beyond,
        ["Delete Computers", "Send Computer Remote Wipe Command"]
    );
    assert!(check.missing.is_empty());
    assert!(
        check
            .summary
            .contains("it can also: Delete Computers, Send Computer Remote Wipe Command"),
        "{}",
        check.summary
    );

    // Under-privileged: no software update plans.
    let under: Vec<String> = needed
        .iter()
        .filter(|p| *p != "Create Managed Software Updates")
        .cloned()
        .collect();
    let check = check_with("CUSTOM", under).await;
    assert!(!check.over_privileged);
    assert_eq!(check.missing.len(), 1, "{check:?}");
    assert_eq!(
        check.missing[0].privilege,
        "Create Managed Software Updates"
    );
    assert_eq!(check.missing[0].tools, ["jamf_plan_os_update"]);

    // Exactly the role: nothing to say but that.
    let check = check_with("CUSTOM", needed).await;
    assert!(!check.over_privileged && check.missing.is_empty());

    // A full administrator.
    let check = check_with("ADMINISTRATOR", Vec::new()).await;
    assert!(check.over_privileged);
}

async fn check_with(set: &str, privileges: Vec<String>) -> latchkey_jamf::PrivilegeCheck {
    let (mock, client) = start(MockConfig {
        privilege_set: set.into(),
        privileges,
        ..MockConfig::default()
    })
    .await;
    let check = client.check_connection().await.unwrap();
    assert_eq!(mock.count("GET /api/v1/auth"), 1);
    check.privileges.expect("the server said")
}
