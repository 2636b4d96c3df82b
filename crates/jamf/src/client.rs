//! Building a client: the base URL is checked once (https, or http to a loopback address only,
//! no credentials or query in it), and one reqwest client with a cookie jar is shared by every
//! clone, because Jamf Cloud pins a session to one node with a cookie.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use reqwest::Url;
use tokio::sync::{Mutex, Semaphore};

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
    /// Ends with `/`, so relative paths join under it (servers may live below a path).
    pub(crate) base: Url,
    pub(crate) server: String,
    pub(crate) http: reqwest::Client,
    pub(crate) auth: Auth,
    pub(crate) options: ClientOptions,
    pub(crate) permits: Semaphore,
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
        let base = parse_base(base_url)?;
        let server = match base.port() {
            Some(port) => format!("{}:{port}", base.host_str().unwrap_or_default()),
            None => base.host_str().unwrap_or_default().to_owned(),
        };
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .cookie_store(true)
            .user_agent(concat!("latchkey-jamf/", env!("CARGO_PKG_VERSION")))
            .https_only(base.scheme() == "https")
            .redirect(same_origin_redirects())
            .build()
            .map_err(|e| JamfError::InvalidOptions(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                base,
                server,
                http,
                auth,
                permits: Semaphore::new(options.max_concurrency),
                options,
                token: Mutex::new(TokenState::default()),
                oauth_path: AtomicU8::new(0),
                inventory_api: AtomicU8::new(0),
            }),
        })
    }

    /// The server as `host[:port]`, for display and for reports.
    pub fn server(&self) -> &str {
        &self.inner.server
    }

    pub(crate) fn url(&self, path: &str) -> Result<Url, JamfError> {
        self.inner
            .base
            .join(path)
            .map_err(|e| JamfError::InvalidUrl(format!("cannot form the URL of {path}: {e}")))
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
            .field("server", &self.inner.server)
            .field("auth", &kind)
            .field("as", who)
            .field("secret", &"[redacted]")
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

/// Every request carries a credential (the client secret, a password, a bearer token), so a
/// redirect is followed only within the origin it was sent to (scheme, host and port): a 307
/// or 308 re-sends the body, secret included, to wherever `Location` points. Any other redirect
/// comes back as the 3xx answer, which the transport turns into `JamfError::Redirected`.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first().map(Url::origin);
        if attempt.previous().len() > 5 {
            attempt.error("too many redirects")
        } else if first.as_ref() == Some(&attempt.url().origin()) {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// `scheme://host[:port]` of a `Location` value relative to `base`, or a note that it had none.
pub(crate) fn origin_of(base: &Url, location: Option<&str>) -> String {
    match location.and_then(|l| base.join(l).ok()) {
        Some(url) => url.origin().ascii_serialization(),
        None => "no usable Location".to_owned(),
    }
}

fn parse_base(input: &str) -> Result<Url, JamfError> {
    let input = input.trim();
    let bad = |why: &str| Err(JamfError::InvalidUrl(why.to_owned()));
    // Never echo the input: a pasted URL may carry a password in its userinfo.
    let Ok(mut url) = Url::parse(input) else {
        return bad("not an absolute URL such as https://example.jamfcloud.com");
    };
    if !url.username().is_empty() || url.password().is_some() {
        return bad("credentials in the URL are not allowed; give them as the client's auth");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return bad("the URL must not have a query or fragment");
    }
    let Some(host) = url.host_str() else {
        return bad("the URL has no host");
    };
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => return bad("plain http is only allowed to a loopback address; use https"),
        _ => return bad("the scheme must be https"),
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
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
