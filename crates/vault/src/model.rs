//! The credential model: what a credential is for (its kind, account and domain), the
//! metadata that can be listed without touching a secret, and validation of a new credential.
//!
//! Secrets appear here only as [`SecretString`] inside [`NewCredential`]; nothing in this
//! file formats, logs or serializes one.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::reference::{self, SecretRef};
use crate::validate::{self, ServiceUrl};
use crate::{Error, SecretString};

/// Which kind of service a credential is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Jamf Pro.
    Jamf,
    /// VMware vCenter.
    Vcenter,
    /// HashiCorp Vault.
    Vault,
    /// AWS Secrets Manager.
    Aws,
    /// Azure Key Vault.
    Azure,
}

impl Kind {
    /// The stable machine name: the domain prefix and the `latchkey-kind` store attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Jamf => "jamf",
            Kind::Vcenter => "vcenter",
            Kind::Vault => "vault",
            Kind::Aws => "aws",
            Kind::Azure => "azure",
        }
    }

    /// The product name people know.
    pub fn display_name(self) -> &'static str {
        match self {
            Kind::Jamf => "Jamf Pro",
            Kind::Vcenter => "vCenter",
            Kind::Vault => "HashiCorp Vault",
            Kind::Aws => "AWS Secrets Manager",
            Kind::Azure => "Azure Key Vault",
        }
    }
}

/// How a vCenter's TLS certificate is checked. Verification is never silently off: a
/// self-signed vCenter is pinned by its certificate's SHA-256 fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum TlsPolicy {
    /// Verify the certificate chain and host name against the system roots.
    Verify,
    /// Accept exactly the certificate with this SHA-256 fingerprint (hex, colons allowed on
    /// input; stored as 64 lower-case hex digits).
    Pinned {
        /// The fingerprint.
        sha256: String,
    },
}

/// The non-secret half of a credential: where it is used and as whom. The secret half (client
/// secret, password or token) travels separately as a [`SecretString`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Account {
    /// Jamf Pro API client (OAuth client credentials); the secret is the client secret.
    JamfClient {
        /// Jamf Pro base URL, e.g. `https://acme.jamfcloud.com`.
        url: String,
        /// API client id.
        client_id: String,
    },
    /// Jamf Pro user account, for servers without API clients; the secret is the password.
    JamfUser {
        /// Jamf Pro base URL.
        url: String,
        /// User name.
        username: String,
    },
    /// vCenter user; the secret is the password.
    Vcenter {
        /// Host name or IP address, with a port when it is not 443, e.g. `vc01.example.com`
        /// or `vc01.example.com:8443`.
        host: String,
        /// User name, e.g. `administrator@vsphere.local`.
        username: String,
        /// How the certificate is checked.
        tls: TlsPolicy,
    },
    /// HashiCorp Vault; the secret is the token, or with `role_id` the AppRole's secret id.
    Vault {
        /// Vault address, e.g. `https://vault.example.com:8200`.
        address: String,
        /// The Vault Enterprise / OpenBao namespace every request is made in, e.g. `team/a`.
        #[serde(default)]
        namespace: Option<String>,
        /// The AppRole role id to log in with (`auth/approle/login`); absent for a token.
        #[serde(default)]
        role_id: Option<String>,
    },
    /// AWS Secrets Manager; the secret is the secret access key. Its domain is `aws:REGION`,
    /// or with `endpoint` `aws:HOST[:PORT]` of the endpoint (a private endpoint serves one
    /// region).
    Aws {
        /// The region, e.g. `eu-west-1`.
        region: String,
        /// The access key id, e.g. `AKIAIOSFODNN7EXAMPLE`.
        access_key_id: String,
        /// A role to assume with the key (`sts:AssumeRole`) before reading, e.g.
        /// `arn:aws:iam::123456789012:role/latchkey`.
        #[serde(default)]
        role_arn: Option<String>,
        /// An endpoint instead of the region's (a VPC endpoint, or a test server), e.g.
        /// `https://vpce-0abc.secretsmanager.eu-west-1.vpce.amazonaws.com`.
        #[serde(default)]
        endpoint: Option<String>,
    },
    /// Azure Key Vault, read as a service principal (an app registration); the secret is its
    /// client secret. Its domain is `azure:HOST[:PORT]` of the vault URL.
    Azure {
        /// The vault, e.g. `https://contoso.vault.azure.net`.
        vault_url: String,
        /// The directory (tenant) id, a GUID or a domain such as `contoso.onmicrosoft.com`.
        tenant_id: String,
        /// The application (client) id.
        client_id: String,
        /// Where to sign in instead of Azure's public cloud, e.g.
        /// `https://login.microsoftonline.us` (Azure Government).
        #[serde(default)]
        authority_host: Option<String>,
    },
}

