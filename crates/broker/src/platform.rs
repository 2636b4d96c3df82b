//! This platform's secret store and presence check, chosen in one place.

use std::sync::Arc;

use crate::{
    Assistants, Audit, ConfigSeal, CredentialService, SealedFile, Services, SofaService,
    StatePaths, anchored_options,
};
use chrono::{DateTime, Utc};
use latchkey_vault::{
    CredentialEdit, CredentialId, Error, Metadata, NewCredential, Presence, SecretPlace,
    SecretStore, SecretString, StoreFuture,
};
use tokio::sync::OnceCell;

/// What a broker on this platform serves. Presence (for unlocks and for letting assistants
/// in) is the test script's in test builds with `LATCHKEY_SCRIPTED_PRESENCE` set; else Touch
/// ID on macOS; else, on Linux, the person's password through polkit when an authentication
/// agent answers, then `dialog` (the app's confirmation) when given, then nothing: a headless
/// Linux broker with no agent refuses to unlock or admit a new assistant and says why. The unlock policy,
/// the allow-list and the audit log are kept in the settings directory; the audit chain's
/// head is anchored in the secret store, which also keeps the key that seals the policy and
/// the allow-list (a file that does not verify is refused; `Broker::serve` puts that on the
/// audit log once it holds the one-broker lock).
/// Must be called inside a multi-threaded tokio runtime.
pub async fn platform_services(
    paths: &StatePaths,
    sofa: Arc<SofaService>,
    dialog: Option<Arc<dyn Presence>>,
) -> Services {
    #[cfg(target_os = "macos")]
    let (store, platform) = {
        // One LocalAuthentication context serves the check and the Keychain read after it.
        let touch_id = latchkey_vault::MacPresence::new();
        let store = PlatformStore {
            store: OnceCell::new(),
            failed: Default::default(),
            reuse: touch_id.clone(),
        };
        let _ = dialog;
        (store, Arc::new(touch_id) as Arc<dyn Presence>)
    };
    #[cfg(target_os = "linux")]
    let (store, platform) = {
        let none = || -> Arc<dyn Presence> {
            Arc::new(latchkey_vault::NoPresence::new(
                "a headless broker can only ask through polkit: run `latchkey` in a terminal \
                 (it starts polkit's text agent there; for an assistant, `latchkey assistants \
                 allow NAME`), or quit `latchkey serve` and start the Latchkey app, which asks \
                 in its window",
            ))
        };
        let store = PlatformStore {
            store: OnceCell::new(),
            failed: Default::default(),
        };
        let fallback = dialog.unwrap_or_else(none);
        let polkit: Arc<dyn Presence> = Arc::new(latchkey_vault::PolkitPresence::new(fallback));
        (store, polkit)
    };
    let scripted = latchkey_vault::scripted_presence();
    let test_build = scripted.is_some();
    let presence = scripted.unwrap_or(platform);
    // Latchkey's state items (the audit anchor, the seal key) are in the OS store whichever
    // store keeps the credentials.
    let state_store: Arc<dyn SecretStore> = Arc::new(store);
    let audit = Audit::open(
        &paths.audit_file(),
        anchored_options(
            Arc::clone(&state_store),
            tokio::runtime::Handle::current(),
            &paths.audit_file(),
        ),
    );
    let seal = ConfigSeal::open(&*state_store, paths.config_dir()).await;
    let sealed = |path| SealedFile::new(Arc::clone(&seal), path);
    #[cfg(not(target_os = "linux"))]
    let credentials = CredentialService::new(state_store, Arc::clone(&presence));
    // Linux: the credentials in the store the person chose (`latchkey store use`).
    #[cfg(target_os = "linux")]
    let credentials = {
        let chosen = Arc::new(crate::chosen_store::ChosenStore::new(
            state_store,
            paths.encrypted_store_file(),
            sealed(paths.store_choice_file()),
        ));
        CredentialService::new(
            Arc::clone(&chosen) as Arc<dyn SecretStore>,
            Arc::clone(&presence),
        )
        .with_chooser(chosen)
    };
    let services = Services::new(
        sofa,
        Arc::new(credentials),
        Arc::new(Assistants::new(
            presence,
            Some(sealed(paths.assistants_file())),
        )),
        Arc::new(audit),
    );
    services.loopback.keep_in(sealed(paths.http_file()));
    let services = services.with_settings_file(sealed(paths.settings_file()));
    // Only a test build driven by the scripted presence check (never a shipped one) may lift
    // the call rate: `make bench` measures the broker, not the limit.
    if test_build && std::env::var("LATCHKEY_CALL_RATE").as_deref() == Ok("unlimited") {
        services.pipeline.limit_calls(None);
    }
    services
}

