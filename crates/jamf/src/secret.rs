//! How a Jamf client proves who it is. The credentials are [`Secret`]s (see latchkey-http):
//! zeroized on drop, redacted in `Debug`, never `Display`ed, serialized or cloned.

pub use latchkey_http::Secret;

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
