//! `GetSecretValue` with an access key, or with a role assumed first (`AssumeRole`), and the
//! SecretString or one key of it.

use std::collections::BTreeMap;
use std::error::Error as _;
use std::time::Duration;

use aws_sdk_secretsmanager::config::http::HttpResponse;
use aws_sdk_secretsmanager::config::retry::RetryConfig;
use aws_sdk_secretsmanager::config::timeout::TimeoutConfig;
use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use latchkey_http::{Secret, SecretValue};
use zeroize::{Zeroize, Zeroizing};

use crate::AwsError;

/// An access key: its id (not a secret) and the secret access key.
#[derive(Debug)]
pub struct Keys {
    /// `AKIA…`.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: Secret,
}

/// A value read from Secrets Manager, and the version it came from.
#[derive(Debug)]
pub struct AwsSecret {
    /// The SecretString, or the key asked for.
    pub value: Secret,
    /// The secret version's id (`VersionId`).
    pub version: String,
}

/// A Secrets Manager in one region (or at one endpoint), read with one credential.
#[derive(Debug)]
pub struct SecretsManager {
    region: Region,
    endpoint: Option<String>,
    keys: Keys,
    role_arn: Option<String>,
    server: String,
}

/// How long a connection may take to be made, and a whole call. A call is made once, never
/// retried by the SDK: a fetch is part of an unlock a person is waiting for, and its error
/// tells them why (the SDK's retry of an answer it cannot classify would repeat a refused
/// request).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);
/// The role session's name in CloudTrail, and how long its keys last (the least AWS allows).
const SESSION_NAME: &str = "latchkey";
const SESSION_SECONDS: i32 = 900;

impl SecretsManager {
    /// A client for `region`, or for `endpoint` (https, or http to a loopback address) when
    /// given, reading with `keys`, or with a session of `role_arn` assumed with them.
    pub fn new(
        region: &str,
        endpoint: Option<&str>,
        keys: Keys,
        role_arn: Option<&str>,
    ) -> Result<SecretsManager, AwsError> {
        let region = region.trim();
        if !is_region(region) {
            return Err(AwsError::InvalidArgument(
                "the AWS region must look like us-east-1".into(),
            ));
        }
        let endpoint = endpoint
            .map(|e| {
                latchkey_http::parse_base(e, "https://secretsmanager.us-east-1.amazonaws.com")
                    .map(|url| url.as_str().trim_end_matches('/').to_owned())
                    .map_err(|why| AwsError::InvalidArgument(format!("endpoint: {why}")))
            })
            .transpose()?;
        let server = match &endpoint {
            Some(url) => url.to_owned(),
            None => region.to_owned(),
        };
        Ok(SecretsManager {
            region: Region::new(region.to_owned()),
            endpoint,
            keys,
            role_arn: role_arn.map(str::to_owned),
            server,
        })
    }

    /// Where it reads: the region, or the endpoint.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The secret `secret_id` (a name or an ARN): its whole SecretString, or with `key` that
    /// key of it as a JSON object.
    pub async fn read(&self, secret_id: &str, key: Option<&str>) -> Result<AwsSecret, AwsError> {
        let credentials = self.credentials().await?;
        let mut config = aws_sdk_secretsmanager::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(self.region.clone())
            .credentials_provider(credentials)
            .retry_config(RetryConfig::disabled())
            .timeout_config(timeouts());
        if let Some(endpoint) = &self.endpoint {
            config = config.endpoint_url(endpoint);
        }
        let client = aws_sdk_secretsmanager::Client::from_conf(config.build());
        let mut answer = client
            .get_secret_value()
            .secret_id(secret_id)
            .send()
            .await
            .map_err(|e| self.failed(e, "secretsmanager:GetSecretValue", secret_id))?;
        let version = answer.version_id.take().unwrap_or_default();
        let Some(mut text) = answer.secret_string.take().map(Zeroizing::new) else {
            // A binary secret is refused, its bytes wiped first.
            let binary = answer
                .secret_binary
                .take()
                .map(|blob| blob.into_inner().zeroize());
            return Err(if binary.is_some() {
                AwsError::Binary {
                    server: self.server.clone(),
                    secret: secret_id.to_owned(),
                }
            } else {
                AwsError::Service {
                    server: self.server.clone(),
                    action: "secretsmanager:GetSecretValue",
                    resource: secret_id.to_owned(),
                    code: "an answer with neither SecretString nor SecretBinary".into(),
                    status: 200,
                }
            });
        };
        drop(answer);
        let value = match key {
            None => Secret::new(std::mem::take(&mut *text)),
            Some(key) => self.key_of(&text, secret_id, key)?,
        };
        Ok(AwsSecret { value, version })
    }

