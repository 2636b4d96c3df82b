//! The broker's end of the control socket.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use latchkey_caller::{Caller, PinnedReader, ProcessPin};
use latchkey_vault::{CredentialEdit, NewCredential, Requester};
use rmcp::model::Implementation;
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use zeroize::Zeroizing;

use super::{ControlError, ControlRequest, ControlResponse, JamfRead};
use crate::Services;
use crate::pipeline::admin::Actor;
use crate::pipeline::approvals::ApprovalError;
use crate::pipeline::{Origin, Refused, Surface};
use crate::services::credentials::{CredentialError, Target};

/// Longest request line accepted; a credential is a few hundred bytes.
const MAX_REQUEST_BYTES: u64 = 64 * 1024;

/// Serves one control connection until the client hangs up or sends nothing for `idle`
/// between requests (a request being handled, waiting on the person, is not idle). An
/// overlong line is skipped with an error answer, never buffered whole.
pub(crate) async fn serve_connection(
    services: Services,
    stream: UnixStream,
    bridge: &Path,
    idle: Duration,
) {
    // Who runs the CLI (looking past `latchkey` itself), for the allow-list and the audit of
    // what it reads; pinned, like an assistant, so its reads check it is still that program.
    let (caller, pin) = match latchkey_caller::identify_pinned(&stream, bridge) {
        Ok((caller, pin)) => (Arc::new(caller), Arc::new(pin)),
        Err(e) => {
            tracing::warn!("refused a control connection: {e}");
            return;
        }
    };
    let (read, write) = stream.into_split();
    let reader = BufReader::new(pin.reader(read));
    serve_requests(&services, &caller, &pin, reader, write, idle).await;
    services.audit.foreign_writer(&caller, &pin).await;
}

