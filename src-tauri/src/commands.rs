//! Commands the webview may call (each granted in capabilities/default.json). Each is a few
//! lines over the broker crate; errors reach the page as plain strings without secrets.

use std::sync::Arc;
use std::time::Duration;

use latchkey_broker::control::ControlError;
use latchkey_broker::{
    CredentialError, CredentialService, CredentialView, CredentialsOverview, PolicySettings,
    SofaOverview, Target, VersionReport,
};
use latchkey_vault::{Account, CredentialId, Domain, NewCredential, Requester, SecretString};
use serde::Serialize;
use tauri::State;

use crate::broker::{BrokerStatus, EmbeddedBroker};
use crate::presence::DialogPresence;

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

// ---- Credentials ----
// Secrets arrive from the page in `credentials_add` / `credentials_rotate` and never go back:
// every answer is a view without one.

fn credentials(broker: &EmbeddedBroker) -> Result<Arc<CredentialService>, ControlError> {
    broker.credentials().map_err(|message| ControlError {
        message,
        field: None,
    })
}

#[tauri::command]
pub async fn credentials_overview(
    broker: State<'_, EmbeddedBroker>,
) -> Result<CredentialsOverview, ControlError> {
    Ok(credentials(&broker)?.overview().await)
}

/// Per-field problems of the non-secret fields, for inline validation as the form is filled.
#[tauri::command]
pub fn credentials_check(label: String, account: Account) -> Vec<ControlError> {
    let draft = NewCredential {
        label,
        account,
        // The page checks the secret field itself; this only stands in for a filled one.
        secret: SecretString::from("-"),
    };
    draft
        .problems()
        .into_iter()
        .map(|e| ControlError::from(CredentialError::from(e)))
        .collect()
}

#[tauri::command]
pub async fn credentials_add(
    broker: State<'_, EmbeddedBroker>,
    label: String,
    account: Account,
    secret: SecretString,
) -> Result<CredentialView, ControlError> {
    let new = NewCredential {
        label,
        account,
        secret,
    };
    Ok(credentials(&broker)?.add(new, Requester::App).await?)
}

#[tauri::command]
pub async fn credentials_relabel(
    broker: State<'_, EmbeddedBroker>,
    id: CredentialId,
    label: String,
) -> Result<CredentialView, ControlError> {
    Ok(credentials(&broker)?.relabel(&id, &label).await?)
}

#[tauri::command]
pub async fn credentials_rotate(
    broker: State<'_, EmbeddedBroker>,
    id: CredentialId,
    secret: SecretString,
) -> Result<CredentialView, ControlError> {
    Ok(credentials(&broker)?
        .rotate(&id, secret, Requester::App)
        .await?)
}

#[tauri::command]
pub async fn credentials_remove(
    broker: State<'_, EmbeddedBroker>,
    id: CredentialId,
) -> Result<(), ControlError> {
    Ok(credentials(&broker)?.remove(&id, Requester::App).await?)
}

/// Unlocks one domain (or all when `domain` is null) once the person has confirmed.
#[tauri::command]
pub async fn credentials_unlock(
    broker: State<'_, EmbeddedBroker>,
    domain: Option<Domain>,
    ttl_minutes: Option<u64>,
) -> Result<CredentialsOverview, ControlError> {
    let credentials = credentials(&broker)?;
    let ttl = ttl_minutes.map(|m| Duration::from_secs(m.saturating_mul(60)));
    credentials
        .unlock(domain.into(), ttl, Requester::App)
        .await?;
    Ok(credentials.overview().await)
}

#[tauri::command]
pub async fn credentials_lock(
    broker: State<'_, EmbeddedBroker>,
    domain: Option<Domain>,
) -> Result<CredentialsOverview, ControlError> {
    let credentials = credentials(&broker)?;
    credentials.lock(&Target::from(domain));
    Ok(credentials.overview().await)
}

/// Sets how long unlocks last by default and the idle timeout (saved in the settings file).
#[tauri::command]
pub async fn credentials_set_policy(
    broker: State<'_, EmbeddedBroker>,
    unlock_minutes: u64,
    idle_minutes: Option<u64>,
) -> Result<CredentialsOverview, ControlError> {
    let credentials = credentials(&broker)?;
    let settings = PolicySettings {
        unlock_minutes,
        idle_minutes,
    };
    credentials.set_policy(settings, Requester::App).await?;
    Ok(credentials.overview().await)
}

/// The person's answer to a confirmation dialog.
#[tauri::command]
pub fn presence_answer(presence: State<'_, Arc<DialogPresence>>, id: u64, approved: bool) {
    if !presence.answer(id, approved) {
        tracing::debug!("presence prompt {id} was no longer waiting");
    }
}
