//! Issue #14: a Jamf credential whose secret is kept in HashiCorp Vault, end to end: the real
//! `latchkey` against a real `latchkey serve` on gnome-keyring (scripts/with-keyring.sh), a
//! real OpenBao dev server holding the secret (latchkey-openbao-harness) and the mock Jamf
//! Pro server that accepts only that secret. The Vault credential is an AppRole.
//!
//! Added with `--secret-from`, the Jamf item in the keyring holds no secret; one unlock (one
//! presence check) unlocks the Vault domain too and fetches the secret, which Jamf reads then
//! use (from the CLI and an MCP client); `creds refresh` fetches a new version; a missing
//! field, an unknown Vault domain and `creds rotate` are refused by name; `creds import`
//! copies the value once; `creds edit --secret-from` moves a secret kept here into Vault and
//! `--keep-here` moves it back. The secret is in no audit entry, no log line and no MCP result.
//!
//! The same for AWS Secrets Manager against a real moto server (latchkey-moto-harness) with
//! IAM enforced: `creds add aws`, an `aws-sm://` reference by ARN and JSON key, unlock,
//! refresh to a new version, import, a missing key named (one sequence,
//! `kept_in_a_secret_manager`, that the Azure test runs too).
//!
//! The same for Azure Key Vault against the Azure stand-in (latchkey-azure-standin: Entra ID's
//! token endpoint and Key Vault's REST shapes over TLS; Azure has no emulator one can install):
//! `creds add azure`, an `azure-kv://` reference, unlock, refresh to a new version, import, a
//! missing secret named. The broker reaches the stand-in's vault host through the HTTPS proxy
//! it is given (`HTTPS_PROXY`, the stand-in's CONNECT proxy) and trusts its CA through
//! `SSL_CERT_FILE`, as it would a company's proxy and CA: nothing in Latchkey is told about
//! the test.
#![cfg(target_os = "linux")]

use crate::common;
use crate::common::{Home, failed, keyring_items, ok, stop};
use latchkey_openbao_harness::OpenBao;
use rmcp::model::CallToolRequestParams;

const CANARY: &str = "vault-kept-canary-91c3";

