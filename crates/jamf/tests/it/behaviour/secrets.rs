//! The canary is used as the client secret and the password; issued tokens start with
//! "mock-token-". Neither may appear in any error, any Debug output, or any log line.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use latchkey_jamf::{
    Auth, ClientOptions, ComputerRef, ComputerSearch, JamfClient, JamfError, Secret,
};
use tracing_subscriber::fmt::MakeWriter;

use crate::support::fast_options;
use crate::support::mock::{Mock, MockConfig};

const CANARY: &str = "CANARY-7f3a9c-do-not-leak";
const TOKEN_PREFIX: &str = "mock-token-";

fn assert_clean(text: &str) {
    assert!(!text.contains(CANARY), "secret leaked: {text}");
    assert!(!text.contains(TOKEN_PREFIX), "token leaked: {text}");
}

/// Log lines, captured from the crate at TRACE.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn no_error_debug_string_or_log_line_carries_the_secret_or_a_token() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_env_filter("latchkey_jamf=trace")
        .finish();
    // Global, not this thread's: tracing caches whether a log line is wanted per callsite for
    // every thread, so a line first reached by another test (no subscriber on its thread)
    // could go missing here. Every test in this binary then logs here too, and none of their
    // lines may carry a token either.
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");

    let config = MockConfig {
        client_secret: CANARY.into(),
        password: CANARY.into(),
        ..MockConfig::default()
    };
    let mock = Mock::start(config.clone()).await;
    let client_auth = || Auth::Client {
        client_id: config.client_id.clone(),
        client_secret: Secret::new(CANARY.into()),
    };
    let options = ClientOptions {
        request_timeout: Duration::from_millis(200),
        max_retries: 1,
        ..fast_options()
    };
    let client = JamfClient::new(&mock.url(), client_auth(), options.clone()).unwrap();
    let mut errors: Vec<JamfError> = Vec::new();

    client.policies().await.unwrap();
    mock.fail("/JSSResource/policies", 503, 2, None);
    errors.push(client.policies().await.unwrap_err());
    mock.fail("/JSSResource/policies", 401, 2, None);
    errors.push(client.policies().await.unwrap_err());
    mock.fail("/JSSResource/policies", 429, 2, Some(0));
    errors.push(client.policies().await.unwrap_err());
    mock.delay("/JSSResource/policies", Duration::from_secs(1), 2);
    errors.push(client.policies().await.unwrap_err());
    mock.serve_body(
        "/JSSResource/osxconfigurationprofiles",
        b"{\"os_x_configuration_profiles\": nope".to_vec(),
    );
    errors.push(client.configuration_profiles().await.unwrap_err());
    errors.push(
        client
            .computer_inventory(&ComputerRef::id("999").unwrap(), &[])
            .await
            .unwrap_err(),
    );
    errors.push(
        client
            .search_computers(&ComputerSearch {
                text: Some("a*".into()),
                ..Default::default()
            })
            .await
            .unwrap_err(),
    );
    client.invalidate_token().await;

    // A token endpoint whose body is not JSON must not echo it.
    mock.serve_body(
        "/api/v1/oauth/token",
        format!("{{\"access_token\": \"{TOKEN_PREFIX}x\", \"expires_in\": \"soon").into_bytes(),
    );
    errors.push(client.policies().await.unwrap_err());

    let wrong_user = Auth::User {
        username: "admin".into(),
        password: Secret::new(format!("{CANARY}-wrong")),
    };
    let user_client = JamfClient::new(&mock.url(), wrong_user, options.clone()).unwrap();
    errors.push(user_client.policies().await.unwrap_err());
    let unreachable = JamfClient::new("http://127.0.0.1:1", client_auth(), options).unwrap();
    errors.push(unreachable.policies().await.unwrap_err());
    errors.push(
        JamfClient::new(
            &format!("https://admin:{CANARY}@example.com"),
            client_auth(),
            fast_options(),
        )
        .unwrap_err(),
    );

    assert_eq!(errors.len(), 11);
    for err in &errors {
        assert_clean(&err.to_string());
        assert_clean(&format!("{err:?}"));
    }
    assert_clean(&format!("{client:?}"));
    assert_clean(&format!("{user_client:?}"));
    assert_clean(&format!("{:?}", client_auth()));
    assert_eq!(format!("{:?}", Secret::new(CANARY.into())), "[redacted]");

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("retrying"), "logs were captured: {logs}");
    assert!(
        logs.contains("/api/v1/oauth/token"),
        "logs name endpoints: {logs}"
    );
    assert_clean(&logs);
}
