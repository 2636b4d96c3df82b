//! The Secret Service store against a real gnome-keyring-daemon, checked from the outside with
//! the real `secret-tool` (libsecret-tools).
//!
//! Run with `scripts/with-keyring.sh cargo test -p latchkey-vault`, which starts a private
//! D-Bus session with an unlocked keyring and sets LATCHKEY_TEST_KEYRING=1; then an
//! unreachable service fails the tests. Without that variable they skip (so a plain
//! `cargo test` passes on machines without D-Bus), except under `CI=true`. Each test uses its own domain, so they can
//! run in parallel in one keyring.
#![cfg(target_os = "linux")]

use std::process::Command;

use latchkey_vault::{
    Account, CredentialEdit, CredentialId, Error, Kind, Metadata, NewCredential, SecretPlace,
    SecretRef, SecretServiceStore, SecretStore, TlsPolicy,
};

/// A connected store, or `None` (after saying so) when the keyring tests are not enabled.
async fn store(test: &str) -> Option<SecretServiceStore> {
    if !latchkey_test_peer::keyring(test) {
        return None;
    }
    match SecretServiceStore::connect().await {
        Ok(store) => Some(store),
        Err(e) => panic!("LATCHKEY_TEST_KEYRING=1 but the Secret Service is unreachable: {e}"),
    }
}

fn jamf(host: &str, client_id: &str, secret: &str) -> NewCredential {
    NewCredential {
        label: format!("Jamf {host}"),
        account: Account::JamfClient {
            url: format!("https://{host}"),
            client_id: client_id.into(),
        },
        secret: secret.into(),
        source: None,
    }
}

