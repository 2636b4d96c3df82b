//! `latchkey creds …` end to end: the real binary against a real `latchkey serve`, whose
//! store is the real Secret Service (gnome-keyring in the private D-Bus session that
//! scripts/with-keyring.sh starts), checked from outside with `secret-tool`. The presence
//! check is the test build's scripted one (LATCHKEY_SCRIPTED_PRESENCE), which shipped builds
//! do not contain.
#![cfg(target_os = "linux")]

use crate::common;
use std::process::Stdio;

use crate::common::{Home, failed, keyring_items, ok, stop};

const CANARY: &str = "cli-canary-7d41e0b9";

#[test]
fn add_list_unlock_lock_rotate_and_remove_in_the_real_keyring() {
    if !common::keyring("add_list_unlock_lock_rotate_and_remove_in_the_real_keyring") {
        return;
    }
    let home = Home::new();
    let broker = home.serve_answering("approve");
    let domain = "jamf:cli-one.example.com";
    let mut seen = String::new();

    let out = home.run(
        &[
            "creds",
            "add",
            "jamf",
            "--url",
            "https://cli-one.example.com",
            "--client-id",
            "latchkey-test",
            "--label",
            "CLI one",
        ],
        &format!("{CANARY}\n"),
    );
    seen += &ok(&out);
    assert!(seen.contains("for jamf:cli-one.example.com"), "{seen}");
    let items = keyring_items(domain);
    assert!(
        items.contains(&format!("secret = {{\"client_secret\":\"{CANARY}\"}}")),
        "{items}"
    );
    assert!(
        items.contains("label = Latchkey: Jamf Pro cli-one.example.com (client latchkey-test)"),
        "{items}"
    );

    let list = ok(&home.run(&["creds", "list", "--json"], ""));
    let listed: serde_json::Value = serde_json::from_str(&list).unwrap();
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(listed[0]["domain"], domain);
    assert_eq!(listed[0]["unlocked"], false);
    seen += &list;

    seen += &ok(&home.run(&["creds", "unlock", domain, "--for", "45m"], ""));
    let status = ok(&home.run(&["creds", "status"], ""));
    assert!(
        status.contains("unlocked, 44m left") || status.contains("unlocked, 45m left"),
        "{status}"
    );
    assert!(status.contains("scripted (test build)"), "{status}");
    seen += &status;

    let locked = ok(&home.run(&["creds", "lock", "--all"], ""));
    assert_eq!(locked.trim(), "locked 1 domain");
    let table = ok(&home.run(&["creds", "list"], ""));
    assert!(
        table.contains("locked") && table.contains("today"),
        "{table}"
    );
    seen += &table;

    seen += &ok(&home.run(&["creds", "rotate", &id], "rotated-secret\n"));
    assert!(keyring_items(domain).contains("rotated-secret"));
    seen += &ok(&home.run(&["creds", "rename", &id, "CLI renamed"], ""));
    assert!(keyring_items(domain).contains("CLI renamed"));

    // An edit moves the item to another server and client, keeping the secret.
    let moved = "jamf:cli-moved.example.com";
    let edit = [
        "creds",
        "edit",
        &id,
        "--url",
        "https://cli-moved.example.com",
    ];
    let edited = ok(&home.run(&[&edit[..], &["--client-id", "other"]].concat(), ""));
    assert!(
        edited.contains(&format!("for {moved} (locked)")),
        "{edited}"
    );
    let items = keyring_items(moved);
    assert!(
        items.contains("label = Latchkey: Jamf Pro cli-moved.example.com (client other)")
            && items.contains("rotated-secret")
            && items.contains("CLI renamed"),
        "{items}"
    );
    assert!(!keyring_items(domain).contains("latchkey-id"));
    let err = failed(&home.run(&["creds", "edit", &id, "--pin", "AB"], ""));
    assert!(
        err.contains("--pin/--verify does not apply to a Jamf Pro credential"),
        "{err}"
    );
    seen += &edited;

    seen += &ok(&home.run(&["creds", "rm", &id], ""));
    let items = keyring_items(moved);
    assert!(!items.contains("latchkey-id"), "item is gone: {items}");

    // Every admin action is on the audit chain, in order, by the CLI, and the chain verifies.
    seen += &ok(&home.run(&["creds", "policy", "--unlock-for", "2h"], ""));
    for verb in ["deny", "allow", "forget"] {
        seen += &ok(&home.run(&["assistants", verb, "/usr/bin/true"], ""));
    }
    let admin = ok(&home.run(&["audit", "search", "--kind", "admin", "--json"], ""));
    let entries: Vec<serde_json::Value> = serde_json::from_str(&admin).unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .rev()
        .map(|e| e["tool"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "credential.add",
            "unlock",
            "lock",
            "credential.rotate",
            "credential.edit",
            "credential.edit",
            "credential.remove",
            "settings.set",
            "assistant.deny",
            "assistant.allow",
            "assistant.forget"
        ],
        "{admin}"
    );
    for entry in &entries {
        assert_eq!(entry["kind"], "admin");
        assert_eq!(entry["decision"], "allowed", "{entry}");
        assert_eq!(entry["assistant"]["name"], "latchkey-cli", "{entry}");
    }
    assert_eq!(
        entries.last().unwrap()["domain"],
        domain,
        "the add names its domain"
    );
    seen += &admin;
    seen += &ok(&home.run(&["audit", "verify"], ""));

    let log = stop(broker);
    assert!(log.contains("credential added"), "the log is on: {log}");
    for (what, text) in [("CLI output", &seen), ("broker log", &log)] {
        assert!(!text.contains(CANARY), "the secret reached the {what}");
        assert!(
            !text.contains("rotated-secret"),
            "the secret reached the {what}"
        );
    }
}

