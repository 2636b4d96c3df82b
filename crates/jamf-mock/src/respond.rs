//! Answers in Jamf's shapes: JSON bodies, the `{httpStatus, errors: [...]}` error, paging and
//! RSQL filtering of a list the way the Jamf Pro API reads them.

use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::rsql;

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

pub(crate) fn api_error(status: StatusCode, description: &str) -> Response {
    json_response(
        status,
        &json!({"httpStatus": status.as_u16(), "errors": [{"code": "MOCK", "description": description}]}),
    )
}

pub(crate) fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Why a request is refused: status and description, made a response with [`refused`].
pub(crate) type Refusal = (StatusCode, String);

pub(crate) fn refused((status, description): Refusal) -> Response {
    api_error(status, &description)
}

/// `page` and `page-size` as Jamf reads them (page size at most 2,000).
pub(crate) fn paging(query: &[(String, String)]) -> Result<(usize, usize), Refusal> {
    let page = param(query, "page").unwrap_or("0").parse::<usize>();
    let size = param(query, "page-size").unwrap_or("100").parse::<usize>();
    match (page, size) {
        (Ok(page), Ok(size)) if (1..=2000).contains(&size) => Ok((page, size)),
        _ => Err((StatusCode::BAD_REQUEST, "bad paging".into())),
    }
}

/// A field's value; `Err` for a field the endpoint does not allow (Jamf answers 400).
pub(crate) type Lookup = Result<Option<String>, String>;

/// The items the query's RSQL `filter` matches (all of them without one); a filter that
/// does not parse, or names a field `field` refuses, is a 400.
pub(crate) fn filtered<'a, T>(
    items: &'a [T],
    query: &[(String, String)],
    field: impl Fn(&T, &str) -> Lookup,
) -> Result<Vec<&'a T>, Refusal> {
    let Some(filter) = param(query, "filter").filter(|f| !f.is_empty()) else {
        return Ok(items.iter().collect());
    };
    let expr = rsql::parse(filter).map_err(|e| (StatusCode::BAD_REQUEST, e))?;
    let mut out = Vec::new();
    for item in items {
        if expr
            .eval(&|name| field(item, name))
            .map_err(|e| (StatusCode::BAD_REQUEST, e))?
        {
            out.push(item);
        }
    }
    Ok(out)
}
