//! Plain-text answers for people; `--json` gives the same data for scripts.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use latchkey_sofa::fetch::{FeedInfo, age_text};
use latchkey_sofa::{
    DeviceState, FeedDiff, FixedCve, FleetReport, LatestRelease, ReleaseSummary, SlaKind,
    UpdateDeadline, Version, VersionState, VersionStatus,
};

use super::count_or_na;
use super::fleet::Device;

fn date(d: Option<DateTime<Utc>>) -> String {
    d.map_or_else(
        || "date unknown".to_owned(),
        |d| d.format("%Y-%m-%d").to_string(),
    )
}

fn age(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let minutes = (now - since).num_minutes().max(0);
    match minutes {
        0..60 => format!("{minutes} min ago"),
        60..2880 => format!("{} h ago", minutes / 60),
        _ => format!("{} days ago", minutes / 1440),
    }
}

/// "feed: URL · SOFA updated 2026-09-10 19:13 UTC (20 days ago) · fetched 1 h ago".
pub fn origin(info: &FeedInfo, now: DateTime<Utc>) -> String {
    let origin = &info.origin;
    let stale = if origin.stale_reason.is_some() {
        " (cached copy: the source could not be refreshed)"
    } else {
        ""
    };
    let updated = match (origin.sofa_updated_at, info.sofa_age_hours) {
        (Some(at), Some(hours)) => format!(
            "SOFA updated {} ({} ago)",
            at.format("%Y-%m-%d %H:%M UTC"),
            age_text(hours)
        ),
        _ => "SOFA's update time unknown (this layout states none)".to_owned(),
    };
    format!(
        "feed: {} · {updated} · fetched {}{stale}",
        origin.source,
        age(origin.fetched_at, now)
    )
}

/// "  update required by 2024-06-12, overdue by 658 days (14.5 came out 2024-05-13; 30 days
/// for a release without actively exploited fixes)".
fn deadline_line(out: &mut String, d: &UpdateDeadline) {
    let why = match d.sla {
        SlaKind::ActivelyExploited => "for a release fixing actively exploited CVEs",
        SlaKind::Standard => "for a release without actively exploited fixes",
        SlaKind::MajorUpgrade => "to move to a major Apple still patches",
    };
    let _ = writeln!(
        out,
        "  update {} ({} came out {}; {} days {why})",
        d.describe(),
        d.release,
        d.release_date,
        d.sla_days
    );
}

fn release_line(out: &mut String, r: &ReleaseSummary) {
    let due = r
        .required_by
        .map_or_else(|| "due ?         ".to_owned(), |d| format!("due {d}"));
    let _ = writeln!(
        out,
        "    {:<14} {:<10} {}  {due}  {:>3} CVEs, {} exploited{}  {}",
        r.version.to_string(),
        r.build.as_deref().unwrap_or("-"),
        date(r.release_date),
        r.cve_count,
        r.actively_exploited_count,
        if r.security_notes_pending {
            " (notes pending)"
        } else {
            ""
        },
        r.security_info_url.as_deref().unwrap_or("")
    );
}

