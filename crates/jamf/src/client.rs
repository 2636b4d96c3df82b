//! Building a client: the base URL is checked once (https, or http to a loopback address only,
//! no credentials or query in it), and one latchkey-http transport with a cookie jar is shared
//! by every clone, because Jamf Cloud pins a session to one node with a cookie.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use latchkey_http::Transport;
use reqwest::Url;
use tokio::sync::Mutex;

use crate::auth::TokenState;
use crate::computers::InventoryApi;
use crate::{Auth, ClientOptions, JamfError};

/// A Jamf Pro server and the credentials to use it. Clones share the token, the cookie jar,
/// the request permits and what was learnt about the server's API versions.
#[derive(Clone)]
pub struct JamfClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    /// The base URL (ends with `/`), the HTTP client and the request permits.
    pub(crate) transport: Transport,
    pub(crate) auth: Auth,
    pub(crate) options: ClientOptions,
    pub(crate) token: Mutex<TokenState>,
    /// Which OAuth token path worked: 0 not yet known, see `auth::OAUTH_PATHS`.
    pub(crate) oauth_path: AtomicU8,
    /// Which computers-inventory version answered: 0 not yet known, else 4, 3 or 1.
    pub(crate) inventory_api: AtomicU8,
}

impl JamfClient {
    /// A client for `base_url` (e.g. `https://example.jamfcloud.com`). No request is made yet.
    pub fn new(base_url: &str, auth: Auth, options: ClientOptions) -> Result<Self, JamfError> {
        options.validate()?;
        let base = latchkey_http::parse_base(base_url, "https://example.jamfcloud.com")
            .map_err(JamfError::InvalidUrl)?;
        let transport = Transport::new(base, options.transport(), |builder| {
            builder
                .cookie_store(true)
                .user_agent(concat!("latchkey-jamf/", env!("CARGO_PKG_VERSION")))
        })
        .map_err(JamfError::InvalidOptions)?;
        Ok(Self {
            inner: Arc::new(Inner {
                transport,
                auth,
                options,
                token: Mutex::new(TokenState::default()),
                oauth_path: AtomicU8::new(0),
                inventory_api: AtomicU8::new(0),
            }),
        })
    }

    /// The server as `host[:port]`, for display and for reports.
    pub fn server(&self) -> &str {
        self.inner.transport.server()
    }

    pub(crate) fn url(&self, path: &str) -> Result<Url, JamfError> {
        self.inner
            .transport
            .url(path)
            .map_err(JamfError::InvalidUrl)
    }

    pub(crate) fn known_inventory_api(&self) -> Option<InventoryApi> {
        InventoryApi::from_code(self.inner.inventory_api.load(Ordering::Relaxed))
    }

    pub(crate) fn remember_inventory_api(&self, api: InventoryApi) {
        self.inner
            .inventory_api
            .store(api.code(), Ordering::Relaxed);
    }
}

impl fmt::Debug for JamfClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, who) = match &self.inner.auth {
            Auth::Client { client_id, .. } => ("API client", client_id),
            Auth::User { username, .. } => ("user account", username),
        };
        f.debug_struct("JamfClient")
            .field("server", &self.server())
            .field("auth", &kind)
            .field("as", who)
            .field("secret", &"[redacted]")
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;

    fn auth() -> Auth {
        Auth::Client {
            client_id: "id".into(),
            client_secret: Secret::new("s3cret".into()),
        }
    }

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        for ok in [
            "https://example.jamfcloud.com",
            "https://jamf.example.com:8443/",
            "http://127.0.0.1:9000",
            "http://localhost:8080",
            "http://[::1]:8080",
        ] {
            assert!(
                JamfClient::new(ok, auth(), ClientOptions::default()).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "http://example.com",
            "ftp://example.com",
            "example.com",
            "https://example.com/?a=b",
            "http://10.0.0.1",
        ] {
            assert!(
                JamfClient::new(bad, auth(), ClientOptions::default()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_password_in_the_url_is_refused_without_being_echoed() {
        let err = JamfClient::new(
            "https://admin:hunter2@example.com",
            auth(),
            ClientOptions::default(),
        )
        .unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(!format!("{err:?}").contains("hunter2"));
    }

    #[test]
    fn server_is_host_and_explicit_port_and_paths_keep_the_base() {
        let c = JamfClient::new(
            "https://jamf.example.com:8443/jss",
            auth(),
            ClientOptions::default(),
        )
        .unwrap();
        assert_eq!(c.server(), "jamf.example.com:8443");
        assert_eq!(
            c.url("api/v1/jamf-pro-version").unwrap().as_str(),
            "https://jamf.example.com:8443/jss/api/v1/jamf-pro-version"
        );
        let c = JamfClient::new(
            "https://example.jamfcloud.com",
            auth(),
            ClientOptions::default(),
        )
        .unwrap();
        assert_eq!(c.server(), "example.jamfcloud.com");
    }
}
