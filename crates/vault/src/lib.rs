//! Latchkey's credentials and the platform seams that keep them.
//!
//! - [`model`]: what a credential is (kind, account, domain, metadata) and its validation;
//! - [`SecretString`]: the only type that carries a secret, on locked pages, wiped on drop,
//!   never printed; [`hardening::harden_process`] keeps the process out of core dumps;
//! - [`SecretStore`]: the OS secret store behind one trait, with [`MemoryStore`] for fault
//!   injection in tests, [`SecretServiceStore`] on Linux and `KeychainStore` on macOS;
//! - [`Presence`]: the check that a human agrees (Touch ID via `MacPresence`; on Linux the
//!   password through polkit, `PolkitPresence`, else the app's confirmation dialog);
//! - [`Sessions`]: the secrets of unlocked domains, held for a bounded time on the [`Uptime`]
//!   clock (sleep included);
//! - [`watch_lock_events`]: sleep and screen lock, on which unlocked sessions must lock;
//! - [`probe_secret_store`] / [`probe_presence`]: what `latchkey doctor` reports.
//!
//! This crate never logs a secret, and no error or `Debug` output contains one.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use serde::Serialize;

// The macOS backends' decisions (status codes, metadata attribute), tested on every platform.
#[cfg(any(target_os = "macos", test))]
mod apple;
mod display;
#[cfg(target_os = "linux")]
mod file_store;
pub mod hardening;
#[cfg(target_os = "linux")]
mod item_attributes;
#[cfg(target_os = "macos")]
mod keychain;
mod lock_events;
#[cfg(target_os = "macos")]
mod mac_presence;
mod memory;
pub mod model;
pub mod reference;
// The secret bytes both OS stores keep.
#[cfg(any(target_os = "linux", target_os = "macos"))]
mod payload;
#[cfg(target_os = "linux")]
mod polkit;
mod presence;
mod secret;
#[cfg(target_os = "linux")]
mod secret_service;
mod session;
mod uptime;
mod validate;

#[cfg(target_os = "linux")]
#[path = "linux.rs"]
mod platform;
#[cfg(target_os = "macos")]
#[path = "macos.rs"]
mod platform;

pub use display::display_safe;
#[cfg(target_os = "linux")]
pub use file_store::{EncryptedFileStore, MIN_PASSPHRASE_CHARS};
#[cfg(target_os = "macos")]
pub use keychain::{KeychainBackend, KeychainStore};
#[cfg(target_os = "linux")]
pub use lock_events::watch_lock_events_on;
pub use lock_events::{LockEvent, LockWatch, watch_lock_events};
#[cfg(target_os = "macos")]
pub use mac_presence::MacPresence;
pub use memory::{MemoryStore, StoreOp};
pub use model::{
    Account, CredentialEdit, CredentialId, Domain, Kind, Metadata, NewCredential, SecretPlace,
    TlsPolicy,
};
#[cfg(target_os = "linux")]
pub use polkit::{POLKIT_ACTION, PolkitPresence};
#[cfg(feature = "scripted-presence")]
pub use presence::ScriptedPresence;
pub use presence::{
    NoPresence, Presence, PresenceError, PresenceFuture, PresenceKind, PresenceRequest, Purpose,
    Requester, scripted_presence,
};
pub use reference::{Location, SecretRef};
pub use secret::SecretString;
#[cfg(target_os = "linux")]
pub use secret_service::SecretServiceStore;
pub use session::{SessionState, Sessions, UnlockPolicy};
pub use uptime::Uptime;

