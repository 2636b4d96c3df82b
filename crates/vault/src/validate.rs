//! Field validators shared by every credential kind: required text, service URLs, host
//! names and TLS fingerprints.
//!
//! Each returns the normalized value or an [`Error`] naming the field. None of them sees a
//! secret, and no message repeats what the user typed (a pasted secret in the wrong box must
//! not end up in a log).

use std::net::{IpAddr, Ipv6Addr};

use crate::Error;

/// A service URL split into the parts Latchkey uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServiceUrl {
    /// The whole URL, normalized: lower-case scheme and host, no trailing slash.
    pub(crate) url: String,
    /// Host and, when it is not the scheme's default, port: what names the domain.
    pub(crate) authority: String,
}

/// `value` trimmed, or [`Error::Missing`] when nothing is left.
pub(crate) fn required(field: &'static str, value: &str) -> Result<String, Error> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::Missing { field });
    }
    Ok(value.to_owned())
}

/// `value` trimmed, or `None` when it is absent or blank.
pub(crate) fn optional(
    field: &'static str,
    value: &Option<String>,
) -> Result<Option<String>, Error> {
    let value = value.as_deref().map(str::trim).filter(|v| !v.is_empty());
    match value {
        Some(v) if v.chars().any(char::is_control) => Err(Error::Invalid {
            field,
            reason: "it must not hold control characters",
        }),
        v => Ok(v.map(str::to_owned)),
    }
}

/// An AWS region (`eu-west-1`, `us-gov-west-1`), lower-cased: letters, digits and dashes.
pub(crate) fn aws_region(field: &'static str, value: &str) -> Result<String, Error> {
    let value = required(field, value)?.to_ascii_lowercase();
    let ok = value.len() <= 32
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && !value.ends_with('-')
        && (value.chars()).all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        return Err(Error::Invalid {
            field,
            reason: "it must be an AWS region such as eu-west-1",
        });
    }
    Ok(value)
}

/// An optional ARN (`arn:PARTITION:SERVICE:…`), or `None` when absent.
pub(crate) fn arn(field: &'static str, value: &Option<String>) -> Result<Option<String>, Error> {
    let value = optional(field, value)?;
    match value {
        Some(v) if !v.starts_with("arn:") || v.split(':').count() < 6 || v.contains(' ') => {
            Err(Error::Invalid {
                field,
                reason: "it must be an ARN such as arn:aws:iam::123456789012:role/NAME",
            })
        }
        v => Ok(v),
    }
}

/// An https URL with no path (an Azure vault, or a sign-in authority): http is refused even
/// on loopback, as Azure's SDK refuses it for the authority.
pub(crate) fn https_origin(field: &'static str, value: &str) -> Result<ServiceUrl, Error> {
    let url = service_url(field, value)?;
    if !url.url.starts_with("https://") {
        return Err(Error::BadUrl {
            field,
            reason: "it must start with https:// (Azure serves vaults and sign-in over https only)",
        });
    }
    if url.url.len() != "https://".len() + url.authority.len() {
        return Err(Error::BadUrl {
            field,
            reason: "it must have no path after the host, e.g. https://contoso.vault.azure.net",
        });
    }
    Ok(url)
}

/// A Microsoft Entra tenant id: a GUID or a domain (`contoso.onmicrosoft.com`), letters,
/// digits, dots and dashes, as Azure's SDK accepts.
pub(crate) fn tenant_id(field: &'static str, value: &str) -> Result<String, Error> {
    let value = required(field, value)?;
    if value.len() > 256
        || !(value.chars()).all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return Err(Error::Invalid {
            field,
            reason: "it must be a tenant id (a GUID) or a domain such as contoso.onmicrosoft.com",
        });
    }
    Ok(value)
}

/// A Vault namespace (`team/a`), without the slashes around it, or `None` when absent.
pub(crate) fn namespace(
    field: &'static str,
    value: &Option<String>,
) -> Result<Option<String>, Error> {
    let Some(value) = optional(field, value)? else {
        return Ok(None);
    };
    let value = value.trim_matches('/');
    if value
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Err(Error::Invalid {
            field,
            reason: "it must be names separated by single slashes, such as team/a",
        });
    }
    Ok(Some(value.to_owned()))
}

