//! Reading a fleet from a file: an MDM's CSV export as it comes, or a JSON array of
//! `{id, os_version, model?}` (parsing in `latchkey_sofa::fleet_from_csv`). Errors name the
//! file and the row.

use std::path::Path;

use anyhow::{Context, bail};
use latchkey_sofa::{FleetDevice, fleet_from_csv, fleet_from_json};

pub fn read(path: &Path) -> anyhow::Result<Vec<FleetDevice>> {
    let bytes = std::fs::read(path).with_context(|| format!("read {}", path.display()))?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let devices = if is_json {
        fleet_from_json(&bytes)
    } else {
        fleet_from_csv(&bytes)
    }
    .with_context(|| format!("{}", path.display()))?;
    if devices.is_empty() {
        bail!("{} lists no devices", path.display());
    }
    Ok(devices)
}
