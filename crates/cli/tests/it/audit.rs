//! `latchkey audit …` and `latchkey assistants …` against a real `latchkey serve` (a test
//! build: its scripted presence check answers for the person): calls are recorded, the chain
//! verifies, an edit made to the database file is found, and a denied assistant is shut out.
//! `audit search` as a Unix tool (kinds, times, decisions, nothing found, failed calls) reads
//! a log written here with `latchkey-audit` itself, no broker needed.

use crate::common;
use std::time::Duration;

use crate::common::{Home, ok};
use chrono::{TimeDelta, Utc};
use latchkey_audit::{
    AdminEvent, Assistant, AuditLog, CallResult, Decision, Intent, Options, Outcome,
};
use rmcp::model::CallToolRequestParams;

#[tokio::test]
async fn calls_are_audited_verified_and_tampering_is_found() {
    let home = Home::new();
    let _broker = home.serve();
    let client = common::socket_client(&home.socket()).await;
    for _ in 0..3 {
        client
            .call_tool(CallToolRequestParams::new("latchkey_status"))
            .await
            .unwrap();
    }
    client.cancel().await.unwrap();

    let tail = ok(&home
        .latchkey(&["audit", "tail", "--json"])
        .output()
        .unwrap());
    let entries: Vec<serde_json::Value> = tail
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 6, "three intents and three outcomes: {tail}");
    assert_eq!(entries[0]["kind"], "intent");
    assert_eq!(entries[0]["tool"], "latchkey_status");
    // Named as the allow-list names it (issue #18): from what the OS says of the program,
    // with the name the client gave itself (`clientInfo`, which any program can choose) beside.
    let me = std::env::current_exe().unwrap();
    let listed = ok(&home
        .latchkey(&["assistants", "list", "--json"])
        .output()
        .unwrap());
    let listed: Vec<serde_json::Value> = serde_json::from_str(&listed).unwrap();
    assert_eq!(entries[0]["assistant"]["name"], listed[0]["name"], "{tail}");
    assert_eq!(
        entries[0]["assistant"]["name"],
        me.file_name().unwrap().to_str().unwrap()
    );
    assert_eq!(entries[0]["assistant"]["client"], "rmcp");
    assert_eq!(entries[1]["assistant"], entries[0]["assistant"], "outcome");
    assert_eq!(entries[0]["assistant"]["executable"], me.to_str().unwrap());
    let by_client = ok(&home
        .latchkey(&["audit", "search", "--assistant", "rmcp", "--json"])
        .output()
        .unwrap());
    assert_eq!(
        json_array(&by_client).len(),
        6,
        "found by the client's name"
    );
    assert_eq!(entries[1]["kind"], "outcome");
    assert_eq!(entries[1]["intent"], entries[0]["seq"]);

    let found = ok(&home
        .latchkey(&["audit", "search", "--tool", "latchkey_status", "--json"])
        .output()
        .unwrap());
    assert_eq!(json_array(&found).len(), 6);
    let verified = ok(&home.latchkey(&["audit", "verify"]).output().unwrap());
    assert!(
        verified.starts_with("the chain verifies: entries #1 through #6 ("),
        "{verified}"
    );
    let csv = ok(&home
        .latchkey(&["audit", "export", "--format", "csv"])
        .output()
        .unwrap());
    assert_eq!(csv.lines().count(), 7, "a header and six rows: {csv}");

    // Someone edits an entry in the file: verify names it and fails.
    let db = home.dir.join("config/audit.sqlite");
    let edited = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); \
             c.execute(\"UPDATE entries SET tool='sofa_latest_releases' WHERE seq=3\"); c.commit()",
            db.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(edited.success());
    let out = home.latchkey(&["audit", "verify"]).output().unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("the chain is broken at entry #3"), "{said}");
}

