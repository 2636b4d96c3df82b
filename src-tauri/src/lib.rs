//! Latchkey's menu-bar app. Thin: it wires the tray, the main window and a few commands to
//! the broker it embeds. No secrets, SQL or HTTP here; those belong to the crates.

mod broker;
mod commands;
#[cfg(desktop)]
mod tray;
mod window;

use tauri::{Manager, RunEvent};

/// Passing this flag (or launching a second time) opens the main window.
const OPEN_FLAG: &str = "--open";

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LATCHKEY_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    let app = builder().build(tauri::generate_context!()).expect("failed to build the Latchkey app");
    app.run(|app, event| match event {
        // Closing the window only hides it: the app lives in the menu bar until "Quit".
        RunEvent::WindowEvent { label, event: tauri::WindowEvent::CloseRequested { api, .. }, .. } => {
            api.prevent_close();
            if let Some(window) = app.get_webview_window(&label) {
                let _ = window.hide();
            }
        }
        RunEvent::Exit => app.state::<broker::EmbeddedBroker>().stop(),
        _ => {}
    });
}

fn builder() -> tauri::Builder<tauri::Wry> {
    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| window::show_main(app)))
        .invoke_handler(tauri::generate_handler![commands::app_status])
        .setup(|app| {
            #[cfg(target_os = "macos")]
            app.set_activation_policy(tauri::ActivationPolicy::Accessory);
            let embedded = broker::EmbeddedBroker::start();
            #[cfg(desktop)]
            tray::create(app.handle(), &embedded.status_line())?;
            app.manage(embedded);
            if std::env::args().any(|a| a == OPEN_FLAG) {
                window::show_main(app.handle());
            }
            Ok(())
        })
}
