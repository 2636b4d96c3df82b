//! `latchkey audit …`: the audit log, read straight from its SQLite file (WAL lets this run
//! beside a live broker): verify the chain, show recent or matching entries, export.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{DateTime, Local, NaiveDate, TimeZone, Utc};
use clap::{Args, Subcommand, ValueEnum};
use latchkey_audit::{
    AnchorCheck, AuditLog, CallResult, Decision, Entry, EntryKind, ExportFormat, Filter,
    KindFilter, Page, Tamper, Verification,
};
use latchkey_broker::control::{ControlClient, ControlRequest};
use latchkey_broker::{StatePaths, anchored_options, platform_store};

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Walk the hash chain and report the first entry that was edited, deleted, reordered or
    /// inserted, an unacknowledged break, or a log with no anchored head (exit status 1 then)
    Verify {
        #[arg(long)]
        json: bool,
    },
    /// Acknowledge a break in the chain that `verify` reports (asks for presence): the
    /// damaged entries stay as evidence, and the chain is trusted again from the break on
    Acknowledge,
    /// The newest entries, oldest first
    Tail {
        #[arg(short = 'n', long, default_value_t = 20)]
        count: u32,
        #[arg(long)]
        json: bool,
    },
    /// Entries matching every filter given, newest first ("no entries match" on stderr, or
    /// `[]` with --json, when none do)
    Search {
        #[command(flatten)]
        filter: FilterArgs,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// A JSON array of the entries
        #[arg(long)]
        json: bool,
    },
    /// Every entry matching the filters, to stdout
    Export {
        #[arg(long, value_enum)]
        format: Format,
        #[command(flatten)]
        filter: FilterArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Jsonl,
    Csv,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum KindArg {
    /// What was done to Latchkey itself: unlocks, credentials, policy, approvals, grants
    Admin,
    /// The assistants' calls (intents and outcomes)
    Tool,
}

#[derive(Debug, Args)]
struct FilterArgs {
    /// The assistant, as the Assistants list names it (e.g. "python3 running tool.py") or as
    /// it introduced itself (e.g. claude-ai)
    #[arg(long, alias = "client")]
    assistant: Option<String>,
    /// A tool, or an admin entry's action (e.g. unlock)
    #[arg(long)]
    tool: Option<String>,
    /// e.g. jamf:acme.jamfcloud.com
    #[arg(long)]
    domain: Option<String>,
    /// As the output prints it: allowed, approved, denied, refused_locked,
    /// refused_unknown_client, timed_out
    #[arg(long, value_parser = parse_decision)]
    decision: Option<Decision>,
    /// Only admin entries, or only the assistants' calls
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
    /// From: a date (2026-12-07, local midnight), an RFC 3339 time (2026-12-07T09:00:00Z),
    /// a time ago (30m, 1h, 7d) or today / yesterday
    #[arg(long, value_parser = parse_when)]
    since: Option<DateTime<Utc>>,
    /// Until, inclusive: the same forms as --since
    #[arg(long, value_parser = parse_when)]
    until: Option<DateTime<Utc>>,
    /// Words matched (as prefixes) in names, tools, domains, arguments and errors
    #[arg(long)]
    text: Option<String>,
}

impl From<FilterArgs> for Filter {
    fn from(args: FilterArgs) -> Self {
        Filter {
            assistant: args.assistant,
            tool: args.tool,
            domain: args.domain,
            decision: args.decision,
            kind: args.kind.map(|k| match k {
                KindArg::Admin => KindFilter::Admin,
                KindArg::Tool => KindFilter::Tool,
            }),
            since: args.since,
            until: args.until,
            text: args.text,
        }
    }
}

/// `--decision`: the name as printed (`refused_locked`); `-` for `_` and any case accepted.
fn parse_decision(value: &str) -> Result<Decision, String> {
    value
        .parse()
        .map_err(|e: latchkey_audit::BadDecision| e.to_string())
}

/// The forms `--since` and `--until` accept, for the error message.
const WHEN_FORMS: &str = "use a date (2026-12-07, local midnight), an RFC 3339 time \
     (2026-12-07T09:00:00Z or 2026-12-07T09:00:00+01:00), a time ago (30m, 1h, 7d) \
     or today / yesterday";

fn parse_when(value: &str) -> Result<DateTime<Utc>, String> {
    when(value, Local::now())
}

/// A point in time as a person types it, relative to `now` (local time).
fn when<Tz: TimeZone>(value: &str, now: DateTime<Tz>) -> Result<DateTime<Utc>, String> {
    let text = value.trim();
    let bad = || format!("{value:?} is not a time: {WHEN_FORMS}");
    let midnight = |date: NaiveDate| {
        // A day that starts in a daylight-saving gap starts at the gap's end.
        (0..=2)
            .find_map(|hour| {
                now.timezone()
                    .from_local_datetime(&date.and_hms_opt(hour, 0, 0)?)
                    .earliest()
            })
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(bad)
    };
    let today = now.date_naive();
    match text.to_ascii_lowercase().as_str() {
        "today" => return midnight(today),
        "yesterday" => return midnight(today.pred_opt().ok_or_else(bad)?),
        "now" => return Ok(now.with_timezone(&Utc)),
        _ => {}
    }
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return midnight(date);
    }
    // A time ago: digits and a unit (humantime's: 30m, 1h, 7d, 2w, 1h30m), never negative.
    if text.starts_with(|c: char| c.is_ascii_digit())
        && let Ok(ago) = humantime::parse_duration(text)
        && let Ok(ago) = chrono::TimeDelta::from_std(ago)
        && let Some(time) = now.clone().checked_sub_signed(ago)
    {
        return Ok(time.with_timezone(&Utc));
    }
    Err(bad())
}

