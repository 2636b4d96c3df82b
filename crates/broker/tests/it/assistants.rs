//! The assistant allow-list at the broker's real MCP socket: a new assistant (this test
//! process) is held until the person answers, the answer is remembered by executable, and a
//! denied one gets no MCP answer. The person is [`common::TestPresence`]. The macOS code
//! signature's team id is tested with callers built by hand, as a Mac would identify them.

use crate::common;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use latchkey_broker::{
    Assistants, Broker, CredentialService, Refusal, Services, StatePaths, Verdict,
};
use latchkey_caller::{AppInfo, Caller, CodeSignature, ProcessInfo};
use latchkey_vault::{MemoryStore, Requester};
use rmcp::ServiceExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"probe","version":"1"}}}"#;

struct Running {
    paths: StatePaths,
    presence: Arc<common::TestPresence>,
    assistants: Arc<Assistants>,
    audit: Arc<latchkey_broker::Audit>,
    _stop: tokio::sync::oneshot::Sender<()>,
    _home: tempfile::TempDir,
}

async fn start(approve: bool) -> Running {
    let home = tempfile::tempdir().unwrap();
    let paths = StatePaths::at(home.path().join("state"));
    let presence = Arc::new(common::TestPresence::default());
    presence.approve.store(approve, Ordering::SeqCst);
    let store = MemoryStore::new();
    let assistants = Arc::new(Assistants::new(
        presence.clone(),
        Some(common::sealed(&store, &paths.assistants_file()).await),
    ));
    let audit = common::temp_audit();
    let services = Services::new(
        common::fixture_sofa(),
        Arc::new(CredentialService::new(
            Arc::new(MemoryStore::new()),
            presence.clone(),
        )),
        Arc::clone(&assistants),
        Arc::clone(&audit),
    );
    let broker = Broker::bind(&paths, services).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel();
    tokio::spawn(broker.serve(async {
        let _ = stopped.await;
    }));
    Running {
        paths,
        presence,
        assistants,
        audit,
        _stop: stop,
        _home: home,
    }
}

