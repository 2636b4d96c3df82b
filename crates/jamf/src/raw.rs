//! Jamf's JSON as it arrives, reduced to the fields this crate reads. Every field is optional
//! and lenient (see `lenient`); enum-like values stay strings so a value newer than the schema
//! is kept and shown, never fatal. v1's `general.lastContactTime` and v4's
//! `general.lastContact` both land in `last_contact`. No I/O here: this is the parsing edge.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::lenient;

/// One page of a paginated list endpoint.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: Deserialize<'de>"))]
pub(crate) struct RawPage<T> {
    #[serde(default, deserialize_with = "lenient::number")]
    pub total_count: Option<u64>,
    #[serde(default = "Vec::new", deserialize_with = "lenient::list")]
    pub results: Vec<T>,
}

impl<T> RawPage<T> {
    /// How many there are in all: `totalCount`, or this page's length when a server omits it.
    pub fn total(&self) -> u64 {
        self.total_count.unwrap_or(self.results.len() as u64)
    }
}

/// A computer inventory record (v1, v3 or v4).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct RawComputer {
    #[serde(deserialize_with = "lenient::string")]
    pub id: Option<String>,
    #[serde(deserialize_with = "lenient::section")]
    pub general: Option<RawGeneral>,
    #[serde(deserialize_with = "lenient::section")]
    pub hardware: Option<RawHardware>,
    #[serde(deserialize_with = "lenient::section")]
    pub operating_system: Option<RawOperatingSystem>,
    #[serde(deserialize_with = "lenient::section")]
    pub security: Option<RawSecurity>,
    #[serde(deserialize_with = "lenient::section")]
    pub disk_encryption: Option<RawDiskEncryption>,
    #[serde(deserialize_with = "lenient::section")]
    pub user_and_location: Option<RawUserAndLocation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct RawGeneral {
    #[serde(deserialize_with = "lenient::string")]
    pub name: Option<String>,
    #[serde(alias = "lastContactTime", deserialize_with = "lenient::datetime")]
    pub last_contact: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "lenient::datetime")]
    pub last_check_in: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "lenient::datetime")]
    pub report_date: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "lenient::section")]
    pub remote_management: Option<RawRemoteManagement>,
    /// The MDM client's management id (a UUID), which MDM commands such as a blank push name.
    #[serde(deserialize_with = "lenient::string")]
    pub management_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct RawRemoteManagement {
    #[serde(deserialize_with = "lenient::boolean")]
    pub managed: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct RawHardware {
    #[serde(deserialize_with = "lenient::string")]
    pub model: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub model_identifier: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub serial_number: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct RawOperatingSystem {
    #[serde(deserialize_with = "lenient::string")]
    pub version: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub build: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub rapid_security_response: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub file_vault2_status: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct RawSecurity {
    #[serde(deserialize_with = "lenient::string")]
    pub sip_status: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub gatekeeper_status: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub xprotect_version: Option<String>,
    #[serde(deserialize_with = "lenient::boolean")]
    pub firewall_enabled: Option<bool>,
    #[serde(deserialize_with = "lenient::string")]
    pub secure_boot_level: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub external_boot_level: Option<String>,
    #[serde(deserialize_with = "lenient::boolean")]
    pub activation_lock_enabled: Option<bool>,
    #[serde(deserialize_with = "lenient::boolean")]
    pub recovery_lock_enabled: Option<bool>,
    #[serde(deserialize_with = "lenient::string")]
    pub bootstrap_token_escrowed_status: Option<String>,
    #[serde(deserialize_with = "lenient::boolean")]
    pub remote_desktop_enabled: Option<bool>,
    #[serde(deserialize_with = "lenient::boolean")]
    pub auto_login_disabled: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct RawDiskEncryption {
    #[serde(deserialize_with = "lenient::boolean")]
    pub file_vault2_enabled: Option<bool>,
    #[serde(deserialize_with = "lenient::section")]
    pub boot_partition_encryption_details: Option<RawPartitionEncryption>,
    #[serde(deserialize_with = "lenient::string")]
    pub individual_recovery_key_validity_status: Option<String>,
    #[serde(deserialize_with = "lenient::boolean")]
    pub institutional_recovery_key_present: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct RawPartitionEncryption {
    #[serde(deserialize_with = "lenient::string")]
    pub partition_file_vault2_state: Option<String>,
    #[serde(deserialize_with = "lenient::number")]
    pub partition_file_vault2_percent: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct RawUserAndLocation {
    #[serde(deserialize_with = "lenient::string")]
    pub username: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub realname: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub email: Option<String>,
}

impl RawComputer {
    pub(crate) fn name(&self) -> Option<&str> {
        self.general.as_ref()?.name.as_deref()
    }
    pub(crate) fn serial(&self) -> Option<&str> {
        self.hardware.as_ref()?.serial_number.as_deref()
    }
    pub(crate) fn model(&self) -> Option<&str> {
        self.hardware.as_ref()?.model.as_deref()
    }
    pub(crate) fn model_identifier(&self) -> Option<&str> {
        self.hardware.as_ref()?.model_identifier.as_deref()
    }
    pub(crate) fn os_version(&self) -> Option<&str> {
        self.operating_system.as_ref()?.version.as_deref()
    }
    pub(crate) fn user(&self) -> Option<&str> {
        let user = self.user_and_location.as_ref()?;
        user.username.as_deref().or(user.realname.as_deref())
    }
    pub(crate) fn email(&self) -> Option<&str> {
        self.user_and_location.as_ref()?.email.as_deref()
    }
    /// Last contact, else last check-in, else the last inventory report: whichever the server
    /// version offers, most telling first.
    pub(crate) fn last_contact(&self) -> Option<DateTime<Utc>> {
        let general = self.general.as_ref()?;
        general
            .last_contact
            .or(general.last_check_in)
            .or(general.report_date)
    }
    pub(crate) fn management_id(&self) -> Option<&str> {
        self.general.as_ref()?.management_id.as_deref()
    }
    pub(crate) fn managed(&self) -> Option<bool> {
        self.general.as_ref()?.remote_management.as_ref()?.managed
    }
    /// The version SOFA should judge: with the Rapid Security Response letter when one is
    /// installed (Jamf reports it apart, e.g. version "13.4.1", rapidSecurityResponse "(a)").
    pub(crate) fn sofa_version(&self) -> Option<String> {
        let os = self.operating_system.as_ref()?;
        let version = os.version.as_deref()?.trim();
        match os.rapid_security_response.as_deref().map(str::trim) {
            Some(rsr) if !rsr.is_empty() && !version.contains('(') => {
                let letter = rsr.trim_start_matches('(').trim_end_matches(')');
                Some(format!("{version} ({letter})"))
            }
            _ => Some(version.to_owned()),
        }
    }
}
