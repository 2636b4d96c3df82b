//! Managed software update plans: macOS installed by a deadline, through Apple's declarative
//! device management. `POST /api/v1/managed-software-updates/plans` takes a list of computers,
//! `POST /api/v1/managed-software-updates/plans/group` a computer group; both answer 201 with
//! one plan per device (`ManagedSoftwareUpdatePlanPostResponse`, Jamf Pro 11.30.1).
//!
//! Only `DOWNLOAD_INSTALL_SCHEDULE` is sent: the one declarative plan Jamf Pro offers, and the
//! one with a deadline (`forceInstallLocalDateTime`, the device's local time) after which the
//! Mac installs and restarts whatever its user says.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::change::plausible_uuid;
use crate::transport::endpoint;
use crate::{ComputerGroupId, ComputerId, JamfClient, JamfError, lenient};

const PLANS_PATH: &str = "api/v1/managed-software-updates/plans";
const GROUP_PLANS_PATH: &str = "api/v1/managed-software-updates/plans/group";

/// A software update to schedule: for whom, to which version, by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub struct SoftwareUpdatePlan {
    /// The Macs.
    pub target: PlanTarget,
    /// The macOS version to install.
    pub version: PlanVersion,
    /// When the update is forced, in each Mac's local time (e.g. "2026-12-13T17:00:00").
    pub deadline: NaiveDateTime,
}

/// Which Macs a plan is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PlanTarget {
    /// These computers, by Jamf id.
    Computers(Vec<ComputerId>),
    /// The members of a smart or static computer group, as Jamf Pro resolves it when the
    /// plan is created.
    Group(ComputerGroupId),
}

/// Which macOS version a plan installs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PlanVersion {
    /// Exactly this version, e.g. "15.7.9".
    Specific(String),
    /// The newest release of the Mac's current major.
    LatestMinor,
    /// The newest major the Mac can run.
    LatestMajor,
    /// Whichever is newest.
    LatestAny,
}

/// Plans Jamf Pro created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub struct PlanCreated {
    /// One per device, as Jamf Pro listed them.
    pub plans: Vec<CreatedPlan>,
}

