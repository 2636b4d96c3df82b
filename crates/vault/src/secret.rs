//! `SecretString`: the only type that carries a secret value (a password, client secret or
//! token) through Latchkey's memory.
//!
//! Its bytes live on pages of their own, locked in RAM and (on Linux) left out of core dumps
//! while it lives ([`crate::hardening`]); it wipes them when dropped, and deliberately has no `Display`, `Serialize` or
//! `Clone`, and a `Debug` that prints `[redacted]`, so a secret cannot reach a log, a JSON
//! response or a second copy by accident. Reading it takes an explicit [`SecretString::expose`].

use std::fmt;

use serde::{Deserialize, Deserializer, Serializer};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::hardening::LockedBuf;

/// A secret value, on locked pages, zeroized on drop.
pub struct SecretString(LockedBuf);

impl SecretString {
    /// Takes ownership of `value`: its bytes move onto locked pages and `value` is wiped, so
    /// the only copy left is the one that gets wiped at drop.
    pub fn new(mut value: String) -> Self {
        let locked = LockedBuf::copy_of(value.as_bytes());
        value.zeroize();
        Self(locked)
    }

    /// The secret itself. Call this only where the value is handed to its consumer (an HTTP
    /// client, the OS store), never to format a message.
    pub fn expose(&self) -> &str {
        std::str::from_utf8(self.0.bytes()).expect("copied from a String")
    }

    /// Whether the value is empty or only whitespace (a required secret was left blank).
    pub fn is_blank(&self) -> bool {
        self.expose().trim().is_empty()
    }

    /// A second owned copy, for stores that hand out what they hold. Named so that copying a
    /// secret is visible in review, unlike a `Clone` derive.
    pub(crate) fn duplicate(&self) -> Self {
        Self(LockedBuf::copy_of(self.0.bytes()))
    }
}

/// Dropping the [`LockedBuf`] wipes it.
impl ZeroizeOnDrop for SecretString {}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self(LockedBuf::copy_of(value.as_bytes()))
    }
}

/// Read from a request (the control socket's `add` and `rotate`). There is deliberately no
/// `Serialize`: sending a secret is spelled out with [`SecretString::serialize_exposed`].
impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

impl SecretString {
    /// For `#[serde(serialize_with = "SecretString::serialize_exposed")]` on the one request
    /// field that carries a secret to the broker; nothing else may serialize one.
    pub fn serialize_exposed<S: Serializer>(
        secret: &Self,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(secret.expose())
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = SecretString::from("hunter2");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn blank_means_whitespace_only() {
        assert!(SecretString::from("  \t").is_blank());
        assert!(!SecretString::from(" x ").is_blank());
    }
}
