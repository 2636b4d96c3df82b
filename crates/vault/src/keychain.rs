//! macOS: credentials as generic-password items in the Keychain, via security-framework.
//!
//! Each item has the service `Latchkey`, the credential id as account, the label
//! `Latchkey: Jamf Pro acme.jamfcloud.com (client abc)`, and the [`Metadata`] as JSON in
//! `kSecAttrGeneric`, an attribute that is read without the secret, so listing never prompts.
//! The secret is the payload of [`crate::payload`]. Rotation deletes the item and adds it
//! again. Never logs a secret; errors go through [`store_error`].
//!
//! Where the items live ([`KeychainBackend`]) is decided once, when the store opens: the
//! data-protection keychain, each item readable only after user presence, when Latchkey is
//! signed with a keychain-access-groups entitlement; otherwise (`errSecMissingEntitlement`)
//! the legacy login keychain, where the broker's presence check before every unlock is the
//! only gate. Latchkey's own state items (the audit anchor, the key that seals the settings)
//! live in the same keychain. Type-checked on Linux by check-macos; not yet run on a Mac.

mod items;

use chrono::{DateTime, Utc};
use security_framework::base::Error as OsError;

use crate::apple::{keychain_error, metadata_attribute, metadata_of, status};
use crate::mac_presence::{Handoff, SharedContext};
use crate::{
    CredentialEdit, CredentialId, Error, MacPresence, Metadata, NewCredential, SecretPlace,
    SecretStore, SecretString, StoreFuture, admit, admit_edit, payload,
};

/// Which keychain holds Latchkey's items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeychainBackend {
    /// The data-protection keychain: items readable only on this Mac, while it is unlocked,
    /// after Touch ID or the account password. Needs a signed app with a
    /// keychain-access-groups entitlement.
    DataProtection,
    /// The file-based login keychain (unsigned builds, `cargo run`): no per-item presence
    /// check, so the broker's presence check before every unlock is the protection.
    Legacy,
}

impl KeychainBackend {
    /// How the backend is described to the user (`latchkey doctor`).
    pub fn description(self) -> &'static str {
        match self {
            KeychainBackend::DataProtection => {
                "data-protection keychain (each secret needs Touch ID or your password; the \
                 audit anchor and the key sealing the settings can be written by Latchkey only)"
            }
            KeychainBackend::Legacy => {
                "login keychain (no keychain-access-groups entitlement; Latchkey's own presence \
                 check guards every unlock, and any process of yours can replace the audit \
                 anchor and the key sealing the settings)"
            }
        }
    }
}

/// The macOS Keychain. Its calls can wait on a prompt, so they run on tokio's blocking pool:
/// use it from within a tokio runtime (the broker's).
#[derive(Debug)]
pub struct KeychainStore {
    backend: KeychainBackend,
    /// Where a [`MacPresence`] leaves the context of a check that just passed.
    passed: Option<Handoff>,
}

impl KeychainStore {
    /// Opens the Keychain: the data-protection keychain when this process may use it, else
    /// the login keychain. Blocks for one Keychain query that never prompts; fails (and may be
    /// retried) when that query fails for another reason, e.g. [`Error::Locked`].
    pub fn new() -> Result<Self, Error> {
        let backend = match items::probe_data_protection() {
            Ok(()) => KeychainBackend::DataProtection,
            Err(e) if e.code() == status::MISSING_ENTITLEMENT => KeychainBackend::Legacy,
            Err(e) => return Err(store_error(e, None)),
        };
        Ok(Self {
            backend,
            passed: None,
        })
    }

    /// Reuses `presence`'s checks: a secret read (or metadata update) within a few seconds of
    /// a passed check uses that check's LAContext, so the data-protection keychain does not
    /// prompt a second time. Without this, every such read shows the Keychain's own prompt
    /// after the broker's. No effect on the login keychain, which does not prompt.
    pub fn reusing(mut self, presence: &MacPresence) -> Self {
        self.passed = Some(presence.handoff());
        self
    }

    /// Which keychain this store uses.
    pub fn backend(&self) -> KeychainBackend {
        self.backend
    }

    /// The context of a check that passed moments ago, when the items need one.
    fn context(&self) -> Option<SharedContext> {
        match self.backend {
            KeychainBackend::DataProtection => self.passed.as_ref()?.fresh(),
            KeychainBackend::Legacy => None,
        }
    }

    /// Every Latchkey item's metadata.
    async fn all(&self) -> Result<Vec<Metadata>, Error> {
        let backend = self.backend;
        let found =
            blocking(move || items::list(backend).map_err(|e| store_error(e, None))).await?;
        found
            .iter()
            .map(|item| metadata_of(&item.account, item.generic.as_deref()))
            .collect()
    }

    /// The metadata of the item for `id`, or [`Error::NotFound`].
    async fn metadata(&self, id: &CredentialId) -> Result<Metadata, Error> {
        let (backend, id) = (self.backend, id.clone());
        blocking(move || {
            let item = items::find(backend, id.as_str()).map_err(|e| store_error(e, Some(&id)))?;
            metadata_of(&item.account, item.generic.as_deref())
        })
        .await
    }

