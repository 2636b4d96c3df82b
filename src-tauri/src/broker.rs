//! The broker the app embeds: bound at start-up, served on Tauri's tokio runtime, stopped
//! (socket removed, lock released) when the app exits. The SOFA feed service lives here too,
//! so the SOFA page works even when another broker holds the socket.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use latchkey_broker::{Broker, SofaService, StatePaths};
use latchkey_sofa::fetch::FeedSource;
use serde::Serialize;
use tauri::async_runtime::JoinHandle;
use tokio::sync::oneshot;

/// What the UI and the tray are told about the embedded broker.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BrokerStatus {
    Running {
        socket: String,
    },
    /// Not serving, and why (another broker already runs, the state dir is unsafe, ...).
    Stopped {
        reason: String,
    },
}

#[derive(Debug)]
pub struct EmbeddedBroker {
    status: BrokerStatus,
    sofa: Result<Arc<SofaService>, String>,
    serving: Mutex<Option<(oneshot::Sender<()>, JoinHandle<()>)>>,
}

impl EmbeddedBroker {
    pub fn start(
        paths: Result<StatePaths, latchkey_broker::Error>,
        sofa_source: FeedSource,
    ) -> Self {
        let sofa = paths
            .as_ref()
            .map_err(ToString::to_string)
            .and_then(|paths| {
                SofaService::open(sofa_source, paths)
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            });
        let bound = paths.and_then(|paths| {
            let sofa = sofa.clone().map_err(latchkey_broker::Error::Sofa)?;
            tauri::async_runtime::block_on(async { Broker::bind(&paths, sofa) })
        });
        match bound {
            Ok(broker) => {
                let status = BrokerStatus::Running {
                    socket: broker.socket_path().display().to_string(),
                };
                let (stop, stopped) = oneshot::channel();
                let task = tauri::async_runtime::spawn(broker.serve(async {
                    let _ = stopped.await;
                }));
                Self {
                    status,
                    sofa,
                    serving: Mutex::new(Some((stop, task))),
                }
            }
            Err(e) => {
                tracing::error!("the broker did not start: {e}");
                let status = BrokerStatus::Stopped {
                    reason: e.to_string(),
                };
                Self {
                    status,
                    sofa,
                    serving: Mutex::new(None),
                }
            }
        }
    }

    pub fn status(&self) -> &BrokerStatus {
        &self.status
    }

    /// The SOFA feed service, or why there is none.
    pub fn sofa(&self) -> Result<Arc<SofaService>, String> {
        self.sofa.clone()
    }

    /// The tray's first line.
    pub fn status_line(&self) -> String {
        match &self.status {
            BrokerStatus::Running { .. } => "Ready · no credentials yet".to_owned(),
            BrokerStatus::Stopped { reason } => format!("Broker stopped: {reason}"),
        }
    }

    /// Stops serving and waits (briefly) for the socket to be removed.
    pub fn stop(&self) {
        let serving = self
            .serving
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some((stop, task)) = serving {
            let _ = stop.send(());
            // The timer must be created inside the runtime, hence the async block.
            tauri::async_runtime::block_on(async move {
                let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
            });
        }
    }
}
