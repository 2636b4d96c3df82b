//! Apple security-release status from the macadmins SOFA feed. No secrets, no I/O in the parser.
//!
//! - [`parse_feed`] reads any published layout into the normalized [`Feed`] (`model`).
//! - [`IndexedFeed`] adds per-major indexes built once at load, and answers: [`IndexedFeed::counts`]
//!   (fast path), [`IndexedFeed::status`] (one version in depth), [`IndexedFeed::hardware_support`],
//!   [`IndexedFeed::fleet`], [`IndexedFeed::summary`], [`IndexedFeed::latest_releases`].
//! - [`IndexedFeed::deadline`]: when a version's missed updates are required by, per [`UpdateSla`].
//! - [`FleetTally`] judges a fleet one device at a time, keeping only totals and one standing per
//!   distinct version, for callers that stream their input.
//! - [`FleetCsv`] reads the device exports of Jamf Pro, Kandji, Mosyle, Intune, Addigy and Fleet
//!   as they come, row by row ([`FleetColumns`] finds the columns); [`each_json_device`] a JSON
//!   array, element by element; [`fleet_from_csv`] and [`fleet_from_json`] read either whole.
//! - [`diff`] compares two fetches of a feed.
//! - [`fetch`] gets the feed over HTTPS or from a file, with a cache that only holds good feeds.
//! - [`Version`] is the version math every comparison uses.
//!
//! Every result type is `Serialize + JsonSchema`, with field docs as schema descriptions.

mod analysis;
mod counts;
mod cves;
mod deadline;
mod diff;
mod error;
pub mod fetch;
mod fleet;
mod fleet_input;
mod freshness;
mod hardware;
mod index;
mod indexed;
mod model;
mod nearest;
mod parse;
mod summary;
mod support;
pub mod this_mac;
mod version;

pub use analysis::{NotInFeed, ReleaseSummary, VersionAnalysis, VersionStatus};
pub use counts::{SeverityCounts, StatusCounts, VersionState};
pub use cves::FixedCve;
pub use deadline::{SlaKind, UpdateDeadline, UpdateSla};
pub use diff::{CveRevision, DiffRelease, FeedDiff, LatestChange, diff};
pub use error::SofaError;
pub use fleet::{
    DeviceState, DeviceStatus, FleetDevice, FleetReport, FleetTally, VersionCount,
    fleet_without_feed,
};
pub use fleet_input::{
    FleetColumns, FleetCsv, FleetInputError, FleetRow, ID_COLUMNS, MODEL_COLUMNS,
    OS_VERSION_COLUMNS, each_json_device, fleet_from_csv, fleet_from_json, os_version_in,
    reduce_os_versions,
};
pub use hardware::HardwareSupport;
pub use indexed::IndexedFeed;
pub use model::{Cve, DeviceInfo, Feed, FeedLayout, ModelInfo, OsVersion, Release, ReleaseRef};
pub use parse::parse_feed;
pub use summary::{FeedSummary, LatestRelease};
pub use support::{EndOfLife, PATCHED_MAJOR_COUNT};
pub use version::Version;
