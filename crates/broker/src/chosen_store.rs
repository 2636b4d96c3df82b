//! Linux: the credentials in the store the person chose, the Secret Service or Latchkey's
//! encrypted file, behind one `SecretStore`. Latchkey's own state items (the audit anchor,
//! the key that seals the settings) stay in the Secret Service either way: the broker needs
//! them while the file is closed (at start, to read the sealed choice itself; on every
//! anchoring of the audit chain). SECURITY.md says what that leaves readable.
//!
//! The file is open only while some domain is unlocked (or for the one request that brought
//! its passphrase); while it is closed, listing shows what it held when it was last open in
//! this broker's run, and everything else is refused with [`Error::StoreClosed`].

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use latchkey_vault::{
    CredentialEdit, CredentialId, EncryptedFileStore, Error, Metadata, NewCredential, SecretPlace,
    SecretStore, SecretString, StoreFuture,
};

use crate::store_choice::{StoreChooser, StoreKind, StoreStatus};
use crate::{RefusedFile, SealedFile};

/// Wrong passphrases taken in a row before tries must wait.
const FREE_TRIES: u32 = 3;
/// The first wait; it doubles with each further wrong passphrase, up to [`LONGEST_WAIT`].
const FIRST_WAIT: Duration = Duration::from_secs(30);
const LONGEST_WAIT: Duration = Duration::from_secs(15 * 60);

/// The chosen store (see the module's doc).
#[derive(Debug)]
pub(crate) struct ChosenStore {
    /// The Secret Service: credentials when chosen, Latchkey's state items always.
    service: Arc<dyn SecretStore>,
    /// Where the encrypted file is.
    path: PathBuf,
    /// The sealed `store.json` holding the choice.
    choice_file: SealedFile,
    kind: Mutex<StoreKind>,
    /// The open file; an operation in flight keeps its own reference, so closing drops the
    /// key as soon as the last one ends.
    file: Mutex<Option<Arc<EncryptedFileStore>>>,
    /// What the file held when it was last open, listed while it is closed.
    seen: Mutex<Option<Vec<Metadata>>>,
    tries: Mutex<Tries>,
}

#[derive(Debug, Default)]
struct Tries {
    wrong: u32,
    wait_until: Option<Instant>,
}

/// The store credentials are read from now.
enum Current<'a> {
    Service(&'a dyn SecretStore),
    File(Arc<EncryptedFileStore>),
}

impl Current<'_> {
    fn store(&self) -> &dyn SecretStore {
        match self {
            Current::Service(store) => *store,
            Current::File(file) => &**file,
        }
    }
}

impl ChosenStore {
    /// The choice `choice_file` holds (the Secret Service when there is none, or when it is
    /// refused: the person is told through the refused files).
    pub(crate) fn new(
        service: Arc<dyn SecretStore>,
        path: PathBuf,
        choice_file: SealedFile,
    ) -> Self {
        let kind = choice_file
            .load::<StoreKind>()
            .unwrap_or(StoreKind::SecretService);
        Self {
            service,
            path,
            choice_file,
            kind: Mutex::new(kind),
            file: Mutex::new(None),
            seen: Mutex::new(None),
            tries: Mutex::default(),
        }
    }

    fn kind(&self) -> StoreKind {
        *self.kind.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn current(&self) -> Result<Current<'_>, Error> {
        match self.kind() {
            StoreKind::SecretService => Ok(Current::Service(&*self.service)),
            StoreKind::EncryptedFile => {
                let file = self.open_file_now().clone();
                file.map(Current::File).ok_or(Error::StoreClosed)
            }
        }
    }

    /// Opens the file with `passphrase`, counting wrong ones (see [`FREE_TRIES`]).
    async fn open_file(&self, passphrase: &SecretString) -> Result<EncryptedFileStore, Error> {
        if let Some(until) = self.tries().wait_until {
            let left = until.saturating_duration_since(Instant::now());
            if !left.is_zero() {
                return Err(Error::PassphraseTries {
                    wait_seconds: left.as_secs().max(1),
                });
            }
        }
        let opened = EncryptedFileStore::open(&self.path, passphrase).await;
        let mut tries = self.tries();
        match &opened {
            Ok(_) => *tries = Tries::default(),
            Err(Error::WrongPassphrase) => {
                tries.wrong += 1;
                if tries.wrong >= FREE_TRIES {
                    let doublings = (tries.wrong - FREE_TRIES).min(5);
                    let wait = (FIRST_WAIT * 2u32.pow(doublings)).min(LONGEST_WAIT);
                    tries.wait_until = Some(Instant::now() + wait);
                }
                tracing::warn!(
                    wrong = tries.wrong,
                    "wrong passphrase for the encrypted store"
                );
            }
            Err(_) => {}
        }
        opened
    }

