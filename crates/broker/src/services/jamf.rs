//! The broker's Jamf Pro servers: one API client per unlocked Jamf domain, built from the
//! domain's credential on first use and dropped (its token invalidated) when the domain
//! locks, and the fleet security report kept for a few minutes so the app's Fleet tab, the
//! CLI and assistants do not each page through every computer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use latchkey_jamf::{
    Auth, ClientOptions, ConnectionCheck, Currency, FleetProgress, FleetSecurityReport, JamfClient,
    Secret,
};
use latchkey_sofa::UpdateSla;
use latchkey_sofa::fetch::{FEED_FIX, FeedInfo, LoadedFeed};
use latchkey_vault::{Account, CredentialId, Domain, Kind, Metadata, Requester, SecretString};

use crate::notices::Notices;
use crate::services::credentials::{DomainChoice, named_domain};
use crate::{CredentialError, CredentialService, SofaService};

/// How long a fleet report is served before it is rebuilt (a refresh rebuilds it at once).
const REPORT_FRESH: Duration = Duration::from_secs(10 * 60);

/// Why a Jamf request could not be made or failed. Messages name the domain and what to do;
/// none contains a secret (the client's errors never carry one).
#[derive(Debug, thiserror::Error)]
pub enum JamfServiceError {
    #[error(transparent)]
    Credentials(#[from] CredentialError),
    #[error(transparent)]
    Jamf(#[from] latchkey_jamf::JamfError),
    #[error(
        "no Jamf Pro credential is stored; add one with `latchkey creds add jamf` or on the Credentials page"
    )]
    NoJamf,
    #[error("several Jamf Pro servers are stored ({0}); say which with `domain`")]
    Ambiguous(String),
    #[error("{0} is not a Jamf Pro domain; the Jamf Pro domains are: {1}")]
    NotJamf(Domain, String),
    #[error("credential {0} is not a Jamf Pro credential")]
    NotJamfCredential(CredentialId),
    #[error("the SOFA feed is needed for security status and is unavailable: {0}")]
    Sofa(String),
}

/// What the Jamf reports judge macOS versions by: the feed as loaded now, or why there is
/// none (the reports then stand without the macOS standing and say so).
#[derive(Debug)]
pub enum MacosFeed {
    Loaded(LoadedFeed, FeedInfo, UpdateSla),
    Unavailable(String),
}

impl MacosFeed {
    pub fn currency(&self) -> Currency<'_> {
        match self {
            Self::Loaded(loaded, info, sla) => Currency::Feed {
                feed: &loaded.feed,
                info,
                sla,
            },
            Self::Unavailable(why) => Currency::Unavailable(why),
        }
    }
}

/// One domain's client, and the secret it was built from (a rotation replaces the session's
/// secret, which makes the client stale).
#[derive(Debug)]
struct Cached {
    id: CredentialId,
    secret: Arc<SecretString>,
    client: JamfClient,
}

#[derive(Debug)]
pub struct JamfService {
    credentials: Arc<CredentialService>,
    sofa: Arc<SofaService>,
    /// Told when a new fleet report has more Macs overdue than the one before.
    notices: Arc<Notices>,
    options: ClientOptions,
    clients: Mutex<HashMap<Domain, Cached>>,
    reports: Mutex<HashMap<Domain, (Instant, Arc<FleetSecurityReport>)>>,
    /// One report build per domain at a time; later callers get its result.
    building: tokio::sync::Mutex<()>,
}

impl JamfService {
    pub fn new(
        credentials: Arc<CredentialService>,
        sofa: Arc<SofaService>,
        notices: Arc<Notices>,
    ) -> Self {
        Self::with_options(credentials, sofa, notices, ClientOptions::default())
    }

    /// With client options other than Jamf's guidance (tests shorten the timeouts).
    pub fn with_options(
        credentials: Arc<CredentialService>,
        sofa: Arc<SofaService>,
        notices: Arc<Notices>,
        options: ClientOptions,
    ) -> Self {
        Self {
            credentials,
            sofa,
            notices,
            options,
            clients: Mutex::new(HashMap::new()),
            reports: Mutex::new(HashMap::new()),
            building: tokio::sync::Mutex::new(()),
        }
    }

