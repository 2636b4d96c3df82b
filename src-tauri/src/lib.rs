//! Latchkey's menu-bar app. Thin: it wires the tray, the main window and a few commands to
//! the broker it embeds. No secrets, SQL or HTTP here; those belong to the crates.

mod broker;
mod commands;
mod presence;
#[cfg(desktop)]
mod tray;
#[cfg(test)]
mod ts_types;
mod window;

use std::sync::Arc;

use latchkey_broker::StatePaths;
use latchkey_sofa::fetch::FeedSource;
use tauri::{Builder, Emitter, Manager, RunEvent, Runtime};

use crate::presence::{DialogPresence, PromptEvent};

/// Passing this flag (or launching a second time) opens the main window.
const OPEN_FLAG: &str = "--open";

pub fn run() {
    latchkey_broker::init_logging();
    // The app embeds the broker: before any secret is read, no core dumps, and on Linux no
    // same-user ptrace (macOS: the signed app's hardened runtime; see SECURITY.md).
    latchkey_vault::hardening::harden_process();

    // One app per user: a second launch focuses the first instead of starting.
    let single_instance =
        tauri_plugin_single_instance::init(|app, _args, _cwd| window::show_main(app));
    let app = configure(
        tauri::Builder::default().plugin(single_instance),
        StatePaths::from_env(),
        FeedSource::from_env(),
    )
    .build(tauri::generate_context!())
    .expect("failed to build the Latchkey app");
    app.run(|app, event| match event {
        // Closing the window only hides it: the app lives in the menu bar until "Quit".
        RunEvent::WindowEvent {
            label,
            event: tauri::WindowEvent::CloseRequested { api, .. },
            ..
        } => {
            api.prevent_close();
            if let Some(window) = app.get_webview_window(&label) {
                let _ = window.hide();
            }
        }
        RunEvent::Exit => app.state::<broker::EmbeddedBroker>().stop(),
        _ => {}
    });
}

/// Everything the app registers, on any runtime (the real one, or Tauri's mock in tests).
fn configure<R: Runtime>(
    builder: Builder<R>,
    paths: Result<StatePaths, latchkey_broker::Error>,
    sofa_source: FeedSource,
) -> Builder<R> {
    // Used where the platform has no presence check of its own (Touch ID on a Mac).
    let dialog = Arc::new(DialogPresence::default());
    builder
        // Links to Apple's notes and NVD open in the default browser (scoped in capabilities/).
        .plugin(tauri_plugin_opener::init())
        // Desktop notifications the broker's notices ask for (see `notify_desktop`).
        .plugin(tauri_plugin_notification::init())
        // Launch at login (Settings): started from there, the app waits in the menu bar.
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .app_name("Latchkey")
                .build(),
        )
        .invoke_handler(tauri::generate_handler![
            commands::app_status,
            commands::sofa_overview,
            commands::sofa_refresh,
            commands::sofa_status,
            commands::credentials_overview,
            commands::jamf_test_connection,
            commands::jamf_fleet_report,
            commands::jamf_plan_preview,
            commands::jamf_plan_os_update,
            commands::vcenter_test_connection,
            commands::vcenter_certificate,
            commands::vcenter_read,
            commands::vcenter_power,
            commands::credentials_check,
            commands::credentials_add,
            commands::credentials_edit,
            commands::credentials_rotate,
            commands::credentials_move_secret,
            commands::credentials_remove,
            commands::credentials_unlock,
            commands::credentials_lock,
            commands::credentials_set_policy,
            commands::settings_get,
            commands::settings_check,
            commands::settings_set,
            commands::launch_at_login,
            commands::set_launch_at_login,
            commands::http_status,
            commands::http_enable,
            commands::http_disable,
            commands::http_tokens,
            commands::http_token_create,
            commands::http_token_revoke,
            commands::presence_answer,
            commands::audit_search,
            commands::audit_verify,
            commands::audit_acknowledge,
            commands::audit_facets,
            commands::audit_export,
            commands::assistants_list,
            commands::assistants_set,
            commands::assistants_forget,
            commands::mcp_config_snippets,
            commands::approvals_pending,
            commands::approvals_approve,
            commands::approvals_deny,
            commands::approvals_grants,
            commands::approvals_revoke
        ])
        // The broker starts before any window, so assistants can connect as early as possible.
        .manage(broker::EmbeddedBroker::start(
            paths,
            sofa_source,
            dialog.clone(),
        ))
        .manage(Arc::clone(&dialog))
        .setup(move |app| {
            #[cfg(target_os = "macos")]
            app.set_activation_policy(tauri::ActivationPolicy::Accessory);
            connect_dialog(app.handle(), &dialog);
            follow_changes(app.handle(), app.state::<broker::EmbeddedBroker>().inner());
            #[cfg(desktop)]
            tray::create(app.handle(), app.state::<broker::EmbeddedBroker>().inner())?;
            if std::env::args().any(|a| a == OPEN_FLAG) {
                window::show_main(app.handle());
            }
            Ok(())
        })
}