#[test]
fn without_presence_nothing_is_stored_or_unlocked() {
    if !common::keyring("without_presence_nothing_is_stored_or_unlocked") {
        return;
    }
    let home = Home::new();
    let broker = home.serve_answering("deny");
    let domain = "vault:cli-two.example.com";
    let err = failed(&home.run(
        &[
            "creds",
            "add",
            "vault",
            "--address",
            "https://cli-two.example.com",
            "--label",
            "Vault two",
        ],
        "hvs.token\n",
    ));
    assert!(err.contains("the confirmation was declined"), "{err}");
    assert!(!keyring_items(domain).contains("latchkey-id"));
    drop(broker);
}

#[test]
fn secrets_never_come_from_arguments_and_bad_input_names_the_field() {
    let home = Home::new();
    // There is no flag to pass a secret: clap refuses one.
    let err = failed(&home.run(
        &[
            "creds",
            "add",
            "vault",
            "--address",
            "https://v.example.com",
            "--label",
            "V",
            "--token",
            "abc",
        ],
        "",
    ));
    assert!(err.contains("unexpected argument '--token'"), "{err}");

    let err = failed(&home.run(&["creds", "status"], ""));
    assert!(
        err.contains("start the Latchkey app or `latchkey serve`"),
        "{err}"
    );

    if !common::keyring("secrets_never_come_from_arguments_and_bad_input_names_the_field") {
        return;
    }
    let _broker = home.serve_answering("approve");
    let err = failed(&home.run(
        &[
            "creds",
            "add",
            "vcenter",
            "--host",
            "bad_host!",
            "--username",
            "admin",
            "--label",
            "VC",
        ],
        "pw\n",
    ));
    assert!(
        err.contains("latchkey: --host is not a valid host name or IP address"),
        "{err}"
    );
    // Issue #18: errors name the flag and say what to do.
    let vcenter = |host: &str, pin: &str| {
        let args = [
            "creds",
            "add",
            "vcenter",
            "--host",
            host,
            "--username",
            "admin",
            "--label",
            "VC",
            "--pin",
            pin,
        ];
        home.run(&args, "pw\n")
    };
    let err = failed(&vcenter("vc.example.com", "AB"));
    assert!(
        err.contains("latchkey: --pin must be a SHA-256 fingerprint"),
        "{err}"
    );
    let pin = "ab".repeat(32);
    let added = ok(&vcenter("https://vc.example.com/ui", &pin));
    assert!(added.contains("for vcenter:vc.example.com"), "{added}");
    let args = [
        "creds",
        "add",
        "jamf",
        "--url",
        "acme.jamfcloud.com",
        "--client-id",
        "c",
        "--label",
        "J",
    ];
    let err = failed(&home.run(&args, "s\n"));
    assert!(
        err.contains("--url needs the scheme: did you mean https://acme.jamfcloud.com?"),
        "{err}"
    );
    let err = failed(&home.run(
        &[
            "creds",
            "add",
            "vault",
            "--address",
            "https://v.example.com",
            "--label",
            "V",
        ],
        "\n",
    ));
    assert!(
        err.contains("the secret is empty; nothing was stored"),
        "{err}"
    );
    let err = failed(&home.run(&["creds", "unlock", "vault:none.example.com"], ""));
    assert!(
        err.contains("no credential or domain matches \"vault:none.example.com\""),
        "{err}"
    );
}

