//! The test suite's mock Jamf Pro server as a process, for end-to-end tests of the broker, CLI
//! and app:
//!
//! ```text
//! JAMF_MOCK_SECRET=s3cret cargo run -p latchkey-jamf-mock -- --computers 500
//! echo s3cret | cargo run -p latchkey-jamf-mock -- --port 8089 --client-id my-client
//! ```
//!
//! Prints `listening on http://127.0.0.1:PORT`, then one JSON line with how many computers
//! report each macOS version (`""` for none), then serves until killed. The accepted
//! secret (API client secret, and the password of user "admin") comes from `JAMF_MOCK_SECRET`
//! or else stdin's first line, never from argv, where other processes could read it. The
//! computers are generated deterministically (see `generate` in lib.rs), so a
//! test can compute the expected fleet figures with the same SOFA fixture.
//!
//! `GET /__mock/received` (no token) answers `{"changes": [...]}`: every change the mock
//! accepted, oldest first, e.g. `{"kind": "software_update_plan", "devices": ["3", "7"],
//! "group": null, "update_action": "DOWNLOAD_INSTALL_SCHEDULE", "version_type":
//! "SPECIFIC_VERSION", "specific_version": "15.7.9", "force_install_local_date_time":
//! "2026-12-13T17:00:00", "plan_ids": [...]}`, `{"kind": "blank_push", ...}` or
//! `{"kind": "redeploy_framework", "computer_id": 3}`; so an end-to-end test can check that
//! exactly one plan, or nothing, reached Jamf Pro.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use latchkey_jamf_mock::{Mock, MockConfig};

fn usage(problem: &str) -> ExitCode {
    eprintln!("jamf-mock: {problem}");
    eprintln!(
        "usage: jamf-mock [--computers N] [--port P] [--client-id ID]  (secret: JAMF_MOCK_SECRET or stdin)"
    );
    ExitCode::from(2)
}

fn secret() -> Option<String> {
    if let Ok(secret) = std::env::var("JAMF_MOCK_SECRET") {
        return Some(secret);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok()?;
    let line = line.trim_end_matches(['\r', '\n']).to_owned();
    (!line.is_empty()).then_some(line)
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut config = MockConfig {
        computers: 100,
        ..MockConfig::default()
    };
    let mut port = 0;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let Some(value) = args.next() else {
            return usage(&format!("{flag} needs a value"));
        };
        match flag.as_str() {
            "--computers" => match value.parse() {
                Ok(n) => config.computers = n,
                Err(_) => return usage("--computers takes a number"),
            },
            "--port" => match value.parse() {
                Ok(p) => port = p,
                Err(_) => return usage("--port takes a port number"),
            },
            "--client-id" => config.client_id = value,
            other => return usage(&format!("unknown argument {other}")),
        }
    }
    let Some(secret) = secret() else {
        return usage("no secret: set JAMF_MOCK_SECRET or give it as stdin's first line");
    };
    config.client_secret = secret.clone();
    config.password = secret;
    let mock = Mock::start_on(config, port).await;
    println!("listening on {}", mock.url());
    // What clients will see, so a test can work out the expected fleet figures itself.
    let mut versions = std::collections::BTreeMap::<&str, usize>::new();
    for computer in mock.computers() {
        *versions
            .entry(computer.visible_os_version().unwrap_or(""))
            .or_default() += 1;
    }
    println!("{}", serde_json::json!({ "os_versions": versions }));
    let _ = std::io::stdout().flush();
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