    fn open_file_now(&self) -> std::sync::MutexGuard<'_, Option<Arc<EncryptedFileStore>>> {
        self.file.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn tries(&self) -> std::sync::MutexGuard<'_, Tries> {
        self.tries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set_kind(&self, kind: StoreKind) -> Result<(), Error> {
        self.choice_file
            .save(&kind)
            .map_err(|why| Error::Store(format!("cannot save the choice of store: {why}")))?;
        *self.kind.lock().unwrap_or_else(|p| p.into_inner()) = kind;
        Ok(())
    }

    fn remember(&self, listing: Option<Vec<Metadata>>) {
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = listing;
    }

    /// `result` of a write to `current`; after one to the file, what is listed while it is
    /// closed is read again.
    async fn written<T>(
        &self,
        current: &Current<'_>,
        result: Result<T, Error>,
    ) -> Result<T, Error> {
        if let Current::File(file) = current {
            match file.list().await {
                Ok(all) => self.remember(Some(all)),
                Err(e) => tracing::warn!("cannot list the encrypted store after a write: {e}"),
            }
        }
        result
    }

    /// Every credential of `from` with its secret.
    async fn take_all(from: &dyn SecretStore) -> Result<Vec<(Metadata, SecretString)>, Error> {
        let mut all = Vec::new();
        for metadata in from.list().await? {
            let secret = from.get(&metadata.id).await?;
            all.push((metadata, secret));
        }
        Ok(all)
    }

    /// Whether `store` holds each of `moved` with the same secret.
    async fn holds(
        store: &dyn SecretStore,
        moved: &[(Metadata, SecretString)],
    ) -> Result<(), Error> {
        for (metadata, secret) in moved {
            if store.get(&metadata.id).await?.expose() != secret.expose() {
                return Err(Error::Store(format!(
                    "credential {} did not read back as written; nothing was deleted",
                    metadata.id
                )));
            }
        }
        Ok(())
    }

    /// Secret Service → file: written, read back from a fresh open of the file, the choice
    /// saved, and only then deleted from the Secret Service.
    async fn move_to_file(&self, passphrase: &SecretString) -> Result<usize, Error> {
        let moved = Self::take_all(&*self.service).await?;
        let written = async {
            let file = EncryptedFileStore::create(&self.path, passphrase).await?;
            for (metadata, secret) in &moved {
                file.import(metadata, secret).await?;
            }
            drop(file);
            let reread = EncryptedFileStore::open(&self.path, passphrase).await?;
            Self::holds(&reread, &moved).await?;
            self.set_kind(StoreKind::EncryptedFile)
        };
        if let Err(e) = written.await {
            // Nothing was deleted: the Secret Service still holds everything; a file made
            // here is not left to be mistaken for the store.
            if self.kind() == StoreKind::SecretService {
                let _ = std::fs::remove_file(&self.path);
            }
            return Err(e);
        }
        self.remember(Some(moved.iter().map(|(m, _)| m.clone()).collect()));
        for (metadata, _) in &moved {
            self.service.delete(&metadata.id).await.map_err(|e| {
                Error::Store(format!(
                    "moved, but credential {} could not be deleted from the Secret Service \
                     (delete it with Seahorse or `secret-tool clear latchkey-id {}`): {e}",
                    metadata.id, metadata.id
                ))
            })?;
        }
        Ok(moved.len())
    }

    /// File → Secret Service: written and read back there, the choice saved, then the file
    /// removed.
    async fn move_to_service(&self, passphrase: &SecretString) -> Result<usize, Error> {
        let file = self.open_file(passphrase).await?;
        let moved = Self::take_all(&file).await?;
        drop(file);
        for (metadata, secret) in &moved {
            self.service.import(metadata, secret).await?;
        }
        Self::holds(&*self.service, &moved).await?;
        self.set_kind(StoreKind::SecretService)?;
        self.close();
        self.remember(None);
        std::fs::remove_file(&self.path).map_err(|e| {
            Error::Store(format!(
                "moved, but {} could not be removed: {e}",
                self.path.display()
            ))
        })?;
        Ok(moved.len())
    }
}

