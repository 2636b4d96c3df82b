//! Commands the webview may call (each granted in capabilities/default.json). Each is a few
//! lines over the broker crate; errors reach the page as plain strings without secrets.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use latchkey_audit::{AuditLog, ExportFormat, Facets, Filter, Page, SearchPage, Seq};

use latchkey_broker::control::{ControlError, JamfRead, VcenterRead};
use latchkey_broker::tools::jamf_changes::{Computers, PlanOsUpdateRequest, PlanOsUpdateResult};
use latchkey_broker::{
    Actor, ApprovalRequest, AssistantRecord, ConfigSnippet, CredentialError, CredentialService,
    CredentialView, CredentialsOverview, Grant, HttpStatus, HttpToken, McpClient, NewHttpToken,
    Origin, Pipeline, PolicySettings, RefusedFile, Settings, SettingsView, SofaOverview, Verdict,
    VersionReport, VmPowerRequest, VmPowerResult,
};
use latchkey_jamf::{ConnectionCheck, FleetProgress};
use latchkey_vault::{
    Account, CredentialEdit, CredentialId, Domain, NewCredential, Requester, SecretPlace,
    SecretRef, SecretString,
};
use latchkey_vsphere::{CertificateProbe, ConnectionCheck as VcenterCheck};
use serde::{Deserialize, Serialize};
use tauri::{Emitter, Manager, State};

use crate::broker::{BrokerStatus, EmbeddedBroker};
use crate::presence::DialogPresence;

#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AppStatus {
    /// The version of the Rust side, as `latchkey --version` prints it.
    version: &'static str,
    /// The operating system the app runs on (`macos`, `linux`).
    platform: &'static str,
    broker: BrokerStatus,
    /// assistants.json or settings.json refused at start (edited outside Latchkey, unsealed,
    /// or its key gone), until the person's next change replaces it.
    refused_files: Vec<RefusedFile>,
}

