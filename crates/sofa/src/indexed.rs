//! [`IndexedFeed`]: a parsed feed plus the indexes every query uses. Queries live beside their
//! result types (`counts`, `analysis`, `hardware`, `fleet`, `summary`).

use crate::index::{FeedIndex, MajorIndex};
use crate::model::{Feed, OsVersion};
use crate::{SofaError, parse_feed};

/// A loaded feed, ready to answer questions. Build it once per fetched feed; it is immutable.
#[derive(Debug, Clone)]
pub struct IndexedFeed {
    pub(crate) feed: Feed,
    pub(crate) index: FeedIndex,
}

impl IndexedFeed {
    /// Parse feed bytes (any layout) and index them.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, SofaError> {
        parse_feed(bytes).map(Self::new)
    }

    /// Index an already parsed (or hand-built) feed.
    pub fn new(feed: Feed) -> Self {
        let index = FeedIndex::build(&feed);
        Self { feed, index }
    }

    /// The normalized feed.
    pub fn feed(&self) -> &Feed {
        &self.feed
    }

    /// The OS majors the feed covers, newest first.
    pub fn majors(&self) -> Vec<u32> {
        self.index.majors.iter().rev().map(|m| m.major).collect()
    }

    /// The feed's entry for one major.
    pub fn os_version(&self, major: u32) -> Option<&OsVersion> {
        self.index.major(major).map(|m| self.os(m))
    }

    pub(crate) fn os(&self, major: &MajorIndex) -> &OsVersion {
        &self.feed.os_versions[major.os]
    }
}
