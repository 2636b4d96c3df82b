//! `latchkey sofa fleet FILE`: a fleet from an MDM's CSV export as it comes, or a JSON array of
//! `{id, os_version, model?}`, read one row at a time (parsing in `latchkey_sofa::FleetCsv` and
//! `each_json_device`) and judged as it passes (`FleetTally`). Devices are listed most exposed
//! first, so every one is kept until the last is read, but only as its id, its version text and
//! the number of its standing (shared by every device on that version and hardware limit).
//! Errors name the file and the row.

use std::cmp::Reverse;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, bail};
use latchkey_sofa::{DeviceStatus, FleetCsv, FleetReport, FleetRow, FleetTally, each_json_device};
use serde::ser::{Serialize, SerializeSeq, Serializer};

/// A fleet file, opened: a CSV export with its header read, or a JSON array.
#[derive(Debug)]
pub enum Input {
    Csv(Box<FleetCsv<BufReader<File>>>),
    Json(BufReader<File>),
}

impl Input {
    /// JSON when the file is named .json or starts with `[`, else CSV, whose header is read now:
    /// an export no reader knows is refused before any feed is fetched.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let named = || format!("{}", path.display());
        let file = File::open(path).with_context(|| format!("read {}", path.display()))?;
        let mut reader = BufReader::with_capacity(64 * 1024, file);
        // Leading whitespace means nothing to either format; past it, one byte tells them apart.
        let starts_with_bracket = loop {
            let buf = reader.fill_buf().with_context(named)?;
            match buf.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(i) => {
                    let bracket = buf[i] == b'[';
                    reader.consume(i);
                    break bracket;
                }
                None if buf.is_empty() => break false,
                None => {
                    let all = buf.len();
                    reader.consume(all);
                }
            }
        };
        let is_json = starts_with_bracket
            || path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        Ok(match is_json {
            true => Self::Json(reader),
            false => Self::Csv(Box::new(FleetCsv::new(reader).with_context(named)?)),
        })
    }
}

/// Where one device's text sits in [`Fleet::text`], and its standing.
#[derive(Debug, Clone, Copy)]
struct Row {
    start: usize,
    id_end: usize,
    end: usize,
    standing: usize,
}

/// Every device of a fleet file, judged, most exposed first.
#[derive(Debug)]
pub struct Fleet<'f> {
    tally: FleetTally<'f>,
    /// Each device's id then its OS version, back to back.
    text: String,
    rows: Vec<Row>,
}

/// One device of a [`Fleet`].
#[derive(Debug, Clone, Copy)]
pub struct Device<'a> {
    pub id: &'a str,
    pub os_version: &'a str,
    /// The number of its standing, shared by every device on its version and hardware limit.
    pub number: usize,
    /// That standing (empty `id` and `os_version`: they are the fields above).
    pub standing: &'a DeviceStatus,
}

impl<'f> Fleet<'f> {
    /// Reads every device of `input` (opened from `path`), judging each as it is read.
    pub fn read(path: &Path, input: Input, tally: FleetTally<'f>) -> anyhow::Result<Self> {
        let mut fleet = Self {
            tally,
            text: String::new(),
            rows: Vec::new(),
        };
        let named = || format!("{}", path.display());
        match input {
            Input::Csv(mut csv) => {
                while let Some(row) = csv.next_row().with_context(named)? {
                    fleet.push(row);
                }
            }
            Input::Json(reader) => {
                each_json_device(reader, |row| fleet.push(row)).with_context(named)?;
            }
        }
        if fleet.rows.is_empty() {
            bail!("{} lists no devices", path.display());
        }
        // Stable: equally exposed devices keep the file's order. Each standing's exposure is
        // looked up once, not at every comparison.
        let tally = &fleet.tally;
        let exposure: Vec<_> = (0..tally.standings())
            .map(|n| Reverse(tally.standing(n).exposure()))
            .collect();
        fleet.rows.sort_by_key(|r| exposure[r.standing]);
        Ok(fleet)
    }

    fn push(&mut self, row: FleetRow<'_>) {
        let standing = self.tally.add(&row.os_version, row.model);
        let start = self.text.len();
        self.text.push_str(&row.id);
        let id_end = self.text.len();
        self.text.push_str(&row.os_version);
        self.rows.push(Row {
            start,
            id_end,
            end: self.text.len(),
            standing,
        });
    }

    /// The totals and distribution.
    pub fn summary(&self) -> FleetReport<()> {
        self.tally.summary()
    }

    /// Every device, most exposed first.
    pub fn devices(&self) -> impl Iterator<Item = Device<'_>> + Clone {
        self.rows.iter().map(|r| Device {
            id: &self.text[r.start..r.id_end],
            os_version: &self.text[r.id_end..r.end],
            number: r.standing,
            standing: self.tally.standing(r.standing),
        })
    }
}

/// A fleet's devices as the report's array, each made and written in turn.
#[derive(Debug)]
pub struct Devices<'a>(pub &'a Fleet<'a>);

impl Serialize for Devices<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.rows.len()))?;
        // One device at a time in the same two strings: no allocation per device.
        let (mut id, mut os_version) = (String::new(), String::new());
        for d in self.0.devices() {
            id.clear();
            os_version.clear();
            id.push_str(d.id);
            os_version.push_str(d.os_version);
            let device = DeviceStatus {
                id,
                os_version,
                ..d.standing.clone()
            };
            seq.serialize_element(&device)?;
            (id, os_version) = (device.id, device.os_version);
        }
        seq.end()
    }
}
