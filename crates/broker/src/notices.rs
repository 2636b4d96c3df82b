//! What is worth a desktop notification, said once: this Mac missing a fix for an actively
//! exploited vulnerability after a feed refresh, and a Jamf fleet with more Macs past their
//! update deadline than at its last report. The app shows them (when Settings allows); the
//! broker only says them.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use latchkey_sofa::fetch::LoadedFeed;
use latchkey_sofa::{UpdateSla, Version, VersionStatus};
use serde::Serialize;
use tokio::sync::broadcast;

/// One notification: what happened, and the app page that shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub title: String,
    pub body: String,
    /// The page to open: `sofa` or `credentials` (where a Jamf domain's Fleet tab is).
    pub page: &'static str,
}

/// The notices said, to whoever listens (the app), each thing once.
#[derive(Debug)]
pub struct Notices {
    sender: broadcast::Sender<Notice>,
    /// What was last said about each subject, so the same state is not said again.
    said: Mutex<HashMap<String, String>>,
}

impl Default for Notices {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(16).0,
            said: Mutex::default(),
        }
    }
}

impl Notices {
    /// Notices from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.sender.subscribe()
    }

    /// Says `notice` about `subject` unless its last notice was about the same `state`.
    pub(crate) fn say_once(&self, subject: &str, state: String, notice: Notice) {
        let mut said = self.said.lock().unwrap_or_else(|p| p.into_inner());
        if said.get(subject) == Some(&state) {
            return;
        }
        said.insert(subject.to_owned(), state);
        // Nobody listening (a headless broker) is fine: there is no one to tell.
        let _ = self.sender.send(notice);
    }

    /// After a feed refresh: this Mac (`version`, macOS only) missing a fix for an actively
    /// exploited CVE, said once per feed state.
    pub(crate) fn this_mac(&self, loaded: &LoadedFeed, version: Option<&str>, now: DateTime<Utc>) {
        if let Some((state, notice)) = this_mac_notice(loaded, version, now) {
            self.say_once("this-mac", state, notice);
        }
    }

    /// A new fleet report for `server`: more Macs overdue than at the report before.
    pub(crate) fn fleet(&self, server: &str, before: Option<usize>, overdue: usize) {
        let Some(before) = before.filter(|&b| overdue > b) else {
            return;
        };
        let more = overdue - before;
        let macs = |n: usize| if n == 1 { "Mac" } else { "Macs" };
        self.say_once(
            &format!("fleet:{server}"),
            overdue.to_string(),
            Notice {
                title: format!("{more} more {} overdue on {server}", macs(more)),
                body: format!(
                    "{overdue} {} in the Jamf Pro fleet at {server} are past their macOS update \
                     deadline ({before} at the last report). Open Latchkey › Credentials › Fleet.",
                    macs(overdue)
                ),
                page: "credentials",
            },
        );
    }
}

/// The notice for this Mac on `loaded`, and the state it is about; none when it is current,
/// misses no exploited fix, or is not a Mac.
fn this_mac_notice(
    loaded: &LoadedFeed,
    version: Option<&str>,
    now: DateTime<Utc>,
) -> Option<(String, Notice)> {
    let version = version?;
    let parsed: Version = version.parse().ok()?;
    let VersionStatus::InFeed(analysis) =
        loaded.feed.analyze(&parsed, None, now, &UpdateSla::DEFAULT)
    else {
        return None;
    };
    let cves = &analysis.actively_exploited_cve_ids;
    if cves.is_empty() {
        return None;
    }
    let latest = &analysis.latest.product_version;
    let named = match cves.len() {
        1 => cves[0].clone(),
        2 => format!("{} and {}", cves[0], cves[1]),
        n => format!("{}, {} and {} more", cves[0], cves[1], n - 2),
    };
    Some((
        format!("{version}>{latest}:{}", cves.join(",")),
        Notice {
            title: "This Mac is missing a fix for an actively exploited vulnerability".to_owned(),
            body: format!(
                "macOS {version} lacks the fix for {named}; update to macOS {latest}. Open \
                 Latchkey › SOFA."
            ),
            page: "sofa",
        },
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone;
    use latchkey_sofa::IndexedFeed;
    use latchkey_sofa::fetch::FeedOrigin;

    use super::*;

    fn fixture() -> Option<LoadedFeed> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/fixtures/sofa/v2/macos_data_feed.json"
        );
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if std::env::var("CI").as_deref() == Ok("true") => panic!("{path}: {e}"),
            Err(_) => return None,
        };
        Some(LoadedFeed {
            feed: Arc::new(IndexedFeed::from_slice(&bytes).unwrap()),
            origin: FeedOrigin {
                source: path.to_owned(),
                fetched_at: Utc.with_ymd_and_hms(2026, 4, 1, 6, 0, 0).unwrap(),
                sofa_updated_at: None,
                stale_reason: None,
            },
        })
    }

    #[test]
    fn this_mac_behind_on_an_exploited_fix_is_said_once_per_feed_state() {
        let Some(loaded) = fixture() else { return };
        let notices = Notices::default();
        let mut heard = notices.subscribe();
        let now = Utc.with_ymd_and_hms(2026, 4, 2, 0, 0, 0).unwrap();
        notices.this_mac(&loaded, Some("15.0"), now);
        let notice = heard.try_recv().unwrap();
        assert_eq!(notice.page, "sofa");
        assert!(
            notice.body.starts_with("macOS 15.0 lacks the fix for CVE-"),
            "{notice:?}"
        );
        assert!(notice.body.contains("update to macOS 15."), "{notice:?}");
        notices.this_mac(&loaded, Some("15.0"), now);
        assert!(heard.try_recv().is_err(), "the same state is said once");
        // Not a Mac, or a current one: nothing.
        notices.this_mac(&loaded, None, now);
        let latest = loaded.feed.latest_releases();
        let newest = latest.first().unwrap().product_version.clone();
        notices.this_mac(&loaded, Some(&newest), now);
        assert!(heard.try_recv().is_err());
    }

    #[test]
    fn a_fleet_gaining_overdue_macs_is_said_and_a_first_or_shrinking_report_is_not() {
        let notices = Notices::default();
        let mut heard = notices.subscribe();
        notices.fleet("acme.jamfcloud.com", None, 40);
        notices.fleet("acme.jamfcloud.com", Some(40), 30);
        assert!(heard.try_recv().is_err());
        notices.fleet("acme.jamfcloud.com", Some(30), 31);
        let notice = heard.try_recv().unwrap();
        assert_eq!(notice.title, "1 more Mac overdue on acme.jamfcloud.com");
        assert!(
            notice
                .body
                .starts_with("31 Macs in the Jamf Pro fleet at acme.jamfcloud.com")
        );
        assert_eq!(notice.page, "credentials");
    }
}