    /// The Jamf domain a request means: `domain` as given (with or without the `jamf:`
    /// prefix), or, when absent, the only Jamf domain that is unlocked, or the only one stored.
    pub async fn resolve(&self, domain: Option<&str>) -> Result<Domain, JamfServiceError> {
        // A domain with a client is known to be Jamf; no need to ask the store.
        if let Some(given) = domain.map(str::trim).filter(|d| !d.is_empty()) {
            let named = named_domain(Kind::Jamf, given);
            if self.cached(&named) {
                return Ok(named);
            }
        }
        self.credentials
            .resolve_domain(Kind::Jamf, domain)
            .await
            .map_err(|choice| match choice {
                DomainChoice::NoneStored => JamfServiceError::NoJamf,
                DomainChoice::Ambiguous(all) => JamfServiceError::Ambiguous(all),
                DomainChoice::NotOfKind(domain, jamf) => JamfServiceError::NotJamf(domain, jamf),
                DomainChoice::Store(e) => JamfServiceError::Credentials(e),
            })
    }

    /// Every stored Jamf domain, sorted.
    pub async fn domains(&self) -> Result<Vec<Domain>, JamfServiceError> {
        Ok(self.credentials.domains_of(Kind::Jamf).await?)
    }

    fn cached(&self, domain: &Domain) -> bool {
        self.lock_clients().contains_key(domain)
    }

    fn lock_clients(&self) -> std::sync::MutexGuard<'_, HashMap<Domain, Cached>> {
        self.clients.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The client for an unlocked domain, built from its credential on first use. A locked
    /// domain fails with "domain X is locked — unlock it from the Latchkey menu".
    pub async fn client(&self, domain: &Domain) -> Result<JamfClient, JamfServiceError> {
        if let Some(client) = self.fresh_client(domain)? {
            return Ok(client);
        }
        let chosen = self.credential_of(domain).await?;
        let secret = self.credentials.secret(domain, &chosen.id)?;
        let client = build_client(&chosen.account, &secret, self.options.clone())
            .ok_or_else(|| JamfServiceError::NotJamfCredential(chosen.id.clone()))??;
        self.lock_clients().insert(
            domain.clone(),
            Cached {
                id: chosen.id,
                secret,
                client: client.clone(),
            },
        );
        Ok(client)
    }

    /// The cached client while the session still holds the secret it was built from.
    fn fresh_client(&self, domain: &Domain) -> Result<Option<JamfClient>, JamfServiceError> {
        let mut clients = self.lock_clients();
        let Some(cached) = clients.get(domain) else {
            return Ok(None);
        };
        match self.credentials.secret(domain, &cached.id) {
            Ok(secret) if Arc::ptr_eq(&secret, &cached.secret) => Ok(Some(cached.client.clone())),
            Ok(_) => {
                clients.remove(domain);
                Ok(None)
            }
            Err(locked) => {
                if let Some(stale) = clients.remove(domain) {
                    tokio::spawn(async move { stale.client.invalidate_token().await });
                }
                Err(locked.into())
            }
        }
    }

    /// The domain's Jamf credential: an API client if there is one (Jamf's recommended way),
    /// else a user account.
    async fn credential_of(&self, domain: &Domain) -> Result<Metadata, JamfServiceError> {
        let mut mine: Vec<Metadata> = self
            .credentials
            .list()
            .await?
            .into_iter()
            .filter(|m| &m.domain == domain && m.kind == Kind::Jamf)
            .collect();
        mine.sort_by_key(|m| !matches!(m.account, Account::JamfClient { .. }));
        mine.into_iter()
            .next()
            .ok_or_else(|| CredentialError::UnknownDomain(domain.clone()).into())
    }

    /// Tests a stored Jamf credential: a token and one small call. A locked domain's secret is
    /// read once after a presence check, without unlocking it.
    pub async fn test_connection(
        &self,
        id: &CredentialId,
        requester: Requester,
    ) -> Result<ConnectionCheck, JamfServiceError> {
        let (metadata, secret) = self
            .credentials
            .borrow_secret(id, "test the connection of", requester)
            .await?;
        let client = build_client(&metadata.account, &secret, self.options.clone())
            .ok_or_else(|| JamfServiceError::NotJamfCredential(id.clone()))??;
        let check = client.check_connection().await;
        if !self.credentials.is_unlocked(&metadata.domain) {
            // Nothing keeps a locked domain's token alive.
            client.invalidate_token().await;
        }
        Ok(check?)
    }

