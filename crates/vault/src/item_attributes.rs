//! Linux: the attributes a Latchkey item carries in a Secret Service collection or in the
//! encrypted file store (both keep items as a label, attributes and a secret): `application`,
//! `latchkey-id`, `latchkey-kind`, `latchkey-domain` and `latchkey-metadata` (the
//! [`Metadata`] as JSON). One mapping, so the two stores read and write the same items.

use std::collections::HashMap;

use crate::{Error, Metadata};

/// The `application` attribute of every Latchkey item.
pub(crate) const APPLICATION: &str = "latchkey";

/// The attributes an item carries for `metadata`.
pub(crate) fn attributes_of(metadata: &Metadata) -> Result<HashMap<&'static str, String>, Error> {
    let json = serde_json::to_string(metadata).map_err(|_| Error::Corrupt {
        id: metadata.id.to_string(),
        reason: "its metadata cannot be written as JSON",
    })?;
    Ok(HashMap::from([
        ("application", APPLICATION.to_owned()),
        ("latchkey-id", metadata.id.to_string()),
        ("latchkey-kind", metadata.kind.as_str().to_owned()),
        ("latchkey-domain", metadata.domain.to_string()),
        ("latchkey-metadata", json),
    ]))
}

/// The metadata an item's attributes describe. Looks only at Latchkey's own attributes: the
/// service may add others.
pub(crate) fn metadata_of(attributes: &HashMap<String, String>) -> Result<Metadata, Error> {
    let id = attributes.get("latchkey-id").cloned().unwrap_or_default();
    let corrupt = |reason| Error::Corrupt {
        id: id.clone(),
        reason,
    };
    let json = attributes
        .get("latchkey-metadata")
        .ok_or(corrupt("it has no latchkey-metadata attribute"))?;
    let metadata: Metadata =
        serde_json::from_str(json).map_err(|_| corrupt("its latchkey-metadata is not valid"))?;
    if metadata.id.as_str() != id {
        return Err(corrupt("its latchkey-id and latchkey-metadata disagree"));
    }
    metadata.verified()
}
