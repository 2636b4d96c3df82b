//! A computer's management history. The Jamf Pro API has no computer history endpoint
//! (11.30.1), so this reads the Classic API: `GET /JSSResource/computerhistory/id/{id}` or
//! `.../serialnumber/{serial}` with `Accept: application/json`. Each log is summarized to its
//! most recent entries; Mac App Store and imaging logs are left out (no dates, or obsolete).

use chrono::{DateTime, TimeZone, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::valid_id;
use crate::{ComputerRef, JamfClient, JamfError, lenient};

/// Entries kept per log: enough to see a pattern, small enough for an assistant.
const RECENT_ENTRIES: usize = 20;

/// Recent management history of one computer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct ComputerHistory {
    /// Jamf's computer id.
    pub id: Option<String>,
    /// Computer name.
    pub name: Option<String>,
    /// Serial number.
    pub serial: Option<String>,
    /// Policies run on it.
    pub policy_logs: HistoryList,
    /// MDM commands: completed, pending and failed.
    pub commands: HistoryList,
    /// Changes to its record in Jamf Pro.
    pub audits: HistoryList,
    /// Logins and logouts.
    pub usage_logs: HistoryList,
    /// Screen sharing sessions.
    pub screen_sharing: HistoryList,
    /// Jamf Remote sessions.
    pub remote_sessions: HistoryList,
    /// Changes of assigned user and location.
    pub user_location: HistoryList,
}

/// One log, newest first, cut to the most recent entries.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct HistoryList {
    /// Entries in the server's log.
    pub total: usize,
    /// The most recent of them, newest first.
    pub recent: Vec<HistoryEntry>,
}

