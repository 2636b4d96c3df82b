//! This platform's secret store and headless presence check, chosen in one place.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use latchkey_vault::{
    CredentialId, Error, Metadata, NewCredential, Presence, SecretStore, SecretString, StoreFuture,
};
use tokio::sync::OnceCell;

/// The OS secret store, connected on first use. A store that is not there yet (no keyring
/// daemon running) is retried on the next call instead of failing the broker's start.
#[derive(Debug, Default)]
pub struct PlatformStore {
    store: OnceCell<Box<dyn SecretStore>>,
}

impl PlatformStore {
    pub fn new() -> Self {
        Self::default()
    }

    async fn store(&self) -> Result<&dyn SecretStore, Error> {
        self.store.get_or_try_init(connect).await.map(|s| &**s)
    }
}

#[cfg(target_os = "linux")]
async fn connect() -> Result<Box<dyn SecretStore>, Error> {
    Ok(Box::new(
        latchkey_vault::SecretServiceStore::connect().await?,
    ))
}

#[cfg(target_os = "macos")]
async fn connect() -> Result<Box<dyn SecretStore>, Error> {
    Ok(Box::new(latchkey_vault::KeychainStore::new()?))
}

impl SecretStore for PlatformStore {
    fn list(&self) -> StoreFuture<'_, Vec<Metadata>> {
        Box::pin(async move { self.store().await?.list().await })
    }

    fn put(&self, new: NewCredential) -> StoreFuture<'_, Metadata> {
        Box::pin(async move { self.store().await?.put(new).await })
    }

    fn get<'a>(&'a self, id: &'a CredentialId) -> StoreFuture<'a, SecretString> {
        Box::pin(async move { self.store().await?.get(id).await })
    }

    fn rotate<'a>(
        &'a self,
        id: &'a CredentialId,
        secret: SecretString,
    ) -> StoreFuture<'a, Metadata> {
        Box::pin(async move { self.store().await?.rotate(id, secret).await })
    }

    fn set_label<'a>(&'a self, id: &'a CredentialId, label: &'a str) -> StoreFuture<'a, Metadata> {
        Box::pin(async move { self.store().await?.set_label(id, label).await })
    }

    fn record_use<'a>(
        &'a self,
        id: &'a CredentialId,
        at: DateTime<Utc>,
    ) -> StoreFuture<'a, Metadata> {
        Box::pin(async move { self.store().await?.record_use(id, at).await })
    }

    fn delete<'a>(&'a self, id: &'a CredentialId) -> StoreFuture<'a, ()> {
        Box::pin(async move { self.store().await?.delete(id).await })
    }
}

/// The presence check a broker without the app uses (`latchkey serve`): Touch ID on macOS;
/// on Linux nothing yet, so unlocking from a headless broker is refused with what to do.
/// Test builds answer from their script when `LATCHKEY_SCRIPTED_PRESENCE` is set.
pub fn headless_presence() -> Arc<dyn Presence> {
    if let Some(scripted) = latchkey_vault::scripted_presence() {
        return scripted;
    }
    platform_presence()
}

#[cfg(target_os = "macos")]
fn platform_presence() -> Arc<dyn Presence> {
    Arc::new(latchkey_vault::MacPresence::new())
}

#[cfg(target_os = "linux")]
fn platform_presence() -> Arc<dyn Presence> {
    Arc::new(latchkey_vault::NoPresence::new(
        "a headless broker on Linux cannot confirm that you are present; quit `latchkey serve` \
         and start the Latchkey app, which asks in its window",
    ))
}