    /// The fleet's security report: the cached one while fresh, else built now (one build per
    /// domain at a time), with `progress` told as pages load.
    pub async fn fleet_report(
        &self,
        domain: &Domain,
        refresh: bool,
        progress: &(dyn Fn(FleetProgress) + Send + Sync),
    ) -> Result<Arc<FleetSecurityReport>, JamfServiceError> {
        let client = self.client(domain).await?;
        let started = Instant::now();
        let _one_build = self.building.lock().await;
        if let Some(report) = self.fresh_report(domain, refresh, started) {
            return Ok(report);
        }
        let macos = self.macos_feed().await;
        let report = Arc::new(
            client
                .fleet_security_report(macos.currency(), progress)
                .await?,
        );
        let before = self
            .reports
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(domain.clone(), (Instant::now(), Arc::clone(&report)))
            .map(|(_, before)| before.overdue);
        self.notices.fleet(&report.server, before, report.overdue);
        Ok(report)
    }

    /// A cached report young enough; with `refresh`, only one built after `asked` (by a
    /// build this caller waited for).
    fn fresh_report(
        &self,
        domain: &Domain,
        refresh: bool,
        asked: Instant,
    ) -> Option<Arc<FleetSecurityReport>> {
        let reports = self.reports.lock().unwrap_or_else(|p| p.into_inner());
        let (built, report) = reports.get(domain)?;
        let usable = if refresh {
            *built >= asked
        } else {
            built.elapsed() < REPORT_FRESH
        };
        usable.then(|| Arc::clone(report))
    }

    /// The SOFA feed the security reports judge macOS by, or why there is none.
    pub async fn macos_feed(&self) -> MacosFeed {
        match self.sofa.feed().await {
            Ok(loaded) => {
                let info = self.sofa.describe(&loaded);
                MacosFeed::Loaded(loaded, info, self.sofa.update_sla())
            }
            Err(e) => MacosFeed::Unavailable(format!("{e}; {FEED_FIX}")),
        }
    }

    /// How long missed updates may wait: the default deadline of a planned update.
    pub fn update_sla(&self) -> UpdateSla {
        self.sofa.update_sla()
    }

    /// The SOFA feed a planned update's version is checked against.
    pub async fn feed(&self) -> Result<Arc<latchkey_sofa::IndexedFeed>, JamfServiceError> {
        Ok(self.sofa.feed().await.map_err(JamfServiceError::Sofa)?.feed)
    }

    /// Drops the clients (invalidating their tokens) and reports of domains as they lock,
    /// until the credentials service is dropped.
    pub async fn forget_locked(self: Arc<Self>) {
        let mut changes = self.credentials.subscribe();
        while changes.changed().await.is_ok() {
            self.forget(|domain| !self.credentials.is_unlocked(domain))
                .await;
        }
    }

    /// Drops the clients and reports of the domains `which` picks, invalidating their tokens
    /// (all of them when the broker stops).
    pub async fn forget(&self, which: impl Fn(&Domain) -> bool) {
        let dropped: Vec<(Domain, Cached)> = {
            let mut clients = self.lock_clients();
            let gone: Vec<Domain> = clients.keys().filter(|d| which(d)).cloned().collect();
            gone.into_iter()
                .filter_map(|d| clients.remove(&d).map(|c| (d, c)))
                .collect()
        };
        self.reports
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|d, _| !which(d));
        for (domain, cached) in dropped {
            tracing::info!(%domain, "invalidating the Jamf token");
            cached.client.invalidate_token().await;
        }
    }
}

/// A client for a Jamf account; `None` for other kinds. The secret is copied into the
/// client's own zeroizing buffer, dropped with the client.
fn build_client(
    account: &Account,
    secret: &SecretString,
    options: ClientOptions,
) -> Option<Result<JamfClient, latchkey_jamf::JamfError>> {
    let copy = || Secret::new(secret.expose().to_owned());
    let (url, auth) = match account {
        Account::JamfClient { url, client_id } => (
            url,
            Auth::Client {
                client_id: client_id.clone(),
                client_secret: copy(),
            },
        ),
        Account::JamfUser { url, username } => (
            url,
            Auth::User {
                username: username.clone(),
                password: copy(),
            },
        ),
        _ => return None,
    };
    Some(JamfClient::new(url, auth, options))
}
