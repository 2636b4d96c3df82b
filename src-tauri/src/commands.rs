//! Commands the webview may call (each granted in capabilities/default.json). Each is a few
//! lines over the broker crate; errors reach the page as plain strings without secrets.

use latchkey_broker::{SofaOverview, VersionReport};
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

#[tauri::command]
pub async fn sofa_overview(broker: State<'_, EmbeddedBroker>) -> Result<SofaOverview, String> {
    broker.sofa()?.overview().await
}

#[tauri::command]
pub async fn sofa_refresh(broker: State<'_, EmbeddedBroker>) -> Result<SofaOverview, String> {
    broker.sofa()?.refresh_overview().await
}

#[tauri::command]
pub async fn sofa_status(
    broker: State<'_, EmbeddedBroker>,
    version: String,
) -> Result<VersionReport, String> {
    broker.sofa()?.report(&version).await
}
