//! Every public result type has a JSON Schema (MCP structured output) in which every field
//! carries its doc comment as a description.

use latchkey_sofa::{
    Feed, FeedDiff, FeedSummary, FleetDevice, FleetReport, HardwareSupport, LatestRelease,
    StatusCounts, VersionStatus,
};
use schemars::{JsonSchema, schema_for};
use serde_json::Value;

/// Field names without a description, across the root and every definition.
fn undocumented<T: JsonSchema>() -> Vec<String> {
    let schema = serde_json::to_value(schema_for!(T)).expect("schema");
    let mut objects = vec![("root".to_owned(), &schema)];
    if let Some(defs) = schema.get("$defs").and_then(Value::as_object) {
        objects.extend(defs.iter().map(|(name, def)| (name.clone(), def)));
    }
    // Internally tagged enums keep their variants' fields under `oneOf`.
    let variants: Vec<(String, &Value)> = (objects.iter())
        .flat_map(|(name, s)| {
            s.get("oneOf")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|v| (name.clone(), v))
        })
        .collect();
    objects.extend(variants);
    let mut missing = Vec::new();
    let mut checked = 0;
    for (name, object) in objects {
        for (field, property) in object
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            checked += 1;
            let is_tag = field == "result";
            if !is_tag && property.get("description").is_none() {
                missing.push(format!("{name}.{field}"));
            }
        }
    }
    assert!(
        checked >= 3,
        "{} has too few fields to check: {schema}",
        std::any::type_name::<T>()
    );
    missing
}

#[test]
fn every_field_is_described() {
    let missing = [
        undocumented::<VersionStatus>(),
        undocumented::<StatusCounts>(),
        undocumented::<HardwareSupport>(),
        undocumented::<FleetDevice>(),
        undocumented::<FleetReport>(),
        undocumented::<FeedSummary>(),
        undocumented::<LatestRelease>(),
        undocumented::<FeedDiff>(),
        undocumented::<Feed>(),
    ]
    .concat();
    assert!(
        missing.is_empty(),
        "fields without descriptions: {missing:?}"
    );
}

#[test]
fn version_is_a_string_in_schemas() {
    let schema = serde_json::to_value(schema_for!(LatestRelease)).expect("schema");
    let version = &schema["$defs"]["Version"];
    assert_eq!(version["type"], "string", "{schema}");
}
