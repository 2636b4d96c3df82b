//! Reading a feed: bytes -> a lenient serde layer (`raw`, `lenient`, `objects`, `cves`) -> the normalized
//! [`Feed`] (`normalize`, `hardware`, `time`). Pure — no I/O, no clock — so it can be fuzzed;
//! bad input yields a [`SofaError`], never a panic.

mod cves;
mod hardware;
mod lenient;
mod normalize;
mod objects;
mod raw;
mod time;

use crate::{Feed, SofaError};

/// Parse any SOFA feed layout (v1, v2 2025, v2 schema 2026.04.11; macOS, iOS, tvOS, watchOS,
/// visionOS, Safari) into the normalized model.
///
/// Fails on bytes that are not a JSON object, and on a feed without a single readable
/// release. Releases whose version cannot be read are skipped and named in `Feed::warnings`.
pub fn parse_feed(bytes: &[u8]) -> Result<Feed, SofaError> {
    let mut json = serde_json::Deserializer::from_slice(bytes);
    let raw: raw::RawFeed = objects::document(&mut json)?;
    json.end()?;
    normalize::feed(raw)
}
