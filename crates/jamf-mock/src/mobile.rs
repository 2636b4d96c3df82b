//! Mobile devices: `/api/v2/mobile-devices` (no filter) and `/api/v2/mobile-devices/detail`
//! (RSQL), over three fixed devices, one of a type newer than the schema.

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::respond::{filtered, json_response, paging, refused};

fn mobile_devices() -> Vec<Value> {
    vec![
        json!({"id": "1", "name": "Front desk iPad", "serialNumber": "DMQVGC0DHLA0", "model": "iPad (9th generation)",
               "modelIdentifier": "iPad12,1", "username": "reception", "type": "ios"}),
        json!({"id": "2", "name": "Lobby TV", "serialNumber": "C02XYZ987ABC", "model": "Apple TV 4K",
               "modelIdentifier": "AppleTV11,1", "username": null, "type": "tvos"}),
        json!({"id": "3", "name": "Field Vision", "serialNumber": "VPRO00000001", "model": "Apple Vision Pro",
               "modelIdentifier": "RealityDevice14,1", "username": "ann", "type": "some-future-os"}),
    ]
}

pub(crate) async fn mobile_list(Query(query): Query<Vec<(String, String)>>) -> Response {
    let (page, size) = match paging(&query) {
        Ok(p) => p,
        Err(e) => return refused(e),
    };
    let all = mobile_devices();
    let results: Vec<&Value> = all.iter().skip(page * size).take(size).collect();
    json_response(
        StatusCode::OK,
        &json!({"totalCount": all.len(), "results": results}),
    )
}

pub(crate) async fn mobile_detail(Query(query): Query<Vec<(String, String)>>) -> Response {
    let (page, size) = match paging(&query) {
        Ok(p) => p,
        Err(e) => return refused(e),
    };
    let all = mobile_devices();
    let field = |d: &Value, name: &str| {
        let key = match name {
            "displayName" => "name",
            "serialNumber" => "serialNumber",
            "username" => "username",
            "fullName" | "emailAddress" => return Ok(None),
            other => return Err(format!("unknown field {other}")),
        };
        Ok(d[key].as_str().map(str::to_owned))
    };
    let matching = match filtered(&all, &query, field) {
        Ok(m) => m,
        Err(e) => return refused(e),
    };
    let results: Vec<Value> = matching
        .iter()
        .skip(page * size)
        .take(size)
        .map(|d| json!({
            "mobileDeviceId": d["id"], "deviceType": d["type"],
            "general": {"displayName": d["name"], "osVersion": "18.6", "managed": true,
                        "lastContactDate": "2026-08-30T10:00:00.000Z"},
            "hardware": {"serialNumber": d["serialNumber"], "model": d["model"], "modelIdentifier": d["modelIdentifier"]},
            "userAndLocation": {"username": d["username"]}
        }))
        .collect();
    json_response(
        StatusCode::OK,
        &json!({"totalCount": matching.len(), "results": results}),
    )
}
