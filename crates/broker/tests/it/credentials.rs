//! Credentials through the broker's real surfaces: the control socket the CLI uses and the MCP
//! socket assistants use, on a bound broker. The store is in memory (the Secret Service is
//! exercised in crates/vault and the CLI tests); the human at the presence prompt is
//! [`common::TestPresence`].

use crate::common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use latchkey_broker::control::{ControlClient, ControlError, ControlRequest};
use latchkey_broker::{
    Actor, Assistants, Broker, CredentialError, CredentialService, CredentialView,
    CredentialsOverview, PolicySettings, Services, Settings, StatePaths,
};
use latchkey_vault::{
    Account, Domain, Error, MemoryStore, NewCredential, Requester, SecretStore, SecretString,
    StoreOp,
};
use rmcp::model::{CallToolRequestParams, ReadResourceRequestParams};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const CANARY: &str = "canary-s3cret-5f2c9a";

struct Running {
    paths: StatePaths,
    store: Arc<MemoryStore>,
    presence: Arc<common::TestPresence>,
    credentials: Arc<CredentialService>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _home: tempfile::TempDir,
}

impl Running {
    async fn start() -> Self {
        let home = tempfile::tempdir().unwrap();
        let paths = StatePaths::at(home.path().join("state"));
        let store = Arc::new(MemoryStore::new());
        let presence = Arc::new(common::TestPresence::default());
        let credentials = Arc::new(CredentialService::new(store.clone(), presence.clone()));
        let services = Services::new(
            common::fixture_sofa(),
            Arc::clone(&credentials),
            Arc::new(Assistants::new(
                Arc::new(common::TestPresence::approving()),
                None,
            )),
            common::temp_audit(),
        );
        let broker = Broker::bind(&paths, services).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel();
        tokio::spawn(broker.serve(async {
            let _ = stopped.await;
        }));
        Self {
            paths,
            store,
            presence,
            credentials,
            stop: Some(stop),
            _home: home,
        }
    }

    async fn control(&self) -> ControlClient {
        ControlClient::connect(&self.paths.control_socket())
            .await
            .unwrap()
    }

