//! `MemoryStore`: a [`SecretStore`] in process memory, for tests of the code above the store
//! (broker, CLI, UI) and for fault injection: [`MemoryStore::fail_next`] makes the next call
//! of one operation fail with a chosen error, as a locked or vanished OS store would.
//!
//! Real-store behaviour is tested against a real Secret Service (tests/it/secret_service.rs);
//! this store follows the same rules through [`crate::admit`]. It never logs a secret.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};

use crate::{
    CredentialEdit, CredentialId, Error, Metadata, NewCredential, SecretPlace, SecretStore,
    SecretString, StoreFuture, admit, admit_edit,
};

/// A [`SecretStore`] operation, for [`MemoryStore::fail_next`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreOp {
    /// [`SecretStore::list`].
    List,
    /// [`SecretStore::put`].
    Put,
    /// [`SecretStore::get`].
    Get,
    /// [`SecretStore::rotate`].
    Rotate,
    /// [`SecretStore::edit`].
    Edit,
    /// [`SecretStore::record_use`].
    RecordUse,
    /// [`SecretStore::delete`].
    Delete,
    /// [`SecretStore::state`] and [`SecretStore::set_state`].
    State,
}

/// Credentials held in memory; secrets are wiped when removed or when the store is dropped.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    items: BTreeMap<CredentialId, (Metadata, SecretString)>,
    states: HashMap<String, Vec<u8>>,
    failures: HashMap<StoreOp, Error>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the next `op` fail with `error` (once); the store is left unchanged by it.
    pub fn fail_next(&self, op: StoreOp, error: Error) {
        self.lock().failures.insert(op, error);
    }

    /// The state, after taking any failure injected for `op`. A poisoned lock only means a
    /// test panicked mid-call; the map is still consistent, so carry on.
    fn begin(&self, op: StoreOp) -> Result<MutexGuard<'_, State>, Error> {
        let mut state = self.lock();
        match state.failures.remove(&op) {
            Some(error) => Err(error),
            None => Ok(state),
        }
    }

    /// Stores `metadata` and `secret` exactly as given, bypassing every check, as another
    /// program writing to the OS store could: for tests that the store's readers refuse
    /// tampered items.
    pub fn insert_unchecked(&self, metadata: Metadata, secret: SecretString) {
        self.lock()
            .items
            .insert(metadata.id.clone(), (metadata, secret));
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    /// The item `id`, its metadata checked as every store checks what it reads.
    fn entry(&mut self, id: &CredentialId) -> Result<&mut (Metadata, SecretString), Error> {
        let entry = self
            .items
            .get_mut(id)
            .ok_or_else(|| Error::NotFound(id.clone()))?;
        entry.0 = entry.0.clone().verified()?;
        Ok(entry)
    }
}

