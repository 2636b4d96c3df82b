//! The vCenter tools through the broker's MCP server, against the fake vCenter over TLS on
//! loopback, its self-signed certificate pinned in the credential: a locked domain is refused
//! (and audited as such) before anything reaches vCenter, an unlocked one answers every tool
//! on one vCenter session, locking deletes that session, and the password appears in no
//! answer.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use latchkey_audit::{Decision, EntryKind};
use latchkey_broker::{LatchkeyServer, Target};
use latchkey_vault::{Account, Domain, NewCredential, Requester, SecretString, TlsPolicy};
use latchkey_vsphere::Fingerprint;
use latchkey_vsphere_mock::{Config, FakeVcenter, vm_id};
use rmcp::RoleClient;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use serde_json::{Value, json};

const CANARY: &str = "vcenter-canary-password-5e1f";

async fn call(
    client: &RunningService<RoleClient, ()>,
    tool: &str,
    arguments: Value,
) -> CallToolResult {
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object")
    };
    client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments))
        .await
        .unwrap()
}

fn answer(result: &CallToolResult) -> Value {
    let text = serde_json::to_string(result).unwrap();
    assert!(!text.contains(CANARY), "the password leaked: {text}");
    assert_ne!(result.is_error, Some(true), "{text}");
    result
        .structured_content
        .clone()
        .expect("structured content")
}

fn text(result: &CallToolResult) -> String {
    serde_json::to_string(result).unwrap()
}

/// The fake vCenter over TLS, and broker services holding its credential (its certificate
/// pinned), still locked; the person at any prompt approves.
async fn vcenter_behind() -> (FakeVcenter, latchkey_broker::Services, Domain) {
    let fake = FakeVcenter::start_tls(Config {
        password: CANARY.into(),
        ..Config::default()
    })
    .await;
    let pin = Fingerprint::of(fake.certificate().expect("TLS"));
    let base = common::services();
    let services = latchkey_broker::Services::new(
        base.sofa,
        Arc::new(latchkey_broker::CredentialService::new(
            Arc::new(latchkey_vault::MemoryStore::new()),
            Arc::new(common::TestPresence::approving()),
        )),
        base.assistants,
        base.audit,
    );
    let added = services
        .credentials
        .add(
            NewCredential {
                label: "Fake vCenter".into(),
                account: Account::Vcenter {
                    host: fake.host(),
                    username: "administrator@vsphere.local".into(),
                    tls: TlsPolicy::Pinned {
                        sha256: pin.to_string(),
                    },
                },
                secret: SecretString::from(CANARY),
                source: None,
            },
            Requester::App,
        )
        .await
        .unwrap();
    (fake, services, added.domain)
}

#[tokio::test]
async fn vsphere_tools_need_an_unlocked_domain_and_answer_on_one_session() {
    let (fake, services, domain) = vcenter_behind().await;
    assert_eq!(domain.as_str(), format!("vcenter:{}", fake.host()));
    let log = services.audit.log().unwrap();
    let client = common::client_for(LatchkeyServer::new(services.clone(), None)).await;

    // Locked: refused before anything reaches vCenter, and recorded as refused.
    let refused = call(&client, "vsphere_list_vms", json!({})).await;
    assert_eq!(refused.is_error, Some(true));
    assert!(
        text(&refused).contains(&format!("domain {domain} is locked")),
        "{}",
        text(&refused)
    );
    assert!(fake.seen().is_empty());
    let last = log.tail(1).unwrap().pop().unwrap();
    assert_eq!(last.kind, EntryKind::Intent);
    assert_eq!(last.decision, Some(Decision::RefusedLocked));

    services
        .credentials
        .unlock(Target::One(domain.clone()), None, Requester::App, None)
        .await
        .unwrap();

    let page = answer(
        &call(
            &client,
            "vsphere_list_vms",
            json!({ "power_state": "powered_on", "limit": 5 }),
        )
        .await,
    );
    assert_eq!(page["domain"], domain.as_str());
    assert_eq!(page["total"], 10);
    assert_eq!(page["vms"].as_array().unwrap().len(), 5);
    assert_eq!(page["vms"][0]["power_state"], "POWERED_ON");

    let vm = answer(&call(&client, "vsphere_vm_details", json!({ "vm": "app-00007" })).await);
    assert_eq!(vm["id"], vm_id(7));
    assert_eq!(vm["guest_os"], "UBUNTU_64");

    for (tool, total) in [
        ("vsphere_list_hosts", 3),
        ("vsphere_list_clusters", 1),
        ("vsphere_list_datacenters", 1),
        ("vsphere_list_datastores", 2),
        ("vsphere_list_networks", 4),
        ("vsphere_list_folders", 2),
    ] {
        let list = answer(&call(&client, tool, json!({ "domain": fake.host() })).await);
        assert_eq!(list["total"], total, "{tool}");
    }
    let vlan = answer(&call(&client, "vsphere_find_vlan", json!({ "vlan": 200 })).await);
    assert_eq!(vlan["items"][0]["name"], "v200-dmz");
    assert!(vlan["vlan_note"].as_str().unwrap().contains("no VLAN ids"));
    assert_eq!(fake.sessions_created(), 1, "one session for every call");

    let unknown = call(
        &client,
        "vsphere_list_hosts",
        json!({ "domain": "nope.example.com" }),
    )
    .await;
    assert!(
        text(&unknown).contains("vcenter:nope.example.com is not a vCenter domain"),
        "{}",
        text(&unknown)
    );

    // Locking deletes the vCenter session.
    services.credentials.lock(&Target::All);
    let deleted = async {
        while fake.live_sessions() > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), deleted)
        .await
        .expect("the vCenter session was not deleted when the domain locked");
    let again = call(&client, "vsphere_list_hosts", json!({})).await;
    assert!(text(&again).contains("is locked"), "{}", text(&again));
    client.cancel().await.unwrap();
}