    fn approve(&self, yes: bool) {
        self.presence.approve.store(yes, Ordering::SeqCst);
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn add_jamf(host: &str) -> ControlRequest {
    ControlRequest::Add {
        label: format!("Jamf {host}"),
        account: Account::JamfClient {
            url: format!("https://{host}"),
            client_id: "api-client".into(),
        },
        secret: SecretString::from(CANARY),
        source: None,
        passphrase: None,
    }
}

#[tokio::test]
async fn add_unlock_use_lock_and_remove_through_the_control_socket() {
    let broker = Running::start().await;
    let mut cli = broker.control().await;
    broker.approve(true);

    let added: CredentialView = cli.call(&add_jamf("acme.jamfcloud.com")).await.unwrap();
    assert_eq!(added.domain.as_str(), "jamf:acme.jamfcloud.com");
    assert!(!added.unlocked);
    assert_eq!(
        broker.presence.asked.lock().unwrap().last().unwrap(),
        "add the Jamf Pro credential \"Jamf acme.jamfcloud.com\" (asked from the latchkey command line)"
    );

    let domain = Domain::from("jamf:acme.jamfcloud.com");
    let err = broker.credentials.secret(&domain, &added.id).unwrap_err();
    assert_eq!(
        err.to_string(),
        "domain jamf:acme.jamfcloud.com is locked — unlock it from the Latchkey menu"
    );

    let unlocked: Vec<Domain> = cli
        .call(&ControlRequest::Unlock {
            domain: Some(domain.clone()),
            ttl_minutes: Some(30),
            passphrase: None,
        })
        .await
        .unwrap();
    assert_eq!(unlocked, std::slice::from_ref(&domain));
    assert!(
        broker
            .presence
            .asked
            .lock()
            .unwrap()
            .last()
            .unwrap()
            .starts_with("unlock Jamf Pro acme.jamfcloud.com")
    );
    let secret = broker.credentials.secret(&domain, &added.id).unwrap();
    assert_eq!(secret.expose(), CANARY);

    let overview: CredentialsOverview = cli.call(&ControlRequest::Overview).await.unwrap();
    let view = &overview.domains[0];
    assert!(view.unlocked);
    let left = view.seconds_left.unwrap();
    assert!((29 * 60..=30 * 60).contains(&left), "{left}");
    assert!(overview.credentials[0].last_used.is_some());

    let locked: usize = cli
        .call(&ControlRequest::Lock { domain: None })
        .await
        .unwrap();
    assert_eq!(locked, 1);
    assert!(broker.credentials.secret(&domain, &added.id).is_err());

    cli.call::<()>(&ControlRequest::Remove { id: added.id })
        .await
        .unwrap();
    let overview: CredentialsOverview = cli.call(&ControlRequest::Overview).await.unwrap();
    assert!(overview.credentials.is_empty());
}

#[tokio::test]
async fn a_declined_presence_check_changes_nothing() {
    let broker = Running::start().await;
    let mut cli = broker.control().await;

    broker.approve(false);
    let err = cli
        .call::<CredentialView>(&add_jamf("a.example.com"))
        .await
        .unwrap_err();
    assert_eq!(err.message, "the confirmation was declined");
    let overview: CredentialsOverview = cli.call(&ControlRequest::Overview).await.unwrap();
    assert!(overview.credentials.is_empty());

    broker.approve(true);
    let added: CredentialView = cli.call(&add_jamf("a.example.com")).await.unwrap();
    broker.approve(false);
    for request in [
        ControlRequest::Unlock {
            domain: None,
            ttl_minutes: None,
            passphrase: None,
        },
        ControlRequest::Remove {
            id: added.id.clone(),
        },
        ControlRequest::Rotate {
            id: added.id.clone(),
            secret: "other".into(),
        },
    ] {
        let err = cli.call::<serde_json::Value>(&request).await.unwrap_err();
        assert_eq!(err.message, "the confirmation was declined", "{request:?}");
    }
    let overview: CredentialsOverview = cli.call(&ControlRequest::Overview).await.unwrap();
    assert_eq!(overview.credentials.len(), 1);
    assert!(!overview.domains[0].unlocked);
    assert_eq!(overview.credentials[0].last_rotated, added.last_rotated);
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field_and_without_a_prompt() {
    let broker = Running::start().await;
    let mut cli = broker.control().await;
    broker.approve(true);
    let err = cli
        .call::<CredentialView>(&ControlRequest::Add {
            label: "  ".into(),
            account: Account::Vault {
                address: "http://vault.example.com".into(),
                namespace: None,
                role_id: None,
            },
            secret: "x".into(),
            source: None,
            passphrase: None,
        })
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ControlError {
            message: "label is required".into(),
            field: Some("label".into())
        }
    );
    assert!(
        broker.presence.asked.lock().unwrap().is_empty(),
        "no prompt for input that cannot be stored"
    );

    let err = cli
        .call::<Vec<Domain>>(&ControlRequest::Unlock {
            domain: Some("jamf:nowhere.example.com".into()),
            ttl_minutes: None,
            passphrase: None,
        })
        .await
        .unwrap_err();
    assert!(
        err.message
            .contains("no credential belongs to domain jamf:nowhere.example.com")
    );

    cli.call::<CredentialView>(&add_jamf("b.example.com"))
        .await
        .unwrap();
    let err = cli
        .call::<Vec<Domain>>(&ControlRequest::Unlock {
            domain: None,
            ttl_minutes: Some(1),
            passphrase: None,
        })
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("ttl"));
}

#[tokio::test]
async fn a_store_failure_during_unlock_unlocks_nothing() {
    let broker = Running::start().await;
    let mut cli = broker.control().await;
    broker.approve(true);
    cli.call::<CredentialView>(&add_jamf("c.example.com"))
        .await
        .unwrap();
    broker
        .store
        .fail_next(StoreOp::Get, Error::Unavailable("keyring went away".into()));
    let err = cli
        .call::<Vec<Domain>>(&ControlRequest::Unlock {
            domain: None,
            ttl_minutes: None,
            passphrase: None,
        })
        .await
        .unwrap_err();
    assert!(err.message.contains("keyring went away"), "{err}");
    let overview: CredentialsOverview = cli.call(&ControlRequest::Overview).await.unwrap();
    assert!(!overview.domains[0].unlocked);
}

#[tokio::test]
async fn garbage_on_the_control_socket_gets_an_error_and_the_connection_goes_on() {
    let broker = Running::start().await;
    let stream = tokio::net::UnixStream::connect(broker.paths.control_socket())
        .await
        .unwrap();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    for garbage in [
        "not json\n",
        "{\"op\":\"explode\"}\n",
        "{\"op\":\"add\",\"label\":\"x\"}\n",
    ] {
        write.write_all(garbage.as_bytes()).await.unwrap();
        let answer = lines.next_line().await.unwrap().unwrap();
        assert!(
            answer.starts_with("{\"error\":{\"message\":\"bad request"),
            "{answer}"
        );
    }
    write.write_all(b"{\"op\":\"overview\"}\n").await.unwrap();
    let answer = lines.next_line().await.unwrap().unwrap();
    assert!(answer.starts_with("{\"ok\":"), "{answer}");

    // A line longer than any request is skipped with an error, and the connection goes on.
    let mut long = vec![b'x'; 1024 * 1024];
    long.push(b'\n');
    write.write_all(&long).await.unwrap();
    let answer = lines.next_line().await.unwrap().unwrap();
    assert!(answer.contains("request longer than"), "{answer}");
    write.write_all(b"{\"op\":\"overview\"}\n").await.unwrap();
    let answer = lines.next_line().await.unwrap().unwrap();
    assert!(answer.starts_with("{\"ok\":"), "{answer}");

    let mut cli = broker.control().await;
    cli.call::<CredentialsOverview>(&ControlRequest::Overview)
        .await
        .unwrap();
}

#[tokio::test]
async fn assistants_see_lock_state_and_never_a_secret() {
    let broker = Running::start().await;
    let mut cli = broker.control().await;
    broker.approve(true);
    let added: CredentialView = cli.call(&add_jamf("acme.jamfcloud.com")).await.unwrap();
    let stream = tokio::net::UnixStream::connect(broker.paths.mcp_socket())
        .await
        .unwrap();
    let mcp = rmcp::ServiceExt::serve((), stream.into_split())
        .await
        .unwrap();

    let status = mcp
        .call_tool(CallToolRequestParams::new("credentials_status"))
        .await
        .unwrap();
    let domains = &status.structured_content.clone().unwrap()["domains"];
    assert_eq!(domains[0]["domain"], "jamf:acme.jamfcloud.com");
    assert_eq!(domains[0]["unlocked"], false);

    broker
        .credentials
        .unlock(
            latchkey_broker::Target::All,
            Some(Duration::from_secs(3600)),
            Requester::App,
            None,
        )
        .await
        .unwrap();
    let mut everything = String::new();
    for tool in mcp.list_all_tools().await.unwrap() {
        let args = match tool.name.as_ref() {
            "sofa_os_status" | "sofa_cves_fixed_after" => {
                serde_json::json!({ "version": "15.1" })
            }
            "sofa_fleet_exposure" => {
                serde_json::json!({ "devices": [{ "id": "C02", "os_version": "15.1" }] })
            }
            "vsphere_find_vlan" => serde_json::json!({ "vlan": 100 }),
            "vsphere_vm_details" => serde_json::json!({ "vm": "vm-1" }),
            _ => serde_json::json!({}),
        };
        let result = mcp
            .call_tool(
                CallToolRequestParams::new(tool.name.clone())
                    .with_arguments(args.as_object().unwrap().clone()),
            )
            .await
            .unwrap();
        // The Jamf tools reach for a server that is not there (tests/jamf_tools.rs has one),
        // the vCenter tools find no vCenter stored (tests/vsphere_tools.rs has one): their
        // errors still go through the canary check.
        if !tool.name.starts_with("jamf_") && !tool.name.starts_with("vsphere_") {
            assert_ne!(result.is_error, Some(true), "{}: {result:?}", tool.name);
        }
        everything += &serde_json::to_string(&result).unwrap();
    }
    let feed = mcp
        .read_resource(ReadResourceRequestParams::new("latchkey://sofa/feed"))
        .await
        .unwrap();
    everything += &serde_json::to_string(&feed).unwrap();
    assert!(everything.contains("\"unlocked\":true"), "{everything}");
    assert!(
        !everything.contains(CANARY),
        "a secret reached an assistant"
    );

    let overview: CredentialsOverview = cli.call(&ControlRequest::Overview).await.unwrap();
    assert!(!serde_json::to_string(&overview).unwrap().contains(CANARY));
    assert_eq!(overview.credentials[0].id, added.id);
    mcp.cancel().await.unwrap();
}

/// Services keeping their settings in `file`, as a broker does.
async fn with_settings(
    store: &Arc<MemoryStore>,
    presence: &Arc<common::TestPresence>,
    file: &std::path::Path,
) -> Services {
    let credentials = CredentialService::new(store.clone(), presence.clone());
    Services::new(
        common::fixture_sofa(),
        Arc::new(credentials),
        Arc::new(Assistants::new(presence.clone(), None)),
        common::temp_audit(),
    )
    .with_settings_file(common::sealed(store, file).await)
}

/// The attack: an assistant with a shell (or any process of the user) runs `latchkey settings
/// set deadlines.exploited_days=90`, or turns notifications off, or refreshes the feed weekly,
/// and overdue Macs stop showing as overdue. Each of those needs the person; shorter deadlines
/// and more frequent refreshes are stricter and do not.
#[tokio::test]
async fn settings_that_would_hide_overdue_macs_need_the_person() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("config/settings.json");
    let store = Arc::new(MemoryStore::new());
    let presence = Arc::new(common::TestPresence::default());
    presence.approve.store(false, Ordering::SeqCst);
    let services = with_settings(&store, &presence, &file).await;
    let saved = services.settings.saved();
    type Change = fn(&mut Settings);
    let hiding: [(&str, Change); 5] = [
        ("deadlines.exploited_days", |s| {
            s.deadlines.exploited_days = 90
        }),
        ("deadlines.standard_days", |s| {
            s.deadlines.standard_days = 365
        }),
        ("deadlines.major_days", |s| s.deadlines.major_days = 365),
        ("sofa.refresh_hours", |s| s.sofa.refresh_hours = 168),
        ("notifications.enabled", |s| s.notifications.enabled = false),
    ];
    for (key, change) in hiding {
        let mut weaker = saved.clone();
        change(&mut weaker);
        let refused = services
            .pipeline
            .set_settings(weaker, &Actor::cli(None))
            .await;
        assert!(
            matches!(refused, Err(CredentialError::Presence(_))),
            "{key}: {refused:?}"
        );
        assert_eq!(services.settings.saved(), saved, "{key}");
    }
    let asked = presence.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 5, "{asked:?}");
    assert!(
        asked[0].contains("updates fixing an actively exploited CVE are due after 90 days"),
        "{asked:?}"
    );
    assert!(
        asked[3].contains("the SOFA feed is fetched every 168 hours"),
        "{asked:?}"
    );
    assert!(asked[4].contains("notifications are off"), "{asked:?}");

    // Stricter: saved without asking.
    let mut stricter = saved.clone();
    stricter.deadlines.exploited_days = 3;
    stricter.sofa.refresh_hours = 3;
    services
        .pipeline
        .set_settings(stricter.clone(), &Actor::cli(None))
        .await
        .unwrap();
    assert_eq!(services.settings.saved(), stricter);
    assert_eq!(presence.asked.lock().unwrap().len(), 5);
}

