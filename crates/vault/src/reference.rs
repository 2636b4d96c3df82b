//! Secret references: where a credential's secret lives when it is kept in the company's
//! secret manager instead of the OS store, e.g. `vault://vault.example.com:8200/secret/jamf#client_secret`
//! (a HashiCorp Vault KV v2 secret: the Vault credential's domain without its `vault:` prefix,
//! the mount, the path below it, and the field), or
//! `aws-sm://eu-west-1/jamf/prod#client_secret` (an AWS Secrets Manager secret: the AWS
//! credential's domain without its `aws:` prefix, the secret's name or ARN as is, and
//! optionally the key of its JSON SecretString; without `#KEY` the whole SecretString), or
//! `azure-kv://contoso.vault.azure.net/jamf-prod` (an Azure Key Vault secret: the Azure
//! credential's domain without its `azure:` prefix, the secret's name, and optionally
//! `/VERSION`; without it the latest version).
//!
//! A reference is not a secret: it names one. It is parsed here, with no I/O, and kept in a
//! credential's metadata as its canonical text.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::validate;
use crate::{Domain, Error, Kind};

/// The field a reference is given as, in forms, the CLI (`--secret-from`) and errors.
pub const FIELD: &str = "secret_from";

/// Where a credential's secret is fetched from at unlock.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
#[serde(try_from = "String", into = "String")]
pub struct SecretRef {
    domain: Domain,
    location: Location,
}

/// Which secret manager, and the secret in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Location {
    /// `vault://DOMAIN/MOUNT/PATH#FIELD`: one field of a HashiCorp Vault KV v2 secret.
    VaultKv {
        /// The KV v2 mount, e.g. `secret`.
        mount: String,
        /// The secret's path below the mount, e.g. `jamf/prod`.
        path: String,
        /// The field of the secret's data that holds the value.
        field: String,
    },
    /// `aws-sm://DOMAIN/SECRET_ID[#JSON_KEY]`: an AWS Secrets Manager secret's SecretString,
    /// or one key of it when it is a JSON object.
    AwsSm {
        /// The secret's name (`jamf/prod`) or ARN
        /// (`arn:aws:secretsmanager:eu-west-1:123456789012:secret:jamf/prod-AbCdEf`), as is.
        secret_id: String,
        /// The JSON key, when the SecretString is a JSON object and one key holds the value.
        key: Option<String>,
    },
    /// `azure-kv://DOMAIN/NAME[/VERSION]`: an Azure Key Vault secret's value, its latest
    /// version or the one named.
    AzureKv {
        /// The secret's name, e.g. `jamf-prod`.
        name: String,
        /// A version (32 hex digits in Azure), or `None` for the latest.
        version: Option<String>,
    },
}

impl SecretRef {
    /// The secret manager credential's domain, e.g. `vault:vault.example.com:8200` or
    /// `aws:eu-west-1`.
    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// The kind of credential that reads it (Vault, AWS or Azure).
    pub fn kind(&self) -> Kind {
        match self.location {
            Location::VaultKv { .. } => Kind::Vault,
            Location::AwsSm { .. } => Kind::Aws,
            Location::AzureKv { .. } => Kind::Azure,
        }
    }

    /// The secret in its secret manager.
    pub fn location(&self) -> &Location {
        &self.location
    }
}

/// `reason` as the error of [`FIELD`].
fn bad(reason: &'static str) -> Error {
    Error::Invalid {
        field: FIELD,
        reason,
    }
}

/// The domain's authority (`host[:port]`, or an AWS region) as `creds list` shows it, checked
/// like the address it came from.
fn authority(value: &str, scheme: &'static str) -> Result<String, Error> {
    if value.is_empty() || value.contains('@') {
        return Err(bad(scheme));
    }
    validate::service_url(FIELD, &format!("https://{value}"))
        .map(|url| url.authority)
        .map_err(|_| bad("the domain is not a host name, host:port or region"))
}

