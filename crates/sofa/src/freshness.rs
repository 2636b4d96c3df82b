//! How old the feed's content is by SOFA's own clock (`LastCheck`), not by when this copy was
//! fetched: a mirror SOFA last updated weeks ago is as old as that, however recently it was
//! downloaded. Pure: the caller passes `now` and the age it tolerates.

use std::time::Duration;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::fetch::FeedOrigin;

/// The age past which a feed gets a warning unless the caller sets another (SOFA updates
/// several times a day, so three days without an update means the source is not being fed).
pub const DEFAULT_MAX_FEED_AGE: Duration = Duration::from_secs(3 * 24 * 60 * 60);

/// Where the feed came from, and how old its content is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FeedInfo {
    #[serde(flatten)]
    pub origin: FeedOrigin,
    /// Whole hours since SOFA last updated the feed; absent when the feed does not say (v1).
    pub sofa_age_hours: Option<i64>,
    /// The age, in hours, past which the feed counts as outdated.
    pub max_age_hours: i64,
    /// Set when SOFA last updated the feed longer ago than that: a sentence to show.
    pub outdated: Option<String>,
}

impl FeedOrigin {
    /// The origin with the content's age at `now`, judged against `max_age`.
    pub fn info(&self, now: DateTime<Utc>, max_age: Duration) -> FeedInfo {
        let max_age_hours = i64::try_from(max_age.as_secs() / 3600).unwrap_or(i64::MAX);
        let age = self.sofa_updated_at.map(|at| (now - at).num_hours());
        let outdated = self
            .sofa_updated_at
            .zip(age)
            .filter(|&(_, hours)| hours > max_age_hours)
            .map(|(at, hours)| {
                format!(
                    "SOFA last updated this feed on {} ({}), more than {} ago: its source may no longer be updated",
                    at.format("%Y-%m-%d"),
                    age_text(hours),
                    age_text(max_age_hours)
                )
            });
        FeedInfo {
            origin: self.clone(),
            sofa_age_hours: age,
            max_age_hours,
            outdated,
        }
    }
}

/// "5 h", "3 days".
pub fn age_text(hours: i64) -> String {
    match hours {
        ..48 => format!("{} h", hours.max(0)),
        _ => format!("{} days", hours / 24),
    }
}