#[tokio::test]
async fn settings_are_saved_applied_audited_and_refused_when_out_of_range() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("config/settings.json");
    let store = Arc::new(MemoryStore::new());
    let presence = Arc::new(common::TestPresence::default());
    presence.approve.store(true, Ordering::SeqCst);
    let services = with_settings(&store, &presence, &file).await;
    let view = services.settings.view();
    assert_eq!(view.settings, Settings::default());
    assert_eq!(view.settings.unlock.unlock_minutes, 240);
    assert_eq!(view.settings.approvals.timeout_seconds, 120);
    assert_eq!(view.settings.audit.retention_days, 365);

    // The unlock policy alone (`creds policy`): a weaker lock, so the person is asked.
    let set = PolicySettings {
        unlock_minutes: 90,
        idle_minutes: Some(20),
    };
    services
        .pipeline
        .set_policy(set, &Actor::app())
        .await
        .unwrap();
    assert_eq!(
        presence.asked.lock().unwrap().last().unwrap(),
        "change Latchkey's settings: unlocks last 1h 30m, locking after 20m unused"
    );
    let saved = || common::sealed(&store, &file);
    assert_eq!(saved().await.load::<Settings>().unwrap().unlock, set);

    // Everything at once: the guards (approval wait, audit retention, feed, notifications off)
    // need presence and the prompt names each; a shorter deadline and a more frequent refresh
    // do not.
    let mut all = services.settings.saved();
    all.approvals.timeout_seconds = 300;
    all.audit.retention_days = 90;
    all.sofa.feed = "v1".into();
    all.sofa.refresh_hours = 3;
    all.deadlines.exploited_days = 3;
    all.notifications.enabled = false;
    presence.approve.store(false, Ordering::SeqCst);
    let declined = services
        .pipeline
        .set_settings(all.clone(), &Actor::app())
        .await
        .unwrap_err();
    assert!(
        matches!(declined, CredentialError::Presence(_)),
        "{declined}"
    );
    assert_eq!(
        services.settings.view().settings.approvals.timeout_seconds,
        120
    );
    presence.approve.store(true, Ordering::SeqCst);
    let view = services
        .pipeline
        .set_settings(all.clone(), &Actor::app())
        .await
        .unwrap();
    let asked = presence.asked.lock().unwrap().last().unwrap().clone();
    assert_eq!(
        asked,
        "change Latchkey's settings: the SOFA feed comes from v1; approvals wait 5m; the audit \
         log keeps 90 days (older entries are deleted); notifications are off"
    );
    // What is shown is read back from the services that apply it.
    assert_eq!(view.settings, all);
    assert_eq!(services.approvals.timeout(), Duration::from_secs(300));
    assert_eq!(services.audit.retention_days(), 90);
    assert_eq!(services.sofa.update_sla().actively_exploited_days, 3);
    assert_eq!(services.sofa.refresh_every(), Duration::from_secs(3 * 3600));

    let asked_before = presence.asked.lock().unwrap().len();
    let mut deadlines = all.clone();
    deadlines.deadlines.standard_days = 14;
    services
        .pipeline
        .set_settings(deadlines.clone(), &Actor::app())
        .await
        .unwrap();
    assert_eq!(
        presence.asked.lock().unwrap().len(),
        asked_before,
        "a shorter deadline is no weaker guard"
    );

    // The audit holds each change, before and after, the declined one as denied.
    let entries: Vec<_> = (services.audit.log().unwrap().tail(100).unwrap().into_iter())
        .filter(|e| e.tool.as_deref() == Some("settings.set"))
        .collect();
    assert_eq!(entries.len(), 4, "{entries:?}");
    assert_eq!(entries[1].decision, Some(latchkey_audit::Decision::Denied));
    let changed = entries[2].arguments.as_ref().unwrap();
    assert_eq!(changed["sofa.feed"], json!({ "from": "v2", "to": "v1" }));
    assert_eq!(
        changed["approvals.timeout_seconds"],
        json!({ "from": 120, "to": 300 })
    );
    assert!(changed.get("unlock_minutes").is_none(), "{changed}");

    // A new broker starts from the saved settings, and unlocks follow them.
    let again = with_settings(&store, &presence, &file).await;
    assert_eq!(again.settings.view().settings, deadlines);
    let overview = again.credentials.overview().await;
    assert_eq!(overview.default_ttl_seconds, 90 * 60);
    assert_eq!(overview.idle_timeout_seconds, Some(20 * 60));
    again
        .credentials
        .add(
            latchkey_vault::NewCredential {
                label: "V".into(),
                account: Account::Vault {
                    address: "https://v.example.com".into(),
                    namespace: None,
                    role_id: None,
                },
                secret: CANARY.into(),
                source: None,
            },
            Requester::App,
        )
        .await
        .unwrap();
    again
        .credentials
        .unlock(latchkey_broker::Target::All, None, Requester::App, None)
        .await
        .unwrap();
    let domain = &again.credentials.overview().await.domains[0];
    assert!(domain.idle_limited);
    assert!(domain.seconds_left.unwrap() <= 20 * 60);

    // Out of range: refused by field, nobody asked, nothing saved.
    let asked_before = presence.asked.lock().unwrap().len();
    for (field, change) in [
        (
            "idle_minutes",
            json!({ "unlock_minutes": 60, "idle_minutes": 61 }),
        ),
        ("unlock_minutes", json!({ "unlock_minutes": 780 })),
        (
            "sofa.feed",
            json!({ "sofa": { "feed": "feeds/sofa.json" } }),
        ),
        (
            "sofa.feed",
            json!({ "sofa": { "feed": "http://mirror.example.com/feed.json" } }),
        ),
        (
            "approvals.timeout_seconds",
            json!({ "approvals": { "timeout_seconds": 5 } }),
        ),
        (
            "audit.retention_days",
            json!({ "audit": { "retention_days": 7 } }),
        ),
        (
            "deadlines.major_days",
            json!({ "deadlines": { "major_days": 0 } }),
        ),
    ] {
        let bad: Settings = serde_json::from_value(change).unwrap();
        let err = again
            .pipeline
            .set_settings(bad, &Actor::app())
            .await
            .unwrap_err();
        assert_eq!(err.field(), Some(field), "{err}");
        assert!(
            err.to_string().contains(field) || field.ends_with("minutes"),
            "{err}"
        );
    }
    assert_eq!(presence.asked.lock().unwrap().len(), asked_before);
    assert_eq!(saved().await.load::<Settings>(), Some(deadlines));

    // A damaged file is ignored (defaults), said so, and left for the user to see.
    std::fs::write(&file, b"{\"unlock_minutes\": 100000}").unwrap();
    let damaged = with_settings(&store, &presence, &file).await;
    assert_eq!(
        damaged.credentials.overview().await.default_ttl_seconds,
        4 * 3600
    );
    assert!(damaged.settings.refused().is_some());
    assert!(damaged.settings.view().refused.is_some());
    assert_eq!(
        std::fs::read(&file).unwrap(),
        b"{\"unlock_minutes\": 100000}"
    );
}

