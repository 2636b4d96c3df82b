//! The broker's vCenters: one client (so one vCenter session) per unlocked vCenter domain,
//! built from the domain's credential on first use, its session deleted when the domain locks
//! or the service goes away.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use latchkey_vault::{
    Account, CredentialId, Domain, Kind, Metadata, Requester, SecretString, TlsPolicy,
};
use latchkey_vsphere::{
    ConnectionCheck, Secret, TransportOptions, Trust, VsphereClient, VsphereError,
};

use crate::services::credentials::DomainChoice;
use crate::{CredentialError, CredentialService};

/// Why a vCenter request could not be made or failed. Messages name the domain and what to do;
/// none contains a secret (the client's errors never carry one).
#[derive(Debug, thiserror::Error)]
pub enum VsphereServiceError {
    #[error(transparent)]
    Credentials(#[from] CredentialError),
    #[error(transparent)]
    Vsphere(#[from] VsphereError),
    #[error(
        "no vCenter credential is stored; add one with `latchkey creds add vcenter` or on the Credentials page"
    )]
    NoVcenter,
    #[error("several vCenters are stored ({0}); say which with `domain`")]
    Ambiguous(String),
    #[error("{0} is not a vCenter domain; the vCenter domains are: {1}")]
    NotVcenter(Domain, String),
    #[error("credential {0} is not a vCenter credential")]
    NotVcenterCredential(CredentialId),
    #[error("credential {0} holds an unreadable certificate fingerprint: {1}")]
    BadPin(CredentialId, String),
}

/// One domain's client, and the secret it was built from (a rotation replaces the session's
/// secret, which makes the client stale).
#[derive(Debug)]
struct Cached {
    id: CredentialId,
    secret: Arc<SecretString>,
    client: VsphereClient,
}

#[derive(Debug)]
pub struct VsphereService {
    credentials: Arc<CredentialService>,
    options: TransportOptions,
    clients: Mutex<HashMap<Domain, Cached>>,
}

impl VsphereService {
    /// The service, with vCenter's defaults, logging out of each domain as it locks.
    pub fn start(credentials: Arc<CredentialService>) -> Arc<Self> {
        Self::start_with(credentials, latchkey_vsphere::default_options())
    }

