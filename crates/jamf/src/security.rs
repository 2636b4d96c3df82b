//! One Mac's security posture: its macOS version judged against the SOFA feed, the protections
//! Jamf inventories (FileVault, SIP, Gatekeeper, XProtect, firewall, secure boot, activation
//! lock), how long since it was last heard from, and the problems in plain words.

use chrono::{DateTime, Utc};
use latchkey_sofa::fetch::FeedInfo;
use latchkey_sofa::{DeviceState, IndexedFeed, UpdateDeadline, UpdateSla, Version, VersionStatus};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::raw::RawComputer;
use crate::{ComputerRef, ComputerSummary, Currency, JamfClient, JamfError, Section};

/// A Mac not heard from for this many days is worth a finding.
pub(crate) const STALE_AFTER_DAYS: i64 = 30;

/// One Mac's security posture.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct ComputerSecurity {
    /// The inventory API version that answered: "v4", "v3" or "v1".
    pub inventory_api: String,
    /// Which Mac.
    pub computer: ComputerSummary,
    /// Its macOS version against Apple's releases.
    pub os: OsSecurity,
    /// The SOFA feed the version was judged against: source, SOFA's update time and age.
    pub macos_feed: Option<FeedInfo>,
    /// Set when there was no feed to judge against: why, and how to fix it.
    pub macos_currency_unavailable: Option<String>,
    /// FileVault, from the disk encryption and operating system sections.
    pub filevault: FileVault,
    /// System Integrity Protection as Jamf reports it, e.g. "ENABLED" (unknown values kept).
    pub sip_status: Option<String>,
    /// Gatekeeper, e.g. "APP_STORE_AND_IDENTIFIED_DEVELOPERS" or "DISABLED".
    pub gatekeeper_status: Option<String>,
    /// XProtect definitions version.
    pub xprotect_version: Option<String>,
    /// Whether the application firewall is on.
    pub firewall_enabled: Option<bool>,
    /// Secure boot level, e.g. "FULL_SECURITY".
    pub secure_boot_level: Option<String>,
    /// External boot, e.g. "DISALLOW_BOOTING_FROM_EXTERNAL_MEDIA".
    pub external_boot_level: Option<String>,
    /// Whether Activation Lock is on.
    pub activation_lock_enabled: Option<bool>,
    /// Whether a recovery lock password is set.
    pub recovery_lock_enabled: Option<bool>,
    /// Whether the bootstrap token is escrowed, e.g. "ESCROWED".
    pub bootstrap_token_escrowed: Option<String>,
    /// Whether Remote Desktop is on.
    pub remote_desktop_enabled: Option<bool>,
    /// When it last contacted Jamf Pro.
    pub last_contact: Option<DateTime<Utc>>,
    /// Whole days since then.
    pub days_since_contact: Option<i64>,
    /// Problems found, most serious first, in plain language.
    pub findings: Vec<String>,
}

/// A Mac's macOS version judged against the SOFA feed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct OsSecurity {
    /// The version as reported, with the Rapid Security Response letter when one is installed.
    pub version: Option<String>,
    /// Build number.
    pub build: Option<String>,
    /// Standing: current, behind, end_of_life (a major Apple no longer patches),
    /// unknown_version (the feed does not list it), unreadable (no readable version) or
    /// not_judged (no feed to judge against).
    pub state: DeviceState,
    /// The feed's name for its major, e.g. "Sequoia 15".
    pub os_label: Option<String>,
    /// Newest release of its major.
    pub latest_release: Option<String>,
    /// Releases of its major it has not installed.
    pub releases_behind: usize,
    /// CVEs fixed in those releases.
    pub missing_cves: usize,
    /// Of those, actively exploited.
    pub missing_exploited_cves: usize,
    /// Ids of the actively exploited CVEs it is missing fixes for.
    pub actively_exploited_cve_ids: Vec<String>,
    /// Days since the earliest-dated release it missed came out.
    pub days_behind: Option<i64>,
    /// When its missed updates are required by (the earliest deadline) and how late.
    #[serde(default)]
    pub deadline: Option<UpdateDeadline>,
    /// Newest major its model can run, when the feed knows the model.
    pub hardware_max_major: Option<u32>,
    /// True when its model cannot run the newest macOS.
    pub limited_by_hardware: Option<bool>,
    /// What the standing means, for an end-of-life, unknown or unreadable version.
    pub note: Option<String>,
}

