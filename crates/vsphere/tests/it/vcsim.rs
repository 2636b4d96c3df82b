//! The client against a real vcsim: govmomi's vCenter simulator (Debian's
//! golang-github-vmware-govmomi-dev, built by tests/vcsim/build.sh with a main of our own),
//! over TLS with its self-signed certificate on 127.0.0.1. vcsim serves the legacy
//! `/rest/com/vmware/cis/session` and none of `/api/session` or `/api/vcenter/*`, so this
//! covers the session's life (the /api → /rest fallback, create, get, delete, 401 after delete)
//! and certificate pinning; the inventory and power calls are covered by Prism and the fake.
//! Without Go or govmomi the tests are skipped, except under `CI=true`, where they fail.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use latchkey_vsphere::{
    ApiFlavor, Fingerprint, Secret, Trust, VsphereClient, VsphereError, default_options,
    fetch_fingerprint,
};

/// A running vcsim; dropping it closes its stdin, which ends it, and reaps it.
struct Vcsim {
    child: Child,
    /// `127.0.0.1:PORT`.
    host: String,
}

impl Drop for Vcsim {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Builds (once, cached in target/vcsim) and starts vcsim; `None` after a note when Go or
/// govmomi is missing outside CI.
fn vcsim() -> Option<Vcsim> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vcsim/build.sh");
    let built = Command::new(&script)
        .output()
        .expect("run tests/vcsim/build.sh");
    if !built.status.success() {
        let why = String::from_utf8_lossy(&built.stderr).trim().to_owned();
        latchkey_test_peer::require("the vcsim test", &[format!("vcsim ({why})")]);
        return None;
    }
    let binary = String::from_utf8_lossy(&built.stdout).trim().to_owned();
    let mut child = Command::new(binary)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start vcsim");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("vcsim stdout"))
        .read_line(&mut line)
        .expect("vcsim prints its URL");
    let host = line
        .trim()
        .strip_prefix("https://")
        .unwrap_or_else(|| panic!("vcsim printed {line:?}, not an https URL"))
        .to_owned();
    Some(Vcsim { child, host })
}

/// The SHA-256 of the certificate at `host`, as openssl (not our code) sees it.
fn openssl_fingerprint(host: &str) -> Fingerprint {
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"openssl s_client -connect "$1" </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256"#)
        .arg("sh")
        .arg(host)
        .output()
        .expect("openssl");
    let text = String::from_utf8_lossy(&out.stdout);
    let value = text
        .trim()
        .rsplit('=')
        .next()
        .unwrap_or_else(|| panic!("openssl said {text:?}"));
    value.parse().expect("openssl's fingerprint")
}

fn client(host: &str, trust: Trust) -> VsphereClient {
    VsphereClient::new(
        host,
        "administrator@vsphere.local",
        Secret::new("vcsim-canary-password".into()),
        trust,
        default_options(),
    )
    .expect("client")
}

#[tokio::test]
async fn legacy_session_is_created_read_and_deleted_on_a_pinned_vcsim() {
    let Some(vc) = vcsim() else { return };
    let pin = fetch_fingerprint(&vc.host).await.expect("fingerprint");
    assert_eq!(pin, openssl_fingerprint(&vc.host), "first-use fingerprint");

    let c = client(&vc.host, Trust::Pinned(pin));
    let info = c.whoami().await.expect("session on vcsim");
    // /api/session answered 404, so the client fell back to /rest and remembers it.
    assert_eq!(info.api, Some(ApiFlavor::Rest));
    assert_eq!(c.api_flavor(), Some(ApiFlavor::Rest));
    assert_eq!(info.user.as_deref(), Some("administrator@vsphere.local"));
    c.logout().await.expect("session deleted");
    // A new session after logout: the client logs in again, straight to /rest.
    assert!(c.whoami().await.is_ok());
    c.logout().await.expect("session deleted");
    // vCenter has no /api/vcenter here: vcsim answers 404, named as such.
    let err = c.list_hosts().await.unwrap_err();
    assert!(matches!(err, VsphereError::NotFound { .. }), "{err}");
    assert!(!err.to_string().contains("vcsim-canary-password"));
    c.logout().await.expect("session deleted");
}

/// What the client relies on: a deleted session id is refused with 401. Shown with plain
/// requests (the client never reveals its session id), over the same pinned certificate.
#[tokio::test]
async fn a_deleted_session_gets_401() {
    let Some(vc) = vcsim() else { return };
    let der = {
        let out = Command::new("sh")
            .arg("-c")
            .arg(r#"openssl s_client -connect "$1" </dev/null 2>/dev/null | openssl x509 -outform PEM"#)
            .arg("sh")
            .arg(&vc.host)
            .output()
            .expect("openssl");
        reqwest::Certificate::from_pem(&out.stdout).expect("vcsim's certificate")
    };
    let http = reqwest::Client::builder()
        .tls_certs_only([der])
        .build()
        .expect("client");
    let session = format!("https://{}/rest/com/vmware/cis/session", vc.host);
    let created: serde_json::Value = http
        .post(&session)
        .basic_auth("user", Some("pass"))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let id = created["value"].as_str().expect("session id").to_owned();
    let get = |id: String| {
        http.post(format!("{session}?~action=get"))
            .header("vmware-api-session-id", id)
            .send()
    };
    assert_eq!(get(id.clone()).await.expect("get").status(), 200);
    let deleted = http
        .delete(&session)
        .header("vmware-api-session-id", &id)
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), 200);
    assert_eq!(get(id).await.expect("get").status(), 401);
}

#[tokio::test]
async fn a_changed_certificate_is_refused_naming_both_fingerprints() {
    let Some(vc) = vcsim() else { return };
    let real = fetch_fingerprint(&vc.host).await.expect("fingerprint");
    let pinned = Fingerprint::of(b"the certificate the person confirmed last time");
    let c = client(&vc.host, Trust::Pinned(pinned));
    let err = c.whoami().await.unwrap_err();
    match &err {
        VsphereError::CertificateChanged {
            pinned: p,
            presented,
            ..
        } => {
            assert_eq!(*p, pinned);
            assert_eq!(*presented, real);
        }
        other => panic!("expected CertificateChanged, got {other}"),
    }
    let text = err.to_string();
    assert!(
        text.contains(&pinned.to_string()) && text.contains(&real.to_string()),
        "{text}"
    );
    assert!(!text.contains("vcsim-canary-password"));
}

#[tokio::test]
async fn a_self_signed_vcenter_is_refused_without_a_pin() {
    let Some(vc) = vcsim() else { return };
    let err = client(&vc.host, Trust::SystemRoots)
        .whoami()
        .await
        .unwrap_err();
    assert!(
        matches!(err, VsphereError::Transport { .. }),
        "expected a TLS refusal, got {err}"
    );
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );
}
