//! Credentials as a client holds them: zeroized on drop, redacted in `Debug`, and with no
//! `Display`, `Serialize` or `Clone`, so a secret cannot be printed, serialized or copied by
//! accident.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use zeroize::Zeroizing;

/// A password, client secret or token.
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Takes ownership of the secret; its memory is wiped when the `Secret` is dropped.
    pub fn new(value: String) -> Self {
        Self(Zeroizing::new(value))
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A value of a JSON object holding secrets (a Vault KV secret's fields, an AWS secret's
/// keys): text, read into a buffer wiped when dropped, or anything else (only its kind is
/// kept), so a map of them keeps no copy of a value it is not asked for.
pub enum SecretValue {
    /// A string.
    Text(Secret),
    /// A number, a boolean, null, a list or an object.
    Other,
}

impl<'de> Deserialize<'de> for SecretValue {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = SecretValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_str<E>(self, v: &str) -> Result<SecretValue, E> {
                Ok(SecretValue::Text(Secret::new(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<SecretValue, E> {
                Ok(SecretValue::Text(Secret::new(v)))
            }
            fn visit_bool<E>(self, _: bool) -> Result<SecretValue, E> {
                Ok(SecretValue::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<SecretValue, E> {
                Ok(SecretValue::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<SecretValue, E> {
                Ok(SecretValue::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<SecretValue, E> {
                Ok(SecretValue::Other)
            }
            fn visit_unit<E>(self) -> Result<SecretValue, E> {
                Ok(SecretValue::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SecretValue, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(SecretValue::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SecretValue, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(SecretValue::Other)
            }
        }
        deserializer.deserialize_any(ValueVisitor)
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretValue::Text(_) => f.write_str("Text([redacted])"),
            SecretValue::Other => f.write_str("Other"),
        }
    }
}
