//! Jamf Pro tools that change something: a managed software update plan, a blank MDM push,
//! a redeployment of the management framework. Each is annotated as changing things, so the
//! pipeline works out its preview here (refusing bad arguments before anyone is asked), waits
//! for the person's approval, and the tool then carries out exactly the approved preview.

use std::sync::Arc;

use chrono::NaiveDate;
use latchkey_jamf::{
    BlankPush, ComputerGroupId, ComputerId, DeadlinePolicy, FrameworkRedeploy, PlanCreated,
    PlanPreview, PreviewAction, SerialNumber, TargetComputer, TargetVersion,
};
use latchkey_vault::Domain;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::service::RequestContext;
use rmcp::{Json, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{approved, from_arguments, read_back, text};
use crate::pipeline::{Call, Change, ChangeTarget, Preview};
use crate::services::jamf::JamfServiceError;
use crate::{JamfService, LatchkeyServer};

/// Which Macs: exactly one of the three.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct Computers {
    /// Serial numbers, e.g. ["C02XK1JHJG5J"].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serials: Option<Vec<String>>,
    /// Jamf Pro computer ids, as strings, e.g. ["42"].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computer_ids: Option<Vec<String>>,
    /// A smart or static computer group's id, e.g. "7".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct PlanOsUpdateRequest {
    /// The Jamf domain; absent means the only one unlocked.
    pub domain: Option<String>,
    #[serde(flatten)]
    pub computers: Computers,
    /// A macOS release to install, e.g. "15.7.9"; absent means the latest release of each
    /// Mac's own major.
    pub version: Option<String>,
    /// The date by which the install is forced, e.g. "2026-12-13"; absent means the update
    /// deadline: the earliest among the missed releases' dates plus 7 days (one fixing an
    /// actively exploited CVE) or 30, and when that has passed, the first 17:00 a day ahead.
    pub deadline: Option<NaiveDate>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct BlankPushRequest {
    /// The Jamf domain; absent means the only one unlocked.
    pub domain: Option<String>,
    /// Serial numbers. Give this or `computer_ids`.
    #[serde(default)]
    pub serials: Option<Vec<String>>,
    /// Jamf Pro computer ids, as strings. Give this or `serials`.
    #[serde(default)]
    pub computer_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct RedeployRequest {
    /// The Jamf domain; absent means the only one unlocked.
    pub domain: Option<String>,
    /// The Mac's serial number. Give this or `computer_id`.
    pub serial: Option<String>,
    /// The Mac's Jamf Pro computer id. Give this or `serial`.
    pub computer_id: Option<String>,
}

/// What a software update plan did.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlanOsUpdateResult {
    /// What was approved, in plain words.
    pub summary: String,
    /// The plans Jamf Pro created, one per target version.
    pub created: Vec<PlanCreated>,
}

#[tool_router(router = jamf_changes_router, vis = "pub(crate)")]
impl LatchkeyServer {
    /// Schedule a macOS update on Jamf Pro for named Macs (serials or ids) or a computer
    /// group: the latest release of each Mac's major (or a named version), forced by a
    /// deadline. A person approves it in Latchkey first, seeing the Macs, the version and the
    /// deadline; the call waits for that answer (at most a few minutes) and says if it was
    /// denied.
    #[tool(
        name = "jamf_plan_os_update",
        annotations(
            title = "Plan a macOS update (needs approval)",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    pub async fn jamf_plan_os_update(
        &self,
        Parameters(request): Parameters<PlanOsUpdateRequest>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<PlanOsUpdateResult>, String> {
        let domain = self
            .jamf
            .resolve(request.domain.as_deref())
            .await
            .map_err(text)?;
        let (change, preview): (_, PlanPreview) = approved(&context)?;
        self.jamf
            .apply_plan(&domain, &change, &preview)
            .await
            .map(Json)
            .map_err(text)
    }

    /// Send a blank MDM push to Macs (serials or ids), which makes them check in with Jamf
    /// Pro's MDM. A person approves it in Latchkey first.
    #[tool(
        name = "jamf_blank_push",
        annotations(
            title = "Send a blank MDM push (needs approval)",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn jamf_blank_push(
        &self,
        Parameters(request): Parameters<BlankPushRequest>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<BlankPush>, String> {
        let domain = self
            .jamf
            .resolve(request.domain.as_deref())
            .await
            .map_err(text)?;
        let (_, computers): (_, Vec<TargetComputer>) = approved(&context)?;
        let ids: Vec<ComputerId> = computers.into_iter().map(|c| c.id).collect();
        let client = self.jamf.client(&domain).await.map_err(text)?;
        client.blank_push(&ids).await.map(Json).map_err(text)
    }

    /// Redeploy the Jamf management framework on one Mac (serial or id), e.g. when its Jamf
    /// binary stopped checking in. A person approves it in Latchkey first.
    #[tool(
        name = "jamf_redeploy_framework",
        annotations(
            title = "Redeploy the Jamf management framework (needs approval)",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn jamf_redeploy_framework(
        &self,
        Parameters(request): Parameters<RedeployRequest>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<FrameworkRedeploy>, String> {
        let domain = self
            .jamf
            .resolve(request.domain.as_deref())
            .await
            .map_err(text)?;
        let (_, computer): (_, TargetComputer) = approved(&context)?;
        let client = self.jamf.client(&domain).await.map_err(text)?;
        client
            .redeploy_framework(&computer.id)
            .await
            .map(Json)
            .map_err(text)
    }
}

/// The preview of a changing Jamf call, from its arguments: what the approval card shows.
pub(crate) fn preview<'s>(jamf: &'s JamfService, call: &Call) -> Option<Preview<'s>> {
    let arguments = serde_json::Value::Object(call.arguments.clone());
    let domain = call.domain.clone();
    let tool = call.tool.clone();
    let parse = |arguments| -> Result<_, String> {
        let domain = domain.ok_or("no Jamf Pro domain is unlocked; say which with `domain`")?;
        Ok((domain, arguments))
    };
    Some(match tool.as_str() {
        "jamf_plan_os_update" => Box::pin(async move {
            let (domain, arguments) = parse(arguments)?;
            let request: PlanOsUpdateRequest = from_arguments(arguments)?;
            jamf.preview_plan(&domain, &request).await.map_err(text)
        }),
        "jamf_blank_push" => Box::pin(async move {
            let (domain, arguments) = parse(arguments)?;
            let request: BlankPushRequest = from_arguments(arguments)?;
            let computers = Computers {
                serials: request.serials,
                computer_ids: request.computer_ids,
                group_id: None,
            };
            let found = jamf.computers(&domain, &computers).await.map_err(text)?;
            let summary = format!(
                "send a blank MDM push to {} (makes them check in)",
                macs(found.len())
            );
            Ok(change_on(&found, summary, &found))
        }),
        "jamf_redeploy_framework" => Box::pin(async move {
            let (domain, arguments) = parse(arguments)?;
            let request: RedeployRequest = from_arguments(arguments)?;
            let computers = Computers {
                serials: request.serial.map(|s| vec![s]),
                computer_ids: request.computer_id.map(|id| vec![id]),
                group_id: None,
            };
            let found = jamf.computers(&domain, &computers).await.map_err(text)?;
            let [one] = found.as_slice() else {
                return Err("name one Mac: `serial` or `computer_id`".to_owned());
            };
            let summary = format!("redeploy the Jamf management framework on {}", name_of(one));
            Ok(change_on(&found, summary, one))
        }),
        _ => return None,
    })
}

impl JamfService {
    /// The Macs named by exactly one of serials, ids or a group; unknown ones are an error
    /// naming them, an empty group an error saying so.
    pub async fn computers(
        &self,
        domain: &Domain,
        which: &Computers,
    ) -> Result<Vec<TargetComputer>, JamfServiceError> {
        let client = self.client(domain).await?;
        let given = [
            which.serials.is_some(),
            which.computer_ids.is_some(),
            which.group_id.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(invalid(
                "name the Macs with exactly one of `serials`, `computer_ids` or `group_id`",
            ));
        }
        if let Some(serials) = &which.serials {
            let serials = non_empty("serials", serials)?
                .iter()
                .map(|s| SerialNumber::parse(s))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(client.computers_by_serial(&serials).await?);
        }
        if let Some(ids) = &which.computer_ids {
            let ids = non_empty("computer_ids", ids)?
                .iter()
                .map(|id| ComputerId::parse(id))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(client.computers_by_id(&ids).await?);
        }
        let group = which.group_id.as_deref().unwrap_or_default();
        let group = client
            .computer_group(&ComputerGroupId::parse(group)?)
            .await?;
        Ok(client.computers_by_id(&group.members).await?)
    }

    /// What a software update plan would do: the Macs, the version each goes to, the
    /// deadline and why. Checked against the SOFA feed; nothing is sent to Jamf Pro.
    pub async fn preview_plan(
        &self,
        domain: &Domain,
        request: &PlanOsUpdateRequest,
    ) -> Result<Change, JamfServiceError> {
        let computers = self.computers(domain, &request.computers).await?;
        let feed = self.feed().await?;
        let target = match request.version.as_deref().map(str::trim) {
            Some("") => return Err(invalid("`version` is empty; name a release such as 15.7.9")),
            Some(version) => TargetVersion::Named(version.to_owned()),
            None => TargetVersion::LatestOfMajor,
        };
        let now = chrono::Utc::now();
        if let Some(date) = request.deadline
            && date <= now.date_naive()
        {
            return Err(invalid(format!(
                "the deadline {date} is not in the future; give a later date"
            )));
        }
        let policy = DeadlinePolicy {
            date: request.deadline,
            sla: self.update_sla(),
            ..DeadlinePolicy::default()
        };
        let preview =
            latchkey_jamf::preview_software_update(&computers, &feed, &target, &policy, now)?;
        let updated: Vec<&TargetComputer> = computers
            .iter()
            .filter(|c| {
                preview
                    .computers
                    .iter()
                    .any(|p| p.id == c.id && p.action == PreviewAction::Update)
            })
            .collect();
        Ok(Change {
            targets: updated.iter().map(|c| target_of(c)).collect(),
            summary: preview.summary.clone(),
            details: serde_json::to_value(&preview).unwrap_or_default(),
        })
    }

    /// Creates the approved plans, one per target version, exactly as previewed.
    pub async fn apply_plan(
        &self,
        domain: &Domain,
        change: &Change,
        preview: &PlanPreview,
    ) -> Result<PlanOsUpdateResult, JamfServiceError> {
        let client = self.client(domain).await?;
        let mut created = Vec::with_capacity(preview.plans.len());
        for plan in &preview.plans {
            created.push(client.create_software_update_plan(&plan.plan).await?);
        }
        Ok(PlanOsUpdateResult {
            summary: change.summary.clone(),
            created,
        })
    }
}

fn change_on(computers: &[TargetComputer], summary: String, details: &impl Serialize) -> Change {
    Change {
        targets: computers.iter().map(target_of).collect(),
        summary,
        details: serde_json::to_value(details).unwrap_or_default(),
    }
}

fn target_of(computer: &TargetComputer) -> ChangeTarget {
    ChangeTarget {
        name: name_of(computer),
        id: computer.id.to_string(),
    }
}

/// A Mac as a person knows it: its name, else its serial, else its id.
fn name_of(computer: &TargetComputer) -> String {
    computer
        .name
        .clone()
        .or_else(|| computer.serial.clone())
        .unwrap_or_else(|| format!("computer {}", computer.id))
}

fn macs(n: usize) -> String {
    match n {
        1 => "1 Mac".to_owned(),
        n => format!("{n} Macs"),
    }
}

fn non_empty<'a>(field: &str, values: &'a [String]) -> Result<&'a [String], JamfServiceError> {
    if values.is_empty() || values.iter().any(|v| v.trim().is_empty()) {
        return Err(invalid(format!(
            "`{field}` is empty or holds an empty value"
        )));
    }
    Ok(values)
}

fn invalid(why: impl Into<String>) -> JamfServiceError {
    JamfServiceError::Jamf(latchkey_jamf::JamfError::InvalidArgument(why.into()))
}

impl crate::Services {
    /// What "Plan update…" in the app would do, shown before the person confirms.
    pub async fn preview_os_update(&self, request: &PlanOsUpdateRequest) -> Result<Change, String> {
        let domain = self
            .jamf
            .resolve(request.domain.as_deref())
            .await
            .map_err(text)?;
        self.jamf.preview_plan(&domain, request).await.map_err(text)
    }

    /// "Plan update…" in the app: the same pipeline as an assistant's `jamf_plan_os_update`,
    /// where the person asking confirms with presence instead of an approval card.
    pub async fn plan_os_update(
        &self,
        request: PlanOsUpdateRequest,
    ) -> Result<PlanOsUpdateResult, String> {
        let domain = self
            .jamf
            .resolve(request.domain.as_deref())
            .await
            .map_err(text)?;
        let jamf = &self.jamf;
        let (domain, request) = (&domain, &request);
        let previewing = |_: &Call| -> Preview<'_> {
            Box::pin(async { jamf.preview_plan(domain, request).await.map_err(text) })
        };
        let applying = |change: Arc<Change>| async move {
            let preview: PlanPreview = read_back(&change)?;
            jamf.apply_plan(domain, &change, &preview)
                .await
                .map_err(text)
        };
        let origin = crate::Origin::app();
        self.change(
            origin,
            "jamf_plan_os_update",
            request,
            domain,
            previewing,
            applying,
        )
        .await
    }
}