#[tokio::test]
async fn an_edit_from_the_cli_that_moves_the_secret_asks_first_and_locks_the_domain() {
    let broker = Running::start().await;
    let mut cli = broker.control().await;
    broker.approve(true);
    let added: CredentialView = cli.call(&add_jamf("edit.example.com")).await.unwrap();
    let old = Domain::from("jamf:edit.example.com");
    let _: Vec<Domain> = cli
        .call(&ControlRequest::Unlock {
            domain: Some(old.clone()),
            ttl_minutes: None,
            passphrase: None,
        })
        .await
        .unwrap();
    let asked = || broker.presence.asked.lock().unwrap().len();

    // A new label only: no prompt, still unlocked.
    let before = asked();
    let renamed: CredentialView = cli
        .call(&ControlRequest::Edit {
            id: added.id.clone(),
            label: "Renamed".into(),
            account: added.account.clone(),
        })
        .await
        .unwrap();
    assert_eq!(renamed.label, "Renamed");
    assert!(renamed.unlocked);
    assert_eq!(asked(), before);

    // Somewhere else: declined, nothing changes.
    let moved = ControlRequest::Edit {
        id: added.id.clone(),
        label: "Renamed".into(),
        account: Account::JamfClient {
            url: "https://elsewhere.example.com".into(),
            client_id: "api-client".into(),
        },
    };
    broker.approve(false);
    let err = cli.call::<CredentialView>(&moved).await.unwrap_err();
    assert_eq!(err.message, "the confirmation was declined");
    assert_eq!(
        broker.presence.asked.lock().unwrap().last().unwrap(),
        "change \"Renamed\" to jamf:elsewhere.example.com as client api-client (asked from the \
         latchkey command line)"
    );
    assert!(broker.credentials.is_unlocked(&old));
    let listed = broker.credentials.list().await.unwrap();
    assert_eq!(listed[0].domain, old);

    // Confirmed: moved, its old domain locked, its secret kept.
    broker.approve(true);
    let edited: CredentialView = cli.call(&moved).await.unwrap();
    assert_eq!(edited.domain.as_str(), "jamf:elsewhere.example.com");
    assert!(!edited.unlocked);
    assert!(!broker.credentials.is_unlocked(&old));
    assert_eq!(broker.store.get(&added.id).await.unwrap().expose(), CANARY);

    // A field error names the field; another type of account is refused by name.
    let err = cli
        .call::<CredentialView>(&ControlRequest::Edit {
            id: added.id.clone(),
            label: "Renamed".into(),
            account: Account::JamfClient {
                url: "http://elsewhere.example.com".into(),
                client_id: "api-client".into(),
            },
        })
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("url"), "{err:?}");
    let err = cli
        .call::<CredentialView>(&ControlRequest::Edit {
            id: added.id.clone(),
            label: "Renamed".into(),
            account: Account::Vault {
                address: "https://vault.example.com".into(),
                namespace: None,
                role_id: None,
            },
        })
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("type"), "{err:?}");
}

