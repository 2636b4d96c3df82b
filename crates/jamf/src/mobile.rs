//! Mobile devices. `GET /api/v2/mobile-devices` lists them but takes no filter (11.30.1), so a
//! search by name, serial or user goes to `GET /api/v2/mobile-devices/detail` with
//! GENERAL + HARDWARE + USER_AND_LOCATION, which takes RSQL. Both map to one summary.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::raw::RawPage;
use crate::rsql::{Field, Filter};
use crate::{JamfClient, JamfError, MAX_PAGE_SIZE, SerialNumber, lenient};

/// What to look for; with no criteria every device is listed.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(default, rename_all = "snake_case")]
pub struct MobileDeviceSearch {
    /// Matches anywhere in the name, serial number, user name, full name or email.
    pub text: Option<String>,
    /// Exact device name.
    pub name: Option<String>,
    /// Exact serial number.
    pub serial: Option<SerialNumber>,
    /// Exact user name of the assigned user.
    pub username: Option<String>,
    /// Page number, from 0.
    pub page: u32,
    /// Results per page, 1 to 2000 (default 50).
    pub page_size: u32,
}

impl Default for MobileDeviceSearch {
    fn default() -> Self {
        Self {
            text: None,
            name: None,
            serial: None,
            username: None,
            page: 0,
            page_size: 50,
        }
    }
}

impl MobileDeviceSearch {
    /// The RSQL filter for `/v2/mobile-devices/detail`; `None` when nothing is asked.
    pub fn filter(&self) -> Result<Option<Filter>, JamfError> {
        let mut all = Vec::new();
        if let Some(text) = self.text.as_deref().filter(|t| !t.trim().is_empty()) {
            let fields = [
                Field::MOBILE_NAME,
                Field::MOBILE_SERIAL,
                Field::MOBILE_USERNAME,
                Field::MOBILE_FULL_NAME,
                Field::MOBILE_EMAIL,
            ];
            let any = fields
                .into_iter()
                .map(|f| Filter::contains(f, text))
                .collect::<Result<Vec<_>, _>>()?;
            all.extend(Filter::any(any));
        }
        if let Some(name) = &self.name {
            all.push(Filter::eq(Field::MOBILE_NAME, name)?);
        }
        if let Some(serial) = &self.serial {
            all.push(Filter::eq(Field::MOBILE_SERIAL, serial.as_str())?);
        }
        if let Some(username) = &self.username {
            all.push(Filter::eq(Field::MOBILE_USERNAME, username)?);
        }
        Ok(Filter::all(all))
    }
}

/// A page of mobile devices.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct MobileDevicePage {
    /// Devices matching, on all pages.
    pub total: u64,
    /// This page's number, from 0.
    pub page: u32,
    /// The page size used.
    pub page_size: u32,
    /// The devices on this page, by id.
    pub devices: Vec<MobileDeviceSummary>,
}

