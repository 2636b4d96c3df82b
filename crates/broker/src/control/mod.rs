//! The control socket: how the user's own tools (`latchkey creds …`) reach the broker.
//!
//! Newline-delimited JSON, one [`ControlRequest`] per line, one [`ControlResponse`] per line,
//! on a 0600 socket next to the MCP one with the same peer-uid check. It is not MCP and
//! assistants are never pointed at it; but an assistant with a shell could still run the
//! CLI, so every request takes the broker's pipeline: the program that runs `latchkey`
//! (found past `latchkey` and shells, like the bridge) is on the same allow-list as MCP
//! clients, and a denied one gets nothing here either; data reads are on the audit log like
//! an assistant's call; everything that unlocks, changes a credential or approves a change
//! needs a presence check and is recorded as an admin event. Request lines carrying secrets
//! are wiped after parsing.

mod client;
mod protocol;
mod serve;

pub use client::ControlClient;
pub use protocol::{ControlError, ControlRequest, ControlResponse, JamfRead, VcenterRead};
pub(crate) use serve::{serve_connection, tell_too_many};