pub fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    if let AuditCommand::Acknowledge = args.command {
        return crate::runtime()?.block_on(acknowledge());
    }
    with_log(|log| match args.command {
        AuditCommand::Acknowledge => unreachable!("handled by the broker, above"),
        AuditCommand::Verify { json } => {
            let verification = log.verify()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&verification)?);
            } else {
                println!("{}", verification_words(&verification));
            }
            Ok(if verification.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        AuditCommand::Tail { count, json } => {
            print_entries(&log.tail(count)?, json)?;
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Search {
            filter,
            limit,
            json,
        } => {
            let page = log.search(
                &filter.into(),
                Page {
                    before: None,
                    limit: limit.clamp(1, 10_000),
                },
            )?;
            print_found(log, &page.entries, json)?;
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Export { format, filter } => {
            let format = match format {
                Format::Jsonl => ExportFormat::Jsonl,
                Format::Csv => ExportFormat::Csv,
            };
            let stdout = std::io::stdout().lock();
            log.export(&filter.into(), format, std::io::BufWriter::new(stdout))?;
            Ok(ExitCode::SUCCESS)
        }
    })
}

/// The chain verified, for `latchkey doctor`. Blocking (it runs a runtime of its own): call
/// it outside async code, e.g. through `spawn_blocking`.
pub fn verify() -> anyhow::Result<Verification> {
    with_log(|log| Ok(log.verify()?))
}

/// Runs `work` on the log at its usual place, opened with the anchor (the chain head kept in
/// the secret store) reachable, beside a live broker (WAL).
fn with_log<T>(work: impl FnOnce(&AuditLog) -> anyhow::Result<T>) -> anyhow::Result<T> {
    let path = StatePaths::from_env()?.audit_file();
    if !path.exists() {
        bail!(
            "no audit log at {} yet: it is created when a broker first runs",
            path.display()
        );
    }
    // The anchor is reached through a runtime of its own; the log itself is read
    // synchronously.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    // The store's connection is torn down on a runtime task when the log is dropped.
    let _context = runtime.enter();
    let options = anchored_options(platform_store(), runtime.handle().clone(), &path);
    let log =
        AuditLog::open_with(&path, options).with_context(|| format!("open {}", path.display()))?;
    work(&log)
}

