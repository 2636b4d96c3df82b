//! The fake vCenter as a process, for end-to-end tests of the app and CLI:
//!
//! ```text
//! VSPHERE_MOCK_PASSWORD=s3cret cargo run -p latchkey-vsphere-mock -- --vms 30 --hosts 3
//! ```
//!
//! Serves over TLS with a fresh self-signed certificate (a vCenter a person pins), on
//! 127.0.0.1 and a free port; prints `listening on 127.0.0.1:PORT`, then serves until killed.
//! The account is `administrator@vsphere.local` with the password from `VSPHERE_MOCK_PASSWORD`
//! (never argv, where other processes could read it).
//!
//! `GET /__mock/power` (no session) answers `{"requests": [{"path", "query"}], "vms": [{"id",
//! "name", "power_state", "host"}]}`: every power request received and each VM's state now, so
//! a test can check that exactly one action, or none, reached the vCenter.

use std::io::Write;
use std::process::ExitCode;

use latchkey_vsphere_mock::{Config, FakeVcenter};

fn usage(problem: &str) -> ExitCode {
    eprintln!("vsphere-mock: {problem}");
    eprintln!("usage: vsphere-mock [--vms N] [--hosts N]  (password: VSPHERE_MOCK_PASSWORD)");
    ExitCode::from(2)
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut config = Config::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let Some(value) = args.next().and_then(|v| v.parse::<usize>().ok()) else {
            return usage(&format!("{flag} needs a number"));
        };
        match flag.as_str() {
            "--vms" => config.vms = value,
            "--hosts" if value > 0 => config.hosts = value,
            other => return usage(&format!("unknown argument {other}")),
        }
    }
    match std::env::var("VSPHERE_MOCK_PASSWORD") {
        Ok(password) if !password.is_empty() => config.password = password,
        _ => return usage("no password: set VSPHERE_MOCK_PASSWORD"),
    }
    let fake = FakeVcenter::start_tls(config).await;
    println!("listening on {}", fake.host());
    let _ = std::io::stdout().flush();
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
