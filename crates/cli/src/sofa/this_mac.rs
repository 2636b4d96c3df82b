//! This Mac's macOS version and model identifier; elsewhere there is no such thing and the user
//! names a version. (macOS path type-checked on Linux, not yet run on a Mac.)

#[cfg(target_os = "macos")]
pub fn os_version() -> anyhow::Result<String> {
    use anyhow::Context;
    let out = std::process::Command::new("/usr/bin/sw_vers")
        .arg("-productVersion")
        .output()
        .context("run sw_vers")?;
    anyhow::ensure!(
        out.status.success(),
        "sw_vers failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(String::from_utf8(out.stdout)
        .context("sw_vers printed non-UTF-8")?
        .trim()
        .to_owned())
}

#[cfg(not(target_os = "macos"))]
pub fn os_version() -> anyhow::Result<String> {
    anyhow::bail!("this is not a Mac: give a macOS version, e.g. `latchkey sofa status 15.1`")
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
