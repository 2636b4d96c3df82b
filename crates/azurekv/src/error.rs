//! The crate's one error type. Messages name the vault (its host), the secret, the tenant or
//! application, and Azure's error code; never a client secret, a token or a value.

/// Why a Key Vault read failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AzureError {
    /// A vault URL, authority, tenant, client id, secret name or version that cannot be used.
    #[error("{0}")]
    InvalidArgument(String),
    /// No answer: refused, unresolvable, timed out, TLS failed.
    #[error("Azure at {server} is unreachable: {reason}")]
    Unreachable {
        /// The vault's or the sign-in authority's host.
        server: String,
        /// What the connection saw (never a request or an answer).
        reason: String,
    },
    /// Microsoft Entra ID refused the service principal's sign-in.
    #[error(
        "Microsoft Entra ID refused the sign-in of app {client_id} in tenant {tenant_id}: {reason} ({code}); {advice}"
    )]
    SignInRefused {
        /// The tenant.
        tenant_id: String,
        /// The application (client) id.
        client_id: String,
        /// What the code means.
        reason: &'static str,
        /// e.g. `AADSTS7000215`, or the OAuth error when no AADSTS code was given.
        code: String,
        /// What to do.
        advice: &'static str,
    },
    /// Signed in, but the vault's access policies or RBAC do not allow reading the secret.
    #[error(
        "Azure Key Vault {server} denied app {client_id} reading secret {secret} ({code}): \
         grant it Get on secrets (an access policy, or the Key Vault Secrets User role)"
    )]
    Forbidden {
        /// The vault's host.
        server: String,
        /// The application (client) id.
        client_id: String,
        /// The secret's name.
        secret: String,
        /// Azure's code and inner code, e.g. `Forbidden/ForbiddenByRbac`.
        code: String,
    },
    /// No such secret, or no such version of it (`SecretNotFound`).
    #[error("Azure Key Vault {server} has no secret {secret}{}", version.as_ref().map(|v| format!(" version {v}")).unwrap_or_default())]
    NotFound {
        /// The vault's host.
        server: String,
        /// The secret's name.
        secret: String,
        /// The version asked for.
        version: Option<String>,
    },
    /// The secret (or the version asked for) is disabled (`SecretDisabled`).
    #[error(
        "the secret {secret} in Azure Key Vault {server} is disabled; enable it (or its version) \
         in the vault, or name an enabled version"
    )]
    Disabled {
        /// The vault's host.
        server: String,
        /// The secret's name.
        secret: String,
    },
    /// The vault's sign-in challenge or answer is not one Key Vault sends (e.g. a challenge for
    /// a resource other than the vault's host, whose token would be sent elsewhere).
    #[error("{server} did not answer as Azure Key Vault does: {reason}")]
    Protocol {
        /// The vault's host.
        server: String,
        /// What was wrong (never the answer's text).
        reason: &'static str,
    },
    /// Any other error Azure answered, by its code.
    #[error("Azure answered {code} (HTTP {status}) for {what}")]
    Service {
        /// What was asked (the sign-in, or the secret in the vault).
        what: String,
        /// Azure's error code.
        code: String,
        /// The HTTP status.
        status: u16,
    },
}