    /// Rewrites the label and metadata attribute of `metadata`'s item.
    async fn update(&self, metadata: &Metadata) -> Result<(), Error> {
        let (backend, context) = (self.backend, self.context());
        let (id, label) = (metadata.id.clone(), metadata.store_label());
        let generic = metadata_attribute(metadata)?;
        blocking(move || {
            let fields = items::Fields {
                account: id.as_str(),
                label: &label,
                generic: &generic,
            };
            items::update(backend, &fields, context.as_ref().map(|c| &c.0))
                .map_err(|e| store_error(e, Some(&id)))
        })
        .await
    }

    /// Adds `metadata`'s item holding `secret`.
    async fn add(&self, metadata: &Metadata, secret: &SecretString) -> Result<(), Error> {
        let backend = self.backend;
        let (id, label) = (metadata.id.clone(), metadata.store_label());
        let generic = metadata_attribute(metadata)?;
        let bytes = payload::encode(&metadata.account, secret);
        blocking(move || {
            let fields = items::Fields {
                account: id.as_str(),
                label: &label,
                generic: &generic,
            };
            items::add(backend, &fields, &bytes).map_err(|e| store_error(e, Some(&id)))
        })
        .await
    }

    async fn remove(&self, id: &CredentialId) -> Result<(), Error> {
        let (backend, id) = (self.backend, id.clone());
        blocking(move || items::delete(backend, id.as_str()).map_err(|e| store_error(e, Some(&id))))
            .await
    }
}

impl SecretStore for KeychainStore {
    fn list(&self) -> StoreFuture<'_, Vec<Metadata>> {
        Box::pin(async move {
            let mut all = self.all().await?;
            all.sort_by(|a, b| (&a.domain, &a.label).cmp(&(&b.domain, &b.label)));
            Ok(all)
        })
    }

    fn put(&self, new: NewCredential) -> StoreFuture<'_, Metadata> {
        Box::pin(async move {
            let existing = self.all().await?;
            let (metadata, secret) = admit(new, &existing)?;
            self.add(&metadata, &secret).await?;
            Ok(metadata)
        })
    }

    fn get<'a>(&'a self, id: &'a CredentialId) -> StoreFuture<'a, SecretString> {
        Box::pin(async move {
            let metadata = self.metadata(id).await?;
            let (backend, context, owned) = (self.backend, self.context(), id.clone());
            let bytes = blocking(move || {
                items::read_secret(backend, owned.as_str(), context.as_ref().map(|c| &c.0))
                    .map_err(|e| store_error(e, Some(&owned)))
            })
            .await?;
            payload::decode(&metadata.account, id.as_str(), &bytes)
        })
    }

    fn rotate<'a>(&'a self, id: &'a CredentialId, place: SecretPlace) -> StoreFuture<'a, Metadata> {
        Box::pin(async move {
            let (metadata, secret) = place.applied_to(&self.metadata(id).await?)?;
            // Delete + add: a presence-protected item's secret cannot be replaced in place
            // without a prompt, while deleting and adding need none.
            self.remove(id).await?;
            self.add(&metadata, &secret).await.map_err(|e| {
                Error::Store(format!(
                    "the old secret of {id} was removed but the new one could not be stored \
                     ({e}); add the credential again"
                ))
            })?;
            Ok(metadata)
        })
    }

    fn edit<'a>(
        &'a self,
        id: &'a CredentialId,
        edit: &'a CredentialEdit,
    ) -> StoreFuture<'a, Metadata> {
        Box::pin(async move {
            let existing = self.list().await?;
            let metadata = admit_edit(&self.metadata(id).await?, edit, &existing)?;
            self.update(&metadata).await?;
            Ok(metadata)
        })
    }

    fn record_use<'a>(
        &'a self,
        id: &'a CredentialId,
        at: DateTime<Utc>,
    ) -> StoreFuture<'a, Metadata> {
        Box::pin(async move {
            let mut metadata = self.metadata(id).await?;
            metadata.last_used = Some(at);
            self.update(&metadata).await?;
            Ok(metadata)
        })
    }

    fn delete<'a>(&'a self, id: &'a CredentialId) -> StoreFuture<'a, ()> {
        Box::pin(async move { self.remove(id).await })
    }

    // State items (service `Latchkey State`) live in the same keychain as the credentials,
    // without a user-presence constraint, so reading one never prompts. On the data-protection
    // keychain only Latchkey's signed app can write them; on the login keychain (unsigned
    // builds) any process of the user can.
    fn state<'a>(&'a self, name: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        let (backend, name) = (self.backend, name.to_owned());
        Box::pin(blocking(move || {
            items::read_state(backend, &name).map_err(|e| store_error(e, None))
        }))
    }

    fn set_state<'a>(&'a self, name: &'a str, value: &'a [u8]) -> StoreFuture<'a, ()> {
        let (backend, name, value) = (self.backend, name.to_owned(), value.to_vec());
        Box::pin(blocking(move || {
            items::write_state(backend, &name, &value).map_err(|e| store_error(e, None))
        }))
    }
}

/// Runs a blocking Keychain call (which may wait for a prompt) on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(call)
        .await
        .map_err(|_| Error::Store("a Keychain call stopped unexpectedly".to_owned()))?
}

/// The one mapping from a Keychain error to [`Error`], with Apple's message for the status
/// (which names the status, never an item's data).
fn store_error(error: OsError, id: Option<&CredentialId>) -> Error {
    keychain_error(error.code(), error.message().as_deref(), id)
}