#[tokio::test]
async fn assistants_are_listed_denied_and_allowed_again() {
    let home = Home::new();
    let _broker = home.serve();
    let client = common::socket_client(&home.socket()).await;
    client.cancel().await.unwrap();
    let me = std::env::current_exe().unwrap();

    let listed = ok(&home
        .latchkey(&["assistants", "list", "--json"])
        .output()
        .unwrap());
    let listed: Vec<serde_json::Value> = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed[0]["path"], me.to_str().unwrap());
    assert_eq!(listed[0]["verdict"], "allowed");

    let denied = ok(&home
        .latchkey(&["assistants", "deny", me.to_str().unwrap()])
        .output()
        .unwrap());
    assert!(denied.starts_with("denied "), "{denied}");
    let stream = tokio::net::UnixStream::connect(home.socket())
        .await
        .unwrap();
    let refused = rmcp::ServiceExt::serve((), stream.into_split()).await;
    assert!(refused.is_err(), "a denied assistant gets no MCP session");

    // Issue #18: it is told why, as a JSON-RPC error to its first request…
    let mut stream = tokio::net::UnixStream::connect(home.socket())
        .await
        .unwrap();
    let initialize = r#"{"jsonrpc":"2.0","id":7,"method":"initialize","params":{}}"#;
    tokio::io::AsyncWriteExt::write_all(&mut stream, format!("{initialize}\n").as_bytes())
        .await
        .unwrap();
    let mut answer = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stream, &mut answer)
        .await
        .unwrap();
    let answer: serde_json::Value = serde_json::from_str(answer.trim()).unwrap();
    assert_eq!(answer["id"], 7, "{answer}");
    assert_eq!(answer["error"]["code"], -32001, "{answer}");
    let told = answer["error"]["message"].as_str().unwrap();
    assert!(told.contains("was denied earlier"), "{told}");
    // …and `latchkey mcp` (launched by it) says so on stderr.
    let mut bridge = home
        .latchkey(&["mcp"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut bridge.stdin.take().unwrap(),
        format!("{initialize}\n").as_bytes(),
    )
    .unwrap();
    let out = bridge.wait_with_output().unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("Latchkey refused this assistant") && said.contains("was denied earlier"),
        "{said}"
    );

    // Nor anything through the CLI's socket: it runs `latchkey`, so it is the caller there.
    for args in [
        &["jamf", "fleet"][..],
        &["creds", "status"],
        &["assistants", "allow", me.to_str().unwrap()],
    ] {
        let out = home.latchkey(args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("was denied earlier"), "{args:?}: {said}");
    }

    // Another program (here `timeout`) may allow it again, with presence.
    ok(&home
        .latchkey_via(
            &["timeout", "60"],
            &["assistants", "allow", me.to_str().unwrap()],
        )
        .output()
        .unwrap());
    let client = common::socket_client(&home.socket()).await;
    client.cancel().await.unwrap();

    let refusals = ok(&home
        .latchkey(&[
            "audit",
            "search",
            "--decision",
            "refused-unknown-client",
            "--json",
        ])
        .output()
        .unwrap());
    let refusals = json_array(&refusals);
    // The socket twice and the bridge once, within seconds: one entry (issue #12: a refused
    // program reconnecting in a loop must not fill the log; a later entry counts the rest).
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert_eq!(refusals[0]["arguments"]["refused_since_last_entry"], 1);
    // The allow-list and the audit name it alike: its executable's file name, not the
    // kernel's 15-byte process name.
    let file_name = me.file_name().unwrap().to_str().unwrap();
    assert_eq!(listed[0]["name"], file_name);
    for refusal in &refusals {
        assert_eq!(refusal["assistant"]["name"], file_name, "{refusal}");
    }
}

#[tokio::test]
async fn a_cut_off_tail_is_caught_by_the_head_anchored_in_the_secret_store() {
    if !common::keyring("a_cut_off_tail_is_caught_by_the_head_anchored_in_the_secret_store") {
        return;
    }
    let home = Home::new();
    let mut broker = home.serve();
    let client = common::socket_client(&home.socket()).await;
    for _ in 0..2 {
        client
            .call_tool(CallToolRequestParams::new("latchkey_status"))
            .await
            .unwrap();
    }
    client.cancel().await.unwrap();
    // A clean stop anchors the head (#4) in the secret store.
    let pid = rustix::process::Pid::from_raw(broker.pid() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    assert!(broker.child.wait().unwrap().success());
    let verified = ok(&home.latchkey(&["audit", "verify"]).output().unwrap());
    assert!(
        verified.contains("anchored head #4 confirmed"),
        "{verified}"
    );

    // The last call is cut off: the rest still links, but the anchor says #4 existed.
    let db = home.dir.join("config/audit.sqlite");
    let cut = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); \
             c.execute('DELETE FROM entries WHERE seq > 2'); c.commit()",
            db.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(cut.success());
    let out = home.latchkey(&["audit", "verify"]).output().unwrap();
    assert!(!out.status.success(), "a cut tail fails verification");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("the chain is broken at entry #3"), "{said}");
    assert!(said.contains("the anchored entry #4 was missing"), "{said}");

    // A new session does not bless the cut: the break stays on the chain until acknowledged.
    let broker = home.serve();
    let client = common::socket_client(&home.socket()).await;
    client
        .call_tool(CallToolRequestParams::new("latchkey_status"))
        .await
        .unwrap();
    client.cancel().await.unwrap();
    let pid = rustix::process::Pid::from_raw(broker.pid() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let mut broker = broker;
    assert!(broker.child.wait().unwrap().success());
    let out = home.latchkey(&["audit", "verify"]).output().unwrap();
    assert!(!out.status.success(), "still broken after a clean session");
    let breaks = ok(&home
        .latchkey(&[
            "audit",
            "search",
            "--kind",
            "admin",
            "--tool",
            "chain.broken",
            "--json",
        ])
        .output()
        .unwrap());
    assert_eq!(json_array(&breaks).len(), 1, "recorded once: {breaks}");

    // The person acknowledges it (with presence, through the broker): the chain verifies
    // again from the break on, and the acknowledgement is on the chain too.
    let broker = home.serve();
    let said = ok(&home.latchkey(&["audit", "acknowledge"]).output().unwrap());
    assert!(said.starts_with("acknowledged"), "{said}");
    drop(broker);
    let verified = ok(&home.latchkey(&["audit", "verify"]).output().unwrap());
    assert!(verified.starts_with("the chain verifies"), "{verified}");
}

