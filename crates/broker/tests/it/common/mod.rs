//! What the broker's tests share: an in-process MCP client and a SOFA service on a real feed.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use latchkey_broker::{
    Assistants, Audit, ConfigSeal, CredentialService, LatchkeyServer, SealedFile, Services,
    SofaService,
};
use latchkey_sofa::fetch::{FeedSource, FeedStore};
use latchkey_vault::{MemoryStore, ScriptedPresence};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;

/// A real published feed in ../shared/fixtures (never copied into the repository).
pub fn fixture_feed() -> PathBuf {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/sofa/v2/macos_data_feed.json"
    ));
    assert!(
        path.exists(),
        "SOFA fixture missing: {} (../shared must sit beside the repository)",
        path.display()
    );
    path
}

pub fn sofa_from(source: FeedSource) -> Arc<SofaService> {
    let cache = tempfile::tempdir().unwrap().keep();
    Arc::new(SofaService::new(FeedStore::new(source, cache).unwrap()))
}

pub fn fixture_sofa() -> Arc<SofaService> {
    sofa_from(FeedSource::File(fixture_feed()))
}

/// Services on the fixture feed, with credentials in memory and the scripted presence check.
pub fn services() -> Services {
    services_with(fixture_sofa())
}

pub fn services_with(sofa: Arc<SofaService>) -> Services {
    Services::new(
        sofa,
        Arc::new(CredentialService::new(
            Arc::new(MemoryStore::new()),
            Arc::new(ScriptedPresence),
        )),
        Arc::new(Assistants::new(Arc::new(TestPresence::approving()), None)),
        temp_audit(),
    )
}

/// `path`, sealed with the key `store` keeps for its directory (made there when missing), as
/// a broker opens its settings files.
pub async fn sealed(store: &MemoryStore, path: &Path) -> SealedFile {
    let seal = ConfigSeal::open(store, path.parent().unwrap()).await;
    SealedFile::new(seal, path.to_owned())
}

/// An audit log in a temporary directory that lives as long as the test process.
pub fn temp_audit() -> Arc<Audit> {
    let dir = tempfile::tempdir().unwrap().keep();
    Arc::new(Audit::open(&dir.join("audit.sqlite"), Default::default()))
}

/// A stand-in for the human at a presence prompt: answers as told (or, with `away`, lets the
/// prompt time out) and remembers what it was asked (the words a person would see).
#[derive(Debug, Default)]
pub struct TestPresence {
    pub approve: std::sync::atomic::AtomicBool,
    pub away: std::sync::atomic::AtomicBool,
    pub asked: std::sync::Mutex<Vec<String>>,
}

impl TestPresence {
    pub fn approving() -> Self {
        let presence = Self::default();
        presence
            .approve
            .store(true, std::sync::atomic::Ordering::SeqCst);
        presence
    }
}

impl latchkey_vault::Presence for TestPresence {
    fn kind(&self) -> latchkey_vault::PresenceKind {
        latchkey_vault::PresenceKind::Scripted
    }

    fn confirm<'a>(
        &'a self,
        request: &'a latchkey_vault::PresenceRequest,
    ) -> latchkey_vault::PresenceFuture<'a> {
        self.asked.lock().unwrap().push(request.reason());
        let approved = self.approve.load(std::sync::atomic::Ordering::SeqCst);
        let away = self.away.load(std::sync::atomic::Ordering::SeqCst);
        Box::pin(async move {
            if away {
                Err(latchkey_vault::PresenceError::TimedOut)
            } else if approved {
                Ok(())
            } else {
                Err(latchkey_vault::PresenceError::Declined)
            }
        })
    }
}

/// An rmcp client talking to `server` over an in-memory pipe.
pub async fn client_for(server: LatchkeyServer) -> RunningService<RoleClient, ()> {
    client_with((), server).await
}

/// An in-process client with its own handler (e.g. one that keeps progress notifications).
pub async fn client_with<H: rmcp::ClientHandler>(
    handler: H,
    server: LatchkeyServer,
) -> RunningService<RoleClient, H> {
    let (client_io, server_io) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        let session = server.serve(server_io).await.expect("server handshake");
        let _ = session.waiting().await;
    });
    handler.serve(client_io).await.expect("client handshake")
}

/// Starts a call in the background, as an assistant waiting for its answer.
pub fn start_call(
    client: &Arc<RunningService<RoleClient, ()>>,
    tool: &'static str,
    arguments: Value,
) -> tokio::task::JoinHandle<CallToolResult> {
    let client = Arc::clone(client);
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object")
    };
    tokio::spawn(async move {
        client
            .call_tool(CallToolRequestParams::new(tool).with_arguments(arguments))
            .await
            .unwrap()
    })
}

pub async fn pending(services: &Services) -> latchkey_broker::ApprovalRequest {
    for _ in 0..1000 {
        if let Some(p) = services.approvals.pending().pop() {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no approval was asked for");
}
