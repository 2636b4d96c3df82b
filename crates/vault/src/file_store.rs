//! Linux: credentials in an encrypted file of Latchkey's own, opened with a passphrase the
//! person types (issue #12 item 9): other programs of the user cannot read them through the
//! Secret Service, and opening the store is a secret-plus-presence step.
//!
//! The file is oo7's keyring file (GNOME Keyring's format): the key is derived from the
//! passphrase with PBKDF2-SHA256 (100 000 rounds, a random 32-byte salt); each item (label,
//! attributes, secret) is encrypted with AES-128-CBC and authenticated with HMAC-SHA256;
//! attributes are searched by their HMAC, never kept in the clear. oo7 writes it through a
//! 0600 temporary file renamed over the old one. The passphrase and the derived key live only
//! in the opened store (oo7 zeroizes both on drop); they are never written anywhere.
//!
//! Items carry the same attributes as in the Secret Service ([`crate::item_attributes`]). A
//! check item written when the file is made lets a wrong passphrase be told apart from an
//! empty file (oo7 accepts any passphrase for a keyring without items), and its absence
//! marks a file emptied or replaced behind Latchkey's back.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use oo7::file::{Item, LockedKeyring, UnlockedItem, UnlockedKeyring};
use oo7::{ContentType, Secret};
use zeroize::Zeroizing;

use crate::item_attributes::{APPLICATION, attributes_of, metadata_of};
use crate::{
    CredentialEdit, CredentialId, Error, Metadata, NewCredential, SecretPlace, SecretStore,
    SecretString, StoreFuture, admit, admit_edit, payload,
};

/// The fewest characters a new passphrase may have.
pub const MIN_PASSPHRASE_CHARS: usize = 10;
/// The check item's attribute (see the module's doc).
const CHECK: &str = "latchkey-check";

/// The encrypted file store, open: it holds the key until dropped.
#[derive(Debug)]
pub struct EncryptedFileStore {
    keyring: UnlockedKeyring,
    path: PathBuf,
}