fn json_array(text: &str) -> Vec<serde_json::Value> {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not a JSON array ({e}): {text}"))
}

fn person() -> Assistant {
    Assistant {
        name: "latchkey-cli".to_owned(),
        client: None,
        version: "1".to_owned(),
        executable: Some("/usr/bin/latchkey".to_owned()),
        pid: Some(7),
        bundle_id: None,
    }
}

fn call(serial: &str, decision: Decision) -> Intent {
    Intent {
        assistant: Assistant {
            name: "claude-ai".to_owned(),
            client: None,
            ..person()
        },
        tool: "jamf_get_computer".to_owned(),
        arguments: serde_json::json!({ "serial": serial }),
        domain: Some("jamf:acme.jamfcloud.com".to_owned()),
        decision,
        approval: None,
    }
}

/// A log at the home's audit path with, oldest first: a call 3 days ago (#1, #2), a
/// timed-out call 2 hours ago (#3), an unlock 10 minutes ago (#4) and a call that failed
/// with http_403 a minute ago (#5, #6).
fn written_log(home: &Home) {
    let log =
        AuditLog::open_with(home.dir.join("config/audit.sqlite"), Options::default()).unwrap();
    let now = Utc::now();
    let ok = Outcome {
        result: CallResult::Ok,
        duration: Duration::from_millis(3),
    };
    let forbidden = Outcome {
        result: CallResult::Error("http_403".to_owned()),
        duration: Duration::from_millis(40),
    };
    log.bulk(|a| {
        let old = a.intent(now - TimeDelta::days(3), &call("C02OLD", Decision::Allowed))?;
        a.outcome(now - TimeDelta::days(3), old, &ok)?;
        a.intent(
            now - TimeDelta::hours(2),
            &call("C02LATE", Decision::TimedOut),
        )?;
        let unlock = AdminEvent {
            actor: person(),
            action: "unlock".to_owned(),
            details: serde_json::json!({ "minutes": 15 }),
            domain: Some("jamf:acme.jamfcloud.com".to_owned()),
            decision: Decision::Approved,
        };
        a.admin(now - TimeDelta::minutes(10), &unlock)?;
        let failed = a.intent(
            now - TimeDelta::minutes(1),
            &call("C02FAIL", Decision::Allowed),
        )?;
        a.outcome(now - TimeDelta::minutes(1), failed, &forbidden)?;
        Ok(())
    })
    .unwrap();
}

