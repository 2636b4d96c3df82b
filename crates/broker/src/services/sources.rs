//! Secrets kept in the company's secret manager: fetching the one a reference names
//! (`vault://DOMAIN/MOUNT/PATH#FIELD`) with the secret manager's own credential, for an unlock,
//! `latchkey creds refresh` or `latchkey creds import`. What is fetched is handed back as a
//! [`SecretString`] for the unlock session (or the store, for an import) and never written
//! anywhere else; no error carries it, or the secret manager's token.

use latchkey_hashivault::{Auth, Secret, TransportOptions, VaultClient, VaultError};
use latchkey_vault::{Account, Domain, Kind, Metadata, SecretRef, SecretString};

/// Why a referenced secret could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// No credential of the secret manager's kind has the reference's domain.
    #[error(
        "no HashiCorp Vault credential has domain {0}; add one with `latchkey creds add vault`, \
         or check the domain with `latchkey creds list`"
    )]
    NoCredential(Domain),
    /// The secret manager's domain is locked (refresh uses the unlocked token).
    #[error("{0} is locked — unlock it (or the domain whose secret it keeps) and try again")]
    Locked(Domain),
    /// Vault's own answer: unreachable, denied, not found, field missing, ….
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// A value fetched for a reference, and the version it came from.
#[derive(Debug)]
pub struct Fetched {
    pub value: SecretString,
    pub version: u64,
}

/// Fetches referenced secrets. One client per fetch: unlocks and refreshes are rare, and a
/// token or login is then held no longer than the fetch.
#[derive(Debug, Clone)]
pub struct SecretSources {
    options: TransportOptions,
}

impl Default for SecretSources {
    fn default() -> Self {
        Self {
            options: latchkey_hashivault::default_options(),
        }
    }
}

impl SecretSources {
    /// The credential of `reference`'s secret manager among `all`: the first of its kind in
    /// its domain, as every tool picks a domain's credential.
    pub fn credential_of<'a>(
        all: &'a [Metadata],
        reference: &SecretRef,
    ) -> Result<&'a Metadata, SourceError> {
        all.iter()
            .find(|m| m.domain == *reference.domain() && m.kind == Kind::Vault)
            .ok_or_else(|| SourceError::NoCredential(reference.domain().clone()))
    }

    /// The value `reference` names, read with `vault` (a Vault credential) and its `secret`
    /// (the token, or the AppRole secret id).
    pub async fn fetch(
        &self,
        reference: &SecretRef,
        vault: &Metadata,
        secret: &SecretString,
    ) -> Result<Fetched, SourceError> {
        let Account::Vault {
            address,
            namespace,
            role_id,
        } = &vault.account
        else {
            return Err(SourceError::NoCredential(reference.domain().clone()));
        };
        let secret = Secret::new(secret.expose().to_owned());
        let auth = match role_id {
            Some(role_id) => Auth::AppRole {
                role_id: role_id.clone(),
                secret_id: secret,
            },
            None => Auth::Token(secret),
        };
        let client = VaultClient::new(address, namespace.as_deref(), auth, self.options.clone())?;
        let read = client
            .read_kv(reference.mount(), reference.path(), reference.field(), None)
            .await?;
        tracing::info!(%reference, version = read.version, "secret fetched");
        Ok(Fetched {
            value: SecretString::new(read.value.expose().to_owned()),
            version: read.version,
        })
    }
}
