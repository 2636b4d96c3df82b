//! The control socket: how the user's own tools (`latchkey creds …`) reach the broker.
//!
//! Newline-delimited JSON, one [`ControlRequest`] per line, one [`ControlResponse`] per line,
//! on a 0600 socket next to the MCP one with the same peer-uid check. It is not MCP and
//! assistants are never pointed at it; and since an assistant with a shell could still run
//! the CLI, every request that unlocks or changes a credential from here needs a presence
//! check (see [`crate::CredentialService`]). Request lines carrying secrets are wiped after
//! parsing.

use std::path::Path;
use std::time::Duration;

use latchkey_vault::{
    Account, CredentialEdit, CredentialId, Domain, NewCredential, Requester, SecretString,
};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use zeroize::Zeroizing;

use latchkey_audit::{CallResult, Decision, Intent};
use latchkey_caller::Caller;
use latchkey_jamf::{ComputerRef, ComputerSearch, SerialNumber};
use rmcp::model::Implementation;

use crate::services::credentials::{CredentialError, PolicySettings, Target};
use crate::{JamfServiceError, Services, Verdict};

/// Longest request line accepted; a credential is a few hundred bytes.
const MAX_REQUEST_BYTES: u64 = 64 * 1024;

/// What the CLI asks of the broker.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ControlRequest {
    /// Every credential and domain with its lock state → [`crate::CredentialsOverview`].
    Overview,
    /// Store a new credential → [`crate::CredentialView`].
    Add {
        label: String,
        account: Account,
        #[serde(serialize_with = "SecretString::serialize_exposed")]
        secret: SecretString,
    },
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
    /// Remove → `null`.
    Remove { id: CredentialId },
    /// Unlock one domain or all (`domain` absent) → the domains unlocked.
    Unlock {
        domain: Option<Domain>,
        ttl_minutes: Option<u64>,
    },
    /// Lock one domain or all → how many were unlocked.
    Lock { domain: Option<Domain> },
    /// Set the default unlock time and idle timeout → the [`PolicySettings`] now in force.
    SetPolicy(PolicySettings),
    /// The assistants allowed or denied → [`crate::AssistantRecord`]s.
    Assistants,
    /// Allow or deny an assistant by name or path (allowing asks for presence) → its record.
    SetAssistant { assistant: String, verdict: Verdict },
    /// Forget an assistant by name or path (it is asked about again) → whether it was known.
    ForgetAssistant { assistant: String },
    /// Reads from a Jamf Pro server, on the audit log → see [`JamfRead`].
    JamfRead(JamfRead),
    /// Tests a stored Jamf credential (a presence check when its domain is locked) → a
    /// `ConnectionCheck`.
    JamfTest { id: CredentialId },
}

impl ControlRequest {
    /// What this request does, when the broker may check presence before it answers (polkit
    /// then asks for the password through an agent the CLI starts in its terminal, and
    /// polkit's own prompt cannot say what for); `None` when it never asks.
    pub fn presence_purpose(&self) -> Option<String> {
        Some(match self {
            ControlRequest::Add { label, account, .. } => format!(
                "add the {} credential \"{}\"",
                account.kind().display_name(),
                label.trim()
            ),
            ControlRequest::Edit { id, .. } => format!("change the account of credential {id}"),
            ControlRequest::Rotate { id, .. } => format!("rotate the secret of credential {id}"),
            ControlRequest::Remove { id } => format!("remove credential {id}"),
            ControlRequest::Unlock {
                domain: Some(domain),
                ..
            } => format!("unlock {domain}"),
            ControlRequest::Unlock { domain: None, .. } => "unlock every domain".to_owned(),
            ControlRequest::SetPolicy(_) => "change the unlock policy".to_owned(),
            ControlRequest::JamfTest { id } => format!("test credential {id} while it is locked"),
            ControlRequest::SetAssistant {
                assistant,
                verdict: Verdict::Allowed,
            } => format!("allow {assistant} to use Latchkey"),
            ControlRequest::SetAssistant { .. }
            | ControlRequest::Overview
            | ControlRequest::Lock { .. }
            | ControlRequest::Assistants
            | ControlRequest::ForgetAssistant { .. }
            | ControlRequest::JamfRead(_) => return None,
        })
    }
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
    fn as_tool(&self) -> (&'static str, serde_json::Value, Option<&str>) {
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

/// The broker's answer to one request.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlResponse {
    Ok(serde_json::Value),
    Error(ControlError),
}

/// A failed request: the message, and the form field it is about when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
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
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            field: None,
        }
    }
}