/// Everything that can go wrong with a credential. Validation errors name the field (see
/// [`Error::field`]); no message ever contains a secret or what was typed into a field.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A required field is empty (after trimming).
    #[error("{field} is required")]
    Missing {
        /// The field.
        field: &'static str,
    },
    /// A URL uses plain http for a host that is not this machine.
    #[error(
        "{field} must be an https:// URL (http:// is only allowed for localhost and loopback addresses)"
    )]
    NotHttps {
        /// The field.
        field: &'static str,
    },
    /// A URL cannot be used.
    #[error("{field} is not a valid URL: {reason}")]
    BadUrl {
        /// The field.
        field: &'static str,
        /// What is wrong, in words a user can act on.
        reason: &'static str,
    },
    /// A host is neither a valid DNS name nor an IP address.
    #[error("{field} is not a valid host name or IP address")]
    BadHost {
        /// The field.
        field: &'static str,
    },
    /// A field's value cannot be used; the reason says why, without repeating it.
    #[error("{field} is not valid: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong, in words a user can act on.
        reason: &'static str,
    },
    /// A TLS fingerprint is not 64 hex digits.
    #[error("{field} must be a SHA-256 fingerprint: 64 hex digits, colons allowed")]
    BadFingerprint {
        /// The field.
        field: &'static str,
    },
    /// A credential for the same kind, domain and principal already exists.
    #[error("a credential for {domain} ({principal}) already exists: {id}; rotate it instead")]
    Duplicate {
        /// The domain.
        domain: Domain,
        /// Who it acts as, e.g. `client abc`.
        principal: String,
        /// The existing credential.
        id: CredentialId,
    },
    /// A number is outside what is allowed.
    #[error("{field} must be {range}")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// The allowed range, in words.
        range: &'static str,
    },
    /// A field that cannot change on a stored credential.
    #[error("{field} cannot be changed: add a new credential instead")]
    Fixed {
        /// The field.
        field: &'static str,
    },
    /// A tool needs a domain whose credentials are locked.
    #[error("domain {domain} is locked — unlock it from the Latchkey menu")]
    DomainLocked {
        /// The domain.
        domain: Domain,
    },
    /// No credential has this id.
    #[error("no credential with id {0}")]
    NotFound(CredentialId),
    /// The OS store is locked and cannot be unlocked without the user.
    #[error("the secret store is locked; unlock it (e.g. by logging in to the desktop) and retry")]
    Locked,
    /// The OS store cannot be reached.
    #[error("the secret store is not available: {0}")]
    Unavailable(String),
    /// Neither sleep nor screen lock can be watched, so unlocked sessions will not lock on them.
    #[error("cannot watch for sleep or screen lock: {0}")]
    NoLockEvents(String),
    /// The OS store refused or failed a request.
    #[error("the secret store failed: {0}")]
    Store(String),
    /// A stored item's domain is not the one its account names: the domain a person is asked
    /// to unlock would not be where the secret goes. The domain is always derived again from
    /// the account when read; an item whose stored domain disagrees is refused.
    #[error(
        "stored credential {id} names domain {stored} but its account is for {derived}; it \
         is refused (was the secret store edited outside Latchkey?)"
    )]
    DomainMismatch {
        /// The item's id as stored.
        id: String,
        /// The domain the item claims.
        stored: String,
        /// The domain its account's URL or host names.
        derived: String,
    },
    /// The passphrase does not open the encrypted store.
    #[error("wrong passphrase for the encrypted store")]
    WrongPassphrase,
    /// Too many wrong passphrases in a row: no passphrase is tried until the wait is over.
    #[error("too many wrong passphrases: try again in {wait_seconds} s")]
    PassphraseTries {
        /// Seconds until the next try is taken.
        wait_seconds: u64,
    },
    /// A new passphrase is too short to protect the encrypted store.
    #[error("the passphrase must have at least {min} characters")]
    WeakPassphrase {
        /// The fewest characters allowed.
        min: usize,
    },
    /// The encrypted store is closed: its passphrase must be typed to open it.
    #[error(
        "the encrypted store is closed: unlock a domain (on the app's Credentials page, or with \
         `latchkey creds unlock` in a terminal), which asks for its passphrase"
    )]
    StoreClosed,
    /// The encrypted store's file cannot be used as it is.
    #[error("the encrypted store {} cannot be opened: {reason}", path.display())]
    StoreFile {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A stored item is not what Latchkey wrote.
    #[error("stored credential {id} is damaged: {reason}")]
    Corrupt {
        /// The item's id as stored.
        id: String,
        /// What is wrong.
        reason: &'static str,
    },
}

impl Error {
    /// The field a validation error is about (`label`, `url`, `client_id`, `client_secret`,
    /// `username`, `password`, `host`, `tls.sha256`, `address`, `token`), for inline errors.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::Missing { field }
            | Error::NotHttps { field }
            | Error::BadUrl { field, .. }
            | Error::BadHost { field }
            | Error::BadFingerprint { field }
            | Error::Invalid { field, .. }
            | Error::OutOfRange { field, .. }
            | Error::Fixed { field } => Some(field),
            _ => None,
        }
    }
}

/// What a [`SecretStore`] method returns: a boxed future, so the broker can hold whichever
/// store this platform has as `Arc<dyn SecretStore>`.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// An OS secret store holding Latchkey's credentials.
///
/// Async because the stores are IPC: Secret Service is D-Bus (oo7 is async and the broker runs
/// on tokio), and the Keychain can block on a prompt, which belongs off the runtime's threads.
/// The futures are boxed (not `async fn` in the trait) to keep the trait object-safe; one
/// allocation is nothing next to a store round trip (~0.5 ms read, ~2 ms write).
///
/// Callers serialize writes (the broker owns the store): duplicate checks read, then write.
pub trait SecretStore: Send + Sync + fmt::Debug {
    /// Metadata of every credential, sorted by domain then label. Never reads a secret, so it
    /// never prompts.
    fn list(&self) -> StoreFuture<'_, Vec<Metadata>>;

