//! Fleet input as MDMs export it (issue #17): each vendor's header as published, read without
//! editing; header matching; OS cells reduced to the version; unknown layouts refused by name.
//!
//! Where each header comes from is said at each test. Where we could not see a vendor's own
//! export, the test says so: those headers are the vendor's API field names, and the reader
//! matches the spelled-out forms of the same names too (case, spaces and punctuation ignored).
//! The exports are files under `tests/data/mdm/`, which the CLI's tests read too.

use std::borrow::Cow;

use latchkey_sofa::{
    FleetColumns, FleetCsv, FleetDevice, FleetInputError, each_json_device, fleet_from_csv,
    fleet_from_json, os_version_in,
};

fn device(id: &str, os_version: &str, model: Option<&str>) -> FleetDevice {
    FleetDevice {
        id: id.into(),
        os_version: os_version.into(),
        model: model.map(Into::into),
    }
}

fn read(csv: &str) -> Vec<FleetDevice> {
    fleet_from_csv(csv.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{csv}"))
}

#[test]
fn header_names_match_ignoring_case_spaces_and_punctuation() {
    for header in [
        ["Serial Number", "OS Version"],
        ["serial_number", "os_version"],
        ["SERIAL-NUMBER", "os.version"],
        ["\u{feff}serialNumber", " OSVersion "],
    ] {
        let columns = FleetColumns::from_header(&header).unwrap();
        assert_eq!((columns.id, columns.os_version), (vec![0], 1), "{header:?}");
    }
}

#[test]
fn the_id_is_the_serial_then_a_name_then_an_opaque_id() {
    // Fleet's own numeric id, a UDID, a name and a serial: the serial wins, then the name.
    let header = ["id", "udid", "hostname", "hardware_serial", "os_version"];
    let columns = FleetColumns::from_header(&header).unwrap();
    assert_eq!(columns.id, [3, 2, 1, 0]);
    // A row without a serial takes the next id; one with no id at all is named by its row.
    let devices =
        read("id,udid,hostname,hardware_serial,os_version\n7,U-1,web-1,,14.5\n8,,,,15.1\n");
    assert_eq!(
        devices,
        [device("web-1", "14.5", None), device("8", "15.1", None)]
    );
    assert_eq!(
        read("serial,os_version\n,15.1\n"),
        [device("row 2", "15.1", None)]
    );
}

#[test]
fn a_version_column_wins_over_one_naming_the_os() {
    // Intune exports both "OS" ("macOS") and "OS version"; Jamf "Operating System"
    // ("macOS 14.5") and "Operating System Version" ("14.5").
    let columns = FleetColumns::from_header(&["OS", "Serial number", "OS version"]).unwrap();
    assert_eq!(columns.os_version, 2);
    let columns = FleetColumns::from_header(&[
        "Operating System",
        "Operating System Version",
        "Serial Number",
    ])
    .unwrap();
    assert_eq!(columns.os_version, 1);
    // A model identifier wins over a marketing name.
    let columns =
        FleetColumns::from_header(&["Model", "Model Identifier", "Serial Number", "os"]).unwrap();
    assert_eq!(columns.model, Some(1));
}

#[test]
fn os_cells_are_reduced_to_the_version() {
    for (cell, want) in [
        ("14.5", "14.5"),
        (" 15.7.5 ", "15.7.5"),
        ("macOS 14.5", "14.5"),
        ("macOS Sonoma 14.5", "14.5"),
        ("14.5 (23F79)", "14.5"),
        ("macOS 14.5 (23F79)", "14.5"),
        ("Mac OS X 10.15.7", "10.15.7"),
        ("OS X 10.11.6", "10.11.6"),
        ("13.4.1 (a)", "13.4.1 (a)"),
        ("macOS 13.4.1 (c) (22F770820d)", "13.4.1 (c)"),
        // No version in it: kept as given, so the report shows what the export said.
        ("macOS", "macOS"),
        ("Sequoia", "Sequoia"),
        ("", ""),
        ("15.x", "15.x"),
    ] {
        assert_eq!(os_version_in(cell), want, "{cell:?}");
    }
}

#[test]
fn an_unknown_layout_is_refused_naming_the_accepted_columns() {
    let err = fleet_from_csv(b"Asset,Owner,Build\nA1,ann,23F79\n").unwrap_err();
    assert!(matches!(
        err,
        FleetInputError::UnknownLayout {
            role: "device id",
            ..
        }
    ));
    let text = err.to_string();
    for name in [
        "serial_number",
        "hostname",
        "udid",
        "device_id",
        "Asset,Owner,Build",
    ] {
        assert!(text.contains(name), "{name} not in: {text}");
    }
    let text = fleet_from_csv(b"serial,model\nC02X,\"Mac14,2\"\n")
        .unwrap_err()
        .to_string();
    for name in [
        "OS version column",
        "os_version",
        "operating_system_version",
        "product_version",
        "serial,model",
    ] {
        assert!(text.contains(name), "{name} not in: {text}");
    }
}

#[test]
fn the_plain_layout_still_reads() {
    assert_eq!(
        read("model, Serial ,os_version\n\"Mac14,2\",C02X,15.1\n,ABC,26.0\n"),
        [
            device("C02X", "15.1", Some("Mac14,2")),
            device("ABC", "26.0", None)
        ]
    );
    assert_eq!(
        read("id,version\nA1,15.7.5\n"),
        [device("A1", "15.7.5", None)]
    );
}

#[test]
fn json_arrays_still_read_with_os_cells_reduced() {
    let devices = fleet_from_json(
        br#"[{"id":"A1","os_version":"15.1","model":"Mac14,2"},{"id":"A2","os_version":"macOS 14.5 (23F79)"}]"#,
    )
    .unwrap();
    assert_eq!(
        devices,
        [
            device("A1", "15.1", Some("Mac14,2")),
            device("A2", "14.5", None)
        ]
    );
    assert!(matches!(
        fleet_from_json(b"{\"id\":1}"),
        Err(FleetInputError::Json(_))
    ));
}

/// Issue #16: an export is read one row at a time, each row borrowed from the reader's buffer
/// (a cell that holds its version is not copied); a row that cannot be read is named by its
/// line once the rows before it have been handed out.
#[test]
fn csv_rows_are_read_one_at_a_time() {
    let mut csv =
        FleetCsv::new(&b"Serial Number,Operating System\nC1,macOS 14.5\nC2,\xff\n"[..]).unwrap();
    let first = csv.next_row().unwrap().expect("a first row");
    assert_eq!((first.id.as_ref(), first.model), ("C1", None));
    assert!(matches!(first.os_version, Cow::Borrowed("14.5")));
    let err = csv.next_row().unwrap_err();
    assert!(matches!(err, FleetInputError::Csv { row: 3, .. }), "{err}");
    // A header no reader knows is refused before any row.
    assert!(matches!(
        FleetCsv::new(&b"Asset,Owner\nA1,ann\n"[..]),
        Err(FleetInputError::UnknownLayout { .. })
    ));
}

#[test]
fn json_arrays_are_read_one_element_at_a_time() {
    let mut seen = Vec::new();
    let count = each_json_device(
        &br#"[{"id":"A1","os_version":"macOS 15.1"},{"id":"A2","os_version":"26.4","model":"Mac16,1"}]"#[..],
        |row| seen.push(row.to_device()),
    )
    .unwrap();
    assert_eq!(count, 2);
    assert_eq!(
        seen,
        [
            device("A1", "15.1", None),
            device("A2", "26.4", Some("Mac16,1"))
        ]
    );
    // Elements before a bad one have been handed out; the error is still an error.
    let mut before = 0;
    let bad = each_json_device(
        &br#"[{"id":"A1","os_version":"15.1"},{"id":2}]"#[..],
        |_| before += 1,
    );
    assert!(matches!(bad, Err(FleetInputError::Json(_))));
    assert_eq!(before, 1);
}

/// Jamf Pro, a computer search exported as CSV: the column names are the inventory display
/// names the issue quotes ("Computer Name", "Serial Number", "Operating System Version",
/// "Model Identifier"); "Operating System", "Model" and "UDID" are further display fields a
/// search often shows (the advanced search API names them Operating_System ("Mac OS X
/// 10.15.7"), Model ("MacBook Pro (16-inch, 2019)"), udid — seen in a public sample).
const JAMF: &str = include_str!("../data/mdm/jamf.csv");

#[test]
fn jamf_pro_computer_search_export() {
    assert_eq!(
        read(JAMF),
        [
            device("C02K2ND8CMF1", "15.1", Some("MacBookPro16,1")),
            device("C02XL0ABJHD3", "10.15.7", Some("iMac19,1")),
        ]
    );
    // The same search with only "Operating System" shown: the version comes out of it.
    assert_eq!(
        read(
            "Computer Name,Serial Number,Operating System\nLab iMac,C02XL0ABJHD3,Mac OS X 10.15.7\n"
        ),
        [device("C02XL0ABJHD3", "10.15.7", None)]
    );
}

/// Kandji: the field names of Kandji's device list API (`GET /api/v1/devices`: device_id,
/// device_name, model, serial_number, platform, os_version, last_check_in), as Cartography's
/// Kandji schema and test data publish them. The column names of the web console's CSV export
/// could not be confirmed; spelled out ("Serial Number", "OS Version") they match the same.
const KANDJI: &str = include_str!("../data/mdm/kandji.csv");

#[test]
fn kandji_device_export() {
    assert_eq!(
        read(KANDJI),
        [
            device("C02KANDJI001", "15.1", Some("MacBook Air (M1, 2020)")),
            device("C02KANDJI002", "15.7.5", Some("MacBook Pro")),
        ]
    );
}

/// Mosyle: NOT confirmed. Mosyle publishes no sample export we could read; these are the
/// device fields its Manager API (`/listdevices`) returns to our knowledge (deviceudid,
/// serial_number, device_name, device_model, os, osversion). "osversion" and "OS Version"
/// match alike, so the console's spelled-out export reads the same if it uses those words.
const MOSYLE: &str = include_str!("../data/mdm/mosyle.csv");

#[test]
fn mosyle_device_export() {
    assert_eq!(
        read(MOSYLE),
        [
            device("C02MOSYLE01", "15.1", Some("Mac14,2")),
            device("C02MOSYLE02", "26.4", Some("Mac16,1")),
        ]
    );
}

/// Microsoft Intune, Devices > All devices > Export: column names as the admin center shows
/// them ("Device name", "OS", "OS version", "Serial number", "Model", "Device ID"); the
/// export's full column list and order could not be confirmed from a published sample. The
/// same fields in Microsoft's IntuneDevices table reference (DeviceName, OS, OSVersion,
/// SerialNumber, Model, DeviceId) are confirmed and match the same way. macOS versions come
/// with the build: "15.1 (24B83)".
const INTUNE: &str = include_str!("../data/mdm/intune.csv");

#[test]
fn intune_device_export() {
    assert_eq!(
        read(INTUNE),
        [
            device("C02INTUNE01", "15.1", Some("MacBookPro18,3")),
            device("C02INTUNE02", "15.7.5", Some("Mac14,2")),
        ]
    );
    assert_eq!(
        read(
            "DeviceName,OS,OSVersion,SerialNumber,Model,DeviceId\nANN-MBP,macOS,14.5 (23F79),C02INTUNE01,\"Mac14,2\",8f3c\n"
        ),
        [device("C02INTUNE01", "14.5", Some("Mac14,2"))]
    );
}

/// Addigy: partly confirmed. The device fact identifiers device_name, serial_number and
/// mac_os_x_version are those a public collector reads from Addigy's API v2 (`POST
/// /api/v2/devices`, facts by identifier); agentid is the device's id there. hardware_model is
/// a fact that collector only tries. The console's CSV export column names could not be
/// confirmed.
const ADDIGY: &str = include_str!("../data/mdm/addigy.csv");

#[test]
fn addigy_device_export() {
    assert_eq!(
        read(ADDIGY),
        [
            device("C02ADDIGY01", "15.1", Some("Mac14,2")),
            device("C02ADDIGY02", "10.15.7", Some("Macmini8,1")),
        ]
    );
}

/// Fleet (fleetdm): the header of `GET /api/v1/fleet/hosts/report?format=csv`, the hosts CSV
/// the UI's export also downloads, exactly as Fleet's REST API documentation shows it. Its
/// `id` is Fleet's own number; hardware_serial wins. Fleet writes the OS name in front of the
/// version ("macOS 15.1"); that value format is from Fleet's host API examples as we know them,
/// not confirmed from the fetched page.
const FLEET: &str = include_str!("../data/mdm/fleet.csv");

#[test]
fn fleet_hosts_report() {
    assert_eq!(
        read(FLEET),
        [
            device("C02FLEET001", "15.1", Some("MacBookPro18,3")),
            device("C02FLEET002", "26.4", Some("Mac16,1")),
        ]
    );
}
