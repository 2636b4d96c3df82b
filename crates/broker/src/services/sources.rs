//! Secrets kept in the company's secret manager: fetching the one a reference names
//! (`vault://DOMAIN/MOUNT/PATH#FIELD`, `aws-sm://DOMAIN/SECRET_ID#JSON_KEY`,
//! `azure-kv://DOMAIN/NAME[/VERSION]`) with the secret manager's own credential, for an unlock,
//! `latchkey creds refresh` or `latchkey creds import`. What is fetched is handed back as a
//! [`SecretString`] for the unlock session (or the store, for an import) and never written
//! anywhere else; no error carries it, or the secret manager's token or key.

use latchkey_awssm::{AwsError, Keys, SecretsManager};
use latchkey_azurekv::{AzureError, KeyVault, Principal};
use latchkey_hashivault::{Auth, Secret, TransportOptions, VaultClient, VaultError};
use latchkey_vault::{Account, Domain, Kind, Location, Metadata, SecretRef, SecretString};

/// Why a referenced secret could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// No credential of the secret manager's kind has the reference's domain.
    #[error(
        "no {kind} credential has domain {1}; add one with `latchkey creds add {command}`, or \
         check the domain with `latchkey creds list`",
        kind = .0.display_name(),
        command = .0.as_str()
    )]
    NoCredential(Kind, Domain),
    /// The secret manager's domain is locked (refresh uses the unlocked token).
    #[error("{0} is locked — unlock it (or the domain whose secret it keeps) and try again")]
    Locked(Domain),
    /// Vault's own answer: unreachable, denied, not found, field missing, ….
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// AWS's own answer: unreachable, access denied, not found, binary, key missing, ….
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// Azure's own answer: unreachable, sign-in refused, forbidden, not found, disabled, ….
    #[error(transparent)]
    Azure(#[from] AzureError),
}

/// A value fetched for a reference, and the version it came from.
#[derive(Debug)]
pub struct Fetched {
    pub value: SecretString,
    /// Vault's version number, AWS's VersionId, or Azure's version.
    pub version: String,
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
            .find(|m| m.domain == *reference.domain() && m.kind == reference.kind())
            .ok_or_else(|| SourceError::NoCredential(reference.kind(), reference.domain().clone()))
    }

    /// The value `reference` names, read with `manager` (a Vault, AWS or Azure credential) and
    /// its `secret` (the token, the AppRole secret id, the secret access key, or the client
    /// secret).
    pub async fn fetch(
        &self,
        reference: &SecretRef,
        manager: &Metadata,
        secret: &SecretString,
    ) -> Result<Fetched, SourceError> {
        let secret = Secret::new(secret.expose().to_owned());
        let (value, version) = match (reference.location(), &manager.account) {
            (
                Location::VaultKv { mount, path, field },
                Account::Vault {
                    address,
                    namespace,
                    role_id,
                },
            ) => {
                let auth = match role_id {
                    Some(role_id) => Auth::AppRole {
                        role_id: role_id.clone(),
                        secret_id: secret,
                    },
                    None => Auth::Token(secret),
                };
                let client =
                    VaultClient::new(address, namespace.as_deref(), auth, self.options.clone())?;
                let read = client.read_kv(mount, path, field, None).await?;
                (read.value, read.version.to_string())
            }
            (
                Location::AwsSm { secret_id, key },
                Account::Aws {
                    region,
                    access_key_id,
                    role_arn,
                    endpoint,
                },
            ) => {
                let keys = Keys {
                    access_key_id: access_key_id.clone(),
                    secret_access_key: secret,
                };
                let client =
                    SecretsManager::new(region, endpoint.as_deref(), keys, role_arn.as_deref())?;
                let read = client.read(secret_id, key.as_deref()).await?;
                (read.value, read.version)
            }
            (
                Location::AzureKv { name, version },
                Account::Azure {
                    vault_url,
                    tenant_id,
                    client_id,
                    authority_host,
                },
            ) => {
                let principal = Principal {
                    tenant_id: tenant_id.clone(),
                    client_id: client_id.clone(),
                    client_secret: secret,
                };
                let client = KeyVault::new(vault_url, authority_host.as_deref(), principal)?;
                let read = client.read(name, version.as_deref()).await?;
                (read.value, read.version)
            }
            _ => {
                return Err(SourceError::NoCredential(
                    reference.kind(),
                    reference.domain().clone(),
                ));
            }
        };
        tracing::info!(%reference, %version, "secret fetched");
        Ok(Fetched {
            value: SecretString::new(value.expose().to_owned()),
            version,
        })
    }
}
