//! Building a client: the vCenter address (`host`, `host:port`, or a URL), how its certificate
//! is trusted, and one latchkey-http transport shared by every clone, with the session.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicU8;
use std::time::Duration;

use latchkey_http::{Secret, Transport, TransportOptions};
use reqwest::Url;

use crate::session::SessionState;
use crate::tls::{Pin, RefusedSlot, pinned_config, recording_config};
use crate::{Fingerprint, Trust, VsphereError};

/// vCenter lists answer in one go; 64 MiB holds far more than the 4,000 VMs a list may return.
const MAX_BODY: usize = 64 << 20;
/// A vCenter 500 is a final answer with its reason in the body (e.g. too many results), so it
/// is not repeated; the rest are the usual transient statuses.
const RETRY_STATUSES: &[u16] = &[408, 429, 502, 503, 504];

/// Timeouts, concurrency, retries and the body cap of one client. `Default` suits vCenter.
pub fn default_options() -> TransportOptions {
    TransportOptions {
        max_body: MAX_BODY,
        retry_statuses: RETRY_STATUSES,
        ..TransportOptions::default()
    }
}

/// A vCenter and the account to use it as. Clones share the session and the permits. The
/// session is deleted by [`VsphereClient::logout`] (when the domain locks), or, best effort,
/// when the last clone is dropped inside a Tokio runtime.
#[derive(Clone)]
pub struct VsphereClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) transport: Transport,
    pub(crate) username: String,
    pub(crate) password: Secret,
    pub(crate) session: tokio::sync::Mutex<SessionState>,
    /// Which session API answered: 0 not yet known, see `session::Api`.
    pub(crate) api: AtomicU8,
    /// With a pinned certificate: the fingerprint last refused, to name in the error.
    pub(crate) refused: Option<RefusedSlot>,
    pub(crate) trust: Trust,
}

impl VsphereClient {
    /// A client for `host` (`vc.example.com`, `vc.example.com:8443`, or an `https://` URL;
    /// `http://` only to a loopback address). No request is made yet.
    pub fn new(
        host: &str,
        username: &str,
        password: Secret,
        trust: Trust,
        options: TransportOptions,
    ) -> Result<Self, VsphereError> {
        let base = base_url(host)?;
        let (transport, refused) = transport_for(base, trust, options)?;
        if username.trim().is_empty() || password.expose().is_empty() {
            return Err(VsphereError::InvalidArgument(
                "a vCenter account needs a username and a password".into(),
            ));
        }
        Ok(Self {
            inner: Arc::new(Inner {
                transport,
                username: username.to_owned(),
                password,
                session: tokio::sync::Mutex::new(SessionState::default()),
                api: AtomicU8::new(0),
                refused,
                trust,
            }),
        })
    }

    /// The vCenter as `host[:port]`.
    pub fn server(&self) -> &str {
        self.inner.transport.server()
    }

    /// How this client trusts the vCenter's certificate.
    pub fn trust(&self) -> Trust {
        self.inner.trust
    }

    pub(crate) fn url(&self, path: &str) -> Result<Url, VsphereError> {
        self.inner
            .transport
            .url(path)
            .map_err(VsphereError::InvalidArgument)
    }

    /// The transport's failure, unless it was the pinned certificate being refused: that is
    /// [`VsphereError::CertificateChanged`], naming both fingerprints.
    pub(crate) fn transport_error(&self, e: latchkey_http::TransportError) -> VsphereError {
        let presented = self
            .inner
            .refused
            .as_ref()
            .and_then(|slot| slot.lock().unwrap_or_else(|p| p.into_inner()).take());
        match (self.inner.trust, presented) {
            (Trust::Pinned(pinned), Some(presented)) => VsphereError::CertificateChanged {
                server: self.server().to_owned(),
                pinned,
                presented,
            },
            _ => VsphereError::Transport {
                server: self.server().to_owned(),
                source: e,
            },
        }
    }
}

impl fmt::Debug for VsphereClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VsphereClient")
            .field("server", &self.server())
            .field("username", &self.inner.username)
            .field("password", &"[redacted]")
            .field("trust", &self.inner.trust)
            .finish_non_exhaustive()
    }
}

/// The fingerprint of the certificate `host` presents, for a person to confirm before it is
/// pinned. Only the TLS handshake happens: the connection is refused right after the
/// certificate arrives, so no request (and no credential) is sent.
pub async fn fetch_fingerprint(host: &str) -> Result<Fingerprint, VsphereError> {
    let base = base_url(host)?;
    if base.scheme() != "https" {
        return Err(VsphereError::InvalidHost(
            "a certificate can only be fetched over https".into(),
        ));
    }
    let Pin { config, refused } = recording_config().map_err(VsphereError::InvalidOptions)?;
    let options = TransportOptions {
        max_retries: 0,
        request_timeout: Duration::from_secs(15),
        ..default_options()
    };
    let transport = Transport::new(base, options, |b| b.tls_backend_preconfigured(config))
        .map_err(VsphereError::InvalidOptions)?;
    let endpoint = latchkey_http::endpoint(&reqwest::Method::HEAD, "");
    let url = transport.base().clone();
    let outcome = transport
        .exchange(&endpoint, latchkey_http::Repeat::Never, || {
            transport.http().head(url.clone())
        })
        .await;
    let seen = refused.lock().unwrap_or_else(|p| p.into_inner()).take();
    match (seen, outcome) {
        (Some(fingerprint), _) => Ok(fingerprint),
        (None, Err(e)) => Err(VsphereError::Transport {
            server: transport.server().to_owned(),
            source: e,
        }),
        (None, Ok(_)) => Err(VsphereError::InvalidHost(
            "the server answered without presenting a certificate".into(),
        )),
    }
}

