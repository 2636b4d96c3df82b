//! What a software update plan would do, worked out before a person is asked to approve it:
//! each Mac's target version (the newest release of its own major, or a named release that
//! must exist in the SOFA feed), what it would gain, and a deadline with the reason for it.
//!
//! The deadline is the SOFA engine's update deadline (`latchkey_sofa::UpdateSla`): each
//! release a plan's Macs are missing is due its date plus 7 days when it fixes an actively
//! exploited CVE, else 30, and the plan takes the earliest of these (by date, not by version:
//! real feeds list releases whose dates are out of version order). One already past moves to
//! the first working-day end at least a day ahead, and the reason says so.
//! Pure: no I/O, `now` is a parameter, so it is tested against the real SOFA fixtures.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use latchkey_sofa::{IndexedFeed, Release, SlaKind, UpdateDeadline, UpdateSla, Version};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::targets::listing;
use crate::{ComputerId, JamfError, PlanTarget, PlanVersion, SoftwareUpdatePlan, TargetComputer};

/// The version to bring the Macs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetVersion {
    /// The newest release of each Mac's own major (Macs on several majors get several plans).
    LatestOfMajor,
    /// This release, e.g. "15.7.9"; it must be in the feed. Macs on other majors are skipped.
    Named(String),
}

/// How the deadline is chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "snake_case")]
pub struct DeadlinePolicy {
    /// How long each missed release may wait (the update deadline settings).
    pub sla: UpdateSla,
    /// Time of day of the deadline on each Mac (default 17:00: after the working day, while
    /// the Mac is likely still open, rather than at midnight).
    pub time_of_day: NaiveTime,
    /// A deadline is never sooner than this many hours from now (default 24): Macs behind
    /// for long would otherwise get a deadline already past, forcing a restart at once.
    pub min_notice_hours: u32,
    /// The person's own deadline date, which replaces the worked-out one (at `time_of_day`).
    pub date: Option<NaiveDate>,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        Self {
            sla: UpdateSla::DEFAULT,
            time_of_day: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default(),
            min_notice_hours: 24,
            date: None,
        }
    }
}

/// What a plan would do, for a person to approve.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub struct PlanPreview {
    /// One line in plain words, e.g. "schedule macOS 15.7.9 on 34 Macs with a deadline of
    /// 13 Dec 2026; fixes 3 actively exploited CVEs".
    pub summary: String,
    /// One plan per target version, newest first.
    pub plans: Vec<PreviewPlan>,
    /// Every Mac asked about, in the order given, with what would happen to it.
    pub computers: Vec<PreviewComputer>,
    /// Macs left out (already on their target, or not plannable), counted.
    pub skipped: usize,
}

/// One plan: the Macs going to one version.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub struct PreviewPlan {
    /// The version they go to.
    pub target_version: String,
    /// How many Macs.
    pub computers: usize,
    /// The deadline, in each Mac's local time.
    pub deadline: NaiveDateTime,
    /// Why that deadline, e.g. "7 days after 15.7.2 (2026-11-04), the earliest release
    /// missed, because the releases missed fix 3 actively exploited CVEs".
    pub deadline_reason: String,
    /// CVEs fixed by the releases missed.
    pub cves_fixed: usize,
    /// Of those, the actively exploited ones, sorted.
    pub actively_exploited_cve_ids: Vec<String>,
    /// Exactly what would be sent to Jamf Pro once approved.
    pub plan: SoftwareUpdatePlan,
}

/// One Mac in a preview.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub struct PreviewComputer {
    /// Jamf's computer id.
    pub id: ComputerId,
    /// Serial number.
    pub serial: Option<String>,
    /// Computer name.
    pub name: Option<String>,
    /// macOS version now.
    pub current_version: Option<String>,
    /// The version it would go to (also set when it is already there).
    pub target_version: Option<String>,
    /// What would happen to it.
    pub action: PreviewAction,
    /// Releases between its version and the target.
    pub missed_releases: usize,
    /// Actively exploited CVEs fixed by those releases, sorted.
    pub actively_exploited_cve_ids: Vec<String>,
}

/// What a preview does with one Mac.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PreviewAction {
    /// It gets the update.
    Update,
    /// Skipped: already on its target version.
    AlreadyOnTarget,
    /// Skipped: on a newer version than the named target.
    NewerThanTarget,
    /// Skipped: on another major than the named target (a major upgrade is not planned).
    OtherMajor,
    /// Skipped: its major is not in the feed, so no target can be worked out.
    NotInFeed,
    /// Skipped: no readable macOS version in Jamf Pro.
    UnreadableVersion,
}