pub fn status(status: &VersionStatus) -> String {
    let mut out = String::new();
    let a = match status {
        VersionStatus::NotInFeed(n) => {
            let _ = writeln!(out, "{}", n.message);
            if let Some(d) = &n.deadline {
                deadline_line(&mut out, d);
            }
            return out;
        }
        VersionStatus::InFeed(a) => a,
    };
    let c = &a.counts;
    let build = a
        .latest
        .build
        .as_deref()
        .map(|b| format!(", build {b}"))
        .unwrap_or_default();
    let latest = format!(
        "latest {}{build}, {}",
        a.latest.version,
        date(a.latest.release_date)
    );
    match c.state {
        VersionState::Current => {
            let _ = writeln!(out, "{} {}: up to date ({latest})", a.os_label, a.version);
        }
        VersionState::EndOfLife | VersionState::Unknown => {
            let _ = writeln!(out, "{}", a.message);
            if let Some(d) = &a.deadline {
                deadline_line(&mut out, d);
            }
        }
        VersionState::Behind => {
            let plural = if c.releases_behind == 1 { "" } else { "s" };
            let _ = writeln!(
                out,
                "{} {}: {} update{plural} behind ({latest})",
                a.os_label, a.version, c.releases_behind
            );
            // Feeds carry out-of-order dates: the earliest date, not the oldest version.
            let earliest = (a.missed.iter())
                .filter(|r| r.release_date.is_some())
                .min_by_key(|r| (r.release_date, r.version));
            if let (Some(first), Some(days)) = (earliest, a.days_since_first_missed) {
                let _ = writeln!(
                    out,
                    "  earliest missed release {} came out {} ({days} days ago)",
                    first.version,
                    date(first.release_date)
                );
            }
            if let Some(d) = &a.deadline {
                deadline_line(&mut out, d);
            }
            let _ = write!(
                out,
                "  {} CVEs fixed since, {} actively exploited",
                c.cves_fixed_later, c.actively_exploited_fixed_later
            );
            if let Some(kev) = c.kev_fixed_later {
                let _ = write!(out, ", {kev} in CISA KEV");
            }
            if let Some(s) = &c.severity_fixed_later {
                let _ = write!(
                    out,
                    " (critical {}, high {}, medium {}, low {}, no severity stated {})",
                    s.critical, s.high, s.medium, s.low, s.unrated
                );
            }
            out.push('\n');
            if !a.actively_exploited_cve_ids.is_empty() {
                let _ = writeln!(
                    out,
                    "  exploited: {}",
                    a.actively_exploited_cve_ids.join(", ")
                );
            }
            let _ = writeln!(out, "  missed releases:");
            for r in &a.missed {
                release_line(&mut out, r);
            }
        }
    }
    if let Some(hw) = &a.hardware
        && hw.limited_by_hardware == Some(true)
    {
        let _ = writeln!(
            out,
            "  {} cannot run a newer major than {}: the hardware is the limit",
            hw.model,
            hw.hardware_max_major
                .map_or_else(|| "?".to_owned(), |m| m.to_string())
        );
    }
    out
}

pub fn cves(version: &Version, cves: &[FixedCve], exploited_only: bool) -> String {
    let mut out = String::new();
    let what = if exploited_only {
        "actively exploited CVEs"
    } else {
        "CVEs"
    };
    let _ = writeln!(out, "{} {what} fixed after {version}:", cves.len());
    for c in cves {
        let mut flags = Vec::new();
        if c.actively_exploited {
            flags.push("EXPLOITED".to_owned());
        }
        if c.in_kev == Some(true) {
            flags.push("KEV".to_owned());
        }
        if let Some(s) = &c.severity {
            flags.push(s.clone());
        }
        let _ = writeln!(
            out,
            "  {:<16} fixed in {:<12} {:<24} {}",
            c.id,
            c.fixed_in.to_string(),
            flags.join(" "),
            c.nist_url
        );
    }
    out
}

pub fn latest(latest: &[LatestRelease]) -> String {
    let mut out = String::new();
    for r in latest {
        let _ = writeln!(
            out,
            "{:<16} {:<10} {:<10} {}",
            r.label,
            r.product_version,
            r.build.as_deref().unwrap_or("-"),
            date(r.release_date)
        );
    }
    out
}

