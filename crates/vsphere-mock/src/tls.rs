//! The fake over TLS, as a vCenter is: a fresh self-signed certificate (ECDSA P-256, for
//! 127.0.0.1) made by the openssl command, and a listener that completes each handshake
//! before axum sees the connection. A client that refuses the certificate is dropped.

use std::io;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

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
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .expect("the certificate and key");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    SelfSigned {
        der: cert.to_vec(),
        acceptor: TlsAcceptor::from(Arc::new(config)),
    }
}

/// Accepts TCP connections and completes their TLS handshakes.
pub(crate) struct TlsListener {
    pub tcp: TcpListener,
    pub acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
