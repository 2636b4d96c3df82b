//! The fake over TLS, as a vCenter is: a fresh self-signed certificate (ECDSA P-256, for
//! 127.0.0.1) made by the openssl command, and a listener that completes each handshake
//! before axum sees the connection. A client that refuses the certificate is dropped.

use std::process::Command;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// A self-signed certificate and its TLS acceptor.
pub(crate) struct SelfSigned {
    pub der: Vec<u8>,
    pub acceptor: TlsAcceptor,
}

pub(crate) fn self_signed() -> SelfSigned {
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-keyout", "-", "-out", "-", "-days", "1"])
        .args([
            "-subj",
            "/CN=fake-vcenter",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .output()
        .expect("run openssl to make the fake vCenter's certificate");
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cert = CertificateDer::from_pem_slice(&out.stdout).expect("the certificate PEM");
    let key = PrivateKeyDer::from_pem_slice(&out.stdout).expect("the key PEM");
    let acceptor = latchkey_test_peer::tls::acceptor(cert.clone(), key);
    SelfSigned {
        der: cert.to_vec(),
        acceptor,
    }
}
