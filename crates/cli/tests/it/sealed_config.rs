//! Issue #12 item 4: assistants.json and settings.json edited behind the broker's back. Each
//! test is the attack against a real `latchkey serve` whose secret store is the real Secret
//! Service (gnome-keyring under scripts/with-keyring.sh): an "allowed" record written into
//! the allow-list, a 12-hour unlock written into the settings, a sealed file edited, the
//! sealing key deleted from the keyring with `secret-tool`; and `forget` without presence.
#![cfg(target_os = "linux")]

use crate::common;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use crate::common::{Home, ok};

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"probe","version":"1"}}}"#;

fn assistants_file(home: &Home) -> std::path::PathBuf {
    home.dir.join("config/assistants.json")
}

fn settings_file(home: &Home) -> std::path::PathBuf {
    home.dir.join("config/settings.json")
}

/// This test process as the allow-list would remember it: an "allowed" record that nobody
/// confirmed.
fn forged_record() -> serde_json::Value {
    let me = std::env::current_exe().unwrap();
    serde_json::json!({
        "path": me,
        "name": "forged",
        "bundle_id": null,
        "team_id": null,
        "verdict": "allowed",
        "first_seen": "2025-01-02T03:04:05Z",
        "last_seen": "2025-01-02T03:04:05Z"
    })
}