/// Issue #18: one way to name a credential everywhere, a warning when a domain gets a second
/// one, and a locked domain's error that names the command that unlocks it.
#[test]
fn a_credential_is_named_by_domain_id_prefix_label_or_url() {
    if !common::keyring("a_credential_is_named_by_domain_id_prefix_label_or_url") {
        return;
    }
    let home = Home::new();
    let _broker = home.serve_answering("approve");
    let add = |url: &str, client: &str, label: &str| {
        let args = [
            "creds",
            "add",
            "jamf",
            "--url",
            url,
            "--client-id",
            client,
            "--label",
            label,
        ];
        home.run(&args, "s3cret\n")
    };
    let first = add("https://names.example.com", "one", "Names one");
    ok(&first);
    assert!(String::from_utf8_lossy(&first.stderr).is_empty());
    let second = add("https://names.example.com", "two", "Names two");
    ok(&second);
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&home.run(&["creds", "list", "--json"], ""))).unwrap();
    let id_of = |label: &str| {
        let all = listed.as_array().unwrap();
        let c = all.iter().find(|c| c["label"] == label).unwrap();
        c["id"].as_str().unwrap().to_owned()
    };
    let (one, two) = (id_of("Names one"), id_of("Names two"));
    let warned = String::from_utf8_lossy(&second.stderr);
    assert!(
        warned.contains("warning: jamf:names.example.com already had 1 other credential")
            && warned.contains(&format!("Jamf calls use {one} (Names one)")),
        "{warned}"
    );

    // A domain with two credentials is ambiguous for one credential: both are listed.
    for name in ["names.example.com", "jamf:names.example.com"] {
        let out = home.run(&["creds", "rename", name, "X"], "");
        let err = failed(&out);
        assert!(err.contains("could mean any of these"), "{err}");
        assert!(err.contains(&one) && err.contains(&two), "{err}");
        assert!(err.contains("Names one") && err.contains("jamf:names.example.com"));
    }
    // …but names the domain to unlock and lock, with or without its kind, or by URL.
    let unlocked = ok(&home.run(
        &["creds", "unlock", "names.example.com", "--for", "30m"],
        "",
    ));
    assert_eq!(unlocked.trim(), "unlocked jamf:names.example.com");
    let locked = ok(&home.run(&["creds", "lock", "https://names.example.com/"], ""));
    assert_eq!(locked.trim(), "locked 1 domain");

    // A locked domain's error names the command that unlocks it.
    let err = failed(&home.run(&["jamf", "computers", "--domain", "names.example.com"], ""));
    assert!(
        err.contains(
            "domain jamf:names.example.com is locked: run `latchkey creds unlock jamf:names.example.com`, or unlock it from the Latchkey menu"
        ),
        "{err}"
    );

    // By label (any case), by a unique id prefix, by id.
    let renamed = ok(&home.run(&["creds", "rename", "names TWO", "Second"], ""));
    assert_eq!(renamed.trim(), format!("renamed {two} to Second"));
    let prefix = &one[..one.len().min(8)];
    let removed = ok(&home.run(&["creds", "rm", prefix], ""));
    assert_eq!(removed.trim(), format!("removed {one}"));
    let removed = ok(&home.run(&["creds", "rm", "names.example.com"], ""));
    assert_eq!(removed.trim(), format!("removed {two}"));
    let err = failed(&home.run(&["creds", "rm", "names.example.com"], ""));
    assert!(err.contains("no credential or domain matches"), "{err}");
}

