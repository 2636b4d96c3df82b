//! What a person sets, in one place (`settings.json`, sealed like the allow-list): how long
//! unlocks last, the SOFA feed and how often it is refreshed, update deadlines, how long an
//! approval waits, how long the audit keeps entries, and desktop notifications.
//!
//! The app's Settings page and `latchkey settings` read and change the same settings through
//! the control socket. A change that weakens a guard (a longer unlock, a longer approval wait,
//! a shorter audit, another feed, and what would hide overdue Macs: longer deadlines, rarer
//! refreshes, notifications off) needs the person's presence; every change is on the audit
//! log, before and after. What is shown is what the broker runs with, read back from the
//! services, and where an environment variable overrides a setting, that is said.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use latchkey_sofa::UpdateSla;
use latchkey_sofa::fetch::{DEFAULT_REFRESH, FeedSource};
use latchkey_vault::{Presence, PresenceRequest, Requester, UnlockPolicy};
use serde::{Deserialize, Serialize};

use crate::Audit;
use crate::pipeline::approvals::Approvals;
use crate::sealed::{RefusedFile, SealedFile};
use crate::services::credentials::{CredentialError, CredentialService, PolicySettings, time_left};
use crate::services::sofa::SofaService;

/// Every setting. Unknown keys are ignored and missing ones take their defaults, so a file
/// written by an older Latchkey (which held only the unlock policy) still loads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct Settings {
    /// How long an unlock lasts and the idle timeout (at the top level, where they always were).
    #[serde(flatten)]
    pub unlock: PolicySettings,
    pub sofa: SofaSettings,
    pub deadlines: DeadlineSettings,
    pub approvals: ApprovalSettings,
    pub audit: AuditSettings,
    pub notifications: NotificationSettings,
}

/// Where the SOFA feed comes from, and how often it is fetched again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct SofaSettings {
    /// `v2` (SOFA's macOS feed), `v1` (its older layout), a mirror's https URL, or the
    /// absolute path of a feed file.
    pub feed: String,
    /// Hours between refreshes (1 to 168).
    pub refresh_hours: u64,
}

impl Default for SofaSettings {
    fn default() -> Self {
        Self {
            feed: "v2".to_owned(),
            refresh_hours: DEFAULT_REFRESH.as_secs() / 3600,
        }
    }
}

/// Days after a release before its update is overdue (Nudge's SLAs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct DeadlineSettings {
    /// For a release fixing an actively exploited CVE (1 to 90).
    pub exploited_days: u32,
    /// For any other security release (1 to 365).
    pub standard_days: u32,
    /// For leaving a major Apple no longer patches (1 to 365).
    pub major_days: u32,
}

impl Default for DeadlineSettings {
    fn default() -> Self {
        let sla = UpdateSla::DEFAULT;
        Self {
            exploited_days: sla.actively_exploited_days,
            standard_days: sla.standard_days,
            major_days: sla.major_upgrade_days,
        }
    }
}

impl DeadlineSettings {
    /// The SLAs these settings give.
    pub fn sla(self) -> UpdateSla {
        UpdateSla {
            actively_exploited_days: self.exploited_days,
            standard_days: self.standard_days,
            major_upgrade_days: self.major_days,
        }
    }
}

/// How long a change waits for the person before it counts as denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct ApprovalSettings {
    /// Seconds (30 to 1800).
    pub timeout_seconds: u64,
}

impl Default for ApprovalSettings {
    fn default() -> Self {
        Self {
            timeout_seconds: crate::pipeline::approvals::DEFAULT_TIMEOUT.as_secs(),
        }
    }
}

/// How long the audit log keeps entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct AuditSettings {
    /// Days (30 to 3650); older entries are pruned, a checkpoint keeps the chain verifiable.
    pub retention_days: u32,
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            retention_days: crate::pipeline::audit::DEFAULT_RETENTION_DAYS,
        }
    }
}

/// Desktop notifications (the app shows them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct NotificationSettings {
    /// When a feed refresh shows this Mac missing an actively exploited fix, or an unlocked
    /// Jamf fleet gains overdue Macs.
    pub enabled: bool,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self { enabled: true }
    }
}

