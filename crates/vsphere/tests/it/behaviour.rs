//! The client's behaviour against the in-process fake vCenter (crates/vsphere-mock): paging
//! 10,000 VMs past vCenter's list cap, one reused session, renewal on a 401 mid-session, the
//! /api → /rest fallback, power-state transitions, 503 retries, an answer over the cap, a
//! redirect to another host, and no secret in any error.

use std::time::Duration;

use latchkey_vsphere::{
    ApiFlavor, PowerAction, PowerOutcome, PowerState, Secret, TransportOptions, Trust, VmFilter,
    VsphereClient, VsphereError, default_options,
};
use latchkey_vsphere_mock::{Config, FakeVcenter, Fault, Flavor, vm_id};

const PASSWORD: &str = "fake-vcenter-password";

fn options() -> TransportOptions {
    TransportOptions {
        retry_base_delay: Duration::from_millis(10),
        ..default_options()
    }
}

fn client_with(fake: &FakeVcenter, password: &str, options: TransportOptions) -> VsphereClient {
    VsphereClient::new(
        &fake.url(),
        "administrator@vsphere.local",
        Secret::new(password.into()),
        Trust::SystemRoots,
        options,
    )
    .expect("client")
}

fn client(fake: &FakeVcenter) -> VsphereClient {
    client_with(fake, PASSWORD, options())
}

async fn fake(config: Config) -> FakeVcenter {
    FakeVcenter::start(config).await
}

fn assert_no_secret(err: &VsphereError) {
    let text = format!("{err} {err:?}");
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(!text.contains("fake-session-"), "{text}");
}

#[tokio::test]
async fn ten_thousand_vms_are_paged_past_the_list_cap_on_one_session() {
    let fake = fake(Config {
        vms: 10_000,
        hosts: 4,
        ..Config::default()
    })
    .await;
    let c = client(&fake);
    let first = c
        .list_vms(&VmFilter::default(), 0, 1000)
        .await
        .expect("page 1");
    assert_eq!(first.total, 10_000);
    assert!(first.listed_by_host, "10,000 is over the cap of 4,000");
    assert_eq!(first.vms.len(), 1000);
    assert_eq!(first.vms[0].name, "app-00000");
    assert_eq!(first.vms[999].name, "app-00999");
    let last = c
        .list_vms(&VmFilter::default(), 9500, 1000)
        .await
        .expect("last page");
    assert_eq!(last.vms.len(), 500);
    assert_eq!(last.vms[499].name, "app-09999");
    assert_eq!(last.vms[499].memory_mib, Some(4096));

    // Under the cap, one call does.
    let on = VmFilter {
        power_state: Some(PowerState::PoweredOn),
        ..VmFilter::default()
    };
    let page = c.list_vms(&on, 0, 10).await.expect("powered on");
    assert_eq!(page.total, 3334);
    assert!(!page.listed_by_host);
    assert!(
        page.vms
            .iter()
            .all(|v| v.power_state.as_deref() == Some("POWERED_ON"))
    );

    assert_eq!(fake.sessions_created(), 1, "one session, reused");
    let seen = fake.seen();
    let filtered = seen
        .iter()
        .find(|s| s.query.as_deref() == Some("power_states=POWERED_ON"))
        .expect("the filter went to vCenter");
    assert!(filtered.session_ok);
}

#[tokio::test]
async fn a_page_past_the_end_is_empty_and_bad_pages_are_refused() {
    let fake = fake(Config::default()).await;
    let c = client(&fake);
    let page = c
        .list_vms(&VmFilter::default(), 100, 10)
        .await
        .expect("page");
    assert_eq!((page.total, page.vms.len()), (30, 0));
    assert!(matches!(
        c.list_vms(&VmFilter::default(), 0, 0).await,
        Err(VsphereError::InvalidArgument(_))
    ));
    let bad_host = VmFilter {
        host: Some("host-1/../../session".into()),
        ..VmFilter::default()
    };
    assert!(matches!(
        c.list_vms(&bad_host, 0, 10).await,
        Err(VsphereError::InvalidArgument(_))
    ));
}

#[tokio::test]
async fn a_401_mid_session_logs_in_again_once() {
    let fake = fake(Config::default()).await;
    let c = client(&fake);
    c.list_hosts().await.expect("hosts");
    fake.expire_sessions();
    let hosts = c
        .list_hosts()
        .await
        .expect("hosts after the session expired");
    assert_eq!(hosts.len(), 3);
    assert_eq!(fake.sessions_created(), 2);
}

#[tokio::test]
async fn a_wrong_password_is_refused_without_echoing_it() {
    let fake = fake(Config::default()).await;
    let c = client_with(&fake, "not-the-password-canary", options());
    let err = c.list_hosts().await.unwrap_err();
    assert!(
        matches!(err, VsphereError::Auth { status: 401, .. }),
        "{err}"
    );
    assert!(!err.to_string().contains("not-the-password-canary"));
    assert_eq!(fake.sessions_created(), 0);
}