pub fn fleet<'a>(
    report: &FleetReport<()>,
    devices: impl Iterator<Item = Device<'a>> + Clone,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} devices: {} current, {} behind, {} end of life, {} unknown version, {} unreadable; {} missing exploited fixes; {} overdue; {} limited by hardware",
        report.total,
        report.current,
        report.behind,
        report.end_of_life,
        report.unknown_version,
        report.unreadable,
        report.missing_exploited_fixes,
        report.overdue,
        report.limited_by_hardware
    );
    let _ = writeln!(out, "versions:");
    for v in &report.distribution {
        let _ = writeln!(
            out,
            "  {:<14} {:<16} {}",
            v.os_version,
            v.state.as_str(),
            v.devices
        );
    }
    // Devices come most exposed first (`Fleet::devices`); then those Apple no longer patches,
    // whatever their counts.
    let worst = (devices.clone()).filter(|d| d.standing.missing_cves > Some(0));
    let end_of_life = devices.filter(|d| d.standing.state == DeviceState::EndOfLife);
    for (title, devices) in [
        ("most exposed:", worst.take(20).collect::<Vec<_>>()),
        ("end of life:", end_of_life.take(20).collect()),
    ] {
        if devices.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{title}");
        for d in devices {
            let s = d.standing;
            let _ = writeln!(
                out,
                "  {:<24} {:<12} {:<16} {} behind, {} CVEs, {} exploited{}",
                d.id,
                d.os_version,
                s.state.as_str(),
                count_or_na(s.releases_behind),
                count_or_na(s.missing_cves),
                count_or_na(s.missing_exploited_cves),
                s.deadline
                    .as_ref()
                    .map_or_else(String::new, |d| format!("; {}", d.describe()))
            );
        }
    }
    out
}

/// One CSV row per device, most exposed first, written as they come; "n/a" counts and missing
/// deadlines are empty. A failed write is the writer's own error (a reader gone away is a
/// broken pipe, which `latchkey` ends quietly on).
pub fn fleet_csv<'a>(
    out: impl std::io::Write,
    devices: impl Iterator<Item = Device<'a>>,
) -> std::io::Result<()> {
    write_fleet_csv(out, devices).map_err(|e| match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    })
}

fn write_fleet_csv<'a>(
    out: impl std::io::Write,
    devices: impl Iterator<Item = Device<'a>>,
) -> csv::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record([
        "id",
        "os_version",
        "state",
        "releases_behind",
        "missing_cves",
        "missing_exploited_cves",
        "required_by",
        "days_overdue",
        "limited_by_hardware",
    ])?;
    let text = |n: Option<usize>| n.map(|n| n.to_string()).unwrap_or_default();
    // Every device with one standing has the same cells after its id and version: made once.
    let mut cells: Vec<Option<[String; 7]>> = Vec::new();
    for d in devices {
        if cells.len() <= d.number {
            cells.resize(d.number + 1, None);
        }
        let standing = cells[d.number].get_or_insert_with(|| {
            let s = d.standing;
            let deadline = s.deadline.as_ref();
            [
                s.state.as_str().to_owned(),
                text(s.releases_behind),
                text(s.missing_cves),
                text(s.missing_exploited_cves),
                deadline
                    .map(|d| d.required_by.to_string())
                    .unwrap_or_default(),
                deadline
                    .map(|d| d.days_overdue.to_string())
                    .unwrap_or_default(),
                s.limited_by_hardware.to_string(),
            ]
        });
        csv.write_field(d.id)?;
        csv.write_field(d.os_version)?;
        for cell in standing.iter() {
            csv.write_field(cell)?;
        }
        csv.write_record(None::<&[u8]>)?;
    }
    csv.flush()?;
    Ok(())
}

pub fn diff(changes: &FeedDiff) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} releases added, {} removed, {} with revised CVE lists",
        changes.added.len(),
        changes.removed.len(),
        changes.revised.len()
    );
    for (what, releases) in [("added", &changes.added), ("removed", &changes.removed)] {
        for r in releases.iter() {
            let _ = writeln!(
                out,
                "  {what:<8} {:<14} {:<10} {}  {} CVEs",
                r.version.to_string(),
                r.build.as_deref().unwrap_or("-"),
                date(r.release_date),
                r.cve_count
            );
        }
    }
    for r in &changes.revised {
        let added = r.cves_added.iter().map(|c| format!("+{c}"));
        let removed = r.cves_removed.iter().map(|c| format!("-{c}"));
        let _ = writeln!(
            out,
            "  revised  {:<14} {}",
            r.version.to_string(),
            added.chain(removed).collect::<Vec<_>>().join(" ")
        );
    }
    out
}