/// What `audit verify` says of `verification`, in one line.
pub fn verification_words(verification: &Verification) -> String {
    let acknowledged = verification
        .last_break
        .as_ref()
        .and_then(|b| Some((b.at, b.acknowledged?)))
        .map(|(at, by)| format!("; the break recorded at #{at} was acknowledged at #{by}"))
        .unwrap_or_default();
    match &verification.first_problem {
        None => format!(
            "the chain verifies: entries #{} through #{} ({}{acknowledged})",
            verification.first,
            verification.verified_through,
            anchor_words(&verification.anchor)
        ),
        Some(problem) if matches!(problem.what, Tamper::Unanchored { .. }) => format!(
            "the chain cannot be checked: {problem} (entries #{} through #{} hash and link correctly)",
            verification.first, verification.verified_through
        ),
        Some(problem) => format!(
            "the chain is broken at entry #{}: {problem} (verified through #{})",
            problem.seq, verification.verified_through
        ),
    }
}

fn anchor_words(anchor: &AnchorCheck) -> String {
    match anchor {
        AnchorCheck::Confirmed { head } => format!("anchored head #{} confirmed", head.seq),
        AnchorCheck::NothingSaved => "no head anchored yet".to_owned(),
        AnchorCheck::Unavailable { error } => format!("the anchor could not be read: {error}"),
        AnchorCheck::NotConfigured => "no anchor".to_owned(),
        other => format!("anchor: {other:?}"),
    }
}

/// Tail's output: one line (or JSON object) per entry, oldest first.
fn print_entries(entries: &[Entry], json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for entry in entries {
        if json {
            writeln!(out, "{}", serde_json::to_string(entry)?)?;
        } else {
            writeln!(out, "{}", line(entry, None))?;
        }
    }
    Ok(())
}

/// Search's output: a JSON array (`[]` when nothing matched), or one line per entry with each
/// call's result on its intent's line too, or "no entries match" on stderr.
fn print_found(log: &AuditLog, entries: &[Entry], json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        // One entry per line inside the array: valid JSON, and still greppable.
        writeln!(out, "[")?;
        for (i, entry) in entries.iter().enumerate() {
            let comma = if i + 1 < entries.len() { "," } else { "" };
            writeln!(out, "{}{comma}", serde_json::to_string(entry)?)?;
        }
        writeln!(out, "]")?;
        return Ok(());
    }
    if entries.is_empty() {
        eprintln!("no entries match");
        return Ok(());
    }
    let intents: Vec<_> = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Intent)
        .map(|e| e.seq)
        .collect();
    let outcomes = log.outcomes_of(&intents)?;
    for entry in entries {
        let outcome = outcomes.iter().find(|o| o.intent == Some(entry.seq));
        writeln!(out, "{}", line(entry, outcome))?;
    }
    Ok(())
}

