//! The `latchkey` binary as a user runs it: version, doctor, serve, the stdio bridge and the
//! client configuration snippets.

use crate::common;
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

use crate::common::{Home, LATCHKEY};
use latchkey_broker::VERSION;
use rmcp::ServiceExt;

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn version_is_the_workspace_version() {
    let out = Home::new().latchkey(&["--version"]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        format!("latchkey {VERSION}")
    );
}

/// Issue #18: doctor checks the broker through the control socket, never as an assistant
/// (the MCP socket is looked at, not connected to), reports the SOFA feed and the audit
/// chain, and exits 1 when a check fails.
/// Issue #15: the least-privilege role, printed without a broker or a server.
#[test]
fn jamf_privileges_lists_the_minimal_role_without_a_broker() {
    let home = Home::new();
    let out = home.latchkey(&["jamf", "privileges"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Read-only tools (jamf_search_computers"),
        "{text}"
    );
    assert!(text.contains("\n  Read Computers\n"), "{text}");
    assert!(
        text.contains("jamf_redeploy_framework (changes something"),
        "{text}"
    );

    let out = home
        .latchkey(&["jamf", "privileges", "--json"])
        .output()
        .unwrap();
    let role: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let read_only = role["read_only"].as_array().unwrap();
    assert!(
        read_only
            .iter()
            .all(|p| p.as_str().unwrap().starts_with("Read "))
    );
    assert!(
        role["changes"]["jamf_plan_os_update"]
            .as_array()
            .unwrap()
            .contains(&"Create Managed Software Updates".into())
    );
}

#[test]
fn doctor_reports_the_socket_before_and_after_a_broker_starts() {
    let home = Home::new();
    let doctor = || {
        let out = home.latchkey(&["doctor", "--json"]).output().unwrap();
        let report = serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap();
        assert_eq!(out.status.success(), report["ok"] == true, "{report}");
        report
    };
    let before = doctor();
    assert_eq!(before["ok"], false, "no broker is a failed check");
    assert_eq!(before["version"], VERSION);
    assert_eq!(
        before["mcp_socket"]["path"],
        home.socket().to_str().unwrap()
    );
    assert_eq!(before["mcp_socket"]["reachable"], false);
    assert_eq!(before["broker"]["ok"], false);
    assert!(
        before["mcp_socket"]["detail"]
            .as_str()
            .unwrap()
            .contains("latchkey serve")
    );
    for probe in ["secret_store", "presence_check"] {
        assert!(
            before[probe]["name"]
                .as_str()
                .is_some_and(|n| !n.is_empty()),
            "{before}"
        );
        assert!(before[probe]["reachable"].is_boolean());
    }
    // Issue #12 item 9: on Linux, doctor says who else can read the items.
    if cfg!(target_os = "linux") && before["secret_store"]["reachable"] == true {
        let detail = before["secret_store"]["detail"].as_str().unwrap();
        assert!(
            detail.contains("any program running as you can read"),
            "{detail}"
        );
    }

    let _broker = home.serve();
    let after = doctor();
    assert_eq!(after["mcp_socket"]["reachable"], true, "{after}");
    assert_eq!(after["broker"]["ok"], true, "{after}");
    assert_eq!(after["sofa_feed"]["ok"], true, "{after}");
    assert_eq!(after["sofa_feed"]["feed"]["source"], common::SOFA_FIXTURE);
    assert!(after["sofa_feed"]["feed"]["sofa_updated_at"].is_string());
    let detail = after["sofa_feed"]["detail"].as_str().unwrap();
    assert!(detail.contains("SOFA updated"), "{detail}");
    assert!(
        after["audit_chain"]["detail"]
            .as_str()
            .unwrap()
            .starts_with("the chain"),
        "{after}"
    );
    // Doctor was no assistant: nothing on the allow-list, nothing refused on the audit.
    let listed = home
        .latchkey(&["assistants", "list", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&listed.stdout).unwrap(),
        serde_json::json!([])
    );
    let refused = home
        .latchkey(&[
            "audit",
            "search",
            "--decision",
            "refused-unknown-client",
            "--json",
        ])
        .output()
        .unwrap();
    let refused: serde_json::Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert_eq!(refused, serde_json::json!([]));
}

/// With no session bus to talk to, doctor says the secret store is unreachable and why.
#[test]
fn doctor_explains_an_unreachable_secret_store() {
    let home = Home::new();
    let out = home
        .latchkey(&["doctor", "--json"])
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", home.dir.join("no-bus").display()),
        )
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "an unreachable store is a failed check"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["secret_store"]["reachable"], false);
    assert!(
        report["secret_store"]["detail"]
            .as_str()
            .unwrap()
            .starts_with("session bus:"),
        "{report}"
    );
}

