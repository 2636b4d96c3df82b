//! The encrypted file store (issue #12 item 9) against real files: oo7's keyring format on
//! disk, opened with a passphrase. Needs no Secret Service.
#![cfg(target_os = "linux")]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use latchkey_vault::{
    Account, CredentialEdit, EncryptedFileStore, Error, NewCredential, SecretPlace, SecretStore,
    SecretString,
};

const PASSPHRASE: &str = "correct horse battery";

fn passphrase(text: &str) -> SecretString {
    SecretString::new(text.to_owned())
}

fn jamf(host: &str, secret: &str) -> NewCredential {
    NewCredential {
        label: format!("Jamf {host}"),
        account: Account::JamfClient {
            url: format!("https://{host}"),
            client_id: "abc".into(),
        },
        secret: secret.into(),
        source: None,
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn credentials_round_trip_through_the_file_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store").join("credentials.keyring");
    let store = EncryptedFileStore::create(&path, &passphrase(PASSPHRASE))
        .await
        .unwrap();
    let meta = store
        .put(jamf("round.example.com", "first-secret"))
        .await
        .unwrap();
    assert_eq!(store.get(&meta.id).await.unwrap().expose(), "first-secret");
    let duplicate = store.put(jamf("round.example.com", "again")).await;
    assert!(
        matches!(duplicate, Err(Error::Duplicate { .. })),
        "{duplicate:?}"
    );

    store
        .rotate(&meta.id, SecretPlace::Here(passphrase("second-secret")))
        .await
        .unwrap();
    let edit = CredentialEdit {
        label: "Renamed".into(),
        account: meta.account.clone(),
    };
    store.edit(&meta.id, &edit).await.unwrap();
    let other = store.put(jamf("other.example.com", "other")).await.unwrap();
    store.delete(&other.id).await.unwrap();
    drop(store);

    // The file alone, opened again: what was written is there, and nothing else.
    assert_eq!(mode(&path), 0o600, "the store file is the user's only");
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    let reopened = EncryptedFileStore::open(&path, &passphrase(PASSPHRASE))
        .await
        .unwrap();
    let all = reopened.list().await.unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].id, meta.id);
    assert_eq!(all[0].label, "Renamed");
    assert_eq!(
        reopened.get(&meta.id).await.unwrap().expose(),
        "second-secret"
    );

    // Neither the secret nor what it is for is in the file in the clear (attribute names
    // are; their values are kept as HMACs).
    let bytes = std::fs::read(&path).unwrap();
    for clear in ["second-secret", "round.example.com", "Renamed"] {
        assert!(
            !bytes.windows(clear.len()).any(|w| w == clear.as_bytes()),
            "{clear} is readable in the file"
        );
    }

    // Moved into a secret manager: the secret kept in the file is gone, the place stays.
    let reference: latchkey_vault::SecretRef = "azure-kv://contoso.vault.azure.net/jamf-prod"
        .parse()
        .unwrap();
    reopened
        .rotate(&meta.id, SecretPlace::At(reference.clone()))
        .await
        .unwrap();
    drop(reopened);
    let again = EncryptedFileStore::open(&path, &passphrase(PASSPHRASE))
        .await
        .unwrap();
    assert_eq!(again.list().await.unwrap()[0].source, Some(reference));
    assert_eq!(again.get(&meta.id).await.unwrap().expose(), "");
}

#[tokio::test]
async fn a_wrong_passphrase_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials.keyring");
    let store = EncryptedFileStore::create(&path, &passphrase(PASSPHRASE))
        .await
        .unwrap();
    store.put(jamf("wrong.example.com", "s")).await.unwrap();
    drop(store);
    let refused = EncryptedFileStore::open(&path, &passphrase("not the passphrase"))
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::WrongPassphrase), "{refused:?}");
    assert_eq!(
        refused.to_string(),
        "wrong passphrase for the encrypted store"
    );

    // Also with nothing stored but the passphrase check: an empty store is not "any
    // passphrase opens it".
    let empty = dir.path().join("empty.keyring");
    drop(
        EncryptedFileStore::create(&empty, &passphrase(PASSPHRASE))
            .await
            .unwrap(),
    );
    let refused = EncryptedFileStore::open(&empty, &passphrase("not the passphrase"))
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::WrongPassphrase), "{refused:?}");
}

#[tokio::test]
async fn a_short_passphrase_and_an_existing_file_are_refused_at_creation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials.keyring");
    let short = EncryptedFileStore::create(&path, &passphrase("short"))
        .await
        .unwrap_err();
    assert!(
        matches!(short, Error::WeakPassphrase { min: 10 }),
        "{short:?}"
    );
    assert!(!path.exists());
    drop(
        EncryptedFileStore::create(&path, &passphrase(PASSPHRASE))
            .await
            .unwrap(),
    );
    let again = EncryptedFileStore::create(&path, &passphrase(PASSPHRASE))
        .await
        .unwrap_err();
    assert!(again.to_string().contains("already exists"), "{again}");
}

#[tokio::test]
async fn a_tampered_file_is_refused_as_changed_outside_latchkey() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials.keyring");
    let store = EncryptedFileStore::create(&path, &passphrase(PASSPHRASE))
        .await
        .unwrap();
    store.put(jamf("tamper.example.com", "s")).await.unwrap();
    drop(store);

    // One bit flipped near the end: inside the last item's ciphertext or MAC tag (the
    // format's framing after it is a few bytes).
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() - 40;
    bytes[at] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let refused = EncryptedFileStore::open(&path, &passphrase(PASSPHRASE))
        .await
        .unwrap_err();
    match &refused {
        Error::StoreFile { path: p, reason } => {
            assert_eq!(p, &path);
            assert!(reason.contains("changed outside Latchkey"), "{reason}");
        }
        other => panic!("expected StoreFile, got {other:?}"),
    }

    // Not a keyring at all.
    std::fs::write(&path, b"not a keyring").unwrap();
    let refused = EncryptedFileStore::open(&path, &passphrase(PASSPHRASE))
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::StoreFile { .. }), "{refused:?}");
}

#[tokio::test]
async fn a_store_file_others_may_read_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials.keyring");
    drop(
        EncryptedFileStore::create(&path, &passphrase(PASSPHRASE))
            .await
            .unwrap(),
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let refused = EncryptedFileStore::open(&path, &passphrase(PASSPHRASE))
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("mode 644; it must be 600"),
        "{refused}"
    );
}