/// Answers requests, one per line, until the client hangs up, is quiet for `idle` between
/// requests, or the pin breaks.
async fn serve_requests(
    services: &Services,
    caller: &Arc<Caller>,
    pin: &Arc<ProcessPin>,
    mut reader: BufReader<PinnedReader>,
    mut write: tokio::net::unix::OwnedWriteHalf,
    idle: Duration,
) {
    loop {
        let mut line = Zeroizing::new(Vec::new());
        let mut request = (&mut reader).take(MAX_REQUEST_BYTES + 1);
        let read = request.read_until(b'\n', &mut line);
        let Ok(read) = tokio::time::timeout(idle, read).await else {
            tracing::info!(
                "closed a control connection that sent nothing for {}",
                crate::pipeline::approvals::minutes(idle)
            );
            return;
        };
        match read {
            Ok(0) => return,
            Ok(n) if n as u64 > MAX_REQUEST_BYTES => {
                // Skip the rest of the line without buffering it, then carry on.
                if line.last() != Some(&b'\n') {
                    let skipped = tokio::time::timeout(idle, skip_line(&mut reader)).await;
                    if !matches!(skipped, Ok(Ok(()))) {
                        return;
                    }
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
            Ok(request) => handle(services, caller, pin, request).await,
            // serde's message names the field or position, never the value.
            Err(e) => ControlResponse::Error(ControlError::new(format!("bad request: {e}"))),
        };
        if respond(&mut write, &response).await.is_err() {
            return;
        }
    }
}

/// Consumes input up to and including the next line break.
async fn skip_line(reader: &mut BufReader<PinnedReader>) -> std::io::Result<()> {
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

/// Tells a connection over the control socket's limit so, without reading its request (a
/// flood must cost the broker nothing more), and closes it when dropped.
pub(crate) fn tell_too_many(stream: &UnixStream, limit: usize) {
    let why = ControlResponse::Error(ControlError::new(format!(
        "the Latchkey broker already serves {limit} command-line connections, the most it \
         takes at once; try again when some have finished"
    )));
    if let Ok(mut bytes) = serde_json::to_vec(&why) {
        bytes.push(b'\n');
        // A new socket's send buffer is empty: the line goes out whole or not at all.
        let _ = stream.try_write(&bytes);
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
    caller: &Arc<Caller>,
    pin: &Arc<ProcessPin>,
    request: ControlRequest,
) -> ControlResponse {
    // Still the program identified at connect, or the identity below is someone else's; the
    // connection ends (see `ProcessPin::reader`).
    if let Err(changed) = pin.check() {
        tracing::warn!("refused a request from {}: {changed}", caller.describe());
        services.audit.refused(caller, &changed.to_string()).await;
        return ControlResponse::Error(ControlError::new(
            Refused::CallerChanged(changed).to_string(),
        ));
    }
    let result = match (request, services.assistants.refusal(caller)) {
        // A program the person denied gets nothing here either.
        (_, Some(refusal)) => Err(ControlError::new(refusal.to_string())),
        // Reads from an admin system: the allow-list (asking about a newcomer), the lock and
        // the audit, exactly like an assistant's call.
        (ControlRequest::JamfRead(read), None) => audited_jamf(services, caller, read).await,
        (ControlRequest::VcenterRead(read), None) => services
            .vcenter_read(cli_origin(caller), read)
            .await
            .map_err(ControlError::new),
        (ControlRequest::VcenterPower(request), None) => services
            .vm_power(cli_origin(caller), request)
            .await
            .map(json)
            .map_err(ControlError::new),
        (request, None) => administer(services, Some(caller), request).await,
    };
    match result {
        Ok(value) => ControlResponse::Ok(value),
        Err(e) => ControlResponse::Error(e),
    }
}

/// What the person does from the command line: each change asks for presence and is an admin
/// event on the audit log (see [`crate::pipeline::admin`]).
async fn administer(
    services: &Services,
    caller: Option<&Arc<Caller>>,
    request: ControlRequest,
) -> Result<serde_json::Value, ControlError> {
    let (pipeline, approvals) = (&services.pipeline, &services.approvals);
    let actor = Actor::cli(caller.map(|c| &**c));
    Ok(match request {
        ControlRequest::Overview => json(services.credentials.overview().await),
        ControlRequest::Add {
            label,
            account,
            secret,
            source,
            passphrase,
        } => {
            let new = NewCredential {
                label,
                account,
                secret,
                source,
            };
            let added = with_store_open(services, passphrase, pipeline.add_credential(new, &actor));
            json(added.await?)
        }
        ControlRequest::Import {
            label,
            account,
            source,
            passphrase,
        } => {
            let imported = pipeline.import_credential(label, account, source, &actor);
            json(with_store_open(services, passphrase, imported).await?)
        }
        ControlRequest::Refresh { id } => json(pipeline.refresh_credential(&id, &actor).await?),
        ControlRequest::Edit { id, label, account } => {
            let edit = CredentialEdit { label, account };
            json(pipeline.edit_credential(&id, &edit, &actor).await?)
        }
        ControlRequest::Rotate { id, secret } => {
            json(pipeline.rotate_credential(&id, secret, &actor).await?)
        }
        ControlRequest::MoveSecret { id, to } => json(pipeline.move_secret(&id, to, &actor).await?),
        ControlRequest::Remove { id } => {
            pipeline.remove_credential(&id, &actor).await?;
            serde_json::Value::Null
        }
        ControlRequest::Unlock {
            domain,
            ttl_minutes,
            passphrase,
        } => {
            let ttl = ttl_minutes.map(|m| Duration::from_secs(m.saturating_mul(60)));
            json(
                pipeline
                    .unlock(domain.into(), ttl, passphrase, &actor)
                    .await?,
            )
        }
        ControlRequest::StoreStatus => json(services.credentials.store_status()),
        ControlRequest::UseStore { store, passphrase } => {
            json(pipeline.use_store(store, passphrase, &actor).await?)
        }
        ControlRequest::Lock { domain } => json(pipeline.lock(Target::from(domain), &actor).await?),
        ControlRequest::SetPolicy(settings) => json(pipeline.set_policy(settings, &actor).await?),
        ControlRequest::Settings => json(services.settings.view()),
        ControlRequest::SetSettings(settings) => {
            json(pipeline.set_settings(settings, &actor).await?)
        }
        ControlRequest::Assistants => json(services.assistants.list()),
        ControlRequest::SetAssistant { assistant, verdict } => {
            json(pipeline.set_assistant(&assistant, verdict, &actor).await?)
        }
        ControlRequest::ForgetAssistant { assistant } => {
            json(pipeline.forget_assistant(&assistant, &actor).await?)
        }
        ControlRequest::RefusedFiles => json(services.refused_files()),
        ControlRequest::JamfTest { id } => json(
            services
                .jamf
                .test_connection(&id, Requester::Cli)
                .await
                .map_err(jamf_error)?,
        ),
        ControlRequest::VcenterTest { id } => json(
            services
                .vsphere
                .test_connection(&id, Requester::Cli)
                .await
                .map_err(|e| ControlError::new(e.to_string()))?,
        ),
        ControlRequest::VcenterCertificate { host } => json(
            latchkey_vsphere::probe_certificate(&host)
                .await
                .map_err(|e| ControlError::new(e.to_string()))?,
        ),
        ControlRequest::Approvals => json(approvals.pending()),
        ControlRequest::Approve {
            id,
            remember_minutes,
        } => {
            let remember = remember_minutes.map(|m| Duration::from_secs(m.saturating_mul(60)));
            json(
                approvals
                    .approve(&id, remember, &actor)
                    .await
                    .map_err(approval_error)?,
            )
        }
        ControlRequest::Deny { id } => {
            approvals.deny(&id, &actor).await.map_err(approval_error)?;
            serde_json::Value::Null
        }
        ControlRequest::Grants => json(approvals.grants()),
        ControlRequest::Revoke { grant } => {
            approvals
                .revoke(&grant, &actor)
                .await
                .map_err(approval_error)?;
            serde_json::Value::Null
        }
        ControlRequest::AcknowledgeAuditBreak => json(
            pipeline
                .acknowledge_audit_break(&actor)
                .await
                .map_err(ControlError::new)?,
        ),
        ControlRequest::HttpStatus => json(services.loopback.status().await),
        ControlRequest::HttpEnable { port } => {
            json(pipeline.http_enable(services, port, &actor).await?)
        }
        ControlRequest::HttpDisable => json(pipeline.http_disable(&actor).await?),
        ControlRequest::HttpTokens => json(services.loopback.tokens()),
        ControlRequest::HttpTokenCreate { name } => {
            json(pipeline.create_http_token(&name, &actor).await?)
        }
        ControlRequest::HttpTokenRevoke { name } => {
            json(pipeline.revoke_http_token(&name, &actor).await?)
        }
        ControlRequest::JamfRead(_)
        | ControlRequest::VcenterRead(_)
        | ControlRequest::VcenterPower(_) => {
            unreachable!("reads are handled before")
        }
    })
}

/// Runs `write` with the encrypted store opened by `passphrase` when one is given (a closed
/// store), closing it again afterwards unless a domain is unlocked.
async fn with_store_open<T>(
    services: &Services,
    passphrase: Option<latchkey_vault::SecretString>,
    write: impl Future<Output = Result<T, CredentialError>>,
) -> Result<T, CredentialError> {
    let credentials = &services.credentials;
    let done = async {
        if let Some(passphrase) = passphrase {
            credentials.open_store(&passphrase).await?;
        }
        write.await
    };
    let done = done.await;
    credentials.close_store_if_idle();
    done
}

/// A Jamf read for the CLI, through the pipeline under the MCP tool's name: the program
/// running `latchkey` is on the allow-list like an assistant.
async fn audited_jamf(
    services: &Services,
    caller: &Arc<Caller>,
    read: JamfRead,
) -> Result<serde_json::Value, ControlError> {
    services
        .jamf_read(cli_origin(caller), read, &|_| {})
        .await
        .map_err(ControlError::new)
}

/// The CLI, as the pipeline sees a read it asks for.
fn cli_origin(caller: &Arc<Caller>) -> Origin {
    Origin {
        surface: Surface::Control,
        caller: Some(Arc::clone(caller)),
        client: Some(Implementation::new("latchkey-cli", crate::VERSION)),
        // Checked for every request, in `handle`.
        pin: None,
        token: None,
    }
}

fn approval_error(e: ApprovalError) -> ControlError {
    ControlError::new(e.to_string())
}

fn jamf_error(e: impl Into<crate::JamfServiceError>) -> ControlError {
    ControlError::new(e.into().to_string())
}

fn json(value: impl Serialize) -> serde_json::Value {
    // The views are plain data: serializing them cannot fail.
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}