/// `#12     2026-11-21 09:14:03Z  claude-ai  jamf_get_computer  jamf:acme…  allowed  error http_403 (#13) 3.1 ms`
///
/// An intent shows how its call ended when `outcome` is given; an outcome names its intent;
/// an admin entry shows its action where a call shows its tool, and its details.
fn line(entry: &Entry, outcome: Option<&Entry>) -> String {
    let who = entry.assistant.as_ref().map_or("-", |a| a.name.as_str());
    let what = match entry.kind {
        EntryKind::Checkpoint => match entry.pruned_through {
            Some(through) => format!("checkpoint: pruned through #{through}"),
            None => "checkpoint".to_owned(),
        },
        _ => entry.tool.clone().unwrap_or_else(|| "-".to_owned()),
    };
    let decision = entry.decision.map_or("-", Decision::as_str);
    let ended = |e: &Entry| match &e.result {
        Some(CallResult::Ok) => "ok".to_owned(),
        Some(CallResult::Error(kind)) => format!("error {kind}"),
        None => String::new(),
    };
    let duration = |e: &Entry| {
        e.duration
            .map(|d| format!(" {:.1} ms", d.as_secs_f64() * 1000.0))
            .unwrap_or_default()
    };
    let result = match (entry.kind, entry.intent, outcome) {
        (EntryKind::Outcome, Some(intent), _) => {
            format!("{} (#{intent}){}", ended(entry), duration(entry))
        }
        (EntryKind::Intent, _, Some(outcome)) => {
            format!("{} (#{}){}", ended(outcome), outcome.seq, duration(outcome))
        }
        (EntryKind::Admin, _, _) => entry
            .arguments
            .as_ref()
            .filter(|d| !d.is_null() && d.as_object().is_none_or(|o| !o.is_empty()))
            .map(|d| d.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    };
    let approval = entry
        .approval
        .as_deref()
        .map(|a| format!("  [{a}]"))
        .unwrap_or_default();
    let domain = entry.domain.as_deref().unwrap_or("-");
    format!(
        "#{:<6} {}  {who}  {what}  {domain}  {decision}  {result}{approval}",
        entry.seq,
        entry.time.format("%Y-%m-%d %H:%M:%SZ")
    )
    .trim_end()
    .to_owned()
}

/// Through the broker, which holds the presence check and writes the acknowledgement.
async fn acknowledge() -> anyhow::Result<ExitCode> {
    let socket = StatePaths::from_env()?.control_socket();
    let mut broker = ControlClient::connect(&socket).await?;
    let request = ControlRequest::AcknowledgeAuditBreak;
    let acknowledged: bool = crate::password_agent::call(&mut broker, &request).await?;
    if acknowledged {
        println!(
            "acknowledged: the damaged entries stay as evidence; `latchkey audit verify` checks the chain from the break on"
        );
    } else {
        println!("there is no break in the audit chain to acknowledge");
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(text: &str) -> DateTime<chrono::FixedOffset> {
        DateTime::parse_from_rfc3339(text).unwrap()
    }

    #[test]
    fn times_are_read_as_dates_rfc3339_or_times_ago() {
        let now = local("2026-12-07T15:30:00+01:00");
        let utc = |t: &str| DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc);
        assert_eq!(when("2026-12-07", now), Ok(utc("2026-12-06T23:00:00Z")));
        assert_eq!(when("today", now), Ok(utc("2026-12-06T23:00:00Z")));
        assert_eq!(when("Yesterday", now), Ok(utc("2026-12-05T23:00:00Z")));
        assert_eq!(
            when("2026-12-07T09:00:00Z", now),
            Ok(utc("2026-12-07T09:00:00Z"))
        );
        assert_eq!(
            when("2026-12-07T09:00:00+02:00", now),
            Ok(utc("2026-12-07T07:00:00Z"))
        );
        assert_eq!(when("30m", now), Ok(utc("2026-12-07T14:00:00Z")));
        assert_eq!(when("1h", now), Ok(utc("2026-12-07T13:30:00Z")));
        assert_eq!(when("7d", now), Ok(utc("2026-11-30T14:30:00Z")));
        assert_eq!(when(" 1h30m ", now), Ok(utc("2026-12-07T13:00:00Z")));
    }

    #[test]
    fn a_bad_time_names_the_accepted_forms() {
        let now = local("2026-12-07T15:30:00+01:00");
        for bad in ["last week", "-1h", "2026-13-01", "1x", "", "12/07/2026"] {
            let error = when(bad, now).unwrap_err();
            assert!(error.contains("is not a time"), "{bad}: {error}");
            assert!(
                error.contains("2026-12-07") && error.contains("30m"),
                "{error}"
            );
            assert!(error.contains("yesterday"), "{error}");
        }
    }

    #[test]
    fn decisions_are_read_as_printed() {
        for decision in Decision::ALL {
            assert_eq!(parse_decision(decision.as_str()), Ok(decision));
        }
        assert_eq!(
            parse_decision("refused-locked"),
            Ok(Decision::RefusedLocked)
        );
        let error = parse_decision("refused").unwrap_err();
        assert!(
            error.contains("refused_unknown_client, timed_out"),
            "{error}"
        );
    }
}
