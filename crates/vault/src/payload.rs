//! The bytes an OS store holds for one credential: its secret fields as a small JSON object,
//! e.g. `{"client_secret":"…"}`. Metadata never goes here (it must be listable without
//! unlocking), and the secret never goes anywhere else.
//!
//! Every buffer that holds the encoded secret is zeroized on drop; nothing here logs.

use serde::Deserialize;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{Account, Error, SecretString};

/// `{"<field>":"<secret>"}` for `account`'s secret field; `{}` for no secret (a credential
/// whose secret is fetched from a secret manager: the store holds nothing for it).
pub(crate) fn encode(account: &Account, secret: &SecretString) -> Zeroizing<Vec<u8>> {
    if secret.expose().is_empty() {
        return Zeroizing::new(b"{}".to_vec());
    }
    // Sized for the worst case (every byte escaped as \u00XX) so the buffer never reallocates
    // and leaves an unwiped copy behind.
    let capacity = secret.expose().len() * 6 + 32;
    let mut buf = Zeroizing::new(Vec::with_capacity(capacity));
    buf.push(b'{');
    // Writing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *buf, account.secret_field());
    buf.push(b':');
    let _ = serde_json::to_writer(&mut *buf, secret.expose());
    buf.push(b'}');
    buf
}

/// The secret for `account` from a stored payload. `id` only names the item in the error.
pub(crate) fn decode(account: &Account, id: &str, bytes: &[u8]) -> Result<SecretString, Error> {
    let corrupt = |reason| Error::Corrupt {
        id: id.to_owned(),
        reason,
    };
    let mut payload: Payload =
        serde_json::from_slice(bytes).map_err(|_| corrupt("its secret is not Latchkey's JSON"))?;
    let value = match account {
        Account::JamfClient { .. } | Account::Azure { .. } => payload.client_secret.take(),
        Account::JamfUser { .. } | Account::Vcenter { .. } => payload.password.take(),
        Account::Vault {
            role_id: Some(_), ..
        } => payload.secret_id.take(),
        Account::Vault { .. } => payload.token.take(),
        Account::Aws { .. } => payload.secret_access_key.take(),
    };
    let empty = payload.client_secret.is_none()
        && payload.password.is_none()
        && payload.token.is_none()
        && payload.secret_id.is_none()
        && payload.secret_access_key.is_none();
    match value {
        Some(value) => Ok(SecretString::new(value)),
        // `{}`: a credential whose secret is kept in a secret manager (see `encode`).
        None if empty => Ok(SecretString::from("")),
        None => Err(corrupt("its secret lacks the field its kind needs")),
    }
}

/// The stored object. Wiped on drop, including the fields that were not taken.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
struct Payload {
    client_secret: Option<String>,
    password: Option<String>,
    token: Option<String>,
    secret_id: Option<String>,
    secret_access_key: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_awkward_secrets() {
        let account = Account::Vault {
            address: "https://vault.example.com".into(),
            namespace: None,
            role_id: None,
        };
        let secret = SecretString::from("quote\" back\\slash \u{1} ü");
        let bytes = encode(&account, &secret);
        assert!(bytes.starts_with(b"{\"token\":"));
        assert_eq!(bytes.capacity(), secret.expose().len() * 6 + 32);
        let back = decode(&account, "id1", &bytes).unwrap();
        assert_eq!(back.expose(), secret.expose());
    }

    #[test]
    fn an_approle_keeps_its_secret_id_and_a_reference_keeps_nothing() {
        let approle = Account::Vault {
            address: "https://vault.example.com".into(),
            namespace: None,
            role_id: Some("role-1".into()),
        };
        let bytes = encode(&approle, &SecretString::from("sid"));
        assert_eq!(&bytes[..], b"{\"secret_id\":\"sid\"}");
        assert_eq!(decode(&approle, "id1", &bytes).unwrap().expose(), "sid");
        let jamf = Account::JamfClient {
            url: "https://a.example.com".into(),
            client_id: "abc".into(),
        };
        let nothing = encode(&jamf, &SecretString::from(""));
        assert_eq!(&nothing[..], b"{}");
        assert_eq!(decode(&jamf, "id1", &nothing).unwrap().expose(), "");
    }

    #[test]
    fn wrong_or_damaged_payloads_are_corrupt_without_echo() {
        let jamf = Account::JamfClient {
            url: "https://a.example.com".into(),
            client_id: "abc".into(),
        };
        let err = decode(&jamf, "id1", b"{\"token\":\"canary\"}").unwrap_err();
        assert!(matches!(err, Error::Corrupt { .. }));
        let err = decode(&jamf, "id1", b"canary").unwrap_err();
        assert!(!err.to_string().contains("canary"), "{err}");
    }
}
