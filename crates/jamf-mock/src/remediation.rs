//! The endpoints that change something, validated the way the Jamf Pro 11.30.1 schema
//! describes them (an invalid request is a 400 in Jamf's error shape, one cause per field),
//! and every accepted change recorded as a [`Change`] for tests to read, in process with
//! [`crate::Mock::received`] or over HTTP with `GET /__mock/received`.
//!
//! - `POST /api/v1/managed-software-updates/plans` and `.../plans/group` (201, one plan per
//!   computer);
//! - `POST /api/v2/mdm/blank-push` (200, `errorUuids` for unknown management ids);
//! - `POST /api/v1/jamf-management-framework/redeploy/{id}` (202, or 404).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDateTime;
use serde_json::{Value, json};

use crate::respond::{api_error, json_response};
use crate::server::MockState;

/// A change the mock accepted: what a real server would have done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A software update plan, for computers or a group.
    SoftwareUpdatePlan(ReceivedPlan),
    /// A blank push to these MDM management ids (the computers they belong to, by id).
    BlankPush {
        management_ids: Vec<String>,
        computer_ids: Vec<u64>,
    },
    /// A redeployment of the Jamf management framework.
    RedeployFramework { computer_id: u64 },
}

/// A software update plan as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPlan {
    /// Computer ids: those listed, or the group's members.
    pub devices: Vec<String>,
    /// The group id, for a group plan.
    pub group: Option<String>,
    pub update_action: String,
    pub version_type: String,
    pub specific_version: Option<String>,
    /// `forceInstallLocalDateTime` exactly as sent.
    pub force_install_local_date_time: Option<String>,
    /// The plan ids answered, one per device.
    pub plan_ids: Vec<String>,
}

impl Change {
    /// The change as `GET /__mock/received` lists it.
    pub fn to_json(&self) -> Value {
        match self {
            Change::SoftwareUpdatePlan(p) => json!({
                "kind": "software_update_plan", "devices": p.devices, "group": p.group,
                "update_action": p.update_action, "version_type": p.version_type,
                "specific_version": p.specific_version,
                "force_install_local_date_time": p.force_install_local_date_time,
                "plan_ids": p.plan_ids,
            }),
            Change::BlankPush {
                management_ids,
                computer_ids,
            } => json!({
                "kind": "blank_push", "management_ids": management_ids,
                "computer_ids": computer_ids,
            }),
            Change::RedeployFramework { computer_id } => {
                json!({"kind": "redeploy_framework", "computer_id": computer_id})
            }
        }
    }
}

const UPDATE_ACTIONS: [&str; 6] = [
    "DOWNLOAD_ONLY",
    "DOWNLOAD_INSTALL",
    "DOWNLOAD_INSTALL_ALLOW_DEFERRAL",
    "DOWNLOAD_INSTALL_RESTART",
    "DOWNLOAD_INSTALL_SCHEDULE",
    "UNKNOWN",
];
const VERSION_TYPES: [&str; 6] = [
    "LATEST_MAJOR",
    "LATEST_MINOR",
    "LATEST_ANY",
    "SPECIFIC_VERSION",
    "CUSTOM_VERSION",
    "UNKNOWN",
];

/// Why a request is invalid: `(field, description)` per cause.
type Causes = Vec<(String, String)>;

fn invalid(causes: Causes) -> Response {
    let errors: Vec<Value> = causes
        .into_iter()
        .map(|(field, description)| {
            json!({"code": "INVALID_FIELD", "field": field, "description": description, "id": "0"})
        })
        .collect();
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({"httpStatus": 400, "errors": errors}),
    )
}

/// The body as a JSON object; `None` (answered with [`not_an_object`]) otherwise.
fn body_json(body: &Bytes) -> Option<Value> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
}