#[tokio::test]
async fn a_6_7_vcenter_is_spoken_to_over_rest_and_remembered() {
    let fake = fake(Config {
        flavor: Flavor::Rest,
        ..Config::default()
    })
    .await;
    let c = client(&fake);
    let who = c.whoami().await.expect("whoami");
    assert_eq!(who.api, Some(ApiFlavor::Rest));
    let named = VmFilter {
        name: Some("app-00007".into()),
        ..VmFilter::default()
    };
    let page = c.list_vms(&named, 0, 10).await.expect("VMs over /rest");
    assert_eq!(page.vms[0].id, vm_id(7));
    let details = c.vm_details(&vm_id(7)).await.expect("details over /rest");
    assert_eq!(details.name.as_deref(), Some("app-00007"));
    assert_eq!(
        c.power(&vm_id(1), PowerAction::Start).await.expect("start"),
        PowerOutcome::Done
    );
    assert_eq!(fake.vm(&vm_id(1)).unwrap().power_state, "POWERED_ON");

    fake.expire_sessions();
    c.list_hosts().await.expect("hosts after renewal");
    let seen = fake.seen();
    let api_logins = seen.iter().filter(|s| s.path == "/api/session").count();
    assert_eq!(api_logins, 1, "the fallback is remembered: {seen:?}");
    assert!(
        seen.iter().any(|s| s.path == "/rest/vcenter/vm"
            && s.query.as_deref() == Some("filter.names=app-00007"))
    );
    assert!(
        seen.iter()
            .any(|s| s.path == "/rest/vcenter/vm/vm-1001/power/start")
    );
}

#[tokio::test]
async fn power_actions_move_the_vm_between_states() {
    let fake = fake(Config::default()).await;
    let c = client(&fake);
    let vm = vm_id(1); // powered off
    assert_eq!(
        c.power(&vm, PowerAction::Start).await.unwrap(),
        PowerOutcome::Done
    );
    assert_eq!(c.power_state(&vm).await.unwrap(), "POWERED_ON");
    assert_eq!(
        c.power(&vm, PowerAction::Start).await.unwrap(),
        PowerOutcome::AlreadyInState
    );
    assert_eq!(
        c.power(&vm, PowerAction::Suspend).await.unwrap(),
        PowerOutcome::Done
    );
    assert_eq!(fake.vm(&vm).unwrap().power_state, "SUSPENDED");
    let err = c.power(&vm, PowerAction::Shutdown).await.unwrap_err();
    assert!(
        err.to_string().contains("NOT_ALLOWED_IN_CURRENT_STATE"),
        "{err}"
    );
    assert_eq!(
        c.power(&vm, PowerAction::Start).await.unwrap(),
        PowerOutcome::Done
    );
    assert_eq!(
        c.power(&vm, PowerAction::Reboot).await.unwrap(),
        PowerOutcome::Done
    );
    assert_eq!(
        c.power(&vm, PowerAction::Shutdown).await.unwrap(),
        PowerOutcome::Done
    );
    assert_eq!(fake.vm(&vm).unwrap().power_state, "POWERED_OFF");
    let seen = fake.seen();
    assert!(
        seen.iter()
            .any(|s| s.path == "/api/vcenter/vm/vm-1001/power"
                && s.query.as_deref() == Some("action=start"))
    );
    assert!(
        seen.iter()
            .any(|s| s.path == "/api/vcenter/vm/vm-1001/guest/power"
                && s.query.as_deref() == Some("action=shutdown"))
    );
    let missing = c.power("vm-999999", PowerAction::Stop).await.unwrap_err();
    assert!(
        matches!(missing, VsphereError::NotFound { .. }),
        "{missing}"
    );
}

#[tokio::test]
async fn reads_are_retried_through_503_and_power_is_never_repeated() {
    let fake = fake(Config::default()).await;
    let c = client(&fake);
    c.whoami().await.expect("session");
    fake.inject([Fault::Status(503), Fault::Status(503)]);
    assert_eq!(c.list_hosts().await.expect("hosts").len(), 3);
    let tries = fake
        .seen()
        .iter()
        .filter(|s| s.path == "/api/vcenter/host")
        .count();
    assert_eq!(tries, 3);

    fake.inject(std::iter::repeat_n(Fault::Status(503), 4));
    let err = c.list_clusters().await.unwrap_err();
    assert!(
        err.to_string().contains("gave up after 4 attempts"),
        "{err}"
    );

    fake.inject([Fault::Status(503)]);
    let before = fake.power_requests();
    let err = c.power(&vm_id(1), PowerAction::Start).await.unwrap_err();
    assert!(
        err.to_string().contains("may or may not have been made"),
        "{err}"
    );
    assert_eq!(
        fake.power_requests(),
        before + 1,
        "a power call is sent once"
    );
    assert_eq!(fake.vm(&vm_id(1)).unwrap().power_state, "POWERED_OFF");
    assert_no_secret(&err);
}

