//! Fleet input as admins have it: a device export from Jamf Pro, Kandji, Mosyle, Intune, Addigy
//! or Fleet, read without editing, or a JSON array of [`FleetDevice`]. Both are read one device
//! at a time ([`FleetCsv`], [`each_json_device`]): an export of any size needs only its current
//! row in memory.
//!
//! A CSV header names its columns in the vendor's words ("Serial Number", "hardware_serial",
//! "OS version"); a column is found by its name with case, spaces and punctuation ignored, from
//! the aliases below. Where several columns could be the id, the first alias in [`ID_COLUMNS`]
//! wins (serial, then a name, then an opaque device id), and a row whose winning cell is empty
//! takes the next one. OS cells such as "macOS 14.5", "14.5 (23F79)" or "Mac OS X 10.15.7" are
//! reduced to the version; one that holds no version is kept as given (and judged unreadable).

use std::borrow::Cow;
use std::io::Read;

use serde::de::{Deserializer as _, SeqAccess, Visitor};

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
    fn row<'a>(&self, cells: &'a csv::StringRecord, row: usize) -> FleetRow<'a> {
        let cell = |i: usize| cells.get(i).map_or("", str::trim);
        let id = (self.id.iter().map(|&i| cell(i)))
            .find(|id| !id.is_empty())
            .map_or_else(|| Cow::Owned(format!("row {row}")), Cow::Borrowed);
        FleetRow {
            id,
            os_version: os_version_in(cell(self.os_version)),
            model: self.model.map(cell).filter(|m| !m.is_empty()),
        }
    }
}

/// One device as a fleet file gives it, its OS cell reduced to the version; borrowed from the
/// reader until the next row is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetRow<'a> {
    /// The device's id ("row N" when the row has none).
    pub id: Cow<'a, str>,
    /// Its OS version, as [`os_version_in`] reads the cell.
    pub os_version: Cow<'a, str>,
    /// Its model, when the file gives one.
    pub model: Option<&'a str>,
}

impl FleetRow<'_> {
    /// The device, owned.
    pub fn to_device(&self) -> FleetDevice {
        FleetDevice {
            id: self.id.clone().into_owned(),
            os_version: self.os_version.clone().into_owned(),
            model: self.model.map(str::to_owned),
        }
    }
}

/// The version in an OS cell as MDMs write it: "14.5", "macOS 14.5", "macOS Sonoma 14.5",
/// "14.5 (23F79)" (build), "Mac OS X 10.15.7", "13.4.1 (a)" (a Rapid Security Response letter,
/// kept). A cell with no readable version is returned as given, trimmed.
pub fn os_version_in(cell: &str) -> Cow<'_, str> {
    let cell = cell.trim();
    if cell.parse::<Version>().is_ok() {
        return Cow::Borrowed(cell);
    }
    let mut words = cell.split_whitespace();
    let Some(number) = words.find(|w| w.starts_with(|c: char| c.is_ascii_digit())) else {
        return Cow::Borrowed(cell);
    };
    if number.parse::<Version>().is_err() {
        return Cow::Borrowed(cell);
    }
    // A one-letter parenthesis right after the number is an RSR; anything else (a build) goes.
    match words.next() {
        Some(rsr) if matches!(rsr.as_bytes(), [b'(', c, b')'] if c.is_ascii_alphabetic()) => {
            Cow::Owned(format!("{number} {rsr}"))
        }
        _ => Cow::Borrowed(number),
    }
}

/// A fleet CSV export read one row at a time: a header row naming the columns, then one
/// device per row.
#[derive(Debug)]
pub struct FleetCsv<R> {
    reader: csv::Reader<R>,
    columns: FleetColumns,
    record: csv::StringRecord,
    /// The 1-based line of the last record read (the header is row 1).
    row: usize,
}

impl<R: Read> FleetCsv<R> {
    /// Reads the header and finds the columns: an export no reader knows is refused here,
    /// before any row.
    pub fn new(input: R) -> Result<Self, FleetInputError> {
        // Cells are trimmed as they are read (`FleetColumns::row`): csv's own trimming would
        // copy every record.
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::Headers)
            .flexible(true)
            .buffer_capacity(64 * 1024)
            .from_reader(input);
        let header = reader
            .headers()
            .map_err(|source| FleetInputError::Csv { row: 1, source })?;
        let columns = FleetColumns::from_header(&header.iter().collect::<Vec<_>>())?;
        Ok(Self {
            reader,
            columns,
            record: csv::StringRecord::new(),
            row: 1,
        })
    }

    /// The next device, or `None` after the last.
    pub fn next_row(&mut self) -> Result<Option<FleetRow<'_>>, FleetInputError> {
        let row = self.row + 1;
        let more = (self.reader.read_record(&mut self.record))
            .map_err(|source| FleetInputError::Csv { row, source })?;
        self.row = row;
        Ok(more.then(|| self.columns.row(&self.record, row)))
    }
}

/// Reads a fleet CSV export whole (see [`FleetCsv`] for one row at a time).
pub fn fleet_from_csv(bytes: &[u8]) -> Result<Vec<FleetDevice>, FleetInputError> {
    let mut csv = FleetCsv::new(bytes)?;
    let mut devices = Vec::new();
    while let Some(row) = csv.next_row()? {
        devices.push(row.to_device());
    }
    Ok(devices)
}

/// Reads a JSON array of `{id, os_version, model?}` one element at a time, handing each
/// device to `each` with its OS cell reduced as in a CSV; returns how many there were.
pub fn each_json_device(
    input: impl Read,
    each: impl FnMut(FleetRow<'_>),
) -> Result<usize, FleetInputError> {
    struct Each<F>(F, usize);
    impl<'de, F: FnMut(FleetRow<'_>)> Visitor<'de> for &mut Each<F> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(device) = seq.next_element::<FleetDevice>()? {
                (self.0)(FleetRow {
                    id: Cow::Borrowed(&device.id),
                    os_version: os_version_in(&device.os_version),
                    model: device.model.as_deref(),
                });
                self.1 += 1;
            }
            Ok(())
        }
    }
    let mut each = Each(each, 0);
    let mut json = serde_json::Deserializer::from_reader(input);
    json.deserialize_seq(&mut each)?;
    json.end()?;
    Ok(each.1)
}

/// Reads a JSON array of `{id, os_version, model?}` whole, OS cells reduced as in a CSV.
pub fn fleet_from_json(bytes: &[u8]) -> Result<Vec<FleetDevice>, FleetInputError> {
    let mut devices = Vec::new();
    each_json_device(bytes, |row| devices.push(row.to_device()))?;
    Ok(devices)
}

/// Each device's OS as its version ("macOS 14.5" → "14.5"), as [`os_version_in`] reads a
/// cell: for devices given by other means than a file (an assistant's list).
pub fn reduce_os_versions(devices: &mut [FleetDevice]) {
    for device in devices {
        device.os_version = os_version_in(&device.os_version).into_owned();
    }
}
