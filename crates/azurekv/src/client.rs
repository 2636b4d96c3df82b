//! A secret by name (its latest version, or one version) from a vault, read as a service
//! principal signed in with its client secret.

use std::sync::Arc;
use std::time::Duration;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::error::ErrorKind;
use azure_core::http::{ClientOptions, RetryOptions, Transport};
use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};
use azure_security_keyvault_secrets::models::SecretClientGetSecretOptions;
use azure_security_keyvault_secrets::{SecretClient, SecretClientOptions};
use latchkey_http::{Secret, SecretValue, TransportOptions};
use reqwest::ClientBuilder;
use serde::Deserialize;

use crate::AzureError;

/// A service principal: its tenant, its application (client) id, and its client secret.
#[derive(Debug)]
pub struct Principal {
    /// The directory (tenant) id, a GUID or a domain.
    pub tenant_id: String,
    /// The application (client) id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: Secret,
}

/// A value read from Key Vault, and the version it came from.
#[derive(Debug)]
pub struct AzureSecret {
    /// The secret's value.
    pub value: Secret,
    /// The version (the last segment of the secret's `id`).
    pub version: String,
}

/// One vault, read as one service principal.
pub struct KeyVault {
    server: String,
    authority: String,
    tenant_id: String,
    client_id: String,
    secrets: SecretClient,
}

impl std::fmt::Debug for KeyVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyVault")
            .field("server", &self.server)
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// How long a connection may take to be made, and a whole read (the challenge, the sign-in
/// and the read). A read is made once, never retried by the SDK: it is part of an unlock a
/// person is waiting for, and its error tells them why.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Azure's public cloud, where a principal signs in unless its credential names another.
const PUBLIC_AUTHORITY: &str = "login.microsoftonline.com";

impl KeyVault {
    /// A client of the vault at `vault_url` (https), signing in at `authority_host` (https;
    /// Azure's public cloud when `None`) as `principal`, over the system's trusted roots.
    pub fn new(
        vault_url: &str,
        authority_host: Option<&str>,
        principal: Principal,
    ) -> Result<KeyVault, AzureError> {
        KeyVault::configured(vault_url, authority_host, principal, |b| b)
    }

