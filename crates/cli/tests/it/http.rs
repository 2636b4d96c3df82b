//! MCP over loopback HTTP (issue #16) against a real `latchkey serve` (a test build: its
//! scripted presence check answers for the person): turning it on takes presence, each
//! assistant's token is shown once and only its hash is kept, requests without a valid token
//! get 401 and a refused audit entry, a foreign Origin or Host is refused, a valid token's
//! call takes the same pipeline as the socket (audited under the token's name, a locked
//! domain refused), revoking shuts it out at once, garbage does not take the broker down, and
//! the token's value is in no file the broker writes. Needs the Secret Service (http.json is
//! sealed with a key kept there): run under scripts/with-keyring.sh.

use crate::common;
use crate::common::{Home, failed, ok};
use serde_json::{Value, json};

/// A JSON-RPC request of protocol 2026-07-28 (stateless: what the client is goes with every
/// request), as the headers and body of one POST.
fn stateless(method: &str, params: Value) -> (Vec<(&'static str, String)>, String) {
    let mut params = params;
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": { "name": "http-test", "version": "1" },
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    let mut headers = vec![
        ("MCP-Protocol-Version", "2026-07-28".to_owned()),
        ("Mcp-Method", method.to_owned()),
    ];
    if let Some(name) = params.get("name").and_then(Value::as_str) {
        headers.push(("Mcp-Name", name.to_owned()));
    }
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    (headers, body.to_string())
}

/// What a POST to the listener answered: its status and the JSON-RPC message in its body
/// (plain JSON, or the last `data:` line of an event stream).
async fn post(
    url: &str,
    token: Option<&str>,
    extra: &[(&str, &str)],
    request: (Vec<(&'static str, String)>, String),
) -> (u16, Value) {
    let (headers, body) = request;
    let mut post = reqwest::Client::new()
        .post(url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .body(body);
    for (name, value) in headers {
        post = post.header(name, value);
    }
    if let Some(token) = token {
        post = post.header("Authorization", format!("Bearer {token}"));
    }
    for (name, value) in extra {
        post = post.header(*name, *value);
    }
    let answer = post.send().await.expect("the listener answers");
    let status = answer.status().as_u16();
    let text = answer.text().await.unwrap();
    let message = text
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str(data.trim()).ok())
        .next_back()
        .or_else(|| serde_json::from_str(&text).ok())
        .unwrap_or(Value::String(text));
    (status, message)
}

fn call_tool(name: &str, arguments: Value) -> (Vec<(&'static str, String)>, String) {
    stateless(
        "tools/call",
        json!({ "name": name, "arguments": arguments }),
    )
}

fn audit_entries(home: &Home) -> Vec<Value> {
    ok(&home.run(&["audit", "tail", "--json", "-n", "200"], ""))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn status(home: &Home) -> Value {
    serde_json::from_str(&ok(&home.run(&["http", "status", "--json"], ""))).unwrap()
}

#[test]
fn turning_http_on_or_making_a_token_takes_presence() {
    if !common::keyring("turning_http_on_or_making_a_token_takes_presence") {
        return;
    }
    let home = Home::new();
    let _broker = home.serve_answering("decline");
    let err = failed(&home.run(&["http", "enable", "--port", "0"], ""));
    assert!(
        err.contains("declined") || err.contains("not confirmed"),
        "{err}"
    );
    let now = status(&home);
    assert_eq!(now["enabled"], false, "{now}");
    assert_eq!(now["url"], Value::Null, "{now}");
    let err = failed(&home.run(&["http", "tokens", "create", "nobody"], ""));
    assert!(!err.is_empty());
    assert_eq!(
        ok(&home.run(&["http", "tokens", "list", "--json"], "")).trim(),
        "[]"
    );
}

#[tokio::test]
async fn an_assistant_with_a_token_takes_the_same_pipeline_as_the_socket() {
    if !common::keyring("an_assistant_with_a_token_takes_the_same_pipeline_as_the_socket") {
        return;
    }
    let home = Home::new();
    let broker = home.serve();
    ok(&home.run(&["http", "enable", "--port", "0"], ""));
    let url = status(&home)["url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/mcp"),
        "{url}"
    );

    // The token: printed once, alone on stdout, never listed.
    let created = home.run(&["http", "tokens", "create", "alice"], "");
    let token = ok(&created);
    assert_eq!(token.lines().count(), 1, "{token}");
    let token = token.trim().to_owned();
    assert!(token.starts_with("lk_") && token.len() == 67, "{token}");
    let listed = ok(&home.run(&["http", "tokens", "list", "--json"], ""));
    let names: Vec<Value> = serde_json::from_str(&listed).unwrap();
    assert_eq!(names.len(), 1);
    assert_eq!(names[0]["name"], "alice");
    assert!(!listed.contains(&token[3..]), "{listed}");

    // No token, a wrong one: 401, and the first is on the audit log as refused.
    let status_call = || call_tool("latchkey_status", json!({}));
    let (code, _) = post(&url, None, &[], status_call()).await;
    assert_eq!(code, 401);
    let wrong = format!("lk_{}", "0".repeat(64));
    let (code, _) = post(&url, Some(&wrong), &[], status_call()).await;
    assert_eq!(code, 401);
    let refused: Vec<Value> = audit_entries(&home)
        .into_iter()
        .filter(|e| e["decision"] == "refused_unknown_client")
        .collect();
    assert_eq!(
        refused[0]["assistant"]["name"], "http client without a valid token",
        "{refused:?}"
    );
    assert_eq!(refused[0]["arguments"]["refused"], "no bearer token");

    // A page elsewhere (DNS rebinding, a foreign Origin) is refused even with the token.
    let evil = [("Origin", "http://evil.example.com")];
    let (code, _) = post(&url, Some(&token), &evil, status_call()).await;
    assert_eq!(code, 403);
    let rebound = [("Host", "evil.example.com")];
    let (code, _) = post(&url, Some(&token), &rebound, status_call()).await;
    assert!((400..500).contains(&code), "{code}");

    // Garbage never takes the broker down.
    for garbage in ["{", "null", "[]", "\u{0}\u{1}", &"[".repeat(100_000)] {
        let (code, _) = post(&url, Some(&token), &[], (vec![], garbage.to_owned())).await;
        assert!((400..500).contains(&code), "{garbage:.10}: {code}");
    }

    // As many connections at once as the MCP socket takes; one more is closed at once, and
    // once they close, requests are served again.
    let mut held = Vec::new();
    for _ in 0..latchkey_broker::MAX_MCP_CONNECTIONS {
        held.push(std::net::TcpStream::connect(url_addr(&url)).unwrap());
    }
    let mut over = std::net::TcpStream::connect(url_addr(&url)).unwrap();
    over.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut byte = [0u8; 1];
    let closed = std::io::Read::read(&mut over, &mut byte);
    let reset = |e: &std::io::Error| e.kind() == std::io::ErrorKind::ConnectionReset;
    assert!(
        matches!(&closed, Ok(0)) || closed.as_ref().is_err_and(reset),
        "the connection over the limit is closed at once: {closed:?}"
    );
    drop(held);

    // A valid call goes through: audited under the token's name.
    let (code, answer) = post(&url, Some(&token), &[], status_call()).await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    let entries = audit_entries(&home);
    let ran = entries
        .iter()
        .find(|e| e["tool"] == "latchkey_status" && e["decision"] == "allowed")
        .expect("the call is on the audit log");
    assert_eq!(ran["assistant"]["name"], "alice", "{ran}");
    assert_eq!(ran["assistant"]["client"], "http-test", "{ran}");

    // A locked domain is refused, as on the socket.
    let added = home.run(
        &[
            "creds",
            "add",
            "jamf",
            "--url",
            "https://http-front.example.com",
            "--client-id",
            "latchkey-http-test",
            "--label",
            "HTTP front door",
        ],
        "s3cret\n",
    );
    ok(&added);
    let domain = "jamf:http-front.example.com";
    let inventory = call_tool(
        "jamf_computer_inventory",
        json!({ "domain": domain, "serial": "C02HTTP0001" }),
    );
    let (code, answer) = post(&url, Some(&token), &[], inventory).await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert!(answer.to_string().contains("locked"), "{answer}");
    let locked = audit_entries(&home)
        .into_iter()
        .find(|e| e["decision"] == "refused_locked")
        .expect("the refusal is on the audit log");
    assert_eq!(locked["assistant"]["name"], "alice");
    assert_eq!(locked["domain"], domain);

    // Kept across a restart: still on, at the same port, the token still valid.
    let port = status(&home)["port"].clone();
    common::stop(broker);
    let broker = home.serve();
    let again = status(&home);
    assert_eq!(
        (again["enabled"].clone(), again["port"].clone()),
        (json!(true), port)
    );
    let (code, _) = post(&url, Some(&token), &[], status_call()).await;
    assert_eq!(code, 200);

    // Revoked: refused at once.
    ok(&home.run(&["http", "tokens", "revoke", "alice"], ""));
    let (code, _) = post(&url, Some(&token), &[], status_call()).await;
    assert_eq!(code, 401);
    failed(&home.run(&["http", "tokens", "revoke", "alice"], ""));

    // Off: nothing listens.
    ok(&home.run(&["http", "disable"], ""));
    assert!(reqwest::get(&url).await.is_err());

    // The token's value is in no file the broker wrote, nor in what it logged.
    let log = common::stop(broker);
    assert!(!log.contains(&token[3..]));
    for file in walk(&home.dir) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(&token[3..]),
            "{} holds the token",
            file.display()
        );
    }
}

/// An assistant's change over HTTP waits for the person like one over the socket: the card
/// names the token's assistant, nothing reaches Jamf before the approval, and once approved
/// Jamf receives exactly one plan and the assistant its answer.
#[tokio::test(flavor = "multi_thread")]
async fn an_http_assistants_change_waits_for_the_persons_approval() {
    if !common::keyring("an_http_assistants_change_waits_for_the_persons_approval") {
        return;
    }
    let mock = latchkey_jamf_mock::Mock::start(latchkey_jamf_mock::MockConfig {
        computers: 5,
        client_secret: "http-approval-canary".into(),
        ..latchkey_jamf_mock::MockConfig::default()
    })
    .await;
    let home = Home::new();
    let broker = home.serve();
    let jamf_url = mock.url();
    let added = [
        "creds",
        "add",
        "jamf",
        "--url",
        &jamf_url,
        "--client-id",
        "latchkey-test",
        "--label",
        "HTTP approval Jamf",
    ];
    ok(&home.run(&added, "http-approval-canary\n"));
    ok(&home.run(&["creds", "unlock", "HTTP approval Jamf"], ""));
    ok(&home.run(&["http", "enable", "--port", "0"], ""));
    let url = status(&home)["url"].as_str().unwrap().to_owned();
    let token = ok(&home.run(&["http", "tokens", "create", "bob"], ""))
        .trim()
        .to_owned();

    let domain = format!("jamf:{}", mock.addr);
    let plan = call_tool(
        "jamf_plan_os_update",
        json!({ "domain": domain, "serials": ["C02000000001"] }),
    );
    let (asking_url, asking_token) = (url.clone(), token.clone());
    let asking =
        tokio::spawn(async move { post(&asking_url, Some(&asking_token), &[], plan).await });
    let waiting = (0..500)
        .find_map(|_| {
            let listed = ok(&home.run(&["approvals", "list", "--json"], ""));
            let listed: Value = serde_json::from_str(&listed).unwrap();
            let first = listed.as_array().unwrap().first().cloned();
            if first.is_none() {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            first
        })
        .expect("the plan was never put to the person");
    assert_eq!(waiting["tool"], "jamf_plan_os_update", "{waiting}");
    assert_eq!(waiting["assistant"], "bob", "{waiting}");
    assert!(mock.received().is_empty(), "nothing before the approval");
    ok(&home.run(
        &["approvals", "approve", waiting["id"].as_str().unwrap()],
        "",
    ));
    let (code, answer) = asking.await.unwrap();
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    assert_eq!(mock.received().len(), 1, "exactly one plan");
    let log = common::stop(broker);
    assert!(!log.contains("http-approval-canary"));
}

/// The `host:port` of a listener's URL.
fn url_addr(url: &str) -> String {
    url.trim_start_matches("http://")
        .trim_end_matches("/mcp")
        .to_owned()
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn print_config_gives_the_http_form_with_a_placeholder_never_a_token() {
    let home = Home::new();
    let out = ok(&home.run(&["mcp", "--print-config", "claude-code", "--http"], ""));
    let snippet: Value = serde_json::from_str(&out).unwrap();
    let server = &snippet["mcpServers"]["latchkey"];
    assert_eq!(server["type"], "http");
    assert_eq!(server["url"], "http://127.0.0.1:7483/mcp");
    assert_eq!(
        server["headers"]["Authorization"],
        "Bearer ${LATCHKEY_HTTP_TOKEN}"
    );
    let desktop = home.run(&["mcp", "--print-config", "claude-desktop", "--http"], "");
    assert!(failed(&desktop).contains("without --http"));
}
