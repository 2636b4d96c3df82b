//! The Keychain calls of [`KeychainStore`](super::KeychainStore): generic-password items of the
//! service `Latchkey`, one per credential, found by account (the credential id), and Latchkey's
//! own state items (service `Latchkey State`, found by name). Blocking; the store runs them off
//! the async runtime.
//!
//! Reads and deletes use security-framework's `ItemSearchOptions`. Its builders cannot set
//! `kSecAttrGeneric` (where the metadata lives) or `kSecAttrAccessControl` on an add, so adds
//! and attribute updates build their dictionaries here and call `SecItemAdd` /
//! `SecItemUpdate` directly: the only `unsafe` in the store, each block with its reason.

use core_foundation::base::{CFType, TCFType};
use core_foundation::boolean::CFBoolean;
use core_foundation::data::CFData;
use core_foundation::dictionary::CFDictionary;
use core_foundation::string::CFString;
use objc2::rc::Retained;
use objc2_local_authentication::LAContext;
use security_framework::access_control::{ProtectionMode, SecAccessControl};
use security_framework::base::Error as OsError;
use security_framework::item::{ItemClass, ItemSearchOptions, Limit, SearchResult};
use security_framework::passwords::AccessControlOptions;
use security_framework_sys::keychain_item::{SecItemAdd, SecItemUpdate};
use zeroize::Zeroizing;

use super::KeychainBackend;

const SERVICE: &str = "Latchkey";
/// The service of Latchkey's own state items: the audit chain's anchored head and the key that
/// seals assistants.json and settings.json.
const STATE_SERVICE: &str = "Latchkey State";

/// The value of `kSecAttrGeneric`, which security-framework-sys does not export. It is also
/// the key of that attribute in the dictionaries `SecItemCopyMatching` returns.
const ATTR_GENERIC: &str = "gena";

/// What `list` and `find` read: the attributes, never the secret.
#[derive(Debug)]
pub(super) struct Attributes {
    /// `kSecAttrAccount`: the credential id.
    pub(super) account: String,
    /// `kSecAttrGeneric`: the metadata JSON.
    pub(super) generic: Option<String>,
}

/// What an add or an attribute update writes besides the secret.
#[derive(Debug)]
pub(super) struct Fields<'a> {
    pub(super) account: &'a str,
    /// `kSecAttrLabel`, what Keychain Access shows.
    pub(super) label: &'a str,
    /// `kSecAttrGeneric`.
    pub(super) generic: &'a [u8],
}

/// A Security framework constant (`kSec…`) as a CFString.
macro_rules! sec {
    ($name:ident) => {{
        // SAFETY: the Security framework exports these constants as immutable CFStrings that
        // live as long as the process; reading one and retaining it (get rule) is sound.
        #[allow(unsafe_code)]
        let constant =
            unsafe { CFString::wrap_under_get_rule(security_framework_sys::item::$name) };
        constant
    }};
}

/// Whether the data-protection keychain answers this process: `Err` only with
/// `errSecMissingEntitlement` (-34018) and the like; an empty result is fine.
pub(super) fn probe_data_protection() -> Result<(), OsError> {
    match search(KeychainBackend::DataProtection, None)
        .limit(1)
        .search()
    {
        Ok(_) => Ok(()),
        Err(e) if e.code() == crate::apple::status::ITEM_NOT_FOUND => Ok(()),
        Err(e) => Err(e),
    }
}