/// An `https://` URL, or `http://` for a loopback host (local test servers). No user info,
/// query or fragment: credentials travel in Latchkey's secret store, never in a URL.
pub(crate) fn service_url(field: &'static str, value: &str) -> Result<ServiceUrl, Error> {
    let value = required(field, value)?;
    let bad = |reason| Error::BadUrl { field, reason };
    let (scheme, rest) = value
        .split_once("://")
        .ok_or(bad("it must start with https://"))?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return Err(bad("it must start with https://")),
    };
    if rest.contains(['?', '#']) {
        return Err(bad("it must not contain a query or fragment"));
    }
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if authority.contains('@') {
        return Err(bad("it must not contain a user name or password"));
    }
    let (host, port) =
        split_port(authority).ok_or(bad("the port is not a number from 1 to 65535"))?;
    let host = host_name(field, host)?;
    if scheme == "http" && !is_loopback(&host) {
        return Err(Error::NotHttps { field });
    }
    let authority = match port {
        Some(port) if port != default_port => format!("{host}:{port}"),
        _ => host,
    };
    let path = path.trim_end_matches('/');
    Ok(ServiceUrl {
        url: format!("{scheme}://{authority}{path}"),
        authority,
    })
}

/// Splits `host:port`, `[v6]:port`, `host` or `[v6]`; `None` when the port is not 1–65535.
fn split_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        // Keep the brackets on the host so the authority stays a valid URL authority.
        let end = rest.find(']')? + 2;
        let (host, tail) = authority.split_at(end);
        match tail {
            "" => (host, None),
            _ => (host, Some(tail.strip_prefix(':')?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    match port {
        None => Some((host, None)),
        Some(port) => match port.parse::<u16>() {
            Ok(0) | Err(_) => None,
            Ok(port) => Some((host, Some(port))),
        },
    }
}

/// A DNS name made of RFC 1123 labels, an IPv4 address, or an IPv6 address (bare or in
/// brackets). Returned lower-case, IPv6 in brackets.
pub(crate) fn host_name(field: &'static str, value: &str) -> Result<String, Error> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::Missing { field });
    }
    let bare = value
        .strip_prefix('[')
        .and_then(|v| v.strip_suffix(']'))
        .unwrap_or(value);
    if let Ok(ip) = bare.parse::<Ipv6Addr>() {
        return Ok(format!("[{ip}]"));
    }
    if let Ok(ip) = value.parse::<IpAddr>() {
        return Ok(ip.to_string());
    }
    let labels_ok = value.len() <= 253
        && value.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    // An all-digit last label is a mistyped IPv4 address (e.g. 10.0.0.256), not a name.
    let looks_like_ip = value
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()));
    if !labels_ok || looks_like_ip {
        return Err(Error::BadHost { field });
    }
    Ok(value.to_ascii_lowercase())
}

/// A host as [`host_name`] reads it, with an optional `:port` (1–65535), as a vCenter may
/// listen on `vc.example.com:8443`. Port 443, https's own, is dropped so the same server has
/// one domain. A bare IPv6 address has no port (`[v6]:port` has one).
pub(crate) fn host_and_port(field: &'static str, value: &str) -> Result<String, Error> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::Missing { field });
    }
    if value.matches(':').count() > 1 && !value.starts_with('[') {
        return host_name(field, value);
    }
    let (host, port) = split_port(value).ok_or(Error::BadHost { field })?;
    let host = host_name(field, host)?;
    Ok(match port {
        Some(port) if port != 443 => format!("{host}:{port}"),
        _ => host,
    })
}

