//! Redaction of call arguments before they are stored. The audit log outlives any unlock
//! session and is readable by anyone with the user's files, so a secret an assistant passes in
//! an argument (pasted token, password in a URL) must not land in it.
//!
//! Two rules, both conservative (a harmless value may be hidden; a secret should not show):
//! - a value under a key that names a secret (`password`, `client_secret`, `X-Auth-Token`, …,
//!   compared case-insensitively without separators) is replaced, whatever its type;
//! - a string that contains something secret-shaped is replaced whole: JWTs, `Bearer`/`Basic`
//!   credentials, Vault, AWS, GitHub and similar tokens, PEM private keys, passwords in URLs,
//!   `password=…` pairs, and long high-entropy hex or base64 runs.
//!
//! Serial numbers, host names, versions, UUIDs, paths and ordinary identifiers stay readable.

use serde_json::Value;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Parts of key names that mark a secret, after lowercasing and dropping non-alphanumerics.
const SECRET_KEY_PARTS: [&str; 13] = [
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "authorization",
    "bearer",
    "cookie",
    "session",
    "credential",
];

/// Whole key names (after the same normalisation) too short to match as parts.
const SECRET_KEYS: [&str; 4] = ["pwd", "pass", "auth", "otp"];

/// Prefixes of well-known token formats (GitHub, GitLab, Slack, Stripe, Google, OpenAI-style).
const TOKEN_PREFIXES: [&str; 15] = [
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxs-",
    "sk_live_",
    "rk_live_",
    "sk-",
    "AIza",
];

/// Runs of base64/hex characters at least this long are judged by their entropy.
const LONG_RUN: usize = 32;

/// `value` with secrets replaced by [`REDACTED`], keeping its shape.
pub fn redact(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| {
                    let value = if secret_key(&key) {
                        Value::String(REDACTED.to_owned())
                    } else {
                        redact(value)
                    };
                    (key, value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact).collect()),
        Value::String(text) if secret_text(&text) => Value::String(REDACTED.to_owned()),
        other => other,
    }
}

/// `text` itself, or [`REDACTED`] if it contains something secret-shaped.
pub(crate) fn redact_text(text: &str) -> &str {
    if secret_text(text) { REDACTED } else { text }
}