/// FileVault state.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct FileVault {
    /// Whether FileVault is on for the boot volume.
    pub enabled: Option<bool>,
    /// The OS section's summary, e.g. "ALL_ENCRYPTED" or "NOT_ENCRYPTED".
    pub status: Option<String>,
    /// The boot partition's state, e.g. "ENCRYPTED" or "ENCRYPTING".
    pub boot_partition_state: Option<String>,
    /// Encryption progress of the boot partition, percent.
    pub boot_partition_percent: Option<u64>,
    /// Whether the personal recovery key is valid, e.g. "VALID".
    pub personal_recovery_key: Option<String>,
    /// Whether an institutional recovery key is present.
    pub institutional_recovery_key_present: Option<bool>,
}

impl JamfClient {
    /// One Mac's security posture, its macOS judged by `currency` now.
    pub async fn computer_security(
        &self,
        target: &ComputerRef,
        currency: Currency<'_>,
    ) -> Result<ComputerSecurity, JamfError> {
        let sections = [
            Section::General,
            Section::Hardware,
            Section::OperatingSystem,
            Section::Security,
            Section::DiskEncryption,
            Section::UserAndLocation,
        ];
        let (api, record) = self.computer_record(target, &sections).await?;
        let raw = RawComputer::deserialize(&record).map_err(|e| JamfError::Parse {
            endpoint: target.to_string(),
            detail: e.to_string(),
        })?;
        let mut security = assess(&raw, currency, Utc::now());
        security.inventory_api = api.name().to_owned();
        Ok(security)
    }
}

/// The posture of one parsed record at `now`. Pure, so it is tested without a server.
pub(crate) fn assess(
    raw: &RawComputer,
    currency: Currency<'_>,
    now: DateTime<Utc>,
) -> ComputerSecurity {
    let os = match currency.feed() {
        Some((feed, sla)) => judge_os(raw, feed, sla, now),
        None => unjudged_os(raw),
    };
    let (macos_feed, macos_currency_unavailable) = currency.described();
    let sec = raw.security.as_ref();
    let disk = raw.disk_encryption.as_ref();
    let boot = disk.and_then(|d| d.boot_partition_encryption_details.as_ref());
    let last_contact = raw.last_contact();
    let mut out = ComputerSecurity {
        inventory_api: String::new(),
        computer: ComputerSummary::from(raw),
        filevault: FileVault {
            enabled: disk.and_then(|d| d.file_vault2_enabled),
            status: raw
                .operating_system
                .as_ref()
                .and_then(|o| o.file_vault2_status.clone()),
            boot_partition_state: boot.and_then(|b| b.partition_file_vault2_state.clone()),
            boot_partition_percent: boot.and_then(|b| b.partition_file_vault2_percent),
            personal_recovery_key: disk
                .and_then(|d| d.individual_recovery_key_validity_status.clone()),
            institutional_recovery_key_present: disk
                .and_then(|d| d.institutional_recovery_key_present),
        },
        sip_status: sec.and_then(|s| s.sip_status.clone()),
        gatekeeper_status: sec.and_then(|s| s.gatekeeper_status.clone()),
        xprotect_version: sec.and_then(|s| s.xprotect_version.clone()),
        firewall_enabled: sec.and_then(|s| s.firewall_enabled),
        secure_boot_level: sec.and_then(|s| s.secure_boot_level.clone()),
        external_boot_level: sec.and_then(|s| s.external_boot_level.clone()),
        activation_lock_enabled: sec.and_then(|s| s.activation_lock_enabled),
        recovery_lock_enabled: sec.and_then(|s| s.recovery_lock_enabled),
        bootstrap_token_escrowed: sec.and_then(|s| s.bootstrap_token_escrowed_status.clone()),
        remote_desktop_enabled: sec.and_then(|s| s.remote_desktop_enabled),
        last_contact,
        days_since_contact: last_contact.map(|at| (now - at).num_days()),
        os,
        macos_feed,
        macos_currency_unavailable,
        findings: Vec::new(),
    };
    out.findings = findings(&out);
    out
}