/// What the broker answers to an initialize before closing ("" when it closes first).
async fn raw_initialize(running: &Running) -> String {
    let mut stream = tokio::net::UnixStream::connect(running.paths.mcp_socket())
        .await
        .unwrap();
    stream
        .write_all(format!("{INITIALIZE}\n").as_bytes())
        .await
        .unwrap();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("the broker neither answered nor closed")
        .unwrap_or(0);
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

#[tokio::test]
async fn a_new_assistant_is_asked_about_once_then_remembered() {
    let running = start(true).await;
    let answers = futures_join3(
        raw_initialize(&running),
        raw_initialize(&running),
        raw_initialize(&running),
    )
    .await;
    for answer in answers {
        assert!(answer.contains("\"serverInfo\""), "{answer}");
    }
    let asked = running.presence.asked.lock().unwrap().clone();
    assert_eq!(
        asked.len(),
        1,
        "one prompt for three connections: {asked:?}"
    );
    let me = std::env::current_exe().unwrap();
    assert!(
        asked[0].starts_with("allow ") && asked[0].contains(&format!("({}, pid ", me.display())),
        "the prompt names the program and its path: {asked:?}"
    );

    let listed = running.assistants.list();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].path, me);
    assert_eq!(listed[0].verdict, Verdict::Allowed);
    let saved = std::fs::read_to_string(running.paths.assistants_file()).unwrap();
    assert!(saved.contains("\"allowed\""), "{saved}");

    // A real MCP client session works once allowed.
    let stream = tokio::net::UnixStream::connect(running.paths.mcp_socket())
        .await
        .unwrap();
    let client = ().serve(stream.into_split()).await.unwrap();
    assert!(client.list_all_tools().await.unwrap().len() > 1);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_denied_assistant_is_told_so_until_allowed_again() {
    let running = start(false).await;
    // Issue #18: no MCP session, but a JSON-RPC error to its first request saying why.
    for _ in 0..2 {
        let answer: serde_json::Value =
            serde_json::from_str(raw_initialize(&running).await.trim()).unwrap();
        assert_eq!(answer["id"], 1, "{answer}");
        assert_eq!(answer["error"]["code"], latchkey_broker::REFUSED_CODE);
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("Latchkey refused this assistant: ")
                && message.contains("was denied earlier"),
            "{message}"
        );
        assert!(answer.get("result").is_none());
    }
    assert_eq!(
        running.presence.asked.lock().unwrap().len(),
        1,
        "a denial is remembered, not asked again"
    );
    assert_eq!(running.assistants.list()[0].verdict, Verdict::Denied);

    // Allowed again from the app: the person confirms (a click alone can be automated), and
    // connections are served.
    let me = std::env::current_exe().unwrap();
    let declined = running
        .assistants
        .set_verdict(me.clone(), Verdict::Allowed, Requester::App)
        .await;
    assert!(
        declined.is_err(),
        "a declined presence check allows nothing"
    );
    assert!(
        raw_initialize(&running)
            .await
            .contains("was denied earlier")
    );
    running.presence.approve.store(true, Ordering::SeqCst);
    running
        .assistants
        .set_verdict(me.clone(), Verdict::Allowed, Requester::App)
        .await
        .unwrap();
    running.presence.approve.store(false, Ordering::SeqCst);
    assert!(raw_initialize(&running).await.contains("\"serverInfo\""));
    assert_eq!(running.presence.asked.lock().unwrap().len(), 3);

    // Forgetting needs the person too: a forgotten denial would be asked about again.
    let declined = running.assistants.forget(&me, Requester::Cli).await;
    assert!(declined.is_err(), "forgotten without presence");
    assert_eq!(running.assistants.list().len(), 1);
    running.presence.approve.store(true, Ordering::SeqCst);
    assert!(
        running
            .assistants
            .forget(&me, Requester::Cli)
            .await
            .unwrap()
    );
    running.presence.approve.store(false, Ordering::SeqCst);
    let asked = running.presence.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 5);
    assert!(
        asked[4].starts_with("forget ") && asked[4].contains(&format!("({})", me.display())),
        "{asked:?}"
    );
    // Forgotten: asked about again (and denied again by this person).
    let refused = raw_initialize(&running).await;
    assert!(
        refused.contains("-32001") && refused.contains("was denied"),
        "{refused}"
    );
    assert_eq!(running.presence.asked.lock().unwrap().len(), 6);

    // Allowing from the command line needs the person too.
    let err = running
        .assistants
        .set_verdict(me, Verdict::Allowed, Requester::Cli)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "the confirmation was declined");
}

/// Issue #12, item 14: a prompt for a new assistant that nobody answers is not shown again at
/// each reconnect: for a short while the assistant is told the person did not answer.
#[tokio::test]
async fn issue_12_an_unanswered_prompt_for_a_new_assistant_is_not_repeated_at_once() {
    let running = start(true).await;
    running.presence.away.store(true, Ordering::SeqCst);
    let first = raw_initialize(&running).await;
    assert!(
        first.contains("-32001") && first.contains("nobody confirmed in time"),
        "{first}"
    );
    for _ in 0..3 {
        let again = raw_initialize(&running).await;
        assert!(
            again.contains("-32001")
                && again.contains("did not answer this a moment ago")
                && again.contains("try again later"),
            "{again}"
        );
    }
    assert_eq!(asked(&running.presence).len(), 1, "asked once");
    assert!(running.assistants.list().is_empty(), "nothing was decided");
    // The refused connections are one audit entry, with their count to come in the next.
    let refused: Vec<_> = running
        .audit
        .log()
        .unwrap()
        .tail(100)
        .unwrap()
        .into_iter()
        .filter(|e| e.tool.as_deref() == Some("connect"))
        .collect();
    assert_eq!(refused.len(), 1, "{refused:#?}");
    assert_eq!(
        refused[0].arguments.as_ref().unwrap()["refused_since_last_entry"],
        1
    );
}

