//! What the person typed, made usable before it is sent, and the broker's answers about it
//! put in the command line's words: a form field becomes the flag that sets it.

use anyhow::bail;
use latchkey_broker::control::ControlError;

/// The flag that sets a credential's form `field` (as the broker's errors name it).
fn flag(field: &str) -> Option<&'static str> {
    Some(match field {
        "label" => "--label",
        "url" => "--url",
        "client_id" => "--client-id",
        "username" => "--username",
        "host" => "--host",
        "tls.sha256" => "--pin",
        "address" => "--address",
        "client_secret" | "password" | "token" => "the secret (typed, or piped on stdin)",
        _ => return None,
    })
}

/// The text `latchkey` prints for a failure: a broker error about a form field names the
/// flag instead of the field.
pub fn explain(error: &anyhow::Error) -> String {
    let about =
        (error.downcast_ref::<ControlError>()).and_then(|e| Some((e, flag(e.field.as_deref()?)?)));
    match about {
        Some((e, flag)) => {
            let field = e.field.as_deref().unwrap_or_default();
            match e.message.strip_prefix(field) {
                Some(rest) => format!("{flag}{rest}"),
                None => format!("{} ({flag})", e.message),
            }
        }
        None => format!("{error:#}"),
    }
}

/// A service URL given for `flag`, refused with a suggestion when it has no scheme.
pub fn url(flag: &str, value: String) -> anyhow::Result<String> {
    let trimmed = value.trim();
    if !trimmed.is_empty() && !trimmed.contains("://") {
        bail!("{flag} needs the scheme: did you mean https://{trimmed}?");
    }
    Ok(value)
}

/// A host given for `--host`: a URL's scheme and path are dropped (`https://vc.example.com/`
/// is `vc.example.com`).
pub fn host(value: String) -> String {
    let trimmed = value.trim();
    match trimmed.split_once("://") {
        Some((_, rest)) => rest.split('/').next().unwrap_or_default().to_owned(),
        None => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_name_the_flag() {
        let e = ControlError {
            message: "host is not a valid host name or IP address".to_owned(),
            field: Some("host".to_owned()),
        };
        assert_eq!(
            explain(&e.into()),
            "--host is not a valid host name or IP address"
        );
        let e = ControlError {
            message: "tls.sha256 must be a SHA-256 fingerprint: 64 hex digits".to_owned(),
            field: Some("tls.sha256".to_owned()),
        };
        assert_eq!(
            explain(&e.into()),
            "--pin must be a SHA-256 fingerprint: 64 hex digits"
        );
        let plain = anyhow::anyhow!("no broker");
        assert_eq!(explain(&plain), "no broker");
    }

    #[test]
    fn urls_need_a_scheme_and_hosts_lose_theirs() {
        let err = url("--url", "acme.jamfcloud.com".to_owned()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--url needs the scheme: did you mean https://acme.jamfcloud.com?"
        );
        assert!(url("--url", "https://a.example.com".to_owned()).is_ok());
        assert_eq!(
            host("https://vc.example.com/ui".to_owned()),
            "vc.example.com"
        );
        assert_eq!(host("vc.example.com".to_owned()), "vc.example.com");
    }
}
