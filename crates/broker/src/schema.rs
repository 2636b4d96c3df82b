//! Keeps tool schemas portable: schemars marks integers with Rust-specific formats ("uint",
//! "uint32", "int64"), which strict validators in some MCP clients reject. Only the formats
//! JSON Schema itself defines are kept.

use rmcp::handler::server::router::tool::ToolRouter;
use serde_json::{Map, Value};

const STANDARD_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "uuid",
    "regex",
];

/// Strips non-standard `format`s from every tool's input and output schema.
pub(crate) fn make_portable<S>(router: &mut ToolRouter<S>) {
    for route in router.map.values_mut() {
        strip(std::sync::Arc::make_mut(&mut route.attr.input_schema));
        if let Some(output) = &mut route.attr.output_schema {
            strip(std::sync::Arc::make_mut(output));
        }
    }
}

fn strip(schema: &mut Map<String, Value>) {
    if schema
        .get("format")
        .and_then(Value::as_str)
        .is_some_and(|f| !STANDARD_FORMATS.contains(&f))
    {
        schema.remove("format");
    }
    for value in schema.values_mut() {
        strip_value(value);
    }
}

fn strip_value(value: &mut Value) {
    match value {
        Value::Object(map) => strip(map),
        Value::Array(items) => items.iter_mut().for_each(strip_value),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_integer_formats_go_and_standard_ones_stay() {
        let mut schema = serde_json::json!({
            "properties": {
                "count": { "type": "integer", "format": "uint", "minimum": 0 },
                "when": { "type": "string", "format": "date-time" },
                "list": { "type": "array", "items": [{ "type": "integer", "format": "int64" }] }
            }
        });
        strip(schema.as_object_mut().unwrap());
        assert_eq!(
            schema["properties"]["count"],
            serde_json::json!({ "type": "integer", "minimum": 0 })
        );
        assert_eq!(schema["properties"]["when"]["format"], "date-time");
        assert!(
            schema["properties"]["list"]["items"][0]
                .get("format")
                .is_none()
        );
    }
}
