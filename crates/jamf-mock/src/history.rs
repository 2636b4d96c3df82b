//! Classic computer history, by id or serial number.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::MockComputer;
use crate::respond::{api_error, json_response};
use crate::server::MockState;

pub(crate) async fn history_by_id(
    State(state): State<Arc<MockState>>,
    Path(id): Path<String>,
) -> Response {
    history(state.computers.iter().find(|c| c.id.to_string() == id))
}

pub(crate) async fn history_by_serial(
    State(state): State<Arc<MockState>>,
    Path(serial): Path<String>,
) -> Response {
    history(state.computers.iter().find(|c| c.serial == serial))
}

fn history(computer: Option<&MockComputer>) -> Response {
    let Some(c) = computer else {
        return api_error(
            StatusCode::NOT_FOUND,
            "The server has not found anything matching the request URI",
        );
    };
    let epoch = c.last_contact.timestamp_millis();
    let policy_logs: Vec<Value> = (0..25)
        .map(|n| {
            json!({"policy_id": n, "policy_name": format!("Policy {n}"), "username": "jamfadmin",
                        "date_time_epoch": epoch - (25 - n) * 3_600_000, "status": "Completed"})
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({"computer_history": {
            "general": {"id": c.id, "name": c.name, "udid": "x", "serial_number": c.serial, "mac_address": "00:11:22:33:44:55"},
            "computer_usage_logs": [{"event": "login", "username": c.username, "date_time_epoch": epoch}],
            "audits": [],
            "policy_logs": policy_logs,
            "casper_remote_logs": [],
            "screen_sharing_logs": [{"status": "Accepted", "details": "Screen sharing by jamfadmin", "date_time_epoch": epoch - 1000}],
            "commands": {"completed": [{"name": "DeviceInformation", "completed": "x", "completed_epoch": epoch, "username": ""}],
                         "pending": [{"name": "InstallProfile", "status": "Pending", "issued_epoch": epoch + 1000}],
                         "failed": []},
            "user_location": [{"date_time_epoch": epoch, "username": c.username, "full_name": c.realname, "email_address": c.email}],
            "mac_app_store_applications": {"installed": [], "pending": [], "failed": []}
        }}),
    )
}