#[tokio::test]
async fn the_store_is_listed_once_for_many_reads_and_again_after_a_write() {
    let broker = Running::start().await;
    // Adding asks for presence, from the app too.
    broker.presence.approve.store(true, Ordering::SeqCst);
    let credentials = &broker.credentials;
    let add = |host: &str| NewCredential {
        label: host.to_owned(),
        account: Account::Vault {
            address: format!("https://{host}"),
            namespace: None,
            role_id: None,
        },
        secret: SecretString::from(CANARY),
        source: None,
    };
    credentials
        .add(add("one.example.com"), Requester::App)
        .await
        .unwrap();
    assert_eq!(credentials.list().await.unwrap().len(), 1);

    // Reads within a few seconds reuse the listing: the store is not asked (it would fail).
    broker
        .store
        .fail_next(StoreOp::List, Error::Unavailable("asked again".into()));
    for _ in 0..100 {
        assert_eq!(credentials.domains().await.unwrap().len(), 1);
    }
    // A write forgets it: the next read asks the store, and meets the failure left waiting.
    credentials
        .add(add("two.example.com"), Requester::App)
        .await
        .unwrap();
    let err = credentials.list().await.unwrap_err();
    assert!(err.to_string().contains("asked again"), "{err}");
    assert_eq!(credentials.list().await.unwrap().len(), 2);
}