/// One thing wrong with a setting: its key (`sofa.feed`) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingProblem {
    pub field: &'static str,
    pub message: String,
}

impl SettingProblem {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// A number of `field` within `range`, or the problem, in the setting's own `unit`.
fn within<T: PartialOrd + std::fmt::Display>(
    problems: &mut Vec<SettingProblem>,
    field: &'static str,
    value: T,
    range: std::ops::RangeInclusive<T>,
    unit: &str,
) {
    if !range.contains(&value) {
        problems.push(SettingProblem::new(
            field,
            format!(
                "{field} must be {} to {} {unit} (it is {value})",
                range.start(),
                range.end()
            ),
        ));
    }
}

impl Settings {
    /// Each setting by its key (`sofa.feed`, `unlock_minutes`) and value, in declared order:
    /// how the CLI names them and the audit records a change.
    pub fn by_key(&self) -> Vec<(String, serde_json::Value)> {
        fn walk(
            prefix: &str,
            value: serde_json::Value,
            out: &mut Vec<(String, serde_json::Value)>,
        ) {
            match value {
                serde_json::Value::Object(map) => {
                    for (key, value) in map {
                        let key = if prefix.is_empty() {
                            key
                        } else {
                            format!("{prefix}.{key}")
                        };
                        walk(&key, value, out);
                    }
                }
                other => out.push((prefix.to_owned(), other)),
            }
        }
        let mut out = Vec::new();
        walk("", serde_json::to_value(self).unwrap_or_default(), &mut out);
        out
    }

    /// Everything wrong, as the control socket and the app report it.
    pub fn checked(&self) -> Vec<crate::control::ControlError> {
        (self.problems().into_iter())
            .map(|p| crate::control::ControlError {
                message: p.message,
                field: Some(p.field.to_owned()),
            })
            .collect()
    }

    /// Everything wrong, field by field; empty when the settings can be used.
    pub fn problems(&self) -> Vec<SettingProblem> {
        let mut problems = Vec::new();
        if let Err(e) = self.unlock.policy() {
            let field = match e.field() {
                Some("idle_timeout") => "idle_minutes",
                _ => "unlock_minutes",
            };
            problems.push(SettingProblem::new(field, e.to_string()));
        }
        if let Err(why) = feed_source(&self.sofa.feed) {
            problems.push(SettingProblem::new("sofa.feed", why));
        }
        within(
            &mut problems,
            "sofa.refresh_hours",
            self.sofa.refresh_hours,
            1..=168,
            "hours",
        );
        let d = &self.deadlines;
        within(
            &mut problems,
            "deadlines.exploited_days",
            d.exploited_days,
            1..=90,
            "days",
        );
        within(
            &mut problems,
            "deadlines.standard_days",
            d.standard_days,
            1..=365,
            "days",
        );
        within(
            &mut problems,
            "deadlines.major_days",
            d.major_days,
            1..=365,
            "days",
        );
        within(
            &mut problems,
            "approvals.timeout_seconds",
            self.approvals.timeout_seconds,
            30..=1800,
            "seconds",
        );
        within(
            &mut problems,
            "audit.retention_days",
            self.audit.retention_days,
            30..=3650,
            "days",
        );
        problems
    }

