//! The stand-in's certificate: a fresh CA and a server certificate it signs for the vault's
//! host names (made by the openssl command, ECDSA P-256, one day), so a client trusts the CA
//! as it trusts a public one (a root certificate, or `SSL_CERT_FILE`), and the name is
//! checked as it is against Azure.

use std::io;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// The CA (PEM) a client is to trust, and the acceptor serving the certificate it signed.
pub(crate) struct Certificates {
    pub ca_pem: String,
    pub acceptor: TlsAcceptor,
}

fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run openssl to make the stand-in's certificates");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub(crate) fn certificates(names: &[&str]) -> Certificates {
    let dir = tempfile::tempdir().expect("a directory for the certificates");
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "1",
        "-subj",
        "/CN=Latchkey Azure stand-in CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    ]);
    openssl(dir.path(), &ca);
    let mut csr = vec!["req", "-new"];
    csr.extend(ec);
    csr.extend([
        "-keyout",
        "leaf.key",
        "-out",
        "leaf.csr",
        "-subj",
        "/CN=azure-standin",
    ]);
    openssl(dir.path(), &csr);
    let san: Vec<String> = names.iter().map(|n| format!("DNS:{n}")).collect();
    std::fs::write(
        dir.path().join("leaf.ext"),
        format!(
            "subjectAltName={},IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n\
             keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
            san.join(",")
        ),
    )
    .expect("write the extensions");
    openssl(
        dir.path(),
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-set_serial",
            "1",
            "-days",
            "1",
            "-extfile",
            "leaf.ext",
            "-out",
            "leaf.pem",
        ],
    );
    let read = |name: &str| std::fs::read(dir.path().join(name)).expect("a certificate file");
    let ca_pem = String::from_utf8(read("ca.pem")).expect("PEM is text");
    let cert = CertificateDer::from_pem_slice(&read("leaf.pem")).expect("the certificate PEM");
    let key = PrivateKeyDer::from_pem_slice(&read("leaf.key")).expect("the key PEM");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("the certificate and key");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Certificates {
        ca_pem,
        acceptor: TlsAcceptor::from(Arc::new(config)),
    }
}

/// Accepts TCP connections and completes their TLS handshakes; a client that refuses the
/// certificate is dropped.
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
