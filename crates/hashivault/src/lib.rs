//! A HashiCorp Vault (and OpenBao) client for Latchkey, over Vault's documented HTTP API and
//! Latchkey's HTTP core (latchkey-http: rustls, retries, in-flight limit, body cap,
//! same-origin redirects): token auth (`X-Vault-Token`), namespaces (`X-Vault-Namespace`),
//! AppRole login (`auth/approle/login`), the token's own lookup and renewal
//! (`auth/token/lookup-self`, `renew-self`) with its expiry followed, and KV v2 reads of one
//! field of one secret (`MOUNT/data/PATH`, the latest or a given version).
//!
//! What it must never do: put a token, a secret id or a secret's value in an error, a log
//! line or a `Debug` string (values are [`Secret`]s, answers are wiped once read); keep any
//! field of a secret but the one asked for; follow a redirect to another origin.
//!
//! Modules: `client` (construction, requests, statuses), `token` (login, lookup, renewal,
//! expiry), `kv` (KV v2), `error`.

mod client;
mod error;
mod kv;
mod token;

pub use client::{Auth, VaultClient, default_options};
pub use error::VaultError;
pub use kv::KvSecret;
pub use latchkey_http::{Secret, TransportOptions};
pub use token::TokenInfo;
