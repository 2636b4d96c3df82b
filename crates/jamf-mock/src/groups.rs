//! Computer groups with members, as the Classic API serves one
//! (`GET /JSSResource/computergroups/id/{id}`) and as group plans resolve them.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::respond::{api_error, json_response};
use crate::server::MockState;

/// One computer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockGroup {
    pub id: u64,
    pub name: String,
    pub smart: bool,
    /// Computer ids, ascending.
    pub members: Vec<u64>,
}

/// The groups of a fleet of `computers`:
/// - 1 to 3: "Smart group N", smart, the first 10 × N computers (as many as there are);
/// - 4: "Lab Macs", static: computers 2, 3 and 5 (those that exist);
/// - 5: "Empty static group", static, no members.
pub fn groups(computers: usize) -> Vec<MockGroup> {
    let n = computers as u64;
    let mut out: Vec<MockGroup> = (1..=3)
        .map(|i| MockGroup {
            id: i,
            name: format!("Smart group {i}"),
            smart: true,
            members: (1..=n.min(i * 10)).collect(),
        })
        .collect();
    out.push(MockGroup {
        id: 4,
        name: "Lab Macs".into(),
        smart: false,
        members: [2, 3, 5].into_iter().filter(|id| *id <= n).collect(),
    });
    out.push(MockGroup {
        id: 5,
        name: "Empty static group".into(),
        smart: false,
        members: Vec::new(),
    });
    out
}

/// The Classic record of one group, with each member's id, name and serial number.
pub(crate) async fn classic_group(
    State(state): State<Arc<MockState>>,
    Path(id): Path<String>,
) -> Response {
    let Some(group) = state.groups.iter().find(|g| g.id.to_string() == id) else {
        return api_error(
            StatusCode::NOT_FOUND,
            "The server has not found anything matching the request URI",
        );
    };
    let computers: Vec<_> = group
        .members
        .iter()
        .filter_map(|id| state.computers.iter().find(|c| c.id == *id))
        .map(|c| {
            json!({"id": c.id, "name": c.name, "mac_address": "00:11:22:33:44:55",
                        "alt_mac_address": "", "serial_number": c.serial})
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({"computer_group": {
            "id": group.id, "name": group.name, "is_smart": group.smart,
            "site": {"id": -1, "name": "None"}, "criteria": [], "computers": computers
        }}),
    )
}