/// One device's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub struct CreatedPlan {
    /// Jamf's plan id (a UUID), for following the plan in Jamf Pro.
    pub plan_id: String,
    /// The computer it is for, when the server said.
    pub device_id: Option<ComputerId>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct RawCreated {
    #[serde(deserialize_with = "lenient::list")]
    plans: Vec<RawPlan>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawPlan {
    #[serde(deserialize_with = "lenient::string")]
    plan_id: Option<String>,
    #[serde(deserialize_with = "lenient::section")]
    device: Option<RawDevice>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawDevice {
    #[serde(deserialize_with = "lenient::string")]
    device_id: Option<String>,
}

impl JamfClient {
    /// Creates the plan. Sent once: after a 5xx or a timeout the error says the plan may or
    /// may not exist (see [`JamfError::Unconfirmed`]); check Jamf Pro before trying again.
    pub async fn create_software_update_plan(
        &self,
        plan: &SoftwareUpdatePlan,
    ) -> Result<PlanCreated, JamfError> {
        let (path, body) = plan_request(plan)?;
        let raw: RawCreated = match (self.post_change(path, Some(&body)).await, &plan.target) {
            (Err(JamfError::NotFound(_)), PlanTarget::Group(id)) => {
                return Err(JamfError::NotFound(format!(
                    "no computer group with id {id}"
                )));
            }
            (result, _) => result?,
        };
        let endpoint = endpoint(&reqwest::Method::POST, path);
        let asked = match &plan.target {
            PlanTarget::Computers(ids) => Some(ids.iter().collect::<BTreeSet<_>>()),
            PlanTarget::Group(_) => None,
        };
        let created = created(raw, &endpoint)?;
        let strangers: Vec<&str> = created
            .plans
            .iter()
            .filter_map(|p| p.device_id.as_ref())
            .filter(|id| asked.as_ref().is_some_and(|asked| !asked.contains(id)))
            .map(ComputerId::as_str)
            .collect();
        if !strangers.is_empty() {
            return Err(JamfError::Parse {
                endpoint,
                detail: format!(
                    "Jamf Pro accepted the plan, but its answer names computers that were not \
                     in it: {}",
                    strangers.join(", ")
                ),
            });
        }
        Ok(created)
    }
}

/// The endpoint and body for `plan`, as the schema's `ManagedSoftwareUpdatePlanPost` and
/// `ManagedSoftwareUpdatePlanGroupPost` spell them. Duplicate computers are sent once (the
/// schema wants them unique); an empty list or a malformed version is refused here.
pub(crate) fn plan_request(plan: &SoftwareUpdatePlan) -> Result<(&'static str, Value), JamfError> {
    let (version_type, specific) = match &plan.version {
        PlanVersion::Specific(v) => ("SPECIFIC_VERSION", Some(checked_version(v)?)),
        PlanVersion::LatestMinor => ("LATEST_MINOR", None),
        PlanVersion::LatestMajor => ("LATEST_MAJOR", None),
        PlanVersion::LatestAny => ("LATEST_ANY", None),
    };
    let mut config = json!({
        "updateAction": "DOWNLOAD_INSTALL_SCHEDULE",
        "versionType": version_type,
        "forceInstallLocalDateTime": plan.deadline.format("%Y-%m-%dT%H:%M:%S").to_string(),
    });
    if let Some(version) = specific {
        config["specificVersion"] = json!(version);
    }
    Ok(match &plan.target {
        PlanTarget::Computers(ids) => {
            let mut seen = BTreeSet::new();
            let devices: Vec<Value> = ids
                .iter()
                .filter(|id| seen.insert(*id))
                .map(|id| json!({"objectType": "COMPUTER", "deviceId": id}))
                .collect();
            if devices.is_empty() {
                return Err(JamfError::InvalidArgument(
                    "a software update plan needs at least one computer".into(),
                ));
            }
            (PLANS_PATH, json!({"devices": devices, "config": config}))
        }
        PlanTarget::Group(id) => (
            GROUP_PLANS_PATH,
            json!({"group": {"objectType": "COMPUTER_GROUP", "groupId": id}, "config": config}),
        ),
    })
}

/// A version such as "15.7.9": two or three numbers, no Rapid Security Response letter
/// (plans install full releases).
fn checked_version(version: &str) -> Result<&str, JamfError> {
    let version = version.trim();
    let parts: Vec<&str> = version.split('.').collect();
    let numeric = |p: &&str| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit());
    if (2..=3).contains(&parts.len()) && parts.iter().all(numeric) {
        Ok(version)
    } else {
        Err(JamfError::InvalidArgument(format!(
            "macOS version {:?} is not a release number such as 15.7.9",
            version.chars().take(40).collect::<String>()
        )))
    }
}

/// The server's answer, checked: every plan has a plausible id.
fn created(raw: RawCreated, endpoint: &str) -> Result<PlanCreated, JamfError> {
    let bad = |detail: String| JamfError::Parse {
        endpoint: endpoint.to_owned(),
        detail: format!("Jamf Pro accepted the plan, but {detail}"),
    };
    let mut plans = Vec::with_capacity(raw.plans.len());
    for plan in raw.plans {
        let plan_id = plan
            .plan_id
            .filter(|id| plausible_uuid(id))
            .ok_or_else(|| bad("its answer has a plan without a readable plan id".into()))?;
        let device_id = match plan.device.and_then(|d| d.device_id) {
            Some(id) => Some(
                ComputerId::parse(&id)
                    .map_err(|_| bad("its answer has a plan for an unreadable device id".into()))?,
            ),
            None => None,
        };
        plans.push(CreatedPlan { plan_id, device_id });
    }
    Ok(PlanCreated { plans })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deadline() -> NaiveDateTime {
        "2026-12-13T17:00:00".parse().unwrap()
    }

    fn ids(list: &[&str]) -> Vec<ComputerId> {
        list.iter().map(|s| ComputerId::parse(s).unwrap()).collect()
    }

    #[test]
    fn a_computers_plan_is_the_schemas_body_with_each_computer_once() {
        let plan = SoftwareUpdatePlan {
            target: PlanTarget::Computers(ids(&["3", "1", "3"])),
            version: PlanVersion::Specific("15.7.9".into()),
            deadline: deadline(),
        };
        let (path, body) = plan_request(&plan).unwrap();
        assert_eq!(path, "api/v1/managed-software-updates/plans");
        assert_eq!(
            body,
            json!({
                "devices": [{"objectType": "COMPUTER", "deviceId": "3"},
                            {"objectType": "COMPUTER", "deviceId": "1"}],
                "config": {"updateAction": "DOWNLOAD_INSTALL_SCHEDULE",
                           "versionType": "SPECIFIC_VERSION", "specificVersion": "15.7.9",
                           "forceInstallLocalDateTime": "2026-12-13T17:00:00"}
            })
        );
    }

    #[test]
    fn a_group_plan_names_the_group_and_a_latest_version_sends_no_specific_one() {
        let plan = SoftwareUpdatePlan {
            target: PlanTarget::Group(ComputerGroupId::parse("7").unwrap()),
            version: PlanVersion::LatestMinor,
            deadline: deadline(),
        };
        let (path, body) = plan_request(&plan).unwrap();
        assert_eq!(path, "api/v1/managed-software-updates/plans/group");
        assert_eq!(
            body["group"],
            json!({"objectType": "COMPUTER_GROUP", "groupId": "7"})
        );
        assert_eq!(body["config"]["versionType"], "LATEST_MINOR");
        assert!(body["config"].get("specificVersion").is_none());
    }

    #[test]
    fn no_computers_or_a_malformed_version_is_refused_before_sending() {
        let mut plan = SoftwareUpdatePlan {
            target: PlanTarget::Computers(Vec::new()),
            version: PlanVersion::Specific("15.7.9".into()),
            deadline: deadline(),
        };
        assert!(plan_request(&plan).is_err());
        plan.target = PlanTarget::Computers(ids(&["1"]));
        for bad in ["15", "15.7.9 (a)", "15.x", "1.2.3.4", "", "15..1"] {
            plan.version = PlanVersion::Specific(bad.into());
            let err = plan_request(&plan).unwrap_err();
            assert!(
                err.to_string().contains("is not a release number"),
                "{bad}: {err}"
            );
        }
    }
}