#[test]
fn the_unlock_policy_and_the_settings_are_shown_set_and_kept() {
    if !common::keyring("the_unlock_policy_and_the_settings_are_shown_set_and_kept") {
        return;
    }
    let home = Home::new();
    let broker = home.serve_answering("approve");
    let shown = ok(&home.run(&["creds", "policy"], ""));
    assert_eq!(shown.trim(), "unlocks last 4h 00m; no idle timeout");
    let set = ok(&home.run(
        &["creds", "policy", "--unlock-for", "2h", "--idle", "30m"],
        "",
    ));
    assert_eq!(set.trim(), "unlocks last 2h 00m; locked after 30m unused");
    let err = failed(&home.run(&["creds", "policy", "--unlock-for", "13h"], ""));
    assert!(
        err.contains("ttl must be between 5 minutes and 12 hours"),
        "{err}"
    );
    drop(broker);

    // Kept across brokers, in the settings file.
    let saved = std::fs::read_to_string(home.dir.join("config/settings.json")).unwrap();
    assert!(saved.contains("\"unlock_minutes\": 120"), "{saved}");
    let _broker = home.serve_answering("approve");
    let shown = ok(&home.run(&["creds", "policy", "--no-idle"], ""));
    assert_eq!(shown.trim(), "unlocks last 2h 00m; no idle timeout");

    // The same settings and the rest through `latchkey settings`, by key.
    let line = |text: &str, key: &str| {
        (text.lines())
            .find(|l| l.split_whitespace().next() == Some(key))
            .unwrap_or_else(|| panic!("no {key} in {text}"))
            .split_whitespace()
            .skip(1)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let shown = ok(&home.run(&["settings"], ""));
    let sofa_before = ok(&home.run(&["sofa", "status", "15.0", "--json"], ""));
    assert_eq!(line(&shown, "unlock_minutes"), "120");
    assert_eq!(line(&shown, "idle_minutes"), "off");
    assert_eq!(line(&shown, "approvals.timeout_seconds"), "120");
    assert!(
        line(&shown, "sofa.feed").starts_with("v2 (overridden by LATCHKEY_SOFA_FEED="),
        "{shown}"
    );
    let set = ok(&home.run(
        &[
            "settings",
            "set",
            "approvals.timeout_seconds=300",
            "deadlines.exploited_days=3",
            "deadlines.standard_days=10",
            "notifications.enabled=off",
        ],
        "",
    ));
    assert_eq!(line(&set, "approvals.timeout_seconds"), "300");
    assert_eq!(line(&set, "deadlines.exploited_days"), "3");
    assert_eq!(line(&set, "notifications.enabled"), "false");
    let err = failed(&home.run(&["settings", "set", "audit.retention_days=7"], ""));
    assert!(
        err.contains("audit.retention_days must be 30 to 3650 days (it is 7)"),
        "{err}"
    );
    let err = failed(&home.run(&["settings", "set", "audit.keep=7"], ""));
    assert!(err.contains("\"audit.keep\" is not a setting"), "{err}");
    let json = ok(&home.run(&["settings", "show", "--json"], ""));
    let view: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(view["settings"]["approvals"]["timeout_seconds"], 300);
    assert_eq!(view["overrides"][0]["field"], "sofa.feed");
    // The SLA now in force is what `sofa status` uses while the broker runs.
    let required_by = |json: &str| {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        v["result"]["deadline"]["required_by"].clone()
    };
    let sofa_after = ok(&home.run(&["sofa", "status", "15.0", "--json"], ""));
    assert!(!required_by(&sofa_before).is_null(), "{sofa_before}");
    assert_ne!(required_by(&sofa_before), required_by(&sofa_after));
    let admin = ok(&home.run(&["audit", "search", "--kind", "admin", "--json"], ""));
    assert!(
        admin.contains("\"approvals.timeout_seconds\":{\"from\":120,\"to\":300}"),
        "{admin}"
    );
}

/// Issue #15: `creds test` and `doctor --security` against a mock Jamf Pro whose API client is
/// a full administrator: both say so, and the review fails until it is fixed.
#[test]
fn creds_test_and_the_security_review_flag_an_over_privileged_jamf_account() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = runtime.block_on(latchkey_jamf_mock::Mock::start(
        latchkey_jamf_mock::MockConfig::default(),
    ));
    let home = Home::new();
    let _broker = home.serve_answering("approve");
    ok(&home.run(
        &[
            "creds",
            "add",
            "jamf",
            "--url",
            &mock.url(),
            "--client-id",
            "latchkey-test",
            "--label",
            "Mock",
        ],
        "mock-client-secret\n",
    ));

    let tested = ok(&home.run(&["creds", "test", "Mock"], ""));
    assert!(
        tested.contains("privileges: warning: this account is a full Jamf Pro administrator"),
        "{tested}"
    );
    assert!(tested.contains("`latchkey jamf privileges`"), "{tested}");

    // Locked: the review does not ask for presence, it names the command that checks.
    let out = home.run(&["doctor", "--security", "--json"], "");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let review = &report["security"]["Ok"];
    let credential = &review["credentials"][0];
    assert!(
        credential["privileges"]
            .as_str()
            .unwrap()
            .contains("not checked while its domain is locked"),
        "{report}"
    );
    assert_eq!(credential["rotation_due"], false);
    assert_eq!(
        review["dependencies"]["advisory_db"]["date"]
            .as_str()
            .map(str::len),
        Some(10)
    );

    // Unlocked: checked, and the review fails.
    ok(&home.run(&["creds", "unlock", "Mock"], ""));
    let out = home.run(&["doctor", "--security"], "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("WARNING: this account is a full Jamf Pro administrator"),
        "{text}"
    );
    assert!(text.contains("RustSec advisory database of 20"), "{text}");
    assert!(!text.contains("mock-client-secret"));
}

