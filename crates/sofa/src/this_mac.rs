//! This Mac's macOS version and model identifier, for "how current is this Mac"; elsewhere
//! there is no such thing and the user names a version. (The macOS path is type-checked on
//! Linux, not yet run on a Mac.)

#[cfg(target_os = "macos")]
pub fn os_version() -> Result<String, String> {
    let out = std::process::Command::new("/usr/bin/sw_vers")
        .arg("-productVersion")
        .output()
        .map_err(|e| format!("cannot run sw_vers: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "sw_vers failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[cfg(not(target_os = "macos"))]
pub fn os_version() -> Result<String, String> {
    Err("this is not a Mac: give a macOS version, e.g. 15.1".to_owned())
}

/// `hw.model`, e.g. "Mac14,2".
#[cfg(target_os = "macos")]
pub fn model() -> Option<String> {
    let out = std::process::Command::new("/usr/sbin/sysctl")
        .args(["-n", "hw.model"])
        .output()
        .ok()?;
    let model = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !model.is_empty()).then_some(model)
}

#[cfg(not(target_os = "macos"))]
pub fn model() -> Option<String> {
    None
}
