//! Lists: smart computer groups (Jamf Pro API), policies and configuration profiles (Classic).

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::respond::{json_response, paging, refused};

pub(crate) async fn smart_groups(Query(query): Query<Vec<(String, String)>>) -> Response {
    let (page, size) = match paging(&query) {
        Ok(p) => p,
        Err(e) => return refused(e),
    };
    let all: Vec<Value> = (1..=3)
        .map(|i| json!({"id": i.to_string(), "siteId": "-1", "name": format!("Smart group {i}"),
                        "description": if i == 1 { json!("Macs behind on updates") } else { Value::Null },
                        "membershipCount": i * 10}))
        .collect();
    let results: Vec<&Value> = all.iter().skip(page * size).take(size).collect();
    json_response(
        StatusCode::OK,
        &json!({"totalCount": all.len(), "results": results}),
    )
}

pub(crate) async fn policies() -> Response {
    json_response(
        StatusCode::OK,
        &json!({"policies": [{"id": 2, "name": "Update Inventory"}, {"id": 1, "name": "Install Chrome"}]}),
    )
}

pub(crate) async fn profiles() -> Response {
    json_response(
        StatusCode::OK,
        &json!({"os_x_configuration_profiles": [{"id": 7, "name": "Wi-Fi"}, {"id": 3, "name": "FileVault"}]}),
    )
}