/// Issue #13: `creds add vcenter` without `--pin` against a self-signed vCenter (the fake over
/// TLS) shows the certificate's fingerprint and pins exactly that one, the presence check
/// naming it; `creds test` then signs in through the pinned certificate while the domain is
/// locked, counts what the account sees, and deletes its session afterwards.
#[test]
fn a_self_signed_vcenter_is_pinned_on_first_use_and_tested() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fake = runtime.block_on(latchkey_vsphere_mock::FakeVcenter::start_tls(
        latchkey_vsphere_mock::Config {
            password: "vc-first-use-password".into(),
            ..latchkey_vsphere_mock::Config::default()
        },
    ));
    let pin = latchkey_vsphere::Fingerprint::of(fake.certificate().unwrap()).to_string();
    let home = Home::new();
    let _broker = home.serve_answering("approve");
    let host = fake.host();
    let add = [
        "creds",
        "add",
        "vcenter",
        "--host",
        &host,
        "--username",
        "administrator@vsphere.local",
        "--label",
        "First use VC",
    ];
    let out = home.run(&add, "vc-first-use-password\n");
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    ok(&out);
    assert!(
        said.contains(&format!("SHA-256 fingerprint: {pin}")),
        "{said}"
    );
    assert!(
        fake.seen().iter().all(|s| !s.path.contains("session")),
        "looking at the certificate sent no credential: {:?}",
        fake.seen()
    );
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&home.run(&["creds", "list", "--json"], ""))).unwrap();
    let mine = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["label"] == "First use VC")
        .unwrap();
    assert_eq!(mine["account"]["tls"]["mode"], "pinned");
    assert_eq!(
        mine["account"]["tls"]["sha256"],
        pin.replace(':', "").to_lowercase()
    );

    let text = ok(&home.run(&["creds", "test", "First use VC"], ""));
    assert!(
        text.contains(&format!(
            "Connected to {host} as administrator@vsphere.local"
        )),
        "{text}"
    );
    assert!(text.contains(": 30 VMs on 3 hosts"), "{text}");
    assert!(
        text.contains(&format!("certificate pinned, SHA-256 {pin}")),
        "{text}"
    );
    assert_eq!(
        fake.live_sessions(),
        0,
        "a locked domain's session is deleted"
    );
    assert!(!text.contains("vc-first-use-password"));
}

