//! The MCP socket under hostile or careless peers: other users, connection churn, garbage
//! and oversized frames. The broker must keep serving well-behaved clients and must not
//! leak file descriptors.

use crate::common;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::Home;
use latchkey_broker::VERSION;

const NOBODY: &str = "65534";

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("read the broker's fd table")
        .count()
}

/// Waits for the broker to close what the test's connections left behind.
fn wait_for_fds(pid: u32, expected: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = open_fds(pid);
        if now <= expected || Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The fd count once the broker has finished closing a session (two equal readings).
fn settled_fds(pid: u32) -> usize {
    let mut last = open_fds(pid);
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(50));
        let now = open_fds(pid);
        if now == last {
            return now;
        }
        last = now;
    }
    last
}

fn as_nobody(args: &[&str]) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups", "--"])
        .args(args);
    cmd
}

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"probe","version":"1"}}}"#;

/// Sends an initialize request and returns whatever the broker answers before closing.
fn raw_initialize(stream: &mut UnixStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = stream.write_all(format!("{INITIALIZE}\n").as_bytes());
    let mut answer = [0u8; 4096];
    match stream.read(&mut answer) {
        Ok(n) => String::from_utf8_lossy(&answer[..n]).into_owned(),
        // Closed with our request unread: the kernel resets instead of a clean EOF.
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => String::new(),
        Err(e) => panic!("the broker neither answered nor closed: {e}"),
    }
}

#[test]
fn a_peer_with_another_uid_is_refused() {
    if !common::require_root("a_peer_with_another_uid_is_refused") {
        return;
    }
    // The broker runs as nobody; root can pass the 0600 file mode (DAC override), so only the
    // broker's peer-uid check stands between root's connection and the MCP server.
    let home = Home::traversable();
    std::fs::create_dir_all(&home.dir).unwrap();
    std::os::unix::fs::chown(&home.dir, Some(65534), Some(65534)).unwrap();
    let binary = home.shared_binary();
    let mut serve = as_nobody(&[binary.to_str().unwrap(), "serve"]);
    serve
        .env("LATCHKEY_HOME", &home.dir)
        // nobody's own runtime dir, for the one-broker lock
        .env("XDG_RUNTIME_DIR", &home.dir)
        .env("LATCHKEY_SOFA_FEED", common::SOFA_FIXTURE)
        .env("LATCHKEY_SCRIPTED_PRESENCE", "approve");
    let _broker = home.serve_with(serve);

    let mut stream = UnixStream::connect(home.socket()).expect("root reaches the socket file");
    assert_eq!(
        raw_initialize(&mut stream),
        "",
        "a foreign uid must get no MCP answer"
    );
}

