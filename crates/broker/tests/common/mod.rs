//! What the broker's tests share: an in-process MCP client and a SOFA service on a real feed.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::PathBuf;
use std::sync::Arc;

use latchkey_broker::{LatchkeyServer, SofaService};
use latchkey_sofa::fetch::{FeedSource, FeedStore};
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};

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

/// An rmcp client talking to `server` over an in-memory pipe.
pub async fn client_for(server: LatchkeyServer) -> RunningService<RoleClient, ()> {
    let (client_io, server_io) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        let session = server.serve(server_io).await.expect("server handshake");
        let _ = session.waiting().await;
    });
    ().serve(client_io).await.expect("client handshake")
}
