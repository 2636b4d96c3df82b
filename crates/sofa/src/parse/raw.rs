//! The serde layer: the union of every published layout's keys, each optional and lenient,
//! so a missing or oddly typed field never fails the feed. `normalize` turns this into `Feed`.

use serde::Deserialize;

use super::cves::{RawCve, cves};
use super::lenient::{self, Loose};
use super::objects;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawFeed {
    #[serde(rename = "SchemaVersion", deserialize_with = "lenient::string")]
    pub schema_version: Option<String>,
    /// "2.0" on v2 feeds; absent on v1.
    #[serde(rename = "Version", deserialize_with = "lenient::string")]
    pub version: Option<String>,
    #[serde(rename = "OSName", deserialize_with = "lenient::string")]
    pub os_name: Option<String>,
    #[serde(rename = "UpdateHash", deserialize_with = "lenient::string")]
    pub update_hash: Option<String>,
    #[serde(rename = "LastCheck", deserialize_with = "lenient::string")]
    pub last_check: Option<String>,
    /// The Safari feed names its entries `AppVersions`.
    #[serde(
        rename = "OSVersions",
        alias = "AppVersions",
        deserialize_with = "objects::objects"
    )]
    pub os_versions: Option<Vec<RawOsVersion>>,
    #[serde(rename = "Models", deserialize_with = "objects::object_entries")]
    pub models: Vec<(String, RawModel)>,
    #[serde(rename = "Devices", deserialize_with = "objects::object_entries")]
    pub devices: Vec<(String, RawDevice)>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawOsVersion {
    #[serde(
        rename = "OSVersion",
        alias = "AppVersion",
        deserialize_with = "lenient::string"
    )]
    pub label: Option<String>,
    #[serde(rename = "Latest", deserialize_with = "objects::object")]
    pub latest: Option<RawRelease>,
    #[serde(rename = "SecurityReleases", deserialize_with = "objects::objects")]
    pub releases: Option<Vec<RawRelease>>,
    #[serde(rename = "SupportedModels", deserialize_with = "objects::objects")]
    pub supported_models: Option<Vec<RawSupportedModel>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawRelease {
    #[serde(rename = "UpdateName", deserialize_with = "lenient::string")]
    pub update_name: Option<String>,
    #[serde(rename = "ProductName", deserialize_with = "lenient::string")]
    pub product_name: Option<String>,
    #[serde(rename = "ProductVersion", deserialize_with = "lenient::string")]
    pub product_version: Option<String>,
    #[serde(rename = "Build", deserialize_with = "lenient::string")]
    pub build: Option<String>,
    #[serde(rename = "ReleaseDate", deserialize_with = "lenient::string")]
    pub release_date: Option<String>,
    #[serde(rename = "ReleaseType", deserialize_with = "lenient::string")]
    pub release_type: Option<String>,
    #[serde(rename = "SecurityInfo", deserialize_with = "lenient::string")]
    pub security_info: Option<String>,
    #[serde(rename = "CVEs", deserialize_with = "cves")]
    pub cves: Vec<RawCve>,
    #[serde(
        rename = "ActivelyExploitedCVEs",
        deserialize_with = "lenient::strings"
    )]
    pub actively_exploited: Vec<String>,
    /// Absent (schema 2026.04.11) means "inherit from this major's `Latest`".
    #[serde(rename = "SupportedDevices", deserialize_with = "objects::ids")]
    pub supported_devices: Option<Vec<String>>,
    #[serde(rename = "SupersededBy", deserialize_with = "objects::object")]
    pub superseded_by: Option<RawRef>,
    #[serde(rename = "MergedInto", deserialize_with = "objects::object")]
    pub merged_into: Option<RawRef>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawRef {
    #[serde(rename = "ProductVersion", deserialize_with = "lenient::string")]
    pub product_version: Option<String>,
    #[serde(rename = "Build", deserialize_with = "lenient::string")]
    pub build: Option<String>,
    #[serde(rename = "ReleaseDate", deserialize_with = "lenient::string")]
    pub release_date: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawModel {
    #[serde(rename = "MarketingName", deserialize_with = "lenient::string")]
    pub marketing_name: Option<String>,
    /// Labels such as "Sequoia 15"; used when `OSVersions` is missing.
    #[serde(rename = "SupportedOS", deserialize_with = "lenient::strings")]
    pub supported_os: Vec<String>,
    #[serde(rename = "OSVersions", deserialize_with = "lenient::numbers")]
    pub majors: Vec<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawDevice {
    #[serde(rename = "DeviceID", deserialize_with = "lenient::string")]
    pub device_id: Option<String>,
    #[serde(rename = "MarketingName", deserialize_with = "lenient::string")]
    pub marketing_name: Option<String>,
}

/// A v1/v2 `SupportedModels` group: model identifier -> marketing name.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawSupportedModel {
    #[serde(rename = "Identifiers", deserialize_with = "objects::entries")]
    pub identifiers: Vec<(String, Loose)>,
}
