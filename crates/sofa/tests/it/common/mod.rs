//! Fixture access for the integration tests: real published feeds in `../shared/fixtures/sofa`
//! beside the repository. Missing fixtures skip a test locally but fail it in CI.

#![allow(dead_code)] // each test binary uses its own subset

use std::path::PathBuf;

use latchkey_sofa::IndexedFeed;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/sofa");

/// The bytes of a fixture file, or `None` (after saying so) when the fixture folder is absent
/// outside CI. In CI (`CI=true`) a missing folder is a failure.
pub fn fixture(relative: &str) -> Option<Vec<u8>> {
    let dir = PathBuf::from(FIXTURES);
    if !dir.is_dir() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "SOFA fixtures missing at {}: CI needs ../shared beside the repository",
            dir.display()
        );
        eprintln!("skipping: SOFA fixtures not found at {}", dir.display());
        return None;
    }
    let path = dir.join(relative);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Some(bytes)
}

/// A fixture feed, parsed and indexed.
pub fn load(relative: &str) -> Option<IndexedFeed> {
    let bytes = fixture(relative)?;
    let feed = IndexedFeed::from_slice(&bytes).unwrap_or_else(|e| panic!("{relative}: {e}"));
    Some(feed)
}
