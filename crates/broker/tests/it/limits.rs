//! Issue #12, item 14, at a bound broker's real sockets: each socket has its own connection
//! limit (a flood of assistant connections leaves the command line its own, and the other way
//! round), a connection over it is told why and closed, the flood is one audit entry; an
//! assistant calling in a loop is refused whatever connection it uses, with the audit holding
//! a count rather than an entry per refusal; a huge argument is stored as its hash. The idle
//! timeout needs a shortened wait, so it is tested against `latchkey serve`
//! (crates/cli/tests/it/socket_security.rs).

use crate::common;

use std::time::Duration;

use latchkey_audit::{Decision, Entry, EntryKind};
use latchkey_broker::control::{ControlClient, ControlRequest};
use latchkey_broker::pipeline::rate::CALL_BURST;
use latchkey_broker::{
    Broker, MAX_CONTROL_CONNECTIONS, MAX_MCP_CONNECTIONS, REFUSED_CODE, Services, StatePaths,
};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::net::UnixStream;

/// How long the broker gets to do something it should do at once; only a broken broker
/// takes it.
const AT_MOST: Duration = Duration::from_secs(10);

struct Running {
    paths: StatePaths,
    services: Services,
    _stop: tokio::sync::oneshot::Sender<()>,
    _home: tempfile::TempDir,
}

async fn start() -> Running {
    let home = tempfile::tempdir().unwrap();
    let paths = StatePaths::at(home.path().join("state"));
    let services = common::services();
    let broker = Broker::bind(&paths, services.clone()).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel();
    tokio::spawn(broker.serve(async {
        let _ = stopped.await;
    }));
    Running {
        paths,
        services,
        _stop: stop,
        _home: home,
    }
}

/// `n` raw connections, made one after the other, so the broker takes them in that order.
async fn connect(socket: &std::path::Path, n: usize) -> Vec<UnixStream> {
    let mut streams = Vec::with_capacity(n);
    for _ in 0..n {
        streams.push(UnixStream::connect(socket).await.unwrap());
    }
    streams
}

/// Everything the broker sends on `stream` before closing it, which it must do at once.
async fn told_and_closed(stream: &mut UnixStream) -> String {
    let mut told = Vec::new();
    tokio::time::timeout(AT_MOST, stream.read_to_end(&mut told))
        .await
        .expect("the broker kept a connection over the limit open")
        .unwrap();
    String::from_utf8(told).unwrap()
}