#[test]
fn a_jamf_secret_kept_in_vault_is_fetched_at_unlock_and_never_shown() {
    let test = "a_jamf_secret_kept_in_vault_is_fetched_at_unlock_and_never_shown";
    if !common::keyring(test) || !latchkey_openbao_harness::require(test) {
        return;
    }
    let bao = OpenBao::start();
    bao.policy("jamf-read", "secret/data/jamf/*", "\"read\"");
    assert_eq!(bao.put_secret("jamf/prod", "client_secret", CANARY), 1);
    let (role_id, secret_id) = bao.approle("latchkey", "jamf-read", "1h");
    let vault_authority = bao.addr.to_string();
    let reference = format!("vault://{vault_authority}/secret/jamf/prod#client_secret");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = runtime.block_on(latchkey_jamf_mock::Mock::start(
        latchkey_jamf_mock::MockConfig {
            client_secret: CANARY.into(),
            ..latchkey_jamf_mock::MockConfig::default()
        },
    ));
    let jamf_domain = format!("jamf:{}", mock.addr);
    let vault_domain = format!("vault:{vault_authority}");
    let home = Home::new();
    let broker = home.serve_answering("approve");

    let added = ok(&home.run(
        &[
            "creds",
            "add",
            "vault",
            "--address",
            &bao.address(),
            "--approle",
            &role_id,
            "--label",
            "Bao",
        ],
        &format!("{secret_id}\n"),
    ));
    assert!(added.contains(&vault_domain), "{added}");

    // Only a Vault credential's domain can hold a secret.
    let nowhere = "vault://nowhere.example.com/secret/jamf/prod#client_secret";
    let refused = failed(&home.run(
        &[
            "creds",
            "add",
            "jamf",
            "--url",
            "https://x.example.com",
            "--client-id",
            "c",
            "--label",
            "Nowhere",
            "--secret-from",
            nowhere,
        ],
        "",
    ));
    assert!(
        refused.contains("no HashiCorp Vault credential has domain vault:nowhere.example.com"),
        "{refused}"
    );

    let added = ok(&home.run(
        &[
            "creds",
            "add",
            "jamf",
            "--url",
            &mock.url(),
            "--client-id",
            "latchkey-test",
            "--label",
            "Acme via Vault",
            "--secret-from",
            &reference,
        ],
        "",
    ));
    assert!(
        added.contains(&format!(
            "(secret from {reference}, fetched at the next unlock)"
        )),
        "{added}"
    );
    // The keyring keeps the reference, never a secret.
    let items = keyring_items(&jamf_domain);
    assert!(items.contains(&reference), "{items}");
    assert!(items.contains("secret = {}"), "{items}");
    assert!(!items.contains(CANARY), "{items}");

    // Locked: Jamf reads are refused, nothing is fetched.
    let locked = failed(&home.run(&["jamf", "computers", "--domain", &jamf_domain], ""));
    assert!(locked.contains("is locked"), "{locked}");

    // One unlock, one presence check: both domains unlock and the secret is fetched.
    let unlocked = ok(&home.run(&["creds", "unlock", "Acme via Vault"], ""));
    assert!(
        unlocked.contains(&format!("unlocked {jamf_domain}")),
        "{unlocked}"
    );
    assert!(
        unlocked.contains(&format!("unlocked {vault_domain}")),
        "{unlocked}"
    );
    let computers = ok(&home.run(&["jamf", "computers", "--domain", &jamf_domain], ""));
    assert!(!computers.trim().is_empty());
    let listed = ok(&home.run(&["creds", "list"], ""));
    assert!(
        listed.contains(&format!("(secret from {reference}, version 1)")),
        "{listed}"
    );

    // An assistant's calls use it too, and see no secret.
    let mcp = runtime.block_on(async {
        let client = common::socket_client(&home.socket()).await;
        let mut seen = String::new();
        for tool in ["jamf_search_computers", "credentials_status"] {
            // Named: other tests' Jamf domains share this keyring.
            let arguments = match tool {
                "jamf_search_computers" => serde_json::json!({ "domain": jamf_domain }),
                _ => serde_json::json!({}),
            };
            let params = CallToolRequestParams::new(tool)
                .with_arguments(arguments.as_object().unwrap().clone());
            let result = client.call_tool(params).await.expect(tool);
            assert_ne!(result.is_error, Some(true), "{tool}: {result:?}");
            seen.push_str(&serde_json::to_string(&result).unwrap());
        }
        client.cancel().await.ok();
        seen
    });
    assert!(
        mcp.contains("\"computers\"") || mcp.contains("serial"),
        "{mcp}"
    );
    assert!(!mcp.contains(CANARY), "{mcp}");

    // A new version in Vault is fetched on refresh (the mock still takes the same value).
    assert_eq!(bao.put_secret("jamf/prod", "client_secret", CANARY), 2);
    let refreshed = ok(&home.run(&["creds", "refresh", "Acme via Vault"], ""));
    assert!(refreshed.contains("version 2)"), "{refreshed}");
    let json = ok(&home.run(&["creds", "list", "--json"], ""));
    let views: serde_json::Value = serde_json::from_str(&json).unwrap();
    let acme = views
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["label"] == "Acme via Vault")
        .unwrap();
    assert_eq!(acme["source"]["reference"], reference.as_str());
    assert_eq!(acme["source"]["version"], "2");
    ok(&home.run(&["jamf", "computers", "--domain", &jamf_domain], ""));

    // A secret manager's secret is rotated there, not here.
    let rotate = failed(&home.run(&["creds", "rotate", "Acme via Vault"], "other\n"));
    assert!(rotate.contains("rotate it there"), "{rotate}");

    // A field the secret lacks: named, and nothing unlocked.
    let wrong_field = reference.replace("#client_secret", "#password");
    ok(&home.run(
        &[
            "creds",
            "add",
            "jamf",
            "--url",
            "https://broken.example.com",
            "--username",
            "admin",
            "--label",
            "Broken",
            "--secret-from",
            &wrong_field,
        ],
        "",
    ));
    let broken = failed(&home.run(&["creds", "unlock", "Broken"], ""));
    assert!(
        broken.contains(&format!("cannot fetch the secret from {wrong_field}")),
        "{broken}"
    );
    assert!(
        broken.contains("has no field \"password\"; it has: client_secret"),
        "{broken}"
    );
    let status = ok(&home.run(&["creds", "status"], ""));
    let broken_line = status
        .lines()
        .find(|l| l.contains("jamf:broken.example.com"))
        .unwrap();
    assert!(broken_line.contains("locked"), "{status}");
    assert!(!broken_line.contains("unlocked"), "{status}");

    // Import copies the value once into the keyring, under a credential of its own.
    let imported = ok(&home.run(
        &[
            "creds",
            "import",
            &reference,
            "jamf",
            "--url",
            "https://imported.example.com",
            "--client-id",
            "copied",
            "--label",
            "Imported",
        ],
        "",
    ));
    assert!(imported.contains("its secret copied from"), "{imported}");
    let items = keyring_items("jamf:imported.example.com");
    assert!(items.contains(CANARY), "{items}");
    assert!(!items.contains("vault://"), "{items}");

    // A secret kept here moves into Vault: the keyring keeps the reference only, the domain
    // locks, and its next unlock fetches from Vault.
    ok(&home.run(&["creds", "unlock", "Imported"], ""));
    let moved = ok(&home.run(
        &["creds", "edit", "Imported", "--secret-from", &reference],
        "",
    ));
    assert!(
        moved.contains(&format!("is now fetched from {reference} at each unlock")),
        "{moved}"
    );
    let items = keyring_items("jamf:imported.example.com");
    assert!(items.contains("secret = {}"), "{items}");
    assert!(items.contains(&reference), "{items}");
    assert!(!items.contains(CANARY), "{items}");
    let status = ok(&home.run(&["creds", "status"], ""));
    let imported_line = status
        .lines()
        .find(|l| l.contains("jamf:imported.example.com"))
        .unwrap();
    assert!(!imported_line.contains("unlocked"), "{status}");
    ok(&home.run(&["creds", "unlock", "Imported"], ""));
    let listed = ok(&home.run(&["creds", "list"], ""));
    assert!(
        listed.contains(&format!("(secret from {reference}, version 2)")),
        "{listed}"
    );
    let again = failed(&home.run(
        &["creds", "edit", "Imported", "--secret-from", &reference],
        "",
    ));
    assert!(
        again.contains(&format!("is fetched from {reference} already")),
        "{again}"
    );
    // A secret manager's own credential cannot move into one.
    let own = failed(&home.run(&["creds", "edit", "Bao", "--secret-from", &reference], ""));
    assert!(own.contains("secret_from is not valid"), "{own}");
    // And back: a new value typed here replaces the reference.
    let back = ok(&home.run(
        &["creds", "edit", "Imported", "--keep-here"],
        "typed-here-again\n",
    ));
    assert!(back.contains("is now kept here"), "{back}");
    let items = keyring_items("jamf:imported.example.com");
    assert!(items.contains("typed-here-again"), "{items}");
    assert!(!items.contains("vault://"), "{items}");

    // The audit has every step as an admin event, and never the secret.
    let audit = ok(&home.run(&["audit", "search", "--kind", "admin", "--json"], ""));
    for action in [
        "credential.add",
        "unlock",
        "credential.refresh",
        "credential.import",
        "credential.move_secret",
    ] {
        assert!(
            audit.contains(&format!("\"{action}\"")),
            "{action}: {audit}"
        );
    }
    assert!(audit.contains(&reference), "{audit}");
    assert!(!audit.contains(CANARY), "{audit}");
    assert!(!audit.contains(&secret_id), "{audit}");
    ok(&home.run(&["audit", "verify"], ""));

    ok(&home.run(&["creds", "lock", "--all"], ""));
    let log = stop(broker);
    assert!(log.contains("secret fetched"), "{log}");
    assert!(!log.contains(CANARY), "{log}");
    assert!(!log.contains(&secret_id), "{log}");
}

