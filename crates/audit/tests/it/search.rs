//! Reading back: filters (each alone and combined), word search, time ranges, paging with a
//! cursor, totals, and streaming exports in both formats.

use crate::common;

use chrono::{Duration as Age, Utc};
use common::*;
use latchkey_audit::{
    AuditLog, Decision, Entry, ExportFormat, Filter, Intent, Options, Page, Seq, Total,
};
use serde_json::json;

/// 60 calls across two assistants, three tools, two domains and three decisions, one hour
/// apart ending now; refused calls have no outcome.
fn varied_log() -> (tempfile::TempDir, AuditLog) {
    let (dir, log) = new_log(Options::default());
    let start = Utc::now() - Age::hours(60);
    log.bulk(|a| {
        for n in 0..60u64 {
            let mut assistant = claude();
            if n % 2 == 1 {
                assistant.name = "cursor".to_owned();
            }
            let call = Intent {
                assistant,
                tool: ["jamf_get_computer", "vsphere_list_vms", "sofa_status"][n as usize % 3]
                    .to_owned(),
                arguments: json!({"serial": format!("C02XL{n:04}"), "os": "15.1"}),
                domain: Some(
                    ["jamf:acme.jamfcloud.com", "vcenter:vc01.example.com"][n as usize % 4 / 2]
                        .to_owned(),
                ),
                decision: [Decision::Allowed, Decision::Approved, Decision::Denied]
                    [n as usize % 5 % 3],
                approval: None,
            };
            let time = start + Age::hours(n as i64);
            let seq = a.intent(time, &call)?;
            if call.decision != Decision::Denied {
                a.outcome(time, seq, &ok())?;
            }
        }
        Ok(())
    })
    .unwrap();
    (dir, log)
}

fn all(log: &AuditLog, filter: &Filter) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut page = Page {
        before: None,
        limit: 7,
    };
    loop {
        let found = log.search(filter, page).unwrap();
        out.extend(found.entries);
        match found.next {
            Some(next) => page.before = Some(next),
            None => return out,
        }
    }
}

/// What a filter must return, computed by brute force over every entry.
fn expected(log: &AuditLog, keep: impl Fn(&Entry) -> bool) -> Vec<Seq> {
    let mut everything = log.tail(u32::MAX).unwrap();
    everything.reverse();
    everything
        .into_iter()
        .filter(|e| keep(e))
        .map(|e| e.seq)
        .collect()
}

fn seqs(entries: &[Entry]) -> Vec<Seq> {
    entries.iter().map(|e| e.seq).collect()
}

#[test]
fn each_filter_returns_exactly_its_entries_newest_first() {
    let (_dir, log) = varied_log();
    let cursor = Filter {
        assistant: Some("cursor".to_owned()),
        ..Filter::default()
    };
    let want = expected(&log, |e| {
        e.assistant.as_ref().is_some_and(|a| a.name == "cursor")
    });
    assert_eq!(seqs(&all(&log, &cursor)), want);

    let vms = Filter {
        tool: Some("vsphere_list_vms".to_owned()),
        ..Filter::default()
    };
    assert_eq!(
        seqs(&all(&log, &vms)),
        expected(&log, |e| e.tool.as_deref() == Some("vsphere_list_vms"))
    );

    let vcenter = Filter {
        domain: Some("vcenter:vc01.example.com".to_owned()),
        ..Filter::default()
    };
    assert_eq!(
        seqs(&all(&log, &vcenter)),
        expected(&log, |e| e.domain.as_deref()
            == Some("vcenter:vc01.example.com"))
    );

    let denied = Filter {
        decision: Some(Decision::Denied),
        ..Filter::default()
    };
    let want = expected(&log, |e| e.decision == Some(Decision::Denied));
    assert!(!want.is_empty());
    assert_eq!(seqs(&all(&log, &denied)), want);
}

#[test]
fn combined_filters_must_all_match() {
    let (_dir, log) = varied_log();
    let filter = Filter {
        assistant: Some("claude-ai".to_owned()),
        tool: Some("jamf_get_computer".to_owned()),
        decision: Some(Decision::Allowed),
        ..Filter::default()
    };
    let want = expected(&log, |e| {
        e.assistant.as_ref().is_some_and(|a| a.name == "claude-ai")
            && e.tool.as_deref() == Some("jamf_get_computer")
            && e.decision == Some(Decision::Allowed)
    });
    assert!(!want.is_empty());
    assert_eq!(seqs(&all(&log, &filter)), want);
}

