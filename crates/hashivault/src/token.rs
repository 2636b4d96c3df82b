//! The token every call carries, and its life: an AppRole client logs in for one
//! (`auth/approle/login`); a token client looks its own up first (`auth/token/lookup-self`)
//! to learn when it expires. A token with less than a third of its lease left is renewed
//! (`auth/token/renew-self`) when it is renewable; when it cannot be, an AppRole client logs
//! in again and a token client goes on until it expires, then fails with
//! [`VaultError::TokenExpired`]. One login or renewal at a time: callers wait for it.

use std::sync::Arc;
use std::time::Duration;

use latchkey_http::{Reply, Secret};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use tracing::debug;
use zeroize::{Zeroize, Zeroizing};

use crate::client::{Call, vault_message};
use crate::{Auth, VaultClient, VaultError};

/// What Vault says of a token: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// Time left before it expires; `None` when it never does (a root token).
    pub ttl: Option<Duration>,
    /// Whether `renew-self` may extend it.
    pub renewable: bool,
    /// Its policies.
    pub policies: Vec<String>,
}

/// The token in use, if any, and a counter so a refusal drops only the token it was for.
#[derive(Default)]
pub(crate) struct TokenState {
    current: Option<Token>,
    generation: u64,
}

/// A token and its lease. Cheap to clone; the token is zeroized with the last clone.
#[derive(Clone)]
pub(crate) struct Token {
    pub(crate) value: Arc<Secret>,
    /// When it expires (`None`: never).
    expires: Option<Instant>,
    /// Its lease when issued or last renewed; renewal is due when a third of it is left.
    lease: Duration,
    renewable: bool,
    generation: u64,
}

impl Token {
    fn new(value: Secret, info: &TokenInfo) -> Self {
        Self {
            value: Arc::new(value),
            expires: info.ttl.map(|ttl| Instant::now() + ttl),
            lease: info.ttl.unwrap_or_default(),
            renewable: info.renewable,
            generation: 0,
        }
    }

    fn left(&self) -> Option<Duration> {
        self.expires
            .map(|at| at.saturating_duration_since(Instant::now()))
    }

    fn due_for_renewal(&self) -> bool {
        self.left().is_some_and(|left| left < self.lease / 3)
    }
}

/// The `auth` of a login or renewal answer.
#[derive(Deserialize)]
struct AuthAnswer {
    auth: Option<IssuedToken>,
}

#[derive(Deserialize)]
struct IssuedToken {
    client_token: String,
    #[serde(default)]
    lease_duration: u64,
    #[serde(default)]
    renewable: bool,
    #[serde(default)]
    policies: Vec<String>,
}

/// The `data` of a lookup answer (which also holds the token as `id`: not read here).
#[derive(Deserialize)]
struct LookupAnswer {
    data: Option<LookedUp>,
}

#[derive(Deserialize)]
struct LookedUp {
    #[serde(default)]
    ttl: u64,
    #[serde(default)]
    expire_time: Option<String>,
    #[serde(default)]
    renewable: bool,
    #[serde(default)]
    policies: Vec<String>,
}