    /// [`KeyVault::new`] with `configure` adding to the HTTP client's builder (a test adds its
    /// stand-in's certificate and address).
    pub fn configured(
        vault_url: &str,
        authority_host: Option<&str>,
        principal: Principal,
        configure: impl FnOnce(ClientBuilder) -> ClientBuilder,
    ) -> Result<KeyVault, AzureError> {
        let vault = https_base("vault URL", vault_url, "https://contoso.vault.azure.net")?;
        let (cloud, authority) = match authority_host {
            None => (CloudConfiguration::AzurePublic, PUBLIC_AUTHORITY.to_owned()),
            Some(host) => {
                let url = https_base("authority host", host, "https://login.microsoftonline.us")?;
                let mut custom = CustomConfiguration::default();
                custom.authority_host = url.as_str().trim_end_matches('/').to_owned();
                (custom.into(), latchkey_http::server_of(&url))
            }
        };
        let options = TransportOptions {
            connect_timeout: CONNECT_TIMEOUT,
            request_timeout: READ_TIMEOUT,
            ..TransportOptions::default()
        };
        // Latchkey's own client (rustls, timeouts, https only) is the SDK's transport; Azure's
        // REST guidelines have no redirects, so none is followed.
        let http = latchkey_http::Transport::new(vault.clone(), options, |b| {
            configure(b.redirect(reqwest::redirect::Policy::none()))
        })
        .map_err(AzureError::InvalidArgument)?
        .http()
        .clone();
        let client_options = ClientOptions {
            transport: Some(Transport::new(Arc::new(http))),
            retry: RetryOptions::none(),
            // Always a cloud of our own choosing: without one the SDK reads the authority
            // from the environment (AZURE_AUTHORITY_HOST).
            cloud: Some(Arc::new(cloud)),
            ..ClientOptions::default()
        };
        let Principal {
            tenant_id,
            client_id,
            client_secret,
        } = principal;
        let tenant_id = tenant_id.trim().to_owned();
        let client_id = client_id.trim().to_owned();
        if tenant_id.is_empty()
            || !(tenant_id.chars()).all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            return Err(AzureError::InvalidArgument(
                "the tenant id must be a GUID or a domain such as contoso.onmicrosoft.com".into(),
            ));
        }
        if client_id.is_empty() || client_secret.expose().is_empty() {
            return Err(AzureError::InvalidArgument(
                "an Azure sign-in needs a client id and a client secret".into(),
            ));
        }
        // The SDK keeps its own copy of the client secret (its `Secret` is not wiped).
        let credential = ClientSecretCredential::new(
            &tenant_id,
            client_id.clone(),
            client_secret.expose().to_owned().into(),
            Some(ClientSecretCredentialOptions {
                client_options: client_options.clone(),
            }),
        )
        .map_err(|_| AzureError::InvalidArgument("the Azure sign-in cannot be set up".into()))?;
        let secrets = SecretClient::new(
            vault.as_str(),
            credential,
            Some(SecretClientOptions {
                client_options,
                // The vault's host must lie under the resource its challenge names, so a
                // token is never asked for (and sent to) anything else.
                verify_challenge_resource: Some(true),
                ..SecretClientOptions::default()
            }),
        )
        .map_err(|_| AzureError::InvalidArgument("the vault URL cannot be used".into()))?;
        Ok(KeyVault {
            server: latchkey_http::server_of(&vault),
            authority,
            tenant_id,
            client_id,
            secrets,
        })
    }

    /// The vault's host (and port when not 443).
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The secret `name`'s value: its latest version, or `version`.
    pub async fn read(&self, name: &str, version: Option<&str>) -> Result<AzureSecret, AzureError> {
        if name.is_empty()
            || name.len() > 127
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(AzureError::InvalidArgument(
                "a Key Vault secret's name is 1 to 127 letters, digits and dashes".into(),
            ));
        }
        if version.is_some_and(|v| v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric())) {
            return Err(AzureError::InvalidArgument(
                "a Key Vault secret's version is letters and digits".into(),
            ));
        }
        let options = SecretClientGetSecretOptions {
            secret_version: version.map(str::to_owned),
            ..SecretClientGetSecretOptions::default()
        };
        let answer =
            tokio::time::timeout(READ_TIMEOUT, self.secrets.get_secret(name, Some(options)))
                .await
                .map_err(|_| AzureError::Unreachable {
                    server: self.server.clone(),
                    reason: "no answer in time".into(),
                })?
                .map_err(|e| self.failed(&e, name, version))?;
        let protocol = |reason| AzureError::Protocol {
            server: self.server.clone(),
            reason,
        };
        let answer: Answer = serde_json::from_slice(answer.body().as_ref())
            .map_err(|_| protocol("its answer is not a secret bundle"))?;
        if answer.attributes.and_then(|a| a.enabled) == Some(false) {
            return Err(AzureError::Disabled {
                server: self.server.clone(),
                secret: name.to_owned(),
            });
        }
        let Some(SecretValue::Text(value)) = answer.value else {
            return Err(protocol("its answer has no text value"));
        };
        let version = (answer.id.as_deref())
            .and_then(|id| id.trim_end_matches('/').rsplit('/').next())
            .unwrap_or_default()
            .to_owned();
        Ok(AzureSecret { value, version })
    }

    /// What a failed read means: the sign-in refused (by its AADSTS code), the vault's
    /// refusal (by its code and inner code), unreachable, or an answer Key Vault does not
    /// send. Never with Azure's message text, which may quote the request.
    fn failed(&self, error: &azure_core::Error, name: &str, version: Option<&str>) -> AzureError {
        let chain = || causes(error);
        let azure = || chain().filter_map(|e| e.downcast_ref::<azure_core::Error>());
        let sign_in = azure().any(|e| matches!(e.kind(), ErrorKind::Credential));
        if let Some(ErrorKind::HttpResponse {
            status,
            error_code,
            raw_response,
        }) = azure()
            .map(azure_core::Error::kind)
            .find(|k| matches!(k, ErrorKind::HttpResponse { .. }))
        {
            let body = raw_response
                .as_ref()
                .map(|r| r.body().as_ref())
                .unwrap_or_default();
            let status = u16::from(*status);
            return if sign_in {
                self.sign_in_refused(error_code.as_deref(), body, status)
            } else {
                self.vault_refused(error_code.as_deref(), body, status, name, version)
            };
        }
        if let Some(http) = chain().find_map(|e| e.downcast_ref::<reqwest::Error>()) {
            let server = http
                .url()
                .map(latchkey_http::server_of)
                .unwrap_or_else(|| self.server.clone());
            let reason = if http.is_timeout() {
                "no answer in time".to_owned()
            } else {
                // The innermost cause: refused, reset, a name that does not resolve, a
                // certificate not trusted. It never holds a request or an answer.
                let mut cause: &dyn std::error::Error = http;
                while let Some(next) = cause.source() {
                    cause = next;
                }
                cause.to_string()
            };
            return AzureError::Unreachable { server, reason };
        }
        let protocol = |reason| AzureError::Protocol {
            server: self.server.clone(),
            reason,
        };
        if chain().any(|e| e.to_string().contains("doesn't match the requested domain")) {
            protocol(
                "its sign-in challenge names a resource the vault's host is not part of, so no \
                 token was asked for",
            )
        } else if sign_in {
            protocol("the sign-in's answer could not be read")
        } else {
            protocol("its answer could not be read")
        }
    }

    fn sign_in_refused(&self, codes: Option<&str>, body: &[u8], status: u16) -> AzureError {
        let oauth = serde_json::from_slice::<OAuthError>(body)
            .ok()
            .and_then(|e| e.error);
        let first = codes
            .and_then(|c| c.split(',').next())
            .filter(|c| !c.is_empty());
        let Some(first) = first else {
            return AzureError::Service {
                what: format!("the sign-in at {}", self.authority),
                code: oauth.unwrap_or_else(|| "no error code".into()),
                status,
            };
        };
        let (reason, advice) = match first {
            "7000215" | "7000222" => (
                "the client secret is not valid (a wrong or an expired one)",
                "rotate the Azure credential with a current client secret",
            ),
            "700016" => (
                "the tenant has no application with that client id",
                "check the credential's client id and tenant id",
            ),
            "90002" => (
                "there is no such tenant",
                "check the credential's tenant id (a GUID or a domain such as contoso.onmicrosoft.com)",
            ),
            _ => (
                "Microsoft Entra ID gave this code",
                "see https://login.microsoftonline.com/error?code= and the code's number",
            ),
        };
        AzureError::SignInRefused {
            tenant_id: self.tenant_id.clone(),
            client_id: self.client_id.clone(),
            reason,
            code: format!("AADSTS{first}"),
            advice,
        }
    }

    fn vault_refused(
        &self,
        code: Option<&str>,
        body: &[u8],
        status: u16,
        name: &str,
        version: Option<&str>,
    ) -> AzureError {
        let error = serde_json::from_slice::<VaultErrorBody>(body)
            .ok()
            .and_then(|b| b.error);
        let code = code
            .map(str::to_owned)
            .or_else(|| error.as_ref().and_then(|e| e.code.clone()))
            .unwrap_or_else(|| "no error code".into());
        let inner = error.and_then(|e| e.innererror).and_then(|i| i.code);
        let server = self.server.clone();
        let secret = name.to_owned();
        match (status, code.as_str(), inner.as_deref()) {
            (404, ..) | (_, "SecretNotFound", _) => AzureError::NotFound {
                server,
                secret,
                version: version.map(str::to_owned),
            },
            (_, _, Some("SecretDisabled")) => AzureError::Disabled { server, secret },
            (403, ..) => AzureError::Forbidden {
                server,
                client_id: self.client_id.clone(),
                secret,
                code: match inner {
                    Some(inner) => format!("{code}/{inner}"),
                    None => code,
                },
            },
            _ => AzureError::Service {
                what: format!("secret {secret} in Azure Key Vault {server}"),
                code: match inner {
                    Some(inner) => format!("{code}/{inner}"),
                    None => code,
                },
                status,
            },
        }
    }
}