impl PreviewAction {
    fn words(self) -> &'static str {
        match self {
            PreviewAction::Update => "to update",
            PreviewAction::AlreadyOnTarget => "already on their target",
            PreviewAction::NewerThanTarget => "newer than the target",
            PreviewAction::OtherMajor => "on another major",
            PreviewAction::NotInFeed => "on a major the feed does not cover",
            PreviewAction::UnreadableVersion => "without a readable macOS version",
        }
    }
}

/// One Mac's update: the releases it would install.
struct Missed<'f> {
    target: &'f Release,
    releases: Vec<&'f Release>,
}

/// Works out the plans for `computers` at `now`. Fails when the named version is not a
/// release in the feed (naming the nearest real ones), when no Macs are given, or when none
/// would change.
pub fn preview_software_update(
    computers: &[TargetComputer],
    feed: &IndexedFeed,
    target: &TargetVersion,
    policy: &DeadlinePolicy,
    now: DateTime<Utc>,
) -> Result<PlanPreview, JamfError> {
    let named = match target {
        TargetVersion::Named(version) => Some(named_release(feed, version)?),
        TargetVersion::LatestOfMajor => None,
    };
    let mut seen = BTreeSet::new();
    let computers: Vec<&TargetComputer> = computers.iter().filter(|c| seen.insert(&c.id)).collect();
    if computers.is_empty() {
        return Err(JamfError::InvalidArgument("no Macs were given".into()));
    }
    let mut rows = Vec::with_capacity(computers.len());
    let mut plans: BTreeMap<Version, Vec<(&TargetComputer, Missed)>> = BTreeMap::new();
    for computer in computers {
        let (action, missed, target) = judge(computer, feed, named);
        let exploited = missed.as_ref().map(|m| exploited_ids(&m.releases));
        rows.push(PreviewComputer {
            id: computer.id.clone(),
            serial: computer.serial.clone(),
            name: computer.name.clone(),
            current_version: computer.os_version.clone(),
            target_version: target.map(|r| r.product_version.clone()),
            action,
            missed_releases: missed.as_ref().map_or(0, |m| m.releases.len()),
            actively_exploited_cve_ids: exploited.unwrap_or_default(),
        });
        if let Some(missed) = missed {
            plans
                .entry(missed.target.version)
                .or_default()
                .push((computer, missed));
        }
    }
    if plans.is_empty() {
        return Err(nothing_to_do(&rows, named));
    }
    let plans: Vec<PreviewPlan> = plans
        .into_values()
        .rev()
        .map(|macs| plan_for(&macs, policy, now))
        .collect();
    let skipped = rows
        .iter()
        .filter(|r| r.action != PreviewAction::Update)
        .count();
    Ok(PlanPreview {
        summary: summary(&plans, skipped),
        plans,
        computers: rows,
        skipped,
    })
}

/// What happens to one Mac, the releases it would install, and its target.
fn judge<'f>(
    computer: &TargetComputer,
    feed: &'f IndexedFeed,
    named: Option<&'f Release>,
) -> (PreviewAction, Option<Missed<'f>>, Option<&'f Release>) {
    let Some(current) = computer
        .os_version
        .as_deref()
        .and_then(|v| v.parse::<Version>().ok())
    else {
        return (PreviewAction::UnreadableVersion, None, None);
    };
    let Some(os) = feed.os_version(current.major()) else {
        return (PreviewAction::NotInFeed, None, named);
    };
    let target = match named {
        Some(named) if named.version.major() != current.major() => {
            return (PreviewAction::OtherMajor, None, Some(named));
        }
        Some(named) => named,
        None => match newest_full_release(&os.releases) {
            Some(newest) => newest,
            None => return (PreviewAction::NotInFeed, None, None),
        },
    };
    if current == target.version {
        return (PreviewAction::AlreadyOnTarget, None, Some(target));
    }
    if current > target.version {
        let action = match named {
            Some(_) => PreviewAction::NewerThanTarget,
            None => PreviewAction::AlreadyOnTarget,
        };
        return (action, None, Some(target));
    }
    let releases = os
        .releases
        .iter()
        .filter(|r| r.version > current && r.version <= target.version)
        .collect();
    let missed = Missed { target, releases };
    (PreviewAction::Update, Some(missed), Some(target))
}

