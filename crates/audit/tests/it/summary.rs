//! The summaries the app shows: filter choices and an assistant's calls today.

use crate::common;

use chrono::{Duration, Utc};
use latchkey_audit::Options;

#[test]
fn facets_and_calls_since_come_from_recorded_calls() {
    let (_dir, log) = common::new_log(Options::default());
    assert_eq!(log.facets().unwrap(), Default::default());
    common::record_calls(&log, 3);
    let facets = log.facets().unwrap();
    assert_eq!(facets.assistants, [common::claude().name]);
    assert!(!facets.tools.is_empty());
    let executable = common::claude().executable.unwrap();
    let hour_ago = Utc::now() - Duration::hours(1);
    assert_eq!(log.calls_since(&executable, hour_ago).unwrap(), 3);
    assert_eq!(log.calls_since("/usr/bin/other", hour_ago).unwrap(), 0);
    let later = Utc::now() + Duration::hours(1);
    assert_eq!(log.calls_since(&executable, later).unwrap(), 0);
}
