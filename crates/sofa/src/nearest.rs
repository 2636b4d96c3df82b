//! "Did you mean 15.7.7?": the real releases nearest to a version the feed does not list.

use crate::{IndexedFeed, Version};

/// How many suggestions a reader is offered.
const SUGGESTIONS: usize = 3;

impl IndexedFeed {
    /// Up to three listed releases of `version`'s major nearest to it: first those spelled with
    /// the same digits (a dropped dot: 15.77 -> 15.7.7), then its neighbours by number.
    /// Empty when the feed does not cover the major.
    pub fn nearest_releases(&self, version: &Version) -> Vec<Version> {
        let Some(major) = self.index.major(version.major()) else {
            return Vec::new();
        };
        let digits = |v: &Version| -> String {
            let text = v.to_string();
            text.chars().filter(char::is_ascii_digit).collect()
        };
        let wanted = digits(version);
        let pos = major.first_after(version);
        let below = pos.checked_sub(1).map(|i| &major.versions[i]);
        let same_digits = major.versions.iter().filter(|v| digits(v) == wanted);
        let mut out: Vec<Version> = Vec::with_capacity(SUGGESTIONS);
        for v in same_digits.chain(below).chain(major.versions.get(pos)) {
            if v != version && !out.contains(v) && out.len() < SUGGESTIONS {
                out.push(*v);
            }
        }
        out
    }
}
