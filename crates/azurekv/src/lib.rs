//! An Azure Key Vault client for Latchkey's secret references
//! (`azure-kv://DOMAIN/NAME[/VERSION]`), over Microsoft's official crates
//! (`azure_security_keyvault_secrets`, `azure_identity`'s `ClientSecretCredential`) with their
//! default features off and Latchkey's own reqwest client (rustls) as their transport.
//!
//! It reads one secret (its latest version or one version) as a service principal signed in
//! with its client secret; the vault's sign-in challenge says where the token is for, and the
//! SDK checks that the vault's host lies under it.
//!
//! What it must never do: put a client secret, a token or a secret's value in an error, a log
//! line or a `Debug` string (they are [`Secret`]s, and what is read is wiped); read anything
//! from the environment or an Azure CLI login (the credential's fields are all it uses).

mod client;
mod error;

pub use client::{AzureSecret, KeyVault, Principal};
pub use error::AzureError;
pub use latchkey_http::Secret;
