//! `make bench`: vCenter through the broker, against the fake vCenter over TLS (pinned) on
//! loopback. Targets (issue #13):
//! - `vsphere_list_vms` over 10,000 VMs (a page of 1,000; vCenter's 4,000 cap makes the client
//!   list them host by host), end to end through MCP: ≤ 300 ms (median, warm session);
//! - a warm-session read (`list_datacenters`, a tiny answer) from a `VsphereClient`: ≤ 2 ms beyond the
//!   server's own time. The fake's handler time is not subtracted, so the figure is an upper
//!   bound on the client's share.

#[path = "../tests/it/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use latchkey_broker::{CredentialService, LatchkeyServer, Services, Target};
use latchkey_vault::{Account, MemoryStore, NewCredential, Requester, SecretString, TlsPolicy};
use latchkey_vsphere::Fingerprint;
use latchkey_vsphere_mock::{Config, FakeVcenter};
use rmcp::model::CallToolRequestParams;

const PASSWORD: &str = "bench-vcenter-password";
const LIST_RUNS: usize = 15;
const READS: usize = 300;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn line(what: &str, value: Duration, target: Duration) {
    println!(
        "{what:<58} median {:>8.2} ms   target ≤ {:>5.1} ms  {}",
        value.as_secs_f64() * 1e3,
        target.as_secs_f64() * 1e3,
        if value <= target { "MET" } else { "MISSED" }
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let fake = FakeVcenter::start_tls(Config {
            vms: 10_000,
            hosts: 4,
            password: PASSWORD.into(),
            ..Config::default()
        })
        .await;
        let pin = Fingerprint::of(fake.certificate().expect("TLS"));
        let base = common::services();
        let services = Services::new(
            base.sofa,
            Arc::new(CredentialService::new(
                Arc::new(MemoryStore::new()),
                Arc::new(common::TestPresence::approving()),
            )),
            base.assistants,
            base.audit,
        );
        let added = services
            .credentials
            .add(
                NewCredential {
                    label: "Bench vCenter".into(),
                    account: Account::Vcenter {
                        host: fake.host(),
                        username: "administrator@vsphere.local".into(),
                        tls: TlsPolicy::Pinned {
                            sha256: pin.to_string(),
                        },
                    },
                    secret: SecretString::from(PASSWORD),
                    source: None,
                },
                Requester::App,
            )
            .await
            .unwrap();
        services
            .credentials
            .unlock(
                Target::One(added.domain.clone()),
                None,
                Requester::App,
                None,
            )
            .await
            .unwrap();

        let client = common::client_for(LatchkeyServer::new(services.clone(), None)).await;
        let arguments = serde_json::json!({ "limit": 1000 });
        let mut samples = Vec::with_capacity(LIST_RUNS);
        for run in 0..=LIST_RUNS {
            let start = Instant::now();
            let result = client
                .call_tool(
                    CallToolRequestParams::new("vsphere_list_vms")
                        .with_arguments(arguments.as_object().unwrap().clone()),
                )
                .await
                .unwrap();
            let took = start.elapsed();
            let page = result.structured_content.expect("a page");
            assert_eq!(page["total"], 10_000);
            if run > 0 {
                // The first run also logs in.
                samples.push(took);
            }
        }
        line(
            "vsphere_list_vms, 10,000 VMs, page of 1,000, through MCP",
            median(samples),
            Duration::from_millis(300),
        );

        let vc = latchkey_vsphere::VsphereClient::new(
            &fake.host(),
            "administrator@vsphere.local",
            latchkey_vsphere::Secret::new(PASSWORD.into()),
            latchkey_vsphere::Trust::Pinned(pin),
            latchkey_vsphere::default_options(),
        )
        .unwrap();
        vc.whoami().await.unwrap();
        let mut samples = Vec::with_capacity(READS);
        for _ in 0..READS {
            let start = Instant::now();
            vc.list_datacenters().await.unwrap();
            samples.push(start.elapsed());
        }
        line(
            "warm-session read (list_datacenters), fake's time included",
            median(samples),
            Duration::from_millis(2),
        );
        assert_eq!(
            fake.sessions_created(),
            2,
            "one session for MCP, one for the client"
        );
        client.cancel().await.unwrap();
    });
}
