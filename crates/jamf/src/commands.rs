//! MDM nudges that change nothing on the Mac by themselves but make it act now:
//!
//! - a blank push (`POST /api/v2/mdm/blank-push`): an empty APNs notification that makes
//!   each Mac check in with Jamf Pro, so queued commands and plans reach it sooner. The
//!   endpoint takes MDM client management ids (`BlankPushRequest.clientManagementIds`), not
//!   computer ids, so they are read from the inventory's GENERAL section first;
//! - redeploying the Jamf management framework (`POST
//!   /api/v1/jamf-management-framework/redeploy/{id}`), which repairs a Mac whose Jamf agent
//!   stopped checking in, as long as MDM still reaches it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::change::plausible_uuid;
use crate::targets::listing;
use crate::transport::endpoint;
use crate::{ComputerId, JamfClient, JamfError, lenient};

const BLANK_PUSH_PATH: &str = "api/v2/mdm/blank-push";

/// What a blank push did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct BlankPush {
    /// Macs the notification went to.
    pub sent: Vec<ComputerId>,
    /// Macs Jamf Pro reported an error for.
    pub failed: Vec<ComputerId>,
}

/// A queued framework redeployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct FrameworkRedeploy {
    /// The Mac.
    pub computer_id: ComputerId,
    /// The MDM command Jamf Pro queued, when it said.
    pub command_uuid: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawBlankPush {
    /// Kept as JSON: anything but an array of strings is read as no errors reported.
    error_uuids: Value,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawRedeploy {
    #[serde(deserialize_with = "lenient::string")]
    command_uuid: Option<String>,
}

impl JamfClient {
    /// Sends a blank push to these Macs. Their management ids are read first; unknown ids
    /// and Macs without one (not enrolled in MDM) fail the call before anything is sent.
    pub async fn blank_push(&self, computer_ids: &[ComputerId]) -> Result<BlankPush, JamfError> {
        let computers = self.computers_by_id(computer_ids).await?;
        let unenrolled: Vec<&str> = computers
            .iter()
            .filter(|c| c.management_id.is_none())
            .map(|c| c.id.as_str())
            .collect();
        if !unenrolled.is_empty() {
            return Err(JamfError::InvalidArgument(format!(
                "no MDM management id in Jamf Pro (not enrolled in MDM?) for computer {}; \
                 nothing was sent",
                listing(&unenrolled)
            )));
        }
        let by_management_id: BTreeMap<&str, &ComputerId> = computers
            .iter()
            .filter_map(|c| Some((c.management_id.as_deref()?, &c.id)))
            .collect();
        let body = json!({"clientManagementIds": by_management_id.keys().collect::<Vec<_>>()});
        let raw: RawBlankPush = self.post_change(BLANK_PUSH_PATH, Some(&body)).await?;
        let mut failed = Vec::new();
        let reported = raw.error_uuids.as_array().into_iter().flatten();
        for uuid in reported.filter_map(Value::as_str) {
            let Some(id) = by_management_id.get(uuid) else {
                return Err(JamfError::Parse {
                    endpoint: endpoint(&reqwest::Method::POST, BLANK_PUSH_PATH),
                    detail: "Jamf Pro accepted the blank push, but its answer reports an \
                             error for a management id that was not sent"
                        .into(),
                });
            };
            failed.push((*id).clone());
        }
        let sent = computers
            .iter()
            .map(|c| c.id.clone())
            .filter(|id| !failed.contains(id))
            .collect();
        Ok(BlankPush { sent, failed })
    }

    /// Queues a redeployment of the Jamf management framework on one Mac.
    pub async fn redeploy_framework(
        &self,
        id: &ComputerId,
    ) -> Result<FrameworkRedeploy, JamfError> {
        let path = format!("api/v1/jamf-management-framework/redeploy/{id}");
        let raw: Option<RawRedeploy> = match self.post_change(&path, None).await {
            Err(JamfError::NotFound(_)) => {
                return Err(JamfError::NotFound(format!("no computer with id {id}")));
            }
            result => result?,
        };
        let command_uuid = raw.and_then(|r| r.command_uuid);
        if command_uuid.as_deref().is_some_and(|u| !plausible_uuid(u)) {
            return Err(JamfError::Parse {
                endpoint: endpoint(&reqwest::Method::POST, &path),
                detail: "Jamf Pro queued the redeployment, but its command id is unreadable".into(),
            });
        }
        Ok(FrameworkRedeploy {
            computer_id: id.clone(),
            command_uuid,
        })
    }
}
