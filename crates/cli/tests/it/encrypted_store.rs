//! Issue #12 item 9 end to end: with the Secret Service, any program of the user reads
//! Latchkey's items (`secret-tool search --all --unlock application latchkey`); after
//! `latchkey store use encrypted-file` they are in Latchkey's own file, encrypted with a
//! passphrase that every unlock asks for. The real binary against a real `latchkey serve`
//! over the real Secret Service (scripts/with-keyring.sh), checked from outside with
//! `secret-tool`. Passphrases are fed on stdin, one line per prompt (as when stdin is not a
//! terminal). One test: switching stores moves every Latchkey item in the shared test
//! keyring, so nothing else in this binary may run beside it.
#![cfg(target_os = "linux")]

use crate::common;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

use crate::common::{Home, failed, ok};

const CANARY: &str = "encrypted-canary-5b1f7c";
const SECOND: &str = "encrypted-canary-second-09ad";
const PASSPHRASE: &str = "a long passphrase 4 tests";
const WRONG: &str = "not-the-passphrase-3e7";

/// Every Latchkey item any program of the user can read through the Secret Service, secrets
/// included.
fn readable_by_any_program() -> String {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "--unlock", "application", "latchkey"])
        .output()
        .expect("secret-tool (libsecret-tools) runs");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// N from "moved N credential(s) to the STORE store".
fn moved_count(said: &str, store: &str) -> usize {
    let count = said
        .trim()
        .strip_prefix("moved ")
        .and_then(|rest| rest.split_once(' '))
        .and_then(|(n, rest)| {
            rest.ends_with(&format!("to the {store} store"))
                .then_some(n)
        });
    count
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{said}"))
}

fn add_jamf(home: &Home, host: &str, stdin: &str) -> Output {
    let url = format!("https://{host}");
    home.run(
        &[
            "creds",
            "add",
            "jamf",
            "--url",
            &url,
            "--client-id",
            "latchkey-test",
            "--label",
            host,
        ],
        stdin,
    )
}

