//! The Latchkey broker: the one process per user that talks to assistants.
//!
//! It serves MCP (via rmcp) on a unix socket that only its own user can reach, and it is
//! embedded by the menu-bar app and run headless by `latchkey serve`. Everything that will
//! touch a secret happens in here; nothing it returns to an assistant may contain one.
//! The user's own tools reach it through the [`control`] socket, the app in process.

#[cfg(target_os = "linux")]
mod chosen_store;
pub mod control;
mod error;
mod limits;
mod listener;
mod lock;
mod loopback;
mod mcp;
mod mcp_config;
mod memory;
mod notices;
mod paths;
pub mod pipeline;
mod platform;
mod schema;
mod sealed;
mod services;
pub mod settings;
mod store_choice;
pub mod tools;

pub use error::Error;
pub use limits::{IDLE_TIMEOUT, MAX_CONTROL_CONNECTIONS, MAX_MCP_CONNECTIONS};
pub use listener::{Broker, REFUSED_CODE, Services};
pub use loopback::{
    DEFAULT_PORT as HTTP_DEFAULT_PORT, HttpStatus, HttpToken, Loopback, NewHttpToken,
};
pub use mcp::LatchkeyServer;
pub use mcp_config::{ConfigSnippet, McpClient, TOKEN_VARIABLE};
pub use notices::{Notice, Notices};
pub use paths::StatePaths;
pub use pipeline::admin::{Actor, Event};
pub use pipeline::admission::{AssistantRecord, Assistants, Refusal, Verdict};
pub use pipeline::approvals::{
    ApprovalError, ApprovalRequest, Approvals, AssistantView, Grant, MAX_GRANT,
};
pub use pipeline::audit::{Audit, StoreAnchor, anchored_options};
pub use pipeline::{Call, Change, ChangeTarget, Effect, Origin, Pipeline, Refused, Surface};
pub use platform::{platform_services, platform_store};
pub use sealed::{ConfigSeal, RefusedFile, SealedFile};
pub use services::credentials::{
    CredentialError, CredentialService, CredentialView, CredentialsOverview, DomainView,
    PolicySettings, PresenceInfo, ROTATION_DAYS, SourceView, Target, time_left,
};
pub use services::jamf::{JamfService, JamfServiceError};
pub use services::sofa::{SofaOverview, SofaService, VersionReport};
pub use services::vsphere::{VsphereService, VsphereServiceError};
pub use settings::{Settings, SettingsService, SettingsView};
pub use store_choice::{StoreChooser, StoreKind, StoreStatus};
pub use tools::vsphere_changes::{VmPowerRequest, VmPowerResult};

/// Logs to stderr, filtered by `LATCHKEY_LOG` (default `warn`). Shared by the app and the CLI.
/// Log lines name paths, pids and errors; never a secret.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LATCHKEY_LOG")
        .unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// The version every surface reports (CLI, app, MCP `serverInfo`, `latchkey_status`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