/// This platform's secret store on its own (connected on first use), for tools that read
/// Latchkey's state without running a broker (`latchkey audit verify` reads the anchor).
pub fn platform_store() -> Arc<dyn SecretStore> {
    Arc::new(PlatformStore {
        store: OnceCell::new(),
        failed: Default::default(),
        #[cfg(target_os = "macos")]
        reuse: latchkey_vault::MacPresence::new(),
    })
}

/// How long a failed connection to the secret store is remembered.
const RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

/// The OS secret store, connected on first use. A store that is not there yet (no keyring
/// daemon running) is retried on the next call instead of failing the broker's start.
#[derive(Debug)]
struct PlatformStore {
    store: OnceCell<Box<dyn SecretStore>>,
    /// When connecting last failed, and why.
    failed: std::sync::Mutex<Option<(std::time::Instant, String)>>,
    #[cfg(target_os = "macos")]
    reuse: latchkey_vault::MacPresence,
}

impl PlatformStore {
    async fn store(&self) -> Result<&dyn SecretStore, Error> {
        if let Some(store) = self.store.get() {
            return Ok(&**store);
        }
        // A store that just failed is not asked again for a few seconds: every status call
        // would otherwise pay for a failed connection.
        if let Some((at, why)) = &*self.failed.lock().unwrap_or_else(|p| p.into_inner())
            && at.elapsed() < RETRY_AFTER
        {
            return Err(Error::Unavailable(why.clone()));
        }
        match self.store.get_or_try_init(|| self.connect()).await {
            Ok(store) => Ok(&**store),
            Err(e) => {
                let why = match &e {
                    Error::Unavailable(why) => why.clone(),
                    other => other.to_string(),
                };
                *self.failed.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some((std::time::Instant::now(), why));
                Err(e)
            }
        }
    }

    #[cfg(target_os = "linux")]
    async fn connect(&self) -> Result<Box<dyn SecretStore>, Error> {
        Ok(Box::new(
            latchkey_vault::SecretServiceStore::connect().await?,
        ))
    }

    #[cfg(target_os = "macos")]
    async fn connect(&self) -> Result<Box<dyn SecretStore>, Error> {
        Ok(Box::new(
            latchkey_vault::KeychainStore::new()?.reusing(&self.reuse),
        ))
    }
}

impl SecretStore for PlatformStore {
    fn list(&self) -> StoreFuture<'_, Vec<Metadata>> {
        Box::pin(async move { self.store().await?.list().await })
    }

    fn put(&self, new: NewCredential) -> StoreFuture<'_, Metadata> {
        Box::pin(async move { self.store().await?.put(new).await })
    }

    fn import<'a>(
        &'a self,
        metadata: &'a Metadata,
        secret: &'a SecretString,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move { self.store().await?.import(metadata, secret).await })
    }

    fn get<'a>(&'a self, id: &'a CredentialId) -> StoreFuture<'a, SecretString> {
        Box::pin(async move { self.store().await?.get(id).await })
    }

    fn rotate<'a>(&'a self, id: &'a CredentialId, place: SecretPlace) -> StoreFuture<'a, Metadata> {
        Box::pin(async move { self.store().await?.rotate(id, place).await })
    }

    fn edit<'a>(
        &'a self,
        id: &'a CredentialId,
        edit: &'a CredentialEdit,
    ) -> StoreFuture<'a, Metadata> {
        Box::pin(async move { self.store().await?.edit(id, edit).await })
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

    fn state<'a>(&'a self, name: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move { self.store().await?.state(name).await })
    }

    fn set_state<'a>(&'a self, name: &'a str, value: &'a [u8]) -> StoreFuture<'a, ()> {
        Box::pin(async move { self.store().await?.set_state(name, value).await })
    }
}
