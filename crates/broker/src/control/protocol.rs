//! What the CLI and the broker say to each other on the control socket.

use latchkey_vault::{Account, CredentialId, Domain, SecretPlace, SecretRef, SecretString};
use latchkey_vsphere::PowerState;
use serde::{Deserialize, Serialize};

use crate::Verdict;
use crate::services::credentials::{CredentialError, PolicySettings};
use crate::settings::Settings;
use crate::store_choice::StoreKind;
use crate::tools::vsphere_changes::VmPowerRequest;

/// What the CLI asks of the broker.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ControlRequest {
    /// Every credential and domain with its lock state → [`crate::CredentialsOverview`].
    Overview,
    /// Store a new credential → [`crate::CredentialView`]. The encrypted store's passphrase
    /// when it is closed. With `source`, the secret is kept there (and `secret` is empty).
    Add {
        label: String,
        account: Account,
        #[serde(serialize_with = "SecretString::serialize_exposed")]
        secret: SecretString,
        #[serde(default)]
        source: Option<SecretRef>,
        #[serde(default, serialize_with = "exposed_if_any")]
        passphrase: Option<SecretString>,
    },
    /// Store a new credential with its secret copied once from `source` →
    /// [`crate::CredentialView`].
    Import {
        label: String,
        account: Account,
        source: SecretRef,
        #[serde(default, serialize_with = "exposed_if_any")]
        passphrase: Option<SecretString>,
    },
    /// Fetch a referenced secret again into its unlocked domain → [`crate::CredentialView`].
    Refresh { id: CredentialId },
    /// Change the label and account fields (the secret stays; a changed account asks for
    /// presence and locks its domain) → [`crate::CredentialView`].
    Edit {
        id: CredentialId,
        label: String,
        account: Account,
    },
    /// Replace the secret → [`crate::CredentialView`].
    Rotate {
        id: CredentialId,
        #[serde(serialize_with = "SecretString::serialize_exposed")]
        secret: SecretString,
    },
    /// Keep the secret somewhere else from now on: in a secret manager (`{"at": REF}`) or
    /// here with a new value (`{"here": SECRET}`) → [`crate::CredentialView`].
    MoveSecret {
        id: CredentialId,
        #[serde(serialize_with = "place_exposed")]
        to: SecretPlace,
    },
    /// Remove → `null`.
    Remove { id: CredentialId },
    /// Unlock one domain or all (`domain` absent) → the domains unlocked. The encrypted
    /// store's passphrase when it is in use (typed by the person at the terminal).
    Unlock {
        domain: Option<Domain>,
        ttl_minutes: Option<u64>,
        #[serde(default, serialize_with = "exposed_if_any")]
        passphrase: Option<SecretString>,
    },
    /// Which store keeps the credentials and whether it is open → [`crate::StoreStatus`]
    /// (`null` where there is no choice).
    StoreStatus,
    /// Move every credential to `store` and keep them there (asks for presence) → how many
    /// moved. `passphrase` makes the encrypted store, or opens it to move out of it.
    UseStore {
        store: StoreKind,
        #[serde(serialize_with = "SecretString::serialize_exposed")]
        passphrase: SecretString,
    },
    /// Lock one domain or all → how many were unlocked.
    Lock { domain: Option<Domain> },
    /// Set the default unlock time and idle timeout → the [`PolicySettings`] now in force.
    SetPolicy(PolicySettings),
    /// What the broker runs with → [`crate::SettingsView`].
    Settings,
    /// Save and apply `settings` (asks for presence when one weakens a guard) → the
    /// [`crate::SettingsView`] now in force.
    SetSettings(Settings),
    /// The assistants allowed or denied → [`crate::AssistantRecord`]s.
    Assistants,
    /// Allow or deny an assistant by name or path (allowing asks for presence) → its record.
    SetAssistant { assistant: String, verdict: Verdict },
    /// Forget an assistant by name or path (asks for presence; it is asked about again) →
    /// whether it was known.
    ForgetAssistant { assistant: String },
    /// The configuration files refused at start (not sealed by this broker's key) →
    /// [`crate::RefusedFile`]s.
    RefusedFiles,
    /// Reads from a Jamf Pro server, on the audit log → see [`JamfRead`].
    JamfRead(JamfRead),
    /// Reads from a vCenter, on the audit log → see [`VcenterRead`].
    VcenterRead(VcenterRead),
    /// A VM's power, through the same approval as an assistant's `vsphere_vm_power` → a
    /// `VmPowerResult`.
    VcenterPower(VmPowerRequest),
    /// Tests a stored Jamf credential (a presence check when its domain is locked) → a
    /// `ConnectionCheck`.
    JamfTest { id: CredentialId },
    /// Tests a stored vCenter credential (a presence check when its domain is locked) → a
    /// vSphere `ConnectionCheck`.
    VcenterTest { id: CredentialId },
    /// The certificate a vCenter presents, before its credential is added → a
    /// `CertificateProbe` (its fingerprint, and whether the system's roots trust it).
    VcenterCertificate { host: String },
    /// The changes waiting for the person's approval → [`crate::ApprovalRequest`]s.
    Approvals,
    /// Approve a waiting change (asks for presence), once or remembered for
    /// `remember_minutes` → the [`crate::Grant`] made, or `null`.
    Approve {
        id: String,
        remember_minutes: Option<u64>,
    },
    /// Deny a waiting change → `null`.
    Deny { id: String },
    /// The approvals remembered → [`crate::Grant`]s.
    Grants,
    /// Revoke a remembered approval → `null`.
    Revoke { grant: String },
    /// Acknowledge a break in the audit chain (asks for presence) → whether there was one.
    AcknowledgeAuditBreak,
    /// Whether MCP over loopback HTTP is on, and its URL → [`crate::HttpStatus`].
    HttpStatus,
    /// Turn MCP over loopback HTTP on, at once (asks for presence); `port` absent: the one
    /// kept, else the default; 0: any free one → [`crate::HttpStatus`].
    HttpEnable { port: Option<u16> },
    /// Turn MCP over loopback HTTP off, at once → [`crate::HttpStatus`].
    HttpDisable,
    /// The assistants' HTTP tokens, by name (never their values) → [`crate::HttpToken`]s.
    HttpTokens,
    /// Make a token for the assistant `name` (asks for presence) → a
    /// [`crate::NewHttpToken`], the only time its value is given.
    HttpTokenCreate { name: String },
    /// Revoke the token named `name`: its requests are refused from now on → whether there
    /// was one.
    HttpTokenRevoke { name: String },
}