    /// With other transport options (tests shorten the timeouts).
    pub fn start_with(credentials: Arc<CredentialService>, options: TransportOptions) -> Arc<Self> {
        let service = Arc::new(Self {
            credentials,
            options,
            clients: Mutex::new(HashMap::new()),
        });
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(Self::forget_locked(Arc::downgrade(&service)));
        }
        service
    }

    /// The vCenter domain a request means: `domain` as given (with or without the
    /// `vcenter:` prefix), or, when absent, the only vCenter domain unlocked, or the only one
    /// stored.
    pub async fn resolve(&self, domain: Option<&str>) -> Result<Domain, VsphereServiceError> {
        self.credentials
            .resolve_domain(Kind::Vcenter, domain)
            .await
            .map_err(|choice| match choice {
                DomainChoice::NoneStored => VsphereServiceError::NoVcenter,
                DomainChoice::Ambiguous(all) => VsphereServiceError::Ambiguous(all),
                DomainChoice::NotOfKind(domain, all) => {
                    VsphereServiceError::NotVcenter(domain, all)
                }
                DomainChoice::Store(e) => VsphereServiceError::Credentials(e),
            })
    }

    /// Every stored vCenter domain, sorted.
    pub async fn domains(&self) -> Result<Vec<Domain>, VsphereServiceError> {
        Ok(self.credentials.domains_of(Kind::Vcenter).await?)
    }

    /// The client for an unlocked domain, built from its credential on first use. A locked
    /// domain fails with "domain X is locked — unlock it from the Latchkey menu".
    pub async fn client(&self, domain: &Domain) -> Result<VsphereClient, VsphereServiceError> {
        if let Some(client) = self.fresh_client(domain)? {
            return Ok(client);
        }
        let chosen = self.credential_of(domain).await?;
        let secret = self.credentials.secret(domain, &chosen.id)?;
        let client = build_client(&chosen, &secret, self.options.clone())?;
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

    fn lock_clients(&self) -> std::sync::MutexGuard<'_, HashMap<Domain, Cached>> {
        self.clients.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached client while the session still holds the secret it was built from.
    fn fresh_client(&self, domain: &Domain) -> Result<Option<VsphereClient>, VsphereServiceError> {
        let mut clients = self.lock_clients();
        let Some(cached) = clients.get(domain) else {
            return Ok(None);
        };
        match self.credentials.secret(domain, &cached.id) {
            Ok(secret) if Arc::ptr_eq(&secret, &cached.secret) => Ok(Some(cached.client.clone())),
            Ok(_) => {
                // Rotated: the old client's session goes when the client is dropped.
                clients.remove(domain);
                Ok(None)
            }
            Err(locked) => {
                clients.remove(domain);
                Err(locked.into())
            }
        }
    }

    /// Tests a stored vCenter credential: a session and a count of what it sees. A locked
    /// domain's secret is read once after a presence check, without unlocking it, and the
    /// session is deleted afterwards.
    pub async fn test_connection(
        &self,
        id: &CredentialId,
        requester: Requester,
    ) -> Result<ConnectionCheck, VsphereServiceError> {
        let (metadata, secret) = self
            .credentials
            .borrow_secret(id, "test the connection of", requester)
            .await?;
        let client = build_client(&metadata, &secret, self.options.clone())?;
        let check = client.check_connection().await;
        if !self.credentials.is_unlocked(&metadata.domain)
            && let Err(e) = client.logout().await
        {
            tracing::warn!(domain = %metadata.domain, error = %e, "vCenter logout failed; the session will expire");
        }
        Ok(check?)
    }

    async fn credential_of(&self, domain: &Domain) -> Result<Metadata, VsphereServiceError> {
        self.credentials
            .list()
            .await?
            .into_iter()
            .find(|m| &m.domain == domain && m.kind == Kind::Vcenter)
            .ok_or_else(|| CredentialError::UnknownDomain(domain.clone()).into())
    }

    /// Logs out of the domains as they lock, while the service lives.
    async fn forget_locked(service: Weak<Self>) {
        let Some(mut changes) = service.upgrade().map(|s| s.credentials.subscribe()) else {
            return;
        };
        while changes.changed().await.is_ok() {
            let Some(service) = service.upgrade() else {
                return;
            };
            service
                .forget(|domain| !service.credentials.is_unlocked(domain))
                .await;
        }
    }

    /// Drops the clients of the domains `which` picks, deleting their vCenter sessions.
    pub async fn forget(&self, which: impl Fn(&Domain) -> bool) {
        let dropped: Vec<(Domain, Cached)> = {
            let mut clients = self.lock_clients();
            let gone: Vec<Domain> = clients.keys().filter(|d| which(d)).cloned().collect();
            gone.into_iter()
                .filter_map(|d| clients.remove(&d).map(|c| (d, c)))
                .collect()
        };
        for (domain, cached) in dropped {
            tracing::info!(%domain, "logging out of vCenter");
            if let Err(e) = cached.client.logout().await {
                tracing::warn!(%domain, error = %e, "vCenter logout failed; the session will expire");
            }
        }
    }
}

/// A client for a vCenter credential. The password is copied into the client's own
/// zeroizing buffer, dropped with the client.
fn build_client(
    credential: &Metadata,
    secret: &SecretString,
    options: TransportOptions,
) -> Result<VsphereClient, VsphereServiceError> {
    let Account::Vcenter {
        host,
        username,
        tls,
    } = &credential.account
    else {
        return Err(VsphereServiceError::NotVcenterCredential(
            credential.id.clone(),
        ));
    };
    let trust = match tls {
        TlsPolicy::Verify => Trust::SystemRoots,
        TlsPolicy::Pinned { sha256 } => Trust::Pinned(
            sha256
                .parse()
                .map_err(|why| VsphereServiceError::BadPin(credential.id.clone(), why))?,
        ),
    };
    let password = Secret::new(secret.expose().to_owned());
    Ok(VsphereClient::new(
        host, username, password, trust, options,
    )?)
}