/// Connects to the MCP socket as this test process and sends `initialize`: the broker's
/// first answer (server info when admitted, a -32001 error when refused).
fn initialize(home: &Home) -> String {
    let mut stream = std::os::unix::net::UnixStream::connect(home.socket()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
        .write_all(format!("{INITIALIZE}\n").as_bytes())
        .unwrap();
    let mut answer = vec![0u8; 4096];
    let n = stream
        .read(&mut answer)
        .expect("the broker neither answered nor closed");
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

fn assert_refused(answer: &str) {
    assert!(
        answer.contains("-32001") && !answer.contains("serverInfo"),
        "the forged record let this process in: {answer}"
    );
}

/// The audit's admin entries, newest first.
fn admin_entries(home: &Home) -> Vec<serde_json::Value> {
    let out = ok(&home.run(&["audit", "search", "--kind", "admin", "--json"], ""));
    serde_json::from_str(&out).unwrap()
}

/// The one entry saying Latchkey refused `file`, with its reason. Asked again for a moment
/// when it is not there yet (it is written as the broker starts serving; a CI run once missed
/// it under load), and, if it never comes, every admin entry is shown to say why.
fn refusal_on_audit(home: &Home, file: &str) -> serde_json::Value {
    let mut all = Vec::new();
    for _ in 0..20 {
        all = admin_entries(home);
        let refused: Vec<serde_json::Value> = (all.iter())
            .filter(|e| e["tool"] == "config.refused" && e.to_string().contains(file))
            .cloned()
            .collect();
        if !refused.is_empty() {
            assert_eq!(refused.len(), 1, "{refused:?}");
            return refused.into_iter().next().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("no config.refused entry for {file}; the admin entries: {all:#?}");
}

fn doctor(home: &Home) -> String {
    let out = home.run(&["doctor"], "");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn secret_tool(args: &[&str]) -> Output {
    Command::new("secret-tool")
        .args(args)
        .output()
        .expect("secret-tool (libsecret-tools) runs")
}

#[test]
fn issue_12_an_allowed_record_written_into_assistants_json_is_refused() {
    if !common::keyring("issue_12_an_allowed_record_written_into_assistants_json_is_refused") {
        return;
    }
    let home = Home::new();
    let file = assistants_file(&home);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, serde_json::to_vec(&[forged_record()]).unwrap()).unwrap();

    // The person declines whatever they are asked.
    let _broker = home.serve_answering("decline");

    // The person is told what happened and what to do, and it is on the audit chain. (Asked
    // before this process connects: once denied, the broker answers none of its commands.)
    let doctor = doctor(&home);
    assert!(
        doctor.contains("assistants.json")
            && doctor.contains("has no seal")
            && doctor.contains("latchkey assistants allow"),
        "{doctor}"
    );
    let entry = refusal_on_audit(&home, "assistants.json");
    assert!(entry.to_string().contains("has no seal"), "{entry}");

    // The forged record does not spare the ask, which this person declines.
    assert_refused(&initialize(&home));
}

#[test]
fn issue_12_a_12_hour_unlock_written_into_settings_json_is_refused() {
    if !common::keyring("issue_12_a_12_hour_unlock_written_into_settings_json_is_refused") {
        return;
    }
    let home = Home::new();
    let file = settings_file(&home);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, br#"{"unlock_minutes": 720, "idle_minutes": null}"#).unwrap();

    let _broker = home.serve_answering("approve");
    let shown = ok(&home.run(&["creds", "policy"], ""));
    assert_eq!(shown.trim(), "unlocks last 4h 00m; no idle timeout");
    let doctor = doctor(&home);
    assert!(
        doctor.contains("settings.json") && doctor.contains("latchkey settings set"),
        "{doctor}"
    );
    refusal_on_audit(&home, "settings.json");
    // Not re-blessed: the file stays as found until the person sets the policy.
    assert_eq!(
        std::fs::read(&file).unwrap(),
        br#"{"unlock_minutes": 720, "idle_minutes": null}"#
    );
}

#[test]
fn issue_12_a_sealed_file_verifies_across_restarts_and_an_edit_to_it_is_refused() {
    if !common::keyring("issue_12_a_sealed_file_verifies_across_restarts") {
        return;
    }
    let home = Home::new();
    let broker = home.serve_answering("approve");
    ok(&home.run(&["assistants", "allow", "/usr/bin/true"], ""));
    ok(&home.run(&["creds", "policy", "--unlock-for", "2h"], ""));
    drop(broker);

    // Written sealed by the broker: read back by the next one, nothing refused.
    let broker = home.serve_answering("approve");
    let listed = ok(&home.run(&["assistants", "list", "--json"], ""));
    assert!(listed.contains("/usr/bin/true"), "{listed}");
    let shown = ok(&home.run(&["creds", "policy"], ""));
    assert_eq!(shown.trim(), "unlocks last 2h 00m; no idle timeout");
    assert!(
        !admin_entries(&home)
            .iter()
            .any(|e| e["tool"] == "config.refused")
    );
    drop(broker);

    // An "allowed" record added to the sealed file, and the unlock time raised in place.
    let edit = |path: &Path, change: &dyn Fn(&mut serde_json::Value)| {
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        change(&mut json);
        std::fs::write(path, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
    };
    edit(&assistants_file(&home), &|json| {
        let records = json
            .pointer_mut("/content")
            .and_then(serde_json::Value::as_array_mut)
            .expect("a sealed allow-list keeps its records under content");
        records.push(forged_record());
    });
    edit(&settings_file(&home), &|json| {
        *json.pointer_mut("/content/unlock_minutes").unwrap() = 720.into();
    });

    let _broker = home.serve_answering("decline");
    let shown = ok(&home.run(&["creds", "policy"], ""));
    assert_eq!(shown.trim(), "unlocks last 4h 00m; no idle timeout");
    for file in ["assistants.json", "settings.json"] {
        let entry = refusal_on_audit(&home, file);
        assert!(
            entry.to_string().contains("changed outside Latchkey"),
            "{entry}"
        );
    }
    assert_refused(&initialize(&home));
}

#[test]
fn issue_12_a_file_whose_key_was_deleted_from_the_keyring_is_refused() {
    if !common::keyring("issue_12_a_file_whose_key_was_deleted_from_the_keyring_is_refused") {
        return;
    }
    let home = Home::new();
    let broker = home.serve_answering("approve");
    ok(&home.run(&["assistants", "allow", "/usr/bin/true"], ""));
    drop(broker);

    let item = format!("settings seal key of {}", home.dir.join("config").display());
    let cleared = secret_tool(&["clear", "application", "latchkey", "latchkey-state", &item]);
    assert!(cleared.status.success(), "{cleared:?}");

    let _broker = home.serve_answering("approve");
    let listed = ok(&home.run(&["assistants", "list", "--json"], ""));
    let listed: Vec<serde_json::Value> = serde_json::from_str(&listed).unwrap();
    assert!(listed.is_empty(), "{listed:?}");
    let entry = refusal_on_audit(&home, "assistants.json");
    assert!(
        entry.to_string().contains("missing from the secret store"),
        "{entry}"
    );
    // The next change by the person writes a file sealed with a new key.
    ok(&home.run(&["assistants", "allow", "/usr/bin/true"], ""));
    let found = secret_tool(&["lookup", "application", "latchkey", "latchkey-state", &item]);
    assert!(found.status.success() && !found.stdout.is_empty());
}

#[test]
fn issue_12_forget_asks_for_presence() {
    if !common::keyring("issue_12_forget_asks_for_presence") {
        return;
    }
    let home = Home::new();
    let broker = home.serve_answering("approve");
    ok(&home.run(&["assistants", "deny", "/usr/bin/true"], ""));
    drop(broker);

    // Forgetting a denied program would let it be asked again: the person must agree.
    let _broker = home.serve_answering("decline");
    let out = home.run(&["assistants", "forget", "/usr/bin/true"], "");
    assert!(!out.status.success(), "forgotten without presence");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the confirmation was declined"), "{err}");
    let listed = ok(&home.run(&["assistants", "list", "--json"], ""));
    assert!(listed.contains("/usr/bin/true"), "{listed}");
    assert!(
        admin_entries(&home)
            .iter()
            .any(|e| e["tool"] == "assistant.forget" && e["decision"] == "denied")
    );
}