fn not_an_object() -> Response {
    invalid(vec![(
        "body".into(),
        "the request body is not a JSON object".into(),
    )])
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// `config` (PlanConfigurationPost) checked, as (updateAction, versionType, specificVersion,
/// forceInstallLocalDateTime).
type Config = (String, String, Option<String>, Option<String>);

fn check_config(config: Option<&Value>, causes: &mut Causes) -> Option<Config> {
    let Some(config) = config.filter(|c| c.is_object()) else {
        causes.push(("config".into(), "config is required".into()));
        return None;
    };
    let mut cause = |field: &str, description: String| {
        causes.push((format!("config.{field}"), description));
    };
    let action = text(config, "updateAction").unwrap_or_default();
    if !UPDATE_ACTIONS.contains(&action) {
        cause(
            "updateAction",
            format!("{action:?} is not a valid update action"),
        );
    }
    let version_type = text(config, "versionType").unwrap_or_default();
    if !VERSION_TYPES.contains(&version_type) {
        cause(
            "versionType",
            format!("{version_type:?} is not a valid version type"),
        );
    }
    let specific = text(config, "specificVersion").map(str::to_owned);
    let is_release = |v: &str| {
        let parts: Vec<&str> = v.split('.').collect();
        (2..=3).contains(&parts.len())
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    if version_type == "SPECIFIC_VERSION" && !specific.as_deref().is_some_and(is_release) {
        cause(
            "specificVersion",
            "a specific version such as 15.7.9 is required for SPECIFIC_VERSION".into(),
        );
    }
    let deadline = text(config, "forceInstallLocalDateTime").map(str::to_owned);
    match deadline.as_deref() {
        Some(d) if NaiveDateTime::parse_from_str(d, "%Y-%m-%dT%H:%M:%S").is_err() => cause(
            "forceInstallLocalDateTime",
            format!("{d:?} is not a local date and time such as 2026-12-13T17:00:00"),
        ),
        None if action == "DOWNLOAD_INSTALL_SCHEDULE" => cause(
            "forceInstallLocalDateTime",
            "required for DOWNLOAD_INSTALL_SCHEDULE".into(),
        ),
        _ => {}
    }
    if action == "DOWNLOAD_INSTALL_ALLOW_DEFERRAL" && !config["maxDeferrals"].is_u64() {
        cause(
            "maxDeferrals",
            "required for DOWNLOAD_INSTALL_ALLOW_DEFERRAL".into(),
        );
    }
    Some((
        action.to_owned(),
        version_type.to_owned(),
        specific,
        deadline,
    ))
}

/// Records the plan and answers 201 with one plan per device.
fn plan_created(
    state: &MockState,
    devices: Vec<String>,
    group: Option<String>,
    config: Config,
) -> Response {
    let plan_ids: Vec<String> = devices
        .iter()
        .map(|device| {
            let n = state.plans_made.fetch_add(1, Ordering::SeqCst) + 1;
            format!(
                "{n:08X}-0000-4000-8000-{:012}",
                device.parse::<u64>().unwrap_or(0)
            )
        })
        .collect();
    let plans: Vec<Value> = devices
        .iter()
        .zip(&plan_ids)
        .map(|(device, plan)| {
            json!({
                "device": {"deviceId": device, "objectType": "COMPUTER",
                           "href": format!("/v1/computers-inventory/{device}")},
                "planId": plan, "href": format!("/v1/managed-software-updates/plans/{plan}")
            })
        })
        .collect();
    let (update_action, version_type, specific_version, force_install_local_date_time) = config;
    state
        .changes
        .lock()
        .unwrap()
        .push(Change::SoftwareUpdatePlan(ReceivedPlan {
            devices,
            group,
            update_action,
            version_type,
            specific_version,
            force_install_local_date_time,
            plan_ids,
        }));
    json_response(StatusCode::CREATED, &json!({"plans": plans}))
}

pub(crate) async fn create_plan(State(state): State<Arc<MockState>>, body: Bytes) -> Response {
    let Some(body) = body_json(&body) else {
        return not_an_object();
    };
    let mut causes = Causes::new();
    let mut devices: Vec<String> = Vec::new();
    match body.get("devices").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => {
            for (i, device) in list.iter().enumerate() {
                let id = text(device, "deviceId").unwrap_or_default();
                let field = |name: &str| format!("devices[{i}].{name}");
                if text(device, "objectType") != Some("COMPUTER") {
                    causes.push((field("objectType"), "the mock serves COMPUTER only".into()));
                } else if !state.computers.iter().any(|c| c.id.to_string() == id) {
                    causes.push((field("deviceId"), format!("no computer with id {id:?}")));
                } else if devices.iter().any(|d| d == id) {
                    causes.push((field("deviceId"), format!("computer {id} is listed twice")));
                } else {
                    devices.push(id.to_owned());
                }
            }
        }
        _ => causes.push(("devices".into(), "at least one device is required".into())),
    }
    let config = check_config(body.get("config"), &mut causes);
    match config {
        Some(config) if causes.is_empty() => plan_created(&state, devices, None, config),
        _ => invalid(causes),
    }
}

pub(crate) async fn create_group_plan(
    State(state): State<Arc<MockState>>,
    body: Bytes,
) -> Response {
    let Some(body) = body_json(&body) else {
        return not_an_object();
    };
    let mut causes = Causes::new();
    let group = body.get("group").filter(|g| g.is_object());
    let group_id = group.and_then(|g| text(g, "groupId")).unwrap_or_default();
    if group.and_then(|g| text(g, "objectType")) != Some("COMPUTER_GROUP") {
        causes.push((
            "group.objectType".into(),
            "COMPUTER_GROUP is required".into(),
        ));
    }
    if group_id.is_empty() {
        causes.push(("group.groupId".into(), "a group id is required".into()));
    }
    let config = check_config(body.get("config"), &mut causes);
    let Some(config) = config.filter(|_| causes.is_empty()) else {
        return invalid(causes);
    };
    let Some(members) = state
        .groups
        .iter()
        .find(|g| g.id.to_string() == group_id)
        .map(|g| g.members.iter().map(u64::to_string).collect())
    else {
        return api_error(StatusCode::NOT_FOUND, "A group with that id does not exist");
    };
    plan_created(&state, members, Some(group_id.to_owned()), config)
}

pub(crate) async fn blank_push(State(state): State<Arc<MockState>>, body: Bytes) -> Response {
    let Some(body) = body_json(&body) else {
        return not_an_object();
    };
    let Some(ids) = body
        .get("clientManagementIds")
        .and_then(Value::as_array)
        .and_then(|ids| ids.iter().map(Value::as_str).collect::<Option<Vec<&str>>>())
    else {
        return invalid(vec![(
            "clientManagementIds".into(),
            "a list of client management ids is required".into(),
        )]);
    };
    let owner = |id: &str| {
        state
            .computers
            .iter()
            .find(|c| c.management_id.as_deref() == Some(id))
            .map(|c| c.id)
    };
    let errors: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| owner(id).is_none())
        .collect();
    state.changes.lock().unwrap().push(Change::BlankPush {
        management_ids: ids.iter().map(|id| (*id).to_owned()).collect(),
        computer_ids: ids.iter().filter_map(|id| owner(id)).collect(),
    });
    json_response(StatusCode::OK, &json!({"errorUuids": errors}))
}

pub(crate) async fn redeploy(
    State(state): State<Arc<MockState>>,
    Path(id): Path<String>,
) -> Response {
    let Some(computer) = state.computers.iter().find(|c| c.id.to_string() == id) else {
        return api_error(
            StatusCode::NOT_FOUND,
            "Computer with given id does not exist",
        );
    };
    state
        .changes
        .lock()
        .unwrap()
        .push(Change::RedeployFramework {
            computer_id: computer.id,
        });
    json_response(
        StatusCode::ACCEPTED,
        &json!({"deviceId": id, "commandUuid": format!("c0ffee00-0000-4000-8000-{:012}", computer.id)}),
    )
}

/// `GET /__mock/received`: every change accepted so far, oldest first.
pub(crate) async fn received(State(state): State<Arc<MockState>>) -> Response {
    let changes: Vec<Value> = state
        .changes
        .lock()
        .unwrap()
        .iter()
        .map(Change::to_json)
        .collect();
    json_response(StatusCode::OK, &json!({"changes": changes}))
}