/// `error` and every error under it.
fn causes<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error), |&e| e.source())
}

/// `url` checked as a base: https only (Azure's sign-in and vaults are), no credentials,
/// query or fragment.
fn https_base(what: &str, url: &str, example: &str) -> Result<reqwest::Url, AzureError> {
    let url = latchkey_http::parse_base(url, example)
        .map_err(|why| AzureError::InvalidArgument(format!("the {what}: {why}")))?;
    if url.scheme() != "https" {
        return Err(AzureError::InvalidArgument(format!(
            "the {what} must start with https://"
        )));
    }
    Ok(url)
}

/// The fields of a secret bundle Latchkey reads; the value into a wiped buffer.
#[derive(Deserialize)]
struct Answer {
    value: Option<SecretValue>,
    id: Option<String>,
    attributes: Option<Attributes>,
}

#[derive(Deserialize)]
struct Attributes {
    enabled: Option<bool>,
}

/// `{"error":"invalid_client",…}`: only the OAuth error's name is read.
#[derive(Deserialize)]
struct OAuthError {
    error: Option<String>,
}

/// `{"error":{"code":"Forbidden","innererror":{"code":"ForbiddenByRbac"}}}`: only the codes.
#[derive(Deserialize)]
struct VaultErrorBody {
    error: Option<VaultError>,
}

#[derive(Deserialize)]
struct VaultError {
    code: Option<String>,
    innererror: Option<InnerError>,
}

#[derive(Deserialize)]
struct InnerError {
    code: Option<String>,
}
