//! One vCenter session per client, reused by every call: created with `POST /api/session`
//! (vCenter 7.0 U2 and later), or `POST /rest/com/vmware/cis/session` (6.5, 6.7) when the
//! first answers 404, which is then remembered for this host. Sessions are created one at a
//! time (callers wait for the one being made), renewed once when a call gets 401, and deleted
//! by [`VsphereClient::logout`].

use std::sync::Arc;
use std::sync::atomic::Ordering;

use latchkey_http::{Repeat, Secret, endpoint};
use reqwest::header::ACCEPT;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use tracing::{debug, info};
use zeroize::Zeroize;

use crate::client::Inner;
use crate::request::{Route, session_header};
use crate::{VsphereClient, VsphereError};

/// The header carrying the session id on every call.
pub(crate) const SESSION_HEADER: &str = "vmware-api-session-id";
const API_SESSION: &str = "api/session";
const REST_SESSION: &str = "rest/com/vmware/cis/session";

/// Which generation of vCenter's REST API this host speaks.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize, schemars::JsonSchema,
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ApiFlavor {
    /// `/api/...` (vCenter 7.0 U2 and later).
    Api,
    /// `/rest/...`, answers wrapped in `{"value": …}` (vCenter 6.5 and 6.7).
    Rest,
}

impl ApiFlavor {
    fn code(self) -> u8 {
        match self {
            ApiFlavor::Api => 1,
            ApiFlavor::Rest => 2,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(ApiFlavor::Api),
            2 => Some(ApiFlavor::Rest),
            _ => None,
        }
    }

    fn session_path(self) -> &'static str {
        match self {
            ApiFlavor::Api => API_SESSION,
            ApiFlavor::Rest => REST_SESSION,
        }
    }
}

/// Who a session belongs to.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(default)]
pub struct SessionInfo {
    /// The account, as vCenter names it (`VSPHERE.LOCAL\\Administrator`).
    #[serde(deserialize_with = "latchkey_http::lenient::string")]
    pub user: Option<String>,
    /// Which API answered.
    #[serde(skip_deserializing)]
    pub api: Option<ApiFlavor>,
}

/// A vCenter credential that works, as *Test connection* shows it.
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "VcenterCheck"))]
pub struct ConnectionCheck {
    /// `host[:port]`.
    pub server: String,
    /// The account, as vCenter names it.
    pub user: Option<String>,
    /// Which API answered.
    pub api: Option<ApiFlavor>,
    /// The certificate's fingerprint when it is pinned; absent when the system's roots
    /// vouch for it.
    pub pinned: Option<crate::Fingerprint>,
    /// How many VMs the account sees.
    pub vms: usize,
    /// How many hosts the account sees.
    pub hosts: usize,
}

/// The session in use, if any, and a counter so a 401 drops only the session it was for.
#[derive(Default)]
pub(crate) struct SessionState {
    current: Option<Session>,
    generation: u64,
}

/// A session id and the API it belongs to. Cheap to clone; the id is zeroized with the last.
#[derive(Clone)]
pub(crate) struct Session {
    id: Arc<Secret>,
    pub(crate) api: ApiFlavor,
    generation: u64,
}

impl Session {
    pub(crate) fn id(&self) -> &str {
        self.id.expose()
    }
}

impl VsphereClient {
    /// The current session, logging in first when there is none.
    pub(crate) async fn session(&self) -> Result<Session, VsphereError> {
        let mut state = self.inner.session.lock().await;
        if let Some(session) = &state.current {
            return Ok(session.clone());
        }
        let (id, api) = self.login().await?;
        state.generation += 1;
        let session = Session {
            id: Arc::new(id),
            api,
            generation: state.generation,
        };
        state.current = Some(session.clone());
        Ok(session)
    }

    /// Forgets `session` after vCenter refused it (unless a newer one replaced it already).
    pub(crate) async fn session_rejected(&self, session: &Session) {
        let mut state = self.inner.session.lock().await;
        if state
            .current
            .as_ref()
            .is_some_and(|s| s.generation == session.generation)
        {
            state.current = None;
        }
    }

    /// Deletes the session on vCenter and forgets it. Called when the domain locks and at
    /// quit. Not retried (deleting is not repeated blindly); the session is forgotten either
    /// way, and vCenter expires it on its own if the delete did not arrive.
    pub async fn logout(&self) -> Result<(), VsphereError> {
        let Some(session) = self.inner.session.lock().await.current.take() else {
            return Ok(());
        };
        let path = session.api.session_path();
        let url = self.url(path)?;
        let endpoint = endpoint(&Method::DELETE, path);
        let header = session_header(&session)?;
        let transport = &self.inner.transport;
        let reply = transport
            .exchange(&endpoint, Repeat::Never, || {
                transport
                    .http()
                    .delete(url.clone())
                    .header(SESSION_HEADER, header.clone())
            })
            .await
            .map_err(|e| self.transport_error(e))?;
        match reply.status.as_u16() {
            // 401: the session had already expired, which is what logging out wants.
            200..=299 | 401 => {
                debug!(%endpoint, "session deleted");
                Ok(())
            }
            status => Err(VsphereError::Http {
                server: self.server().to_owned(),
                endpoint,
                status,
                detail: "the session could not be deleted; vCenter will expire it".into(),
            }),
        }
    }

