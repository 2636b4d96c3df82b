//! Secret references: where a credential's secret lives when it is kept in the company's
//! secret manager instead of the OS store, e.g. `vault://vault.example.com:8200/secret/jamf#client_secret`
//! (a HashiCorp Vault KV v2 secret: the Vault credential's domain without its `vault:` prefix,
//! the mount, the path below it, and the field).
//!
//! A reference is not a secret: it names one. It is parsed here, with no I/O, and kept in a
//! credential's metadata as its canonical text.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::validate;
use crate::{Domain, Error};

/// The field a reference is given as, in forms, the CLI (`--secret-from`) and errors.
pub const FIELD: &str = "secret_from";

/// Where a credential's secret is fetched from at unlock.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SecretRef {
    domain: Domain,
    mount: String,
    path: String,
    field: String,
}

impl SecretRef {
    /// The secret manager credential's domain, e.g. `vault:vault.example.com:8200`.
    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// The KV v2 mount, e.g. `secret`.
    pub fn mount(&self) -> &str {
        &self.mount
    }

    /// The secret's path below the mount, e.g. `jamf/prod`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The field of the secret's data that holds the value.
    pub fn field(&self) -> &str {
        &self.field
    }
}

impl std::str::FromStr for SecretRef {
    type Err = Error;

    /// `vault://DOMAIN/MOUNT/PATH#FIELD`; the error names [`FIELD`] and says what is wrong,
    /// never repeating the input (a pasted secret in the wrong box must not reach a log).
    fn from_str(value: &str) -> Result<Self, Error> {
        let bad = |reason| Error::Invalid {
            field: FIELD,
            reason,
        };
        let value = value.trim();
        let rest = value
            .strip_prefix("vault://")
            .ok_or(bad("it must look like vault://DOMAIN/MOUNT/PATH#FIELD"))?;
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
        let authority = segments.next().unwrap_or_default();
        let mount = segments.next().unwrap_or_default();
        let path: Vec<&str> = segments.collect();
        if authority.is_empty() || authority.contains('@') {
            return Err(bad(
                "it must name the Vault credential's domain after vault://",
            ));
        }
        // The domain as `creds list` shows it, checked like the address it came from.
        let authority = validate::service_url(FIELD, &format!("https://{authority}"))
            .map_err(|_| bad("the domain is not a host name or host:port"))?
            .authority;
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
        Ok(Self {
            domain: Domain::from(format!("vault:{authority}").as_str()),
            mount: mount.to_owned(),
            path: path.join("/"),
            field: field.to_owned(),
        })
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "vault://{}/{}/{}#{}",
            self.domain.authority(),
            self.mount,
            self.path,
            self.field
        )
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
            "description": "A secret in a secret manager: vault://DOMAIN/MOUNT/PATH#FIELD"
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
        assert_eq!(r.mount(), "secret");
        assert_eq!(r.path(), "jamf/prod");
        assert_eq!(r.field(), "client_secret");
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
            "aws-sm://x/y#z",
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
}