impl Account {
    /// The kind of service.
    pub fn kind(&self) -> Kind {
        match self {
            Account::JamfClient { .. } | Account::JamfUser { .. } => Kind::Jamf,
            Account::Vcenter { .. } => Kind::Vcenter,
            Account::Vault { .. } => Kind::Vault,
            Account::Aws { .. } => Kind::Aws,
            Account::Azure { .. } => Kind::Azure,
        }
    }

    /// Who the credential acts as, e.g. `client abc` or `user admin`. Together with kind and
    /// domain it identifies a credential: two with the same triple are duplicates.
    pub fn principal(&self) -> String {
        match self {
            Account::JamfClient { client_id, .. } => format!("client {client_id}"),
            Account::JamfUser { username, .. } | Account::Vcenter { username, .. } => {
                format!("user {username}")
            }
            Account::Vault {
                namespace, role_id, ..
            } => {
                let who = match role_id {
                    Some(role_id) => format!("approle {role_id}"),
                    None => "token".to_owned(),
                };
                match namespace {
                    Some(namespace) => format!("{who} in {namespace}"),
                    None => who,
                }
            }
            Account::Aws {
                access_key_id,
                role_arn,
                ..
            } => match role_arn {
                Some(role_arn) => format!("key {access_key_id} as {role_arn}"),
                None => format!("key {access_key_id}"),
            },
            Account::Azure {
                tenant_id,
                client_id,
                ..
            } => format!("app {client_id} in tenant {tenant_id}"),
        }
    }

    /// Adding a credential for this account, as a presence prompt says it. A pinned
    /// certificate is named by its fingerprint, so the person confirms the very certificate
    /// (this is the first-use check of a self-signed vCenter).
    pub fn add_action(&self, label: &str) -> String {
        format!(
            "add the {} credential \"{}\"{}",
            self.kind().display_name(),
            label.trim(),
            self.trust_clause()
        )
    }

    /// `, trusting only the certificate with SHA-256 AB:CD:…` for a pinned vCenter (in the
    /// form vCenter and browsers show), else nothing.
    pub fn trust_clause(&self) -> String {
        let Account::Vcenter {
            tls: TlsPolicy::Pinned { sha256 },
            ..
        } = self
        else {
            return String::new();
        };
        let digits: Vec<char> = sha256
            .chars()
            .filter(char::is_ascii_hexdigit)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let pairs: Vec<String> = digits.chunks(2).map(|p| p.iter().collect()).collect();
        format!(
            ", trusting only the certificate with SHA-256 {}",
            pairs.join(":")
        )
    }