/// Confirmation prompts open the main window and reach its page as events.
fn connect_dialog<R: Runtime>(app: &tauri::AppHandle<R>, dialog: &DialogPresence) {
    let app = app.clone();
    dialog.connect(move |event| {
        let sent = match &event {
            PromptEvent::Request { .. } => {
                window::show_main(&app);
                app.emit("presence-request", &event)
            }
            PromptEvent::Closed { .. } => app.emit("presence-closed", &event),
        };
        if let Err(e) = sent {
            tracing::warn!("cannot reach the window with a confirmation prompt: {e}");
        }
    });
}

/// Tells the page whenever what it shows changed: credentials (added, unlocked, expired,
/// locked on sleep…), assistants (allowed, denied, forgotten), the audit log (new entries) and
/// approvals (asked, answered, timed out; grants made or revoked).
fn follow_changes<R: Runtime>(app: &tauri::AppHandle<R>, broker: &broker::EmbeddedBroker) {
    let Ok(services) = broker.services() else {
        return;
    };
    bring_forward_when_asked(app, services);
    notify_desktop(app, services);
    for (mut changes, event) in [
        (services.credentials.subscribe(), "credentials-changed"),
        (services.assistants.subscribe(), "assistants-changed"),
        (services.audit.subscribe(), "audit-changed"),
        (services.approvals.subscribe(), "approvals-changed"),
    ] {
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            while changes.changed().await.is_ok() {
                let _ = app.emit(event, ());
            }
        });
    }
}

/// The broker's notices as desktop notifications, while Settings has them on. Each names what
/// happened and the page that shows it; a desktop notification cannot open a page when
/// clicked (the plugin has no click handler off mobile), so its text says where to look.
fn notify_desktop<R: Runtime>(app: &tauri::AppHandle<R>, services: &latchkey_broker::Services) {
    use tauri_plugin_notification::NotificationExt;
    let (app, settings) = (app.clone(), Arc::clone(&services.settings));
    let mut notices = services.notices.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            let notice = match notices.recv().await {
                Ok(notice) => notice,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            if !settings.saved().notifications.enabled {
                continue;
            }
            let shown = (app.notification().builder())
                .title(&notice.title)
                .body(&notice.body)
                .show();
            if let Err(e) = shown {
                tracing::warn!("could not show the notification {:?}: {e}", notice.title);
            }
        }
    });
}