    /// Logs in (unless a session is open) and asks vCenter who the session belongs to: what
    /// *Test connection* shows. `GET /api/session`, or `POST
    /// /rest/com/vmware/cis/session?~action=get` on a `/rest` vCenter.
    pub async fn whoami(&self) -> Result<SessionInfo, VsphereError> {
        let answer = self
            .call(Repeat::Safe, |api| match api {
                ApiFlavor::Api => Route::get(API_SESSION),
                ApiFlavor::Rest => Route::post(REST_SESSION).with("~action", "get"),
            })
            .await?;
        let mut info: SessionInfo = self.parse(&answer)?;
        info.api = Some(answer.api);
        Ok(info)
    }

    /// What *Test connection* shows: a session (made or reused), who it belongs to, which
    /// API answered, and how many VMs and hosts the account can see.
    pub async fn check_connection(&self) -> Result<ConnectionCheck, VsphereError> {
        let session = self.whoami().await?;
        let hosts = self.list_hosts().await?.len();
        let vms = self
            .list_vms(&crate::VmFilter::default(), 0, 1)
            .await?
            .total;
        Ok(ConnectionCheck {
            server: self.server().to_owned(),
            user: session.user,
            api: session.api,
            pinned: match self.trust() {
                crate::Trust::SystemRoots => None,
                crate::Trust::Pinned(sha256) => Some(sha256),
            },
            vms,
            hosts,
        })
    }

    /// Which API this host speaks, once a session has told.
    pub fn api_flavor(&self) -> Option<ApiFlavor> {
        ApiFlavor::from_code(self.inner.api.load(Ordering::Relaxed))
    }

    async fn login(&self) -> Result<(Secret, ApiFlavor), VsphereError> {
        let known = self.api_flavor();
        for api in [ApiFlavor::Api, ApiFlavor::Rest] {
            if known.is_some_and(|k| k != api) {
                continue;
            }
            let path = api.session_path();
            let url = self.url(path)?;
            let endpoint = endpoint(&Method::POST, path);
            let transport = &self.inner.transport;
            let username = &self.inner.username;
            let password = self.inner.password.expose();
            // A session is a thing on the server: sent again only if it never left.
            let mut reply = transport
                .exchange(&endpoint, Repeat::UntilSent, || {
                    transport
                        .http()
                        .post(url.clone())
                        .header(ACCEPT, "application/json")
                        .basic_auth(username, Some(password))
                })
                .await
                .map_err(|e| self.transport_error(e))?;
            if reply.status == StatusCode::NOT_FOUND && known.is_none() && api == ApiFlavor::Api {
                info!(server = %self.server(), "no /api/session here; using the /rest API");
                continue;
            }
            let id = self.read_session_id(&mut reply, &endpoint, api);
            reply.body.zeroize();
            let id = id?;
            self.inner.api.store(api.code(), Ordering::Relaxed);
            debug!(%endpoint, "session created");
            return Ok((id, api));
        }
        Err(VsphereError::NotFound {
            server: self.server().to_owned(),
            what: format!("a session endpoint (tried /{API_SESSION} and /{REST_SESSION})"),
        })
    }

    /// The session id from a login answer. Parse errors say only that the shape was wrong:
    /// serde's message could quote the id.
    fn read_session_id(
        &self,
        reply: &mut latchkey_http::Reply,
        endpoint: &str,
        api: ApiFlavor,
    ) -> Result<Secret, VsphereError> {
        let server = self.server().to_owned();
        match reply.status.as_u16() {
            200..=299 => {
                #[derive(Deserialize)]
                struct Wrapped {
                    value: String,
                }
                let id = match api {
                    ApiFlavor::Api => serde_json::from_slice::<String>(&reply.body).ok(),
                    ApiFlavor::Rest => serde_json::from_slice::<Wrapped>(&reply.body)
                        .ok()
                        .map(|w| w.value),
                };
                match id {
                    Some(id) if !id.is_empty() => Ok(Secret::new(id)),
                    _ => Err(VsphereError::Parse {
                        server,
                        endpoint: endpoint.to_owned(),
                        detail: "the session answer is not the expected JSON".into(),
                    }),
                }
            }
            status @ (401 | 403) => Err(VsphereError::Auth {
                server,
                endpoint: endpoint.to_owned(),
                status,
                tried: format!(
                    "user {:?}: username or password refused",
                    self.inner.username
                ),
            }),
            status => Err(VsphereError::Http {
                server,
                endpoint: endpoint.to_owned(),
                status,
                detail: "no session was created".into(),
            }),
        }
    }
}

/// The last clone going away with a session still open: delete it in the background, if
/// there is a runtime to do it on (there is in the broker; a dropped runtime has nothing).
impl Drop for Inner {
    fn drop(&mut self) {
        let Some(session) = self.session.get_mut().current.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let Ok(url) = self.transport.url(session.api.session_path()) else {
            return;
        };
        let Ok(header) = session_header(&session) else {
            return;
        };
        let request = self
            .transport
            .http()
            .delete(url)
            .header(SESSION_HEADER, header);
        runtime.spawn(async move {
            let outcome = request.send().await.map(|r| r.status());
            debug!(?outcome, "session deleted as the client went away");
        });
    }
}