impl ControlRequest {
    /// What this request does, when the broker may check presence before it answers (polkit
    /// then asks for the password through an agent the CLI starts in its terminal, and
    /// polkit's own prompt cannot say what for); `None` when it never asks.
    pub fn presence_purpose(&self) -> Option<String> {
        Some(match self {
            ControlRequest::Add { label, account, .. } => account.add_action(label),
            ControlRequest::Import {
                label,
                account,
                source,
                ..
            } => format!(
                "{} with its secret copied from {source}",
                account.add_action(label)
            ),
            ControlRequest::Refresh { id } => {
                format!("fetch the secret of credential {id} again")
            }
            ControlRequest::Edit { id, .. } => format!("change the account of credential {id}"),
            ControlRequest::Rotate { id, .. } => format!("rotate the secret of credential {id}"),
            ControlRequest::MoveSecret { id, to } => match to {
                SecretPlace::Here(_) => format!("keep the secret of credential {id} here"),
                SecretPlace::At(reference) => {
                    format!("fetch the secret of credential {id} from {reference}")
                }
            },
            ControlRequest::Remove { id } => format!("remove credential {id}"),
            ControlRequest::Unlock {
                domain: Some(domain),
                ..
            } => format!("unlock {domain}"),
            ControlRequest::Unlock { domain: None, .. } => "unlock every domain".to_owned(),
            ControlRequest::SetPolicy(_) => "change the unlock policy".to_owned(),
            ControlRequest::SetSettings(_) => "change Latchkey's settings".to_owned(),
            ControlRequest::UseStore { store, .. } => {
                format!("move your credentials to the {store} store")
            }
            ControlRequest::JamfTest { id } | ControlRequest::VcenterTest { id } => {
                format!("test credential {id} while it is locked")
            }
            ControlRequest::SetAssistant {
                assistant,
                verdict: Verdict::Allowed,
            } => format!("allow {assistant} to use Latchkey"),
            ControlRequest::ForgetAssistant { assistant } => format!("forget {assistant}"),
            ControlRequest::Approve { id, .. } => format!("approve the change waiting as {id}"),
            ControlRequest::AcknowledgeAuditBreak => {
                "acknowledge the break in the audit chain".to_owned()
            }
            ControlRequest::HttpEnable { .. } => {
                "let assistants connect over HTTP on 127.0.0.1".to_owned()
            }
            ControlRequest::HttpTokenCreate { name } => {
                format!("give the assistant {name} a token for MCP over HTTP")
            }
            ControlRequest::SetAssistant { .. }
            | ControlRequest::StoreStatus
            | ControlRequest::Overview
            | ControlRequest::Lock { .. }
            | ControlRequest::Assistants
            | ControlRequest::RefusedFiles
            | ControlRequest::JamfRead(_)
            | ControlRequest::VcenterRead(_)
            | ControlRequest::VcenterPower(_)
            | ControlRequest::VcenterCertificate { .. }
            | ControlRequest::Approvals
            | ControlRequest::Deny { .. }
            | ControlRequest::Grants
            | ControlRequest::Revoke { .. }
            | ControlRequest::Settings
            | ControlRequest::HttpStatus
            | ControlRequest::HttpDisable
            | ControlRequest::HttpTokens
            | ControlRequest::HttpTokenRevoke { .. } => return None,
        })
    }
}

