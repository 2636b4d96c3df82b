//! The vCenter tool that changes something: a VM's power. It is annotated destructive, so the
//! pipeline works out its preview here (which VM, on which host, in which state now; an
//! unknown or ambiguous VM is refused before anyone is asked), waits for the person's
//! approval, and the tool then does exactly the approved action to exactly that VM, once.

use latchkey_vsphere::{PowerAction, PowerOutcome};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::service::RequestContext;
use rmcp::{Json, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use latchkey_vault::Domain;

use super::{approved, from_arguments, read_back, text};
use crate::LatchkeyServer;
use crate::pipeline::{Call, Change, ChangeTarget, Preview, no_preview};
use crate::services::vsphere::VsphereService;

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VmPowerRequest {
    /// The vCenter domain; absent means the only one unlocked.
    pub domain: Option<String>,
    /// The VM: its id ("vm-123") or its exact name.
    pub vm: String,
    /// start, stop (power off at once), reset, suspend, shutdown or reboot (the last two ask
    /// the guest OS, through VMware Tools).
    pub action: PowerAction,
}

/// What the person approves, and the tool then does.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PowerChange {
    vm_id: String,
    vm_name: String,
    action: PowerAction,
    /// The host the VM runs on, as "name (id)", when vCenter places it on one.
    host: Option<String>,
    /// The VM's power state when the person was asked.
    state: Option<String>,
}

/// What a power call did.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VmPowerResult {
    /// What was approved, in plain words.
    pub summary: String,
    /// `done`, or `already_in_state` when the VM already was as asked (nothing was done).
    pub outcome: PowerOutcome,
    /// The VM's power state read back afterwards; absent when vCenter would not say.
    pub power_state: Option<String>,
}

#[tool_router(router = vsphere_changes_router, vis = "pub(crate)")]
impl LatchkeyServer {
    /// Start, stop, reset or suspend a VM, or ask its guest OS to shut down or reboot. A person
    /// approves it in Latchkey first, seeing the VM by name and id, its host, the action and
    /// the VM's current state; the call waits for that answer (at most a few minutes) and says
    /// if it was denied. The action is sent once and never repeated.
    #[tool(
        name = "vsphere_vm_power",
        annotations(
            title = "Change a VM's power (needs approval)",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    pub async fn vsphere_vm_power(
        &self,
        Parameters(request): Parameters<VmPowerRequest>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<VmPowerResult>, String> {
        let domain = self
            .vsphere
            .resolve(request.domain.as_deref())
            .await
            .map_err(text)?;
        let (change, power) = approved(&context)?;
        apply(&self.vsphere, &domain, &change, &power)
            .await
            .map(Json)
    }
}

/// Does the approved power change: exactly the action to exactly the VM the person saw.
async fn apply(
    vsphere: &VsphereService,
    domain: &Domain,
    change: &Change,
    power: &PowerChange,
) -> Result<VmPowerResult, String> {
    let client = vsphere.client(domain).await.map_err(text)?;
    let outcome = client
        .power(&power.vm_id, power.action)
        .await
        .map_err(text)?;
    Ok(VmPowerResult {
        summary: change.summary.clone(),
        outcome,
        power_state: client.power_state(&power.vm_id).await.ok(),
    })
}

impl crate::Services {
    /// `latchkey vcenter power`: the same pipeline as an assistant's `vsphere_vm_power`, so
    /// it waits for the person's approval too (in the app, or `latchkey approvals approve`):
    /// whoever runs the command may be a program, not the person.
    pub async fn vm_power(
        &self,
        origin: crate::Origin,
        request: VmPowerRequest,
    ) -> Result<VmPowerResult, String> {
        let domain = self
            .vsphere
            .resolve(request.domain.as_deref())
            .await
            .map_err(text)?;
        let (vsphere, domain) = (&self.vsphere, &domain);
        let previewing = |call: &Call| preview(vsphere, call).unwrap_or_else(|| no_preview(call));
        let applying = |change: Arc<Change>| async move {
            let power = read_back(&change)?;
            apply(vsphere, domain, &change, &power).await
        };
        self.change(
            origin,
            "vsphere_vm_power",
            &request,
            domain,
            previewing,
            applying,
        )
        .await
    }
}

/// The preview of a power call, from its arguments: what the approval card shows.
pub(crate) fn preview<'s>(vsphere: &'s VsphereService, call: &Call) -> Option<Preview<'s>> {
    if call.tool != "vsphere_vm_power" {
        return None;
    }
    let arguments = serde_json::Value::Object(call.arguments.clone());
    let domain = call.domain.clone();
    Some(Box::pin(async move {
        let domain = domain.ok_or("no vCenter domain is unlocked; say which with `domain`")?;
        let request: VmPowerRequest = from_arguments(arguments)?;
        let client = vsphere.client(&domain).await.map_err(text)?;
        let vm = client.resolve_vm(&request.vm).await.map_err(text)?;
        let host = client.vm_host(&vm.id).await.map_err(text)?;
        let power = PowerChange {
            vm_id: vm.id.clone(),
            vm_name: vm.name.clone(),
            action: request.action,
            host: host.map(|h| format!("{} ({})", h.name, h.id)),
            state: vm.power_state.clone(),
        };
        let summary = summary(&power);
        Ok(Change {
            targets: vec![ChangeTarget {
                name: vm.name,
                id: vm.id,
            }],
            summary,
            details: serde_json::to_value(&power).map_err(text)?,
        })
    }))
}

/// "stop (power off at once) VM web-01 (vm-123) on host esx-03 (host-12); it is powered on now".
fn summary(power: &PowerChange) -> String {
    let action = match power.action {
        PowerAction::Start => "start (power on)",
        PowerAction::Stop => "stop (power off at once, like pulling the plug)",
        PowerAction::Reset => "reset (a hard restart)",
        PowerAction::Suspend => "suspend",
        PowerAction::Shutdown => "shut down the guest OS",
        PowerAction::Reboot => "reboot the guest OS",
    };
    let host = power
        .host
        .as_deref()
        .map_or_else(String::new, |h| format!(" on host {h}"));
    let state = power.state.as_deref().map_or_else(
        || "its power state is unknown".to_owned(),
        |s| format!("it is {} now", s.to_ascii_lowercase().replace('_', " ")),
    );
    format!(
        "{action} VM {} ({}){host}; {state}",
        power.vm_name, power.vm_id
    )
}