/// What `secret-tool search --all` prints for these attributes (it puts attributes on stderr,
/// label and secret on stdout), as one text.
fn secret_tool_search(attributes: &[(&str, &str)]) -> String {
    let mut command = Command::new("secret-tool");
    command.args(["search", "--all"]);
    for (name, value) in attributes {
        command.args([name, value]);
    }
    let out = command.output().expect("run secret-tool (libsecret-tools)");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn find(all: &[Metadata], id: &CredentialId) -> Option<Metadata> {
    all.iter().find(|m| m.id == *id).cloned()
}

#[tokio::test]
async fn lifecycle_is_visible_to_secret_tool() {
    let Some(store) = store("lifecycle_is_visible_to_secret_tool").await else {
        return;
    };
    let meta = store
        .put(jamf("acme.jamfcloud.com", "abc", "first-secret-canary"))
        .await
        .unwrap();
    assert_eq!(meta.kind, Kind::Jamf);
    assert_eq!(meta.domain.as_str(), "jamf:acme.jamfcloud.com");

    // Listed with its metadata, and the metadata carries no secret.
    let listed = find(&store.list().await.unwrap(), &meta.id).expect("listed");
    assert_eq!(listed, meta);
    assert!(
        !serde_json::to_string(&listed)
            .unwrap()
            .contains("first-secret-canary")
    );

    assert_eq!(
        store.get(&meta.id).await.unwrap().expose(),
        "first-secret-canary"
    );

    // From the outside: found by application, labelled and attributed, secret fields only.
    let seen = secret_tool_search(&[
        ("application", "latchkey"),
        ("latchkey-id", meta.id.as_str()),
    ]);
    assert!(
        seen.contains("label = Latchkey: Jamf Pro acme.jamfcloud.com (client abc)"),
        "{seen}"
    );
    assert!(
        seen.contains(&format!("attribute.latchkey-id = {}", meta.id)),
        "{seen}"
    );
    assert!(seen.contains("attribute.latchkey-kind = jamf"), "{seen}");
    assert!(
        seen.contains("attribute.latchkey-domain = jamf:acme.jamfcloud.com"),
        "{seen}"
    );
    assert!(
        seen.contains(r#"secret = {"client_secret":"first-secret-canary"}"#),
        "{seen}"
    );
    let everything = secret_tool_search(&[("application", "latchkey")]);
    assert!(everything.contains(meta.id.as_str()), "{everything}");

    // Rotation replaces the secret and keeps the id and creation time.
    let rotated = store
        .rotate(&meta.id, SecretPlace::Here("second-secret".into()))
        .await
        .unwrap();
    assert_eq!((&rotated.id, rotated.created), (&meta.id, meta.created));
    assert!(rotated.last_rotated >= meta.last_rotated);
    assert_eq!(store.get(&meta.id).await.unwrap().expose(), "second-secret");
    assert_eq!(
        find(&store.list().await.unwrap(), &meta.id),
        Some(rotated.clone())
    );
    let seen = secret_tool_search(&[("latchkey-id", meta.id.as_str())]);
    assert!(
        seen.contains(r#"secret = {"client_secret":"second-secret"}"#),
        "{seen}"
    );
    assert!(!seen.contains("first-secret-canary"), "{seen}");

    // Moved into a secret manager: the item keeps no secret, the metadata names the place.
    let reference: SecretRef = "vault://vault.example.com:8200/secret/jamf#client_secret"
        .parse()
        .unwrap();
    let moved = store
        .rotate(&meta.id, SecretPlace::At(reference.clone()))
        .await
        .unwrap();
    assert_eq!(moved.source, Some(reference));
    assert_eq!(store.get(&meta.id).await.unwrap().expose(), "");
    assert_eq!(find(&store.list().await.unwrap(), &meta.id), Some(moved));
    let seen = secret_tool_search(&[("latchkey-id", meta.id.as_str())]);
    assert!(seen.contains("secret = {}"), "{seen}");
    assert!(!seen.contains("second-secret"), "{seen}");
    // And back: a new value kept here, the reference gone.
    let back = store
        .rotate(&meta.id, SecretPlace::Here("third-secret".into()))
        .await
        .unwrap();
    assert_eq!(back.source, None);
    assert_eq!(store.get(&meta.id).await.unwrap().expose(), "third-secret");

    let at = chrono::Utc::now();
    let used = store.record_use(&meta.id, at).await.unwrap();
    assert_eq!(used.last_used, Some(at));
    assert_eq!(find(&store.list().await.unwrap(), &meta.id), Some(used));

    store.delete(&meta.id).await.unwrap();
    assert_eq!(find(&store.list().await.unwrap(), &meta.id), None);
    assert!(matches!(store.get(&meta.id).await, Err(Error::NotFound(_))));
    let seen = secret_tool_search(&[
        ("application", "latchkey"),
        ("latchkey-id", meta.id.as_str()),
    ]);
    assert!(!seen.contains("label ="), "{seen}");
}

#[tokio::test]
async fn duplicates_are_refused() {
    let Some(store) = store("duplicates_are_refused").await else {
        return;
    };
    let first = store
        .put(jamf("dup.example.com", "abc", "s1"))
        .await
        .unwrap();
    let err = store
        .put(jamf("DUP.example.com/", " abc", "s2"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Duplicate { id, .. } if *id == first.id),
        "{err}"
    );
    // Same domain, another principal: allowed.
    let other = store
        .put(jamf("dup.example.com", "xyz", "s3"))
        .await
        .unwrap();
    let listed = store.list().await.unwrap();
    let mine: Vec<_> = listed
        .iter()
        .filter(|m| m.domain.as_str() == "jamf:dup.example.com")
        .collect();
    assert_eq!(mine.len(), 2);
    assert_eq!(store.get(&first.id).await.unwrap().expose(), "s1");
    store.delete(&first.id).await.unwrap();
    store.delete(&other.id).await.unwrap();
}

#[tokio::test]
async fn a_second_store_sees_what_the_first_wrote() {
    let Some(writer) = store("a_second_store_sees_what_the_first_wrote").await else {
        return;
    };
    let new = NewCredential {
        label: "VC lab".into(),
        account: Account::Vcenter {
            host: "vc01.example.com".into(),
            username: "administrator@vsphere.local".into(),
            tls: TlsPolicy::Pinned {
                sha256: "AB:".repeat(31) + "AB",
            },
        },
        secret: "vc-password".into(),
        source: None,
    };
    let meta = writer.put(new).await.unwrap();
    drop(writer);

    let reader = SecretServiceStore::connect().await.unwrap();
    assert_eq!(
        find(&reader.list().await.unwrap(), &meta.id),
        Some(meta.clone())
    );
    assert_eq!(reader.get(&meta.id).await.unwrap().expose(), "vc-password");
    let err = reader
        .put(NewCredential {
            label: "again".into(),
            account: meta.account.clone(),
            secret: "other".into(),
            source: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Duplicate { .. }), "{err}");
    reader.delete(&meta.id).await.unwrap();
}

#[tokio::test]
async fn an_edit_moves_the_item_and_keeps_its_secret() {
    let Some(store) = store("an_edit_moves_the_item_and_keeps_its_secret").await else {
        return;
    };
    let meta = store
        .put(jamf("edit-old.example.com", "abc", "kept-secret"))
        .await
        .unwrap();
    let taken = store
        .put(jamf("edit-new.example.com", "taken", "s2"))
        .await
        .unwrap();

    let edit = CredentialEdit {
        label: " Moved ".into(),
        account: Account::JamfClient {
            url: "https://EDIT-NEW.example.com/".into(),
            client_id: " xyz ".into(),
        },
    };
    let edited = store.edit(&meta.id, &edit).await.unwrap();
    assert_eq!(edited.label, "Moved");
    assert_eq!(edited.domain.as_str(), "jamf:edit-new.example.com");
    assert_eq!(edited.account.principal(), "client xyz");
    assert_eq!(
        (&edited.id, edited.created, edited.last_rotated),
        (&meta.id, meta.created, meta.last_rotated)
    );
    assert_eq!(find(&store.list().await.unwrap(), &meta.id), Some(edited));
    assert_eq!(store.get(&meta.id).await.unwrap().expose(), "kept-secret");
    // From the outside: relabelled and re-attributed, the same secret.
    let seen = secret_tool_search(&[("latchkey-id", meta.id.as_str())]);
    assert!(
        seen.contains("label = Latchkey: Jamf Pro edit-new.example.com (client xyz)"),
        "{seen}"
    );
    assert!(
        seen.contains("attribute.latchkey-domain = jamf:edit-new.example.com"),
        "{seen}"
    );
    assert!(
        seen.contains(r#"secret = {"client_secret":"kept-secret"}"#),
        "{seen}"
    );

    // Refused, and nothing changes: another credential's identity, another type of account,
    // a blank field.
    let duplicate = CredentialEdit {
        label: "Moved".into(),
        account: Account::JamfClient {
            url: "https://edit-new.example.com".into(),
            client_id: "taken".into(),
        },
    };
    let err = store.edit(&meta.id, &duplicate).await.unwrap_err();
    assert!(
        matches!(&err, Error::Duplicate { id, .. } if *id == taken.id),
        "{err}"
    );
    let retyped = CredentialEdit {
        label: "Moved".into(),
        account: Account::JamfUser {
            url: "https://edit-new.example.com".into(),
            username: "admin".into(),
        },
    };
    let err = store.edit(&meta.id, &retyped).await.unwrap_err();
    assert_eq!(err.field(), Some("type"), "{err}");
    let blank = CredentialEdit {
        label: "Moved".into(),
        account: Account::JamfClient {
            url: "https://edit-new.example.com".into(),
            client_id: "  ".into(),
        },
    };
    let err = store.edit(&meta.id, &blank).await.unwrap_err();
    assert_eq!(err.field(), Some("client_id"), "{err}");
    let listed = find(&store.list().await.unwrap(), &meta.id).unwrap();
    assert_eq!(listed.account.principal(), "client xyz");

    store.delete(&meta.id).await.unwrap();
    store.delete(&taken.id).await.unwrap();
}
