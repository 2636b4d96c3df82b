//! Which store keeps the credentials, as the person chose it (`latchkey store use`), and what
//! the broker can ask of a store that opens with a passphrase. Only Linux offers a choice: the
//! Secret Service (any program of the user can read it) or Latchkey's encrypted file (see
//! `latchkey_vault::EncryptedFileStore`); macOS keeps the Keychain.

use std::fmt;
use std::path::PathBuf;

use latchkey_vault::{SecretString, StoreFuture};
use serde::{Deserialize, Serialize};

use crate::RefusedFile;

/// Where the credentials are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum StoreKind {
    /// The Secret Service on the session bus (gnome-keyring, KeePassXC, …).
    SecretService,
    /// Latchkey's own file, encrypted with a passphrase the person types at unlock.
    EncryptedFile,
}

impl StoreKind {
    /// As `latchkey store use` names it.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::SecretService => "secret-service",
            StoreKind::EncryptedFile => "encrypted-file",
        }
    }
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What `latchkey store status` and `latchkey doctor` show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StoreStatus {
    pub store: StoreKind,
    /// Whether credentials can be read now (the encrypted file is open only while a domain is
    /// unlocked; the Secret Service always is).
    pub open: bool,
    /// The encrypted file, where it is (or would be).
    pub file: PathBuf,
}

/// A credential store the person may switch, and that may need a passphrase to open.
pub trait StoreChooser: Send + Sync + fmt::Debug {
    /// The store in use and whether it is open.
    fn status(&self) -> StoreStatus;

    /// The sealed file holding the choice, when it was refused at start.
    fn refused(&self) -> Option<RefusedFile>;

    /// Opens the encrypted store with `passphrase` (a fresh read of the file, so a wrong one
    /// is refused even when it is open). Wrong passphrases in a row make the next tries wait.
    fn open<'a>(&'a self, passphrase: &'a SecretString) -> StoreFuture<'a, ()>;

    /// Closes the encrypted store: its key is dropped (and wiped).
    fn close(&self);

    /// Moves every credential into the `to` store and keeps them there from now on; how many
    /// moved. `passphrase` makes the encrypted store, or opens it to move out of it.
    fn switch<'a>(&'a self, to: StoreKind, passphrase: &'a SecretString) -> StoreFuture<'a, usize>;
}