#[test]
fn another_user_cannot_reach_our_socket() {
    if !common::require_root("another_user_cannot_reach_our_socket") {
        return;
    }
    let home = Home::traversable();
    let _broker = home.serve();
    let binary = home.shared_binary();
    let out = as_nobody(&[binary.to_str().unwrap(), "mcp"])
        .env("LATCHKEY_HOME", &home.dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no Latchkey broker is running") && err.contains("Permission denied"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn_garbage_and_oversized_lines_leave_the_broker_serving_without_leaks() {
    let home = Home::new();
    let broker = home.serve();
    let pid = broker.pid();
    let socket = home.socket();

    // Warm up once so lazily opened descriptors (epoll, eventfd) count as the baseline.
    let client = common::socket_client(&socket).await;
    assert_eq!(common::status(&client).await["version"], VERSION);
    client.cancel().await.unwrap();
    let baseline = settled_fds(pid);

    let hostile = socket.clone();
    tokio::task::spawn_blocking(move || {
        for _ in 0..1000 {
            drop(UnixStream::connect(&hostile).expect("connect"));
        }
        for garbage in [
            &b"\x00\xff\xfe garbage {{{\n"[..],
            b"not json at all\n",
            b"{\"jsonrpc\":\"2.0\"}\n",
        ] {
            let mut stream = UnixStream::connect(&hostile).unwrap();
            stream.write_all(garbage).unwrap();
        }
        // 4 MiB without a newline, then a newline: far past the 1 MiB line limit.
        let mut stream = UnixStream::connect(&hostile).unwrap();
        let chunk = vec![b'A'; 64 * 1024];
        for _ in 0..64 {
            if stream.write_all(&chunk).is_err() {
                break; // the broker may hang up on us, which is fine
            }
        }
        let _ = stream.write_all(b"\n");
        // A half-open handshake that then goes away.
        let mut stream = UnixStream::connect(&hostile).unwrap();
        stream.write_all(&INITIALIZE.as_bytes()[..40]).unwrap();
    })
    .await
    .unwrap();

    // Each of the storm's connections holds one of the 64 slots until the broker has seen it
    // go, and a client arriving while they are all held is told "too many". So the storm must
    // be let go of first; then a good client is served.
    let drained = wait_for_fds(pid, baseline);
    assert!(
        drained <= baseline,
        "broker holds {drained} fds 10 s after the storm, {baseline} before"
    );
    let client = common::socket_client(&socket).await;
    assert_eq!(
        common::status(&client).await["version"],
        VERSION,
        "a good client is still served"
    );
    client.cancel().await.unwrap();

    let after = wait_for_fds(pid, baseline);
    eprintln!("broker fds: {baseline} before, {after} after");
    assert!(
        after <= baseline,
        "broker holds {after} fds after the storm, {baseline} before"
    );
}

#[tokio::test]
async fn a_garbage_line_inside_a_session_does_not_end_other_sessions() {
    let home = Home::new();
    let _broker = home.serve();
    let socket = home.socket();
    let steady = common::socket_client(&socket).await;

    let mut rude = UnixStream::connect(&socket).unwrap();
    assert!(raw_initialize(&mut rude).contains("\"serverInfo\""));
    rude.write_all(b"}}}} this is not JSON-RPC\n").unwrap();
    drop(rude);

    assert_eq!(common::status(&steady).await["version"], VERSION);
}

/// Issue #12, item 14: a connection that sends nothing is closed after the idle timeout
/// (shortened to 2 s here): an MCP peer that finished its handshake but neither sends nor
/// answers the broker's ping, and a quiet control connection. A live MCP client, which
/// answers pings, keeps its session however long it says nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_12_quiet_connections_are_closed_and_live_sessions_kept() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let home = Home::new();
    let mut serve = home.latchkey(&["serve"]);
    serve
        .env("LATCHKEY_SCRIPTED_PRESENCE", "approve")
        .env("LATCHKEY_IDLE_TIMEOUT_SECS", "2");
    let _broker = home.serve_with(serve);
    let live = common::socket_client(&home.socket()).await;

    // Far longer than the shortened timeout: only a broker that never closes takes it.
    let closes = Duration::from_secs(30);
    let mut quiet = tokio::net::UnixStream::connect(home.socket())
        .await
        .unwrap();
    let initialized = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
    quiet
        .write_all(format!("{INITIALIZE}\n{initialized}\n").as_bytes())
        .await
        .unwrap();
    let mut told = Vec::new();
    tokio::time::timeout(closes, quiet.read_to_end(&mut told))
        .await
        .expect("a quiet MCP session is closed")
        .unwrap();
    let told = String::from_utf8_lossy(&told);
    assert!(
        told.contains("\"serverInfo\"") && told.contains("\"method\":\"ping\""),
        "pinged before it was let go: {told}"
    );

    let mut control = tokio::net::UnixStream::connect(home.dir.join("control.sock"))
        .await
        .unwrap();
    let mut told = Vec::new();
    tokio::time::timeout(closes, control.read_to_end(&mut told))
        .await
        .expect("a quiet control connection is closed")
        .unwrap();
    assert!(told.is_empty());

    // The live client has said nothing for longer than the timeout, but answered the pings.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(common::status(&live).await["version"], VERSION);
}
