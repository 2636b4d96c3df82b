//! Credentials as the client holds them: zeroized on drop, redacted in `Debug`, and with no
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

/// How the client proves who it is.
#[derive(Debug)]
pub enum Auth {
    /// A Jamf Pro API client (OAuth client credentials; Jamf Pro 10.49+). Preferred: its
    /// privileges are set per role and it can be disabled without touching a user.
    Client {
        /// The API client's id (not secret).
        client_id: String,
        /// The API client's secret.
        client_secret: Secret,
    },
    /// A Jamf Pro user account (basic auth exchanged for a bearer token).
    User {
        /// The account name.
        username: String,
        /// The account's password.
        password: Secret,
    },
}

impl Auth {
    /// How `ConnectionCheck` names the method: "API client" or "user account".
    pub fn kind(&self) -> &'static str {
        match self {
            Auth::Client { .. } => "API client",
            Auth::User { .. } => "user account",
        }
    }
}