impl std::str::FromStr for SecretRef {
    type Err = Error;

    /// `vault://DOMAIN/MOUNT/PATH#FIELD`, `aws-sm://DOMAIN/SECRET_ID[#JSON_KEY]` or
    /// `azure-kv://DOMAIN/NAME[/VERSION]`; the error
    /// names [`FIELD`] and says what is wrong, never repeating the input (a pasted secret in
    /// the wrong box must not reach a log).
    fn from_str(value: &str) -> Result<Self, Error> {
        let value = value.trim();
        if let Some(rest) = value.strip_prefix("vault://") {
            vault_kv(rest)
        } else if let Some(rest) = value.strip_prefix("aws-sm://") {
            aws_sm(rest)
        } else if let Some(rest) = value.strip_prefix("azure-kv://") {
            azure_kv(rest)
        } else {
            Err(bad(
                "it must look like vault://DOMAIN/MOUNT/PATH#FIELD, aws-sm://DOMAIN/SECRET_ID#JSON_KEY or azure-kv://DOMAIN/NAME",
            ))
        }
    }
}

fn vault_kv(rest: &str) -> Result<SecretRef, Error> {
    let (location, field) = rest
        .split_once('#')
        .ok_or(bad("it must end with #FIELD, the secret's field"))?;
    if field.is_empty() || field.chars().any(char::is_control) {
        return Err(bad(
            "the field after # is empty or holds control characters",
        ));
    }
    if location.contains('?') {
        return Err(bad("it must not have a query"));
    }
    let mut segments = location.split('/');
    let authority = authority(
        segments.next().unwrap_or_default(),
        "it must name the Vault credential's domain after vault://",
    )?;
    let mount = segments.next().unwrap_or_default();
    let path: Vec<&str> = segments.collect();
    let segment_ok =
        |s: &&str| !s.is_empty() && *s != "." && *s != ".." && !s.chars().any(char::is_control);
    if !segment_ok(&mount) {
        return Err(bad("it must name the KV v2 mount after the domain"));
    }
    if path.is_empty() || !path.iter().all(segment_ok) {
        return Err(bad(
            "it must name the secret's path after the mount, without empty, . or .. parts",
        ));
    }
    Ok(SecretRef {
        domain: Domain::from(format!("vault:{authority}").as_str()),
        location: Location::VaultKv {
            mount: mount.to_owned(),
            path: path.join("/"),
            field: field.to_owned(),
        },
    })
}

/// The longest secret id (an ARN) Secrets Manager takes.
const MAX_SECRET_ID: usize = 2048;

fn aws_sm(rest: &str) -> Result<SecretRef, Error> {
    let (location, key) = match rest.split_once('#') {
        Some((location, key)) => (location, Some(key)),
        None => (rest, None),
    };
    if key.is_some_and(|k| k.is_empty() || k.chars().any(char::is_control)) {
        return Err(bad(
            "the JSON key after # is empty or holds control characters; leave # off to use the              whole secret",
        ));
    }
    let (domain, secret_id) = location.split_once('/').unwrap_or((location, ""));
    let authority = authority(
        domain,
        "it must name the AWS credential's domain (its region) after aws-sm://",
    )?;
    // A name is letters, digits and /_+=.@-; an ARN adds its colons. Everything after the
    // domain's slash is the id, as is: an ARN needs no escaping.
    let arn = secret_id.starts_with("arn:");
    let id_ok = !secret_id.is_empty()
        && secret_id.len() <= MAX_SECRET_ID
        && secret_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c) || (arn && c == ':'));
    if !id_ok {
        return Err(bad(
            "it must name the secret after the domain: its name (letters, digits and /_+=.@-)              or its ARN",
        ));
    }
    Ok(SecretRef {
        domain: Domain::from(format!("aws:{authority}").as_str()),
        location: Location::AwsSm {
            secret_id: secret_id.to_owned(),
            key: key.map(str::to_owned),
        },
    })
}

