//! Calls that change something in Jamf Pro. Once a change may have reached the server it is
//! never sent again by the client: only a connection that could not be made is retried
//! ([`Repeat::UntilSent`]), and a 5xx or a timeout becomes [`JamfError::Unconfirmed`], which
//! says the change may or may not have been made. A 401 is the one answer after which the
//! same request goes again (with a new token): a refused token means nothing was done.
//!
//! What the server says about a refusal is passed on ([`JamfError::Rejected`]), cut short,
//! without control characters, and with the client's secret and token blanked out, since a
//! hostile server could echo either back.

use reqwest::header::ACCEPT;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::debug;

use crate::auth::Token;
use crate::transport::{Repeat, endpoint, refusal};
use crate::{Auth, JamfClient, JamfError, lenient};

/// Causes quoted from one refusal; Jamf lists one per invalid field.
const MAX_CAUSES: usize = 3;
/// Characters quoted from one refusal.
const MAX_DETAIL: usize = 300;

/// Jamf's error body: `{"httpStatus": 400, "errors": [{"code", "field", "description"}]}`.
#[derive(Default, Deserialize)]
#[serde(default)]
struct ApiError {
    #[serde(deserialize_with = "lenient::list")]
    errors: Vec<ApiErrorCause>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ApiErrorCause {
    #[serde(deserialize_with = "lenient::string")]
    field: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    description: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    code: Option<String>,
}

impl JamfClient {
    /// POSTs `body` (none: an empty request) to `path` and reads the 2xx answer as `T`.
    pub(crate) async fn post_change<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, JamfError> {
        let url = self.url(path)?;
        let endpoint = endpoint(&Method::POST, path);
        let mut refreshed = false;
        loop {
            let token = self.token().await?;
            let reply = self
                .exchange(&endpoint, Repeat::UntilSent, || {
                    let request = self
                        .inner
                        .transport
                        .http()
                        .post(url.clone())
                        .header(ACCEPT, "application/json")
                        .bearer_auth(token.expose());
                    match body {
                        Some(body) => request.json(body),
                        None => request,
                    }
                })
                .await?;
            let status = reply.status;
            let error = match status.as_u16() {
                200..=299 => return read_accepted(&reply.body, status, &endpoint),
                401 if !refreshed => {
                    debug!(%endpoint, "token refused; nothing was done; new token, once more");
                    self.token_rejected(token.generation()).await;
                    refreshed = true;
                    continue;
                }
                400 | 409 | 422 => JamfError::Rejected {
                    endpoint: endpoint.clone(),
                    status: status.as_u16(),
                    detail: self.scrub(&reason(&reply.body), &token),
                },
                408 | 500..=599 => JamfError::Unconfirmed {
                    endpoint: endpoint.clone(),
                    detail: format!("Jamf Pro answered HTTP {}", status.as_u16()),
                },
                429 => JamfError::RateLimited {
                    endpoint: endpoint.clone(),
                    attempts: 1,
                },
                _ => refusal(status, &endpoint, refreshed),
            };
            return Err(error);
        }
    }

    /// `text` without the client's secret or `token`, should the server have echoed them.
    fn scrub(&self, text: &str, token: &Token) -> String {
        let secret = match &self.inner.auth {
            Auth::Client { client_secret, .. } => client_secret,
            Auth::User { password, .. } => password,
        };
        let mut out = text.to_owned();
        for hidden in [secret.expose(), token.expose()] {
            if !hidden.is_empty() {
                out = out.replace(hidden, "[redacted]");
            }
        }
        out
    }
}

/// Whether an id from the server looks like the UUID it should be (and so is safe to show).
pub(crate) fn plausible_uuid(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The 2xx answer as `T`. The change was made, so a failure says so. serde's message is not
/// used: it can quote the body, which a hostile server controls.
fn read_accepted<T: DeserializeOwned>(
    body: &[u8],
    status: StatusCode,
    endpoint: &str,
) -> Result<T, JamfError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"null".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| JamfError::Parse {
        endpoint: endpoint.to_owned(),
        detail: format!(
            "Jamf Pro accepted the change (HTTP {}), but its answer is not the expected JSON \
             ({} error at line {}, column {})",
            status.as_u16(),
            match e.classify() {
                serde_json::error::Category::Io => "read",
                serde_json::error::Category::Syntax => "syntax",
                serde_json::error::Category::Data => "data",
                serde_json::error::Category::Eof => "end-of-input",
            },
            e.line(),
            e.column()
        ),
    })
}

/// What Jamf's error body says, as `field: description` clauses; plain words when it says
/// nothing readable (the body itself is never quoted: it may be an HTML page or worse).
fn reason(body: &[u8]) -> String {
    let parsed: ApiError = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| ApiError::deserialize(v).ok())
        .unwrap_or_default();
    let causes: Vec<String> = parsed
        .errors
        .into_iter()
        .filter_map(|c| {
            let what = c.description.or(c.code)?;
            Some(match c.field {
                Some(field) => format!("{field}: {what}"),
                None => what,
            })
        })
        .take(MAX_CAUSES)
        .collect();
    if causes.is_empty() {
        return "the server gave no reason".to_owned();
    }
    clean(&causes.join("; "))
}

/// Control characters become spaces, runs of spaces one, and the text is cut to
/// [`MAX_DETAIL`] characters.
fn clean(text: &str) -> String {
    let mut out = String::new();
    for word in text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    match out.char_indices().nth(MAX_DETAIL) {
        Some((cut, _)) => format!("{}…", &out[..cut]),
        None => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_quotes_jamfs_causes_cleaned_and_cut() {
        let body = br#"{"httpStatus": 400, "errors": [
            {"code": "INVALID_FIELD", "field": "config.specificVersion", "description": "Version\n99.1 is\tnot available"},
            {"code": "X", "field": null, "description": null},
            {"code": "Y", "description": "another"}, {"description": "third"}, {"description": "fourth"}
        ]}"#;
        assert_eq!(
            reason(body),
            "config.specificVersion: Version 99.1 is not available; X; another"
        );
        assert_eq!(reason(b"<html>oops</html>"), "the server gave no reason");
        assert_eq!(
            reason(br#"{"errors": "nope"}"#),
            "the server gave no reason"
        );
        let long = format!(
            r#"{{"errors": [{{"description": "{}"}}]}}"#,
            "x".repeat(5000)
        );
        assert_eq!(reason(long.as_bytes()).chars().count(), MAX_DETAIL + 1);
    }

    #[test]
    fn an_unreadable_accepted_answer_says_the_change_was_made_without_quoting_it() {
        let err = read_accepted::<Vec<u32>>(
            br#"["secret-looking-text"]"#,
            StatusCode::CREATED,
            "POST /api/x",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("accepted the change (HTTP 201)"), "{text}");
        assert!(!text.contains("secret-looking-text"), "{text}");
        assert_eq!(
            read_accepted::<Option<u32>>(b" ", StatusCode::ACCEPTED, "POST /api/x").unwrap(),
            None
        );
    }
}