#[test]
fn words_match_whole_words_and_prefixes_in_any_case() {
    let (_dir, log) = varied_log();
    let find = |text: &str| {
        let filter = Filter {
            text: Some(text.to_owned()),
            ..Filter::default()
        };
        seqs(&all(&log, &filter))
    };
    // A serial appears in one intent's arguments.
    let one = find("C02XL0042");
    assert_eq!(one.len(), 1);
    assert_eq!(find("c02xl0042"), one);
    // A prefix, a host name's part, a tool name's part.
    assert_eq!(find("C02XL004").len(), 10);
    assert_eq!(
        find("vc01"),
        expected(&log, |e| e.domain.as_deref()
            == Some("vcenter:vc01.example.com"))
    );
    assert_eq!(
        find("sofa"),
        expected(&log, |e| e.tool.as_deref() == Some("sofa_status"))
    );
    // All words must match; punctuation and FTS syntax are just separators.
    assert_eq!(find("C02XL0042 vc01"), one, "call 42 went to vCenter");
    assert_eq!(
        find("C02XL0040 vc01"),
        Vec::<Seq>::new(),
        "call 40 went to Jamf"
    );
    assert_eq!(find("\"C02XL0042\" OR (*"), Vec::<Seq>::new());
    assert_eq!(find("nothing-like-this"), Vec::<Seq>::new());
}

#[test]
fn words_combine_with_filters() {
    let (_dir, log) = varied_log();
    let filter = Filter {
        text: Some("acme".to_owned()),
        assistant: Some("cursor".to_owned()),
        ..Filter::default()
    };
    let want = expected(&log, |e| {
        e.domain.as_deref() == Some("jamf:acme.jamfcloud.com")
            && e.assistant.as_ref().is_some_and(|a| a.name == "cursor")
    });
    assert!(!want.is_empty());
    assert_eq!(seqs(&all(&log, &filter)), want);
}

#[test]
fn time_ranges_are_inclusive_and_exact() {
    let (_dir, log) = varied_log();
    let everything = log.tail(u32::MAX).unwrap();
    let since = everything[30].time;
    let until = everything[70].time;
    let filter = Filter {
        since: Some(since),
        until: Some(until),
        ..Filter::default()
    };
    let want = expected(&log, |e| e.time >= since && e.time <= until);
    assert_eq!(seqs(&all(&log, &filter)), want);

    let future = Filter {
        since: Some(Utc::now() + Age::days(1)),
        ..Filter::default()
    };
    assert!(all(&log, &future).is_empty());
    let past = Filter {
        until: Some(Utc::now() - Age::days(30)),
        ..Filter::default()
    };
    assert!(all(&log, &past).is_empty());
}

#[test]
fn pages_follow_the_cursor_and_say_the_total() {
    let (_dir, log) = varied_log();
    let first = log
        .search(
            &Filter::default(),
            Page {
                before: None,
                limit: 10,
            },
        )
        .unwrap();
    let head = log.tail(1).unwrap()[0].seq;
    assert_eq!(first.entries[0].seq, head);
    assert_eq!(first.entries.len(), 10);
    let Total::Exact(total) = first.total else {
        panic!("{:?}", first.total)
    };
    assert_eq!(total, head.0);
    let second = log
        .search(
            &Filter::default(),
            Page {
                before: first.next,
                limit: 10,
            },
        )
        .unwrap();
    assert_eq!(second.entries[0].seq, Seq(first.entries[9].seq.0 - 1));
    assert_eq!(second.total, first.total, "the total counts all pages");
}

#[test]
fn large_totals_are_capped() {
    let (_dir, log) = new_log(Options::default());
    log.bulk(|a| {
        for n in 0..10_050 {
            a.intent(Utc::now(), &intent(n))?;
        }
        Ok(())
    })
    .unwrap();
    let page = log.search(&Filter::default(), Page::default()).unwrap();
    assert_eq!(page.total, Total::AtLeast(10_000));
    assert_eq!(page.entries.len(), 100);
}

#[test]
fn jsonl_export_streams_every_matching_entry_oldest_first() {
    let (_dir, log) = varied_log();
    let filter = Filter {
        tool: Some("sofa_status".to_owned()),
        ..Filter::default()
    };
    let mut out = Vec::new();
    let count = log.export(&filter, ExportFormat::Jsonl, &mut out).unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as u64, count);
    let mut want = expected(&log, |e| e.tool.as_deref() == Some("sofa_status"));
    want.reverse();
    let got: Vec<Seq> = lines
        .iter()
        .map(|l| Seq(l["seq"].as_u64().unwrap()))
        .collect();
    assert_eq!(got, want);
    let first = &lines[0];
    assert_eq!(first["kind"], "intent");
    assert_eq!(first["assistant"]["name"], "claude-ai");
    assert_eq!(first["hash"].as_str().unwrap().len(), 64);
}