/// An MCP session over the socket, once the broker takes one (a slot may take a moment to
/// be given back).
async fn mcp_client(running: &Running) -> RunningService<RoleClient, ()> {
    let deadline = tokio::time::Instant::now() + AT_MOST;
    loop {
        let stream = UnixStream::connect(running.paths.mcp_socket())
            .await
            .unwrap();
        match ().serve(stream.into_split()).await {
            Ok(client) => return client,
            Err(e) if tokio::time::Instant::now() > deadline => panic!("no MCP session: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

async fn status(client: &RunningService<RoleClient, ()>) -> CallToolResult {
    client
        .call_tool(CallToolRequestParams::new("latchkey_status"))
        .await
        .unwrap()
}

fn text(result: &CallToolResult) -> String {
    serde_json::to_string(result).unwrap()
}

/// The audit log's entries, once `wanted` holds for them.
async fn entries_once(running: &Running, wanted: impl Fn(&[Entry]) -> bool) -> Vec<Entry> {
    let log = running.services.audit.log().unwrap();
    let deadline = tokio::time::Instant::now() + AT_MOST;
    loop {
        let entries = log.tail(10_000).unwrap();
        if wanted(&entries) || tokio::time::Instant::now() > deadline {
            return entries;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn refused_connections(entries: &[Entry]) -> Vec<&Entry> {
    entries
        .iter()
        .filter(|e| e.tool.as_deref() == Some("connections.refused"))
        .collect()
}

#[tokio::test]
async fn issue_12_a_flood_of_assistant_connections_leaves_the_command_line_its_own() {
    let running = start().await;
    let mcp = running.paths.mcp_socket();
    let held = connect(&mcp, MAX_MCP_CONNECTIONS).await;
    let mut over = connect(&mcp, 5).await;
    for stream in &mut over {
        let told = told_and_closed(stream).await;
        let answer: Value = serde_json::from_str(told.trim()).unwrap();
        assert_eq!(answer["error"]["code"], REFUSED_CODE, "{answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!(
                "already serves {MAX_MCP_CONNECTIONS} assistant connections"
            )),
            "{message}"
        );
    }

    // The command line is served meanwhile.
    let mut cli = ControlClient::connect(&running.paths.control_socket())
        .await
        .unwrap();
    let overview = tokio::time::timeout(AT_MOST, cli.call::<Value>(&ControlRequest::Overview))
        .await
        .expect("the control socket answers during the flood");
    assert!(overview.is_ok(), "{overview:?}");

    // The burst is one audit entry, not one per connection.
    let entries = entries_once(&running, |e| !refused_connections(e).is_empty()).await;
    let flood = refused_connections(&entries);
    assert_eq!(flood.len(), 1, "{flood:#?}");
    let details = flood[0].arguments.as_ref().unwrap();
    assert_eq!(details["socket"], "mcp");
    assert_eq!(details["limit"], MAX_MCP_CONNECTIONS);
    assert_eq!(flood[0].decision, Some(Decision::RefusedRateLimited));

    // Slots given back are taken again.
    drop(held);
    let client = mcp_client(&running).await;
    assert_ne!(status(&client).await.is_error, Some(true));
}

#[tokio::test]
async fn issue_12_command_line_connections_have_their_own_limit() {
    let running = start().await;
    let control = running.paths.control_socket();
    let _held = connect(&control, MAX_CONTROL_CONNECTIONS).await;
    let mut over = connect(&control, 1).await;
    let told = told_and_closed(&mut over[0]).await;
    assert!(
        told.contains(&format!(
            "already serves {MAX_CONTROL_CONNECTIONS} command-line connections"
        )),
        "{told}"
    );
    // The CLI's own client reports it, although the broker closed before it wrote.
    let mut cli = ControlClient::connect(&control).await.unwrap();
    let err = cli
        .call::<Value>(&ControlRequest::Overview)
        .await
        .unwrap_err();
    assert!(err.message.contains("command-line connections"), "{err}");

    // Assistants are served meanwhile.
    let client = mcp_client(&running).await;
    assert_ne!(status(&client).await.is_error, Some(true));
}

#[tokio::test]
async fn issue_12_an_assistant_calling_in_a_loop_is_refused_and_audited_per_burst() {
    let running = start().await;
    // Two sessions of one program share its allowance.
    let clients = [mcp_client(&running).await, mcp_client(&running).await];
    let (mut served, mut refused) = (0, 0);
    for i in 0..CALL_BURST as usize + 20 {
        let result = status(&clients[i % 2]).await;
        if result.is_error == Some(true) {
            refused += 1;
            assert!(
                text(&result).contains("calling faster than Latchkey allows")
                    && text(&result).contains("try again in"),
                "{}",
                text(&result)
            );
        } else {
            served += 1;
        }
    }
    assert!(served >= CALL_BURST, "{served} served");
    assert!(refused > 0, "nothing refused after {served} calls");

    let entries = entries_once(&running, |_| true).await;
    let limited: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Intent)
        .filter(|e| e.decision == Some(Decision::RefusedRateLimited))
        .collect();
    assert!(
        !limited.is_empty() && limited.len() < refused,
        "{} entries for {refused} refusals",
        limited.len()
    );
    let why = limited[0].arguments.as_ref().unwrap()["refused"]
        .as_str()
        .unwrap();
    assert!(why.starts_with("too many calls: 1 refused"), "{why}");
    assert!(
        running
            .services
            .audit
            .log()
            .unwrap()
            .verify()
            .unwrap()
            .is_ok()
    );
}

#[tokio::test]
async fn issue_12_a_huge_argument_is_stored_as_its_hash() {
    let running = start().await;
    let client = mcp_client(&running).await;
    let mut arguments = serde_json::Map::new();
    arguments.insert("padding".into(), "x".repeat(600 * 1024).into());
    client
        .call_tool(CallToolRequestParams::new("latchkey_status").with_arguments(arguments))
        .await
        .unwrap();
    let entries = entries_once(&running, |_| true).await;
    let intent = entries
        .iter()
        .find(|e| e.kind == EntryKind::Intent && e.tool.as_deref() == Some("latchkey_status"))
        .unwrap();
    let stored = intent.arguments.as_ref().unwrap();
    assert!(
        stored.to_string().len() <= latchkey_audit::MAX_STORED_ARGUMENTS,
        "{} bytes stored",
        stored.to_string().len()
    );
    assert_eq!(stored["truncated"], true);
    assert!(stored["bytes"].as_u64().unwrap() > 600 * 1024);
    assert_eq!(stored["sha256"].as_str().unwrap().len(), 64);
    assert!(
        running
            .services
            .audit
            .log()
            .unwrap()
            .verify()
            .unwrap()
            .is_ok()
    );
}

/// A frame over the MCP socket's 1 MiB line limit, and one that is not JSON, are dropped
/// without being buffered; the session they came in goes on.
#[tokio::test]
async fn issue_12_a_huge_or_malformed_frame_is_dropped_and_the_session_goes_on() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let running = start().await;
    let stream = UnixStream::connect(running.paths.mcp_socket())
        .await
        .unwrap();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let initialize = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"probe","version":"1"}}}"#;
    let initialized = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
    write
        .write_all(format!("{initialize}\n{initialized}\n").as_bytes())
        .await
        .unwrap();
    assert!(
        lines
            .next_line()
            .await
            .unwrap()
            .unwrap()
            .contains("serverInfo")
    );

    let mut huge = br#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"latchkey_status","arguments":{"x":""#.to_vec();
    huge.resize(huge.len() + 3 * 1024 * 1024, b'x');
    huge.extend_from_slice(b"\"}}}\n\x00\xff not json {{{\n");
    write.write_all(&huge).await.unwrap();
    let call =
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"latchkey_status"}}"#;
    write
        .write_all(format!("{call}\n").as_bytes())
        .await
        .unwrap();
    let answer: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    assert_eq!(answer["id"], 3, "only the last call is answered: {answer}");
    assert!(
        answer["result"]["structuredContent"]["version"].is_string(),
        "{answer}"
    );
}