impl EncryptedFileStore {
    /// Makes a new store at `path` (its directory is made 0700 when missing) encrypted with
    /// `passphrase`; refuses when a file is already there or the passphrase is too short.
    pub async fn create(path: &Path, passphrase: &SecretString) -> Result<Self, Error> {
        if passphrase.expose().chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(Error::WeakPassphrase {
                min: MIN_PASSPHRASE_CHARS,
            });
        }
        if path.exists() {
            return Err(Error::Store(format!(
                "{} already exists; move it away first (it may be an encrypted store from \
                 before)",
                path.display()
            )));
        }
        // No file yet: oo7 starts a new keyring (fresh salt) that the first write saves.
        let keyring = LockedKeyring::load(path)
            .await
            .map_err(|e| file_error(path, e))?
            .unlock(secret_of(passphrase))
            .await
            .map_err(|e| file_error(path, e))?;
        keyring
            .create_item(
                "Latchkey: passphrase check",
                &[("application", APPLICATION), (CHECK, "1")],
                Secret::with_content_type(ContentType::Text, CHECK),
                true,
            )
            .await
            .map_err(|e| file_error(path, e))?;
        Ok(Self {
            keyring,
            path: path.to_owned(),
        })
    }

    /// Opens the store at `path` with `passphrase`. Every item must decrypt and the check item
    /// must be there: a wrong passphrase is [`Error::WrongPassphrase`], a file changed outside
    /// Latchkey [`Error::StoreFile`]. A file others may read or write is refused.
    pub async fn open(path: &Path, passphrase: &SecretString) -> Result<Self, Error> {
        let mode = match std::fs::metadata(path) {
            Ok(found) => found.permissions().mode(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::StoreFile {
                    path: path.to_owned(),
                    reason: "it is missing".to_owned(),
                });
            }
            Err(e) => return Err(file_error(path, e.into())),
        };
        if mode & 0o077 != 0 {
            return Err(Error::StoreFile {
                path: path.to_owned(),
                reason: format!(
                    "others may read or write it (mode {:o}; it must be 600)",
                    mode & 0o777
                ),
            });
        }
        let keyring = LockedKeyring::load(path)
            .await
            .map_err(|e| file_error(path, e))?
            .unlock(secret_of(passphrase))
            .await
            .map_err(|e| file_error(path, e))?;
        let mut checked = false;
        for item in keyring.items().await.map_err(|e| file_error(path, e))? {
            let item = item.map_err(|_| Error::StoreFile {
                path: path.to_owned(),
                reason: "an item in it does not decrypt: it was changed outside Latchkey"
                    .to_owned(),
            })?;
            checked |= unlocked(&item).attributes().contains_key(CHECK);
        }
        if !checked {
            return Err(Error::StoreFile {
                path: path.to_owned(),
                reason: "its passphrase check is missing: it was emptied or replaced outside \
                         Latchkey"
                    .to_owned(),
            });
        }
        Ok(Self {
            keyring,
            path: path.to_owned(),
        })
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every credential item with its index in the file and its metadata.
    async fn items(&self) -> Result<Vec<(usize, UnlockedItem, Metadata)>, Error> {
        let mut found = Vec::new();
        let items = self.keyring.items().await.map_err(|e| self.error(e))?;
        for (index, item) in items.into_iter().enumerate() {
            let item = match item {
                Ok(Item::Unlocked(item)) => item,
                _ => {
                    return Err(self.error(oo7::file::Error::MacError));
                }
            };
            let attributes = item.attributes();
            if attributes.contains_key(CHECK) || attributes.contains_key("latchkey-state") {
                continue;
            }
            let metadata = metadata_of(attributes)?;
            found.push((index, item, metadata));
        }
        Ok(found)
    }

    async fn metadata(&self) -> Result<Vec<Metadata>, Error> {
        Ok(self.items().await?.into_iter().map(|(_, _, m)| m).collect())
    }

    /// The item with `id`, its index and metadata, or [`Error::NotFound`].
    async fn item(&self, id: &CredentialId) -> Result<(usize, UnlockedItem, Metadata), Error> {
        self.items()
            .await?
            .into_iter()
            .find(|(_, _, m)| &m.id == id)
            .ok_or_else(|| Error::NotFound(id.clone()))
    }

    /// Replaces the item at `index` with `item` carrying `metadata`, and writes the file.
    async fn replace(
        &self,
        index: usize,
        mut item: UnlockedItem,
        metadata: &Metadata,
    ) -> Result<(), Error> {
        item.set_attributes(&attributes_of(metadata)?);
        item.set_label(metadata.store_label());
        self.keyring
            .replace_item_index(index, &item)
            .await
            .map_err(|e| self.error(e))
    }

    /// Adds an item for `metadata` holding `secret`, and writes the file.
    async fn add(&self, metadata: &Metadata, secret: &SecretString) -> Result<(), Error> {
        let bytes = payload::encode(&metadata.account, secret);
        self.keyring
            .create_item(
                &metadata.store_label(),
                &attributes_of(metadata)?,
                Secret::with_content_type(ContentType::Text, &*bytes),
                false,
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    fn error(&self, error: oo7::file::Error) -> Error {
        file_error(&self.path, error)
    }
}

impl SecretStore for EncryptedFileStore {
    fn list(&self) -> StoreFuture<'_, Vec<Metadata>> {
        Box::pin(async move {
            let mut all = self.metadata().await?;
            all.sort_by(|a, b| (&a.domain, &a.label).cmp(&(&b.domain, &b.label)));
            Ok(all)
        })
    }

    fn put(&self, new: NewCredential) -> StoreFuture<'_, Metadata> {
        Box::pin(async move {
            let (metadata, secret) = admit(new, &self.metadata().await?)?;
            self.add(&metadata, &secret).await?;
            Ok(metadata)
        })
    }

    fn import<'a>(
        &'a self,
        metadata: &'a Metadata,
        secret: &'a SecretString,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            if self.metadata().await?.iter().any(|m| m.id == metadata.id) {
                return Err(Error::Store(format!(
                    "credential {} is already in {}",
                    metadata.id,
                    self.path.display()
                )));
            }
            self.add(metadata, secret).await
        })
    }

    fn get<'a>(&'a self, id: &'a CredentialId) -> StoreFuture<'a, SecretString> {
        Box::pin(async move {
            let (_, item, metadata) = self.item(id).await?;
            payload::decode(&metadata.account, id.as_str(), item.secret().as_bytes())
        })
    }

    fn rotate<'a>(&'a self, id: &'a CredentialId, place: SecretPlace) -> StoreFuture<'a, Metadata> {
        Box::pin(async move {
            let (index, mut item, current) = self.item(id).await?;
            let (metadata, secret) = place.applied_to(&current)?;
            let bytes = payload::encode(&metadata.account, &secret);
            item.set_secret(Secret::with_content_type(ContentType::Text, &*bytes));
            self.replace(index, item, &metadata).await?;
            Ok(metadata)
        })
    }

    fn edit<'a>(
        &'a self,
        id: &'a CredentialId,
        edit: &'a CredentialEdit,
    ) -> StoreFuture<'a, Metadata> {
        Box::pin(async move {
            let existing = self.metadata().await?;
            let (index, item, current) = self.item(id).await?;
            let metadata = admit_edit(&current, edit, &existing)?;
            self.replace(index, item, &metadata).await?;
            Ok(metadata)
        })
    }

    fn record_use<'a>(
        &'a self,
        id: &'a CredentialId,
        at: DateTime<Utc>,
    ) -> StoreFuture<'a, Metadata> {
        Box::pin(async move {
            let (index, item, mut metadata) = self.item(id).await?;
            metadata.last_used = Some(at);
            self.replace(index, item, &metadata).await?;
            Ok(metadata)
        })
    }

    fn delete<'a>(&'a self, id: &'a CredentialId) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let (index, _, _) = self.item(id).await?;
            self.keyring
                .delete_item_index(index)
                .await
                .map_err(|e| self.error(e))
        })
    }

    fn state<'a>(&'a self, name: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let found = self
                .keyring
                .lookup_item(&[("application", APPLICATION), ("latchkey-state", name)])
                .await
                .map_err(|e| self.error(e))?;
            Ok(found.map(|item| unlocked(&item).secret().as_bytes().to_vec()))
        })
    }

    fn set_state<'a>(&'a self, name: &'a str, value: &'a [u8]) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.keyring
                .create_item(
                    &format!("Latchkey: {name}"),
                    &[("application", APPLICATION), ("latchkey-state", name)],
                    Secret::with_content_type(ContentType::Text, value),
                    true,
                )
                .await
                .map_err(|e| self.error(e))?;
            Ok(())
        })
    }
}