#[test]
fn doctor_prints_a_readable_report() {
    let out = Home::new().latchkey(&["doctor"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(&format!("Latchkey {VERSION} on {}", std::env::consts::OS)),
        "{text}"
    );
    for line in [
        "secret store",
        "presence check",
        "MCP socket",
        "broker",
        "SOFA feed",
        "audit chain",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
}

#[test]
fn bridge_without_a_broker_says_so_in_one_line() {
    let home = Home::new();
    let out = home
        .latchkey(&["mcp"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr_of(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("no Latchkey broker is running") && err.contains("latchkey serve"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn bridge_carries_a_whole_mcp_session() {
    let home = Home::new();
    let _broker = home.serve();
    let mut bridge = tokio::process::Command::from(home.latchkey(&["mcp"]))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (stdin, stdout) = (bridge.stdin.take().unwrap(), bridge.stdout.take().unwrap());
    let client = ().serve((stdout, stdin)).await.expect("handshake through the bridge");
    let status = common::status(&client).await;
    assert_eq!(status["version"], VERSION);
    // Closing the client's side (the bridge's stdin) ends the bridge cleanly.
    drop(client);
    let exit = tokio::time::timeout(std::time::Duration::from_secs(10), bridge.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn print_config_names_this_binary_for_every_client() {
    let real = std::fs::canonicalize(LATCHKEY).unwrap();
    for client in ["claude-desktop", "claude-code", "cursor"] {
        let out = Home::new()
            .latchkey(&["mcp", "--print-config", client])
            .output()
            .unwrap();
        assert!(out.status.success(), "{client}: {}", stderr_of(&out));
        let snippet: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let server = &snippet["mcpServers"]["latchkey"];
        assert_eq!(server["command"], real.to_str().unwrap(), "{client}");
        assert_eq!(server["args"], serde_json::json!(["mcp"]), "{client}");
        assert!(
            stderr_of(&out).contains("mcpServers"),
            "{client} says where to paste"
        );
    }
    let out = Home::new()
        .latchkey(&["mcp", "--print-config", "notepad"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr_of(&out).contains("claude-desktop"),
        "lists the valid clients"
    );
}

#[test]
fn second_broker_exits_with_a_clear_message() {
    let home = Home::new();
    let first = home.serve();
    let out = home.latchkey(&["serve"]).output().unwrap();
    assert!(!out.status.success());
    let err = stderr_of(&out);
    assert!(
        err.contains(&format!(
            "another Latchkey broker is already running (pid {})",
            first.pid()
        )),
        "{err}"
    );
    // ...and the first one is unharmed.
    common::wait_for_socket(&home.socket());
}

#[test]
fn a_stale_socket_is_replaced_but_a_file_is_not() {
    let home = Home::new();
    std::fs::create_dir_all(&home.dir).unwrap();
    drop(std::os::unix::net::UnixListener::bind(home.socket()).unwrap());
    drop(home.serve()); // killed: leaves its socket behind, as a crash would
    std::fs::remove_file(home.socket()).unwrap();
    std::fs::write(home.socket(), b"not a socket").unwrap();
    let out = home.latchkey(&["serve"]).output().unwrap();
    assert!(!out.status.success());
    assert!(
        stderr_of(&out).contains("is not a socket; refusing to replace it"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(std::fs::read(home.socket()).unwrap(), b"not a socket");
}

#[test]
fn a_state_dir_owned_by_someone_else_is_refused() {
    if !common::require_root("a_state_dir_owned_by_someone_else_is_refused") {
        return;
    }
    let home = Home::new();
    std::fs::create_dir_all(&home.dir).unwrap();
    std::os::unix::fs::chown(&home.dir, Some(65534), Some(65534)).unwrap();
    let out = home.latchkey(&["serve"]).output().unwrap();
    assert!(!out.status.success());
    assert!(
        stderr_of(&out).contains("is owned by uid 65534, not by you (uid 0)"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn serve_creates_a_private_dir_and_socket_and_removes_the_socket_on_sigterm() {
    let home = Home::new();
    let mut broker = home.serve();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&home.dir), 0o700);
    assert_eq!(mode(&home.socket()), 0o600);
    let pid = rustix::process::Pid::from_raw(broker.pid() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let status = broker.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(!home.socket().exists());
}

/// Issue #12, item 6: a second state directory (`LATCHKEY_HOME=/tmp/x latchkey serve`) must
/// not host a shadow broker over the same secret store with its own allow-list and audit.
#[test]
fn issue_12_a_second_latchkey_home_is_no_second_broker() {
    let home = Home::new();
    let first = home.serve();
    let shadow = Home::beside(&home);
    let mut second = shadow
        .latchkey(&["serve"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while second.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = second.kill();
            let _ = second.wait();
            panic!("a shadow broker started in {}", shadow.dir.display());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = second.wait_with_output().unwrap();
    assert!(!out.status.success());
    let err = stderr_of(&out);
    assert!(
        err.contains(&format!(
            "another Latchkey broker is already running (pid {}) with its state in {}",
            first.pid(),
            home.dir.display()
        )),
        "{err}"
    );
    assert!(!shadow.socket().exists(), "the shadow bound a socket");
    common::wait_for_socket(&home.socket());
}

/// Issue #12, item 16: `make app` checks every `latchkey` left in target/, release too (where
/// `make bench` leaves a build with the scripted presence check).
#[test]
fn issue_12_check_shipped_catches_a_test_build_in_release() {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/check-shipped.sh"
    );
    let target = tempfile::tempdir().unwrap();
    let put = |profile: &str, bin: &str, body: &[u8]| {
        let dir = target.path().join(profile);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(bin), body).unwrap();
    };
    let check = || {
        std::process::Command::new(script)
            .arg(target.path())
            .output()
            .unwrap()
    };
    put("debug", "latchkey", b"shipped");
    put("debug", "latchkey-app", b"shipped");
    assert!(check().status.success(), "{}", stderr_of(&check()));
    put("release", "latchkey", b"...LATCHKEY_SCRIPTED_PRESENCE...");
    put("release", "latchkey-app", b"shipped");
    let out = check();
    assert!(!out.status.success());
    assert!(
        stderr_of(&out).contains("release/latchkey contains"),
        "{}",
        stderr_of(&out)
    );
    put("release", "latchkey", b"shipped");
    assert!(check().status.success());
}

/// Issue #12, item 7: `latchkey serve` turns core dumps off before it reads a secret.
#[cfg(target_os = "linux")]
#[test]
fn issue_12_serve_dumps_no_core() {
    let home = Home::new();
    let broker = home.serve();
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", broker.pid())).unwrap();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    let words: Vec<&str> = core.split_whitespace().collect();
    assert_eq!(&words[4..6], ["0", "0"], "{core}");
}
