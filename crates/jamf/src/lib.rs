//! A Jamf Pro API client for Latchkey: bearer tokens from an API client or a user account,
//! retries with backoff, at most a few requests in flight, inventory with v4 → v3 → v1
//! fallback, typed RSQL filters, the security posture of one Mac or a whole fleet judged
//! against Apple's releases with the SOFA feed, and the first calls that change something
//! (software update plans, blank pushes, framework redeploys) with what a person needs to see
//! before approving one (the Macs resolved, a group's members, a [`PlanPreview`]).
//!
//! What it must never do: put a secret or a token in an error, a log line or a `Debug` string
//! (credentials are [`Secret`]s, tokens live zeroized in memory only), paste user input into a
//! URL path or an RSQL filter (ids and serials are validated by [`ComputerRef`] and
//! [`SerialNumber`], filter values quoted by [`rsql`]), or repeat a change once it may have
//! reached the server (a 5xx or a timeout after sending is [`JamfError::Unconfirmed`]).
//!
//! Modules: `client` (construction), `auth` (tokens), `transport` (status mapping over
//! latchkey-http's permits, retries and body caps), `raw` (parsing Jamf's JSON with
//! latchkey-http's `lenient` readers, every field optional), `computers`
//! (inventory, search, paging), `security`, `fleet`, `history`, `mobile`, `lists`, `check`;
//! changes: `change` (sending one), `plans`, `commands` (blank push, framework redeploy),
//! `targets` (serials, ids and groups resolved) and `preview` (pure: targets and deadlines).

mod auth;
mod change;
mod check;
mod client;
mod commands;
mod computers;
mod currency;
mod error;
mod fleet;
mod history;
mod ids;
mod lists;
mod mobile;
mod options;
mod plans;
mod preview;
mod privileges;
mod raw;
pub mod rsql;
mod secret;
mod section;
mod security;
mod targets;
mod transport;

use latchkey_http::lenient;

pub use check::ConnectionCheck;
pub use client::JamfClient;
pub use commands::{BlankPush, FrameworkRedeploy};
pub use computers::{
    ComputerInventory, ComputerPage, ComputerSearch, ComputerSummary, MAX_LISTED, TruncatedSection,
};
pub use currency::Currency;
pub use error::JamfError;
pub use fleet::{FleetComputer, FleetProgress, FleetSecurityReport};
pub use history::{ComputerHistory, HistoryEntry, HistoryList};
pub use ids::{ComputerGroupId, ComputerId, ComputerRef, SerialNumber};
pub use lists::{NamedItem, SmartGroup};
pub use mobile::{MobileDevicePage, MobileDeviceSearch, MobileDeviceSummary};
pub use options::{ClientOptions, MAX_PAGE_SIZE};
pub use plans::{CreatedPlan, PlanCreated, PlanTarget, PlanVersion, SoftwareUpdatePlan};
pub use preview::{
    DeadlinePolicy, PlanPreview, PreviewAction, PreviewComputer, PreviewPlan, TargetVersion,
    preview_software_update,
};
pub use privileges::{
    AccountPrivileges, Endpoint, MinimalRole, MissingPrivilege, PrivilegeCheck, TOOLS, ToolNeeds,
};
pub use secret::{Auth, Secret};
pub use section::Section;
pub use security::{ComputerSecurity, FileVault, OsSecurity};
pub use targets::{ComputerGroupMembers, TargetComputer};