/// Issue #14, without a Vault: a credential whose secret is kept in Vault stores no secret,
/// shows where it comes from, cannot be rotated here or refreshed while locked, and a fetch
/// that fails (Vault unreachable, or its credential gone) unlocks nothing, saying why, with
/// no token in the message. (Against a real OpenBao: crates/cli/tests/it/secret_sources.rs.)
#[tokio::test]
async fn a_secret_kept_in_vault_unlocks_nothing_when_it_cannot_be_fetched() {
    let broker = Running::start().await;
    broker.approve(true);
    let credentials = &broker.credentials;
    // Nothing listens on port 9: the fetch fails to connect.
    let vault = credentials
        .add(
            NewCredential {
                label: "Vault".into(),
                account: Account::Vault {
                    address: "http://127.0.0.1:9".into(),
                    namespace: Some("team".into()),
                    role_id: None,
                },
                secret: SecretString::from(CANARY),
                source: None,
            },
            Requester::App,
        )
        .await
        .unwrap();
    let reference: latchkey_vault::SecretRef = "vault://127.0.0.1:9/secret/jamf#client_secret"
        .parse()
        .unwrap();
    let jamf = credentials
        .add(
            NewCredential {
                label: "Acme".into(),
                account: Account::JamfClient {
                    url: "https://acme.example.com".into(),
                    client_id: "c".into(),
                },
                secret: SecretString::from(""),
                source: Some(reference.clone()),
            },
            Requester::App,
        )
        .await
        .unwrap();
    let source = jamf.source.clone().unwrap();
    assert_eq!(
        (source.reference, source.version),
        (reference.clone(), None)
    );
    assert_eq!(broker.store.get(&jamf.id).await.unwrap().expose(), "");

    let err = credentials
        .rotate(&jamf.id, SecretString::from("x"), Requester::Cli)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("rotate it there"), "{err}");
    let err = credentials
        .refresh(&jamf.id, Requester::Cli)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("is locked"), "{err}");

    let domain = jamf.domain.clone();
    let err = credentials
        .unlock(
            latchkey_broker::Target::One(domain.clone()),
            None,
            Requester::Cli,
            None,
        )
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "cannot fetch the secret from {reference}: Vault at 127.0.0.1:9 is unreachable"
        )),
        "{text}"
    );
    assert!(!text.contains(CANARY), "{text}");
    assert!(!credentials.is_unlocked(&domain));
    assert!(!credentials.is_unlocked(&vault.domain));

    credentials.remove(&vault.id, Requester::Cli).await.unwrap();
    let err = credentials
        .unlock(
            latchkey_broker::Target::One(domain.clone()),
            None,
            Requester::Cli,
            None,
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("no HashiCorp Vault credential has domain vault:127.0.0.1:9"),
        "{err}"
    );
    assert!(!credentials.is_unlocked(&domain));
}

