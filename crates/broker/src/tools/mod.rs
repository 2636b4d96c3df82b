//! Tool groups, one file each; each defines a named router that `LatchkeyServer` combines.

pub mod credentials;
pub mod jamf;
pub mod jamf_changes;
pub mod sofa;
pub mod status;
pub mod vsphere;
pub mod vsphere_changes;

use std::sync::Arc;

use rmcp::RoleServer;
use rmcp::service::RequestContext;
use serde::Deserialize;

use crate::LatchkeyServer;
use crate::pipeline::{Call, Change, Preview};

/// What a changing tool will do, worked out before the person is asked to approve it: each
/// changing tool names its preview here.
pub(crate) fn preview_change<'s>(server: &'s LatchkeyServer, call: &Call) -> Preview<'s> {
    let preview = jamf_changes::preview(&server.jamf, call)
        .or_else(|| vsphere_changes::preview(&server.vsphere, call));
    preview.unwrap_or_else(|| {
        let tool = call.tool.clone();
        Box::pin(async move { Err(format!("{tool} has no preview, so it cannot be approved")) })
    })
}

/// The approved preview a changing tool carries out; absent means the call did not come
/// through the pipeline's approval, and nothing is done.
fn approved<T: for<'de> Deserialize<'de>>(
    context: &RequestContext<RoleServer>,
) -> Result<(Arc<Change>, T), String> {
    let change = context
        .extensions
        .get::<Arc<Change>>()
        .cloned()
        .ok_or("this change was not approved, so nothing was done")?;
    let details = serde_json::from_value(change.details.clone())
        .map_err(|e| format!("the approved change cannot be read back: {e}"))?;
    Ok((change, details))
}

/// A call's arguments as the tool's request type (before the tool itself parses them: for
/// its preview).
fn from_arguments<T: for<'de> Deserialize<'de>>(arguments: serde_json::Value) -> Result<T, String> {
    serde_json::from_value(arguments).map_err(|e| format!("bad arguments: {e}"))
}

fn text(e: impl ToString) -> String {
    e.to_string()
}