impl SecretStore for MemoryStore {
    fn list(&self) -> StoreFuture<'_, Vec<Metadata>> {
        Box::pin(async move {
            let state = self.begin(StoreOp::List)?;
            let mut all = state
                .items
                .values()
                .map(|(m, _)| m.clone().verified())
                .collect::<Result<Vec<Metadata>, Error>>()?;
            all.sort_by(|a, b| (&a.domain, &a.label).cmp(&(&b.domain, &b.label)));
            Ok(all)
        })
    }

    fn put(&self, new: NewCredential) -> StoreFuture<'_, Metadata> {
        Box::pin(async move {
            let mut state = self.begin(StoreOp::Put)?;
            let existing: Vec<Metadata> = state.items.values().map(|(m, _)| m.clone()).collect();
            let (metadata, secret) = admit(new, &existing)?;
            state
                .items
                .insert(metadata.id.clone(), (metadata.clone(), secret));
            Ok(metadata)
        })
    }

    fn get<'a>(&'a self, id: &'a CredentialId) -> StoreFuture<'a, SecretString> {
        Box::pin(async move {
            let mut state = self.begin(StoreOp::Get)?;
            Ok(state.entry(id)?.1.duplicate())
        })
    }

    fn rotate<'a>(&'a self, id: &'a CredentialId, place: SecretPlace) -> StoreFuture<'a, Metadata> {
        Box::pin(async move {
            let mut state = self.begin(StoreOp::Rotate)?;
            let entry = state.entry(id)?;
            let rotated = place.applied_to(&entry.0)?;
            // The old secret is dropped, and so wiped, by the assignment.
            *entry = rotated;
            Ok(entry.0.clone())
        })
    }

    fn edit<'a>(
        &'a self,
        id: &'a CredentialId,
        edit: &'a CredentialEdit,
    ) -> StoreFuture<'a, Metadata> {
        Box::pin(async move {
            let mut state = self.begin(StoreOp::Edit)?;
            let existing: Vec<Metadata> = state.items.values().map(|(m, _)| m.clone()).collect();
            let entry = state.entry(id)?;
            entry.0 = admit_edit(&entry.0, edit, &existing)?;
            Ok(entry.0.clone())
        })
    }

    fn record_use<'a>(
        &'a self,
        id: &'a CredentialId,
        at: DateTime<Utc>,
    ) -> StoreFuture<'a, Metadata> {
        Box::pin(async move {
            let mut state = self.begin(StoreOp::RecordUse)?;
            let entry = state.entry(id)?;
            entry.0.last_used = Some(at);
            Ok(entry.0.clone())
        })
    }

    fn delete<'a>(&'a self, id: &'a CredentialId) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut state = self.begin(StoreOp::Delete)?;
            state
                .items
                .remove(id)
                .map(drop)
                .ok_or_else(|| Error::NotFound(id.clone()))
        })
    }

    fn state<'a>(&'a self, name: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move { Ok(self.begin(StoreOp::State)?.states.get(name).cloned()) })
    }

    fn set_state<'a>(&'a self, name: &'a str, value: &'a [u8]) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut state = self.begin(StoreOp::State)?;
            state.states.insert(name.to_owned(), value.to_vec());
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Account, Kind, SecretRef};

    fn jamf(client_id: &str, secret: &str) -> NewCredential {
        NewCredential {
            label: format!("Acme {client_id}"),
            account: Account::JamfClient {
                url: "https://acme.jamfcloud.com".into(),
                client_id: client_id.into(),
            },
            secret: secret.into(),
            source: None,
        }
    }

    #[tokio::test]
    async fn put_list_get_rotate_use_delete() {
        let store = MemoryStore::new();
        let meta = store.put(jamf("abc", "first")).await.unwrap();
        assert_eq!(store.list().await.unwrap(), vec![meta.clone()]);
        assert_eq!(meta.kind, Kind::Jamf);
        assert_eq!(store.get(&meta.id).await.unwrap().expose(), "first");

        let rotated = store
            .rotate(&meta.id, SecretPlace::Here("second".into()))
            .await
            .unwrap();
        assert!(rotated.last_rotated >= meta.last_rotated);
        assert_eq!(rotated.created, meta.created);
        assert_eq!(store.get(&meta.id).await.unwrap().expose(), "second");

        let at = Utc::now();
        let used = store.record_use(&meta.id, at).await.unwrap();
        assert_eq!(used.last_used, Some(at));

        store.delete(&meta.id).await.unwrap();
        assert!(store.list().await.unwrap().is_empty());
        assert!(matches!(store.get(&meta.id).await, Err(Error::NotFound(_))));
        assert!(matches!(
            store.delete(&meta.id).await,
            Err(Error::NotFound(_))
        ));
    }

    #[tokio::test]
    async fn duplicates_are_refused_other_principals_are_not() {
        let store = MemoryStore::new();
        let first = store.put(jamf("abc", "s")).await.unwrap();
        let err = store.put(jamf(" abc ", "t")).await.unwrap_err();
        assert!(
            matches!(&err, Error::Duplicate { id, .. } if *id == first.id),
            "{err}"
        );
        store.put(jamf("other", "s")).await.unwrap();
        assert_eq!(store.list().await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn invalid_input_is_refused_with_its_field() {
        let store = MemoryStore::new();
        let err = store.put(jamf("", "s")).await.unwrap_err();
        assert_eq!(err.field(), Some("client_id"));
        let meta = store.put(jamf("abc", "s")).await.unwrap();
        let err = store
            .rotate(&meta.id, SecretPlace::Here(" ".into()))
            .await
            .unwrap_err();
        assert_eq!(err.field(), Some("client_secret"));
        assert_eq!(store.get(&meta.id).await.unwrap().expose(), "s");
    }

    #[tokio::test]
    async fn a_secret_moves_to_a_secret_manager_and_back() {
        let store = MemoryStore::new();
        let meta = store.put(jamf("abc", "kept-here")).await.unwrap();
        let reference: SecretRef = "aws-sm://eu-west-1/jamf/prod#client_secret"
            .parse()
            .unwrap();
        let moved = store
            .rotate(&meta.id, SecretPlace::At(reference.clone()))
            .await
            .unwrap();
        assert_eq!(moved.source, Some(reference.clone()));
        assert!(moved.last_rotated >= meta.last_rotated);
        assert_eq!(store.get(&meta.id).await.unwrap().expose(), "");
        let back = store
            .rotate(&meta.id, SecretPlace::Here("typed-again".into()))
            .await
            .unwrap();
        assert_eq!(back.source, None);
        assert_eq!(store.get(&meta.id).await.unwrap().expose(), "typed-again");

        // A secret manager's own credential cannot be moved into one.
        let vault = store
            .put(NewCredential {
                label: "Vault".into(),
                account: Account::Vault {
                    address: "https://vault.example.com:8200".into(),
                    namespace: None,
                    role_id: None,
                },
                secret: "token".into(),
                source: None,
            })
            .await
            .unwrap();
        let err = store
            .rotate(&vault.id, SecretPlace::At(reference))
            .await
            .unwrap_err();
        assert_eq!(err.field(), Some("secret_from"), "{err}");
        assert_eq!(store.get(&vault.id).await.unwrap().expose(), "token");
    }

    #[tokio::test]
    async fn injected_failures_fire_once_and_change_nothing() {
        let store = MemoryStore::new();
        store.fail_next(StoreOp::Put, Error::Locked);
        assert!(matches!(
            store.put(jamf("abc", "s")).await,
            Err(Error::Locked)
        ));
        assert!(store.list().await.unwrap().is_empty());
        let meta = store.put(jamf("abc", "s")).await.unwrap();

        store.fail_next(StoreOp::Get, Error::Unavailable("gone".into()));
        assert!(matches!(
            store.get(&meta.id).await,
            Err(Error::Unavailable(_))
        ));
        assert!(store.get(&meta.id).await.is_ok());

        store.fail_next(StoreOp::Delete, Error::Store("refused".into()));
        assert!(store.delete(&meta.id).await.is_err());
        assert_eq!(store.list().await.unwrap().len(), 1);

        store.fail_next(StoreOp::List, Error::Locked);
        assert!(store.list().await.is_err());
    }

    #[test]
    fn usable_as_a_trait_object() {
        let store: std::sync::Arc<dyn SecretStore> = std::sync::Arc::new(MemoryStore::new());
        assert!(format!("{store:?}").contains("MemoryStore"));
    }

    /// Issue #12 item 13: an item whose stored domain is not the one its URL names (a prompt
    /// would say acme while the secret goes to evil) is refused when read, naming its id.
    #[tokio::test]
    async fn issue_12_a_stored_domain_that_disagrees_with_its_account_is_refused() {
        let store = MemoryStore::new();
        let meta = store.put(jamf("abc", "canary-secret")).await.unwrap();
        assert_eq!(
            store.list().await.unwrap()[0].domain.as_str(),
            "jamf:acme.jamfcloud.com"
        );

        let mut tampered = meta.clone();
        tampered.account = Account::JamfClient {
            url: "https://evil.example.com".into(),
            client_id: "abc".into(),
        };
        store.insert_unchecked(tampered, "canary-secret".into());
        let expected = format!(
            "stored credential {} names domain jamf:acme.jamfcloud.com but its account is for \
             jamf:evil.example.com; it is refused (was the secret store edited outside Latchkey?)",
            meta.id
        );
        let err = store.list().await.unwrap_err();
        assert_eq!(err.to_string(), expected);
        let err = store.get(&meta.id).await.unwrap_err();
        assert_eq!(err.to_string(), expected);
        assert!(!err.to_string().contains("canary"));

        // The other way round: the stored domain changed, the URL kept.
        let mut renamed = meta.clone();
        renamed.domain = crate::Domain::from("jamf:evil.example.com");
        store.insert_unchecked(renamed, "canary-secret".into());
        let err = store.record_use(&meta.id, Utc::now()).await.unwrap_err();
        assert!(
            err.to_string()
                .contains("names domain jamf:evil.example.com"),
            "{err}"
        );
    }
}