/// Issue #13: a VM's power changes only with the person's approval, whose card names the VM
/// by name and id, its host, the action and its state now; approved, the fake vCenter powers
/// it off exactly once and the audit holds the approval before the outcome; denied or not
/// answered, vCenter receives nothing; an unknown VM is refused before anyone is asked.
#[tokio::test]
async fn a_vm_power_change_waits_for_the_person() {
    let (fake, services, domain) = vcenter_behind().await;
    services
        .credentials
        .unlock(Target::One(domain.clone()), None, Requester::App, None)
        .await
        .unwrap();
    let client = Arc::new(common::client_for(LatchkeyServer::new(services.clone(), None)).await);
    let vm = vm_id(6); // i % 3 == 0: powered on
    assert_eq!(fake.vm(&vm).unwrap().power_state, "POWERED_ON");

    let stopping = common::start_call(
        &client,
        "vsphere_vm_power",
        json!({ "vm": "app-00006", "action": "stop" }),
    );
    let asked = common::pending(&services).await;
    assert_eq!(asked.tool, "vsphere_vm_power");
    assert_eq!(asked.domain.as_deref(), Some(domain.as_str()));
    assert_eq!(asked.targets.len(), 1);
    assert_eq!(
        (asked.targets[0].name.as_str(), asked.targets[0].id.as_str()),
        ("app-00006", vm.as_str())
    );
    assert!(
        asked.summary.starts_with(&format!(
            "stop (power off at once, like pulling the plug) VM app-00006 ({vm}) on host "
        )),
        "{}",
        asked.summary
    );
    assert!(
        asked.summary.ends_with("; it is powered on now"),
        "{}",
        asked.summary
    );
    assert_eq!(fake.power_requests(), 0, "nothing is sent before approval");
    services
        .approvals
        .approve(&asked.id, None, &latchkey_broker::Actor::app())
        .await
        .unwrap();
    let done = answer(&stopping.await.unwrap());
    assert_eq!(done["outcome"], "done");
    assert_eq!(done["power_state"], "POWERED_OFF");
    assert_eq!(fake.power_requests(), 1);
    assert_eq!(fake.vm(&vm).unwrap().power_state, "POWERED_OFF");

    let log = services.audit.log().unwrap().tail(100).unwrap();
    let at = |what: &dyn Fn(&latchkey_audit::Entry) -> bool| log.iter().position(what).unwrap();
    let approval = at(&|e| e.tool.as_deref() == Some("approval.approve"));
    let intent =
        at(&|e| e.kind == EntryKind::Intent && e.tool.as_deref() == Some("vsphere_vm_power"));
    let outcome =
        at(&|e| e.kind == EntryKind::Outcome && e.tool.as_deref() == Some("vsphere_vm_power"));
    assert!(approval < intent && intent < outcome, "{log:#?}");
    assert_eq!(log[intent].decision, Some(Decision::Approved));

    // Denied, then not answered in time: vCenter hears nothing more.
    let starting = common::start_call(
        &client,
        "vsphere_vm_power",
        json!({ "vm": vm, "action": "start" }),
    );
    let asked = common::pending(&services).await;
    services
        .approvals
        .deny(&asked.id, &latchkey_broker::Actor::app())
        .await
        .unwrap();
    let denied = starting.await.unwrap();
    assert!(
        text(&denied).contains("denied by the person"),
        "{}",
        text(&denied)
    );
    services.approvals.set_timeout(Duration::from_millis(200));
    let unanswered = common::start_call(
        &client,
        "vsphere_vm_power",
        json!({ "vm": vm, "action": "reset" }),
    )
    .await
    .unwrap();
    assert!(
        text(&unanswered).contains("not approved within"),
        "{}",
        text(&unanswered)
    );
    assert_eq!(fake.power_requests(), 1);
    assert_eq!(fake.vm(&vm).unwrap().power_state, "POWERED_OFF");

    // An unknown VM: refused with why, nobody asked.
    let unknown = common::start_call(
        &client,
        "vsphere_vm_power",
        json!({ "vm": "no-such-vm", "action": "start" }),
    )
    .await
    .unwrap();
    assert_eq!(unknown.is_error, Some(true));
    assert!(text(&unknown).contains("no-such-vm"), "{}", text(&unknown));
    assert!(services.approvals.pending().is_empty());
    assert!(!serde_json::to_string(&log).unwrap().contains(CANARY));
}