/// The version and build as Jamf reports them, with nothing judged yet.
fn unjudged_os(raw: &RawComputer) -> OsSecurity {
    let version = raw.sofa_version();
    let readable = version
        .as_deref()
        .is_some_and(|v| v.parse::<Version>().is_ok());
    OsSecurity {
        build: raw.operating_system.as_ref().and_then(|o| o.build.clone()),
        state: if readable {
            DeviceState::NotJudged
        } else {
            DeviceState::Unreadable
        },
        version,
        os_label: None,
        latest_release: None,
        releases_behind: 0,
        missing_cves: 0,
        missing_exploited_cves: 0,
        actively_exploited_cve_ids: Vec::new(),
        days_behind: None,
        deadline: None,
        hardware_max_major: None,
        limited_by_hardware: None,
        note: None,
    }
}

fn judge_os(
    raw: &RawComputer,
    feed: &IndexedFeed,
    sla: &UpdateSla,
    now: DateTime<Utc>,
) -> OsSecurity {
    let model = raw.model_identifier();
    let mut os = OsSecurity {
        state: DeviceState::Unreadable,
        ..unjudged_os(raw)
    };
    let version = os.version.clone();
    let Some(parsed) = version.as_deref().and_then(|v| v.parse::<Version>().ok()) else {
        os.note = Some(match &version {
            Some(v) => format!("macOS version {v:?} cannot be read"),
            None => "no macOS version reported".to_owned(),
        });
        if let Some(model) = model {
            let hw = feed.hardware_support(model, None);
            os.hardware_max_major = hw.hardware_max_major;
            os.limited_by_hardware = hw.limited_by_hardware;
        }
        return os;
    };
    match feed.analyze(&parsed, model, now, sla) {
        VersionStatus::InFeed(analysis) => {
            os.state = analysis.counts.state.into();
            if !matches!(os.state, DeviceState::Current | DeviceState::Behind) {
                os.note = Some(analysis.message);
            }
            os.os_label = Some(analysis.os_label);
            os.latest_release = Some(analysis.latest.product_version);
            // Counts by number would only guess for a version the feed does not list.
            if os.state != DeviceState::UnknownVersion {
                os.releases_behind = analysis.counts.releases_behind;
                os.missing_cves = analysis.counts.cves_fixed_later;
                os.missing_exploited_cves = analysis.counts.actively_exploited_fixed_later;
                os.actively_exploited_cve_ids = analysis.actively_exploited_cve_ids;
                os.days_behind = analysis.days_since_first_missed;
                os.deadline = analysis.deadline;
            }
            if let Some(hw) = analysis.hardware {
                os.hardware_max_major = hw.hardware_max_major;
                os.limited_by_hardware = hw.limited_by_hardware;
            }
        }
        VersionStatus::NotInFeed(not) => {
            os.state = not.state.into();
            os.note = Some(not.message);
            os.deadline = not.deadline;
            if let Some(hw) = not.hardware {
                os.hardware_max_major = hw.hardware_max_major;
                os.limited_by_hardware = hw.limited_by_hardware;
            }
        }
    }
    os
}