    /// The name of the secret field, as forms, the CLI and errors call it.
    pub fn secret_field(&self) -> &'static str {
        match self {
            Account::JamfClient { .. } | Account::Azure { .. } => "client_secret",
            Account::JamfUser { .. } | Account::Vcenter { .. } => "password",
            Account::Vault {
                role_id: Some(role_id),
                ..
            } if !role_id.trim().is_empty() => "secret_id",
            Account::Vault { .. } => "token",
            Account::Aws { .. } => "secret_access_key",
        }
    }

    /// Whether this kind of account may take its secret from a secret manager (Jamf and
    /// vCenter; a secret manager's own credential may not).
    pub fn may_reference(&self) -> bool {
        !matches!(self.kind(), Kind::Vault | Kind::Aws | Kind::Azure)
    }

    /// Every field trimmed and normalized, with the domain it names, or every problem found
    /// (in form order, so a form can show each next to its field).
    fn normalized(&self) -> Result<(Account, Domain), Vec<Error>> {
        let mut problems = Vec::new();
        let kind = self.kind();
        let (account, authority) = match self {
            Account::JamfClient { url, client_id } => {
                let url = keep_url(&mut problems, "url", url);
                let client_id = keep(&mut problems, validate::required("client_id", client_id));
                (
                    url.clone()
                        .zip(client_id)
                        .map(|(u, client_id)| Account::JamfClient {
                            url: u.url,
                            client_id,
                        }),
                    url.map(|u| u.authority),
                )
            }
            Account::JamfUser { url, username } => {
                let url = keep_url(&mut problems, "url", url);
                let username = keep(&mut problems, validate::required("username", username));
                (
                    url.clone()
                        .zip(username)
                        .map(|(u, username)| Account::JamfUser {
                            url: u.url,
                            username,
                        }),
                    url.map(|u| u.authority),
                )
            }
            Account::Vcenter {
                host,
                username,
                tls,
            } => {
                let host = keep(&mut problems, validate::host_and_port("host", host));
                let username = keep(&mut problems, validate::required("username", username));
                let tls = match tls {
                    TlsPolicy::Verify => Some(TlsPolicy::Verify),
                    TlsPolicy::Pinned { sha256 } => keep(
                        &mut problems,
                        validate::sha256_fingerprint("tls.sha256", sha256),
                    )
                    .map(|sha256| TlsPolicy::Pinned { sha256 }),
                };
                let account = match (host.clone(), username, tls) {
                    (Some(host), Some(username), Some(tls)) => Some(Account::Vcenter {
                        host,
                        username,
                        tls,
                    }),
                    _ => None,
                };
                (account, host)
            }
            Account::Vault {
                address,
                namespace,
                role_id,
            } => {
                let url = keep_url(&mut problems, "address", address);
                let namespace = keep(&mut problems, validate::namespace("namespace", namespace));
                let role_id = keep(&mut problems, validate::optional("role_id", role_id));
                let account = match (url.clone(), namespace, role_id) {
                    (Some(url), Some(namespace), Some(role_id)) => Some(Account::Vault {
                        address: url.url,
                        namespace,
                        role_id,
                    }),
                    _ => None,
                };
                (account, url.map(|u| u.authority))
            }
            Account::Aws {
                region,
                access_key_id,
                role_arn,
                endpoint,
            } => {
                let region = keep(&mut problems, validate::aws_region("region", region));
                let access_key_id = keep(
                    &mut problems,
                    validate::required("access_key_id", access_key_id),
                );
                let role_arn = keep(&mut problems, validate::arn("role_arn", role_arn));
                let endpoint = match endpoint.as_deref().map(str::trim) {
                    None | Some("") => Some(None),
                    Some(url) => keep_url(&mut problems, "endpoint", url).map(Some),
                };
                let authority = match (&endpoint, &region) {
                    (Some(Some(url)), _) => Some(url.authority.clone()),
                    (Some(None), Some(region)) => Some(region.clone()),
                    _ => None,
                };
                let account = match (region, access_key_id, role_arn, endpoint) {
                    (Some(region), Some(access_key_id), Some(role_arn), Some(endpoint)) => {
                        Some(Account::Aws {
                            region,
                            access_key_id,
                            role_arn,
                            endpoint: endpoint.map(|u| u.url),
                        })
                    }
                    _ => None,
                };
                (account, authority)
            }
            Account::Azure {
                vault_url,
                tenant_id,
                client_id,
                authority_host,
            } => {
                let url = keep(
                    &mut problems,
                    validate::https_origin("vault_url", vault_url),
                );
                let tenant_id = keep(&mut problems, validate::tenant_id("tenant_id", tenant_id));
                let client_id = keep(&mut problems, validate::required("client_id", client_id));
                let authority_host = match authority_host.as_deref().map(str::trim) {
                    None | Some("") => Some(None),
                    Some(url) => keep(&mut problems, validate::https_origin("authority_host", url))
                        .map(|u| Some(u.url)),
                };
                let account = match (url.clone(), tenant_id, client_id, authority_host) {
                    (Some(url), Some(tenant_id), Some(client_id), Some(authority_host)) => {
                        Some(Account::Azure {
                            vault_url: url.url,
                            tenant_id,
                            client_id,
                            authority_host,
                        })
                    }
                    _ => None,
                };
                (account, url.map(|u| u.authority))
            }
        };
        match (account, authority) {
            (Some(account), Some(authority)) if problems.is_empty() => {
                Ok((account, Domain(format!("{}:{authority}", kind.as_str()))))
            }
            _ => Err(problems),
        }
    }
}

/// The value, or `None` with the error recorded, so validation goes on to the next field.
fn keep<T>(problems: &mut Vec<Error>, result: Result<T, Error>) -> Option<T> {
    result.map_err(|e| problems.push(e)).ok()
}

fn keep_url(problems: &mut Vec<Error>, field: &'static str, value: &str) -> Option<ServiceUrl> {
    keep(problems, validate::service_url(field, value))
}

/// A service instance credentials are unlocked for, e.g. `jamf:acme.jamfcloud.com`,
/// `vcenter:vc01.example.com`, `vault:vault.example.com:8200`: the kind, then the host and,
/// when it is not the default, the port. AWS's is `aws:REGION` (e.g. `aws:eu-west-1`), or
/// `aws:HOST[:PORT]` of its endpoint when it has one; Azure's `azure:HOST[:PORT]` of its vault
/// (e.g. `azure:contoso.vault.azure.net`).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(transparent)]
pub struct Domain(String);