#[tokio::test]
async fn an_answer_over_the_cap_is_not_read() {
    let fake = fake(Config::default()).await;
    let c = client_with(
        &fake,
        PASSWORD,
        TransportOptions {
            max_body: 64 << 10,
            ..options()
        },
    );
    c.whoami().await.expect("session");
    fake.inject([Fault::Oversized(1 << 20)]);
    let err = c.list_networks().await.unwrap_err();
    assert!(err.to_string().contains("over 64 KiB"), "{err}");
    assert_no_secret(&err);
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed() {
    let fake = fake(Config::default()).await;
    let elsewhere = FakeVcenter::start(Config::default()).await;
    let c = client(&fake);
    c.whoami().await.expect("session");
    fake.inject([Fault::RedirectTo(elsewhere.url())]);
    let err = c.list_datastores().await.unwrap_err();
    assert!(err.to_string().contains(&elsewhere.url()), "{err}");
    assert!(
        err.to_string().contains("does not send credentials"),
        "{err}"
    );
    assert!(
        elsewhere.seen().is_empty(),
        "nothing reached the other host"
    );
    assert_no_secret(&err);
}

#[tokio::test]
async fn logout_deletes_the_session_and_dropping_the_client_does_too() {
    let fake = fake(Config::default()).await;
    let c = client(&fake);
    c.whoami().await.expect("session");
    assert_eq!(fake.live_sessions(), 1);
    c.logout().await.expect("logout");
    assert_eq!(fake.live_sessions(), 0);
    c.logout().await.expect("a second logout has nothing to do");

    c.whoami().await.expect("a new session");
    assert_eq!(fake.live_sessions(), 1);
    drop(c);
    for _ in 0..100 {
        if fake.live_sessions() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the dropped client's session was not deleted");
}

#[tokio::test]
async fn inventory_reads_name_what_admins_need() {
    let fake = fake(Config::default()).await;
    let c = client(&fake);
    let vm = c.resolve_vm("app-00007").await.expect("by name");
    assert_eq!(vm.id, vm_id(7));
    assert_eq!(c.resolve_vm(&vm_id(8)).await.unwrap().name, "app-00008");
    let missing = c.resolve_vm("no-such-vm").await.unwrap_err();
    assert!(
        matches!(missing, VsphereError::NotFound { .. }),
        "{missing}"
    );

    let details = c.vm_details(&vm_id(7)).await.expect("details");
    assert_eq!(details.cpu.as_ref().and_then(|c| c.count), Some(2));
    assert_eq!(details.nics.len(), 1);

    let stores = c.list_datastores().await.expect("datastores");
    assert_eq!(stores[0].used_percent, Some(75.0));
    assert_eq!(stores[1].used_percent, None, "no capacity, no percentage");

    let networks = c.list_networks().await.expect("networks");
    let vlan = |name: &str| {
        networks
            .iter()
            .find(|n| n.name == name)
            .and_then(|n| n.vlan_id_inferred_from_name)
    };
    assert_eq!(vlan("VLAN100-prod"), Some(100));
    assert_eq!(vlan("v200-dmz"), Some(200));
    assert_eq!(vlan("VM Network"), None);
    let hundred = c.find_vlan(100).await.expect("find VLAN 100");
    assert_eq!(hundred.len(), 2);

    assert_eq!(c.list_clusters().await.unwrap()[0].ha_enabled, Some(true));
    assert_eq!(c.list_datacenters().await.unwrap()[0].name, "DC1");
    assert_eq!(c.list_folders().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_pinned_fake_over_tls_is_read_and_only_with_its_own_certificate() {
    let fake = FakeVcenter::start_tls(Config::default()).await;
    let der = fake.certificate().expect("over TLS").to_vec();
    let pin = latchkey_vsphere::Fingerprint::of(&der);
    assert_eq!(
        latchkey_vsphere::fetch_fingerprint(&fake.host())
            .await
            .unwrap(),
        pin
    );
    let pinned = VsphereClient::new(
        &fake.host(),
        "administrator@vsphere.local",
        Secret::new(PASSWORD.into()),
        Trust::Pinned(pin),
        options(),
    )
    .unwrap();
    let page = pinned
        .list_vms(&VmFilter::default(), 0, 5)
        .await
        .expect("VMs over TLS");
    assert_eq!(page.total, 30);
    let unpinned = VsphereClient::new(
        &fake.host(),
        "administrator@vsphere.local",
        Secret::new(PASSWORD.into()),
        Trust::SystemRoots,
        options(),
    )
    .unwrap();
    let err = unpinned.list_hosts().await.unwrap_err();
    assert!(matches!(err, VsphereError::Transport { .. }), "{err}");
    assert_eq!(
        fake.sessions_created(),
        1,
        "the unpinned client sent nothing"
    );
}