/// What differs between secret managers in the end-to-end sequence
/// [`kept_in_a_secret_manager`] runs.
struct Manager<'a> {
    /// `creds add aws|azure …`, and what is typed as its secret.
    add: Vec<String>,
    secret: &'a str,
    /// Its domain, e.g. `aws:127.0.0.1:5000`.
    domain: String,
    /// The Jamf secret's reference, and the value kept there.
    reference: String,
    value: &'a str,
    /// The Jamf credential's label (unique: the keyring is shared).
    label: &'a str,
    /// Writes a new version of the secret (the same value).
    new_version: Box<dyn Fn() + 'a>,
    /// A reference that cannot be fetched, and what the refusal says.
    broken: (String, String),
}

/// A Jamf credential whose secret `manager` keeps, end to end through the CLI and `broker`:
/// added with `--secret-from` (its keyring item holds no secret), one unlock unlocking both
/// domains, `jamf computers` answered, a new version fetched on refresh, an import copying
/// the value once, a reference that cannot be fetched refused by name, the steps audited,
/// and the value and the manager's secret in no audit entry or log line. Returns the
/// versions fetched (at unlock, on refresh) and the broker's log.
fn kept_in_a_secret_manager(
    home: &Home,
    broker: common::Served,
    mock: &latchkey_jamf_mock::Mock,
    manager: Manager<'_>,
) -> (String, String, String) {
    let jamf_domain = format!("jamf:{}", mock.addr);
    // Hosts of this test's own: the keyring is shared with the other tests.
    let slug = manager.label.to_ascii_lowercase().replace(' ', "-");
    let add: Vec<&str> = manager.add.iter().map(String::as_str).collect();
    let added = ok(&home.run(&add, &format!("{}\n", manager.secret)));
    assert!(added.contains(&manager.domain), "{added}");
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
            manager.label,
            "--secret-from",
            &manager.reference,
        ],
        "",
    ));
    let items = keyring_items(&jamf_domain);
    assert!(items.contains(&manager.reference), "{items}");
    assert!(!items.contains(manager.value), "{items}");

    let unlocked = ok(&home.run(&["creds", "unlock", manager.label], ""));
    assert!(
        unlocked.contains(&format!("unlocked {jamf_domain}")),
        "{unlocked}"
    );
    assert!(
        unlocked.contains(&format!("unlocked {}", manager.domain)),
        "{unlocked}"
    );
    ok(&home.run(&["jamf", "computers", "--domain", &jamf_domain], ""));
    let version = |home: &Home| {
        let json = ok(&home.run(&["creds", "list", "--json"], ""));
        let views: serde_json::Value = serde_json::from_str(&json).unwrap();
        let jamf = (views.as_array().unwrap().iter())
            .find(|v| v["label"] == manager.label)
            .unwrap()
            .clone();
        assert_eq!(jamf["source"]["reference"], manager.reference.as_str());
        jamf["source"]["version"].as_str().unwrap().to_owned()
    };
    let first = version(home);

    (manager.new_version)();
    let refreshed = ok(&home.run(&["creds", "refresh", manager.label], ""));
    let second = version(home);
    assert_ne!(first, second);
    assert!(
        refreshed.contains(&format!("version {second})")),
        "{refreshed}"
    );
    ok(&home.run(&["jamf", "computers", "--domain", &jamf_domain], ""));

    let imported_label = format!("{} imported", manager.label);
    let imported = ok(&home.run(
        &[
            "creds",
            "import",
            &manager.reference,
            "jamf",
            "--url",
            &format!("https://imported-{slug}.example.com"),
            "--client-id",
            "copied",
            "--label",
            &imported_label,
        ],
        "",
    ));
    assert!(imported.contains("its secret copied from"), "{imported}");

    let (broken, refusal) = &manager.broken;
    let broken_label = format!("{} broken", manager.label);
    ok(&home.run(
        &[
            "creds",
            "add",
            "jamf",
            "--url",
            &format!("https://broken-{slug}.example.com"),
            "--username",
            "admin",
            "--label",
            &broken_label,
            "--secret-from",
            broken,
        ],
        "",
    ));
    let refused = failed(&home.run(&["creds", "unlock", &broken_label], ""));
    assert!(refused.contains(refusal.as_str()), "{refused}");

    let audit = ok(&home.run(&["audit", "search", "--kind", "admin", "--json"], ""));
    for action in ["credential.add", "unlock", "credential.refresh"] {
        assert!(
            audit.contains(&format!("\"{action}\"")),
            "{action}: {audit}"
        );
    }
    assert!(audit.contains(&manager.domain), "{audit}");
    assert!(!audit.contains(manager.value), "{audit}");
    assert!(!audit.contains(manager.secret), "{audit}");
    ok(&home.run(&["creds", "lock", "--all"], ""));
    let log = stop(broker);
    assert!(log.contains("secret fetched"), "{log}");
    assert!(!log.contains(manager.value), "{log}");
    assert!(!log.contains(manager.secret), "{log}");
    (first, second, log)
}

