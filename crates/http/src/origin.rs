//! Where a client may send its requests: one base URL, checked once (https, or http to a
//! loopback address only, no credentials, query or fragment in it), and redirects followed only
//! within its origin.

use std::net::IpAddr;

use reqwest::Url;

/// `base` checked and ending with `/`, so relative paths join under it (servers may live below
/// a path). `example` is an address shown in the error for a malformed one. The error never
/// echoes the input: a pasted URL may carry a password in its userinfo.
pub fn parse_base(input: &str, example: &str) -> Result<Url, String> {
    let input = input.trim();
    let bad = |why: &str| Err(why.to_owned());
    let Ok(mut url) = Url::parse(input) else {
        return Err(format!("not an absolute URL such as {example}"));
    };
    if !url.username().is_empty() || url.password().is_some() {
        return bad("credentials in the URL are not allowed; give them as the client's auth");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return bad("the URL must not have a query or fragment");
    }
    let Some(host) = url.host_str() else {
        return bad("the URL has no host");
    };
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => return bad("plain http is only allowed to a loopback address; use https"),
        _ => return bad("the scheme must be https"),
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// The server of `base` as `host[:port]` (the port only when the URL gives one), for display.
pub fn server_of(base: &Url) -> String {
    let host = base.host_str().unwrap_or_default();
    match base.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// `localhost` or a loopback IP address (brackets allowed around IPv6).
pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Every request carries a credential (a secret, a password, a token or a session id), so a
/// redirect is followed only within the origin it was sent to (scheme, host and port): a 307
/// or 308 re-sends the body, secret included, to wherever `Location` points. Any other redirect
/// comes back as the 3xx answer, which the transport turns into `TransportError::Redirected`.
pub(crate) fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first().map(Url::origin);
        if attempt.previous().len() > 5 {
            attempt.error("too many redirects")
        } else if first.as_ref() == Some(&attempt.url().origin()) {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// `scheme://host[:port]` of a `Location` value relative to `base`, or a note that it had none.
pub(crate) fn origin_of(base: &Url, location: Option<&str>) -> String {
    match location.and_then(|l| base.join(l).ok()) {
        Some(url) => url.origin().ascii_serialization(),
        None => "no usable Location".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        for ok in [
            "https://example.com",
            "https://vc.example.com:8443/",
            "http://127.0.0.1:9000",
            "http://localhost:8080",
            "http://[::1]:8080",
        ] {
            assert!(parse_base(ok, "https://example.com").is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com",
            "ftp://example.com",
            "example.com",
            "https://example.com/?a=b",
            "http://10.0.0.1",
        ] {
            assert!(parse_base(bad, "https://example.com").is_err(), "{bad}");
        }
    }

    #[test]
    fn a_password_in_the_url_is_refused_without_being_echoed() {
        let err = parse_base("https://admin:hunter2@example.com", "x").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn server_is_host_and_explicit_port() {
        let url = parse_base("https://vc.example.com:8443/sdk", "x").unwrap();
        assert_eq!(server_of(&url), "vc.example.com:8443");
        assert_eq!(url.as_str(), "https://vc.example.com:8443/sdk/");
        let url = parse_base("https://vc.example.com", "x").unwrap();
        assert_eq!(server_of(&url), "vc.example.com");
    }
}
