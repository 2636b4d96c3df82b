//! macOS: the login Keychain, and LocalAuthentication (Touch ID with password fallback).
//! Type-checked on Linux by check-macos; not yet run on a Mac.

use objc2_local_authentication::{LAContext, LAPolicy};
use security_framework::os::macos::keychain::SecKeychain;

use crate::Probe;

pub(crate) async fn probe_secret_store() -> Probe {
    let name = "macOS Keychain";
    match SecKeychain::default() {
        Ok(_) => Probe {
            name,
            reachable: true,
            detail: "default keychain is available".into(),
        },
        Err(e) => Probe {
            name,
            reachable: false,
            detail: format!("default keychain: {e}"),
        },
    }
}

pub(crate) async fn probe_presence() -> Probe {
    let name = "LocalAuthentication (Touch ID or password)";
    // SAFETY: a fresh LAContext is used on this thread only; canEvaluatePolicy shows no UI.
    #[allow(unsafe_code)]
    let checked = unsafe {
        let context = LAContext::new();
        context.canEvaluatePolicy_error(LAPolicy::DeviceOwnerAuthentication)
    };
    match checked {
        Ok(()) => Probe {
            name,
            reachable: true,
            detail: "device owner authentication is available".into(),
        },
        Err(e) => Probe {
            name,
            reachable: false,
            detail: e.localizedDescription().to_string(),
        },
    }
}
