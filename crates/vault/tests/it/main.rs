//! The vault's integration tests against real peers, in one binary so the crate links once.
//! Two stay apart: `hardening` (it hardens its whole process) and `secret_service_tampered`
//! (while its tampered item exists, every listing of the keyring fails).

/// The encrypted file store against real files.
mod encrypted_file;
/// Lock events from private D-Bus buses standing in for logind and the screen savers.
mod lock_events;
/// Presence through a real polkitd.
mod polkit;
/// The Secret Service store against a real gnome-keyring.
mod secret_service;