#[test]
fn issue_12_item_9_the_encrypted_store_hides_credentials_from_other_programs() {
    if !common::keyring("issue_12_item_9_the_encrypted_store_hides_credentials_from_other_programs")
    {
        return;
    }
    let home = Home::new();
    let broker = home.serve_answering("approve");
    let domain = "jamf:encrypted-one.example.com";

    // Today's store: any program reads the secret.
    ok(&add_jamf(
        &home,
        "encrypted-one.example.com",
        &format!("{CANARY}\n"),
    ));
    assert!(readable_by_any_program().contains(CANARY));
    let status = ok(&home.run(&["store", "status"], ""));
    assert!(status.contains("any program running as you"), "{status}");

    // Two different passphrases are refused before anything moves.
    let err = failed(&home.run(
        &["store", "use", "encrypted-file"],
        &format!("{PASSPHRASE}\n{WRONG}\n"),
    ));
    assert!(err.contains("the two passphrases differ"), "{err}");
    assert!(readable_by_any_program().contains(CANARY));

    let moved = ok(&home.run(
        &["store", "use", "encrypted-file"],
        &format!("{PASSPHRASE}\n{PASSPHRASE}\n"),
    ));
    // Every Latchkey item in the keyring moves (other test binaries may have left some).
    let moved_in = moved_count(&moved, "encrypted-file");
    assert!(moved_in >= 1, "{moved}");
    let seen = readable_by_any_program();
    assert!(!seen.contains(CANARY), "still readable: {seen}");
    assert!(!seen.contains(domain), "still listed: {seen}");
    let file = home.dir.join("data/credentials.keyring");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let bytes = std::fs::read(&file).unwrap();
    assert!(!bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()));
    let status = ok(&home.run(&["store", "status"], ""));
    assert!(
        status.contains("encrypted with your passphrase") && status.contains("closed"),
        "{status}"
    );
    // Listed (from when the file was last open), though closed.
    let list = ok(&home.run(&["creds", "list"], ""));
    assert!(list.contains(domain), "{list}");

    // Adding to the closed store takes its passphrase first, then the secret.
    ok(&add_jamf(
        &home,
        "encrypted-two.example.com",
        &format!("{PASSPHRASE}\n{SECOND}\n"),
    ));
    assert!(!readable_by_any_program().contains(SECOND));
    let list = ok(&home.run(&["creds", "list"], ""));
    assert!(list.contains("jamf:encrypted-two.example.com"), "{list}");

    // Unlocking takes the passphrase (and presence): right, then wrong.
    let unlocked = ok(&home.run(&["creds", "unlock", domain], &format!("{PASSPHRASE}\n")));
    assert!(
        unlocked.contains(&format!("unlocked {domain}")),
        "{unlocked}"
    );
    let status = ok(&home.run(&["store", "status"], ""));
    assert!(
        status.contains("open while a domain is unlocked"),
        "{status}"
    );
    ok(&home.run(&["creds", "lock", domain], ""));
    let status = ok(&home.run(&["store", "status"], ""));
    assert!(
        status.contains("closed"),
        "the last lock closes the file: {status}"
    );
    let err = failed(&home.run(&["creds", "unlock", domain], &format!("{WRONG}\n")));
    assert!(
        err.contains("wrong passphrase for the encrypted store"),
        "{err}"
    );
    let list = ok(&home.run(&["creds", "list", "--json"], ""));
    assert!(!list.contains("\"unlocked\": true"), "{list}");

    // The refused unlock is on the audit log as denied, and no passphrase is anywhere in it.
    let audit = ok(&home
        .latchkey(&["audit", "search", "--kind", "admin", "--json"])
        .output()
        .unwrap());
    let entries: Vec<serde_json::Value> = serde_json::from_str(&audit).unwrap();
    let refused: Vec<_> = entries
        .iter()
        .filter(|e| e["tool"] == "unlock" && e["arguments"]["refused"].is_string())
        .collect();
    assert_eq!(refused.len(), 1, "{audit}");
    assert_eq!(refused[0]["decision"], "denied", "{audit}");
    assert_eq!(
        refused[0]["arguments"]["refused"],
        "wrong passphrase for the encrypted store"
    );
    let export = ok(&home
        .latchkey(&["audit", "export", "--format", "csv"])
        .output()
        .unwrap());
    assert!(!export.contains(PASSPHRASE) && !export.contains(WRONG));

    // doctor's store line.
    let doctor = home.latchkey(&["doctor", "--json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&doctor.stdout).unwrap();
    let line = report["secret_store"]["detail"].as_str().unwrap();
    assert!(
        line.contains("items are encrypted by your passphrase")
            && line.contains("other programs cannot read them through the Secret Service"),
        "{line}"
    );

    // Wrong passphrases in a row: after three, even the right one waits.
    for _ in 0..2 {
        failed(&home.run(&["creds", "unlock", domain], &format!("{WRONG}\n")));
    }
    let err = failed(&home.run(&["creds", "unlock", domain], &format!("{PASSPHRASE}\n")));
    assert!(
        err.contains("too many wrong passphrases: try again in"),
        "{err}"
    );
    drop(broker);

    // A broker started anew (no wrong tries) moves everything back with the passphrase.
    let broker = home.serve_answering("approve");
    let moved = ok(&home.run(
        &["store", "use", "secret-service"],
        &format!("{PASSPHRASE}\n"),
    ));
    assert_eq!(
        moved_count(&moved, "secret-service"),
        moved_in + 1,
        "{moved}"
    );
    let seen = readable_by_any_program();
    assert!(seen.contains(CANARY) && seen.contains(SECOND), "{seen}");
    assert!(!file.exists(), "the encrypted file is removed once emptied");
    drop(broker);
}
