//! `latchkey sofa …`: Apple security-release status from the SOFA feed, on the command line.
//! SOFA data holds no secrets, so this runs locally rather than through the broker.

mod fleet;
pub(crate) mod render;

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use clap::{Args, Subcommand};
use latchkey_broker::StatePaths;
use latchkey_sofa::fetch::{
    DEFAULT_MAX_FEED_AGE, DEFAULT_REFRESH, FeedInfo, FeedSource, FeedStore, Refresh,
};
use latchkey_sofa::{FleetTally, UpdateSla, Version, VersionState, this_mac};
use serde::Serialize;

#[derive(Debug, Args)]
pub struct SofaArgs {
    /// Feed URL or file; `v1`/`v2` name SOFA's own macOS feeds [default: v2]
    #[arg(
        long,
        global = true,
        env = "LATCHKEY_SOFA_FEED",
        value_name = "URL|FILE"
    )]
    feed: Option<String>,
    /// Use the cached feed only; never go to the network
    #[arg(long, global = true, conflicts_with = "refresh")]
    offline: bool,
    /// Fetch the feed now, even if the cached copy is recent
    #[arg(long, global = true)]
    refresh: bool,
    /// Print JSON instead of text
    #[arg(long, global = true)]
    json: bool,
    /// Warn when SOFA last updated the feed more than this many days ago
    #[arg(long, global = true, value_name = "DAYS", default_value_t = DEFAULT_MAX_FEED_AGE.as_secs() / 86_400)]
    max_feed_age: u64,
    #[command(subcommand)]
    command: SofaCommand,
}

#[derive(Debug, Subcommand)]
enum SofaCommand {
    /// How current a macOS version is: releases missed, CVEs fixed since, which are exploited
    Status {
        /// e.g. 15.1 or "13.4.1 (a)"; on a Mac, defaults to this Mac's version
        version: Option<String>,
        /// Mac model identifier (e.g. Mac14,2), to tell when hardware caps the major
        #[arg(long)]
        model: Option<String>,
    },
    /// The CVEs fixed in releases newer than a version
    Cves {
        version: String,
        /// Only the actively exploited ones
        #[arg(long)]
        exploited: bool,
    },
    /// The newest release of every major in the feed
    Latest,
    /// Exposure of a fleet, from CSV (header: id,os_version[,model]) or a JSON array, with
    /// each device's update deadline
    Fleet {
        file: PathBuf,
        /// Print one CSV row per device (standing, counts, required_by, days_overdue)
        #[arg(long, conflicts_with = "json")]
        csv: bool,
    },
    /// Releases and CVE lists added or revised between two feeds (files or URLs)
    Diff { old: String, new: String },
}

pub async fn run(args: SofaArgs) -> anyhow::Result<ExitCode> {
    let source = args
        .feed
        .as_deref()
        .map(FeedSource::parse)
        .unwrap_or_default();
    let refresh = match (args.offline, args.refresh) {
        (true, _) => Refresh::Offline,
        (_, true) => Refresh::Now,
        _ => Refresh::IfOlderThan(DEFAULT_REFRESH),
    };
    let mut command = args.command;
    if let SofaCommand::Diff { old, new } = &command {
        return diff(old, new, args.json).await;
    }
    // Known before any fetch, so "not a Mac" is the answer even offline.
    if let SofaCommand::Status {
        version: version @ None,
        ..
    } = &mut command
    {
        *version = Some(this_mac::os_version().map_err(anyhow::Error::msg)?);
    }
    // A fleet file is opened (a CSV's header read) before the feed is fetched: a file no MDM
    // wrote is refused at once. Its rows are read once the feed is there to judge them.
    let fleet_input = match &command {
        SofaCommand::Fleet { file, .. } => Some(fleet::Input::open(file)?),
        _ => None,
    };
    let paths = StatePaths::from_env()?;
    let loaded = FeedStore::new(source, paths.cache_dir())?
        .load(refresh)
        .await?;
    let feed = &loaded.feed;
    let max_age = Duration::from_secs(args.max_feed_age.saturating_mul(86_400));
    let info = loaded.origin.info(Utc::now(), max_age);
    let out = Output {
        info: &info,
        json: args.json,
    };
    // The deadlines set in Settings when a broker runs, else the defaults (7 days for an
    // actively exploited fix, 30 otherwise, 90 for a major).
    let sla = crate::settings::running(&paths)
        .await
        .map_or(UpdateSla::DEFAULT, |s| s.deadlines.sla());
    match command {
        SofaCommand::Status { version, model } => {
            let version = version.expect("resolved above");
            let model = model.or_else(this_mac::model);
            let status = feed.status(&version, model.as_deref(), Utc::now(), &sla)?;
            out.emit(&status, || render::status(&status))?;
            // A version the feed does not list is no answer a script may take as "fine".
            Ok(match status.state() {
                VersionState::Unknown => ExitCode::FAILURE,
                _ => ExitCode::SUCCESS,
            })
        }
        SofaCommand::Cves { version, exploited } => {
            let parsed: Version = version.parse()?;
            let mut cves = feed.cves_fixed_after(&parsed)?;
            cves.retain(|c| c.actively_exploited || !exploited);
            out.emit(&cves, || render::cves(&parsed, &cves, exploited))
        }
        SofaCommand::Latest => {
            let latest = feed.latest_releases();
            out.emit(&latest, || render::latest(&latest))
        }
        SofaCommand::Fleet { file, csv } => {
            let input = fleet_input.expect("opened above");
            let fleet = fleet::Fleet::read(&file, input, FleetTally::new(feed, Utc::now(), &sla))?;
            if csv {
                let mut stdout = stdout();
                render::fleet_csv(&mut stdout, fleet.devices())?;
                stdout.flush()?;
                return Ok(out.warn());
            }
            if out.json {
                return out.emit_fleet(&fleet);
            }
            let summary = fleet.summary();
            out.emit(&summary, || render::fleet(&summary, fleet.devices()))
        }
        SofaCommand::Diff { .. } => unreachable!("handled above"),
    }
}

