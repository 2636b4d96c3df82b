//! The stand-in's certificate: a fresh CA and a server certificate it signs for the vault's
//! host names (made by the openssl command, ECDSA P-256, one day), so a client trusts the CA
//! as it trusts a public one (a root certificate, or `SSL_CERT_FILE`), and the name is
//! checked as it is against Azure.

use std::process::Command;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

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
    let acceptor = latchkey_test_peer::tls::acceptor(cert, key);
    Certificates { ca_pem, acceptor }
}