/// The same with AWS Secrets Manager: a real moto server enforcing IAM, the secret a key of a
/// JSON SecretString read by ARN with an IAM user's access key.
#[test]
fn a_jamf_secret_kept_in_aws_is_fetched_at_unlock_and_never_shown() {
    let test = "a_jamf_secret_kept_in_aws_is_fetched_at_unlock_and_never_shown";
    if !common::keyring(test) || !latchkey_moto_harness::require(test) {
        return;
    }
    const AWS_CANARY: &str = "aws-kept-canary-5d1e";
    let moto = latchkey_moto_harness::Moto::start();
    let json = format!(r#"{{"client_id":"latchkey-test","client_secret":"{AWS_CANARY}"}}"#);
    let arn = moto.create_secret("jamf/prod", &json);
    let user = moto.user(
        "latchkey",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#,
    );
    let admin = moto.user(
        "admin",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    );
    moto.enforce_iam();
    let reference = format!("aws-sm://{}/{arn}#client_secret", moto.addr);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = runtime.block_on(latchkey_jamf_mock::Mock::start(
        latchkey_jamf_mock::MockConfig {
            client_secret: AWS_CANARY.into(),
            ..latchkey_jamf_mock::MockConfig::default()
        },
    ));
    let home = Home::new();
    let broker = home.serve_answering("approve");
    let add = [
        "creds",
        "add",
        "aws",
        "--region",
        latchkey_moto_harness::REGION,
        "--access-key-id",
        &user.id,
        "--endpoint",
        &moto.endpoint(),
        "--label",
        "Moto",
    ];
    // A new version in AWS is written by an administrator: IAM is enforced.
    let new_version = || {
        moto.python(
            &format!(
                "c = boto3.client('secretsmanager', endpoint_url=endpoint, region_name=region, aws_access_key_id={:?}, aws_secret_access_key=sys.stdin.read())\n\
                 c.put_secret_value(SecretId='jamf/prod', SecretString={json:?})\nprint('null')\n",
                admin.id
            ),
            &admin.secret,
        );
    };
    // The ARN's random suffix makes the audit's redaction hide the reference itself, which
    // errs on the safe side; the domain and the steps are there.
    kept_in_a_secret_manager(
        &home,
        broker,
        &mock,
        Manager {
            add: add.map(str::to_owned).to_vec(),
            secret: &user.secret,
            domain: format!("aws:{}", moto.addr),
            broken: (
                reference.replace("#client_secret", "#password"),
                "has no key \"password\"; it has: client_id, client_secret".into(),
            ),
            reference,
            value: AWS_CANARY,
            label: "Acme AWS",
            new_version: Box::new(new_version),
        },
    );
}

/// The same with Azure Key Vault: the stand-in's vault, read by a service principal allowed
/// to. The broker is given the stand-in's proxy and CA as a company's would be.
#[test]
fn a_jamf_secret_kept_in_azure_is_fetched_at_unlock_and_never_shown() {
    let test = "a_jamf_secret_kept_in_azure_is_fetched_at_unlock_and_never_shown";
    if !common::keyring(test) {
        return;
    }
    const AZURE_CANARY: &str = "azure-kept-canary-3b8f";
    const CLIENT_SECRET: &str = "azure-client-secret-canary-c4d2";
    const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const APP: &str = "11111111-1111-1111-1111-111111111111";
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let standin = runtime.block_on(latchkey_azure_standin::StandIn::start(TENANT));
    standin.add_app(TENANT, APP, CLIENT_SECRET, true);
    let created = standin.set_secret("jamf-prod", AZURE_CANARY);
    let reference = format!("azure-kv://{}/jamf-prod", standin.host());
    let mock = runtime.block_on(latchkey_jamf_mock::Mock::start(
        latchkey_jamf_mock::MockConfig {
            client_secret: AZURE_CANARY.into(),
            ..latchkey_jamf_mock::MockConfig::default()
        },
    ));
    let home = Home::new();
    let ca = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca.path(), standin.ca_pem()).unwrap();
    let mut serve = home.latchkey(&["serve"]);
    serve
        .env("LATCHKEY_SCRIPTED_PRESENCE", "approve")
        .env("LATCHKEY_LOG", "latchkey_broker=debug,latchkey_vault=debug")
        .env("HTTPS_PROXY", standin.proxy_url())
        .env("SSL_CERT_FILE", ca.path());
    for inherited in [
        "NO_PROXY",
        "no_proxy",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        serve.env_remove(inherited);
    }
    let broker = home.serve_with(serve);
    let vault_url = standin.vault_url();
    let add = [
        "creds",
        "add",
        "azure",
        "--vault-url",
        &vault_url,
        "--tenant-id",
        TENANT,
        "--client-id",
        APP,
        "--authority-host",
        &vault_url,
        "--label",
        "Azure stand-in",
    ];
    let updated = std::cell::RefCell::new(String::new());
    let (first, second, log) = kept_in_a_secret_manager(
        &home,
        broker,
        &mock,
        Manager {
            add: add.map(str::to_owned).to_vec(),
            secret: CLIENT_SECRET,
            domain: format!("azure:{}", standin.host()),
            broken: (
                reference.replace("/jamf-prod", "/jamf-missing"),
                format!(
                    "Azure Key Vault {} has no secret jamf-missing",
                    standin.host()
                ),
            ),
            reference,
            value: AZURE_CANARY,
            label: "Acme Azure",
            new_version: Box::new(|| {
                *updated.borrow_mut() = standin.set_secret("jamf-prod", AZURE_CANARY);
            }),
        },
    );
    // The versions are the stand-in's; the broker reached the vault's host through the
    // proxy, and Key Vault's challenge came first: no token on the first request.
    assert_eq!((first, second), (created, updated.take()));
    assert!(
        standin.connects().contains(&standin.host()),
        "{:?}",
        standin.connects()
    );
    let seen = standin.seen();
    assert!(!seen[0].bearer && seen[1].bearer, "{seen:?}");
    assert!(!log.contains("standin-token"), "{log}");
}