/// For the optional passphrase fields: the one place besides
/// [`SecretString::serialize_exposed`] that sends a secret to the broker.
fn exposed_if_any<S: serde::Serializer>(
    secret: &Option<SecretString>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => SecretString::serialize_exposed(secret, serializer),
        None => serializer.serialize_none(),
    }
}

/// For [`ControlRequest::MoveSecret`]: a new value kept here is sent to the broker, as
/// [`SecretString::serialize_exposed`] does.
fn place_exposed<S: serde::Serializer>(
    place: &SecretPlace,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Exposed<'a> {
        Here(&'a str),
        At(&'a SecretRef),
    }
    match place {
        SecretPlace::Here(secret) => Exposed::Here(secret.expose()),
        SecretPlace::At(reference) => Exposed::At(reference),
    }
    .serialize(serializer)
}

/// What the CLI reads from a Jamf Pro server (`domain` absent: the only one unlocked).
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "read", rename_all = "snake_case")]
pub enum JamfRead {
    /// One page of computers matching `text` (all when absent) → a `ComputerPage`.
    Computers {
        domain: Option<String>,
        text: Option<String>,
        page: u32,
        page_size: u32,
    },
    /// One Mac's security posture, by serial number → a `ComputerSecurity`.
    Security {
        domain: Option<String>,
        serial: String,
    },
    /// The fleet's security report → a `FleetSecurityReport`.
    Fleet {
        domain: Option<String>,
        refresh: bool,
    },
}

impl JamfRead {
    /// The MCP tool that reads the same, and its arguments, as the audit records them.
    pub(crate) fn as_tool(&self) -> (&'static str, serde_json::Value, Option<&str>) {
        match self {
            JamfRead::Computers { domain, text, .. } => (
                "jamf_search_computers",
                serde_json::json!({ "text": text }),
                domain.as_deref(),
            ),
            JamfRead::Security { domain, serial } => (
                "jamf_computer_security",
                serde_json::json!({ "serial": serial }),
                domain.as_deref(),
            ),
            JamfRead::Fleet { domain, refresh } => (
                "jamf_fleet_security_report",
                serde_json::json!({ "refresh": refresh }),
                domain.as_deref(),
            ),
        }
    }
}

/// What the CLI reads from a vCenter (`domain` absent: the only one unlocked), answered by the
/// `vsphere_*` tool of the same name → that tool's answer.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "read", rename_all = "snake_case")]
pub enum VcenterRead {
    Vms {
        domain: Option<String>,
        name: Option<String>,
        power_state: Option<PowerState>,
        /// Only the VMs on this host (its id, `host-12`).
        #[serde(default)]
        host: Option<String>,
        offset: usize,
        limit: usize,
    },
    Vm {
        domain: Option<String>,
        vm: String,
    },
    Hosts {
        domain: Option<String>,
    },
    Clusters {
        domain: Option<String>,
    },
    Datastores {
        domain: Option<String>,
    },
    Networks {
        domain: Option<String>,
    },
}

impl VcenterRead {
    /// The MCP tool that reads the same, and its arguments, as the audit records them.
    pub(crate) fn as_tool(&self) -> (&'static str, serde_json::Value, Option<&str>) {
        match self {
            VcenterRead::Vms {
                domain,
                name,
                power_state,
                host,
                offset,
                limit,
            } => (
                "vsphere_list_vms",
                serde_json::json!({
                    "name": name, "power_state": power_state, "host": host, "offset": offset,
                    "limit": limit
                }),
                domain.as_deref(),
            ),
            VcenterRead::Vm { domain, vm } => (
                "vsphere_vm_details",
                serde_json::json!({ "vm": vm }),
                domain.as_deref(),
            ),
            VcenterRead::Hosts { domain } => (
                "vsphere_list_hosts",
                serde_json::json!({}),
                domain.as_deref(),
            ),
            VcenterRead::Clusters { domain } => (
                "vsphere_list_clusters",
                serde_json::json!({}),
                domain.as_deref(),
            ),
            VcenterRead::Datastores { domain } => (
                "vsphere_list_datastores",
                serde_json::json!({}),
                domain.as_deref(),
            ),
            VcenterRead::Networks { domain } => (
                "vsphere_list_networks",
                serde_json::json!({}),
                domain.as_deref(),
            ),
        }
    }
}

/// The broker's answer to one request.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlResponse {
    Ok(serde_json::Value),
    Error(ControlError),
}

/// A failed request: the message, and the form field it is about when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[error("{message}")]
pub struct ControlError {
    pub message: String,
    pub field: Option<String>,
}

impl From<CredentialError> for ControlError {
    fn from(e: CredentialError) -> Self {
        Self {
            field: e.field().map(str::to_owned),
            message: e.to_string(),
        }
    }
}

impl ControlError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            field: None,
        }
    }
}
