//! Building a client (the Vault address, its namespace, how it authenticates) and sending one
//! call: the `X-Vault-Token`, `X-Vault-Namespace` and `X-Vault-Request` headers, a URL made
//! of checked path segments, and the statuses every call words the same way.

use std::fmt;
use std::sync::Arc;

use latchkey_http::{Repeat, Reply, Secret, Transport, TransportError, TransportOptions};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, Url};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::VaultError;
use crate::token::TokenState;

/// Secrets are small: 4 MiB is far above any KV secret or token answer.
const MAX_BODY: usize = 4 << 20;
/// 503 is a sealed Vault, which waiting a second does not unseal; the rest are transient.
const RETRY_STATUSES: &[u16] = &[408, 429, 500, 502, 504];

/// Timeouts, concurrency, retries and the body cap of one client. `Default` suits Vault.
pub fn default_options() -> TransportOptions {
    TransportOptions {
        max_body: MAX_BODY,
        retry_statuses: RETRY_STATUSES,
        ..TransportOptions::default()
    }
}

/// How the client proves who it is.
pub enum Auth {
    /// A Vault token, used as it is (renewed when it is renewable and running out).
    Token(Secret),
    /// AppRole: logged in with the role id and secret id for a token, and again when that
    /// token runs out.
    AppRole {
        /// The role id (an identifier, not a secret).
        role_id: String,
        /// The secret id.
        secret_id: Secret,
    },
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Token(_) => f.write_str("Token([redacted])"),
            Auth::AppRole { role_id, .. } => f
                .debug_struct("AppRole")
                .field("role_id", role_id)
                .field("secret_id", &"[redacted]")
                .finish(),
        }
    }
}

/// A Vault and how to authenticate to it. Clones share the token and the permits.
#[derive(Clone)]
pub struct VaultClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) transport: Transport,
    namespace: Option<HeaderValue>,
    pub(crate) auth: Auth,
    pub(crate) token: tokio::sync::Mutex<TokenState>,
}

/// One call: where it goes and what it carries.
pub(crate) struct Call<'a> {
    pub method: Method,
    /// The path's segments below `/v1/`, each percent-encoded into the URL.
    pub segments: Vec<&'a str>,
    pub query: Option<(&'static str, String)>,
    pub token: Option<&'a Secret>,
    /// A JSON body (it may hold a secret id, so it is wiped when dropped).
    pub body: Option<Zeroizing<Vec<u8>>>,
    pub repeat: Repeat,
}

impl<'a> Call<'a> {
    pub(crate) fn new(method: Method, segments: Vec<&'a str>, token: Option<&'a Secret>) -> Self {
        let repeat = match method {
            Method::GET => Repeat::Safe,
            _ => Repeat::UntilSent,
        };
        Self {
            method,
            segments,
            query: None,
            token,
            body: None,
            repeat,
        }
    }
}

impl VaultClient {
    /// A client for the Vault at `address` (`https://vault.example.com:8200`; `http://` only to
    /// a loopback address), in `namespace` when one is given. No request is made yet.
    pub fn new(
        address: &str,
        namespace: Option<&str>,
        auth: Auth,
        options: TransportOptions,
    ) -> Result<Self, VaultError> {
        let base = latchkey_http::parse_base(address, "https://vault.example.com:8200")
            .map_err(VaultError::InvalidAddress)?;
        let namespace = match namespace.map(|n| n.trim().trim_matches('/')) {
            None | Some("") => None,
            Some(n) => Some(HeaderValue::from_str(n).map_err(|_| {
                VaultError::InvalidArgument("the namespace must be plain text".into())
            })?),
        };
        match &auth {
            Auth::Token(token) if token.expose().trim().is_empty() => {
                return Err(VaultError::InvalidArgument(
                    "the Vault token is empty".into(),
                ));
            }
            Auth::AppRole { role_id, secret_id }
                if role_id.trim().is_empty() || secret_id.expose().trim().is_empty() =>
            {
                return Err(VaultError::InvalidArgument(
                    "an AppRole login needs a role id and a secret id".into(),
                ));
            }
            _ => {}
        }
        let user_agent = concat!("latchkey-hashivault/", env!("CARGO_PKG_VERSION"));
        let transport = Transport::new(base, options, |b| b.user_agent(user_agent))
            .map_err(VaultError::InvalidOptions)?;
        Ok(Self {
            inner: Arc::new(Inner {
                transport,
                namespace,
                auth,
                token: tokio::sync::Mutex::new(TokenState::default()),
            }),
        })
    }

    /// The Vault as `host[:port]`.
    pub fn server(&self) -> &str {
        self.inner.transport.server()
    }

