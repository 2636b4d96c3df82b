//! What the macOS backends decide, kept apart from their FFI so the Linux tests cover it:
//! which [`Error`] an OSStatus is, which [`PresenceError`] an LAError code is, and how a
//! Keychain item's metadata attribute is written and read back.
//!
//! Nothing here sees a secret: statuses, codes, Apple's own messages and metadata only.

use crate::{CredentialId, Error, Metadata, PresenceError};

/// The OSStatus codes the Keychain store tells apart (Security/SecBase.h).
pub(crate) mod status {
    pub(crate) const USER_CANCELED: i32 = -128;
    pub(crate) const NOT_AVAILABLE: i32 = -25291;
    pub(crate) const AUTH_FAILED: i32 = -25293;
    pub(crate) const NO_SUCH_KEYCHAIN: i32 = -25294;
    pub(crate) const DUPLICATE_ITEM: i32 = -25299;
    pub(crate) const ITEM_NOT_FOUND: i32 = -25300;
    pub(crate) const NO_DEFAULT_KEYCHAIN: i32 = -25307;
    pub(crate) const INTERACTION_NOT_ALLOWED: i32 = -25308;
    /// The process lacks a keychain-access-groups entitlement for the data-protection keychain.
    pub(crate) const MISSING_ENTITLEMENT: i32 = -34018;
}

/// The LAError codes [`MacPresence`](crate::MacPresence) tells apart (LAError.h).
pub(crate) mod la {
    pub(crate) const USER_CANCEL: isize = -2;
    pub(crate) const USER_FALLBACK: isize = -3;
    pub(crate) const SYSTEM_CANCEL: isize = -4;
    pub(crate) const PASSCODE_NOT_SET: isize = -5;
    pub(crate) const BIOMETRY_NOT_AVAILABLE: isize = -6;
    pub(crate) const BIOMETRY_LOCKOUT: isize = -8;
    pub(crate) const APP_CANCEL: isize = -9;
    pub(crate) const NOT_INTERACTIVE: isize = -1004;
}

/// The one mapping from a Keychain OSStatus to [`Error`]. `message` is Apple's text for the
/// status (`SecCopyErrorMessageString`), `id` the credential the call was about, if any.
pub(crate) fn keychain_error(
    status: i32,
    message: Option<&str>,
    id: Option<&CredentialId>,
) -> Error {
    use status::*;
    let detail = match message {
        Some(message) if !message.trim().is_empty() => format!("{message} (OSStatus {status})"),
        _ => format!("Keychain error (OSStatus {status})"),
    };
    match (status, id) {
        (ITEM_NOT_FOUND, Some(id)) => Error::NotFound(id.clone()),
        (USER_CANCELED | AUTH_FAILED, _) => Error::Store(format!(
            "the Keychain prompt was cancelled or its password was wrong, so nothing was read or \
             changed ({detail})"
        )),
        (INTERACTION_NOT_ALLOWED, _) => Error::Locked,
        (MISSING_ENTITLEMENT, _) => Error::Unavailable(format!(
            "this build of Latchkey is not signed with a keychain-access-groups entitlement, so \
             the data-protection keychain refused it ({detail})"
        )),
        (NO_SUCH_KEYCHAIN | NO_DEFAULT_KEYCHAIN | NOT_AVAILABLE, _) => Error::Unavailable(format!(
            "there is no usable default keychain; check the login keychain in Keychain Access \
             ({detail})"
        )),
        (DUPLICATE_ITEM, Some(id)) => Error::Store(format!(
            "a Keychain item for credential {id} already exists ({detail})"
        )),
        _ => Error::Store(detail),
    }
}

/// The one mapping from a failed LocalAuthentication evaluation to [`PresenceError`].
/// `description` is Apple's localized description of the error.
pub(crate) fn presence_error(code: isize, description: &str) -> PresenceError {
    use la::*;
    match code {
        USER_CANCEL | USER_FALLBACK | SYSTEM_CANCEL | APP_CANCEL => PresenceError::Declined,
        BIOMETRY_LOCKOUT => PresenceError::Lockout,
        NOT_INTERACTIVE => PresenceError::NotAvailable(
            "macOS cannot show an authentication prompt to this process; run Latchkey in a \
             logged-in desktop session (not over ssh)"
                .to_owned(),
        ),
        PASSCODE_NOT_SET => PresenceError::NotAvailable(
            "this Mac account has no login password; set one in System Settings > Users & Groups"
                .to_owned(),
        ),
        BIOMETRY_NOT_AVAILABLE => PresenceError::NotAvailable(format!(
            "Touch ID is not available to Latchkey ({description}); check System Settings > \
             Touch ID & Password"
        )),
        _ => PresenceError::Failed(format!("{description} (LAError {code})")),
    }
}

