//! A call with the session: the path and query for the host's API flavor, the session header
//! (marked sensitive, so no `Debug` prints it), one renewal on 401, and statuses made into
//! [`VsphereError`]s naming vCenter's own error type. `/rest` answers are unwrapped from
//! `{"value": …}`.

use latchkey_http::{Repeat, Reply, endpoint};
use reqwest::header::{ACCEPT, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tracing::debug;

use crate::session::{SESSION_HEADER, Session};
use crate::{ApiFlavor, VsphereClient, VsphereError};

/// Where a call goes for one API flavor.
#[derive(Debug)]
pub(crate) struct Route {
    pub method: Method,
    /// Relative to the base, no leading `/`.
    pub path: String,
    pub query: Vec<(String, String)>,
}

impl Route {
    pub(crate) fn get(path: impl Into<String>) -> Self {
        Self {
            method: Method::GET,
            path: path.into(),
            query: Vec::new(),
        }
    }

    pub(crate) fn post(path: impl Into<String>) -> Self {
        Self {
            method: Method::POST,
            ..Self::get(path)
        }
    }

    pub(crate) fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }
}

/// A 2xx answer and how the call was named.
pub(crate) struct Answer {
    pub api: ApiFlavor,
    pub endpoint: String,
    pub reply: Reply,
}

impl VsphereClient {
    /// GETs the route for this host's flavor and reads the answer as `T`.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        route: impl Fn(ApiFlavor) -> Route,
    ) -> Result<T, VsphereError> {
        let answer = self.call(Repeat::Safe, route).await?;
        self.parse(&answer)
    }

    /// Sends the call with the session, renewing the session once on 401. 2xx only.
    pub(crate) async fn call(
        &self,
        repeat: Repeat,
        route: impl Fn(ApiFlavor) -> Route,
    ) -> Result<Answer, VsphereError> {
        let mut renewed = false;
        loop {
            let session = self.session().await?;
            let Route {
                method,
                path,
                query,
            } = route(session.api);
            let url = self.url(&path)?;
            let endpoint = endpoint(&method, &path);
            let header = session_header(&session)?;
            let transport = &self.inner.transport;
            let reply = transport
                .exchange(&endpoint, repeat, || {
                    transport
                        .http()
                        .request(method.clone(), url.clone())
                        .query(&query)
                        .header(ACCEPT, "application/json")
                        .header(SESSION_HEADER, header.clone())
                })
                .await
                .map_err(|e| self.transport_error(e))?;
            match reply.status {
                StatusCode::UNAUTHORIZED if !renewed => {
                    debug!(%endpoint, "session refused; logging in again and retrying once");
                    self.session_rejected(&session).await;
                    renewed = true;
                }
                status if status.is_success() => {
                    return Ok(Answer {
                        api: session.api,
                        endpoint,
                        reply,
                    });
                }
                _ => return Err(self.refusal(&reply, &endpoint, renewed, &session)),
            }
        }
    }

    /// Reads a 2xx answer as `T`, unwrapping `/rest`'s `{"value": …}`.
    pub(crate) fn parse<T: DeserializeOwned>(&self, answer: &Answer) -> Result<T, VsphereError> {
        #[derive(Deserialize)]
        struct Wrapped<T> {
            value: T,
        }
        let body = &answer.reply.body;
        let parsed = match answer.api {
            ApiFlavor::Api => serde_json::from_slice::<T>(body),
            ApiFlavor::Rest => serde_json::from_slice::<Wrapped<T>>(body).map(|w| w.value),
        };
        parsed.map_err(|e| VsphereError::Parse {
            server: self.server().to_owned(),
            endpoint: answer.endpoint.clone(),
            detail: format!("invalid JSON: {e}"),
        })
    }

    /// The error for a status that is not a success (after the one renewal, if any).
    fn refusal(
        &self,
        reply: &Reply,
        endpoint: &str,
        renewed: bool,
        session: &Session,
    ) -> VsphereError {
        let server = self.server().to_owned();
        let endpoint = endpoint.to_owned();
        match reply.status.as_u16() {
            401 => VsphereError::Auth {
                server,
                endpoint,
                status: 401,
                tried: if renewed {
                    "logged in again and retried once; vCenter still refused the session".into()
                } else {
                    "the session was refused".into()
                },
            },
            403 => VsphereError::Auth {
                server,
                endpoint,
                status: 403,
                tried: format!(
                    "user {:?} lacks the privilege for this call; grant it a role that has it",
                    self.inner.username
                ),
            },
            404 => VsphereError::NotFound {
                server,
                what: endpoint,
            },
            status => VsphereError::Http {
                server,
                endpoint,
                status,
                detail: self.scrub(&error_detail(&reply.body), session),
            },
        }
    }

    /// `text` without the password or the session id, should vCenter have echoed them.
    fn scrub(&self, text: &str, session: &Session) -> String {
        let mut out = text.to_owned();
        for hidden in [self.inner.password.expose(), session.id()] {
            if !hidden.is_empty() {
                out = out.replace(hidden, "[redacted]");
            }
        }
        out
    }
}