#[test]
fn csv_export_has_a_header_and_inert_cells() {
    let (_dir, log) = new_log(Options::default());
    let mut call = intent(1);
    call.assistant.name = "=HYPERLINK(\"http://evil\")".to_owned();
    let seq = log.record_intent(&call).unwrap();
    log.record_outcome(seq, &ok()).unwrap();
    let mut out = Vec::new();
    assert_eq!(
        log.export(&Filter::default(), ExportFormat::Csv, &mut out)
            .unwrap(),
        2
    );
    let mut reader = csv::Reader::from_reader(&out[..]);
    let header = reader.headers().unwrap().clone();
    assert_eq!(&header[0], "seq");
    assert_eq!(&header[19], "hash");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][2], "intent");
    assert_eq!(&rows[0][3], "'=HYPERLINK(\"http://evil\")");
    assert_eq!(&rows[1][12], "ok");
    assert_eq!(&rows[1][15], "1");
    let args: serde_json::Value = serde_json::from_str(&rows[0][9]).unwrap();
    assert_eq!(args["serial"], "C02XL0GH0001");
}

/// The word index follows the chain rather than each write: what a process wrote but never
/// indexed (it was killed first) is found, by words and by filters, once a later one searches.
#[test]
fn entries_written_but_not_yet_indexed_are_found_by_the_next_search() {
    let flushed = Options {
        durability: latchkey_audit::Durability::Full,
        ..Options::default()
    };
    let (dir, log) = new_log(flushed);
    let path = log.path().to_path_buf();
    let mut call = intent(1);
    call.arguments = json!({"serial": "C02ZZ9999"});
    let seq = log.record_intent(&call).unwrap();
    log.record_outcome(seq, &ok()).unwrap();
    // Killed before the index caught up: it holds nothing of the two entries.
    std::mem::forget(log);
    let indexed = |conn: &rusqlite::Connection| -> (i64, i64) {
        conn.query_row(
            "SELECT (SELECT through FROM entries_indexed),
                    (SELECT count(*) FROM entries_text WHERE entries_text MATCH '\"C02ZZ\"*')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    assert_eq!(indexed(&attacker(&path)), (0, 0));

    let log = AuditLog::open(&path).unwrap();
    let words = Filter {
        text: Some("c02zz".to_owned()),
        ..Filter::default()
    };
    assert_eq!(seqs(&all(&log, &words)), [Seq(1)]);
    let tool = Filter {
        tool: Some("jamf_get_computer".to_owned()),
        decision: Some(Decision::Allowed),
        ..Filter::default()
    };
    assert_eq!(seqs(&all(&log, &tool)), [Seq(2), Seq(1)]);
    assert_eq!(indexed(&attacker(&path)), (2, 1));
    drop(dir);
}

/// A tail cut off the log (entries deleted by someone with the file) must not leave the index
/// believing it covers what is appended next in their place: the entries that take the cut
/// ones' numbers are found, the cut ones are not.
#[test]
fn entries_appended_after_a_cut_tail_are_found() {
    let (dir, log) = new_log(Options::default());
    let path = log.path().to_path_buf();
    record_calls(&log, 3);
    // Closing indexes all six entries.
    drop(log);
    attacker(&path)
        .execute("DELETE FROM entries WHERE seq > 2", [])
        .unwrap();

    let log = AuditLog::open(&path).unwrap();
    let mut call = intent(9);
    call.arguments = json!({"serial": "C02ZZ0003"});
    assert_eq!(log.record_intent(&call).unwrap(), Seq(3));
    let words = |text: &str| Filter {
        text: Some(text.to_owned()),
        ..Filter::default()
    };
    assert_eq!(seqs(&all(&log, &words("C02ZZ0003"))), [Seq(3)]);
    assert!(all(&log, &words("C02XL0GH0002")).is_empty(), "a cut entry");
    let tool = Filter {
        tool: Some("jamf_get_computer".to_owned()),
        ..Filter::default()
    };
    assert_eq!(seqs(&all(&log, &tool)), [Seq(3), Seq(2), Seq(1)]);
    drop(dir);
}