/// A change waiting for the person brings the window forward (the page shows its card), once
/// per request: answering one leaves the window where the person put it.
fn bring_forward_when_asked<R: Runtime>(
    app: &tauri::AppHandle<R>,
    services: &latchkey_broker::Services,
) {
    let (app, approvals) = (app.clone(), Arc::clone(&services.approvals));
    let mut changes = approvals.subscribe();
    tauri::async_runtime::spawn(async move {
        let mut seen = std::collections::HashSet::new();
        while changes.changed().await.is_ok() {
            let pending: std::collections::HashSet<String> =
                approvals.pending().into_iter().map(|r| r.id).collect();
            if pending.iter().any(|id| !seen.contains(id)) {
                window::show_main(&app);
            }
            seen = pending;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder, mock_context, noop_assets};
    use tauri::webview::InvokeRequest;

    /// Tests never go to the network for the SOFA feed.
    fn no_feed() -> FeedSource {
        FeedSource::File("/nonexistent/sofa-feed.json".into())
    }

    fn app_status(app: &tauri::App<tauri::test::MockRuntime>) -> serde_json::Value {
        invoke(app, "app_status")
    }

    /// Calls a command without arguments as the main window would.
    fn invoke(app: &tauri::App<tauri::test::MockRuntime>, cmd: &str) -> serde_json::Value {
        let window = match app.get_webview_window("main") {
            Some(window) => window,
            None => tauri::WebviewWindowBuilder::new(app, "main", Default::default())
                .build()
                .unwrap(),
        };
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::default(),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&window, request)
            .unwrap_or_else(|e| panic!("{cmd}: {e:?}"))
            .deserialize()
            .unwrap()
    }

    #[test]
    fn app_boots_with_its_broker_and_reports_it() {
        let home = tempfile::tempdir().unwrap();
        let paths = StatePaths::at(home.path().join("state"));
        let app = configure(mock_builder(), Ok(paths.clone()), no_feed())
            .build(mock_context(noop_assets()))
            .unwrap();
        let status = app_status(&app);
        assert_eq!(status["version"], latchkey_broker::VERSION);
        assert_eq!(status["broker"]["state"], "running");
        assert_eq!(
            status["broker"]["socket"],
            paths.mcp_socket().to_str().unwrap()
        );
        assert!(std::os::unix::net::UnixStream::connect(paths.mcp_socket()).is_ok());
        // Nothing waits for approval, and nothing is remembered, in a new home.
        assert_eq!(invoke(&app, "approvals_pending"), serde_json::json!([]));
        assert_eq!(invoke(&app, "approvals_grants"), serde_json::json!([]));
        app.state::<broker::EmbeddedBroker>().stop();
        assert!(
            !paths.mcp_socket().exists(),
            "socket removed when the app stops"
        );
    }

    #[test]
    fn app_reports_a_settings_file_written_behind_its_back() {
        let home = tempfile::tempdir().unwrap();
        let paths = StatePaths::at(home.path().join("state"));
        std::fs::create_dir_all(paths.config_dir()).unwrap();
        std::fs::write(paths.settings_file(), br#"{"unlock_minutes": 720}"#).unwrap();
        let app = configure(mock_builder(), Ok(paths.clone()), no_feed())
            .build(mock_context(noop_assets()))
            .unwrap();
        let refused = &app_status(&app)["refused_files"];
        assert_eq!(
            refused[0]["file"],
            paths.settings_file().to_str().unwrap(),
            "{refused}"
        );
        assert!(
            refused[0]["reason"].as_str().unwrap().contains("no seal"),
            "{refused}"
        );
        app.state::<broker::EmbeddedBroker>().stop();
    }

    #[test]
    fn app_still_opens_when_the_broker_cannot_start() {
        let home = tempfile::tempdir().unwrap();
        let paths = StatePaths::at(home.path().join("state"));
        let services = latchkey_broker::Services::new(
            Arc::new(latchkey_broker::SofaService::open(no_feed(), &paths).unwrap()),
            Arc::new(latchkey_broker::CredentialService::new(
                Arc::new(latchkey_vault::MemoryStore::new()),
                Arc::new(latchkey_vault::NoPresence::new("test")),
            )),
            Arc::new(latchkey_broker::Assistants::new(
                Arc::new(latchkey_vault::NoPresence::new("test")),
                None,
            )),
            Arc::new(latchkey_broker::Audit::open(
                &home.path().join("audit.sqlite"),
                Default::default(),
            )),
        );
        let _other = tauri::async_runtime::block_on(async {
            latchkey_broker::Broker::bind(&paths, services)
        })
        .unwrap();
        let app = configure(mock_builder(), Ok(paths), no_feed())
            .build(mock_context(noop_assets()))
            .unwrap();
        let status = app_status(&app);
        assert_eq!(status["broker"]["state"], "stopped");
        assert!(
            status["broker"]["reason"]
                .as_str()
                .unwrap()
                .contains("already running"),
            "{status}"
        );
    }
}