#[tauri::command]
pub fn app_status(broker: State<'_, EmbeddedBroker>) -> AppStatus {
    AppStatus {
        version: latchkey_broker::VERSION,
        platform: std::env::consts::OS,
        broker: broker.status().clone(),
        refused_files: broker
            .services()
            .map(|services| services.refused_files())
            .unwrap_or_default(),
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
// Secrets arrive from the page in `credentials_add` / `credentials_rotate` /
// `credentials_move_secret` and never go back:
// every answer is a view without one.

fn credentials(broker: &EmbeddedBroker) -> Result<Arc<CredentialService>, ControlError> {
    broker.credentials().map_err(|message| ControlError {
        message,
        field: None,
    })
}

/// The one guarded path: what the person does here lands on the audit log and asks for
/// presence like the CLI (a click in the webview can be automated).
fn pipeline(broker: &EmbeddedBroker) -> Result<Arc<Pipeline>, ControlError> {
    broker
        .services()
        .map(|s| Arc::clone(&s.pipeline))
        .map_err(|message| ControlError {
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
        source: None,
    };
    draft
        .problems()
        .into_iter()
        .map(|e| ControlError::from(CredentialError::from(e)))
        .collect()
}

/// A reference typed in a form, `None` when blank; a bad one is refused naming `secret_from`.
fn secret_ref(source: Option<String>) -> Result<Option<SecretRef>, ControlError> {
    source
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.parse::<SecretRef>())
        .transpose()
        .map_err(|e| ControlError::from(CredentialError::from(e)))
}

/// Adds a credential whose secret is typed here, or kept in a secret manager at `source`
/// (`vault://DOMAIN/MOUNT/PATH#FIELD`; `secret` is then empty and fetched at each unlock).
#[tauri::command]
pub async fn credentials_add(
    broker: State<'_, EmbeddedBroker>,
    label: String,
    account: Account,
    secret: SecretString,
    source: Option<String>,
) -> Result<CredentialView, ControlError> {
    let source = secret_ref(source)?;
    let new = NewCredential {
        label,
        account,
        secret,
        source,
    };
    Ok(pipeline(&broker)?
        .add_credential(new, &Actor::app())
        .await?)
}

#[tauri::command]
pub async fn credentials_edit(
    broker: State<'_, EmbeddedBroker>,
    id: CredentialId,
    label: String,
    account: Account,
) -> Result<CredentialView, ControlError> {
    let edit = CredentialEdit { label, account };
    Ok(pipeline(&broker)?
        .edit_credential(&id, &edit, &Actor::app())
        .await?)
}

#[tauri::command]
pub async fn credentials_rotate(
    broker: State<'_, EmbeddedBroker>,
    id: CredentialId,
    secret: SecretString,
) -> Result<CredentialView, ControlError> {
    Ok(pipeline(&broker)?
        .rotate_credential(&id, secret, &Actor::app())
        .await?)
}

/// Keeps a credential's secret in a secret manager at `source` from now on, or, without
/// one, here with the new `secret`.
#[tauri::command]
pub async fn credentials_move_secret(
    broker: State<'_, EmbeddedBroker>,
    id: CredentialId,
    source: Option<String>,
    secret: Option<SecretString>,
) -> Result<CredentialView, ControlError> {
    let to = match secret_ref(source)? {
        Some(reference) => SecretPlace::At(reference),
        None => SecretPlace::Here(secret.unwrap_or_else(|| SecretString::from(""))),
    };
    Ok(pipeline(&broker)?
        .move_secret(&id, to, &Actor::app())
        .await?)
}

#[tauri::command]
pub async fn credentials_remove(
    broker: State<'_, EmbeddedBroker>,
    id: CredentialId,
) -> Result<(), ControlError> {
    Ok(pipeline(&broker)?
        .remove_credential(&id, &Actor::app())
        .await?)
}

/// Unlocks one domain (or all when `domain` is null) once the person has confirmed; with the
/// encrypted store (Linux), with its `passphrase` too.
#[tauri::command]
pub async fn credentials_unlock(
    broker: State<'_, EmbeddedBroker>,
    domain: Option<Domain>,
    ttl_minutes: Option<u64>,
    passphrase: Option<SecretString>,
) -> Result<CredentialsOverview, ControlError> {
    let ttl = ttl_minutes.map(|m| Duration::from_secs(m.saturating_mul(60)));
    pipeline(&broker)?
        .unlock(domain.into(), ttl, passphrase, &Actor::app())
        .await?;
    Ok(credentials(&broker)?.overview().await)
}

#[tauri::command]
pub async fn credentials_lock(
    broker: State<'_, EmbeddedBroker>,
    domain: Option<Domain>,
) -> Result<CredentialsOverview, ControlError> {
    pipeline(&broker)?
        .lock(domain.into(), &Actor::app())
        .await?;
    Ok(credentials(&broker)?.overview().await)
}

// ---- Jamf Pro ----

/// Tests a stored Jamf credential: a token and one small call. A locked domain's secret is
/// read after the person confirms, without unlocking the domain.
#[tauri::command]
pub async fn jamf_test_connection(
    broker: State<'_, EmbeddedBroker>,
    id: CredentialId,
) -> Result<ConnectionCheck, String> {
    let jamf = Arc::clone(&broker.services()?.jamf);
    jamf.test_connection(&id, Requester::App)
        .await
        .map_err(|e| e.to_string())
}

/// Progress of a fleet report, for the SOFA page's Fleet tab.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FleetProgressEvent {
    domain: Domain,
    loaded: u64,
    total: u64,
}

/// The fleet security report of an unlocked Jamf domain (a recent one unless `refresh`),
/// emitting `jamf-fleet-progress` as pages of computers load. Through the pipeline, so it is
/// on the audit log like an assistant's `jamf_fleet_security_report`.
#[tauri::command]
pub async fn jamf_fleet_report<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    broker: State<'_, EmbeddedBroker>,
    domain: Domain,
    refresh: bool,
) -> Result<serde_json::Value, String> {
    let services = broker.services()?.clone();
    let progress = |p: FleetProgress| {
        let event = FleetProgressEvent {
            domain: domain.clone(),
            loaded: p.loaded,
            total: p.total,
        };
        if let Err(e) = app.emit("jamf-fleet-progress", event) {
            tracing::debug!("cannot send fleet progress: {e}");
        }
    };
    let read = JamfRead::Fleet {
        domain: Some(domain.to_string()),
        refresh,
    };
    services.jamf_read(Origin::app(), read, &progress).await
}

