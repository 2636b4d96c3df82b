//! Issue #12 item 13 against a real gnome-keyring: an item written by another program (here
//! `secret-tool store`) whose `latchkey-domain` names one server while its account points at
//! another is refused when read, naming its id. A test binary of its own, because while the
//! tampered item exists every `list` of that keyring fails, which would upset parallel tests.
//!
//! Runs under `scripts/with-keyring.sh` (LATCHKEY_TEST_KEYRING=1); skips otherwise, except
//! under `CI=true`, where it fails.
#![cfg(target_os = "linux")]

use std::io::Write;
use std::process::{Command, Stdio};

use latchkey_vault::{Account, NewCredential, SecretServiceStore, SecretStore};

#[tokio::test]
async fn issue_12_a_tampered_item_in_the_secret_service_is_refused() {
    if !latchkey_test_peer::keyring("issue_12_a_tampered_item_in_the_secret_service_is_refused") {
        return;
    }
    let store = SecretServiceStore::connect().await.unwrap();
    let meta = store
        .put(NewCredential {
            label: "Tamper".into(),
            account: Account::JamfClient {
                url: "https://tamper-a.example.com".into(),
                client_id: "abc".into(),
            },
            secret: "canary-secret".into(),
            source: None,
        })
        .await
        .unwrap();
    store.delete(&meta.id).await.unwrap();

    // The same item as another program writes it: the domain a prompt would show is
    // tamper-a, the URL the secret would be sent to is evil.
    let mut tampered = meta.clone();
    tampered.account = Account::JamfClient {
        url: "https://evil.example.com".into(),
        client_id: "abc".into(),
    };
    let json = serde_json::to_string(&tampered).unwrap();
    let id = meta.id.to_string();
    let mut child = Command::new("secret-tool")
        .args([
            "store",
            "--label",
            "Latchkey: Jamf Pro tamper-a.example.com",
        ])
        .args(["application", "latchkey", "latchkey-id", &id])
        .args([
            "latchkey-kind",
            "jamf",
            "latchkey-domain",
            "jamf:tamper-a.example.com",
        ])
        .args(["latchkey-metadata", &json])
        .stdin(Stdio::piped())
        .spawn()
        .expect("run secret-tool (libsecret-tools)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"client_secret":"canary-secret"}"#)
        .unwrap();
    assert!(child.wait().unwrap().success());

    let listed = store.list().await;
    let got = store.get(&meta.id).await.map(|_| ());
    let cleared = Command::new("secret-tool")
        .args(["clear", "application", "latchkey", "latchkey-id", &id])
        .status()
        .unwrap();
    assert!(cleared.success());

    let expected = format!(
        "stored credential {id} names domain jamf:tamper-a.example.com but its account is for \
         jamf:evil.example.com; it is refused (was the secret store edited outside Latchkey?)"
    );
    assert_eq!(listed.unwrap_err().to_string(), expected);
    assert_eq!(got.unwrap_err().to_string(), expected);
}