/// The newest release that is not a Rapid Security Response: plans install full releases.
fn newest_full_release(releases: &[Release]) -> Option<&Release> {
    releases
        .iter()
        .filter(|r| r.version.rsr().is_none())
        .max_by_key(|r| r.version)
}

/// The feed's release for a named version, or an error naming the nearest real ones.
fn named_release<'f>(feed: &'f IndexedFeed, version: &str) -> Result<&'f Release, JamfError> {
    let wanted: Version = version.parse().map_err(|e| {
        JamfError::InvalidArgument(format!("{e}; name a macOS release such as 15.7.9"))
    })?;
    if wanted.rsr().is_some() {
        return Err(JamfError::InvalidArgument(format!(
            "macOS {wanted} is a Rapid Security Response; a plan installs a full release"
        )));
    }
    let Some(os) = feed.os_version(wanted.major()) else {
        let majors: Vec<String> = feed.majors().iter().map(u32::to_string).collect();
        return Err(JamfError::InvalidArgument(format!(
            "macOS {wanted} is not in the SOFA feed: it covers majors {}",
            listing(&majors)
        )));
    };
    let full: Vec<&Release> = os
        .releases
        .iter()
        .filter(|r| r.version.rsr().is_none())
        .collect();
    if let Some(found) = full.iter().find(|r| r.version == wanted) {
        return Ok(found);
    }
    let below = full
        .iter()
        .filter(|r| r.version < wanted)
        .max_by_key(|r| r.version);
    let above = full
        .iter()
        .filter(|r| r.version > wanted)
        .min_by_key(|r| r.version);
    let nearest: Vec<&str> = [below, above]
        .into_iter()
        .flatten()
        .map(|r| r.product_version.as_str())
        .collect();
    Err(JamfError::InvalidArgument(format!(
        "macOS {wanted} is not a release in the SOFA feed; the nearest {} {}",
        if nearest.len() == 1 { "is" } else { "are" },
        listing(&nearest)
    )))
}

fn exploited_ids(releases: &[&Release]) -> Vec<String> {
    let ids: BTreeSet<&str> = releases
        .iter()
        .flat_map(|r| &r.cves)
        .filter(|c| c.actively_exploited)
        .map(|c| c.id.as_str())
        .collect();
    ids.into_iter().map(str::to_owned).collect()
}

/// The plan for the Macs going to one version, with its deadline.
fn plan_for(
    macs: &[(&TargetComputer, Missed)],
    policy: &DeadlinePolicy,
    now: DateTime<Utc>,
) -> PreviewPlan {
    let target = macs[0].1.target;
    let mut releases: Vec<&Release> = macs.iter().flat_map(|(_, m)| m.releases.clone()).collect();
    releases.sort_by_key(|r| r.version);
    releases.dedup_by_key(|r| r.version);
    let exploited = exploited_ids(&releases);
    let cves: BTreeSet<&str> = releases
        .iter()
        .flat_map(|r| &r.cves)
        .map(|c| c.id.as_str())
        .collect();
    let earliest = (releases.iter())
        .filter_map(|r| policy.sla.for_release(r, now.date_naive()))
        .min_by_key(|d| (d.required_by, d.release));
    let (deadline, deadline_reason) = deadline(earliest, exploited.len(), policy, now);
    PreviewPlan {
        target_version: target.product_version.clone(),
        computers: macs.len(),
        deadline,
        deadline_reason,
        cves_fixed: cves.len(),
        actively_exploited_cve_ids: exploited,
        plan: SoftwareUpdatePlan {
            target: PlanTarget::Computers(macs.iter().map(|(c, _)| c.id.clone()).collect()),
            version: PlanVersion::Specific(target.product_version.clone()),
            deadline,
        },
    }
}

