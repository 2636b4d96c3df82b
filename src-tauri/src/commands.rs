//! Commands the webview may call (each granted in capabilities/default.json).

use serde::Serialize;
use tauri::State;

use crate::broker::{BrokerStatus, EmbeddedBroker};

#[derive(Debug, Serialize)]
pub struct AppStatus {
    /// The version of the Rust side, as `latchkey --version` prints it.
    version: &'static str,
    /// The operating system the app runs on (`macos`, `linux`).
    platform: &'static str,
    broker: BrokerStatus,
}

#[tauri::command]
pub fn app_status(broker: State<'_, EmbeddedBroker>) -> AppStatus {
    AppStatus {
        version: latchkey_broker::VERSION,
        platform: std::env::consts::OS,
        broker: broker.status().clone(),
    }
}