fn normalise(key: &str) -> String {
    key.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn secret_key(key: &str) -> bool {
    let key = normalise(key);
    SECRET_KEYS.contains(&key.as_str()) || SECRET_KEY_PARTS.iter().any(|part| key.contains(part))
}

/// Whether a string contains a secret-shaped part.
fn secret_text(text: &str) -> bool {
    text.contains("PRIVATE KEY-----")
        || credential_after_scheme(text)
        || password_in_url(text)
        || secret_pair(text)
        || runs(text, |c| c.is_ascii_alphanumeric() || "+/=_.~-".contains(c)).any(token_like)
        || runs(text, |c| c.is_ascii_alphanumeric() || "+/=_-".contains(c)).any(high_entropy)
}

/// Maximal runs of characters matching `pred`.
fn runs(text: &str, pred: impl Fn(char) -> bool) -> impl Iterator<Item = &str> {
    text.split(move |c: char| !pred(c))
        .filter(|run| !run.is_empty())
}

/// `Bearer <token>` or `Basic <base64>`, as in an Authorization header.
fn credential_after_scheme(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.windows(2).any(|pair| {
        let credential = pair[1];
        let charset = |extra: &str| {
            credential
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
        };
        if pair[0].eq_ignore_ascii_case("bearer") {
            credential.len() >= 8 && charset("-._~+/=")
        } else if pair[0].eq_ignore_ascii_case("basic") {
            // A word after "basic" in prose is one capital at most; base64 is not.
            let capitals = credential.chars().skip(1).filter(char::is_ascii_uppercase);
            credential.len() >= 8
                && charset("+/=")
                && (credential.contains(|c: char| c.is_ascii_digit() || "+/=".contains(c))
                    || capitals.count() >= 2)
        } else {
            false
        }
    })
}

/// `scheme://user:password@host`.
fn password_in_url(text: &str) -> bool {
    text.match_indices("://").any(|(at, sep)| {
        let rest = &text[at + sep.len()..];
        let authority = rest
            .split(|c: char| "/?# ".contains(c))
            .next()
            .unwrap_or_default();
        authority
            .rsplit_once('@')
            .is_some_and(|(userinfo, _)| userinfo.contains(':'))
    })
}

/// `password=…`, `token: …` and the like inside a longer string (query strings, headers).
fn secret_pair(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    SECRET_KEY_PARTS.iter().any(|part| {
        lower.match_indices(part).any(|(at, _)| {
            let after = lower[at + part.len()..].trim_start_matches(['"', '\'']);
            after.starts_with('=') || after.starts_with(':')
        })
    })
}

/// A run in a known token format: JWT, Vault, AWS access key, or a listed prefix.
fn token_like(run: &str) -> bool {
    let jwt = run.starts_with("eyJ") && run.contains('.') && run.len() >= 20;
    let vault = ["hvs.", "hvb.", "hvr."].iter().any(|p| run.starts_with(p)) && run.len() >= 24;
    let legacy_vault = run
        .strip_prefix("s.")
        .is_some_and(|rest| rest.len() >= 24 && rest.chars().all(|c| c.is_ascii_alphanumeric()));
    let aws = (run.starts_with("AKIA") || run.starts_with("ASIA"))
        && run.len() == 20
        && run
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    let prefixed = TOKEN_PREFIXES.iter().any(|p| run.starts_with(p)) && run.len() >= 20;
    jwt || vault || legacy_vault || aws || prefixed
}

/// A long run of hex, or of base64 with the spread of random bytes. Identifiers and paths mix
/// cases and digits too, but in words: their character class (upper, lower, digit, symbol)
/// changes at about one character in four or five, random base64's at one in two. With the
/// thresholds below about one random 32-character base64 string in a thousand is missed,
/// fewer for longer ones; camel-case names and paths stay readable.
fn high_entropy(run: &str) -> bool {
    let run = run.trim_end_matches('=');
    if run.len() < LONG_RUN {
        return false;
    }
    if run.chars().all(|c| c.is_ascii_hexdigit()) {
        return entropy(run) >= 3.0;
    }
    let class = |c: u8| match c {
        b'A'..=b'Z' => 0,
        b'a'..=b'z' => 1,
        b'0'..=b'9' => 2,
        _ => 3,
    };
    let bytes = run.as_bytes();
    let switches = bytes
        .windows(2)
        .filter(|w| class(w[0]) != class(w[1]))
        .count();
    bytes.iter().any(u8::is_ascii_uppercase)
        && bytes.iter().any(u8::is_ascii_lowercase)
        && switches as f64 >= 0.35 * (bytes.len() - 1) as f64
        && entropy(run) >= 4.0
}

/// Shannon entropy in bits per character (ASCII only; runs are ASCII by construction).
fn entropy(run: &str) -> f64 {
    let mut counts = [0u32; 128];
    for b in run.bytes() {
        counts[usize::from(b & 0x7f)] += 1;
    }
    let n = run.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hidden(text: &str) -> bool {
        redact(Value::String(text.to_owned())) == REDACTED
    }

    #[test]
    fn values_under_secret_keys_are_redacted_at_any_depth() {
        let input = json!({
            "Password": "hunter2",
            "client_secret": {"nested": true},
            "auth": {"X-Auth-Token": 12345, "user": "admin"},
            "list": [{"apiKey": "k"}, {"access_token": null}, {"SessionId": "abc"}],
            "Authorization": "whatever",
            "cookie": ["a", "b"],
            "private_key": "x",
            "serial_number": "C02XL0GHJGH5",
        });
        let out = redact(input);
        assert_eq!(
            out,
            json!({
                "Password": REDACTED,
                "client_secret": REDACTED,
                "auth": REDACTED,
                "list": [{"apiKey": REDACTED}, {"access_token": REDACTED}, {"SessionId": REDACTED}],
                "Authorization": REDACTED,
                "cookie": REDACTED,
                "private_key": REDACTED,
                "serial_number": "C02XL0GHJGH5",
            })
        );
    }

    #[test]
    fn secret_shaped_values_are_redacted_under_any_key() {
        let secrets = [
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            "Bearer abcdef0123456789",
            "bearer 7f9c2ba4e88f827d616045507605853e",
            "Basic dXNlcjpwYXNz",
            "Basic YWRtaW46c2VjcmV0MTIz",
            "hvs.CAESIJ3sx8Yx0Rk8a9dXyZk1bQ2",
            "s.Fg8IlOPmW4Ll9q1kS0bYcXyZ",
            "AKIAIOSFODNN7EXAMPLE",
            "token was ghp_16C7e42F292c6912E7710c838347Ae178B4a in the log",
            "xoxb-123456789012-abcdefABCDEF",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "https://admin:hunter2@vc01.example.com/sdk",
            "curl -H 'X-Api-Key: abc' https://example.com/?token=abc123",
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----",
        ];
        for secret in secrets {
            assert!(hidden(secret), "not redacted: {secret}");
        }
    }

    #[test]
    fn ordinary_admin_values_stay_readable() {
        let plain = [
            "15.1",
            "14.7.1",
            "C02XL0GHJGH5",
            "FVFXC2ABHV2H",
            "acme.jamfcloud.com",
            "jamf:acme.jamfcloud.com",
            "vc01.example.com:443",
            "https://acme.jamfcloud.com/api/v1/computers-inventory?page=0&page-size=100",
            "4F1C2A9E-7B3D-4C8E-9F1A-2B3C4D5E6F70",
            "00008030-001A2D8E0C38802E",
            "/Library/Application Support/JAMF/Receipts/ComputerInventoryCollection.plist",
            "/Applications/Microsoft Remote Desktop.app/Contents/MacOS/Microsoft Remote Desktop",
            "ComputerInventoryCollectionSettings2024",
            "MicrosoftRemoteDesktopBetaVersion10",
            "com_apple_SoftwareUpdate_Catalog2024URL",
            "com.jamfsoftware.selfservice.mac",
            "Basic information about this Mac",
            "the bearer of this laptop",
            "Basic Authentication is disabled",
            "admin@acme.com",
            "vm-1042",
            "Please restart to install macOS Sequoia 15.1",
        ];
        for value in plain {
            assert!(!hidden(value), "redacted: {value}");
        }
        let args =
            json!({"serial": "C02XL0GHJGH5", "os": "15.1", "ids": [1, 2, 3], "force": false});
        assert_eq!(redact(args.clone()), args);
    }

    #[test]
    fn random_base64_tokens_are_caught() {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut state: u64 = 7;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ALPHABET[(state >> 58) as usize] as char
        };
        let caught = (0..1000)
            .filter(|_| hidden(&(0..40).map(|_| next()).collect::<String>()))
            .count();
        assert!(caught >= 990, "{caught} of 1000");
    }

    #[test]
    fn error_kinds_are_redacted_like_strings() {
        assert_eq!(redact_text("http_403"), "http_403");
        assert_eq!(redact_text("Bearer abcdef0123456789 rejected"), REDACTED);
    }
}
