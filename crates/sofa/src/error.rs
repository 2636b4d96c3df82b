//! The crate's one error type: what can go wrong reading a feed or a version string.

/// Why a feed or a version could not be read. Analysis itself never fails once a feed loads.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SofaError {
    /// The bytes are not JSON, or not shaped like any SOFA feed.
    #[error("the feed is not a readable SOFA JSON document: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON parsed but holds no OS (or app) version with a usable release.
    #[error("the feed lists no OS versions with a readable release")]
    NoOsVersions,
    /// A version string such as `15.1` or `13.4.1 (a)` was malformed.
    #[error("invalid version {input:?}: {reason}")]
    InvalidVersion {
        /// The offending input (cut to 64 characters).
        input: String,
        /// What was wrong with it.
        reason: &'static str,
    },
    /// The feed cannot judge the version: its major is not covered, or it is not a release the
    /// feed lists. The message says which, and the nearest real releases.
    #[error("{0}")]
    NotJudged(String),
}
