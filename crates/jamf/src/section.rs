//! Inventory sections, as the `section=` query parameter names them. The list is the union of
//! the schema's `ComputerSection` (v1) and `ComputerSectionV4` enums (Jamf Pro 11.30.1).

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::JamfError;

/// One section of a computer's inventory record.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Section {
    /// Name, management, enrollment, last check-in and contact.
    General,
    /// FileVault state and recovery keys' status.
    DiskEncryption,
    /// Purchase, lease and warranty.
    Purchasing,
    /// Installed applications.
    Applications,
    /// Disks and partitions.
    Storage,
    /// Assigned user, email, department, building.
    UserAndLocation,
    /// Installed configuration profiles.
    ConfigurationProfiles,
    /// Printers.
    Printers,
    /// Launch services.
    Services,
    /// Model, serial number, processor, memory.
    Hardware,
    /// Local accounts and whether they are admins.
    LocalUserAccounts,
    /// Installed certificates.
    Certificates,
    /// Files attached to the record.
    Attachments,
    /// Browser plug-ins (v1 API only; dropped when the server uses v3 or v4).
    Plugins,
    /// Package receipts.
    PackageReceipts,
    /// Fonts (v1 API only; dropped when the server uses v3 or v4).
    Fonts,
    /// SIP, Gatekeeper, XProtect, firewall, secure boot, activation lock.
    Security,
    /// macOS version, build, Rapid Security Response, FileVault status.
    OperatingSystem,
    /// Licensed software.
    LicensedSoftware,
    /// iBeacons.
    Ibeacons,
    /// Available software updates.
    SoftwareUpdates,
    /// Extension attributes.
    ExtensionAttributes,
    /// Content caching service.
    ContentCaching,
    /// Static and smart group memberships.
    GroupMemberships,
}

impl Section {
    /// Every section, in the schema's order.
    pub const ALL: [Section; 24] = [
        Section::General,
        Section::DiskEncryption,
        Section::Purchasing,
        Section::Applications,
        Section::Storage,
        Section::UserAndLocation,
        Section::ConfigurationProfiles,
        Section::Printers,
        Section::Services,
        Section::Hardware,
        Section::LocalUserAccounts,
        Section::Certificates,
        Section::Attachments,
        Section::Plugins,
        Section::PackageReceipts,
        Section::Fonts,
        Section::Security,
        Section::OperatingSystem,
        Section::LicensedSoftware,
        Section::Ibeacons,
        Section::SoftwareUpdates,
        Section::ExtensionAttributes,
        Section::ContentCaching,
        Section::GroupMemberships,
    ];

    /// The query-parameter spelling, e.g. `OPERATING_SYSTEM`.
    pub fn api_name(self) -> &'static str {
        match self {
            Section::General => "GENERAL",
            Section::DiskEncryption => "DISK_ENCRYPTION",
            Section::Purchasing => "PURCHASING",
            Section::Applications => "APPLICATIONS",
            Section::Storage => "STORAGE",
            Section::UserAndLocation => "USER_AND_LOCATION",
            Section::ConfigurationProfiles => "CONFIGURATION_PROFILES",
            Section::Printers => "PRINTERS",
            Section::Services => "SERVICES",
            Section::Hardware => "HARDWARE",
            Section::LocalUserAccounts => "LOCAL_USER_ACCOUNTS",
            Section::Certificates => "CERTIFICATES",
            Section::Attachments => "ATTACHMENTS",
            Section::Plugins => "PLUGINS",
            Section::PackageReceipts => "PACKAGE_RECEIPTS",
            Section::Fonts => "FONTS",
            Section::Security => "SECURITY",
            Section::OperatingSystem => "OPERATING_SYSTEM",
            Section::LicensedSoftware => "LICENSED_SOFTWARE",
            Section::Ibeacons => "IBEACONS",
            Section::SoftwareUpdates => "SOFTWARE_UPDATES",
            Section::ExtensionAttributes => "EXTENSION_ATTRIBUTES",
            Section::ContentCaching => "CONTENT_CACHING",
            Section::GroupMemberships => "GROUP_MEMBERSHIPS",
        }
    }

    /// The key of this section in an inventory record, e.g. `operatingSystem`.
    pub fn json_key(self) -> &'static str {
        match self {
            Section::General => "general",
            Section::DiskEncryption => "diskEncryption",
            Section::Purchasing => "purchasing",
            Section::Applications => "applications",
            Section::Storage => "storage",
            Section::UserAndLocation => "userAndLocation",
            Section::ConfigurationProfiles => "configurationProfiles",
            Section::Printers => "printers",
            Section::Services => "services",
            Section::Hardware => "hardware",
            Section::LocalUserAccounts => "localUserAccounts",
            Section::Certificates => "certificates",
            Section::Attachments => "attachments",
            Section::Plugins => "plugins",
            Section::PackageReceipts => "packageReceipts",
            Section::Fonts => "fonts",
            Section::Security => "security",
            Section::OperatingSystem => "operatingSystem",
            Section::LicensedSoftware => "licensedSoftware",
            Section::Ibeacons => "ibeacons",
            Section::SoftwareUpdates => "softwareUpdates",
            Section::ExtensionAttributes => "extensionAttributes",
            Section::ContentCaching => "contentCaching",
            Section::GroupMemberships => "groupMemberships",
        }
    }

    /// Whether v3/v4 still offer it (they dropped `PLUGINS` and `FONTS`; asking for them there
    /// is a 400, so such sections are left out rather than failing the call).
    pub(crate) fn in_v3_and_v4(self) -> bool {
        !matches!(self, Section::Plugins | Section::Fonts)
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.api_name())
    }
}

impl FromStr for Section {
    type Err = JamfError;

    /// Accepts the API spelling in any case, with `-` or spaces for `_`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted: String = s
            .trim()
            .chars()
            .map(|c| match c {
                '-' | ' ' => '_',
                c => c.to_ascii_uppercase(),
            })
            .collect();
        Section::ALL
            .into_iter()
            .find(|section| section.api_name() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = Section::ALL.iter().map(|s| s.api_name()).collect();
                JamfError::InvalidSection(format!(
                    "unknown inventory section {:?}; valid sections: {}",
                    s.trim(),
                    names.join(", ")
                ))
            })
    }
}
