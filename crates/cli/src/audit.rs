//! `latchkey audit …`: the audit log, read straight from its SQLite file (WAL lets this run
//! beside a live broker): verify the chain, show recent or matching entries, export.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};
use latchkey_audit::{
    AnchorCheck, AuditLog, CallResult, Decision, Entry, ExportFormat, Filter, Page,
};
use latchkey_broker::{StatePaths, anchored_options, platform_store};

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Walk the hash chain and report the first entry that was edited, deleted, reordered or
    /// inserted (exit status 1 when there is one)
    Verify {
        #[arg(long)]
        json: bool,
    },
    /// The newest entries, oldest first
    Tail {
        #[arg(short = 'n', long, default_value_t = 20)]
        count: u32,
        #[arg(long)]
        json: bool,
    },
    /// Entries matching every filter given, newest first
    Search {
        #[command(flatten)]
        filter: FilterArgs,
        #[arg(long, default_value_t = 100)]
        limit: u32,
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
enum DecisionArg {
    Allowed,
    Approved,
    Denied,
    RefusedLocked,
    RefusedUnknownClient,
}

#[derive(Debug, Args)]
struct FilterArgs {
    /// The assistant's name, as it introduced itself (e.g. claude-ai)
    #[arg(long)]
    client: Option<String>,
    #[arg(long)]
    tool: Option<String>,
    /// e.g. jamf:acme.jamfcloud.com
    #[arg(long)]
    domain: Option<String>,
    #[arg(long, value_enum)]
    decision: Option<DecisionArg>,
    /// RFC 3339 time, e.g. 2026-11-21T09:00:00Z
    #[arg(long)]
    since: Option<DateTime<Utc>>,
    #[arg(long)]
    until: Option<DateTime<Utc>>,
    /// Words matched (as prefixes) in names, tools, domains, arguments and errors
    #[arg(long)]
    text: Option<String>,
}

impl From<FilterArgs> for Filter {
    fn from(args: FilterArgs) -> Self {
        Filter {
            assistant: args.client,
            tool: args.tool,
            domain: args.domain,
            decision: args.decision.map(|d| match d {
                DecisionArg::Allowed => Decision::Allowed,
                DecisionArg::Approved => Decision::Approved,
                DecisionArg::Denied => Decision::Denied,
                DecisionArg::RefusedLocked => Decision::RefusedLocked,
                DecisionArg::RefusedUnknownClient => Decision::RefusedUnknownClient,
            }),
            since: args.since,
            until: args.until,
            text: args.text,
        }
    }
}

pub fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let path = StatePaths::from_env()?.audit_file();
    if !path.exists() {
        bail!(
            "no audit log at {} yet: it is created when a broker first runs",
            path.display()
        );
    }
    // The anchor (the chain head kept in the secret store) is reached through a runtime of its
    // own; the log itself is read synchronously.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    // The store's connection is torn down on a runtime task when the log is dropped.
    let _context = runtime.enter();
    let options = anchored_options(platform_store(), runtime.handle().clone(), &path);
    let log =
        AuditLog::open_with(&path, options).with_context(|| format!("open {}", path.display()))?;
    match args.command {
        AuditCommand::Verify { json } => {
            let verification = log.verify()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&verification)?);
            } else {
                match &verification.first_problem {
                    None => println!(
                        "the chain verifies: entries #{} through #{} ({})",
                        verification.first,
                        verification.verified_through,
                        anchor_words(&verification.anchor)
                    ),
                    Some(problem) => println!(
                        "the chain is broken at entry #{}: {problem} (verified through #{})",
                        problem.seq, verification.verified_through
                    ),
                }
            }
            return Ok(if verification.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
        AuditCommand::Tail { count, json } => print_entries(&log.tail(count)?, json)?,
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
            print_entries(&page.entries, json)?;
        }
        AuditCommand::Export { format, filter } => {
            let format = match format {
                Format::Jsonl => ExportFormat::Jsonl,
                Format::Csv => ExportFormat::Csv,
            };
            let stdout = std::io::stdout().lock();
            log.export(&filter.into(), format, std::io::BufWriter::new(stdout))?;
        }
    }
    Ok(ExitCode::SUCCESS)
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

fn print_entries(entries: &[Entry], json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for entry in entries {
        if json {
            writeln!(out, "{}", serde_json::to_string(entry)?)?;
        } else {
            writeln!(out, "{}", line(entry))?;
        }
    }
    Ok(())
}

/// `#12  2026-11-21 09:14:03Z  claude-ai  sofa_os_status  allowed  ok 3.1 ms`
fn line(entry: &Entry) -> String {
    let who = entry.assistant.as_ref().map_or("-", |a| a.name.as_str());
    let what = entry.tool.as_deref().unwrap_or("-");
    let decision = entry.decision.map_or("-", Decision::as_str);
    let result = match (&entry.result, entry.intent) {
        (Some(CallResult::Ok), Some(intent)) => format!("ok (#{intent})"),
        (Some(CallResult::Error(kind)), Some(intent)) => format!("error {kind} (#{intent})"),
        _ => String::new(),
    };
    let duration = entry
        .duration
        .map(|d| format!(" {:.1} ms", d.as_secs_f64() * 1000.0))
        .unwrap_or_default();
    let domain = entry.domain.as_deref().unwrap_or("");
    format!(
        "#{:<6} {}  {who}  {what}  {domain}  {decision}  {result}{duration}",
        entry.seq,
        entry.time.format("%Y-%m-%d %H:%M:%SZ")
    )
}