impl Domain {
    /// The domain as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after the kind prefix: host and optional port.
    pub fn authority(&self) -> &str {
        self.0.split_once(':').map_or(&self.0, |(_, rest)| rest)
    }
}

impl From<&str> for Domain {
    /// A domain as a user typed it (e.g. `latchkey creds unlock jamf:acme.jamfcloud.com`);
    /// one that names no credential is reported as unknown by whoever looks it up.
    fn from(value: &str) -> Self {
        Self(value.trim().to_ascii_lowercase())
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A credential's identifier: 16 random hex digits, stable for the credential's life
/// (rotation keeps it). Not a secret.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(transparent)]
pub struct CredentialId(String);

impl CredentialId {
    /// A fresh id. `RandomState` is seeded from the OS's randomness, which is enough for an
    /// identifier (it is not a secret) without another dependency.
    pub(crate) fn generate() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        hasher.write_u128(now.as_nanos());
        Self(format!("{:016x}", hasher.finish()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for CredentialId {
    /// An id as a user typed it (e.g. `latchkey creds rm ID`); unknown ids are reported by the
    /// store as [`Error::NotFound`].
    fn from(value: &str) -> Self {
        Self(value.trim().to_owned())
    }
}

impl fmt::Display for CredentialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What can be known about a credential without touching its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Metadata {
    /// Identifier.
    pub id: CredentialId,
    /// Kind of service.
    pub kind: Kind,
    /// The user's name for it, e.g. "Acme production".
    pub label: String,
    /// The service instance it unlocks.
    pub domain: Domain,
    /// Where and as whom (normalized).
    pub account: Account,
    /// When it was added.
    pub created: DateTime<Utc>,
    /// When its secret was last set (equal to `created` until the first rotation).
    pub last_rotated: DateTime<Utc>,
    /// When its secret was last used, if ever.
    pub last_used: Option<DateTime<Utc>>,
    /// Where its secret is fetched from at unlock, when it is kept in a secret manager (the
    /// OS store then holds no secret for it).
    #[serde(default)]
    pub source: Option<SecretRef>,
}

impl Metadata {
    /// The label of the OS store item, what a person sees in Keychain Access or Seahorse,
    /// e.g. `Latchkey: Jamf Pro acme.jamfcloud.com (client abc)`.
    pub fn store_label(&self) -> String {
        format!(
            "Latchkey: {} {} ({})",
            self.kind.display_name(),
            self.domain.authority(),
            self.account.principal()
        )
    }

    /// Metadata as read back from a store, checked before anyone is shown or unlocks its
    /// domain: the kind and domain are derived again from the account (its URL or host), never
    /// taken as stored, and an item whose stored ones disagree is refused, naming its id.
    pub(crate) fn verified(self) -> Result<Metadata, Error> {
        let id = self.id.as_str().to_owned();
        let (account, derived) = self.account.normalized().map_err(|_| Error::Corrupt {
            id: id.clone(),
            reason: "its account is not valid",
        })?;
        if derived != self.domain || account.kind() != self.kind {
            return Err(Error::DomainMismatch {
                id,
                stored: self.domain.to_string(),
                derived: derived.to_string(),
            });
        }
        Ok(Metadata {
            domain: derived,
            ..self
        })
    }

    /// Whether `other` is for the same kind, domain and principal (a duplicate).
    pub fn same_identity(&self, other: &Metadata) -> bool {
        self.kind == other.kind
            && self.domain == other.domain
            && self.account.principal() == other.account.principal()
    }
}

/// A credential as entered by a person, before validation.
#[derive(Debug)]
pub struct NewCredential {
    /// The user's name for it.
    pub label: String,
    /// Where and as whom.
    pub account: Account,
    /// The client secret, password or token (see [`Account::secret_field`]); empty when it
    /// comes from `source`.
    pub secret: SecretString,
    /// Where the secret is fetched from at unlock instead (Jamf and vCenter only).
    pub source: Option<SecretRef>,
}

impl NewCredential {
    /// Every problem with the entered fields, in form order; empty when it is valid. For
    /// inline validation: each error names its field via [`Error::field`].
    pub fn problems(&self) -> Vec<Error> {
        match self.validated(Utc::now()) {
            Ok(_) => Vec::new(),
            Err(problems) => problems,
        }
    }

    /// The metadata this credential will be stored with, or the first problem. Does not check
    /// for duplicates: only the store knows what exists.
    pub(crate) fn into_metadata(
        self,
        now: DateTime<Utc>,
    ) -> Result<(Metadata, SecretString), Error> {
        match self.validated(now) {
            Ok(metadata) => Ok((metadata, self.secret)),
            Err(mut problems) => Err(problems.remove(0)),
        }
    }

    fn validated(&self, now: DateTime<Utc>) -> Result<Metadata, Vec<Error>> {
        let mut problems = Vec::new();
        let (label, account) = label_and_account(&self.label, &self.account, &mut problems);
        let invalid = |reason| Error::Invalid {
            field: reference::FIELD,
            reason,
        };
        match &self.source {
            None if self.secret.is_blank() => problems.push(Error::Missing {
                field: self.account.secret_field(),
            }),
            Some(_) if !self.account.may_reference() => problems.push(invalid(SELF_REFERENCE)),
            Some(_) if !self.secret.expose().is_empty() => problems.push(invalid(
                "give either the secret or where it comes from, not both",
            )),
            _ => {}
        }
        match (label, account) {
            (Some(label), Some((account, domain))) if problems.is_empty() => Ok(Metadata {
                id: CredentialId::generate(),
                kind: account.kind(),
                label,
                domain,
                account,
                created: now,
                last_rotated: now,
                last_used: None,
                source: self.source.clone(),
            }),
            _ => Err(problems),
        }
    }
}

/// The trimmed label and the normalized account with its domain; what is wrong with either is
/// added to `problems` instead.
fn label_and_account(
    label: &str,
    account: &Account,
    problems: &mut Vec<Error>,
) -> (Option<String>, Option<(Account, Domain)>) {
    let label = keep(problems, validate::required("label", label));
    let account = account
        .normalized()
        .map_err(|mut errors| problems.append(&mut errors))
        .ok();
    (label, account)
}

/// Why a secret manager's own credential cannot take its secret from a reference.
const SELF_REFERENCE: &str = "a secret manager's own credential cannot come from a secret manager";

/// Where a credential's secret is kept from now on: a new value here, in the OS store, or a
/// reference to a secret manager it is fetched from at each unlock (nothing kept here).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretPlace {
    /// Kept here, with this value.
    Here(SecretString),
    /// Fetched from this reference.
    At(SecretRef),
}

impl SecretPlace {
    /// Why `current`'s secret cannot be kept here: a blank value, or a secret manager's own
    /// credential given a reference. Named by the field.
    pub fn check(&self, current: &Metadata) -> Result<(), Error> {
        match self {
            SecretPlace::Here(secret) if secret.is_blank() => Err(Error::Missing {
                field: current.account.secret_field(),
            }),
            SecretPlace::At(_) if !current.account.may_reference() => Err(Error::Invalid {
                field: reference::FIELD,
                reason: SELF_REFERENCE,
            }),
            _ => Ok(()),
        }
    }

    /// `current` with its secret kept at this place from now (rotated now), and the secret
    /// the store keeps for it (empty for a reference), or why not. The one place every store
    /// applies the rules of a new secret.
    pub(crate) fn applied_to(self, current: &Metadata) -> Result<(Metadata, SecretString), Error> {
        self.check(current)?;
        let (source, secret) = match self {
            SecretPlace::Here(secret) => (None, secret),
            SecretPlace::At(reference) => (Some(reference), SecretString::from("")),
        };
        let metadata = Metadata {
            source,
            last_rotated: Utc::now(),
            ..current.clone()
        };
        Ok((metadata, secret))
    }
}

/// A change to a stored credential: a new label and its account's non-secret fields. The
/// secret stays; so does the account's type (its secret means something else in another).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CredentialEdit {
    /// The new label.
    pub label: String,
    /// The account with its new fields, of the same type as before.
    pub account: Account,
}

impl CredentialEdit {
    /// Every problem with the entered fields, in form order; empty when they are valid.
    pub fn problems(&self) -> Vec<Error> {
        match self.normalized() {
            Ok(_) => Vec::new(),
            Err(problems) => problems,
        }
    }

    /// `current` with this edit applied (id, dates and secret untouched), or the first
    /// problem. Does not check for duplicates: only the store knows what exists.
    pub fn applied_to(&self, current: &Metadata) -> Result<Metadata, Error> {
        if std::mem::discriminant(&self.account) != std::mem::discriminant(&current.account) {
            return Err(Error::Fixed { field: "type" });
        }
        let (label, account, domain) = self.normalized().map_err(|mut e| e.remove(0))?;
        Ok(Metadata {
            label,
            kind: account.kind(),
            domain,
            account,
            ..current.clone()
        })
    }

    fn normalized(&self) -> Result<(String, Account, Domain), Vec<Error>> {
        let mut problems = Vec::new();
        let (label, account) = label_and_account(&self.label, &self.account, &mut problems);
        match (label, account) {
            (Some(label), Some((account, domain))) if problems.is_empty() => {
                Ok((label, account, domain))
            }
            _ => Err(problems),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jamf_client(url: &str, client_id: &str, secret: &str) -> NewCredential {
        NewCredential {
            label: "Acme".into(),
            account: Account::JamfClient {
                url: url.into(),
                client_id: client_id.into(),
            },
            secret: secret.into(),
            source: None,
        }
    }

    fn fields(new: &NewCredential) -> Vec<&'static str> {
        new.problems().iter().filter_map(Error::field).collect()
    }

    #[test]
    fn jamf_client_is_normalized_and_named() {
        let (meta, secret) = jamf_client(" https://ACME.jamfcloud.com/ ", " abc ", "s3cret")
            .into_metadata(Utc::now())
            .unwrap();
        assert_eq!(meta.kind, Kind::Jamf);
        assert_eq!(meta.domain.as_str(), "jamf:acme.jamfcloud.com");
        assert_eq!(
            meta.account,
            Account::JamfClient {
                url: "https://acme.jamfcloud.com".into(),
                client_id: "abc".into()
            }
        );
        assert_eq!(
            meta.store_label(),
            "Latchkey: Jamf Pro acme.jamfcloud.com (client abc)"
        );
        assert_eq!(meta.created, meta.last_rotated);
        assert_eq!(secret.expose(), "s3cret");
    }

    #[test]
    fn domains_per_kind() {
        let vc = NewCredential {
            label: "VC".into(),
            account: Account::Vcenter {
                host: "VC01.example.com".into(),
                username: "administrator@vsphere.local".into(),
                tls: TlsPolicy::Pinned {
                    sha256: "AA:".repeat(31) + "AA",
                },
            },
            secret: "pw".into(),
            source: None,
        };
        let (meta, _) = vc.into_metadata(Utc::now()).unwrap();
        assert_eq!(meta.domain.as_str(), "vcenter:vc01.example.com");
        assert!(
            matches!(&meta.account, Account::Vcenter { tls: TlsPolicy::Pinned { sha256 }, .. } if *sha256 == "aa".repeat(32))
        );
        let on_a_port = NewCredential {
            label: "VC 8443".into(),
            account: Account::Vcenter {
                host: "vc02.example.com:8443".into(),
                username: "administrator@vsphere.local".into(),
                tls: TlsPolicy::Verify,
            },
            secret: "pw".into(),
            source: None,
        };
        let (meta, _) = on_a_port.into_metadata(Utc::now()).unwrap();
        assert_eq!(meta.domain.as_str(), "vcenter:vc02.example.com:8443");
        assert_eq!(meta.domain.authority(), "vc02.example.com:8443");
        let vault = NewCredential {
            label: "Vault".into(),
            account: Account::Vault {
                address: "https://vault.example.com:8200".into(),
                namespace: None,
                role_id: None,
            },
            secret: "hvs.x".into(),
            source: None,
        };
        let (meta, _) = vault.into_metadata(Utc::now()).unwrap();
        assert_eq!(meta.domain.as_str(), "vault:vault.example.com:8200");
        assert_eq!(meta.domain.authority(), "vault.example.com:8200");
    }

    fn aws(region: &str, role_arn: Option<&str>, endpoint: Option<&str>) -> NewCredential {
        NewCredential {
            label: "AWS".into(),
            account: Account::Aws {
                region: region.into(),
                access_key_id: " AKIAEXAMPLE ".into(),
                role_arn: role_arn.map(str::to_owned),
                endpoint: endpoint.map(str::to_owned),
            },
            secret: "secret-key".into(),
            source: None,
        }
    }

    #[test]
    fn an_aws_domain_is_its_region_or_its_endpoint() {
        let (meta, _) = aws("EU-West-1", None, None)
            .into_metadata(Utc::now())
            .unwrap();
        assert_eq!(meta.domain.as_str(), "aws:eu-west-1");
        assert_eq!(meta.kind, Kind::Aws);
        assert_eq!(meta.account.principal(), "key AKIAEXAMPLE");
        assert_eq!(meta.account.secret_field(), "secret_access_key");
        assert!(!meta.account.may_reference());
        let role = "arn:aws:iam::123456789012:role/latchkey";
        let private = aws(
            "eu-west-1",
            Some(role),
            Some("https://VPCE-1.example.com:443/"),
        );
        let (meta, _) = private.into_metadata(Utc::now()).unwrap();
        assert_eq!(meta.domain.as_str(), "aws:vpce-1.example.com");
        assert_eq!(
            meta.account.principal(),
            format!("key AKIAEXAMPLE as {role}")
        );
        let json = serde_json::to_string(&meta).unwrap();
        assert_eq!(serde_json::from_str::<Metadata>(&json).unwrap(), meta);
        let fields: Vec<_> = aws("us east", Some("role/x"), Some("http://example.com"))
            .problems()
            .iter()
            .map(|e| e.field())
            .collect();
        assert_eq!(fields, [Some("region"), Some("role_arn"), Some("endpoint")]);
    }

    fn azure(vault_url: &str, tenant_id: &str, authority_host: Option<&str>) -> NewCredential {
        NewCredential {
            label: "Azure".into(),
            account: Account::Azure {
                vault_url: vault_url.into(),
                tenant_id: tenant_id.into(),
                client_id: " 00000000-0000-0000-0000-00000000c11e ".into(),
                authority_host: authority_host.map(str::to_owned),
            },
            secret: "client-secret".into(),
            source: None,
        }
    }

    #[test]
    fn an_azure_domain_is_its_vault_host() {
        let tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        let (meta, _) = azure("https://Contoso.Vault.Azure.net/", tenant, None)
            .into_metadata(Utc::now())
            .unwrap();
        assert_eq!(meta.domain.as_str(), "azure:contoso.vault.azure.net");
        assert_eq!(meta.kind, Kind::Azure);
        assert_eq!(
            meta.account.principal(),
            format!("app 00000000-0000-0000-0000-00000000c11e in tenant {tenant}")
        );
        assert_eq!(meta.account.secret_field(), "client_secret");
        assert!(!meta.account.may_reference());
        let json = serde_json::to_string(&meta).unwrap();
        assert_eq!(serde_json::from_str::<Metadata>(&json).unwrap(), meta);
        let (meta, _) = azure(
            "https://kv.vault.usgovcloudapi.net:8443",
            "contoso.onmicrosoft.com",
            Some("https://login.microsoftonline.us/"),
        )
        .into_metadata(Utc::now())
        .unwrap();
        assert_eq!(
            meta.domain.as_str(),
            "azure:kv.vault.usgovcloudapi.net:8443"
        );
        let Account::Azure { authority_host, .. } = &meta.account else {
            panic!("{meta:?}");
        };
        assert_eq!(
            authority_host.as_deref(),
            Some("https://login.microsoftonline.us")
        );
        // A vault over http (even on loopback), with a path, a tenant with a slash, an
        // authority over http: each named.
        for (vault, tenant, authority, field) in [
            ("http://127.0.0.1:8443", tenant, None, "vault_url"),
            (
                "https://kv.vault.azure.net/secrets",
                tenant,
                None,
                "vault_url",
            ),
            ("https://kv.vault.azure.net", "a/b", None, "tenant_id"),
            ("https://kv.vault.azure.net", "", None, "tenant_id"),
            (
                "https://kv.vault.azure.net",
                tenant,
                Some("http://login.example.com"),
                "authority_host",
            ),
        ] {
            let fields: Vec<_> = azure(vault, tenant, authority)
                .problems()
                .iter()
                .map(|e| e.field())
                .collect();
            assert_eq!(fields, [Some(field)], "{vault} {tenant} {authority:?}");
        }
    }

    #[test]
    fn each_field_error_is_named() {
        assert_eq!(
            fields(&jamf_client("https://a.example.com", "abc", "s")),
            Vec::<&str>::new()
        );
        let mut blank_label = jamf_client("https://a.example.com", "abc", "s");
        blank_label.label = "  ".into();
        assert_eq!(fields(&blank_label), ["label"]);
        assert_eq!(
            fields(&jamf_client("", " ", "\t")),
            ["url", "client_id", "client_secret"]
        );
        assert_eq!(
            fields(&jamf_client("http://a.example.com", "abc", "s")),
            ["url"]
        );
        let user = NewCredential {
            label: "Old".into(),
            account: Account::JamfUser {
                url: "https://a.example.com".into(),
                username: "".into(),
            },
            secret: "".into(),
            source: None,
        };
        assert_eq!(fields(&user), ["username", "password"]);
        let vc = NewCredential {
            label: "VC".into(),
            account: Account::Vcenter {
                host: "vc_01".into(),
                username: "".into(),
                tls: TlsPolicy::Pinned {
                    sha256: "abc".into(),
                },
            },
            secret: "pw".into(),
            source: None,
        };
        assert_eq!(fields(&vc), ["host", "username", "tls.sha256"]);
        let vault = NewCredential {
            label: "V".into(),
            account: Account::Vault {
                address: "vault.example.com:8200".into(),
                namespace: None,
                role_id: None,
            },
            secret: " ".into(),
            source: None,
        };
        assert_eq!(fields(&vault), ["address", "token"]);
    }

    #[test]
    fn vault_takes_a_namespace_and_an_approle() {
        let approle = NewCredential {
            label: "Vault".into(),
            account: Account::Vault {
                address: "https://vault.example.com:8200".into(),
                namespace: Some(" /team/a/ ".into()),
                role_id: Some(" role-1 ".into()),
            },
            secret: "secret-id".into(),
            source: None,
        };
        assert_eq!(approle.account.secret_field(), "secret_id");
        let (meta, _) = approle.into_metadata(Utc::now()).unwrap();
        assert_eq!(
            meta.account,
            Account::Vault {
                address: "https://vault.example.com:8200".into(),
                namespace: Some("team/a".into()),
                role_id: Some("role-1".into()),
            }
        );
        assert_eq!(meta.account.principal(), "approle role-1 in team/a");
        let bad = NewCredential {
            label: "Vault".into(),
            account: Account::Vault {
                address: "https://vault.example.com".into(),
                namespace: Some("team//a".into()),
                role_id: Some("   ".into()),
            },
            secret: "".into(),
            source: None,
        };
        // A blank role id is no role id: the secret is then a token.
        assert_eq!(fields(&bad), ["namespace", "token"]);
    }

    #[test]
    fn credentials_stored_before_namespaces_and_references_still_load() {
        let old = r#"{"id":"0123456789abcdef","kind":"vault","label":"V",
            "domain":"vault:vault.example.com:8200",
            "account":{"type":"vault","address":"https://vault.example.com:8200"},
            "created":"2026-01-01T00:00:00Z","last_rotated":"2026-01-01T00:00:00Z",
            "last_used":null}"#;
        let meta: Metadata = serde_json::from_str(old).unwrap();
        let meta = meta.verified().unwrap();
        assert_eq!(meta.account.principal(), "token");
        assert_eq!(meta.source, None);
    }

    #[test]
    fn a_referenced_secret_is_not_typed_and_only_jamf_and_vcenter_take_one() {
        let reference: SecretRef = "vault://vault.example.com:8200/secret/jamf#client_secret"
            .parse()
            .unwrap();
        let mut new = jamf_client("https://a.example.com", "abc", "");
        new.source = Some(reference.clone());
        let (meta, secret) = new.into_metadata(Utc::now()).unwrap();
        assert_eq!(meta.source, Some(reference.clone()));
        assert_eq!(secret.expose(), "");
        let json = serde_json::to_string(&meta).unwrap();
        assert!(
            json.contains(r#""source":"vault://vault.example.com:8200/secret/jamf#client_secret""#)
        );
        assert_eq!(serde_json::from_str::<Metadata>(&json).unwrap(), meta);

        let mut both = jamf_client("https://a.example.com", "abc", "hunter2-canary");
        both.source = Some(reference.clone());
        assert_eq!(fields(&both), ["secret_from"]);
        assert!(!both.problems()[0].to_string().contains("hunter2-canary"));
        let vault = NewCredential {
            label: "V".into(),
            account: Account::Vault {
                address: "https://v2.example.com".into(),
                namespace: None,
                role_id: None,
            },
            secret: "".into(),
            source: Some(reference),
        };
        assert_eq!(fields(&vault), ["secret_from"]);
    }

    #[test]
    fn errors_never_carry_the_secret() {
        let new = jamf_client("https://a.example.com", "", "hunter2-canary");
        for problem in new.problems() {
            assert!(!problem.to_string().contains("hunter2-canary"));
        }
        assert!(!format!("{new:?}").contains("hunter2-canary"));
    }

    #[test]
    fn ids_are_unique_hex() {
        let a = CredentialId::generate();
        let b = CredentialId::generate();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 16);
        assert!(a.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn metadata_json_has_no_secret_and_a_schema() {
        let (meta, _) = jamf_client("https://a.example.com", "abc", "hunter2-canary")
            .into_metadata(Utc::now())
            .unwrap();
        let json = serde_json::to_string(&meta).unwrap();
        assert!(!json.contains("hunter2-canary"));
        assert_eq!(serde_json::from_str::<Metadata>(&json).unwrap(), meta);
        let schema = serde_json::to_string(&schemars::schema_for!(Metadata)).unwrap();
        assert!(schema.contains("last_rotated"));
    }
}
