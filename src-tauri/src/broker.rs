//! The broker the app embeds: bound at start-up, served on Tauri's tokio runtime, stopped
//! (sockets removed, lock released) when the app exits. The SOFA feed service lives here too,
//! so the SOFA page works even when another broker holds the socket. Credentials do not:
//! they belong to whichever broker runs, and two brokers must not hold two sets of unlocks.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use latchkey_broker::{Broker, CredentialService, Services, SofaService, StatePaths};
use latchkey_sofa::fetch::FeedSource;
use latchkey_vault::Presence;
use serde::Serialize;
use tauri::async_runtime::JoinHandle;
use tokio::sync::oneshot;

/// What the UI and the tray are told about the embedded broker.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
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
    /// What the running broker serves; credentials, assistants and the audit log belong to it.
    services: Result<Services, String>,
    serving: Mutex<Option<(oneshot::Sender<()>, JoinHandle<()>)>>,
}

impl EmbeddedBroker {
    /// Binds and serves; where the platform has no presence check of its own (Linux),
    /// unlocks are confirmed with `dialog`.
    pub fn start(
        paths: Result<StatePaths, latchkey_broker::Error>,
        sofa_source: FeedSource,
        dialog: Arc<dyn Presence>,
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
            // On the runtime: the services keep its handle (the audit anchor needs it).
            tauri::async_runtime::block_on(async {
                let services = latchkey_broker::platform_services(&paths, sofa, Some(dialog)).await;
                Broker::bind(&paths, services.clone()).map(|broker| (broker, services))
            })
        });
        match bound {
            Ok((broker, services)) => {
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
                    services: Ok(services),
                    serving: Mutex::new(Some((stop, task))),
                }
            }
            Err(e) => {
                tracing::error!("the broker did not start: {e}");
                let reason = e.to_string();
                Self {
                    services: Err(format!(
                        "credentials, assistants and the audit log belong to the broker that is \
                         running: {reason}; quit it (e.g. `latchkey serve`) and reopen Latchkey to \
                         manage them here"
                    )),
                    status: BrokerStatus::Stopped { reason },
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

    /// What this app's broker serves, or why it serves nothing.
    pub fn services(&self) -> Result<&Services, String> {
        self.services.as_ref().map_err(Clone::clone)
    }

    /// The credentials this app's broker holds, or why it holds none.
    pub fn credentials(&self) -> Result<Arc<CredentialService>, String> {
        self.services().map(|s| Arc::clone(&s.credentials))
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
