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
    let details = read_back(&change)?;
    Ok((change, details))
}

/// What the person approved, as the tool's own type (the preview's details).
fn read_back<T: for<'de> Deserialize<'de>>(change: &Change) -> Result<T, String> {
    serde_json::from_value(change.details.clone())
        .map_err(|e| format!("the approved change cannot be read back: {e}"))
}

/// A call's arguments as the tool's request type (before the tool itself parses them: for
/// its preview).
fn from_arguments<T: for<'de> Deserialize<'de>>(arguments: serde_json::Value) -> Result<T, String> {
    serde_json::from_value(arguments).map_err(|e| format!("bad arguments: {e}"))
}

fn text(e: impl ToString) -> String {
    e.to_string()
}

impl crate::Services {
    /// A change asked for by the app or the CLI, through the pipeline as the MCP tool `tool`
    /// would be: previewed by `preview`, put to the person (the app's own request is approved
    /// by its presence check), on the audit log, then `apply`ed once with what was approved.
    /// The call's arguments are the request's, with the domain it resolved to.
    pub(crate) async fn change<'s, T, P, A, F>(
        &self,
        origin: crate::Origin,
        tool: &str,
        request: &impl serde::Serialize,
        domain: &latchkey_vault::Domain,
        preview: P,
        apply: A,
    ) -> Result<T, String>
    where
        P: FnOnce(&Call) -> Preview<'s>,
        A: FnOnce(Arc<Change>) -> F,
        F: Future<Output = Result<T, String>>,
    {
        let mut arguments = match serde_json::to_value(request) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        arguments.insert("domain".to_owned(), domain.to_string().into());
        let call = Call {
            origin,
            tool: tool.to_owned(),
            arguments,
            domain: Some(domain.clone()),
            effect: crate::Effect::Changes,
        };
        let work = |change: Option<Arc<Change>>| async move {
            let result = match change {
                Some(change) => apply(change).await,
                None => Err("this change was not approved, so nothing was done".to_owned()),
            };
            let outcome = crate::pipeline::outcome_of(&result);
            (result, outcome)
        };
        self.pipeline
            .run(call, preview, None, work)
            .await
            .map_err(text)?
    }
}
