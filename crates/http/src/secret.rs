//! Credentials as a client holds them: zeroized on drop, redacted in `Debug`, and with no
//! `Display`, `Serialize` or `Clone`, so a secret cannot be printed, serialized or copied by
//! accident.

use std::fmt;

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
