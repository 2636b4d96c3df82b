//! The generated fleet and the computers-inventory endpoints (v4, v3, v1: list with RSQL
//! filtering and paging, and one record by id).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration as Days, Utc};
use serde_json::{Value, json};

use crate::respond::{Lookup, api_error, filtered, json_response, paging, refused};
use crate::server::MockState;

/// The moment generated "last contact" dates count back from.
pub const CONTACT_BASE: &str = "2026-09-01T12:00:00Z";

/// macOS versions handed out in turn: current and behind releases of 26, 15, 14, 13 and 12
/// (as of the 2026-09-10 SOFA fixture) plus majors the feed does not cover.
pub const VERSIONS: [&str; 18] = [
    "26.6.2", "26.6", "26.3", "26.0", "15.7.9", "15.7.4", "15.6.1", "15.1", "14.8.9", "14.7.6",
    "14.4.1", "13.7.8", "13.6.1", "13.0", "12.7.6", "12.6", "11.7.10", "10.15.7",
];

/// Model identifiers handed out in turn: recent Apple silicon, Intel Macs capped at older
/// majors, and one the feed does not know.
pub const MODELS: [(&str, &str); 9] = [
    ("Mac15,3", "MacBook Pro (14-inch, M3, Nov 2023)"),
    ("Mac14,2", "MacBook Air (M2, 2022)"),
    ("MacBookPro18,3", "MacBook Pro (14-inch, 2021)"),
    ("MacBookAir10,1", "MacBook Air (M1, 2020)"),
    ("iMac19,1", "iMac (Retina 5K, 27-inch, 2019)"),
    ("MacBookPro15,2", "MacBook Pro (13-inch, 2018)"),
    ("Macmini8,1", "Mac mini (2018)"),
    ("MacBookPro14,1", "MacBook Pro (13-inch, 2017)"),
    ("Mac99,9", "Mac of the future"),
];

/// One generated computer.
#[derive(Debug, Clone)]
pub struct MockComputer {
    pub id: u64,
    pub name: String,
    pub serial: String,
    pub username: String,
    pub realname: String,
    pub email: String,
    pub model_identifier: &'static str,
    pub model: &'static str,
    /// `None`: the OS section has no version (null); `Some("")` and junk are sent as is.
    pub os_version: Option<&'static str>,
    /// The whole operatingSystem section is null.
    pub no_os_section: bool,
    /// The whole hardware section is null.
    pub no_hardware_section: bool,
    /// The whole userAndLocation section is null.
    pub no_user_section: bool,
    pub last_contact: DateTime<Utc>,
    pub sip_status: &'static str,
    pub filevault: bool,
    pub firewall: bool,
    /// The MDM management id; none for the unmanaged ones (not enrolled in MDM).
    pub management_id: Option<String>,
}

impl MockComputer {
    /// The OS version a client can see (none when the section or the field is missing).
    pub fn visible_os_version(&self) -> Option<&'static str> {
        if self.no_os_section {
            None
        } else {
            self.os_version
        }
    }

    /// The model identifier a client can see.
    pub fn visible_model(&self) -> Option<&'static str> {
        (!self.no_hardware_section).then_some(self.model_identifier)
    }
}

/// The deterministic fleet. For computer `i` (0-based, id `i + 1`):
/// - OS version `VERSIONS[(i * 7) % 18]`, except: every 41st (i % 41 == 40) reports a null
///   version, every 43rd `""`, every 47th `"Sequoia"` (junk), and every 37th has a null
///   operatingSystem section;
/// - model `MODELS[(i * 5) % 9]`; every 53rd has a null hardware section;
/// - every 31st has a null userAndLocation section;
/// - last contact `CONTACT_BASE` minus `i % 120` days;
/// - SIP "ENABLED", or "DISABLED" every 19th, or the unknown "FUTURE_SIP_STATE" every 29th;
///   FileVault off every 6th; firewall off every 5th.
/// - every 10th (id a multiple of 10) is unmanaged and has no MDM management id;
/// - Computer 3 (i = 2) is named `Lab "A\B", 1;(x)` to exercise RSQL escaping.
pub fn generate(count: usize) -> Vec<MockComputer> {
    let base: DateTime<Utc> = CONTACT_BASE.parse().unwrap();
    (0..count)
        .map(|i| {
            let (model_identifier, model) = MODELS[(i * 5) % MODELS.len()];
            let os_version = match i {
                _ if i % 41 == 40 => None,
                _ if i % 43 == 42 => Some(""),
                _ if i % 47 == 46 => Some("Sequoia"),
                _ => Some(VERSIONS[(i * 7) % VERSIONS.len()]),
            };
            MockComputer {
                id: i as u64 + 1,
                name: if i == 2 {
                    r#"Lab "A\B", 1;(x)"#.to_owned()
                } else {
                    format!("Mac-{i:05}")
                },
                serial: format!("C02{i:09}"),
                username: format!("user{i}"),
                realname: format!("User Number {i}"),
                email: format!("user{i}@example.com"),
                model_identifier,
                model,
                os_version,
                no_os_section: i % 37 == 36,
                no_hardware_section: i % 53 == 52,
                no_user_section: i % 31 == 30,
                last_contact: base - Days::days((i % 120) as i64),
                sip_status: match i {
                    _ if i % 29 == 28 => "FUTURE_SIP_STATE",
                    _ if i % 19 == 18 => "DISABLED",
                    _ => "ENABLED",
                },
                filevault: i % 6 != 5,
                firewall: i % 5 != 4,
                management_id: (i % 10 != 9)
                    .then(|| format!("a1b2c3d4-0000-4000-8000-{:012}", i + 1)),
            }
        })
        .collect()
}