/// "n/a" for a count the feed cannot give (a version it does not list), never a false 0.
pub(crate) fn count_or_na(count: Option<usize>) -> String {
    count.map_or_else(|| "n/a".to_owned(), |n| n.to_string())
}

/// Standard output, buffered: answers are written as they are made, never held whole.
fn stdout() -> BufWriter<std::io::StdoutLock<'static>> {
    BufWriter::with_capacity(64 * 1024, std::io::stdout().lock())
}

/// How answers are printed: JSON wraps each with the feed it came from; text appends a feed
/// line. Either way a stale copy or an outdated feed is said on stderr.
struct Output<'a> {
    info: &'a FeedInfo,
    json: bool,
}

/// An answer as `--json` prints it: the feed it came from, then the answer.
#[derive(Serialize)]
struct WithFeed<'a, T> {
    feed: &'a FeedInfo,
    result: &'a T,
}

impl Output<'_> {
    fn emit<T: Serialize>(
        &self,
        answer: &T,
        text: impl FnOnce() -> String,
    ) -> anyhow::Result<ExitCode> {
        self.written(|stdout| {
            if self.json {
                let answer = WithFeed {
                    feed: self.info,
                    result: answer,
                };
                // As an io::Error, so a reader gone away is a broken pipe, ended quietly.
                serde_json::to_writer_pretty(&mut *stdout, &answer)
                    .map_err(std::io::Error::from)?;
                writeln!(stdout)
            } else {
                write!(stdout, "{}", text())?;
                writeln!(stdout, "{}", render::origin(self.info, Utc::now()))
            }
        })
    }

    /// `--json` of a fleet: the document [`Self::emit`] writes, its devices written from
    /// their standings (see [`fleet::write_json`]).
    fn emit_fleet(&self, fleet: &fleet::Fleet<'_>) -> anyhow::Result<ExitCode> {
        self.written(|stdout| {
            let document = WithFeed {
                feed: self.info,
                result: &fleet.summary().with_devices([(); 0]),
            };
            fleet::write_json(&mut *stdout, &document, fleet)?;
            writeln!(stdout)
        })
    }

    /// Writes an answer with `write` to standard output, flushes it, and says on stderr
    /// what [`Self::warn`] says.
    fn written(
        &self,
        write: impl FnOnce(&mut BufWriter<std::io::StdoutLock<'static>>) -> std::io::Result<()>,
    ) -> anyhow::Result<ExitCode> {
        let mut stdout = stdout();
        write(&mut stdout)?;
        stdout.flush()?;
        Ok(self.warn())
    }

    /// Says on stderr when the answer came from a stale copy or an outdated feed.
    fn warn(&self) -> ExitCode {
        if let Some(reason) = &self.info.origin.stale_reason {
            eprintln!("latchkey: using the cached feed: {reason}");
        }
        if let Some(outdated) = &self.info.outdated {
            eprintln!("latchkey: {outdated}");
        }
        ExitCode::SUCCESS
    }
}

async fn diff(old: &str, new: &str, json: bool) -> anyhow::Result<ExitCode> {
    // Fetched into a scratch cache, so comparing never replaces the feed the app uses.
    let scratch = tempfile::tempdir().context("create a scratch directory")?;
    let load = |text: &str, name: &str| {
        let store = FeedStore::new(FeedSource::parse(text), scratch.path().join(name));
        async move { anyhow::Ok(store?.load(Refresh::Now).await?) }
    };
    let (old, new) = (load(old, "old").await?, load(new, "new").await?);
    let changes = latchkey_sofa::diff(old.feed.feed(), new.feed.feed());
    if json {
        println!("{}", serde_json::to_string_pretty(&changes)?);
    } else {
        print!("{}", render::diff(&changes));
    }
    Ok(ExitCode::SUCCESS)
}
