//! The crate's one error type. Messages name the Vault (`host[:port]`), the call as
//! `METHOD /path` or the secret as `mount/path`; never a token, a secret id or a value.

use latchkey_http::TransportError;

/// Why a Vault call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// The Vault address cannot be used.
    #[error("invalid Vault address: {0}")]
    InvalidAddress(String),
    /// An argument (a mount, a path, a field, a namespace) cannot be used; the message says why.
    #[error("{0}")]
    InvalidArgument(String),
    /// The client's options are inconsistent.
    #[error("invalid Vault client options: {0}")]
    InvalidOptions(String),
    /// No usable answer: unreachable, timed out, retries spent, a redirect elsewhere, an
    /// answer over the cap.
    #[error("Vault at {server} is unreachable: {source}")]
    Unreachable {
        /// `host[:port]`.
        server: String,
        /// What the HTTP core saw.
        #[source]
        source: TransportError,
    },
    /// Vault answered 503: sealed, or not ready to serve.
    #[error("Vault at {server} is sealed or not ready (HTTP 503 for {endpoint})")]
    Sealed {
        /// `host[:port]`.
        server: String,
        /// `METHOD /path`.
        endpoint: String,
    },
    /// AppRole login refused (a wrong role id or secret id, or an expired secret id).
    #[error(
        "Vault at {server} refused the AppRole login of role id {role_id:?} (HTTP {status}): {detail}"
    )]
    LoginRefused {
        /// `host[:port]`.
        server: String,
        /// The role id (not a secret).
        role_id: String,
        /// 400 or 403.
        status: u16,
        /// Vault's own reason.
        detail: String,
    },
    /// The token is not (or no longer) valid: expired, revoked, or never was.
    #[error(
        "Vault at {server} does not accept the token: it has expired or been revoked; \
         rotate the Vault credential with a new one"
    )]
    TokenRejected {
        /// `host[:port]`.
        server: String,
    },
    /// The token's time is up and it cannot be renewed (and there is no AppRole to log in
    /// with again).
    #[error(
        "the token for Vault at {server} has expired and cannot be renewed; rotate the Vault \
         credential with a new one"
    )]
    TokenExpired {
        /// `host[:port]`.
        server: String,
    },
    /// The token is valid, but its policies do not allow this (403).
    #[error("Vault at {server} denied {endpoint}: the token's policies do not allow it (HTTP 403)")]
    PermissionDenied {
        /// `host[:port]`.
        server: String,
        /// `METHOD /path`.
        endpoint: String,
    },
    /// No such secret (or version) at this mount and path (404).
    #[error("Vault at {server} has no secret {what}")]
    NotFound {
        /// `host[:port]`.
        server: String,
        /// `mount/path`, with the version and whether it was deleted.
        what: String,
    },
    /// The secret has no such field; the fields it has are named (their names only).
    #[error("the secret {secret} on Vault at {server} has no field {field:?}; it has: {}", if available.is_empty() { "none".to_owned() } else { available.join(", ") })]
    FieldMissing {
        /// `host[:port]`.
        server: String,
        /// `mount/path`.
        secret: String,
        /// The field asked for.
        field: String,
        /// The names of the fields it has.
        available: Vec<String>,
    },
    /// The field is there but is not text (a number, a list, an object).
    #[error("the field {field:?} of secret {secret} on Vault at {server} is not text")]
    NotText {
        /// `host[:port]`.
        server: String,
        /// `mount/path`.
        secret: String,
        /// The field.
        field: String,
    },
    /// The answer is not the JSON Vault documents for the call.
    #[error("unexpected answer from Vault at {server} for {endpoint}: {detail}")]
    Shape {
        /// `host[:port]`.
        server: String,
        /// `METHOD /path`.
        endpoint: String,
        /// What could not be read (never a value).
        detail: String,
    },
    /// Any other error status, with Vault's own first message.
    #[error("Vault at {server} answered HTTP {status} for {endpoint}: {detail}")]
    Http {
        /// `host[:port]`.
        server: String,
        /// `METHOD /path`.
        endpoint: String,
        /// The status code.
        status: u16,
        /// Vault's first error message, cut short.
        detail: String,
    },
}