    /// The changes from `before` that weaken a guard, as the presence prompt names them; empty
    /// when none does. Longer deadlines, rarer feed refreshes and notifications turned off
    /// would hide overdue Macs, so they count; stricter deadlines and refreshes do not.
    fn weakened_from(&self, before: &Settings) -> Vec<String> {
        let mut changes = Vec::new();
        if self.unlock != before.unlock {
            changes.push(format!(
                "unlocks last {}{}",
                time_left(self.unlock.unlock_minutes * 60),
                self.unlock.idle_minutes.map_or(String::new(), |m| format!(
                    ", locking after {} unused",
                    time_left(m * 60)
                ))
            ));
        }
        if self.sofa.feed != before.sofa.feed {
            changes.push(format!("the SOFA feed comes from {}", self.sofa.feed));
        }
        if self.sofa.refresh_hours > before.sofa.refresh_hours {
            changes.push(format!(
                "the SOFA feed is fetched every {} hours",
                self.sofa.refresh_hours
            ));
        }
        let (now, was) = (self.deadlines, before.deadlines);
        for (due, days, before_days) in [
            (
                "updates fixing an actively exploited CVE",
                now.exploited_days,
                was.exploited_days,
            ),
            (
                "other security updates",
                now.standard_days,
                was.standard_days,
            ),
            (
                "moving off an unpatched major",
                now.major_days,
                was.major_days,
            ),
        ] {
            if days > before_days {
                changes.push(format!("{due} are due after {days} days"));
            }
        }
        if self.approvals != before.approvals {
            changes.push(format!(
                "approvals wait {}",
                time_left(self.approvals.timeout_seconds)
            ));
        }
        if self.audit != before.audit {
            changes.push(format!(
                "the audit log keeps {} days{}",
                self.audit.retention_days,
                if self.audit.retention_days < before.audit.retention_days {
                    " (older entries are deleted)"
                } else {
                    ""
                }
            ));
        }
        if before.notifications.enabled && !self.notifications.enabled {
            changes.push("notifications are off".to_owned());
        }
        changes
    }
}

/// The feed a setting names: `v1`, `v2`, an https URL (http only to this machine), or an
/// absolute file path.
fn feed_source(text: &str) -> Result<FeedSource, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("sofa.feed is required: v2, v1, a mirror's https URL or a file".into());
    }
    if text.contains("://") && !text.starts_with("file://") {
        latchkey_http::parse_base(text, "https://sofa.example.com/v2/macos_data_feed.json")
            .map_err(|e| format!("sofa.feed: {e}"))?;
    }
    let source = FeedSource::parse(text);
    if let FeedSource::File(path) = &source
        && !path.is_absolute()
    {
        return Err(format!(
            "sofa.feed: a file must be given by its absolute path ({} is relative)",
            path.display()
        ));
    }
    Ok(source)
}

/// What the broker runs with, and where that differs from the settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SettingsView {
    /// The settings in force (read back from the services).
    pub settings: Settings,
    /// Settings an environment variable overrides for this broker.
    pub overrides: Vec<SettingOverride>,
    /// Where they are kept; absent for a broker that keeps none (tests).
    pub file: Option<String>,
    /// Why the file was refused at start, while nothing has been saved since.
    pub refused: Option<String>,
}

/// A setting the broker's environment overrides.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SettingOverride {
    pub field: String,
    /// `LATCHKEY_SOFA_FEED=…`.
    pub by: String,
}

/// The settings file, what was last saved, and the services that apply it.
#[derive(Debug)]
pub struct SettingsService {
    file: std::sync::OnceLock<SealedFile>,
    saved: Mutex<Settings>,
    credentials: Arc<CredentialService>,
    sofa: Arc<SofaService>,
    approvals: Arc<Approvals>,
    audit: Arc<Audit>,
    /// The feed set by `LATCHKEY_SOFA_FEED`, which wins over the setting.
    feed_from_env: Option<String>,
}

impl SettingsService {
    pub(crate) fn new(
        credentials: Arc<CredentialService>,
        sofa: Arc<SofaService>,
        approvals: Arc<Approvals>,
        audit: Arc<Audit>,
    ) -> Self {
        Self {
            file: std::sync::OnceLock::new(),
            saved: Mutex::default(),
            credentials,
            sofa,
            approvals,
            audit,
            feed_from_env: latchkey_sofa::fetch::feed_from_env(),
        }
    }

    /// Loads `file` and applies it. A file that is refused (see [`crate::sealed`]) or holds a
    /// bad value leaves the defaults in force, and says so.
    pub(crate) fn load(&self, file: SealedFile) {
        if let Some(settings) = file.load::<Settings>() {
            match settings.problems().first() {
                None => {
                    self.apply(&settings);
                    *self.saved.lock().unwrap_or_else(|p| p.into_inner()) = settings;
                }
                Some(problem) => tracing::warn!(
                    "ignoring {}: {}; using the defaults",
                    file.path().display(),
                    problem.message
                ),
            }
        }
        if self.file.set(file).is_err() {
            tracing::error!("the settings file was given twice; keeping the first");
        }
    }