/// The longest secret name Key Vault takes.
const MAX_AZURE_NAME: usize = 127;

fn azure_kv(rest: &str) -> Result<SecretRef, Error> {
    let mut segments = rest.split('/');
    let authority = authority(
        segments.next().unwrap_or_default(),
        "it must name the Azure credential's domain (its vault's host) after azure-kv://",
    )?;
    // A name is letters, digits and dashes (Key Vault's rule); a version is letters and
    // digits (32 hex digits in Azure).
    let name = segments.next().unwrap_or_default();
    if name.is_empty()
        || name.len() > MAX_AZURE_NAME
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(bad(
            "it must name the secret after the domain: letters, digits and dashes, at most 127",
        ));
    }
    let version = segments.next();
    if segments.next().is_some()
        || version.is_some_and(|v| {
            v.is_empty() || v.len() > 64 || !v.chars().all(|c| c.is_ascii_alphanumeric())
        })
    {
        return Err(bad(
            "after the secret's name only /VERSION may follow: its letters and digits",
        ));
    }
    Ok(SecretRef {
        domain: Domain::from(format!("azure:{authority}").as_str()),
        location: Location::AzureKv {
            name: name.to_owned(),
            version: version.map(str::to_owned),
        },
    })
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let authority = self.domain.authority();
        match &self.location {
            Location::VaultKv { mount, path, field } => {
                write!(f, "vault://{authority}/{mount}/{path}#{field}")
            }
            Location::AwsSm { secret_id, key } => {
                write!(f, "aws-sm://{authority}/{secret_id}")?;
                match key {
                    Some(key) => write!(f, "#{key}"),
                    None => Ok(()),
                }
            }
            Location::AzureKv { name, version } => {
                write!(f, "azure-kv://{authority}/{name}")?;
                match version {
                    Some(version) => write!(f, "/{version}"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl TryFrom<String> for SecretRef {
    type Error = Error;

    fn try_from(value: String) -> Result<Self, Error> {
        value.parse()
    }
}

impl From<SecretRef> for String {
    fn from(value: SecretRef) -> Self {
        value.to_string()
    }
}

impl JsonSchema for SecretRef {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SecretRef".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A secret in a secret manager: vault://DOMAIN/MOUNT/PATH#FIELD, aws-sm://DOMAIN/SECRET_ID#JSON_KEY or azure-kv://DOMAIN/NAME[/VERSION]"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> Result<SecretRef, Error> {
        value.parse()
    }

    #[test]
    fn a_reference_names_domain_mount_path_and_field() {
        let r = parse(" vault://Vault.Example.com:8200/secret/jamf/prod#client_secret ").unwrap();
        assert_eq!(r.domain().as_str(), "vault:vault.example.com:8200");
        assert_eq!(r.kind(), Kind::Vault);
        assert_eq!(
            r.location(),
            &Location::VaultKv {
                mount: "secret".into(),
                path: "jamf/prod".into(),
                field: "client_secret".into(),
            }
        );
        assert_eq!(
            r.to_string(),
            "vault://vault.example.com:8200/secret/jamf/prod#client_secret"
        );
        // The default port is dropped, as in the Vault credential's domain.
        let r = parse("vault://vault.example.com:443/kv/a#b").unwrap();
        assert_eq!(r.domain().as_str(), "vault:vault.example.com");
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, "\"vault://vault.example.com/kv/a#b\"");
        assert_eq!(serde_json::from_str::<SecretRef>(&json).unwrap(), r);
    }

    #[test]
    fn malformed_references_are_refused_without_echo() {
        for bad in [
            "",
            "hunter2-canary",
            "aws-sm://eu-west-1",
            "aws-sm://eu-west-1/",
            "aws-sm://eu-west-1/jamf#",
            "aws-sm:///jamf#k",
            "aws-sm://eu-west-1/jamf prod#k",
            "aws-sm://eu-west-1/jamf:prod#k",
            "aws-sm://eu-west-1/jamf?x=1",
            "aws-sm://user:hunter2-canary@eu-west-1/jamf",
            "azure-kv://x",
            "azure-kv://x/",
            "azure-kv://kv.vault.azure.net/jamf_prod",
            "azure-kv://kv.vault.azure.net/jamf#k",
            "azure-kv://kv.vault.azure.net/jamf/",
            "azure-kv://kv.vault.azure.net/jamf/v1/x",
            "azure-kv://kv.vault.azure.net/jamf/v-1",
            "azure-kv://kv.vault.azure.net/jamf?api-version=7.5",
            "azure-kv://user:hunter2-canary@kv.vault.azure.net/jamf",
            "azure-kv:///jamf",
            "azure-secret://kv.vault.azure.net/jamf",
            "vault://vault.example.com/secret/jamf",
            "vault://vault.example.com/secret/jamf#",
            "vault://vault.example.com/secret#f",
            "vault://vault.example.com//jamf#f",
            "vault://vault.example.com/secret/../jamf#f",
            "vault://vault.example.com/secret/a//b#f",
            "vault://user:hunter2-canary@vault.example.com/secret/a#f",
            "vault://vault_example!/secret/a#f",
            "vault://vault.example.com/secret/a?version=2#f",
            "vault:///secret/a#f",
        ] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.field(), Some(FIELD), "{bad}");
            assert!(!err.to_string().contains("hunter2-canary"), "{err}");
        }
        assert!(serde_json::from_str::<SecretRef>("\"vault://x/y#z\"").is_err());
    }

    #[test]
    fn an_aws_reference_names_a_secret_by_name_or_arn_with_an_optional_key() {
        let r = parse("aws-sm://EU-West-1/jamf/prod#client_secret").unwrap();
        assert_eq!(r.domain().as_str(), "aws:eu-west-1");
        assert_eq!(r.kind(), Kind::Aws);
        assert_eq!(
            r.location(),
            &Location::AwsSm {
                secret_id: "jamf/prod".into(),
                key: Some("client_secret".into()),
            }
        );
        assert_eq!(r.to_string(), "aws-sm://eu-west-1/jamf/prod#client_secret");
        let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:jamf/prod-AbCdEf";
        let r = parse(&format!("aws-sm://127.0.0.1:5000/{arn}")).unwrap();
        assert_eq!(r.domain().as_str(), "aws:127.0.0.1:5000");
        assert_eq!(
            r.location(),
            &Location::AwsSm {
                secret_id: arn.into(),
                key: None,
            }
        );
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, format!("\"aws-sm://127.0.0.1:5000/{arn}\""));
        assert_eq!(serde_json::from_str::<SecretRef>(&json).unwrap(), r);
    }

    #[test]
    fn an_azure_reference_names_a_secret_and_optionally_its_version() {
        let r = parse("azure-kv://Contoso.Vault.Azure.net/jamf-prod").unwrap();
        assert_eq!(r.domain().as_str(), "azure:contoso.vault.azure.net");
        assert_eq!(r.kind(), Kind::Azure);
        assert_eq!(
            r.location(),
            &Location::AzureKv {
                name: "jamf-prod".into(),
                version: None,
            }
        );
        assert_eq!(
            r.to_string(),
            "azure-kv://contoso.vault.azure.net/jamf-prod"
        );
        let version = "4387e9f3d6e14c459867679a90fd0f79";
        let text = format!("azure-kv://kv.vault.azure.test:8443/jamf-prod/{version}");
        let r = parse(&text).unwrap();
        assert_eq!(r.domain().as_str(), "azure:kv.vault.azure.test:8443");
        assert_eq!(
            r.location(),
            &Location::AzureKv {
                name: "jamf-prod".into(),
                version: Some(version.into()),
            }
        );
        assert_eq!(r.to_string(), text);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<SecretRef>(&json).unwrap(), r);
    }
}