/// What a vCenter's certificate is to Latchkey before a credential is added: its fingerprint,
/// and whether the system's roots already trust it for that name (then nothing needs pinning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CertificateProbe {
    /// The SHA-256 of the certificate the host presented.
    pub sha256: Fingerprint,
    /// Whether a connection verified against the system's roots succeeds.
    pub trusted: bool,
}

/// Looks at `host`'s certificate for the person adding it: [`fetch_fingerprint`], then one
/// handshake verified against the system's roots (an answer of any status means it holds).
/// Nothing but a `HEAD /` without credentials is sent.
pub async fn probe_certificate(host: &str) -> Result<CertificateProbe, VsphereError> {
    let sha256 = fetch_fingerprint(host).await?;
    let options = TransportOptions {
        max_retries: 0,
        request_timeout: Duration::from_secs(15),
        ..default_options()
    };
    let (transport, _) = transport_for(base_url(host)?, Trust::SystemRoots, options)?;
    let endpoint = latchkey_http::endpoint(&reqwest::Method::HEAD, "");
    let url = transport.base().clone();
    let trusted = transport
        .exchange(&endpoint, latchkey_http::Repeat::Never, || {
            transport.http().head(url.clone())
        })
        .await
        .is_ok();
    Ok(CertificateProbe { sha256, trusted })
}

fn transport_for(
    base: Url,
    trust: Trust,
    options: TransportOptions,
) -> Result<(Transport, Option<RefusedSlot>), VsphereError> {
    let user_agent = concat!("latchkey-vsphere/", env!("CARGO_PKG_VERSION"));
    let (transport, refused) = match trust {
        Trust::SystemRoots => (
            Transport::new(base, options, |b| b.user_agent(user_agent)),
            None,
        ),
        Trust::Pinned(pin) => {
            let Pin { config, refused } =
                pinned_config(pin).map_err(VsphereError::InvalidOptions)?;
            let transport = Transport::new(base, options, |b| {
                b.user_agent(user_agent).tls_backend_preconfigured(config)
            });
            (transport, Some(refused))
        }
    };
    Ok((transport.map_err(VsphereError::InvalidOptions)?, refused))
}

/// `https://host[:port]/` from what a person typed: a bare host (the credential's form), or a
/// URL (tests on loopback use `http://127.0.0.1:PORT`).
fn base_url(host: &str) -> Result<Url, VsphereError> {
    let host = host.trim();
    let url = if host.contains("://") {
        host.to_owned()
    } else {
        format!("https://{host}")
    };
    let base = latchkey_http::parse_base(&url, "vc.example.com or vc.example.com:8443")
        .map_err(VsphereError::InvalidHost)?;
    if base.path() != "/" {
        return Err(VsphereError::InvalidHost(
            "give the vCenter's host (and port), without a path".into(),
        ));
    }
    Ok(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(host: &str) -> Result<VsphereClient, VsphereError> {
        VsphereClient::new(
            host,
            "administrator@vsphere.local",
            Secret::new("pw".into()),
            Trust::SystemRoots,
            default_options(),
        )
    }

    #[test]
    fn a_host_may_carry_a_port_and_a_url_is_accepted() {
        assert_eq!(client("vc.example.com").unwrap().server(), "vc.example.com");
        assert_eq!(
            client("vc.example.com:8443").unwrap().server(),
            "vc.example.com:8443"
        );
        assert_eq!(
            client("https://vc.example.com:8443/").unwrap().server(),
            "vc.example.com:8443"
        );
        assert_eq!(
            client("http://127.0.0.1:9").unwrap().server(),
            "127.0.0.1:9"
        );
    }

    #[test]
    fn bad_addresses_are_refused_without_echoing_a_password() {
        for bad in [
            "http://vc.example.com",
            "https://vc.example.com/sdk",
            "vc.example.com:notaport",
            "",
        ] {
            assert!(client(bad).is_err(), "{bad}");
        }
        let err = client("https://root:hunter2@vc.example.com").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn debug_never_shows_the_password() {
        let c = VsphereClient::new(
            "vc.example.com",
            "admin",
            Secret::new("canary-pw-123".into()),
            Trust::SystemRoots,
            default_options(),
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("canary-pw-123"));
    }
}