    /// `key` of the JSON object `text`; every other value is dropped unread (wiped).
    fn key_of(&self, text: &str, secret: &str, key: &str) -> Result<Secret, AwsError> {
        let Ok(mut object) = serde_json::from_str::<BTreeMap<String, SecretValue>>(text) else {
            return Err(AwsError::NotJson {
                server: self.server.clone(),
                secret: secret.to_owned(),
                key: key.to_owned(),
            });
        };
        match object.remove(key) {
            Some(SecretValue::Text(value)) => Ok(value),
            Some(SecretValue::Other) => Err(AwsError::NotText {
                server: self.server.clone(),
                secret: secret.to_owned(),
                key: key.to_owned(),
            }),
            None => Err(AwsError::KeyMissing {
                server: self.server.clone(),
                secret: secret.to_owned(),
                key: key.to_owned(),
                available: object.into_keys().collect(),
            }),
        }
    }

    /// The access key, or the temporary keys of a session of the role.
    async fn credentials(&self) -> Result<Credentials, AwsError> {
        let own = Credentials::new(
            &self.keys.access_key_id,
            self.keys.secret_access_key.expose(),
            None,
            None,
            "latchkey",
        );
        let Some(role_arn) = &self.role_arn else {
            return Ok(own);
        };
        let mut config = aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new(self.region.to_string()))
            .credentials_provider(own)
            .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
            .timeout_config(timeouts());
        if let Some(endpoint) = &self.endpoint {
            config = config.endpoint_url(endpoint);
        }
        let sts = aws_sdk_sts::Client::from_conf(config.build());
        let session = sts
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(SESSION_NAME)
            .duration_seconds(SESSION_SECONDS)
            .send()
            .await
            .map_err(|e| self.failed(e, "sts:AssumeRole", role_arn))?;
        let keys = session.credentials.ok_or_else(|| AwsError::Service {
            server: self.server.clone(),
            action: "sts:AssumeRole",
            resource: role_arn.clone(),
            code: "an answer without Credentials".into(),
            status: 200,
        })?;
        Ok(Credentials::new(
            keys.access_key_id(),
            keys.secret_access_key(),
            Some(keys.session_token().to_owned()),
            None,
            "latchkey-assumed-role",
        ))
    }

    /// What a failed call means, by AWS's error code; never with its message (which may
    /// quote the request) or a key.
    fn failed<E>(
        &self,
        error: SdkError<E, HttpResponse>,
        action: &'static str,
        resource: &str,
    ) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let server = self.server.clone();
        let resource = resource.to_owned();
        match error {
            SdkError::ServiceError(service) => {
                let status = service.raw().status().as_u16();
                let code = (service.err().code().map(str::to_owned))
                    .or_else(|| xml_code(service.raw().body().bytes().unwrap_or_default()))
                    .unwrap_or_else(|| "no error code".to_owned());
                match code.as_str() {
                    "ResourceNotFoundException" => AwsError::NotFound {
                        server,
                        secret: resource,
                    },
                    "AccessDeniedException" | "AccessDenied" | "AuthorizationError" => {
                        AwsError::AccessDenied {
                            server,
                            action,
                            resource,
                            code,
                        }
                    }
                    "UnrecognizedClientException"
                    | "InvalidClientTokenId"
                    | "InvalidSignatureException"
                    | "SignatureDoesNotMatch"
                    | "ExpiredTokenException"
                    | "ExpiredToken"
                    | "AuthFailure" => AwsError::KeysRejected {
                        server,
                        access_key_id: self.keys.access_key_id.clone(),
                        code,
                    },
                    _ => AwsError::Service {
                        server,
                        action,
                        resource,
                        code,
                        status,
                    },
                }
            }
            SdkError::TimeoutError(_) => AwsError::Unreachable {
                server,
                reason: "no answer in time".into(),
            },
            SdkError::DispatchFailure(failure) => AwsError::Unreachable {
                server,
                reason: if failure.is_timeout() {
                    "the connection timed out".into()
                } else if failure.is_io() {
                    "the connection failed (refused, reset, or no route)".into()
                } else {
                    failure
                        .as_connector_error()
                        .and_then(|c| c.source())
                        .map_or_else(|| "the request could not be sent".into(), |s| s.to_string())
                },
            },
            SdkError::ResponseError(_) => AwsError::Unreachable {
                server,
                reason: format!("the answer to {action} is not one AWS documents"),
            },
            _ => AwsError::InvalidArgument(format!("{action} could not be made for {resource}")),
        }
    }
}

/// The `<Code>` of an error answered in the XML shape of AWS's query protocol, as IAM and
/// STS answer, and as moto answers an IAM refusal of any service; `None` for anything else.
/// Only a code's characters are taken, never other text of the answer.
fn xml_code(body: &[u8]) -> Option<String> {
    let body = std::str::from_utf8(body).ok()?;
    let start = body.find("<Code>")? + "<Code>".len();
    let len = body[start..].find("</Code>")?;
    let code = &body[start..start + len];
    (!code.is_empty() && code.len() <= 64 && code.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| code.to_owned())
}

fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`: lower-case letters, digits and
/// dashes, starting with a letter.
fn is_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 32
        && region.starts_with(|c: char| c.is_ascii_lowercase())
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !region.ends_with('-')
}