/// The passphrase as oo7 takes it (a copy oo7 zeroizes on drop).
fn secret_of(passphrase: &SecretString) -> Secret {
    Secret::from(Zeroizing::new(passphrase.expose().as_bytes().to_vec()))
}

/// An item read from an opened keyring (oo7 gives only unlocked ones there).
fn unlocked(item: &Item) -> &UnlockedItem {
    match item {
        Item::Unlocked(item) => item,
        Item::Locked(_) => unreachable!("an opened keyring's items are decrypted"),
    }
}

/// The one mapping from oo7's file errors to [`Error`]; none carries the passphrase or a
/// secret (oo7's errors name formats, sizes and paths).
fn file_error(path: &Path, error: oo7::file::Error) -> Error {
    use oo7::file::Error as E;
    let changed = |what: &str| Error::StoreFile {
        path: path.to_owned(),
        reason: format!("{what}: it was changed outside Latchkey"),
    };
    match error {
        E::IncorrectSecret => Error::WrongPassphrase,
        E::MacError | E::HashedAttributeMac(_) | E::ChecksumMismatch => {
            changed("an item in it does not authenticate")
        }
        E::PartiallyCorruptedKeyring { .. } => changed("items in it do not decrypt"),
        E::FileHeaderMismatch(_)
        | E::VersionMismatch(_)
        | E::NoData
        | E::GVariantDeserialization(_)
        | E::SaltSizeMismatch(..)
        | E::Utf8(_) => changed("it is not a keyring file Latchkey wrote"),
        E::WeakKey(weak) => changed(&format!("its key parameters are too weak ({weak})")),
        E::TargetFileChanged(_) => Error::StoreFile {
            path: path.to_owned(),
            reason: "it was replaced while Latchkey had it open; unlock again".to_owned(),
        },
        E::Io(e) => Error::StoreFile {
            path: path.to_owned(),
            reason: format!("it cannot be read or written: {e}"),
        },
        other => Error::Store(other.to_string()),
    }
}
