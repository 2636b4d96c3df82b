//! `latchkey sofa fleet FILE`: a fleet from an MDM's CSV export as it comes, or a JSON array of
//! `{id, os_version, model?}`, read one row at a time (parsing in `latchkey_sofa::FleetCsv` and
//! `each_json_device`) and judged as it passes (`FleetTally`). Devices are listed most exposed
//! first, so every one is kept until the last is read, but only as its id, its version text and
//! the number of its standing (shared by every device on that version and hardware limit).
//! Errors name the file and the row.

use std::cmp::Reverse;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use anyhow::{Context, bail};
use latchkey_sofa::{DeviceStatus, FleetCsv, FleetReport, FleetRow, FleetTally, each_json_device};
use serde::Serialize;

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

/// Writes `document` as pretty JSON, its last value, an empty array, replaced by the fleet's
/// devices, most exposed first: the same bytes serde would write for the report with every
/// device in it. Each standing's fields are rendered once and copied for each of its devices,
/// which otherwise had serde format the same dates and counts 100,000 times (most of
/// `--json`'s time on a large fleet).
pub fn write_json(
    out: &mut impl Write,
    document: &impl Serialize,
    fleet: &Fleet<'_>,
) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(document)?;
    let (head, tail) = text
        .rsplit_once("[]")
        .filter(|(_, tail)| tail.chars().all(|c| c == '}' || c.is_whitespace()))
        .expect("the document ends with the devices' empty array");
    let line = &head[head.rfind('\n').map_or(0, |n| n + 1)..];
    // The array's own line is indented like its key; its devices one level further.
    let indent = line.len() - line.trim_start().len();
    let (device, field) = (" ".repeat(indent + 2), " ".repeat(indent + 4));
    let standings: Vec<String> = (0..fleet.tally.standings())
        .map(|n| standing_fields(fleet.tally.standing(n), &device))
        .collect::<serde_json::Result<_>>()?;
    out.write_all(head.as_bytes())?;
    out.write_all(b"[")?;
    for (n, d) in fleet.devices().enumerate() {
        out.write_all(if n == 0 { b"\n" } else { b",\n" })?;
        write!(out, "{device}{{\n{field}\"id\": ")?;
        serde_json::to_writer(&mut *out, d.id)?;
        write!(out, ",\n{field}\"os_version\": ")?;
        serde_json::to_writer(&mut *out, d.os_version)?;
        out.write_all(standings[d.number].as_bytes())?;
    }
    if !fleet.rows.is_empty() {
        write!(out, "\n{}", &device[2..])?;
    }
    write!(out, "]{tail}")
}

/// A standing's fields after `os_version`, as pretty JSON for a device object indented by
/// `device`: from the comma that ends `os_version`'s line to the object's closing brace.
fn standing_fields(standing: &DeviceStatus, device: &str) -> serde_json::Result<String> {
    let text = serde_json::to_string_pretty(&DeviceStatus {
        id: String::new(),
        os_version: String::new(),
        ..standing.clone()
    })?;
    let fields = text
        .strip_prefix("{\n  \"id\": \"\",\n  \"os_version\": \"\"")
        .expect("a device's JSON starts with its id and OS version");
    Ok(fields.replace('\n', &format!("\n{device}")))
}
