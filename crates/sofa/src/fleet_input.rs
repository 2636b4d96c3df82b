//! Fleet input as admins have it: a device export from Jamf Pro, Kandji, Mosyle, Intune, Addigy
//! or Fleet, read without editing, or a JSON array of [`FleetDevice`].
//!
//! A CSV header names its columns in the vendor's words ("Serial Number", "hardware_serial",
//! "OS version"); a column is found by its name with case, spaces and punctuation ignored, from
//! the aliases below. Where several columns could be the id, the first alias in [`ID_COLUMNS`]
//! wins (serial, then a name, then an opaque device id), and a row whose winning cell is empty
//! takes the next one. OS cells such as "macOS 14.5", "14.5 (23F79)" or "Mac OS X 10.15.7" are
//! reduced to the version; one that holds no version is kept as given (and judged unreadable).

use crate::{FleetDevice, Version};

/// Columns that can name a device, in precedence order: the serial (stable, what every MDM
/// searches by), then a name people read, then an MDM's own opaque id.
pub const ID_COLUMNS: &[&str] = &[
    "serial_number",
    "serial",
    "hardware_serial",
    "computer_name",
    "device_name",
    "hostname",
    "display_name",
    "name",
    "device",
    "device_id",
    "udid",
    "uuid",
    "id",
];

/// Columns that can hold the OS version, in precedence order: a version column before a
/// column that names the OS and may carry its version ("Operating System": "macOS 14.5").
pub const OS_VERSION_COLUMNS: &[&str] = &[
    "os_version",
    "operating_system_version",
    "product_version",
    "macos_version",
    "mac_os_x_version",
    "system_version",
    "version",
    "os",
    "operating_system",
    "macos",
];

/// Columns that can hold the Mac model, a model identifier ("MacBookPro16,1") before a
/// marketing name ("MacBook Pro (16-inch, 2019)"), which only some feeds can place.
pub const MODEL_COLUMNS: &[&str] = &[
    "model_identifier",
    "hardware_model",
    "device_model",
    "model",
];

/// Why a fleet file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FleetInputError {
    /// The CSV header has no column this reader knows for the id or the OS version.
    #[error(
        "the CSV header has no {role} column; accepted names (case, spaces and punctuation \
         ignored): {accepted}; the header has: {found}"
    )]
    UnknownLayout {
        /// "device id" or "OS version".
        role: &'static str,
        /// The accepted column names, comma-separated.
        accepted: String,
        /// The header as found, comma-separated.
        found: String,
    },
    /// A CSV record could not be read.
    #[error("row {row}: {source}")]
    Csv {
        /// The 1-based line of the record (the header is row 1).
        row: usize,
        /// The CSV reader's error.
        source: csv::Error,
    },
    /// The JSON is not an array of `{id, os_version, model?}`.
    #[error("expected a JSON array of {{id, os_version, model?}}: {0}")]
    Json(#[from] serde_json::Error),
}

/// `Serial Number`, `serial_number` and `SERIAL-NUMBER` all read `serialnumber`.
fn column_key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Where each of a header's columns of one kind are, in the aliases' precedence order.
fn find_columns(header: &[String], aliases: &[&str]) -> Vec<usize> {
    let keys: Vec<String> = header.iter().map(|h| column_key(h)).collect();
    aliases
        .iter()
        .filter_map(|alias| {
            let alias = column_key(alias);
            keys.iter().position(|k| *k == alias)
        })
        .collect()
}

/// Which columns of a header hold the id, the OS version and the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetColumns {
    /// Id columns, most preferred first (a row takes the first non-empty one).
    pub id: Vec<usize>,
    /// The OS version column.
    pub os_version: usize,
    /// The model column, when there is one.
    pub model: Option<usize>,
}

