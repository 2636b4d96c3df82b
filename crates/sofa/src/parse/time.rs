//! Timestamps as the feeds write them: RFC 3339 (`2026-03-24T00:00:00Z`, with or without
//! nanoseconds), a bare date (`2026-03-24`, tvOS/watchOS/visionOS), and the odd
//! `2026-03-31T06:56:27+00:00Z` (an offset plus a stray `Z`) of v1's timestamp.json.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// The instant a feed timestamp names, read as UTC when it carries no offset; `None` if unreadable.
pub(super) fn timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let rfc3339 = |s: &str| DateTime::parse_from_rfc3339(s).ok().map(|t| t.to_utc());
    rfc3339(text)
        .or_else(|| rfc3339(text.strip_suffix(['Z', 'z'])?))
        .or_else(|| {
            let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
            Some(naive.and_utc())
        })
        .or_else(|| {
            let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
            Some(date.and_time(NaiveTime::MIN).and_utc())
        })
}