#[tokio::test]
async fn the_list_survives_a_restart_and_a_damaged_file_asks_again() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("assistants.json");
    let presence = Arc::new(common::TestPresence::approving());
    let store = MemoryStore::new();
    let sealed = || common::sealed(&store, &file);
    let path = std::path::PathBuf::from("/Applications/Claude.app");
    let first = Assistants::new(presence.clone(), Some(sealed().await));
    first
        .set_verdict(path.clone(), Verdict::Allowed, Requester::App)
        .await
        .unwrap();
    let again = Assistants::new(presence.clone(), Some(sealed().await));
    assert_eq!(again.list()[0].path, path);
    assert_eq!(again.refused_file(), None);
    std::fs::write(&file, b"{ not json").unwrap();
    let damaged = Assistants::new(presence, Some(sealed().await));
    assert!(damaged.list().is_empty());
    let refused = damaged.refused_file().unwrap();
    assert_eq!(refused.file, file);
    assert!(refused.reason.starts_with("it is not JSON"), "{refused}");
}

const CLAUDE: &str = "/Applications/Claude.app";
const ANTHROPIC: &str = "Q6L2SF6YDW";
const OTHER_TEAM: &str = "ZZZZZZZZZZ";

/// Claude Desktop as macOS would identify it, its signature from `team_id` (`None`: unsigned,
/// ad-hoc or invalid).
fn claude(team_id: Option<&str>) -> Caller {
    let app = PathBuf::from(CLAUDE);
    let process = ProcessInfo {
        pid: 4242,
        executable: Some(app.join("Contents/MacOS/Claude")),
        name: "Claude".to_owned(),
        script: None,
    };
    Caller {
        uid: 501,
        pid: Some(process.pid),
        chain: vec![process.clone()],
        via_bridge: false,
        assistant: Some(process),
        app: Some(AppInfo {
            path: app,
            bundle_id: Some("com.anthropic.claudefordesktop".to_owned()),
            name: "Claude".to_owned(),
        }),
        signature: team_id.map(|team| CodeSignature {
            identifier: Some("com.anthropic.claudefordesktop".to_owned()),
            team_id: Some(team.to_owned()),
        }),
    }
}

fn asked(presence: &common::TestPresence) -> Vec<String> {
    presence.asked.lock().unwrap().clone()
}

#[tokio::test]
async fn the_team_id_is_remembered_with_the_path() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("assistants.json");
    let presence = Arc::new(common::TestPresence::approving());
    let store = MemoryStore::new();
    let assistants = Assistants::new(presence.clone(), Some(common::sealed(&store, &file).await));

    let record = assistants.admit(&claude(Some(ANTHROPIC))).await.unwrap();
    assert_eq!(record.team_id.as_deref(), Some(ANTHROPIC));
    assert_eq!(
        record.bundle_id.as_deref(),
        Some("com.anthropic.claudefordesktop")
    );
    assert_eq!(asked(&presence).len(), 1);

    // Same path, same team: the known assistant, no prompt; also after a restart.
    assistants.admit(&claude(Some(ANTHROPIC))).await.unwrap();
    let restarted = Assistants::new(presence.clone(), Some(common::sealed(&store, &file).await));
    assert_eq!(restarted.list()[0].team_id.as_deref(), Some(ANTHROPIC));
    restarted.admit(&claude(Some(ANTHROPIC))).await.unwrap();
    assert_eq!(asked(&presence).len(), 1, "{:?}", asked(&presence));
}