/// Whether plain http is acceptable: the traffic never leaves this machine.
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost" || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A SHA-256 certificate fingerprint: 64 hex digits, optionally colon-separated. Returned
/// as lower-case hex without colons, the form comparisons use.
pub(crate) fn sha256_fingerprint(field: &'static str, value: &str) -> Result<String, Error> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::Missing { field });
    }
    let hex: String = value.chars().filter(|c| *c != ':').collect();
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::BadFingerprint { field });
    }
    Ok(hex.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(value: &str) -> Result<ServiceUrl, Error> {
        service_url("url", value)
    }

    #[test]
    fn https_urls_are_normalized() {
        let u = url("  HTTPS://Acme.JamfCloud.com/ ").unwrap();
        assert_eq!(u.url, "https://acme.jamfcloud.com");
        assert_eq!(u.authority, "acme.jamfcloud.com");
        let u = url("https://vault.example.com:8200/").unwrap();
        assert_eq!(u.authority, "vault.example.com:8200");
        let u = url("https://jss.example.com:443/jamf").unwrap();
        assert_eq!(
            (u.url.as_str(), u.authority.as_str()),
            ("https://jss.example.com/jamf", "jss.example.com")
        );
        assert_eq!(url("https://[::1]:8443").unwrap().authority, "[::1]:8443");
    }

    #[test]
    fn http_only_for_loopback() {
        for ok in [
            "http://127.0.0.1:4010",
            "http://localhost:8200",
            "http://[::1]",
            "http://127.8.9.10",
        ] {
            assert!(url(ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://acme.jamfcloud.com",
            "http://10.0.0.1",
            "http://localhost.example.com",
        ] {
            assert!(
                matches!(url(refused), Err(Error::NotHttps { field: "url" })),
                "{refused}"
            );
        }
    }

    #[test]
    fn malformed_urls_name_the_field() {
        assert!(matches!(url("   "), Err(Error::Missing { field: "url" })));
        for bad in [
            "acme.jamfcloud.com",
            "ftp://acme.jamfcloud.com",
            "https://user:pw@acme.jamfcloud.com",
            "https://acme.jamfcloud.com/?token=x",
            "https://acme.jamfcloud.com:0",
            "https://acme.jamfcloud.com:99999",
            "https://[::1",
        ] {
            assert!(
                matches!(url(bad), Err(Error::BadUrl { field: "url", .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            url("https://bad_host.example.com"),
            Err(Error::BadHost { field: "url" })
        ));
    }

    #[test]
    fn user_info_is_not_echoed() {
        let message = url("https://admin:s3cret@jss.example.com")
            .unwrap_err()
            .to_string();
        assert!(!message.contains("s3cret"), "{message}");
    }

    #[test]
    fn a_host_may_carry_a_port() {
        for (typed, kept) in [
            ("vc.example.com:8443", "vc.example.com:8443"),
            (" VC.Example.com:443 ", "vc.example.com"),
            ("10.0.0.5:9443", "10.0.0.5:9443"),
            ("[fe80::1]:8443", "[fe80::1]:8443"),
            ("fe80::1", "[fe80::1]"),
            ("vc.example.com", "vc.example.com"),
        ] {
            assert_eq!(host_and_port("host", typed).unwrap(), kept, "{typed}");
        }
        for bad in [
            "vc.example.com:0",
            "vc.example.com:65536",
            "vc.example.com:https",
            "vc.example.com:",
            "bad_host:8443",
            "https://vc.example.com",
        ] {
            assert!(
                matches!(
                    host_and_port("host", bad),
                    Err(Error::BadHost { field: "host" })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn host_names_follow_rfc_1123() {
        assert_eq!(
            host_name("host", " VC01.Example.com ").unwrap(),
            "vc01.example.com"
        );
        assert_eq!(host_name("host", "10.0.0.5").unwrap(), "10.0.0.5");
        assert_eq!(host_name("host", "fe80::1").unwrap(), "[fe80::1]");
        assert_eq!(
            host_name("host", "1password.example").unwrap(),
            "1password.example"
        );
        let long_label = "a".repeat(64);
        for bad in [
            "-vc.example.com",
            "vc-.example.com",
            "vc..example.com",
            "vc_01.example.com",
            "10.0.0.256",
            long_label.as_str(),
            "https://vc01",
        ] {
            assert!(
                matches!(
                    host_name("host", bad),
                    Err(Error::BadHost { field: "host" })
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            host_name("host", " "),
            Err(Error::Missing { field: "host" })
        ));
    }

    #[test]
    fn fingerprints_are_64_hex_digits() {
        let colons = "AB:".repeat(31) + "AB";
        assert_eq!(sha256_fingerprint("fp", &colons).unwrap(), "ab".repeat(32));
        assert_eq!(
            sha256_fingerprint("fp", &"0f".repeat(32)).unwrap(),
            "0f".repeat(32)
        );
        for bad in ["ab".repeat(31), "zz".repeat(32), "ab".repeat(33)] {
            assert!(matches!(
                sha256_fingerprint("fp", &bad),
                Err(Error::BadFingerprint { field: "fp" })
            ));
        }
    }
}
