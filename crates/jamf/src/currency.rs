//! What a Jamf report judges macOS versions against: the SOFA feed with where it came from and
//! how old it is, or why there is none. Without a feed a report still carries everything Jamf
//! knows (FileVault, SIP, check-in…); only the macOS standing is left unjudged, and says so.

use latchkey_sofa::fetch::FeedInfo;
use latchkey_sofa::{IndexedFeed, UpdateSla};

#[derive(Debug, Clone, Copy)]
pub enum Currency<'a> {
    /// Judge against this feed; the report names it.
    Feed {
        feed: &'a IndexedFeed,
        info: &'a FeedInfo,
        /// How long each missed update may wait: the deadlines in the report.
        sla: &'a UpdateSla,
    },
    /// No feed could be had: the reason, already saying how to fix it.
    Unavailable(&'a str),
}

impl<'a> Currency<'a> {
    pub(crate) fn feed(self) -> Option<(&'a IndexedFeed, &'a UpdateSla)> {
        match self {
            Self::Feed { feed, sla, .. } => Some((feed, sla)),
            Self::Unavailable(_) => None,
        }
    }

    /// The report's `macos_feed` and `macos_currency_unavailable` fields.
    pub(crate) fn described(self) -> (Option<FeedInfo>, Option<String>) {
        match self {
            Self::Feed { info, .. } => (Some(info.clone()), None),
            Self::Unavailable(why) => (None, Some(format!("macOS currency unavailable: {why}"))),
        }
    }
}
