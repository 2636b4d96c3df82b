//! An AWS Secrets Manager client for Latchkey's secret references
//! (`aws-sm://DOMAIN/SECRET_ID#JSON_KEY`), over the official AWS SDK for Rust
//! (`aws-sdk-secretsmanager`, and `aws-sdk-sts` to assume a role) with its default features
//! off, the tokio runtime and its default HTTPS client (hyper 1 + rustls).
//!
//! It reads one secret (`GetSecretValue`, by name or ARN) with an access key, or with the
//! temporary keys of a role it assumes first (`AssumeRole`), and returns the whole
//! SecretString or one key of it when it is a JSON object.
//!
//! What it must never do: put a secret access key, a session token or a secret's value in an
//! error, a log line or a `Debug` string (they are [`Secret`]s, and what is read is wiped);
//! keep any key of a JSON secret but the one asked for; read from `~/.aws`, the environment or
//! instance metadata (the keys are the credential's, nothing else).

mod client;
mod error;

pub use client::{AwsSecret, Keys, SecretsManager};
pub use error::AwsError;
pub use latchkey_http::Secret;