/// Serves one control connection until the client hangs up. An overlong line is skipped
/// with an error answer, never buffered whole.
pub(crate) async fn serve_connection(services: Services, stream: UnixStream, bridge: &Path) {
    // Who runs the CLI (looking past `latchkey` itself), for the audit of what it reads.
    let caller = latchkey_caller::identify(&stream, bridge).ok();
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut line = Zeroizing::new(Vec::new());
        match (&mut reader)
            .take(MAX_REQUEST_BYTES + 1)
            .read_until(b'\n', &mut line)
            .await
        {
            Ok(0) => return,
            Ok(n) if n as u64 > MAX_REQUEST_BYTES => {
                // Skip the rest of the line without buffering it, then carry on.
                if line.last() != Some(&b'\n') && skip_line(&mut reader).await.is_err() {
                    return;
                }
                if respond(&mut write, &too_long()).await.is_err() {
                    return;
                }
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::debug!("control connection: {e}");
                return;
            }
        }
        let response = match serde_json::from_slice::<ControlRequest>(&line) {
            Ok(request) => handle(&services, caller.as_ref(), request).await,
            // serde's message names the field or position, never the value.
            Err(e) => ControlResponse::Error(ControlError::new(format!("bad request: {e}"))),
        };
        if respond(&mut write, &response).await.is_err() {
            return;
        }
    }
}

