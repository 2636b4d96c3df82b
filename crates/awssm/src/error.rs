//! The crate's one error type. Messages name the Secrets Manager (its region or endpoint),
//! the secret (its name or ARN) and AWS's error code; never a key, a token or a value.

/// Why a Secrets Manager read failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AwsError {
    /// A region, endpoint, secret id or role ARN that cannot be used.
    #[error("{0}")]
    InvalidArgument(String),
    /// No answer: refused, unresolvable, timed out, TLS failed.
    #[error("AWS Secrets Manager at {server} is unreachable: {reason}")]
    Unreachable {
        /// The region or endpoint.
        server: String,
        /// What the SDK saw (never a request or an answer).
        reason: String,
    },
    /// AWS does not know the access key, or its signature does not match (a wrong secret
    /// access key), or the keys have expired.
    #[error(
        "AWS at {server} does not accept the access key {access_key_id} ({code}): rotate the \
         AWS credential with a valid key"
    )]
    KeysRejected {
        /// The region or endpoint.
        server: String,
        /// The access key id (not a secret).
        access_key_id: String,
        /// AWS's error code, e.g. `UnrecognizedClientException`.
        code: String,
    },
    /// The keys are valid, but IAM does not allow this (`AccessDeniedException`, or an
    /// `AssumeRole` refused).
    #[error(
        "AWS at {server} denied {action} on {resource}: the credential's IAM policies do not allow it ({code})"
    )]
    AccessDenied {
        /// The region or endpoint.
        server: String,
        /// `secretsmanager:GetSecretValue` or `sts:AssumeRole`.
        action: &'static str,
        /// The secret or the role.
        resource: String,
        /// AWS's error code.
        code: String,
    },
    /// No such secret (`ResourceNotFoundException`), or it is scheduled for deletion.
    #[error("AWS Secrets Manager at {server} has no secret {secret}")]
    NotFound {
        /// The region or endpoint.
        server: String,
        /// The name or ARN asked for.
        secret: String,
    },
    /// The secret holds binary data (SecretBinary), not text.
    #[error(
        "the secret {secret} in AWS Secrets Manager at {server} is binary (SecretBinary); \
         Latchkey reads text secrets (SecretString) only"
    )]
    Binary {
        /// The region or endpoint.
        server: String,
        /// The name or ARN.
        secret: String,
    },
    /// A key was asked for, but the SecretString is not a JSON object.
    #[error(
        "the secret {secret} in AWS Secrets Manager at {server} is not a JSON object, so it has \
         no key {key:?}; leave #{key} off the reference to use the whole secret"
    )]
    NotJson {
        /// The region or endpoint.
        server: String,
        /// The name or ARN.
        secret: String,
        /// The key asked for.
        key: String,
    },
    /// The JSON object has no such key; the keys it has are named (their names only).
    #[error("the secret {secret} in AWS Secrets Manager at {server} has no key {key:?}; it has: {}", if available.is_empty() { "none".to_owned() } else { available.join(", ") })]
    KeyMissing {
        /// The region or endpoint.
        server: String,
        /// The name or ARN.
        secret: String,
        /// The key asked for.
        key: String,
        /// The keys it has.
        available: Vec<String>,
    },
    /// The key is there but its value is not text (a number, a list, an object).
    #[error("the key {key:?} of secret {secret} in AWS Secrets Manager at {server} is not text")]
    NotText {
        /// The region or endpoint.
        server: String,
        /// The name or ARN.
        secret: String,
        /// The key.
        key: String,
    },
    /// Any other error AWS answered, by its code.
    #[error("AWS at {server} answered {code} (HTTP {status}) for {action} on {resource}")]
    Service {
        /// The region or endpoint.
        server: String,
        /// The call.
        action: &'static str,
        /// The secret or the role.
        resource: String,
        /// AWS's error code.
        code: String,
        /// The HTTP status.
        status: u16,
    },
}
