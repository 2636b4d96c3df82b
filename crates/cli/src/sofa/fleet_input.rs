//! Reading a fleet from a file: CSV with a header naming the columns, or a JSON array of
//! `{id, os_version, model?}`. Errors name the file and the row.

use std::path::Path;

use anyhow::{Context, bail};
use latchkey_sofa::FleetDevice;

pub fn read(path: &Path) -> anyhow::Result<Vec<FleetDevice>> {
    let bytes = std::fs::read(path).with_context(|| format!("read {}", path.display()))?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let devices = if is_json {
        serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{}: expected a JSON array of {{id, os_version, model?}}",
                path.display()
            )
        })?
    } else {
        from_csv(&bytes).with_context(|| format!("{}", path.display()))?
    };
    if devices.is_empty() {
        bail!("{} lists no devices", path.display());
    }
    Ok(devices)
}

fn from_csv(bytes: &[u8]) -> anyhow::Result<Vec<FleetDevice>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(bytes);
    let headers = reader.headers().context("read the CSV header")?.clone();
    let column = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let (Some(id), Some(version)) = (
        column(&["id", "device", "serial", "serial_number", "name"]),
        column(&["os_version", "version", "os", "macos"]),
    ) else {
        bail!(
            "the CSV header must name an id column (id, serial, name) and an os_version column; found: {}",
            headers.iter().collect::<Vec<_>>().join(",")
        );
    };
    let model = column(&["model", "model_identifier"]);
    reader
        .records()
        .enumerate()
        .map(|(row, record)| {
            let record = record.with_context(|| format!("row {}", row + 2))?;
            let field = |i: usize| record.get(i).unwrap_or("").to_owned();
            Ok(FleetDevice {
                id: field(id),
                os_version: field(version),
                model: model.map(field).filter(|m| !m.is_empty()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_columns_are_found_by_name_in_any_order() {
        let devices =
            from_csv(b"model, Serial ,os_version\n\"Mac14,2\",C02X,15.1\n,ABC,26.0\n").unwrap();
        assert_eq!(
            devices,
            [
                FleetDevice {
                    id: "C02X".into(),
                    os_version: "15.1".into(),
                    model: Some("Mac14,2".into())
                },
                FleetDevice {
                    id: "ABC".into(),
                    os_version: "26.0".into(),
                    model: None
                },
            ]
        );
    }

    #[test]
    fn a_header_without_a_version_column_is_refused_by_name() {
        let err = from_csv(b"serial,model\nC02X,Mac14,2\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("os_version") && err.contains("serial,model"),
            "{err}"
        );
    }
}