/// Issue #13: `latchkey vcenter …` against a real `latchkey serve` and the fake vCenter over
/// TLS, its certificate pinned: a locked domain is refused with the command that unlocks it;
/// unlocked, VMs, one VM, hosts, datastores and networks are read, each on the audit log under
/// the `vsphere_*` tool's name, and the password appears nowhere.
#[test]
fn vcenter_reads_go_through_the_broker_and_the_audit() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fake = runtime.block_on(latchkey_vsphere_mock::FakeVcenter::start_tls(
        latchkey_vsphere_mock::Config {
            password: "vc-canary-password".into(),
            ..latchkey_vsphere_mock::Config::default()
        },
    ));
    let pin = latchkey_vsphere::Fingerprint::of(fake.certificate().unwrap()).to_string();
    let home = Home::new();
    let _broker = home.serve_answering("approve");
    let add = [
        "creds",
        "add",
        "vcenter",
        "--host",
        &fake.host(),
        "--username",
        "administrator@vsphere.local",
        "--label",
        "Lab VC",
        "--pin",
        &pin,
    ];
    ok(&home.run(&add, "vc-canary-password\n"));

    // Named: other tests' vCenters share this keyring.
    let host = fake.host();
    let locked = failed(&home.run(&["vcenter", "--domain", &host, "hosts"], ""));
    assert!(locked.contains("latchkey creds unlock"), "{locked}");
    assert!(
        fake.seen().is_empty(),
        "nothing reached vCenter while locked"
    );

    ok(&home.run(&["creds", "unlock", "Lab VC"], ""));
    let vms: serde_json::Value = serde_json::from_str(&ok(&home.run(
        &[
            "vcenter",
            "vms",
            "--power-state",
            "powered-on",
            "--page-size",
            "3",
            "--json",
        ],
        "",
    )))
    .unwrap();
    assert_eq!(vms["total"], 10);
    assert_eq!(vms["vms"].as_array().unwrap().len(), 3);
    let text = ok(&home.run(&["vcenter", "vms", "--page-size", "2"], ""));
    assert!(text.contains("VMs 1–2 of 30 on vcenter:"), "{text}");
    let vm = ok(&home.run(&["vcenter", "vm", "app-00006"], ""));
    assert!(vm.contains("guest OS      UBUNTU_64"), "{vm}");
    let hosts = ok(&home.run(&["vcenter", "hosts"], ""));
    assert_eq!(
        hosts.lines().count(),
        4,
        "a header and three hosts: {hosts}"
    );
    let datastores = ok(&home.run(&["vcenter", "datastores"], ""));
    assert!(datastores.contains("CAPACITY GiB"), "{datastores}");
    let networks = ok(&home.run(&["vcenter", "networks"], ""));
    assert!(networks.contains("v200-dmz"), "{networks}");
    assert!(networks.contains("may be wrong"), "{networks}");

    let audit = ok(&home.run(
        &["audit", "search", "--tool", "vsphere_list_vms", "--json"],
        "",
    ));
    let entries: serde_json::Value = serde_json::from_str(&audit).unwrap();
    assert_eq!(
        entries.as_array().unwrap().len(),
        4,
        "two reads, each an intent and an outcome: {audit}"
    );
    assert_eq!(entries[0]["assistant"]["client"], "latchkey-cli");
    let everything = format!("{vms}{text}{vm}{hosts}{datastores}{networks}{audit}");
    assert!(!everything.contains("vc-canary-password"));

    // A power change from the command line waits for the person's approval like an
    // assistant's: nothing reaches vCenter until `approvals approve`.
    let powering = home
        .latchkey(&["vcenter", "power", "app-00006", "stop"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let waiting = (0..500)
        .find_map(|_| {
            let listed = ok(&home.run(&["approvals", "list", "--json"], ""));
            let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
            let first = listed.as_array().unwrap().first().cloned();
            if first.is_none() {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            first
        })
        .expect("the power change was never put to the person");
    assert!(
        waiting["summary"]
            .as_str()
            .unwrap()
            .starts_with("stop (power off at once, like pulling the plug) VM app-00006"),
        "{waiting}"
    );
    assert_eq!(fake.power_requests(), 0);
    ok(&home.run(
        &["approvals", "approve", waiting["id"].as_str().unwrap()],
        "",
    ));
    let done = powering.wait_with_output().unwrap();
    let said = ok(&done);
    assert!(said.contains("done: stop (power off at once"), "{said}");
    assert!(said.contains("power state now: POWERED_OFF"), "{said}");
    assert_eq!(fake.power_requests(), 1);
}