    /// Validates and stores a new credential; refuses a duplicate (same kind, domain and
    /// principal) with [`Error::Duplicate`].
    fn put(&self, new: NewCredential) -> StoreFuture<'_, Metadata>;

    /// The secret of one credential.
    fn get<'a>(&'a self, id: &'a CredentialId) -> StoreFuture<'a, SecretString>;

    /// Replaces a credential's secret (rotation) and records when: a new value kept here, or
    /// a reference it is fetched from instead (the value kept here is then deleted). See
    /// [`SecretPlace`].
    fn rotate<'a>(&'a self, id: &'a CredentialId, place: SecretPlace) -> StoreFuture<'a, Metadata>;

    /// Changes a credential's label and account fields, keeping its id, dates and secret;
    /// refuses a problem with the field's name, another type of account, and a result that
    /// duplicates another credential.
    fn edit<'a>(
        &'a self,
        id: &'a CredentialId,
        edit: &'a CredentialEdit,
    ) -> StoreFuture<'a, Metadata>;

    /// Stores a credential as it is, id and dates included, when it moves here from another
    /// store (`latchkey store use`). Only the Linux stores take them.
    fn import<'a>(
        &'a self,
        metadata: &'a Metadata,
        secret: &'a SecretString,
    ) -> StoreFuture<'a, ()> {
        let _ = (metadata, secret);
        Box::pin(async {
            Err(Error::Store(
                "this secret store cannot take credentials moved from another".to_owned(),
            ))
        })
    }

    /// Records that a credential's secret was used (unlocked) at `at`.
    fn record_use<'a>(
        &'a self,
        id: &'a CredentialId,
        at: DateTime<Utc>,
    ) -> StoreFuture<'a, Metadata>;

    /// Removes a credential and its secret.
    fn delete<'a>(&'a self, id: &'a CredentialId) -> StoreFuture<'a, ()>;

    /// A small piece of Latchkey's own state kept in the store (not a credential, never
    /// listed as one), e.g. the audit chain's anchored head; `None` when never saved.
    /// Reading it never prompts.
    fn state<'a>(&'a self, name: &'a str) -> StoreFuture<'a, Option<Vec<u8>>>;

    /// Replaces the state item `name`.
    fn set_state<'a>(&'a self, name: &'a str, value: &'a [u8]) -> StoreFuture<'a, ()>;
}

/// Validates `new` against what exists; the metadata and secret to store, or why not. The
/// one place both stores apply the rules, so they cannot drift apart.
pub(crate) fn admit(
    new: NewCredential,
    existing: &[Metadata],
) -> Result<(Metadata, SecretString), Error> {
    let (metadata, secret) = new.into_metadata(Utc::now())?;
    if let Some(same) = existing.iter().find(|m| m.same_identity(&metadata)) {
        return Err(Error::Duplicate {
            domain: same.domain.clone(),
            principal: same.account.principal(),
            id: same.id.clone(),
        });
    }
    Ok((metadata, secret))
}

/// `current` with `edit` applied, checked against the other credentials (`existing` may
/// include `current`). The one place every store applies the rules of an edit.
pub(crate) fn admit_edit(
    current: &Metadata,
    edit: &CredentialEdit,
    existing: &[Metadata],
) -> Result<Metadata, Error> {
    let edited = edit.applied_to(current)?;
    if let Some(same) = existing
        .iter()
        .find(|m| m.id != current.id && m.same_identity(&edited))
    {
        return Err(Error::Duplicate {
            domain: same.domain.clone(),
            principal: same.account.principal(),
            id: same.id.clone(),
        });
    }
    Ok(edited)
}

/// The outcome of asking one platform service whether it is there.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Probe {
    /// What the service is, e.g. "macOS Keychain" or "Secret Service (D-Bus session bus)".
    pub name: &'static str,
    /// Whether it answered.
    pub reachable: bool,
    /// What was found, or why it could not be reached, in words a user can act on.
    pub detail: String,
}

/// The OS secret store credentials will live in.
pub async fn probe_secret_store() -> Probe {
    platform::probe_secret_store().await
}

/// The user-presence check that guards unlocking.
pub async fn probe_presence() -> Probe {
    platform::probe_presence().await
}
