//! Feed updates: what changed between the 2025-09-30 and 2026-03-31 fetches.

use crate::common;

use latchkey_sofa::{Version, diff};

fn v(text: &str) -> Version {
    text.parse().expect("version")
}

#[test]
fn six_months_of_releases_and_revisions() {
    let (Some(old), Some(new)) = (
        common::load("older/v1/macos_data_feed.json"),
        common::load("v1/macos_data_feed.json"),
    ) else {
        return;
    };
    let d = diff(old.feed(), new.feed());
    assert_eq!(d.added.len(), 14);
    assert!(
        d.added
            .iter()
            .any(|r| (r.major, r.version) == (26, v("26.4")))
    );
    assert!(d.added.iter().all(|r| [14, 15, 26].contains(&r.major)));
    assert!(d.removed.is_empty());
    // Apple revises old releases' notes: 12 releases gained CVEs, none lost any.
    assert_eq!(d.revised.len(), 12);
    assert!(
        d.revised
            .iter()
            .all(|r| !r.cves_added.is_empty() && r.cves_removed.is_empty())
    );
    let r151 = d
        .revised
        .iter()
        .find(|r| r.version == v("15.1"))
        .expect("15.1 revised");
    assert_eq!(r151.cves_added.len(), 2);
    let changed: Vec<(u32, Option<Version>, Option<Version>)> = d
        .latest_changed
        .iter()
        .map(|c| (c.major, c.old, c.new))
        .collect();
    assert_eq!(
        changed,
        [
            (14, Some(v("14.8.1")), Some(v("14.8.5"))),
            (15, Some(v("15.7.1")), Some(v("15.7.5"))),
            (26, Some(v("26.0.1")), Some(v("26.4")))
        ]
    );
}

#[test]
fn same_fetch_in_two_layouts_has_no_differences() {
    let (Some(v1), Some(v2)) = (
        common::load("v1/macos_data_feed.json"),
        common::load("v2/macos_data_feed.json"),
    ) else {
        return;
    };
    let d = diff(v1.feed(), v2.feed());
    assert!(
        d.added.is_empty()
            && d.removed.is_empty()
            && d.revised.is_empty()
            && d.latest_changed.is_empty()
    );
}

#[test]
fn layout_change_and_new_releases() {
    let (Some(old), Some(new)) = (
        common::load("v2/macos_data_feed.json"),
        common::load("v2-2026-09-10/macos_data_feed.json"),
    ) else {
        return;
    };
    let d = diff(old.feed(), new.feed());
    assert_eq!(
        (d.added.len(), d.removed.len(), d.revised.len()),
        (13, 0, 15)
    );
    let reverse = diff(new.feed(), old.feed());
    assert_eq!((reverse.added.len(), reverse.removed.len()), (0, 13));
}