/// Which Macs of the Fleet tab a software update plan is for, to which version (absent: the
/// newest of each Mac's major) and by which date (absent: worked out from what they miss).
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct PlanAsked {
    computer_ids: Vec<String>,
    version: Option<String>,
    /// "2026-12-13".
    deadline: Option<String>,
}

impl PlanAsked {
    fn into_request(self, domain: &Domain) -> Result<PlanOsUpdateRequest, String> {
        let deadline = match self.deadline.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(date) => Some(
                chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
                    .map_err(|_| format!("the deadline {date} is not a date like 2026-12-13"))?,
            ),
        };
        Ok(PlanOsUpdateRequest {
            domain: Some(domain.to_string()),
            computers: Computers {
                computer_ids: Some(self.computer_ids),
                ..Computers::default()
            },
            version: self.version.filter(|v| !v.trim().is_empty()),
            deadline,
        })
    }
}

/// What "Plan update…" would do (each Mac's current and target version, each plan's deadline
/// and why); nothing is sent to Jamf Pro.
#[tauri::command]
pub async fn jamf_plan_preview(
    broker: State<'_, EmbeddedBroker>,
    domain: Domain,
    plan: PlanAsked,
) -> Result<serde_json::Value, String> {
    let services = broker.services()?.clone();
    let request = plan.into_request(&domain)?;
    Ok(services.preview_os_update(&request).await?.details)
}

/// Sends the plan to Jamf Pro once the person confirms (presence): asking here is the approval.
#[tauri::command]
pub async fn jamf_plan_os_update(
    broker: State<'_, EmbeddedBroker>,
    domain: Domain,
    plan: PlanAsked,
) -> Result<PlanOsUpdateResult, String> {
    let services = broker.services()?.clone();
    services.plan_os_update(plan.into_request(&domain)?).await
}

// ---- vCenter ----

/// Tests a stored vCenter credential: a session and a count of what it sees. A locked
/// domain's secret is read after the person confirms, without unlocking the domain.
#[tauri::command]
pub async fn vcenter_test_connection(
    broker: State<'_, EmbeddedBroker>,
    id: CredentialId,
) -> Result<VcenterCheck, String> {
    let vsphere = Arc::clone(&broker.services()?.vsphere);
    vsphere
        .test_connection(&id, Requester::App)
        .await
        .map_err(|e| e.to_string())
}

/// The certificate a vCenter presents, for the add form: its fingerprint, and whether the
/// system trusts it (else the form offers to pin it, and the presence check names it).
#[tauri::command]
pub async fn vcenter_certificate(host: String) -> Result<CertificateProbe, String> {
    latchkey_vsphere::probe_certificate(&host)
        .await
        .map_err(|e| e.to_string())
}

/// A read for the vCenter page, through the pipeline: on the audit log like an assistant's
/// `vsphere_*` call of the same name.
#[tauri::command]
pub async fn vcenter_read(
    broker: State<'_, EmbeddedBroker>,
    read: VcenterRead,
) -> Result<serde_json::Value, String> {
    let services = broker.services()?.clone();
    services.vcenter_read(Origin::app(), read).await
}

/// A VM's power, once the person confirms (presence): asking here is the approval.
#[tauri::command]
pub async fn vcenter_power(
    broker: State<'_, EmbeddedBroker>,
    request: VmPowerRequest,
) -> Result<VmPowerResult, String> {
    let services = broker.services()?.clone();
    services.vm_power(Origin::app(), request).await
}

/// Sets how long unlocks last by default and the idle timeout (saved in the settings file).
#[tauri::command]
pub async fn credentials_set_policy(
    broker: State<'_, EmbeddedBroker>,
    unlock_minutes: u64,
    idle_minutes: Option<u64>,
) -> Result<CredentialsOverview, ControlError> {
    let settings = PolicySettings {
        unlock_minutes,
        idle_minutes,
    };
    pipeline(&broker)?
        .set_policy(settings, &Actor::app())
        .await?;
    Ok(credentials(&broker)?.overview().await)
}