    /// Sends `call` and returns its answer, whatever the status (the caller words it).
    pub(crate) async fn send(&self, call: Call<'_>) -> Result<(String, Reply), VaultError> {
        check_segments(&call.segments)?;
        let path = format!("v1/{}", call.segments.join("/"));
        let endpoint = latchkey_http::endpoint(&call.method, &path);
        let mut url: Url = self
            .inner
            .transport
            .url("v1/")
            .map_err(VaultError::InvalidArgument)?;
        url.path_segments_mut()
            .map_err(|()| VaultError::InvalidAddress("the address cannot take a path".into()))?
            .pop_if_empty()
            .extend(&call.segments);
        if let Some((key, value)) = &call.query {
            url.query_pairs_mut().append_pair(key, value);
        }
        let token = call
            .token
            .map(|t| {
                let mut value = HeaderValue::from_str(t.expose()).map_err(|_| {
                    VaultError::InvalidArgument("the Vault token is not plain text".into())
                })?;
                value.set_sensitive(true);
                Ok::<_, VaultError>(value)
            })
            .transpose()?;
        let transport = &self.inner.transport;
        let reply = transport
            .exchange(&endpoint, call.repeat, || {
                let mut request = transport
                    .http()
                    .request(call.method.clone(), url.clone())
                    .header(ACCEPT, "application/json")
                    .header("X-Vault-Request", "true");
                if let Some(token) = &token {
                    request = request.header("X-Vault-Token", token.clone());
                }
                if let Some(namespace) = &self.inner.namespace {
                    request = request.header("X-Vault-Namespace", namespace.clone());
                }
                if let Some(body) = &call.body {
                    request = request
                        .header(CONTENT_TYPE, "application/json")
                        .body(body.to_vec());
                }
                request
            })
            .await
            .map_err(|e| self.unreachable(e))?;
        Ok((endpoint, reply))
    }

    pub(crate) fn unreachable(&self, source: TransportError) -> VaultError {
        VaultError::Unreachable {
            server: self.server().to_owned(),
            source,
        }
    }

    /// The error for a status no call gives a meaning of its own.
    pub(crate) fn status_error(&self, endpoint: String, reply: &Reply) -> VaultError {
        let server = self.server().to_owned();
        match reply.status.as_u16() {
            503 => VaultError::Sealed { server, endpoint },
            403 => VaultError::PermissionDenied { server, endpoint },
            status => VaultError::Http {
                server,
                endpoint,
                status,
                detail: vault_message(&reply.body),
            },
        }
    }

    /// The answer's JSON as `T`, or [`VaultError::Shape`] (serde's message could quote a
    /// value, so it is not passed on).
    pub(crate) fn parse<T: for<'de> Deserialize<'de>>(
        &self,
        endpoint: &str,
        body: &[u8],
        what: &str,
    ) -> Result<T, VaultError> {
        serde_json::from_slice(body).map_err(|_| VaultError::Shape {
            server: self.server().to_owned(),
            endpoint: endpoint.to_owned(),
            detail: format!("it is not {what}"),
        })
    }
}

impl fmt::Debug for VaultClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultClient")
            .field("server", &self.server())
            .field("namespace", &self.inner.namespace)
            .field("auth", &self.inner.auth)
            .finish_non_exhaustive()
    }
}

/// Refuses a path with empty, `.` or `..` parts (each part is percent-encoded into the URL,
/// so nothing else in it can leave the path).
pub(crate) fn check_segments(segments: &[&str]) -> Result<(), VaultError> {
    if segments
        .iter()
        .any(|s| s.is_empty() || *s == "." || *s == "..")
    {
        return Err(VaultError::InvalidArgument(
            "a Vault path must not have empty, . or .. parts".into(),
        ));
    }
    Ok(())
}

/// Vault's first error message (`{"errors": ["…"]}`), on one line and cut short, or a
/// placeholder. Vault's messages name what was refused, not the request's values.
pub(crate) fn vault_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Errors {
        errors: Vec<String>,
    }
    let first = serde_json::from_slice::<Errors>(body)
        .ok()
        .and_then(|e| e.errors.into_iter().next())
        .filter(|m| !m.trim().is_empty());
    match first {
        Some(message) => {
            let line: String = message
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect();
            line
        }
        None => "no reason given".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(value: &str) -> Auth {
        Auth::Token(Secret::new(value.into()))
    }

    #[test]
    fn addresses_are_checked_without_echo() {
        let ok = VaultClient::new(
            "https://vault.example.com:8200",
            None,
            token("t"),
            default_options(),
        );
        assert_eq!(ok.unwrap().server(), "vault.example.com:8200");
        assert!(
            VaultClient::new(
                "http://127.0.0.1:8200",
                Some("team"),
                token("t"),
                default_options()
            )
            .is_ok()
        );
        for bad in [
            "http://vault.example.com",
            "vault.example.com",
            "https://u:hunter2@v.example.com",
        ] {
            let err = VaultClient::new(bad, None, token("t"), default_options()).unwrap_err();
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
        assert!(
            VaultClient::new("https://v.example.com", None, token(" "), default_options()).is_err()
        );
    }

    #[test]
    fn debug_never_shows_a_token_or_secret_id() {
        let c = VaultClient::new(
            "https://v.example.com",
            None,
            token("hvs.canary"),
            default_options(),
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("canary"));
        let auth = Auth::AppRole {
            role_id: "role".into(),
            secret_id: Secret::new("sid-canary".into()),
        };
        assert!(!format!("{auth:?}").contains("canary"));
    }

    #[test]
    fn vault_messages_are_one_short_line() {
        assert_eq!(
            vault_message(br#"{"errors":["permission denied"]}"#),
            "permission denied"
        );
        assert_eq!(vault_message(br#"{"errors":[]}"#), "no reason given");
        assert_eq!(vault_message(b"<html>"), "no reason given");
        let long = format!(r#"{{"errors":["{}\nsecond"]}}"#, "x".repeat(500));
        assert_eq!(vault_message(long.as_bytes()), "x".repeat(200));
    }
}