/// The deadline and, in words, why.
fn deadline(
    earliest: Option<UpdateDeadline>,
    exploited: usize,
    policy: &DeadlinePolicy,
    now: DateTime<Utc>,
) -> (NaiveDateTime, String) {
    if let Some(date) = policy.date {
        let because = match exploited {
            0 => "; none of the releases missed fixes an actively exploited CVE".to_owned(),
            n => format!(
                ", because the releases missed fix {}",
                plural(n, "actively exploited CVE")
            ),
        };
        return (
            date.and_time(policy.time_of_day),
            format!("the date asked for{because}"),
        );
    }
    let (due, mut reason) = match earliest {
        Some(d) => (
            d.required_by,
            format!(
                "{} after {} ({}), which fixes {}: the earliest deadline of the releases missed",
                plural(d.sla_days as usize, "day"),
                d.release,
                d.release_date,
                match d.sla {
                    SlaKind::ActivelyExploited => "an actively exploited CVE",
                    SlaKind::Standard | SlaKind::MajorUpgrade => "no actively exploited CVE",
                }
            ),
        ),
        None => {
            let days = match exploited {
                0 => policy.sla.standard_days,
                _ => policy.sla.actively_exploited_days,
            };
            (
                now.date_naive() + Duration::days(i64::from(days)),
                format!(
                    "{} from today, as the releases missed have no dates",
                    plural(days as usize, "day")
                ),
            )
        }
    };
    let mut deadline = due.and_time(policy.time_of_day);
    let soonest = (now + Duration::hours(i64::from(policy.min_notice_hours))).naive_utc();
    if deadline < soonest {
        let mut day: NaiveDate = soonest.date();
        if day.and_time(policy.time_of_day) < soonest {
            day = day.succ_opt().unwrap_or(day);
        }
        let overdue = (now.date_naive() - due).num_days();
        reason.push_str(&format!(
            "; that was {}{}, already past or too soon, so the first {} at least {} from now",
            deadline.format("%Y-%m-%d"),
            match overdue {
                ..=0 => String::new(),
                1 => " (overdue by 1 day)".to_owned(),
                n => format!(" (overdue by {n} days)"),
            },
            policy.time_of_day.format("%H:%M"),
            plural(policy.min_notice_hours as usize, "hour")
        ));
        deadline = day.and_time(policy.time_of_day);
    }
    (deadline, reason)
}

/// "schedule macOS 15.7.9 on 34 Macs with a deadline of 13 Dec 2026; fixes 3 actively
/// exploited CVEs" (several plans: each version with its deadline in parentheses).
fn summary(plans: &[PreviewPlan], skipped: usize) -> String {
    let parts: Vec<String> = plans
        .iter()
        .map(|p| {
            let macs = plural(p.computers, "Mac");
            let date = p.deadline.format("%-d %b %Y");
            match plans.len() {
                1 => format!(
                    "macOS {} on {macs} with a deadline of {date}",
                    p.target_version
                ),
                _ => format!("macOS {} on {macs} (deadline {date})", p.target_version),
            }
        })
        .collect();
    let mut out = format!("schedule {}", listing(&parts));
    let exploited: BTreeSet<&String> = plans
        .iter()
        .flat_map(|p| &p.actively_exploited_cve_ids)
        .collect();
    match exploited.len() {
        0 => out.push_str("; fixes no actively exploited CVE"),
        n => out.push_str(&format!("; fixes {}", plural(n, "actively exploited CVE"))),
    }
    if skipped > 0 {
        out.push_str(&format!("; {} skipped", plural(skipped, "Mac")));
    }
    out
}

/// Why no plan would be made.
fn nothing_to_do(rows: &[PreviewComputer], named: Option<&Release>) -> JamfError {
    let n = rows.len();
    let all = |action| rows.iter().all(|r| r.action == action);
    let message = if all(PreviewAction::AlreadyOnTarget) {
        match named {
            Some(release) => format!(
                "{} already on macOS {}",
                all_are(n),
                release.product_version
            ),
            None => {
                let versions: BTreeSet<&str> = rows
                    .iter()
                    .filter_map(|r| r.target_version.as_deref())
                    .collect();
                let versions: Vec<&str> = versions.into_iter().collect();
                format!(
                    "{} already on the latest release of their major ({})",
                    all_are(n),
                    listing(&versions)
                )
            }
        }
    } else {
        let mut counts: BTreeMap<PreviewAction, usize> = BTreeMap::new();
        for row in rows {
            *counts.entry(row.action).or_default() += 1;
        }
        let parts: Vec<String> = counts
            .into_iter()
            .map(|(action, k)| format!("{k} {}", action.words()))
            .collect();
        format!(
            "none of the {} would change: {}",
            plural(n, "Mac"),
            listing(&parts)
        )
    };
    JamfError::InvalidArgument(message)
}

fn plural(n: usize, one: &str) -> String {
    match n {
        1 => format!("1 {one}"),
        n => format!("{n} {one}s"),
    }
}

/// "the 1 Mac is" / "all 3 Macs are".
fn all_are(n: usize) -> String {
    match n {
        1 => "the 1 Mac is".to_owned(),
        n => format!("all {n} Macs are"),
    }
}