/// `latchkey audit search ARGS --json`: the entries' seqs, newest first.
fn found(home: &Home, args: &[&str]) -> Vec<u64> {
    let mut all = vec!["audit", "search"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = ok(&home.latchkey(&all).output().unwrap());
    json_array(&out)
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect()
}

fn refused(home: &Home, args: &[&str]) -> String {
    let out = home.latchkey(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a usage error: {out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn search_by_kind_keeps_admin_entries_apart_from_calls() {
    let home = Home::new();
    written_log(&home);
    assert_eq!(found(&home, &["--kind", "admin"]), [4]);
    assert_eq!(found(&home, &["--kind", "tool"]), [6, 5, 3, 2, 1]);
    let admin = ok(&home
        .latchkey(&["audit", "search", "--kind", "admin", "--json"])
        .output()
        .unwrap());
    let admin = json_array(&admin);
    assert_eq!(admin[0]["kind"], "admin");
    assert_eq!(admin[0]["tool"], "unlock");
    assert_eq!(admin[0]["arguments"]["minutes"], 15);
    let table = ok(&home
        .latchkey(&["audit", "search", "--kind", "admin"])
        .output()
        .unwrap());
    assert!(
        table.contains("latchkey-cli  unlock  jamf:acme.jamfcloud.com  approved  {\"minutes\":15}"),
        "{table}"
    );
    assert!(refused(&home, &["audit", "search", "--kind", "grant"]).contains("--kind"));
}

#[test]
fn since_and_until_take_dates_times_ago_and_rfc3339() {
    let home = Home::new();
    written_log(&home);
    assert_eq!(found(&home, &["--since", "30m"]), [6, 5, 4]);
    assert_eq!(found(&home, &["--since", "5h", "--until", "1h"]), [3]);
    assert_eq!(found(&home, &["--since", "1d"]), [6, 5, 4, 3]);
    assert_eq!(found(&home, &["--until", "2d"]), [2, 1]);
    assert_eq!(found(&home, &["--since", "2000-01-01"]).len(), 6);
    assert_eq!(found(&home, &["--since", "2000-01-01T00:00:00Z"]).len(), 6);
    assert!(found(&home, &["--until", "2000-01-01"]).is_empty());
    let today = found(&home, &["--since", "today"]);
    let yesterday = found(&home, &["--since", "yesterday"]);
    assert!(
        today.len() <= yesterday.len() && yesterday.len() <= 4,
        "{today:?} {yesterday:?}"
    );
    assert!(
        today.contains(&6),
        "a minute ago is today (unless midnight just passed)"
    );

    let said = refused(&home, &["audit", "search", "--since", "last week"]);
    assert!(said.contains("--since"), "{said}");
    for form in ["2026-12-07", "RFC 3339", "30m", "7d", "yesterday"] {
        assert!(said.contains(form), "{form} missing from: {said}");
    }
    assert!(refused(&home, &["audit", "search", "--until", "12/07/2026"]).contains("--until"));
}

#[test]
fn decisions_are_given_as_the_output_prints_them() {
    let home = Home::new();
    written_log(&home);
    assert_eq!(found(&home, &["--decision", "timed_out"]), [3]);
    assert_eq!(found(&home, &["--decision", "approved"]), [4]);
    assert_eq!(found(&home, &["--decision", "allowed"]), [6, 5, 2, 1]);
    assert_eq!(
        found(&home, &["--decision", "timed-out"]),
        [3],
        "kebab case too"
    );
    let table = ok(&home
        .latchkey(&["audit", "search", "--decision", "timed_out"])
        .output()
        .unwrap());
    assert!(table.contains("  timed_out"), "printed as given: {table}");
    let said = refused(&home, &["audit", "search", "--decision", "maybe"]);
    assert!(said.contains("--decision"), "{said}");
    assert!(
        said.contains(
            "allowed, approved, denied, refused_locked, refused_unknown_client, timed_out"
        ),
        "{said}"
    );
}

#[test]
fn no_match_says_so_on_stderr_and_is_an_empty_array_in_json() {
    let home = Home::new();
    written_log(&home);
    let out = home
        .latchkey(&["audit", "search", "--text", "nothing-like-this"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "no entries match"
    );
    let out = home
        .latchkey(&["audit", "search", "--text", "nothing-like-this", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        json_array(&String::from_utf8_lossy(&out.stdout)),
        Vec::<serde_json::Value>::new()
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn a_failed_call_shows_its_reason_on_its_entry() {
    let home = Home::new();
    written_log(&home);
    // The serial is only in the intent's arguments, so only the intent matches.
    let table = ok(&home
        .latchkey(&["audit", "search", "--text", "C02FAIL"])
        .output()
        .unwrap());
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 1, "{table}");
    assert!(lines[0].starts_with("#5 "), "{table}");
    assert!(lines[0].contains("error http_403 (#6) 40.0 ms"), "{table}");
    let table = ok(&home
        .latchkey(&["audit", "search", "--since", "5m"])
        .output()
        .unwrap());
    assert!(
        table
            .lines()
            .filter(|l| l.contains("error http_403"))
            .count()
            == 2,
        "the outcome and its intent: {table}"
    );
}

#[test]
fn verify_fails_with_the_reason_while_no_head_is_anchored() {
    if !common::keyring("verify_fails_with_the_reason_while_no_head_is_anchored") {
        return;
    }
    let home = Home::new();
    written_log(&home); // written without an anchor
    let out = home.latchkey(&["audit", "verify"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("the chain cannot be checked: no head of this log is anchored"),
        "{said}"
    );
}