#[tokio::test]
async fn a_changed_signature_is_asked_about_again_and_the_answer_replaces_the_record() {
    let presence = Arc::new(common::TestPresence::approving());
    let assistants = Assistants::new(presence.clone(), None);
    assistants.admit(&claude(Some(ANTHROPIC))).await.unwrap();

    // Another team at the same path: held and asked, not let in as the known Claude.
    presence.approve.store(false, Ordering::SeqCst);
    let refused = assistants
        .admit(&claude(Some(OTHER_TEAM)))
        .await
        .unwrap_err();
    assert_eq!(refused, Refusal::Denied("Claude".to_owned()));
    let prompts = asked(&presence);
    assert_eq!(prompts.len(), 2);
    assert!(
        prompts[1].starts_with(&format!(
            "allow Claude ({CLAUDE}, pid 4242) to use Latchkey"
        )) && prompts[1].contains(&format!(
            "code signature changed (signed by team {ANTHROPIC} before, by team {OTHER_TEAM} now)"
        )),
        "{prompts:?}"
    );
    let listed = assistants.list();
    assert_eq!(listed.len(), 1, "replaced, not added: {listed:?}");
    assert_eq!(listed[0].team_id.as_deref(), Some(OTHER_TEAM));
    assert_eq!(listed[0].verdict, Verdict::Denied);

    // The denial is remembered for that team; Anthropic's Claude is now the changed one.
    assert!(assistants.admit(&claude(Some(OTHER_TEAM))).await.is_err());
    assert_eq!(asked(&presence).len(), 2);
    presence.approve.store(true, Ordering::SeqCst);
    assistants.admit(&claude(Some(ANTHROPIC))).await.unwrap();
    assert_eq!(asked(&presence).len(), 3);
    assert_eq!(assistants.list()[0].team_id.as_deref(), Some(ANTHROPIC));

    // Losing the signature is a change too.
    let unsigned = assistants.admit(&claude(None)).await.unwrap();
    let prompts = asked(&presence);
    assert_eq!(prompts.len(), 4);
    assert!(
        prompts[3].contains(&format!(
            "(signed by team {ANTHROPIC} before, not validly signed by a team now)"
        )),
        "{prompts:?}"
    );
    assert_eq!(unsigned.team_id, None);
}

#[tokio::test]
async fn a_record_without_a_team_id_matches_by_path_and_learns_it() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("assistants.json");
    // As written before team ids were remembered.
    let store = MemoryStore::new();
    let old: serde_json::Value = serde_json::from_str(&format!(
        r#"[{{"path":"{CLAUDE}","name":"Claude","bundle_id":"com.anthropic.claudefordesktop","verdict":"allowed","first_seen":"2025-01-02T03:04:05Z","last_seen":"2025-01-02T03:04:05Z"}}]"#
    ))
    .unwrap();
    common::sealed(&store, &file).await.save(&old).unwrap();
    let presence = Arc::new(common::TestPresence::default());
    let assistants = Assistants::new(presence.clone(), Some(common::sealed(&store, &file).await));
    let listed = assistants.list();
    assert_eq!(
        (listed[0].name.as_str(), listed[0].team_id.as_deref()),
        ("Claude", None)
    );

    // Unsigned, as on Linux: by path, as before.
    assistants.admit(&claude(None)).await.unwrap();
    assert_eq!(assistants.list()[0].team_id, None);
    // The first signed caller there is let in and its team remembered, on disk too…
    assistants.admit(&claude(Some(ANTHROPIC))).await.unwrap();
    assert!(asked(&presence).is_empty());
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(
        saved.contains(&format!(r#""team_id": "{ANTHROPIC}""#)),
        "{saved}"
    );
    // …so that another team is asked about (and denied by this person).
    assert!(assistants.admit(&claude(Some(OTHER_TEAM))).await.is_err());
    assert_eq!(asked(&presence).len(), 1);
}

async fn futures_join3<T>(
    a: impl std::future::Future<Output = T>,
    b: impl std::future::Future<Output = T>,
    c: impl std::future::Future<Output = T>,
) -> [T; 3] {
    let (a, b, c) = tokio::join!(a, b, c);
    [a, b, c]
}