/// One iPhone, iPad, Apple TV, Watch or Vision Pro.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct MobileDeviceSummary {
    /// Jamf's mobile device id.
    pub id: String,
    /// Device name.
    pub name: Option<String>,
    /// Serial number.
    pub serial: Option<String>,
    /// Marketing model, e.g. "iPad 7th Generation (Wi-Fi)".
    pub model: Option<String>,
    /// Model identifier, e.g. "iPad7,11".
    pub model_identifier: Option<String>,
    /// Device type as Jamf names it, e.g. "ios" or "tvos" (unknown values kept).
    pub device_type: Option<String>,
    /// Assigned user's account name.
    pub username: Option<String>,
    /// OS version (only when searching: the plain list does not carry it).
    pub os_version: Option<String>,
    /// Last contact (only when searching).
    pub last_contact: Option<DateTime<Utc>>,
    /// Whether it is managed (only when searching).
    pub managed: Option<bool>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawMobile {
    #[serde(deserialize_with = "lenient::string")]
    id: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    name: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    serial_number: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    model: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    model_identifier: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    username: Option<String>,
    #[serde(rename = "type", deserialize_with = "lenient::string")]
    device_type: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawMobileDetail {
    #[serde(deserialize_with = "lenient::string")]
    mobile_device_id: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    device_type: Option<String>,
    #[serde(deserialize_with = "lenient::section")]
    general: Option<RawMobileGeneral>,
    #[serde(deserialize_with = "lenient::section")]
    hardware: Option<RawMobileHardware>,
    #[serde(deserialize_with = "lenient::section")]
    user_and_location: Option<RawMobileUser>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawMobileGeneral {
    #[serde(deserialize_with = "lenient::string")]
    display_name: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    os_version: Option<String>,
    #[serde(deserialize_with = "lenient::datetime")]
    last_contact_date: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "lenient::boolean")]
    managed: Option<bool>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawMobileHardware {
    #[serde(deserialize_with = "lenient::string")]
    serial_number: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    model: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    model_identifier: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawMobileUser {
    #[serde(deserialize_with = "lenient::string")]
    username: Option<String>,
}

impl From<RawMobile> for MobileDeviceSummary {
    fn from(m: RawMobile) -> Self {
        Self {
            id: m.id.unwrap_or_default(),
            name: m.name,
            serial: m.serial_number,
            model: m.model,
            model_identifier: m.model_identifier,
            device_type: m.device_type,
            username: m.username,
            os_version: None,
            last_contact: None,
            managed: None,
        }
    }
}

impl From<RawMobileDetail> for MobileDeviceSummary {
    fn from(m: RawMobileDetail) -> Self {
        let general = m.general.unwrap_or_default();
        let hardware = m.hardware.unwrap_or_default();
        Self {
            id: m.mobile_device_id.unwrap_or_default(),
            name: general.display_name,
            serial: hardware.serial_number,
            model: hardware.model,
            model_identifier: hardware.model_identifier,
            device_type: m.device_type,
            username: m.user_and_location.and_then(|u| u.username),
            os_version: general.os_version,
            last_contact: general.last_contact_date,
            managed: general.managed,
        }
    }
}

impl JamfClient {
    /// Mobile devices matching `search`, one page, ordered by id.
    pub async fn mobile_devices(
        &self,
        search: &MobileDeviceSearch,
    ) -> Result<MobileDevicePage, JamfError> {
        if !(1..=MAX_PAGE_SIZE).contains(&search.page_size) {
            return Err(JamfError::InvalidArgument(format!(
                "page_size {} is out of range: 1 to {MAX_PAGE_SIZE}",
                search.page_size
            )));
        }
        let mut query = vec![
            ("page", search.page.to_string()),
            ("page-size", search.page_size.to_string()),
        ];
        let (total, devices) = match search.filter()? {
            None => {
                query.push(("sort", "id:asc".into()));
                let page: RawPage<RawMobile> =
                    self.get_json("api/v2/mobile-devices", &query).await?;
                summaries(page)
            }
            Some(filter) => {
                query.extend([
                    ("section", "GENERAL".to_owned()),
                    ("section", "HARDWARE".to_owned()),
                    ("section", "USER_AND_LOCATION".to_owned()),
                    ("sort", "mobileDeviceId:asc".to_owned()),
                    ("filter", filter.as_str().to_owned()),
                ]);
                let page: RawPage<RawMobileDetail> = self
                    .get_json("api/v2/mobile-devices/detail", &query)
                    .await?;
                summaries(page)
            }
        };
        Ok(MobileDevicePage {
            total,
            page: search.page,
            page_size: search.page_size,
            devices,
        })
    }
}

/// The total and the summaries of one page, whichever endpoint it came from.
fn summaries<T>(page: RawPage<T>) -> (u64, Vec<MobileDeviceSummary>)
where
    MobileDeviceSummary: From<T>,
{
    (
        page.total(),
        page.results
            .into_iter()
            .map(MobileDeviceSummary::from)
            .collect(),
    )
}
