//! How a vCenter's certificate is trusted: by the system's roots (the default), or, for a
//! self-signed vCenter, by the SHA-256 of its leaf certificate that a person confirmed on first
//! use. There is no third way: nothing turns verification off.
//!
//! A pinned certificate is accepted exactly: same DER bytes, whatever its names, issuer or
//! dates (a self-signed vCenter's certificate often names a host other than the one typed, and
//! the person confirmed these very bytes). The handshake's signature is still checked against
//! the pinned certificate's key, so a server holding only the certificate, not its private key,
//! is refused.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// The SHA-256 of a certificate (DER), shown as 32 colon-separated upper-case hex pairs, the
/// way vCenter and browsers show a thumbprint.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The fingerprint of `der`.
    pub fn of(der: &[u8]) -> Self {
        Self(Sha256::digest(der).into())
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, byte) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{byte:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl FromStr for Fingerprint {
    type Err = String;

    /// 64 hex digits, upper or lower case, with or without `:` or spaces between pairs.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits: Vec<u8> = s
            .bytes()
            .filter(|b| !matches!(b, b':' | b' '))
            .map(|b| (b as char).to_digit(16).map(|d| d as u8))
            .collect::<Option<_>>()
            .ok_or("a SHA-256 fingerprint has only hex digits (and ':' between pairs)")?;
        if digits.len() != 64 {
            return Err(format!(
                "a SHA-256 fingerprint has 64 hex digits, not {}",
                digits.len()
            ));
        }
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(digits.chunks(2)) {
            *byte = pair[0] << 4 | pair[1];
        }
        Ok(Self(out))
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Which certificates a client accepts from its vCenter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// A certificate chaining to the system's roots, for the host's name (the default).
    SystemRoots,
    /// Exactly the certificate with this SHA-256, confirmed by a person on first use.
    Pinned(Fingerprint),
}

/// Where a verifier notes the fingerprint it last refused, so the client can name it.
pub(crate) type RefusedSlot = Arc<Mutex<Option<Fingerprint>>>;

/// The pinned verifier and what it last refused, so the client can name both fingerprints.
pub(crate) struct Pin {
    pub(crate) config: rustls::ClientConfig,
    pub(crate) refused: RefusedSlot,
}

/// A rustls configuration that accepts only the certificate `pin` (see the module's words),
/// offering HTTP/2 and HTTP/1.1.
pub(crate) fn pinned_config(pin: Fingerprint) -> Result<Pin, String> {
    let refused = Arc::new(Mutex::new(None));
    let verifier = Verifier::new(Check::Pinned(pin), refused.clone());
    Ok(Pin {
        config: config_with(verifier)?,
        refused,
    })
}

/// A rustls configuration that refuses every certificate after noting its fingerprint, so
/// `fetch_fingerprint` learns it without sending anything over the connection.
pub(crate) fn recording_config() -> Result<Pin, String> {
    let refused = Arc::new(Mutex::new(None));
    let verifier = Verifier::new(Check::Record, refused.clone());
    Ok(Pin {
        config: config_with(verifier)?,
        refused,
    })
}

fn config_with(verifier: Verifier) -> Result<rustls::ClientConfig, String> {
    let mut config = rustls::ClientConfig::builder_with_provider(verifier.provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

#[derive(Debug, Clone, Copy)]
enum Check {
    Pinned(Fingerprint),
    Record,
}

#[derive(Debug)]
struct Verifier {
    check: Check,
    provider: Arc<CryptoProvider>,
    algorithms: WebPkiSupportedAlgorithms,
    refused: RefusedSlot,
}

impl Verifier {
    fn new(check: Check, refused: RefusedSlot) -> Self {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        Self {
            check,
            algorithms: provider.signature_verification_algorithms,
            provider,
            refused,
        }
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = Fingerprint::of(end_entity);
        if let Check::Pinned(pin) = self.check
            && pin == presented
        {
            return Ok(ServerCertVerified::assertion());
        }
        *self.refused.lock().unwrap_or_else(|e| e.into_inner()) = Some(presented);
        let why = match self.check {
            Check::Pinned(pin) => {
                format!("certificate SHA-256 {presented} is not the pinned {pin}")
            }
            Check::Record => format!("certificate SHA-256 {presented} noted, not trusted"),
        };
        Err(rustls::Error::InvalidCertificate(CertificateError::Other(
            rustls::OtherError(Arc::new(Refused(why))),
        )))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[derive(Debug)]
struct Refused(String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_read_with_or_without_colons_and_print_as_vcenter_shows_them() {
        let fp = Fingerprint::of(b"certificate");
        let shown = fp.to_string();
        assert_eq!(shown.len(), 32 * 3 - 1);
        assert_eq!(shown.parse::<Fingerprint>().unwrap(), fp);
        assert_eq!(
            shown
                .replace(':', "")
                .to_lowercase()
                .parse::<Fingerprint>()
                .unwrap(),
            fp
        );
        assert!(
            "AB:CD"
                .parse::<Fingerprint>()
                .unwrap_err()
                .contains("64 hex digits")
        );
        assert!("zz".repeat(32).parse::<Fingerprint>().is_err());
    }
}