impl VaultClient {
    /// The token to use now, logging in, looking it up or renewing it first as needed.
    pub(crate) async fn token(&self) -> Result<Token, VaultError> {
        let mut state = self.inner.token.lock().await;
        if let Some(token) = &state.current {
            if !token.due_for_renewal() {
                return Ok(token.clone());
            }
            if token.renewable {
                match self.renew(&token.value, None).await {
                    Ok(info) => {
                        let renewed = Token {
                            generation: token.generation,
                            ..Token::new(Secret::new(token.value.expose().to_owned()), &info)
                        };
                        debug!(server = %self.server(), "token renewed");
                        state.current = Some(renewed.clone());
                        return Ok(renewed);
                    }
                    Err(VaultError::TokenRejected { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            let still_valid = token.left().is_some_and(|left| !left.is_zero());
            match (&self.inner.auth, still_valid) {
                (Auth::AppRole { .. }, _) => {}
                (Auth::Token(_), true) => return Ok(token.clone()),
                (Auth::Token(_), false) => {
                    return Err(VaultError::TokenExpired {
                        server: self.server().to_owned(),
                    });
                }
            }
        }
        let (token, _) = self.fresh_token().await?;
        Ok(store(&mut state, token))
    }

    /// Logs in with the AppRole, or looks the token up: the token's lease from now on.
    pub async fn login(&self) -> Result<TokenInfo, VaultError> {
        let mut state = self.inner.token.lock().await;
        let (token, info) = self.fresh_token().await?;
        store(&mut state, token);
        Ok(info)
    }

    /// What Vault says of the token in use (logging in first when there is none).
    pub async fn lookup_self(&self) -> Result<TokenInfo, VaultError> {
        let token = self.token().await?;
        self.lookup(&token.value).await
    }

    /// Extends the token in use by `increment` (Vault's default when `None`), as far as its
    /// policy and maximum TTL allow; its new lease.
    pub async fn renew_self(&self, increment: Option<Duration>) -> Result<TokenInfo, VaultError> {
        let token = self.token().await?;
        let info = self.renew(&token.value, increment).await?;
        let mut state = self.inner.token.lock().await;
        if state
            .current
            .as_ref()
            .is_some_and(|t| t.generation == token.generation)
        {
            state.current = Some(Token {
                generation: token.generation,
                ..Token::new(Secret::new(token.value.expose().to_owned()), &info)
            });
        }
        Ok(info)
    }

    /// After a 403: whether Vault still takes `token` (then the 403 was its policy's). A
    /// token it no longer takes is forgotten, so an AppRole client logs in again.
    pub(crate) async fn still_valid(&self, token: &Token) -> Result<bool, VaultError> {
        match self.lookup(&token.value).await {
            Ok(_) => Ok(true),
            Err(VaultError::TokenRejected { .. }) => {
                let mut state = self.inner.token.lock().await;
                if state
                    .current
                    .as_ref()
                    .is_some_and(|t| t.generation == token.generation)
                {
                    state.current = None;
                }
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// Whether a refused token is worth replacing by logging in again.
    pub(crate) fn can_log_in_again(&self) -> bool {
        matches!(self.inner.auth, Auth::AppRole { .. })
    }

    /// A token from an AppRole login, or the configured token after looking it up.
    async fn fresh_token(&self) -> Result<(Token, TokenInfo), VaultError> {
        match &self.inner.auth {
            Auth::Token(token) => {
                let info = self.lookup(token).await?;
                let token = Secret::new(token.expose().to_owned());
                Ok((Token::new(token, &info), info))
            }
            Auth::AppRole { role_id, secret_id } => {
                let (token, info) = self.approle_login(role_id, secret_id).await?;
                Ok((Token::new(token, &info), info))
            }
        }
    }

    async fn approle_login(
        &self,
        role_id: &str,
        secret_id: &Secret,
    ) -> Result<(Secret, TokenInfo), VaultError> {
        let mut call = Call::new(Method::POST, vec!["auth", "approle", "login"], None);
        let body = serde_json::json!({ "role_id": role_id, "secret_id": secret_id.expose() });
        call.body = Some(Zeroizing::new(body.to_string().into_bytes()));
        let (endpoint, mut reply) = self.send(call).await?;
        let outcome = match reply.status.as_u16() {
            200..=299 => self.issued(&endpoint, &reply),
            status @ (400 | 401 | 403) => Err(VaultError::LoginRefused {
                server: self.server().to_owned(),
                role_id: role_id.to_owned(),
                status,
                detail: vault_message(&reply.body),
            }),
            _ => Err(self.status_error(endpoint, &reply)),
        };
        reply.body.zeroize();
        debug!(server = %self.server(), ok = outcome.is_ok(), "AppRole login");
        outcome
    }

    async fn lookup(&self, token: &Secret) -> Result<TokenInfo, VaultError> {
        let call = Call::new(
            Method::GET,
            vec!["auth", "token", "lookup-self"],
            Some(token),
        );
        let (endpoint, mut reply) = self.send(call).await?;
        let outcome = match reply.status.as_u16() {
            200..=299 => self
                .parse::<LookupAnswer>(&endpoint, &reply.body, "a token lookup")
                .and_then(|a| {
                    a.data
                        .ok_or_else(|| self.shape(&endpoint, "it has no data"))
                })
                .map(|d| TokenInfo {
                    // ttl 0 without an expiry time: a token that never expires.
                    ttl: (d.ttl > 0 || d.expire_time.is_some()).then(|| Duration::from_secs(d.ttl)),
                    renewable: d.renewable,
                    policies: d.policies,
                }),
            // Vault answers a token it does not know (expired, revoked) with 403.
            401 | 403 => Err(VaultError::TokenRejected {
                server: self.server().to_owned(),
            }),
            _ => Err(self.status_error(endpoint, &reply)),
        };
        reply.body.zeroize();
        outcome
    }

    async fn renew(
        &self,
        token: &Secret,
        increment: Option<Duration>,
    ) -> Result<TokenInfo, VaultError> {
        let mut call = Call::new(
            Method::POST,
            vec!["auth", "token", "renew-self"],
            Some(token),
        );
        let body = match increment {
            Some(increment) => {
                serde_json::json!({ "increment": format!("{}s", increment.as_secs()) })
            }
            None => serde_json::json!({}),
        };
        call.body = Some(Zeroizing::new(body.to_string().into_bytes()));
        let (endpoint, mut reply) = self.send(call).await?;
        let outcome = match reply.status.as_u16() {
            200..=299 => self.issued(&endpoint, &reply).map(|(_, info)| info),
            401 | 403 => Err(VaultError::TokenRejected {
                server: self.server().to_owned(),
            }),
            _ => Err(self.status_error(endpoint, &reply)),
        };
        reply.body.zeroize();
        outcome
    }

    /// The token and its lease from a login or renewal answer.
    fn issued(&self, endpoint: &str, reply: &Reply) -> Result<(Secret, TokenInfo), VaultError> {
        let answer: AuthAnswer = self.parse(endpoint, &reply.body, "a token answer")?;
        let mut issued = answer
            .auth
            .ok_or_else(|| self.shape(endpoint, "it has no auth"))?;
        let token = Secret::new(std::mem::take(&mut issued.client_token));
        if token.expose().is_empty() {
            return Err(self.shape(endpoint, "it has no client_token"));
        }
        let info = TokenInfo {
            ttl: (issued.lease_duration > 0).then(|| Duration::from_secs(issued.lease_duration)),
            renewable: issued.renewable,
            policies: issued.policies,
        };
        Ok((token, info))
    }

    fn shape(&self, endpoint: &str, detail: &str) -> VaultError {
        VaultError::Shape {
            server: self.server().to_owned(),
            endpoint: endpoint.to_owned(),
            detail: detail.to_owned(),
        }
    }
}

/// Makes `token` the current one, with the next generation.
fn store(state: &mut TokenState, mut token: Token) -> Token {
    state.generation += 1;
    token.generation = state.generation;
    state.current = Some(token.clone());
    token
}
