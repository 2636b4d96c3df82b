//! KV v2 reads: one field of one secret, `GET /v1/MOUNT/data/PATH[?version=N]`, with the
//! version Vault answered. Every text value of the answer is held in a wiped buffer while it
//! is read, and all but the field asked for are dropped at once.

use std::collections::BTreeMap;

use latchkey_http::{Secret, SecretValue as Value};
use reqwest::Method;
use serde::Deserialize;
use zeroize::Zeroize;

use crate::client::{Call, check_segments};
use crate::{VaultClient, VaultError};

/// One field of a KV v2 secret, and the version it was read from.
#[derive(Debug)]
pub struct KvSecret {
    /// The field's value.
    pub value: Secret,
    /// The secret's version it came from.
    pub version: u64,
}

#[derive(Deserialize)]
struct Answer {
    data: Option<Versioned>,
}

#[derive(Deserialize)]
struct Versioned {
    #[serde(default)]
    data: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    metadata: Option<VersionMetadata>,
}

#[derive(Deserialize, Default)]
struct VersionMetadata {
    #[serde(default)]
    version: u64,
    #[serde(default)]
    deletion_time: String,
    #[serde(default)]
    destroyed: bool,
}

impl VaultClient {
    /// The `field` of the KV v2 secret at `path` under `mount`: its latest version, or
    /// `version`. A 403 is checked against the token: one Vault no longer takes is replaced
    /// by logging in again (AppRole) once, or reported as such; a valid token's 403 is
    /// [`VaultError::PermissionDenied`].
    pub async fn read_kv(
        &self,
        mount: &str,
        path: &str,
        field: &str,
        version: Option<u64>,
    ) -> Result<KvSecret, VaultError> {
        let secret = format!("{mount}/{path}");
        let mut segments = vec![mount, "data"];
        segments.extend(path.split('/'));
        check_segments(&segments)?;
        let mut logged_in_again = false;
        loop {
            let token = self.token().await?;
            let mut call = Call::new(Method::GET, segments.clone(), Some(&token.value));
            call.query = version.map(|v| ("version", v.to_string()));
            let (endpoint, mut reply) = self.send(call).await?;
            let outcome = match reply.status.as_u16() {
                200..=299 => self.field_of(&endpoint, &reply.body, &secret, field),
                404 => Err(self.not_found(&reply.body, &secret, version)),
                403 => {
                    reply.body.zeroize();
                    if self.still_valid(&token).await? {
                        return Err(VaultError::PermissionDenied {
                            server: self.server().to_owned(),
                            endpoint,
                        });
                    }
                    if self.can_log_in_again() && !logged_in_again {
                        logged_in_again = true;
                        continue;
                    }
                    return Err(VaultError::TokenRejected {
                        server: self.server().to_owned(),
                    });
                }
                _ => Err(self.status_error(endpoint, &reply)),
            };
            reply.body.zeroize();
            return outcome;
        }
    }

    fn field_of(
        &self,
        endpoint: &str,
        body: &[u8],
        secret: &str,
        field: &str,
    ) -> Result<KvSecret, VaultError> {
        let answer: Answer = self.parse(endpoint, body, "a KV v2 secret")?;
        let shape = |detail: &str| VaultError::Shape {
            server: self.server().to_owned(),
            endpoint: endpoint.to_owned(),
            detail: format!(
                "{detail} (is {} a KV version 2 mount?)",
                secret_mount(secret)
            ),
        };
        let versioned = answer.data.ok_or_else(|| shape("it has no data"))?;
        let version = versioned.metadata.unwrap_or_default().version;
        let mut fields = versioned.data.ok_or_else(|| shape("it has no data.data"))?;
        match fields.remove(field) {
            Some(Value::Text(value)) => Ok(KvSecret { value, version }),
            Some(Value::Other) => Err(VaultError::NotText {
                server: self.server().to_owned(),
                secret: secret.to_owned(),
                field: field.to_owned(),
            }),
            None => Err(VaultError::FieldMissing {
                server: self.server().to_owned(),
                secret: secret.to_owned(),
                field: field.to_owned(),
                available: fields.into_keys().collect(),
            }),
        }
    }

    /// Not found, saying whether the version was deleted or destroyed when Vault says so.
    fn not_found(&self, body: &[u8], secret: &str, version: Option<u64>) -> VaultError {
        let metadata = serde_json::from_slice::<Answer>(body)
            .ok()
            .and_then(|a| a.data)
            .and_then(|d| d.metadata);
        let version_text = match (version, &metadata) {
            (Some(v), _) => format!(" version {v}"),
            (None, Some(m)) if m.version > 0 => format!(" (latest version {})", m.version),
            (None, _) => String::new(),
        };
        let state = match metadata {
            Some(m) if m.destroyed => ": that version was destroyed",
            Some(m) if !m.deletion_time.is_empty() => ": that version was deleted",
            _ => "",
        };
        VaultError::NotFound {
            server: self.server().to_owned(),
            what: format!("{secret}{version_text}{state}"),
        }
    }
}

fn secret_mount(secret: &str) -> &str {
    secret.split('/').next().unwrap_or(secret)
}
