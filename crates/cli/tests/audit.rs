//! `latchkey audit …` and `latchkey assistants …` against a real `latchkey serve` (a test
//! build: its scripted presence check answers for the person): calls are recorded, the chain
//! verifies, an edit made to the database file is found, and a denied assistant is shut out.

mod common;

use std::process::Output;

use common::Home;
use rmcp::model::CallToolRequestParams;

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

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
    assert_eq!(entries[0]["assistant"]["name"], "rmcp");
    let me = std::env::current_exe().unwrap();
    assert_eq!(entries[0]["assistant"]["executable"], me.to_str().unwrap());
    assert_eq!(entries[1]["kind"], "outcome");
    assert_eq!(entries[1]["intent"], entries[0]["seq"]);

    let found = ok(&home
        .latchkey(&["audit", "search", "--tool", "latchkey_status", "--json"])
        .output()
        .unwrap());
    assert_eq!(found.lines().count(), 6);
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

    ok(&home
        .latchkey(&["assistants", "allow", me.to_str().unwrap()])
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
    assert_eq!(refusals.lines().count(), 1, "{refusals}");
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
}