/// One event.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct HistoryEntry {
    /// When it happened (for commands: completed, failed or issued).
    pub at: Option<DateTime<Utc>>,
    /// What happened: the policy, command or event name.
    pub what: String,
    /// Who: the user or admin involved.
    pub user: Option<String>,
    /// Outcome as Jamf states it, e.g. "Completed", "Failed", "Pending".
    pub status: Option<String>,
    /// Anything else the log says.
    pub detail: Option<String>,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default, deserialize_with = "lenient::section")]
    computer_history: Option<RawHistory>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct RawHistory {
    #[serde(deserialize_with = "lenient::section")]
    general: Option<RawHistoryGeneral>,
    #[serde(deserialize_with = "lenient::list")]
    computer_usage_logs: Vec<RawEvent>,
    #[serde(deserialize_with = "lenient::list")]
    audits: Vec<RawEvent>,
    #[serde(deserialize_with = "lenient::list")]
    policy_logs: Vec<RawEvent>,
    #[serde(deserialize_with = "lenient::list")]
    casper_remote_logs: Vec<RawEvent>,
    #[serde(deserialize_with = "lenient::list")]
    screen_sharing_logs: Vec<RawEvent>,
    #[serde(deserialize_with = "lenient::section")]
    commands: Option<RawCommands>,
    #[serde(deserialize_with = "lenient::list")]
    user_location: Vec<RawEvent>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct RawHistoryGeneral {
    #[serde(deserialize_with = "lenient::string")]
    id: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    name: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    serial_number: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct RawCommands {
    #[serde(deserialize_with = "lenient::list")]
    completed: Vec<RawEvent>,
    #[serde(deserialize_with = "lenient::list")]
    pending: Vec<RawEvent>,
    #[serde(deserialize_with = "lenient::list")]
    failed: Vec<RawEvent>,
}

/// The union of the fields the Classic logs use.
#[derive(Default, Deserialize)]
#[serde(default)]
struct RawEvent {
    #[serde(deserialize_with = "lenient::string")]
    event: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    name: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    policy_name: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    username: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    full_name: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    email_address: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    status: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    details: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    date_time_epoch: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    date_time_utc: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    completed_epoch: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    failed_epoch: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    issued_epoch: Option<String>,
}

impl RawEvent {
    fn at(&self) -> Option<DateTime<Utc>> {
        [
            &self.completed_epoch,
            &self.failed_epoch,
            &self.date_time_epoch,
            &self.issued_epoch,
        ]
        .into_iter()
        .find_map(|e| e.as_deref().and_then(epoch))
        .or_else(|| {
            self.date_time_utc
                .as_deref()
                .and_then(lenient::parse_datetime)
        })
    }

    fn into_entry(self, default_status: Option<&str>) -> HistoryEntry {
        let at = self.at();
        let detail = match (&self.full_name, &self.email_address) {
            (Some(name), Some(email)) => Some(format!("{name} <{email}>")),
            (Some(one), None) | (None, Some(one)) => Some(one.clone()),
            (None, None) => self.details,
        };
        HistoryEntry {
            at,
            what: self
                .policy_name
                .or(self.name)
                .or(self.event)
                .unwrap_or_else(|| "event".to_owned()),
            user: self.username,
            status: self.status.or(default_status.map(str::to_owned)),
            detail,
        }
    }
}

/// Classic epochs are milliseconds; some mocks and old servers use seconds.
fn epoch(text: &str) -> Option<DateTime<Utc>> {
    let n: i64 = text.trim().parse().ok()?;
    let millis = if n.abs() < 100_000_000_000 {
        n * 1000
    } else {
        n
    };
    Utc.timestamp_millis_opt(millis).single()
}

fn summarize(events: Vec<RawEvent>, default_status: Option<&str>) -> HistoryList {
    let total = events.len();
    let mut entries: Vec<HistoryEntry> = events
        .into_iter()
        .map(|e| e.into_entry(default_status))
        .collect();
    entries.sort_by_key(|e| std::cmp::Reverse(e.at));
    entries.truncate(RECENT_ENTRIES);
    HistoryList {
        total,
        recent: entries,
    }
}

impl JamfClient {
    /// Recent management history of one computer.
    pub async fn computer_history(
        &self,
        target: &ComputerRef,
    ) -> Result<ComputerHistory, JamfError> {
        let path = match target {
            ComputerRef::Id(id) => format!("JSSResource/computerhistory/id/{}", valid_id(id)?),
            ComputerRef::Serial(s) => format!("JSSResource/computerhistory/serialnumber/{s}"),
        };
        let envelope: Envelope = match self.get_json(&path, &[]).await {
            Err(JamfError::NotFound(_)) => {
                return Err(JamfError::NotFound(format!("no history for {target}")));
            }
            result => result?,
        };
        let raw = envelope.computer_history.ok_or_else(|| JamfError::Parse {
            endpoint: format!("GET /{path}"),
            detail: "no computer_history object".into(),
        })?;
        Ok(history(raw))
    }
}

fn history(raw: RawHistory) -> ComputerHistory {
    let general = raw.general.unwrap_or_default();
    let commands = raw.commands.unwrap_or_default();
    let mut all_commands = Vec::new();
    let mut statuses = Vec::new();
    for (list, status) in [
        (commands.completed, "Completed"),
        (commands.pending, "Pending"),
        (commands.failed, "Failed"),
    ] {
        statuses.extend(std::iter::repeat_n(status, list.len()));
        all_commands.extend(list);
    }
    let total = all_commands.len();
    let mut entries: Vec<HistoryEntry> = all_commands
        .into_iter()
        .zip(statuses)
        .map(|(e, status)| e.into_entry(Some(status)))
        .collect();
    entries.sort_by_key(|e| std::cmp::Reverse(e.at));
    entries.truncate(RECENT_ENTRIES);
    ComputerHistory {
        id: general.id,
        name: general.name,
        serial: general.serial_number,
        policy_logs: summarize(raw.policy_logs, None),
        commands: HistoryList {
            total,
            recent: entries,
        },
        audits: summarize(raw.audits, None),
        usage_logs: summarize(raw.computer_usage_logs, None),
        screen_sharing: summarize(raw.screen_sharing_logs, None),
        remote_sessions: summarize(raw.casper_remote_logs, None),
        user_location: summarize(raw.user_location, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_json_is_summarized_newest_first_and_bounded() {
        let policy_logs: Vec<serde_json::Value> = (0..30)
            .map(|i| serde_json::json!({"policy_id": i, "policy_name": format!("P{i}"), "username": "admin",
                                        "date_time_epoch": 1_700_000_000_000_i64 + i * 1000, "status": "Completed"}))
            .collect();
        let body = serde_json::json!({"computer_history": {
            "general": {"id": 5, "name": "lab", "serial_number": "C02ABC12345"},
            "policy_logs": policy_logs,
            "commands": {"completed": [{"name": "DeviceLock", "completed_epoch": 1_700_000_000_000_i64}],
                          "pending": [{"name": "InstallProfile", "issued_epoch": 1_700_000_100_000_i64}],
                          "failed": []},
            "screen_sharing_logs": [{"status": "Accepted", "details": "by admin", "date_time_epoch": 1_699_999_999}],
            "audits": null
        }});
        let envelope: Envelope = serde_json::from_value(body).unwrap();
        let h = history(envelope.computer_history.unwrap());
        assert_eq!(h.id.as_deref(), Some("5"));
        assert_eq!(h.policy_logs.total, 30);
        assert_eq!(h.policy_logs.recent.len(), RECENT_ENTRIES);
        assert_eq!(h.policy_logs.recent[0].what, "P29");
        assert_eq!(h.commands.total, 2);
        assert_eq!(h.commands.recent[0].what, "InstallProfile");
        assert_eq!(h.commands.recent[0].status.as_deref(), Some("Pending"));
        assert_eq!(
            h.screen_sharing.recent[0].detail.as_deref(),
            Some("by admin")
        );
        assert_eq!(
            h.screen_sharing.recent[0].at.unwrap().timestamp(),
            1_699_999_999,
            "epoch seconds are read as seconds"
        );
        assert_eq!(h.audits.total, 0);
    }
}