/// The bytes kept in an item's `kSecAttrGeneric` attribute: the [`Metadata`] as JSON.
pub(crate) fn metadata_attribute(metadata: &Metadata) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(metadata).map_err(|_| Error::Corrupt {
        id: metadata.id.to_string(),
        reason: "its metadata cannot be written as JSON",
    })
}

/// The metadata of the item whose `kSecAttrAccount` is `account`, from its `kSecAttrGeneric`
/// attribute (`None` when the item has none).
pub(crate) fn metadata_of(account: &str, generic: Option<&str>) -> Result<Metadata, Error> {
    let corrupt = |reason| Error::Corrupt {
        id: account.to_owned(),
        reason,
    };
    let json = generic.ok_or(corrupt("it has no metadata (kSecAttrGeneric)"))?;
    let metadata: Metadata = serde_json::from_str(json)
        .map_err(|_| corrupt("its metadata (kSecAttrGeneric) is not valid"))?;
    if metadata.id.as_str() != account {
        return Err(corrupt(
            "its account and metadata name different credentials",
        ));
    }
    metadata.verified()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::{Account, NewCredential, SecretString};

    fn metadata() -> Metadata {
        let new = NewCredential {
            label: "Acme".into(),
            account: Account::Vault {
                address: "https://vault.example.com".into(),
                namespace: None,
                role_id: None,
            },
            secret: SecretString::from("canary"),
            source: None,
        };
        new.into_metadata(Utc::now()).unwrap().0
    }

    #[test]
    fn statuses_map_to_errors() {
        let id = CredentialId::from("abc");
        assert!(matches!(
            keychain_error(status::ITEM_NOT_FOUND, None, Some(&id)),
            Error::NotFound(found) if found == id
        ));
        assert!(matches!(
            keychain_error(status::INTERACTION_NOT_ALLOWED, None, None),
            Error::Locked
        ));
        assert!(matches!(
            keychain_error(status::MISSING_ENTITLEMENT, None, None),
            Error::Unavailable(m) if m.contains("keychain-access-groups")
        ));
        let cancelled = keychain_error(status::USER_CANCELED, Some("User canceled."), Some(&id));
        assert!(cancelled.to_string().contains("cancelled"), "{cancelled}");
        let other = keychain_error(-67000, Some("Something odd."), None);
        assert_eq!(
            other.to_string(),
            "the secret store failed: Something odd. (OSStatus -67000)"
        );
        let bare = keychain_error(-1, Some("  "), None);
        assert!(
            bare.to_string().ends_with("Keychain error (OSStatus -1)"),
            "{bare}"
        );
    }

    #[test]
    fn la_codes_map_to_presence_errors() {
        for code in [
            la::USER_CANCEL,
            la::USER_FALLBACK,
            la::SYSTEM_CANCEL,
            la::APP_CANCEL,
        ] {
            assert_eq!(presence_error(code, "x"), PresenceError::Declined);
        }
        assert_eq!(
            presence_error(la::BIOMETRY_LOCKOUT, "x"),
            PresenceError::Lockout
        );
        for code in [
            la::NOT_INTERACTIVE,
            la::PASSCODE_NOT_SET,
            la::BIOMETRY_NOT_AVAILABLE,
        ] {
            assert!(matches!(
                presence_error(code, "x"),
                PresenceError::NotAvailable(_)
            ));
        }
        assert_eq!(
            presence_error(-1, "Authentication failed."),
            PresenceError::Failed("Authentication failed. (LAError -1)".into())
        );
    }

    #[test]
    fn metadata_round_trips_through_the_attribute() {
        let meta = metadata();
        let bytes = metadata_attribute(&meta).unwrap();
        let json = String::from_utf8(bytes).unwrap();
        assert!(!json.contains("canary"));
        assert_eq!(metadata_of(meta.id.as_str(), Some(&json)).unwrap(), meta);
    }

    #[test]
    fn damaged_metadata_is_corrupt() {
        let meta = metadata();
        let json = String::from_utf8(metadata_attribute(&meta).unwrap()).unwrap();
        for (account, generic) in [
            (meta.id.as_str(), None),
            (meta.id.as_str(), Some("{not json")),
            ("someone-else", Some(json.as_str())),
        ] {
            assert!(matches!(
                metadata_of(account, generic),
                Err(Error::Corrupt { .. })
            ));
        }
    }
}