impl FleetColumns {
    /// Finds the columns in a header, or says which kind is missing and what would be accepted.
    pub fn from_header<S: AsRef<str>>(header: &[S]) -> Result<Self, FleetInputError> {
        let header: Vec<String> = header.iter().map(|h| h.as_ref().to_owned()).collect();
        let refuse = |role, aliases: &[&str]| FleetInputError::UnknownLayout {
            role,
            accepted: aliases.join(", "),
            found: header.join(","),
        };
        let id = find_columns(&header, ID_COLUMNS);
        if id.is_empty() {
            return Err(refuse("device id", ID_COLUMNS));
        }
        let Some(&os_version) = find_columns(&header, OS_VERSION_COLUMNS).first() else {
            return Err(refuse("OS version", OS_VERSION_COLUMNS));
        };
        let model = find_columns(&header, MODEL_COLUMNS).first().copied();
        Ok(Self {
            id,
            os_version,
            model,
        })
    }

    /// One device from a record's cells; `row` (1-based, header included) names a row
    /// without any id.
    pub fn device<S: AsRef<str>>(&self, cells: &[S], row: usize) -> FleetDevice {
        let cell = |i: usize| cells.get(i).map_or("", |c| c.as_ref().trim());
        let id = (self.id.iter().map(|&i| cell(i)))
            .find(|id| !id.is_empty())
            .map_or_else(|| format!("row {row}"), str::to_owned);
        FleetDevice {
            id,
            os_version: os_version_in(cell(self.os_version)),
            model: self
                .model
                .map(cell)
                .filter(|m| !m.is_empty())
                .map(Into::into),
        }
    }
}

/// The version in an OS cell as MDMs write it: "14.5", "macOS 14.5", "macOS Sonoma 14.5",
/// "14.5 (23F79)" (build), "Mac OS X 10.15.7", "13.4.1 (a)" (a Rapid Security Response letter,
/// kept). A cell with no readable version is returned as given, trimmed.
pub fn os_version_in(cell: &str) -> String {
    let cell = cell.trim();
    if cell.parse::<Version>().is_ok() {
        return cell.to_owned();
    }
    let mut words = cell.split_whitespace();
    let Some(number) = words.find(|w| w.starts_with(|c: char| c.is_ascii_digit())) else {
        return cell.to_owned();
    };
    if number.parse::<Version>().is_err() {
        return cell.to_owned();
    }
    // A one-letter parenthesis right after the number is an RSR; anything else (a build) goes.
    match words.next() {
        Some(rsr) if matches!(rsr.as_bytes(), [b'(', c, b')'] if c.is_ascii_alphabetic()) => {
            format!("{number} {rsr}")
        }
        _ => number.to_owned(),
    }
}

/// Reads a fleet CSV export: a header row naming the columns, then one device per row.
pub fn fleet_from_csv(bytes: &[u8]) -> Result<Vec<FleetDevice>, FleetInputError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|source| FleetInputError::Csv { row: 1, source })?
        .iter()
        .map(str::to_owned)
        .collect();
    let columns = FleetColumns::from_header(&header)?;
    let mut devices = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let row = n + 2;
        let record = record.map_err(|source| FleetInputError::Csv { row, source })?;
        let cells: Vec<&str> = record.iter().collect();
        devices.push(columns.device(&cells, row));
    }
    Ok(devices)
}

/// Reads a JSON array of `{id, os_version, model?}`, OS cells reduced as in a CSV.
pub fn fleet_from_json(bytes: &[u8]) -> Result<Vec<FleetDevice>, FleetInputError> {
    let mut devices: Vec<FleetDevice> = serde_json::from_slice(bytes)?;
    reduce_os_versions(&mut devices);
    Ok(devices)
}

/// Each device's OS as its version ("macOS 14.5" → "14.5"), as [`os_version_in`] reads a
/// cell: for devices given by other means than a file (an assistant's list).
pub fn reduce_os_versions(devices: &mut [FleetDevice]) {
    for device in devices {
        device.os_version = os_version_in(&device.os_version);
    }
}