/// Consumes input up to and including the next line break.
async fn skip_line(reader: &mut BufReader<tokio::net::unix::OwnedReadHalf>) -> std::io::Result<()> {
    loop {
        let buffer = reader.fill_buf().await?;
        if buffer.is_empty() {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        match buffer.iter().position(|&b| b == b'\n') {
            Some(end) => {
                reader.consume(end + 1);
                return Ok(());
            }
            None => {
                let all = buffer.len();
                reader.consume(all);
            }
        }
    }
}

fn too_long() -> ControlResponse {
    ControlResponse::Error(ControlError::new(format!(
        "request longer than {MAX_REQUEST_BYTES} bytes"
    )))
}

async fn respond(
    write: &mut tokio::net::unix::OwnedWriteHalf,
    response: &ControlResponse,
) -> std::io::Result<()> {
    let mut bytes = serde_json::to_vec(response).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    write.write_all(&bytes).await
}

async fn handle(
    services: &Services,
    caller: Option<&Caller>,
    request: ControlRequest,
) -> ControlResponse {
    let (credentials, assistants) = (&services.credentials, &services.assistants);
    let result: Result<serde_json::Value, ControlError> = async {
        let cli = Requester::Cli;
        Ok(match request {
            ControlRequest::Overview => json(credentials.overview().await),
            ControlRequest::Add {
                label,
                account,
                secret,
            } => {
                let new = NewCredential {
                    label,
                    account,
                    secret,
                };
                json(credentials.add(new, cli).await?)
            }
            ControlRequest::Edit { id, label, account } => {
                let edit = CredentialEdit { label, account };
                json(credentials.edit(&id, &edit, cli).await?)
            }
            ControlRequest::Rotate { id, secret } => {
                json(credentials.rotate(&id, secret, cli).await?)
            }
            ControlRequest::Remove { id } => {
                credentials.remove(&id, cli).await?;
                serde_json::Value::Null
            }
            ControlRequest::Unlock {
                domain,
                ttl_minutes,
            } => {
                let ttl = ttl_minutes.map(|m| Duration::from_secs(m.saturating_mul(60)));
                json(credentials.unlock(domain.into(), ttl, cli).await?)
            }
            ControlRequest::Lock { domain } => json(credentials.lock(&Target::from(domain))),
            ControlRequest::SetPolicy(settings) => {
                json(credentials.set_policy(settings, cli).await?)
            }
            ControlRequest::Assistants => json(assistants.list()),
            ControlRequest::SetAssistant { assistant, verdict } => {
                let path = assistants.resolve(&assistant);
                let record = assistants
                    .set_verdict(path, verdict, cli)
                    .await
                    .map_err(|e| ControlError::new(e.to_string()))?;
                json(record)
            }
            ControlRequest::ForgetAssistant { assistant } => {
                json(assistants.forget(&assistants.resolve(&assistant)))
            }
            ControlRequest::JamfTest { id } => json(
                services
                    .jamf
                    .test_connection(&id, cli)
                    .await
                    .map_err(jamf_error)?,
            ),
            ControlRequest::JamfRead(read) => audited_jamf(services, caller, read).await?,
        })
    }
    .await;
    match result {
        Ok(value) => ControlResponse::Ok(value),
        Err(e) => ControlResponse::Error(e),
    }
}

/// A Jamf read for the CLI, on the audit log like an assistant's call (an assistant with a
/// shell could run the CLI): the intent before, the outcome after, under the MCP tool's name.
async fn audited_jamf(
    services: &Services,
    caller: Option<&Caller>,
    read: JamfRead,
) -> Result<serde_json::Value, ControlError> {
    let jamf = &services.jamf;
    let (tool, arguments, domain) = read.as_tool();
    let domain = jamf.resolve(domain).await.map_err(jamf_error)?;
    let cli = Implementation::new("latchkey-cli", crate::VERSION);
    let intent = Intent {
        assistant: crate::pipeline::audit::assistant(Some(&cli), caller),
        tool: tool.to_owned(),
        arguments,
        domain: Some(domain.to_string()),
        decision: if services.credentials.is_unlocked(&domain) {
            Decision::Allowed
        } else {
            Decision::RefusedLocked
        },
    };
    let refused_locked = intent.decision == Decision::RefusedLocked;
    let seq = services.audit.intent(intent, true).await.map_err(|e| {
        ControlError::new(format!(
            "Latchkey could not write its audit log, so the request was not run: {e}"
        ))
    })?;
    if refused_locked {
        return Err(ControlError::new(
            latchkey_vault::Error::DomainLocked { domain }.to_string(),
        ));
    }
    let started = std::time::Instant::now();
    let result = async {
        Ok::<_, JamfServiceError>(match read {
            JamfRead::Computers {
                text,
                page,
                page_size,
                ..
            } => {
                let search = ComputerSearch {
                    text,
                    page,
                    page_size,
                    ..ComputerSearch::default()
                };
                json(
                    jamf.client(&domain)
                        .await?
                        .search_computers(&search)
                        .await?,
                )
            }
            JamfRead::Security { serial, .. } => {
                let target = ComputerRef::Serial(SerialNumber::parse(&serial)?);
                let feed = jamf.feed().await?;
                json(
                    jamf.client(&domain)
                        .await?
                        .computer_security(&target, &feed)
                        .await?,
                )
            }
            JamfRead::Fleet { refresh, .. } => {
                json(jamf.fleet_report(&domain, refresh, &|_| {}).await?)
            }
        })
    }
    .await
    .map_err(jamf_error);
    let outcome = match &result {
        Ok(_) => CallResult::Ok,
        Err(_) => CallResult::Error("tool_error".to_owned()),
    };
    services
        .audit
        .outcome(seq, outcome, started.elapsed())
        .await;
    result
}

fn jamf_error(e: impl Into<JamfServiceError>) -> ControlError {
    ControlError::new(e.into().to_string())
}

fn json(value: impl Serialize) -> serde_json::Value {
    // The views are plain data: serializing them cannot fail.
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// A connection to the running broker's control socket.
#[derive(Debug)]
pub struct ControlClient {
    reader: BufReader<tokio::net::unix::OwnedReadHalf>,
    writer: tokio::net::unix::OwnedWriteHalf,
    broker_pid: Option<u32>,
}

impl ControlClient {
    /// Connects to the broker at `socket`, explaining what to do when none runs.
    pub async fn connect(socket: &Path) -> Result<Self, ControlError> {
        let stream = UnixStream::connect(socket).await.map_err(|e| {
            ControlError::new(format!(
                "no Latchkey broker answers at {} ({e}): start the Latchkey app or `latchkey serve`",
                socket.display()
            ))
        })?;
        let broker_pid = stream
            .peer_cred()
            .ok()
            .and_then(|cred| cred.pid())
            .and_then(|pid| u32::try_from(pid).ok());
        let (read, writer) = stream.into_split();
        Ok(Self {
            reader: BufReader::new(read),
            writer,
            broker_pid,
        })
    }

    /// The broker's pid, as the kernel reports the peer of this connection.
    pub fn broker_pid(&self) -> Option<u32> {
        self.broker_pid
    }

    /// Sends `request` and decodes the answer as `T`.
    pub async fn call<T: serde::de::DeserializeOwned>(
        &mut self,
        request: &ControlRequest,
    ) -> Result<T, ControlError> {
        let lost = |e: std::io::Error| ControlError::new(format!("lost the broker: {e}"));
        let mut bytes = Zeroizing::new(
            serde_json::to_vec(request).map_err(|e| ControlError::new(e.to_string()))?,
        );
        bytes.push(b'\n');
        self.writer.write_all(&bytes).await.map_err(lost)?;
        let mut line = String::new();
        if self.reader.read_line(&mut line).await.map_err(lost)? == 0 {
            return Err(ControlError::new("the broker closed the connection"));
        }
        match serde_json::from_str(&line)
            .map_err(|e| ControlError::new(format!("unexpected answer from the broker: {e}")))?
        {
            ControlResponse::Ok(value) => serde_json::from_value(value)
                .map_err(|e| ControlError::new(format!("unexpected answer from the broker: {e}"))),
            ControlResponse::Error(e) => Err(e),
        }
    }
}