/// Moving where a secret is kept, through the control socket as `creds edit --secret-from` /
/// `--keep-here` sends it: a reference no secret manager credential answers for, a blank value
/// and a move to where it is already are refused without asking; a declined confirmation moves
/// nothing; a confirmed one deletes the value kept here, names the place in what the person
/// is asked, and locks the domain; back here, the new value is kept and used at once.
#[tokio::test]
async fn a_secret_moves_into_a_secret_manager_and_back_only_when_the_person_confirms() {
    let broker = Running::start().await;
    let mut cli = broker.control().await;
    broker.approve(true);
    let vault: CredentialView = cli
        .call(&ControlRequest::Add {
            label: "Vault".into(),
            account: Account::Vault {
                address: "http://127.0.0.1:9".into(),
                namespace: None,
                role_id: None,
            },
            secret: SecretString::from("vault-token"),
            source: None,
            passphrase: None,
        })
        .await
        .unwrap();
    let jamf: CredentialView = cli.call(&add_jamf("move.example.com")).await.unwrap();
    let unlock = ControlRequest::Unlock {
        domain: Some(jamf.domain.clone()),
        ttl_minutes: None,
        passphrase: None,
    };
    cli.call::<serde_json::Value>(&unlock).await.unwrap();
    let asked = || broker.presence.asked.lock().unwrap().len();
    let move_to = |to: latchkey_vault::SecretPlace| ControlRequest::MoveSecret {
        id: jamf.id.clone(),
        to,
    };
    let at = |reference: &str| latchkey_vault::SecretPlace::At(reference.parse().unwrap());
    let reference = "vault://127.0.0.1:9/secret/jamf#client_secret";

    // Refused before anyone is asked.
    let before = asked();
    let nowhere = cli
        .call::<CredentialView>(&move_to(at("vault://nowhere.example.com/kv/x#f")))
        .await
        .unwrap_err();
    assert!(
        nowhere
            .message
            .contains("no HashiCorp Vault credential has domain vault:nowhere.example.com"),
        "{nowhere:?}"
    );
    let own = cli
        .call::<CredentialView>(&ControlRequest::MoveSecret {
            id: vault.id.clone(),
            to: at(reference),
        })
        .await
        .unwrap_err();
    assert_eq!(own.field.as_deref(), Some("secret_from"), "{own:?}");
    assert_eq!(asked(), before);

    // Declined: the secret stays here and the domain unlocked.
    broker.approve(false);
    let declined = cli
        .call::<CredentialView>(&move_to(at(reference)))
        .await
        .unwrap_err();
    assert_eq!(declined.message, "the confirmation was declined");
    assert_eq!(broker.store.get(&jamf.id).await.unwrap().expose(), CANARY);
    assert!(broker.credentials.is_unlocked(&jamf.domain));

    broker.approve(true);
    let moved: CredentialView = cli.call(&move_to(at(reference))).await.unwrap();
    assert_eq!(
        broker.presence.asked.lock().unwrap().last().unwrap(),
        &format!(
            "fetch the secret of \"Jamf move.example.com\" from {reference} at each unlock and \
             delete the one kept here (asked from the latchkey command line)"
        )
    );
    assert_eq!(moved.source.unwrap().reference.to_string(), reference);
    assert_eq!(broker.store.get(&jamf.id).await.unwrap().expose(), "");
    assert!(!broker.credentials.is_unlocked(&jamf.domain));
    let again = cli
        .call::<CredentialView>(&move_to(at(reference)))
        .await
        .unwrap_err();
    assert!(
        again
            .message
            .ends_with(&format!("is fetched from {reference} already")),
        "{again:?}"
    );

    // Back here, with a new value (a blank one refused by its field, without asking).
    let before = asked();
    let blank = cli
        .call::<CredentialView>(&move_to(latchkey_vault::SecretPlace::Here(" ".into())))
        .await
        .unwrap_err();
    assert_eq!(blank.field.as_deref(), Some("client_secret"), "{blank:?}");
    assert_eq!(asked(), before);
    let back: CredentialView = cli
        .call(&move_to(latchkey_vault::SecretPlace::Here(
            "typed-again".into(),
        )))
        .await
        .unwrap();
    assert!(back.source.is_none());
    assert_eq!(
        broker.store.get(&jamf.id).await.unwrap().expose(),
        "typed-again"
    );
    let here = cli
        .call::<CredentialView>(&move_to(latchkey_vault::SecretPlace::Here("x".into())))
        .await
        .unwrap_err();
    assert!(here.message.ends_with("is kept here already"), "{here:?}");
}