fn is(value: &Option<String>, wanted: &str) -> bool {
    value
        .as_deref()
        .is_some_and(|v| v.eq_ignore_ascii_case(wanted))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Plain-language problems, most serious first.
fn findings(s: &ComputerSecurity) -> Vec<String> {
    let mut out = Vec::new();
    let os = &s.os;
    let version = os.version.as_deref().unwrap_or("?");
    if os.missing_exploited_cves > 0 {
        out.push(format!(
            "{} fixed in releases this Mac is missing",
            plural(
                os.missing_exploited_cves,
                "actively exploited CVE",
                "actively exploited CVEs"
            )
        ));
    }
    match os.state {
        DeviceState::Behind => out.push(format!(
            "macOS {version} is {} behind {}{}",
            plural(os.releases_behind, "release", "releases"),
            os.latest_release.as_deref().unwrap_or("the latest release"),
            match os.missing_cves {
                0 => String::new(),
                n => format!(" ({} fixed since)", plural(n, "CVE", "CVEs")),
            }
        )),
        DeviceState::EndOfLife | DeviceState::UnknownVersion => out.push(
            os.note
                .clone()
                .unwrap_or_else(|| format!("macOS {version} cannot be judged")),
        ),
        DeviceState::Unreadable => out.push(format!(
            "{}: its patch level cannot be judged",
            os.note.as_deref().unwrap_or("no readable macOS version")
        )),
        DeviceState::NotJudged => out.push(
            s.macos_currency_unavailable
                .clone()
                .unwrap_or_else(|| format!("macOS {version} was not judged")),
        ),
        DeviceState::Current => {}
    }
    if let Some(deadline) = os.deadline.as_ref().filter(|d| d.overdue) {
        out.push(format!("macOS update {}", deadline.describe()));
    }
    if os.limited_by_hardware == Some(true) {
        out.push(match os.hardware_max_major {
            Some(max) => {
                format!("this model cannot run the newest macOS (its last is macOS {max})")
            }
            None => "this model cannot run the newest macOS".to_owned(),
        });
    }
    let fv = &s.filevault;
    if fv.enabled == Some(false)
        || is(&fv.status, "NOT_ENCRYPTED")
        || is(&fv.boot_partition_state, "UNENCRYPTED")
    {
        out.push("FileVault is off".to_owned());
    } else if is(&fv.boot_partition_state, "ENCRYPTING")
        || is(&fv.boot_partition_state, "ENCRYPTING_PAUSED")
    {
        out.push("FileVault encryption is not finished".to_owned());
    }
    if is(&s.sip_status, "DISABLED") {
        out.push("System Integrity Protection is disabled".to_owned());
    }
    if is(&s.gatekeeper_status, "DISABLED") {
        out.push("Gatekeeper is disabled".to_owned());
    }
    if s.firewall_enabled == Some(false) {
        out.push("the firewall is off".to_owned());
    }
    if is(&s.secure_boot_level, "NO_SECURITY") || is(&s.secure_boot_level, "MEDIUM_SECURITY") {
        out.push("secure boot is below full security".to_owned());
    }
    if is(&fv.personal_recovery_key, "INVALID") {
        out.push("the FileVault personal recovery key Jamf holds is invalid".to_owned());
    }
    if let Some(days) = s.days_since_contact.filter(|d| *d >= STALE_AFTER_DAYS) {
        out.push(format!("last check-in {days} days ago"));
    }
    if s.last_contact.is_none() {
        out.push("no last check-in reported".to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn feed() -> IndexedFeed {
        // A tiny hand-built feed: two releases of 15, the newer fixing one exploited CVE.
        let bytes = json!({
            "UpdateHash": "x",
            "OSVersions": [{
                "OSVersion": "Sequoia 15",
                "Latest": {"ProductVersion": "15.2", "Build": "B", "ReleaseDate": "2025-01-01T00:00:00Z"},
                "SecurityReleases": [
                    {"ProductVersion": "15.2", "ReleaseDate": "2025-01-01T00:00:00Z",
                     "CVEs": {"CVE-1": true, "CVE-2": false}, "ActivelyExploitedCVEs": ["CVE-1"]},
                    {"ProductVersion": "15.1", "ReleaseDate": "2024-11-01T00:00:00Z", "CVEs": {}}
                ]
            }]
        });
        IndexedFeed::from_slice(bytes.to_string().as_bytes()).unwrap()
    }

    fn raw(value: serde_json::Value) -> RawComputer {
        RawComputer::deserialize(&value).unwrap()
    }

    fn info() -> FeedInfo {
        latchkey_sofa::fetch::FeedOrigin {
            source: "https://sofafeed.macadmins.io/v2/macos_data_feed.json".to_owned(),
            fetched_at: Utc::now(),
            sofa_updated_at: Some(Utc::now()),
            stale_reason: None,
        }
        .info(Utc::now(), latchkey_sofa::fetch::DEFAULT_MAX_FEED_AGE)
    }

    /// `assess` against the tiny feed.
    fn judged(raw: &RawComputer, now: DateTime<Utc>) -> ComputerSecurity {
        let (feed, info) = (feed(), info());
        assess(
            raw,
            Currency::Feed {
                feed: &feed,
                info: &info,
                sla: &UpdateSla::DEFAULT,
            },
            now,
        )
    }

    #[test]
    fn a_neglected_mac_gets_every_finding() {
        let now: DateTime<Utc> = "2025-03-01T00:00:00Z".parse().unwrap();
        let s = judged(
            &raw(json!({
                "id": "7",
                "general": {"name": "lab", "lastContact": "2025-01-01T00:00:00Z"},
                "operatingSystem": {"version": "15.1", "fileVault2Status": "NOT_ENCRYPTED"},
                "security": {"sipStatus": "DISABLED", "gatekeeperStatus": "DISABLED",
                             "firewallEnabled": false, "secureBootLevel": "SOMETHING_NEW"},
                "diskEncryption": {"fileVault2Enabled": false}
            })),
            now,
        );
        assert_eq!(s.os.state, DeviceState::Behind);
        assert_eq!(s.os.missing_exploited_cves, 1);
        assert_eq!(s.os.actively_exploited_cve_ids, ["CVE-1"]);
        assert_eq!(s.days_since_contact, Some(59));
        assert_eq!(s.secure_boot_level.as_deref(), Some("SOMETHING_NEW"));
        assert_eq!(
            s.findings,
            [
                "1 actively exploited CVE fixed in releases this Mac is missing",
                "macOS 15.1 is 1 release behind 15.2 (2 CVEs fixed since)",
                // 15.2 (2025-01-01) fixes an exploited CVE: + 7 days; 52 days to 2025-03-01.
                "macOS update required by 2025-01-08, overdue by 52 days",
                "FileVault is off",
                "System Integrity Protection is disabled",
                "Gatekeeper is disabled",
                "the firewall is off",
                "last check-in 59 days ago",
            ]
        );
    }

    #[test]
    fn missing_and_unknown_versions_are_named() {
        let now = Utc::now();
        let none = judged(&raw(json!({"id": "1", "operatingSystem": null})), now);
        assert_eq!(none.os.state, DeviceState::Unreadable);
        assert!(
            none.findings[0].starts_with("no macOS version reported"),
            "{:?}",
            none.findings
        );
        let old = judged(
            &raw(json!({"id": "2", "operatingSystem": {"version": "10.15.7"}})),
            now,
        );
        assert_eq!(old.os.state, DeviceState::EndOfLife);
        assert!(
            old.findings[0].starts_with("version 10.15.7 is end of life"),
            "{:?}",
            old.findings
        );
        let typo = judged(
            &raw(json!({"id": "3", "operatingSystem": {"version": "15.1.5"}})),
            now,
        );
        assert_eq!(typo.os.state, DeviceState::UnknownVersion);
        assert!(
            typo.findings[0].contains("did you mean 15.1?"),
            "{:?}",
            typo.findings
        );
    }

    #[test]
    fn without_a_feed_the_protections_stand_and_macos_is_not_judged() {
        let s = assess(
            &raw(json!({
                "id": "7",
                "operatingSystem": {"version": "15.1"},
                "security": {"sipStatus": "DISABLED"},
                "diskEncryption": {"fileVault2Enabled": false}
            })),
            Currency::Unavailable("the SOFA feed is unavailable: timed out"),
            Utc::now(),
        );
        assert_eq!(s.os.state, DeviceState::NotJudged);
        assert_eq!(s.os.version.as_deref(), Some("15.1"));
        assert!(s.macos_feed.is_none());
        assert_eq!(
            s.findings,
            [
                "macOS currency unavailable: the SOFA feed is unavailable: timed out",
                "FileVault is off",
                "System Integrity Protection is disabled",
                "no last check-in reported",
            ]
        );
    }

    #[test]
    fn rapid_security_response_letter_is_judged() {
        let c =
            raw(json!({"operatingSystem": {"version": "13.4.1", "rapidSecurityResponse": "(a)"}}));
        assert_eq!(c.sofa_version().as_deref(), Some("13.4.1 (a)"));
    }
}
