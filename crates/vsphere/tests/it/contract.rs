//! Contract tests: the vCenter client against Prism serving the vSphere 7.0.3 REST API
//! description (`../shared/fixtures/vsphere/derived/vsphere-subset-7.0.3.swagger2.json`, see
//! its README), behind latchkey-prism-harness's recording proxy. Prism answers 400/401/422 to
//! a request that breaks the description (a bogus power action, a missing session header, a
//! filter it does not know) and schema-shaped placeholders otherwise, so a passing test means
//! every request each client method makes is one vCenter 7.0.3 accepts the shape of, on both
//! `/api` and, with `/api` answered 404 by the proxy (a 6.7-style vCenter), `/rest`; and that
//! the answers decode. Needs `scripts/setup.sh --test` (Prism) and the shared fixtures;
//! skipped without them outside CI.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use latchkey_prism_harness::{Prism, Recorder};
use latchkey_vsphere::{
    ApiFlavor, PowerAction, PowerState, Secret, Trust, VmFilter, VsphereClient, default_options,
};
use serde_json::Value;

fn spec() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/vsphere/derived/vsphere-subset-7.0.3.swagger2.json")
}

/// The description and the one Prism serving it in this test binary; `None` when missing
/// outside CI.
fn prism() -> Option<(std::net::SocketAddr, Arc<Value>)> {
    static PRISM: OnceLock<(Prism, Arc<Value>)> = OnceLock::new();
    if !latchkey_prism_harness::require("the vSphere contract test", &[spec()]) {
        return None;
    }
    let (prism, schema) = PRISM.get_or_init(|| {
        let text = std::fs::read(spec()).expect("read the vSphere description");
        let schema = serde_json::from_slice(&text).expect("description JSON");
        (
            Prism::start("vsphere.json", &text, "vsphere"),
            Arc::new(schema),
        )
    });
    Some((prism.addr, schema.clone()))
}

fn client(recorder: &Recorder) -> VsphereClient {
    VsphereClient::new(
        &recorder.base_url,
        "administrator@vsphere.local",
        Secret::new("contract-canary-password".into()),
        Trust::SystemRoots,
        default_options(),
    )
    .expect("client")
}

/// Every read and power call the client has, once each; returns what it learnt.
async fn every_call(c: &VsphereClient) {
    let filters = [
        VmFilter::default(),
        VmFilter {
            name: Some("web-01".into()),
            power_state: Some(PowerState::PoweredOn),
            ..VmFilter::default()
        },
        VmFilter {
            host: Some("host-12".into()),
            cluster: Some("domain-c7".into()),
            folder: Some("group-v3".into()),
            datacenter: Some("datacenter-2".into()),
            ..VmFilter::default()
        },
    ];
    for filter in &filters {
        c.list_vms(filter, 0, 100).await.expect("list_vms");
    }
    c.vm_details("vm-42").await.expect("vm_details");
    c.power_state("vm-42").await.expect("power_state");
    for action in [
        PowerAction::Start,
        PowerAction::Stop,
        PowerAction::Reset,
        PowerAction::Suspend,
        PowerAction::Shutdown,
        PowerAction::Reboot,
    ] {
        c.power("vm-42", action).await.expect("power");
    }
    c.list_hosts().await.expect("list_hosts");
    c.list_clusters().await.expect("list_clusters");
    c.list_datacenters().await.expect("list_datacenters");
    c.list_datastores().await.expect("list_datastores");
    c.list_networks().await.expect("list_networks");
    c.list_folders().await.expect("list_folders");
    c.logout().await.expect("logout");
}

#[tokio::test]
async fn every_api_request_is_accepted_and_every_answer_decodes() {
    let Some((upstream, schema)) = prism() else {
        return;
    };
    let recorder = Recorder::start(upstream, schema).await;
    let c = client(&recorder);
    let who = c.whoami().await.expect("whoami");
    assert_eq!(who.api, Some(ApiFlavor::Api));
    every_call(&c).await;
    let all = recorder.assert_all_accepted();
    let paths: Vec<&str> = all.iter().map(|x| x.target.as_str()).collect();
    assert!(
        paths.contains(&"/api/vcenter/vm/vm-42/power?action=start"),
        "{paths:?}"
    );
    assert!(paths.contains(&"/api/vcenter/vm/vm-42/guest/power?action=reboot"));
    assert!(paths.iter().any(|p| p.starts_with("/api/vcenter/vm?")
        && p.contains("hosts=host-12")
        && p.contains("datacenters=datacenter-2")));
    assert!(
        all.iter()
            .any(|x| x.method == "DELETE" && x.target == "/api/session")
    );
}

#[tokio::test]
async fn every_rest_request_is_accepted_when_api_is_missing() {
    let Some((upstream, schema)) = prism() else {
        return;
    };
    let recorder = Recorder::refusing(upstream, schema, "/api/").await;
    let c = client(&recorder);
    every_call(&c).await;
    assert_eq!(c.api_flavor(), Some(ApiFlavor::Rest));
    let all = recorder.assert_all_accepted();
    let paths: Vec<&str> = all.iter().map(|x| x.target.as_str()).collect();
    assert!(
        paths.contains(&"/rest/vcenter/vm/vm-42/power/start"),
        "{paths:?}"
    );
    assert!(paths.contains(&"/rest/vcenter/vm/vm-42/guest/power?action=shutdown"));
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("/rest/vcenter/vm?") && p.contains("filter.names=web-01"))
    );
    assert!(all.iter().all(|x| x.target.starts_with("/rest/")));
}

/// Prism does check: a request outside the description is refused, so the tests above can
/// fail.
#[tokio::test]
async fn prism_refuses_what_the_description_does_not_allow() {
    let Some((upstream, _)) = prism() else {
        return;
    };
    let http = reqwest::Client::new();
    let bogus = http
        .post(format!(
            "http://{upstream}/api/vcenter/vm/vm-42/power?action=explode"
        ))
        .header("vmware-api-session-id", "x")
        .send()
        .await
        .expect("Prism");
    assert!(bogus.status().is_client_error(), "{}", bogus.status());
    let no_session = http
        .get(format!("http://{upstream}/api/vcenter/vm"))
        .send()
        .await
        .expect("Prism");
    assert_eq!(no_session.status(), 401);
}
