//! Tool groups, one file each; each defines a named router that `LatchkeyServer` combines.

pub mod credentials;
pub mod jamf;
pub mod jamf_changes;
pub mod sofa;
pub mod status;
pub mod vsphere;

use crate::LatchkeyServer;
use crate::pipeline::{Call, Preview};

/// What a changing tool will do, worked out before the person is asked to approve it: each
/// changing tool names its preview here.
pub(crate) fn preview_change<'s>(server: &'s LatchkeyServer, call: &Call) -> Preview<'s> {
    jamf_changes::preview(&server.jamf, call).unwrap_or_else(|| {
        let tool = call.tool.clone();
        Box::pin(async move { Err(format!("{tool} has no preview, so it cannot be approved")) })
    })
}