/// The attributes of every Latchkey item.
pub(super) fn list(backend: KeychainBackend) -> Result<Vec<Attributes>, OsError> {
    match search(backend, None).limit(Limit::All).search() {
        Ok(results) => Ok(results.iter().filter_map(attributes_of).collect()),
        Err(e) if e.code() == crate::apple::status::ITEM_NOT_FOUND => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// The attributes of the item for `account`.
pub(super) fn find(backend: KeychainBackend, account: &str) -> Result<Attributes, OsError> {
    let results = search(backend, Some(account)).limit(1).search()?;
    results
        .iter()
        .find_map(attributes_of)
        .ok_or_else(|| OsError::from_code(crate::apple::status::ITEM_NOT_FOUND))
}

/// The secret bytes of the item for `account`. On the data-protection keychain this needs
/// user presence: `context`, when given, is an LAContext that already passed, so the
/// Keychain does not ask again; without it the Keychain shows its own prompt.
pub(super) fn read_secret(
    backend: KeychainBackend,
    account: &str,
    context: Option<&Retained<LAContext>>,
) -> Result<Zeroizing<Vec<u8>>, OsError> {
    let mut options = ItemSearchOptions::new();
    options
        .class(ItemClass::generic_password())
        .service(SERVICE)
        .account(account)
        .load_data(true)
        .limit(1)
        .local_authentication_context(context.map(cf_context));
    if backend == KeychainBackend::DataProtection {
        options.ignore_legacy_keychains();
    }
    let mut results = options.search()?;
    match results.pop() {
        // Moved, not copied, into a buffer that is wiped on drop.
        Some(SearchResult::Data(bytes)) => Ok(Zeroizing::new(bytes)),
        _ => Err(OsError::from_code(crate::apple::status::ITEM_NOT_FOUND)),
    }
}

/// Adds the item for `fields.account` holding `secret`. On the data-protection keychain it is
/// readable only while the Mac is unlocked, only on this Mac, and only after user presence.
pub(super) fn add(
    backend: KeychainBackend,
    fields: &Fields<'_>,
    secret: &[u8],
) -> Result<(), OsError> {
    let mut pairs = identity(SERVICE, backend, fields.account);
    pairs.extend([
        (
            sec!(kSecAttrLabel),
            CFString::new(fields.label).into_CFType(),
        ),
        (
            CFString::from_static_string(ATTR_GENERIC),
            CFData::from_buffer(fields.generic).into_CFType(),
        ),
        (
            sec!(kSecValueData),
            CFData::from_buffer(secret).into_CFType(),
        ),
    ]);
    if backend == KeychainBackend::DataProtection {
        let access = SecAccessControl::create_with_protection(
            Some(ProtectionMode::AccessibleWhenUnlockedThisDeviceOnly),
            AccessControlOptions::USER_PRESENCE.bits(),
        )?;
        pairs.push((sec!(kSecAttrAccessControl), access.into_CFType()));
    }
    let attributes = CFDictionary::from_CFType_pairs(&pairs);
    // SAFETY: `attributes` is a valid CFDictionary that outlives the call; a null result
    // pointer asks SecItemAdd for no result, so nothing is returned to release.
    #[allow(unsafe_code)]
    let status = unsafe { SecItemAdd(attributes.as_concrete_TypeRef(), std::ptr::null_mut()) };
    checked(status)
}

/// Rewrites the label and metadata of the item for `fields.account`; the secret is untouched.
/// On the data-protection keychain the update may need user presence like a read, so the
/// same `context` is passed.
pub(super) fn update(
    backend: KeychainBackend,
    fields: &Fields<'_>,
    context: Option<&Retained<LAContext>>,
) -> Result<(), OsError> {
    let mut query = identity(SERVICE, backend, fields.account);
    if let Some(context) = context {
        query.push((sec!(kSecUseAuthenticationContext), cf_context(context)));
    }
    let query = CFDictionary::from_CFType_pairs(&query);
    let changes = CFDictionary::from_CFType_pairs(&[
        (
            sec!(kSecAttrLabel),
            CFString::new(fields.label).into_CFType(),
        ),
        (
            CFString::from_static_string(ATTR_GENERIC),
            CFData::from_buffer(fields.generic).into_CFType(),
        ),
    ]);
    // SAFETY: both arguments are valid CFDictionaries that outlive the call, which neither
    // keeps nor returns anything.
    #[allow(unsafe_code)]
    let status =
        unsafe { SecItemUpdate(query.as_concrete_TypeRef(), changes.as_concrete_TypeRef()) };
    checked(status)
}

/// The value of the state item `name`, `None` when there is none. Never prompts: state items
/// have no user-presence constraint.
pub(super) fn read_state(backend: KeychainBackend, name: &str) -> Result<Option<Vec<u8>>, OsError> {
    let mut options = ItemSearchOptions::new();
    options
        .class(ItemClass::generic_password())
        .service(STATE_SERVICE)
        .account(name)
        .load_data(true)
        .limit(1);
    if backend == KeychainBackend::DataProtection {
        options.ignore_legacy_keychains();
    }
    match options.search() {
        Ok(mut results) => match results.pop() {
            Some(SearchResult::Data(bytes)) => Ok(Some(bytes)),
            _ => Ok(None),
        },
        Err(e) if e.code() == crate::apple::status::ITEM_NOT_FOUND => Ok(None),
        Err(e) => Err(e),
    }
}

/// Replaces (or adds) the state item `name`. On the data-protection keychain the item belongs
/// to Latchkey's keychain access group (the default group of its signed app), so no other
/// program can read, replace or delete it, and it is readable after the Mac's first unlock
/// without a prompt. On the login keychain it is a plain item any process of the user can
/// replace.
pub(super) fn write_state(
    backend: KeychainBackend,
    name: &str,
    value: &[u8],
) -> Result<(), OsError> {
    let query = identity(STATE_SERVICE, backend, name);
    let changes = CFDictionary::from_CFType_pairs(&[(
        sec!(kSecValueData),
        CFData::from_buffer(value).into_CFType(),
    )]);
    let query_dictionary = CFDictionary::from_CFType_pairs(&query);
    // SAFETY: both arguments are valid CFDictionaries that outlive the call, which neither
    // keeps nor returns anything.
    #[allow(unsafe_code)]
    let updated = unsafe {
        SecItemUpdate(
            query_dictionary.as_concrete_TypeRef(),
            changes.as_concrete_TypeRef(),
        )
    };
    if updated != crate::apple::status::ITEM_NOT_FOUND {
        return checked(updated);
    }
    let mut pairs = query;
    pairs.extend([
        (
            sec!(kSecAttrLabel),
            CFString::new(&format!("Latchkey: {name}")).into_CFType(),
        ),
        (
            sec!(kSecValueData),
            CFData::from_buffer(value).into_CFType(),
        ),
    ]);
    if backend == KeychainBackend::DataProtection {
        // No user-presence flag: the broker reads it unattended, after the first unlock.
        let access = SecAccessControl::create_with_protection(
            Some(ProtectionMode::AccessibleAfterFirstUnlockThisDeviceOnly),
            0,
        )?;
        pairs.push((sec!(kSecAttrAccessControl), access.into_CFType()));
    }
    let attributes = CFDictionary::from_CFType_pairs(&pairs);
    // SAFETY: `attributes` is a valid CFDictionary that outlives the call; a null result
    // pointer asks SecItemAdd for no result, so nothing is returned to release.
    #[allow(unsafe_code)]
    let status = unsafe { SecItemAdd(attributes.as_concrete_TypeRef(), std::ptr::null_mut()) };
    checked(status)
}

/// Deletes the item for `account` (no prompt: deleting needs no user presence).
pub(super) fn delete(backend: KeychainBackend, account: &str) -> Result<(), OsError> {
    search(backend, Some(account)).delete()
}

/// A search for Latchkey's items (one account's, or all) returning attributes only.
fn search(backend: KeychainBackend, account: Option<&str>) -> ItemSearchOptions {
    let mut options = ItemSearchOptions::new();
    options
        .class(ItemClass::generic_password())
        .service(SERVICE)
        .load_attributes(true);
    if let Some(account) = account {
        options.account(account);
    }
    if backend == KeychainBackend::DataProtection {
        // Sets kSecUseDataProtectionKeychain (security-framework's OSX_10_15 feature).
        options.ignore_legacy_keychains();
    }
    options
}

/// The keys that name one item: class, service, account, and which keychain.
fn identity(service: &str, backend: KeychainBackend, account: &str) -> Vec<(CFString, CFType)> {
    let mut pairs = vec![
        (
            sec!(kSecClass),
            sec!(kSecClassGenericPassword).into_CFType(),
        ),
        (sec!(kSecAttrService), CFString::new(service).into_CFType()),
        (sec!(kSecAttrAccount), CFString::new(account).into_CFType()),
    ];
    if backend == KeychainBackend::DataProtection {
        pairs.push((
            sec!(kSecUseDataProtectionKeychain),
            CFBoolean::true_value().into_CFType(),
        ));
    }
    pairs
}

/// An item's account and metadata from a search result (`None` for anything but the
/// attribute dictionary a search for attributes returns).
fn attributes_of(result: &SearchResult) -> Option<Attributes> {
    let mut attributes = result.simplify_dict()?;
    let account_key = sec!(kSecAttrAccount).to_string();
    Some(Attributes {
        account: attributes.remove(&account_key).unwrap_or_default(),
        generic: attributes.remove(ATTR_GENERIC),
    })
}

/// An LAContext as the CFType the Keychain takes for `kSecUseAuthenticationContext`.
fn cf_context(context: &Retained<LAContext>) -> CFType {
    let pointer = Retained::as_ptr(context);
    // SAFETY: every Objective-C object is a valid CFType (CFRetain/CFRelease work on it);
    // `pointer` is alive because `context` holds it, and the get rule retains it for as long
    // as the returned CFType lives.
    #[allow(unsafe_code)]
    let cf = unsafe { CFType::wrap_under_get_rule(pointer.cast()) };
    cf
}

fn checked(status: i32) -> Result<(), OsError> {
    match status {
        0 => Ok(()),
        status => Err(OsError::from_code(status)),
    }
}