fn computer_field(c: &MockComputer, name: &str) -> Lookup {
    let user = |value: &String| (!c.no_user_section).then(|| value.clone());
    Ok(match name {
        "id" => Some(c.id.to_string()),
        "general.name" => Some(c.name.clone()),
        "hardware.serialNumber" => (!c.no_hardware_section).then(|| c.serial.clone()),
        "userAndLocation.username" => user(&c.username),
        "userAndLocation.realname" => user(&c.realname),
        "userAndLocation.email" => user(&c.email),
        _ => return Err(format!("unknown field {name}")),
    })
}

pub(crate) async fn inventory_list(
    State(state): State<Arc<MockState>>,
    Query(query): Query<Vec<(String, String)>>,
    version: u8,
) -> Response {
    let (page, size) = match paging(&query) {
        Ok(p) => p,
        Err(e) => return refused(e),
    };
    let matching = match filtered(&state.computers, &query, computer_field) {
        Ok(m) => m,
        Err(e) => return refused(e),
    };
    let sections: Vec<&str> = query
        .iter()
        .filter(|(k, _)| k == "section")
        .map(|(_, v)| v.as_str())
        .collect();
    let results: Vec<Value> = matching
        .iter()
        .skip(page * size)
        .take(size)
        .map(|c| computer_json(c, &sections, version))
        .collect();
    json_response(
        StatusCode::OK,
        &json!({"totalCount": matching.len(), "results": results}),
    )
}

pub(crate) async fn inventory_one(
    State(state): State<Arc<MockState>>,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    version: u8,
) -> Response {
    let sections: Vec<&str> = query
        .iter()
        .filter(|(k, _)| k == "section")
        .map(|(_, v)| v.as_str())
        .collect();
    match state.computers.iter().find(|c| c.id.to_string() == id) {
        Some(c) => json_response(StatusCode::OK, &computer_json(c, &sections, version)),
        None => api_error(StatusCode::NOT_FOUND, "computer not found"),
    }
}

/// A computer as inventory version `version` renders it; unrequested sections are null.
pub fn computer_json(c: &MockComputer, sections: &[&str], version: u8) -> Value {
    let wants = |s: &str| sections.contains(&s) || (sections.is_empty() && s == "GENERAL");
    let contact_key = if version == 4 {
        "lastContact"
    } else {
        "lastContactTime"
    };
    let contact = c
        .last_contact
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut general = json!({
        "name": c.name, "platform": "Mac", "remoteManagement": {"managed": !c.id.is_multiple_of(10)},
        "reportDate": contact, "site": {"id": "-1", "name": "None"}, "managementId": c.management_id
    });
    general[contact_key] = json!(contact);
    json!({
        "id": c.id.to_string(),
        "udid": format!("00000000-0000-0000-0000-{:012}", c.id),
        "general": wants("GENERAL").then_some(general),
        "hardware": (wants("HARDWARE") && !c.no_hardware_section).then(|| json!({
            "make": "Apple", "model": c.model, "modelIdentifier": c.model_identifier,
            "serialNumber": c.serial, "appleSilicon": c.model_identifier.starts_with("Mac1"),
            "batteryHealth": if c.id.is_multiple_of(13) { "FUTURE_BATTERY_STATE" } else { "NORMAL" }
        })),
        "operatingSystem": (wants("OPERATING_SYSTEM") && !c.no_os_section).then(|| json!({
            "name": "macOS", "version": c.os_version, "build": "25A000",
            "fileVault2Status": match (c.filevault, c.id.is_multiple_of(11)) {
                (_, true) => "SOME_NEW_STATUS", (true, _) => "ALL_ENCRYPTED", (false, _) => "NOT_ENCRYPTED"
            }
        })),
        "security": wants("SECURITY").then(|| json!({
            "sipStatus": c.sip_status, "gatekeeperStatus": "APP_STORE_AND_IDENTIFIED_DEVELOPERS",
            "xprotectVersion": "5310", "firewallEnabled": c.firewall, "secureBootLevel": "FULL_SECURITY",
            "activationLockEnabled": false, "bootstrapTokenEscrowedStatus": "ESCROWED"
        })),
        "diskEncryption": wants("DISK_ENCRYPTION").then(|| json!({
            "fileVault2Enabled": c.filevault,
            "bootPartitionEncryptionDetails": {"partitionName": "Macintosh HD",
                "partitionFileVault2State": if c.filevault { "ENCRYPTED" } else { "UNENCRYPTED" },
                "partitionFileVault2Percent": if c.filevault { 100 } else { 0 }},
            "individualRecoveryKeyValidityStatus": "VALID", "institutionalRecoveryKeyPresent": false
        })),
        "userAndLocation": (wants("USER_AND_LOCATION") && !c.no_user_section).then(|| json!({
            "username": c.username, "realname": c.realname, "email": c.email, "position": null
        })),
        "applications": wants("APPLICATIONS").then(|| (0..150).map(|n| json!({
            "name": format!("App {n}.app"), "version": "1.0", "bundleId": null
        })).collect::<Vec<_>>()),
    })
}