pub(crate) fn session_header(session: &Session) -> Result<HeaderValue, VsphereError> {
    let mut value = HeaderValue::from_str(session.id()).map_err(|_| {
        VsphereError::InvalidArgument("vCenter gave a session id that is not a header value".into())
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// vCenter's error as `ERROR_TYPE: first message`, from `/api` (`error_type`, `messages`) or
/// `/rest` (`type`, `value.messages`) bodies; cut short, control characters dropped.
pub(crate) fn error_detail(body: &[u8]) -> String {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Message {
        default_message: Option<String>,
    }
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Std {
        error_type: Option<String>,
        messages: Vec<Message>,
    }
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Legacy {
        #[serde(rename = "type")]
        kind: Option<String>,
        value: Std,
    }
    let Ok(legacy) = serde_json::from_slice::<Legacy>(body) else {
        return "no error details".into();
    };
    let std = serde_json::from_slice::<Std>(body).unwrap_or_default();
    let kind = std
        .error_type
        .or_else(|| {
            legacy.kind.map(|k| {
                k.rsplit('.')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_uppercase()
            })
        })
        .unwrap_or_else(|| "ERROR".into());
    let message = std
        .messages
        .into_iter()
        .chain(legacy.value.messages)
        .find_map(|m| m.default_message)
        .unwrap_or_default();
    let text: String = format!("{kind}: {message}")
        .chars()
        .filter(|c| !c.is_control())
        .take(300)
        .collect();
    text.trim_end_matches([':', ' ']).to_owned()
}

/// Whether `e` is vCenter saying a list would return more than its cap.
pub(crate) fn is_over_list_cap(e: &VsphereError) -> bool {
    matches!(e, VsphereError::Http { detail, .. } if detail.starts_with("UNABLE_TO_ALLOCATE_RESOURCE"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_error_shapes_are_read() {
        let api = br#"{"error_type":"UNABLE_TO_ALLOCATE_RESOURCE","messages":[{"id":"x","default_message":"Too many virtual machines. Add more filter criteria.","args":[]}]}"#;
        assert_eq!(
            error_detail(api),
            "UNABLE_TO_ALLOCATE_RESOURCE: Too many virtual machines. Add more filter criteria."
        );
        let rest = br#"{"type":"com.vmware.vapi.std.errors.already_in_desired_state","value":{"messages":[{"default_message":"Virtual machine is already powered on.\n"}]}}"#;
        assert_eq!(
            error_detail(rest),
            "ALREADY_IN_DESIRED_STATE: Virtual machine is already powered on."
        );
        assert_eq!(error_detail(b"<html>"), "no error details");
        assert_eq!(error_detail(b"{}"), "ERROR");
    }
}