/// What the broker runs with, for the Settings page.
#[tauri::command]
pub fn settings_get(broker: State<'_, EmbeddedBroker>) -> Result<SettingsView, ControlError> {
    let services = broker.services().map_err(ControlError::new)?;
    Ok(services.settings.view())
}

/// Every problem with `settings`, by field (the page shows them as they are typed).
#[tauri::command]
pub fn settings_check(settings: Settings) -> Vec<ControlError> {
    settings.checked()
}

/// Saves and applies `settings`; presence is asked when one weakens a guard.
#[tauri::command]
pub async fn settings_set(
    broker: State<'_, EmbeddedBroker>,
    settings: Settings,
) -> Result<SettingsView, ControlError> {
    Ok(pipeline(&broker)?
        .set_settings(settings, &Actor::app())
        .await?)
}

/// Whether the app starts at login (the OS's own record: a LaunchAgent on macOS, an XDG
/// autostart entry on Linux).
#[tauri::command]
pub fn launch_at_login<R: tauri::Runtime>(app: tauri::AppHandle<R>) -> Result<bool, String> {
    use tauri_plugin_autostart::ManagerExt;
    app.autolaunch().is_enabled().map_err(|e| e.to_string())
}

/// Starts the app at login, or stops doing so; whether it now does.
#[tauri::command]
pub fn set_launch_at_login<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    enabled: bool,
) -> Result<bool, String> {
    use tauri_plugin_autostart::ManagerExt;
    let manager = app.autolaunch();
    let set = if enabled {
        manager.enable()
    } else {
        manager.disable()
    };
    set.and_then(|()| manager.is_enabled())
        .map_err(|e| format!("could not change launch at login: {e}"))
}

/// Whether MCP over loopback HTTP is on, and its URL.
#[tauri::command]
pub async fn http_status(broker: State<'_, EmbeddedBroker>) -> Result<HttpStatus, ControlError> {
    let services = broker.services().map_err(ControlError::new)?.clone();
    Ok(services.loopback.status().await)
}

/// Turns MCP over loopback HTTP on at once (presence first); `port` absent: the one kept.
#[tauri::command]
pub async fn http_enable(
    broker: State<'_, EmbeddedBroker>,
    port: Option<u16>,
) -> Result<HttpStatus, ControlError> {
    let services = broker.services().map_err(ControlError::new)?.clone();
    Ok(services
        .pipeline
        .http_enable(&services, port, &Actor::app())
        .await?)
}

/// Turns MCP over loopback HTTP off.
#[tauri::command]
pub async fn http_disable(broker: State<'_, EmbeddedBroker>) -> Result<HttpStatus, ControlError> {
    Ok(pipeline(&broker)?.http_disable(&Actor::app()).await?)
}

/// The assistants' HTTP tokens by name (never their values).
#[tauri::command]
pub fn http_tokens(broker: State<'_, EmbeddedBroker>) -> Result<Vec<HttpToken>, ControlError> {
    Ok(broker
        .services()
        .map_err(ControlError::new)?
        .loopback
        .tokens())
}

/// Makes a token for the assistant `name` (presence first): the only time its value is seen.
#[tauri::command]
pub async fn http_token_create(
    broker: State<'_, EmbeddedBroker>,
    name: String,
) -> Result<NewHttpToken, ControlError> {
    Ok(pipeline(&broker)?
        .create_http_token(&name, &Actor::app())
        .await?)
}

/// Revokes the token `name`: its requests are refused from now on.
#[tauri::command]
pub async fn http_token_revoke(
    broker: State<'_, EmbeddedBroker>,
    name: String,
) -> Result<bool, ControlError> {
    Ok(pipeline(&broker)?
        .revoke_http_token(&name, &Actor::app())
        .await?)
}

/// The person's answer to a confirmation dialog.
#[tauri::command]
pub fn presence_answer(presence: State<'_, Arc<DialogPresence>>, id: u64, approved: bool) {
    if !presence.answer(id, approved) {
        tracing::debug!("presence prompt {id} was no longer waiting");
    }
}

// ---- Audit ----