    /// The settings file refused at start, while nothing has been saved since.
    pub fn refused(&self) -> Option<RefusedFile> {
        RefusedFile::of(
            self.file.get(),
            "Latchkey uses its default settings (unlocks last 4 hours) until you change them \
             in Settings or with `latchkey settings set`",
        )
    }

    /// What the broker runs with: the settings read back from the services, except where the
    /// environment overrides one (then the setting, and the override beside it).
    pub fn view(&self) -> SettingsView {
        let saved = self.saved();
        let sla = self.sofa.update_sla();
        let timeout = self.approvals.timeout().as_secs();
        let mut overrides = Vec::new();
        if let Some(feed) = &self.feed_from_env {
            overrides.push(SettingOverride {
                field: "sofa.feed".into(),
                by: format!("{}={feed}", latchkey_sofa::fetch::FEED_ENV),
            });
        }
        if timeout < saved.approvals.timeout_seconds {
            overrides.push(SettingOverride {
                field: "approvals.timeout_seconds".into(),
                by: format!("{}={timeout}", crate::pipeline::approvals::TIMEOUT_VAR),
            });
        }
        let settings = Settings {
            unlock: self.credentials.policy().into(),
            sofa: SofaSettings {
                feed: saved.sofa.feed.clone(),
                refresh_hours: self.sofa.refresh_every().as_secs() / 3600,
            },
            deadlines: DeadlineSettings {
                exploited_days: sla.actively_exploited_days,
                standard_days: sla.standard_days,
                major_days: sla.major_upgrade_days,
            },
            approvals: ApprovalSettings {
                timeout_seconds: timeout.max(saved.approvals.timeout_seconds),
            },
            audit: AuditSettings {
                retention_days: self.audit.retention_days(),
            },
            notifications: saved.notifications,
        };
        SettingsView {
            settings,
            overrides,
            file: self.file.get().map(|f| f.path().display().to_string()),
            refused: self.file.get().and_then(SealedFile::refusal),
        }
    }

    /// The settings as last saved (or loaded).
    pub fn saved(&self) -> Settings {
        self.saved.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Checks `settings`, asks for presence when they weaken a guard, saves and applies them;
    /// the settings before. Nothing changes unless all of it can.
    pub(crate) async fn set(
        &self,
        settings: Settings,
        presence: &dyn Presence,
        requester: Requester,
    ) -> Result<Settings, CredentialError> {
        if let Some(problem) = settings.problems().into_iter().next() {
            return Err(CredentialError::Setting {
                field: problem.field,
                message: problem.message,
            });
        }
        let before = self.saved();
        let weakened = settings.weakened_from(&before);
        if !weakened.is_empty() {
            let action = format!("change Latchkey's settings: {}", weakened.join("; "));
            presence
                .confirm(&PresenceRequest::new(action, requester))
                .await?;
        }
        if let Some(file) = self.file.get() {
            file.save_setting(&settings)?;
        }
        self.apply(&settings);
        *self.saved.lock().unwrap_or_else(|p| p.into_inner()) = settings;
        Ok(before)
    }

    /// Puts checked settings in force in each service.
    fn apply(&self, settings: &Settings) {
        if let Ok(policy) = settings.unlock.policy() {
            self.credentials.apply_policy(policy);
        }
        if self.feed_from_env.is_none()
            && let Ok(source) = feed_source(&settings.sofa.feed)
        {
            self.sofa.set_source(source);
        }
        self.sofa
            .set_refresh_every(Duration::from_secs(settings.sofa.refresh_hours * 3600));
        self.sofa.set_update_sla(settings.deadlines.sla());
        self.approvals
            .set_timeout(Duration::from_secs(settings.approvals.timeout_seconds));
        self.audit.set_retention_days(settings.audit.retention_days);
    }
}

impl From<UnlockPolicy> for PolicySettings {
    fn from(policy: UnlockPolicy) -> Self {
        Self {
            unlock_minutes: policy.ttl().as_secs() / 60,
            idle_minutes: policy.idle().map(|idle| idle.as_secs() / 60),
        }
    }
}