impl StoreChooser for ChosenStore {
    fn status(&self) -> StoreStatus {
        let kind = self.kind();
        StoreStatus {
            store: kind,
            open: match kind {
                StoreKind::SecretService => true,
                StoreKind::EncryptedFile => self.open_file_now().is_some(),
            },
            file: self.path.clone(),
        }
    }

    fn refused(&self) -> Option<RefusedFile> {
        RefusedFile::of(
            Some(&self.choice_file),
            "Credentials are read from the Secret Service until you choose a store again with \
             `latchkey store use`",
        )
    }

    fn open<'a>(&'a self, passphrase: &'a SecretString) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let opened = self.open_file(passphrase).await?;
            let listing = opened.list().await?;
            *self.open_file_now() = Some(Arc::new(opened));
            self.remember(Some(listing));
            Ok(())
        })
    }

    fn close(&self) {
        if self.open_file_now().take().is_some() {
            tracing::info!("closed the encrypted store");
        }
    }

    fn switch<'a>(&'a self, to: StoreKind, passphrase: &'a SecretString) -> StoreFuture<'a, usize> {
        Box::pin(async move {
            if self.kind() == to {
                return Err(Error::Store(format!(
                    "credentials are already kept in the {to} store"
                )));
            }
            match to {
                StoreKind::EncryptedFile => self.move_to_file(passphrase).await,
                StoreKind::SecretService => self.move_to_service(passphrase).await,
            }
        })
    }
}

impl SecretStore for ChosenStore {
    fn list(&self) -> StoreFuture<'_, Vec<Metadata>> {
        Box::pin(async move {
            match self.current().await {
                Ok(current) => {
                    let all = current.store().list().await?;
                    if matches!(current, Current::File(_)) {
                        self.remember(Some(all.clone()));
                    }
                    Ok(all)
                }
                Err(Error::StoreClosed) => self
                    .seen
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone()
                    .ok_or(Error::StoreClosed),
                Err(e) => Err(e),
            }
        })
    }

    fn put(&self, new: NewCredential) -> StoreFuture<'_, Metadata> {
        Box::pin(async move {
            let current = self.current().await?;
            let put = current.store().put(new).await;
            self.written(&current, put).await
        })
    }

    fn import<'a>(
        &'a self,
        metadata: &'a Metadata,
        secret: &'a SecretString,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let current = self.current().await?;
            let imported = current.store().import(metadata, secret).await;
            self.written(&current, imported).await
        })
    }

    fn get<'a>(&'a self, id: &'a CredentialId) -> StoreFuture<'a, SecretString> {
        Box::pin(async move { self.current().await?.store().get(id).await })
    }

    fn rotate<'a>(&'a self, id: &'a CredentialId, place: SecretPlace) -> StoreFuture<'a, Metadata> {
        Box::pin(async move {
            let current = self.current().await?;
            let rotated = current.store().rotate(id, place).await;
            self.written(&current, rotated).await
        })
    }

    fn edit<'a>(
        &'a self,
        id: &'a CredentialId,
        edit: &'a CredentialEdit,
    ) -> StoreFuture<'a, Metadata> {
        Box::pin(async move {
            let current = self.current().await?;
            let edited = current.store().edit(id, edit).await;
            self.written(&current, edited).await
        })
    }

    fn record_use<'a>(
        &'a self,
        id: &'a CredentialId,
        at: DateTime<Utc>,
    ) -> StoreFuture<'a, Metadata> {
        Box::pin(async move {
            let current = self.current().await?;
            let recorded = current.store().record_use(id, at).await;
            self.written(&current, recorded).await
        })
    }

    fn delete<'a>(&'a self, id: &'a CredentialId) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let current = self.current().await?;
            let deleted = current.store().delete(id).await;
            self.written(&current, deleted).await
        })
    }

    fn state<'a>(&'a self, name: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        self.service.state(name)
    }

    fn set_state<'a>(&'a self, name: &'a str, value: &'a [u8]) -> StoreFuture<'a, ()> {
        self.service.set_state(name, value)
    }
}