/// The chain's state as the Audit page's badge shows it.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ChainStatus {
    ok: bool,
    first: u64,
    verified_through: u64,
    problem: Option<ChainProblem>,
    /// The anchor check's status, e.g. `confirmed`, `not_configured`, `contradicted`.
    anchor: String,
}

#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ChainProblem {
    seq: u64,
    message: String,
    /// The kind of damage (`edited`, `broken`, `unanchored`, …): a `broken` chain can be
    /// acknowledged.
    kind: String,
}

fn audit_log(broker: &EmbeddedBroker) -> Result<Arc<AuditLog>, String> {
    broker.services()?.audit.log()
}

/// Runs a blocking audit read off the async runtime.
async fn on_audit<T: Send + 'static>(
    broker: &EmbeddedBroker,
    read: impl FnOnce(&AuditLog) -> Result<T, latchkey_audit::AuditError> + Send + 'static,
) -> Result<T, String> {
    let log = audit_log(broker)?;
    tauri::async_runtime::spawn_blocking(move || read(&log))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

#[tauri::command]
pub async fn audit_search(
    broker: State<'_, EmbeddedBroker>,
    filter: Filter,
    before: Option<u64>,
    limit: u32,
) -> Result<SearchPage, String> {
    let page = Page {
        before: before.map(Seq),
        limit: limit.clamp(1, 500),
    };
    on_audit(&broker, move |log| log.search(&filter, page)).await
}

#[tauri::command]
pub async fn audit_verify(broker: State<'_, EmbeddedBroker>) -> Result<ChainStatus, String> {
    let verification = on_audit(&broker, |log| log.verify()).await?;
    let anchor = serde_json::to_value(&verification.anchor)
        .ok()
        .and_then(|v| v["status"].as_str().map(str::to_owned))
        .unwrap_or_default();
    Ok(ChainStatus {
        ok: verification.is_ok(),
        first: verification.first,
        verified_through: verification.verified_through,
        problem: verification.first_problem.map(|p| ChainProblem {
            seq: p.seq.0,
            message: p.to_string(),
            kind: serde_json::to_value(&p.what)
                .ok()
                .and_then(|v| v["kind"].as_str().map(str::to_owned))
                .unwrap_or_default(),
        }),
        anchor,
    })
}

/// Acknowledges a break in the chain (the broker asks for presence); whether there was one.
#[tauri::command]
pub async fn audit_acknowledge(broker: State<'_, EmbeddedBroker>) -> Result<bool, String> {
    let pipeline = Arc::clone(&broker.services()?.pipeline);
    pipeline
        .acknowledge_audit_break(&latchkey_broker::Actor::app())
        .await
}

#[tauri::command]
pub async fn audit_facets(broker: State<'_, EmbeddedBroker>) -> Result<Facets, String> {
    on_audit(&broker, |log| log.facets()).await
}

/// Writes the entries matching `filter` to the Downloads folder; the file's path.
#[tauri::command]
pub async fn audit_export<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    broker: State<'_, EmbeddedBroker>,
    filter: Filter,
    format: ExportFormat,
) -> Result<String, String> {
    let dir = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|e| format!("no folder to export to: {e}"))?;
    let extension = match format {
        ExportFormat::Jsonl => "jsonl",
        ExportFormat::Csv => "csv",
    };
    let stamp = chrono::Local::now().format("%Y-%m-%d-%H%M%S");
    let path = dir.join(format!("latchkey-audit-{stamp}.{extension}"));
    let target = path.clone();
    on_audit(&broker, move |log| {
        let file = std::fs::File::create(&target).map_err(|e| {
            latchkey_audit::AuditError::Export(format!("{}: {e}", target.display()))
        })?;
        log.export(&filter, format, std::io::BufWriter::new(file))
    })
    .await?;
    Ok(path.display().to_string())
}

// ---- Assistants ----

/// An assistant as the Assistants page lists it.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AssistantView {
    #[serde(flatten)]
    record: AssistantRecord,
    calls_today: u64,
}

async fn assistant_views(broker: &EmbeddedBroker) -> Result<Vec<AssistantView>, String> {
    let records = broker.services()?.assistants.list();
    let midnight = chrono::Local::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(chrono::Local).earliest())
        .map_or_else(chrono::Utc::now, |t| t.with_timezone(&chrono::Utc));
    let paths: Vec<String> = records
        .iter()
        .map(|r| r.path.display().to_string())
        .collect();
    // An unreadable audit log shows zero calls rather than hiding the list.
    let counts = on_audit(broker, move |log| {
        paths
            .iter()
            .map(|p| log.calls_since(p, midnight))
            .collect::<Result<Vec<u64>, _>>()
    })
    .await
    .unwrap_or_default();
    Ok(records
        .into_iter()
        .enumerate()
        .map(|(i, record)| AssistantView {
            record,
            calls_today: counts.get(i).copied().unwrap_or_default(),
        })
        .collect())
}

#[tauri::command]
pub async fn assistants_list(
    broker: State<'_, EmbeddedBroker>,
) -> Result<Vec<AssistantView>, String> {
    assistant_views(&broker).await
}

#[tauri::command]
pub async fn assistants_set(
    broker: State<'_, EmbeddedBroker>,
    path: PathBuf,
    verdict: Verdict,
) -> Result<Vec<AssistantView>, String> {
    let pipeline = Arc::clone(&broker.services()?.pipeline);
    pipeline
        .set_assistant(&path.to_string_lossy(), verdict, &Actor::app())
        .await
        .map_err(|e| e.to_string())?;
    assistant_views(&broker).await
}

#[tauri::command]
pub async fn assistants_forget(
    broker: State<'_, EmbeddedBroker>,
    path: PathBuf,
) -> Result<Vec<AssistantView>, String> {
    let pipeline = Arc::clone(&broker.services()?.pipeline);
    pipeline
        .forget_assistant(&path.to_string_lossy(), &Actor::app())
        .await
        .map_err(|e| e.to_string())?;
    assistant_views(&broker).await
}

/// The snippets that make each MCP client launch this installation's `latchkey mcp`.
#[tauri::command]
pub fn mcp_config_snippets() -> Vec<ConfigSnippet> {
    // The CLI sits next to the app's executable.
    let latchkey = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map(|exe| exe.with_file_name("latchkey"))
        .unwrap_or_else(|_| PathBuf::from("latchkey"));
    McpClient::ALL
        .into_iter()
        .map(|client| client.config(&latchkey))
        .collect()
}

// ---- Approvals ----
// Changes assistants asked for wait here for the person. Approving asks for presence in the
// broker itself (a click in the webview can be automated); denying needs none.

#[tauri::command]
pub fn approvals_pending(
    broker: State<'_, EmbeddedBroker>,
) -> Result<Vec<ApprovalRequest>, String> {
    Ok(broker.services()?.approvals.pending())
}

#[tauri::command]
pub fn approvals_grants(broker: State<'_, EmbeddedBroker>) -> Result<Vec<Grant>, String> {
    Ok(broker.services()?.approvals.grants())
}

/// Approves request `id` once, or for `remember_minutes` the same call again.
#[tauri::command]
pub async fn approvals_approve(
    broker: State<'_, EmbeddedBroker>,
    id: String,
    remember_minutes: Option<u64>,
) -> Result<Option<Grant>, String> {
    let approvals = Arc::clone(&broker.services()?.approvals);
    let remember = remember_minutes.map(|m| Duration::from_secs(m.saturating_mul(60)));
    approvals
        .approve(&id, remember, &Actor::app())
        .await
        .map_err(|e| e.to_string())
}

#[tauri::command]
pub async fn approvals_deny(broker: State<'_, EmbeddedBroker>, id: String) -> Result<(), String> {
    let approvals = Arc::clone(&broker.services()?.approvals);
    approvals
        .deny(&id, &Actor::app())
        .await
        .map_err(|e| e.to_string())
}

#[tauri::command]
pub async fn approvals_revoke(
    broker: State<'_, EmbeddedBroker>,
    grant: String,
) -> Result<(), String> {
    let approvals = Arc::clone(&broker.services()?.approvals);
    approvals
        .revoke(&grant, &Actor::app())
        .await
        .map_err(|e| e.to_string())
}
