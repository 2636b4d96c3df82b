//! The credentials the broker holds: the OS secret store, the unlock sessions and the
//! presence check, behind the operations the app, the control socket and the tools use.
//!
//! Secrets enter here (add, rotate, unlock) and never leave except to the code that uses them
//! inside the broker: no view, error or log carries one. Unlocking, adding, rotating, removing,
//! moving a credential to another account and changing the policy all need a presence check,
//! whoever asked: the command line can be run by an assistant with a shell, and a click in the
//! app can be automated.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use latchkey_vault::{
    Account, CredentialEdit, CredentialId, Domain, Kind, Metadata, NewCredential, Presence,
    PresenceError, PresenceKind, PresenceRequest, Requester, SecretPlace, SecretRef, SecretStore,
    SecretString, Sessions, UnlockPolicy,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::sealed::RefusedFile;
use crate::services::sources::{Fetched, SecretSources, SourceError};
use crate::store_choice::{StoreChooser, StoreKind, StoreStatus};

/// Rotation is due after this many days.
pub const ROTATION_DAYS: i64 = 30;

/// Time left on an unlock as people read it: `3h 59m`, `12m`, `<1m`.
pub fn time_left(seconds: u64) -> String {
    match (seconds / 3600, (seconds % 3600) / 60) {
        (0, 0) => "<1m".to_owned(),
        (0, m) => format!("{m}m"),
        (h, m) => format!("{h}h {m:02}m"),
    }
}

/// Why a credential operation failed. Messages are for the person who asked; none contains a
/// secret.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// The store or the model refused (validation errors name their field).
    #[error(transparent)]
    Vault(#[from] latchkey_vault::Error),
    /// The human did not confirm.
    #[error(transparent)]
    Presence(#[from] PresenceError),
    /// No credential belongs to this domain.
    #[error("no credential belongs to domain {0}; `latchkey creds list` shows the domains")]
    UnknownDomain(Domain),
    /// Unlock all with nothing stored.
    #[error("there are no credentials to unlock; add one first")]
    Nothing,
    /// The encrypted store opens only with its passphrase (the app asks for it when the error
    /// names the field `passphrase`).
    #[error(
        "credentials are in Latchkey's encrypted store, which opens with its passphrase: \
         unlock on the app's Credentials page or with `latchkey creds unlock` in a terminal"
    )]
    PassphraseNeeded,
    /// `latchkey store …` where there is no choice of store.
    #[error("only Linux offers a choice of store; macOS keeps credentials in the Keychain")]
    NoStoreChoice,
    /// A setting out of its range, or unusable (named by its key, `sofa.feed`).
    #[error("{message}")]
    Setting {
        field: &'static str,
        message: String,
    },
    /// MCP over HTTP could not listen.
    #[error("MCP over HTTP cannot listen on 127.0.0.1 port {port}: {reason}")]
    HttpListener { port: u16, reason: String },
    /// A token for MCP over HTTP could not be made as asked.
    #[error("{0}")]
    HttpToken(String),
    /// The settings file could not be written.
    #[error("cannot save the settings to {path}: {reason}")]
    Settings { path: PathBuf, reason: String },
    /// A secret kept in a secret manager could not be fetched; nothing was unlocked or
    /// stored.
    #[error("cannot fetch the secret from {reference}: {error}")]
    Source {
        reference: Box<SecretRef>,
        #[source]
        error: Box<SourceError>,
    },
    /// `creds refresh` of a credential that keeps its own secret.
    #[error(
        "\"{0}\" keeps its own secret; only a credential added with --secret-from is refreshed"
    )]
    NotReferenced(String),
    /// `creds rotate` of a credential whose secret is in a secret manager.
    #[error(
        "the secret of \"{label}\" is kept at {reference}: rotate it there, then `latchkey creds \
         refresh` fetches it (or `latchkey creds edit --keep-here` keeps a new one here)"
    )]
    Referenced { label: String, reference: SecretRef },
    /// A move of a secret to where it is kept already.
    #[error("the secret of \"{label}\" is {place} already")]
    NoMove { label: String, place: String },
}

impl CredentialError {
    /// A fetch from `reference` that failed with `error`.
    pub fn source(reference: &SecretRef, error: SourceError) -> Self {
        CredentialError::Source {
            reference: Box::new(reference.clone()),
            error: Box::new(error),
        }
    }

    /// The form field the error is about, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            CredentialError::Vault(e) => e.field(),
            CredentialError::PassphraseNeeded => Some("passphrase"),
            CredentialError::Setting { field, .. } => Some(field),
            _ => None,
        }
    }

    /// Whether the person was refused (presence not confirmed, a wrong passphrase), as the
    /// audit log records a denial; other errors change nothing and are not recorded.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            CredentialError::Presence(_)
                | CredentialError::Vault(
                    latchkey_vault::Error::WrongPassphrase
                        | latchkey_vault::Error::PassphraseTries { .. }
                )
        )
    }
}

/// One credential as the app and `latchkey creds list` show it: metadata and lock state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CredentialView {
    pub id: CredentialId,
    pub kind: Kind,
    pub label: String,
    pub domain: Domain,
    pub account: Account,
    pub created: DateTime<Utc>,
    pub last_rotated: DateTime<Utc>,
    pub last_used: Option<DateTime<Utc>>,
    /// Whole days since the secret was last set.
    pub age_days: i64,
    /// Whether the secret is older than [`ROTATION_DAYS`].
    pub rotation_due: bool,
    /// Whether tools may use it now.
    pub unlocked: bool,
    /// Seconds until its domain locks itself, when unlocked.
    pub seconds_left: Option<u64>,
    /// Where its secret is fetched from, when it is kept in a secret manager.
    #[serde(default)]
    pub source: Option<SourceView>,
}

/// Where a credential's secret comes from, and what was last fetched (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SourceView {
    /// e.g. `vault://vault.example.com:8200/secret/jamf#client_secret`.
    pub reference: SecretRef,
    /// The secret's version last fetched, since the broker started (Vault's version
    /// number, or AWS's VersionId).
    pub version: Option<String>,
    /// When it was fetched.
    pub fetched: Option<DateTime<Utc>>,
}

/// One domain's lock state. Never carries a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DomainView {
    /// e.g. `jamf:acme.jamfcloud.com`.
    pub domain: Domain,
    pub kind: Kind,
    /// How many credentials belong to it.
    pub credentials: usize,
    /// Whether tools may use its credentials now.
    pub unlocked: bool,
    /// Seconds until it locks itself, when unlocked.
    pub seconds_left: Option<u64>,
    /// Whether the idle timeout, not the unlock time, is the nearer deadline.
    pub idle_limited: bool,
}

/// How presence is checked on this machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PresenceInfo {
    pub kind: PresenceKind,
    pub description: String,
}

/// Everything the Credentials page and `latchkey creds status` show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CredentialsOverview {
    /// Sorted by domain, then label.
    pub credentials: Vec<CredentialView>,
    /// Sorted by domain.
    pub domains: Vec<DomainView>,
    pub presence: PresenceInfo,
    /// How long an unlock lasts unless a duration is chosen.
    pub default_ttl_seconds: u64,
    /// How long an unused unlock lasts, when limited.
    pub idle_timeout_seconds: Option<u64>,
    /// Set when the secret store cannot be read: the lists are then empty.
    pub store_error: Option<String>,
    /// Which store keeps the credentials, where there is a choice (Linux).
    #[serde(default)]
    pub store: Option<StoreStatus>,
}

/// The unlock policy as people set it, and as the settings file keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct PolicySettings {
    /// How long an unlock lasts unless a duration is chosen (5 to 720).
    pub unlock_minutes: u64,
    /// Lock a domain after this long unused (1 to `unlock_minutes`); none when absent.
    pub idle_minutes: Option<u64>,
}

impl Default for PolicySettings {
    fn default() -> Self {
        UnlockPolicy::default().into()
    }
}

impl PolicySettings {
    pub(crate) fn policy(self) -> Result<UnlockPolicy, latchkey_vault::Error> {
        let minutes = |m: u64| Duration::from_secs(m.saturating_mul(60));
        UnlockPolicy::new(minutes(self.unlock_minutes), self.idle_minutes.map(minutes))
    }
}

/// Writes `value` as JSON to `path` atomically (a temporary file renamed over it), creating
/// the directory (0700) when needed.
pub(crate) fn save_json(path: &Path, value: &impl Serialize) -> Result<(), String> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = path.parent().ok_or("it has no directory")?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| e.to_string())?;
    let json = serde_json::to_vec_pretty(value).map_err(|e| e.to_string())?;
    let temporary = path.with_extension("json.tmp");
    std::fs::write(&temporary, json).map_err(|e| e.to_string())?;
    std::fs::rename(&temporary, path).map_err(|e| e.to_string())
}

/// Which domains an unlock or lock is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    One(Domain),
    All,
}

impl From<Option<Domain>> for Target {
    fn from(domain: Option<Domain>) -> Self {
        domain.map_or(Target::All, Target::One)
    }
}

/// The broker's credentials.
#[derive(Debug)]
pub struct CredentialService {
    store: Arc<dyn SecretStore>,
    presence: Arc<dyn Presence>,
    sessions: Sessions,
    policy: Mutex<UnlockPolicy>,
    /// Writes one at a time: the store's duplicate check reads, then writes.
    writes: tokio::sync::Mutex<()>,
    /// Bumped on every change a display should follow (add, remove, unlock, lock, expiry).
    changes: watch::Sender<u64>,
    /// The store's last listing: every status call and tool would otherwise ask the store
    /// (a D-Bus round trip of a few milliseconds to gnome-keyring).
    listing: Mutex<Listing>,
    /// The choice of store and its passphrase, where there is one (Linux).
    chooser: Option<Arc<dyn StoreChooser>>,
    /// Fetches secrets kept in a secret manager.
    sources: SecretSources,
    /// The version of each referenced secret last fetched, and when (never the value).
    fetched: Mutex<std::collections::HashMap<CredentialId, (String, DateTime<Utc>)>>,
}

/// How long a listing of the store is reused. Latchkey's own writes replace it at once; this
/// bounds how late a change made outside Latchkey (Seahorse, Keychain Access) shows.
const LISTING_FOR: Duration = Duration::from_secs(3);
/// The longest the expiry task sleeps between sweeps (see `expire_sessions`).
const MAX_NAP: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
struct Listing {
    /// Bumped by every write, so a listing read across a write is not kept.
    generation: u64,
    read: Option<(Instant, Arc<Vec<Metadata>>)>,
}

impl CredentialService {
    pub fn new(store: Arc<dyn SecretStore>, presence: Arc<dyn Presence>) -> Self {
        Self {
            store,
            presence,
            sessions: Sessions::new(),
            policy: Mutex::new(UnlockPolicy::default()),
            writes: tokio::sync::Mutex::new(()),
            changes: watch::channel(0).0,
            listing: Mutex::default(),
            chooser: None,
            sources: SecretSources::default(),
            fetched: Mutex::default(),
        }
    }

    /// Lets the person choose the store (`latchkey store use`) and open an encrypted one with
    /// its passphrase.
    pub fn with_chooser(mut self, chooser: Arc<dyn StoreChooser>) -> Self {
        self.chooser = Some(chooser);
        self
    }

    /// The store in use, where there is a choice.
    pub fn store_status(&self) -> Option<StoreStatus> {
        self.chooser.as_ref().map(|c| c.status())
    }

    /// Opens the encrypted store with `passphrase` for the request that brought it (it closes
    /// again when no domain is unlocked, see [`Self::close_store_if_idle`]); nothing to do for
    /// a store without a passphrase.
    pub async fn open_store(&self, passphrase: &SecretString) -> Result<(), CredentialError> {
        if let Some(chooser) = self.passphrase_store() {
            chooser.open(passphrase).await?;
            self.relist();
        }
        Ok(())
    }

    /// Closes the encrypted store (its key dropped) when no domain is unlocked.
    pub fn close_store_if_idle(&self) {
        if let Some(chooser) = self.passphrase_store()
            && self.sessions.unlocked().is_empty()
        {
            chooser.close();
        }
    }

    /// The chooser, when the store in use opens with a passphrase.
    fn passphrase_store(&self) -> Option<&Arc<dyn StoreChooser>> {
        (self.chooser.as_ref()).filter(|c| c.status().store == StoreKind::EncryptedFile)
    }

    /// Moves every credential to the `to` store after a presence check, locking every domain
    /// first; how many moved. `passphrase` makes the encrypted store or opens it.
    pub async fn use_store(
        &self,
        to: StoreKind,
        passphrase: SecretString,
        requester: Requester,
    ) -> Result<usize, CredentialError> {
        let chooser = self
            .chooser
            .as_ref()
            .ok_or(CredentialError::NoStoreChoice)?;
        let action = match to {
            StoreKind::EncryptedFile => "move your credentials into Latchkey's encrypted store",
            StoreKind::SecretService => "move your credentials back into the Secret Service",
        };
        self.confirm(action.to_owned(), requester).await?;
        let _one_writer = self.writes.lock().await;
        self.lock(&Target::All);
        let moved = chooser.switch(to, &passphrase).await;
        self.relist();
        self.changed();
        let moved = moved?;
        tracing::info!(%to, moved, "credentials moved to another store");
        Ok(moved)
    }

    /// The choice of store refused at start, while no store has been chosen anew.
    pub fn refused_store_choice(&self) -> Option<RefusedFile> {
        self.chooser.as_ref().and_then(|c| c.refused())
    }

    /// Puts a checked unlock policy in force (see [`crate::settings`], which keeps it).
    pub(crate) fn apply_policy(&self, policy: UnlockPolicy) {
        *self.policy.lock().unwrap_or_else(|p| p.into_inner()) = policy;
        self.changed();
    }

    /// The unlock policy in force.
    pub fn policy(&self) -> UnlockPolicy {
        *self.policy.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A receiver that sees a new value whenever something a display shows has changed.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn changed(&self) {
        self.changes.send_modify(|generation| *generation += 1);
    }

    /// The presence check, for the other services that ask the person (approvals).
    pub(crate) fn presence(&self) -> Arc<dyn Presence> {
        Arc::clone(&self.presence)
    }

    /// How presence is checked here.
    pub fn presence_info(&self) -> PresenceInfo {
        PresenceInfo {
            kind: self.presence.kind(),
            description: self.presence.description(),
        }
    }

    /// Every credential and domain with its lock state. A store that cannot be read gives
    /// empty lists and the reason, so the page can say what is wrong.
    pub async fn overview(&self) -> CredentialsOverview {
        let (credentials, domains, store_error) = match self.views().await {
            Ok((credentials, domains)) => (credentials, domains, None),
            Err(e) => (Vec::new(), Vec::new(), Some(e.to_string())),
        };
        CredentialsOverview {
            credentials,
            domains,
            presence: self.presence_info(),
            default_ttl_seconds: self.policy().ttl().as_secs(),
            idle_timeout_seconds: self.policy().idle().map(|d| d.as_secs()),
            store_error,
            store: self.store_status(),
        }
    }

    /// Every domain with its lock state (for `credentials_status`).
    pub async fn domains(&self) -> Result<Vec<DomainView>, CredentialError> {
        Ok(self.views().await?.1)
    }

    async fn views(&self) -> Result<(Vec<CredentialView>, Vec<DomainView>), CredentialError> {
        let all = self.listing().await?;
        let now = Utc::now();
        let credentials: Vec<CredentialView> = all.iter().map(|m| self.view(m, now)).collect();
        let mut domains: Vec<DomainView> = Vec::new();
        for metadata in all.iter() {
            match domains.iter_mut().find(|d| d.domain == metadata.domain) {
                Some(domain) => domain.credentials += 1,
                None => {
                    let state = self.sessions.state(&metadata.domain);
                    domains.push(DomainView {
                        domain: metadata.domain.clone(),
                        kind: metadata.kind,
                        credentials: 1,
                        unlocked: state.is_some(),
                        seconds_left: state.map(|s| s.remaining.as_secs()),
                        idle_limited: state.is_some_and(|s| s.idle_limited),
                    });
                }
            }
        }
        domains.sort_by(|a, b| a.domain.cmp(&b.domain));
        Ok((credentials, domains))
    }

    fn view(&self, metadata: &Metadata, now: DateTime<Utc>) -> CredentialView {
        let state = self.sessions.state(&metadata.domain);
        let age_days = (now - metadata.last_rotated).num_days();
        CredentialView {
            id: metadata.id.clone(),
            kind: metadata.kind,
            label: metadata.label.clone(),
            domain: metadata.domain.clone(),
            account: metadata.account.clone(),
            created: metadata.created,
            last_rotated: metadata.last_rotated,
            last_used: metadata.last_used,
            age_days,
            rotation_due: age_days >= ROTATION_DAYS,
            unlocked: state.is_some(),
            seconds_left: state.map(|s| s.remaining.as_secs()),
            source: metadata.source.clone().map(|reference| {
                let fetched = self.fetched_state().get(&metadata.id).cloned();
                SourceView {
                    reference,
                    fetched: fetched.as_ref().map(|(_, at)| *at),
                    version: fetched.map(|(version, _)| version),
                }
            }),
        }
    }

    fn fetched_state(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<CredentialId, (String, DateTime<Utc>)>>
    {
        self.fetched.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores a new credential after validating it (and a presence check).
    pub async fn add(
        &self,
        new: NewCredential,
        requester: Requester,
    ) -> Result<CredentialView, CredentialError> {
        if let Some(problem) = new.problems().into_iter().next() {
            return Err(problem.into());
        }
        if let Some(reference) = &new.source {
            let all = self.listing().await?;
            SecretSources::credential_of(&all, reference)
                .map_err(|error| CredentialError::source(reference, error))?;
        }
        let action = format!(
            "{}{}",
            new.account.add_action(&new.label),
            new.source
                .as_ref()
                .map_or(String::new(), |r| format!(" whose secret is kept at {r}"))
        );
        self.confirm(action, requester).await?;
        self.put(new).await
    }

    /// Stores a new credential whose secret is copied once from `reference` (after a
    /// presence check): fetched with the secret manager's credential, from its unlocked
    /// session or else from the store, without unlocking it.
    pub async fn import(
        &self,
        label: String,
        account: Account,
        reference: SecretRef,
        requester: Requester,
    ) -> Result<CredentialView, CredentialError> {
        // Checked with a stand-in for the secret, which comes from the secret manager.
        let draft = NewCredential {
            label,
            account,
            secret: SecretString::from("-"),
            source: None,
        };
        if let Some(problem) = draft.problems().into_iter().next() {
            return Err(problem.into());
        }
        let all = self.listing().await?;
        let source_error = |error| CredentialError::source(&reference, error);
        let vault = SecretSources::credential_of(&all, &reference).map_err(source_error)?;
        let action = format!(
            "add the {} credential \"{}\" with its secret copied from {reference}",
            draft.account.kind().display_name(),
            draft.label.trim(),
        );
        self.confirm(action, requester).await?;
        let vault_secret = match self.sessions.secret(&vault.domain, &vault.id) {
            Ok(secret) => secret,
            Err(_) => Arc::new(self.store.get(&vault.id).await?),
        };
        let fetched = self
            .sources
            .fetch(&reference, vault, &vault_secret)
            .await
            .map_err(source_error)?;
        let new = NewCredential {
            secret: fetched.value,
            ..draft
        };
        self.put(new).await
    }

    /// Fetches a referenced secret again into its unlocked domain (after a presence check),
    /// with the secret manager's unlocked credential; the view shows the version fetched.
    pub async fn refresh(
        &self,
        id: &CredentialId,
        requester: Requester,
    ) -> Result<CredentialView, CredentialError> {
        let metadata = self.find(id).await?;
        let reference = (metadata.source.clone())
            .ok_or_else(|| CredentialError::NotReferenced(metadata.label.clone()))?;
        if !self.is_unlocked(&metadata.domain) {
            return Err(latchkey_vault::Error::DomainLocked {
                domain: metadata.domain.clone(),
            }
            .into());
        }
        let all = self.listing().await?;
        let source_error = |error| CredentialError::source(&reference, error);
        let vault = SecretSources::credential_of(&all, &reference).map_err(source_error)?;
        let vault_secret = (self.sessions.secret(&vault.domain, &vault.id))
            .map_err(|_| source_error(SourceError::Locked(vault.domain.clone())))?;
        let action = format!(
            "fetch the secret of \"{}\" again from {reference}",
            metadata.label
        );
        self.confirm(action, requester).await?;
        let fetched = self
            .sources
            .fetch(&reference, vault, &vault_secret)
            .await
            .map_err(source_error)?;
        self.keep_fetched(&metadata.domain, id, fetched);
        tracing::info!(%id, domain = %metadata.domain, "referenced secret fetched again");
        self.changed();
        Ok(self.view(&metadata, Utc::now()))
    }

    /// Puts a fetched secret into its domain's session and notes its version.
    fn keep_fetched(&self, domain: &Domain, id: &CredentialId, fetched: Fetched) {
        self.sessions.replace(domain, id, fetched.value);
        self.fetched_state()
            .insert(id.clone(), (fetched.version, Utc::now()));
    }

    /// Writes a new credential (validated, presence checked) to the store.
    async fn put(&self, new: NewCredential) -> Result<CredentialView, CredentialError> {
        let _one_writer = self.writes.lock().await;
        let metadata = self.store.put(new).await;
        self.relist();
        let metadata = metadata?;
        tracing::info!(id = %metadata.id, domain = %metadata.domain, "credential added");
        self.changed();
        Ok(self.view(&metadata, Utc::now()))
    }

    /// Changes a credential's label and account fields; its secret stays. A changed account
    /// locks the domain it was in (the unlocked secret went with the old account) and, from
    /// anywhere, needs a presence check: it decides where the secret is sent.
    pub async fn edit(
        &self,
        id: &CredentialId,
        edit: &CredentialEdit,
        requester: Requester,
    ) -> Result<CredentialView, CredentialError> {
        if let Some(problem) = edit.problems().into_iter().next() {
            return Err(problem.into());
        }
        let current = self.find(id).await?;
        let edited = edit.applied_to(&current)?;
        let moved = edited.account != current.account;
        if moved {
            let action = format!(
                "change \"{}\" to {} as {}{}",
                current.label,
                edited.domain,
                edited.account.principal(),
                edited.account.trust_clause()
            );
            self.confirm(action, requester).await?;
        }
        let _one_writer = self.writes.lock().await;
        let metadata = self.store.edit(id, edit).await;
        self.relist();
        let metadata = metadata?;
        if moved {
            self.lock(&Target::One(current.domain.clone()));
            tracing::info!(%id, from = %current.domain, to = %metadata.domain, "credential account changed");
        }
        self.changed();
        Ok(self.view(&metadata, Utc::now()))
    }

    /// Replaces a credential's secret; an unlocked domain goes on with the new one.
    pub async fn rotate(
        &self,
        id: &CredentialId,
        secret: SecretString,
        requester: Requester,
    ) -> Result<CredentialView, CredentialError> {
        let metadata = self.find(id).await?;
        if let Some(reference) = metadata.source.clone() {
            return Err(CredentialError::Referenced {
                label: metadata.label,
                reference,
            });
        }
        let action = format!("rotate the secret of \"{}\"", metadata.label);
        (self.replace_secret(metadata, SecretPlace::Here(secret), action, requester)).await
    }

    /// Changes where a credential's secret is kept: into a secret manager (the value kept
    /// here is deleted), to another reference, or back here with a new value. Moving to a
    /// reference locks the domain, whose session holds the old value: its next unlock
    /// fetches from the new place.
    pub async fn move_secret(
        &self,
        id: &CredentialId,
        place: SecretPlace,
        requester: Requester,
    ) -> Result<CredentialView, CredentialError> {
        let metadata = self.find(id).await?;
        let label = &metadata.label;
        let no_move = |place: String| CredentialError::NoMove {
            label: label.clone(),
            place,
        };
        let action = match (&metadata.source, &place) {
            (None, SecretPlace::Here(_)) => return Err(no_move("kept here".to_owned())),
            (Some(now), SecretPlace::At(to)) if now == to => {
                return Err(no_move(format!("fetched from {to}")));
            }
            (Some(now), SecretPlace::Here(_)) => {
                format!("keep the secret of \"{label}\" here instead of at {now}")
            }
            (None, SecretPlace::At(to)) => format!(
                "fetch the secret of \"{label}\" from {to} at each unlock and delete the one \
                 kept here"
            ),
            (Some(now), SecretPlace::At(to)) => {
                format!("fetch the secret of \"{label}\" from {to} instead of {now}")
            }
        };
        if let SecretPlace::At(to) = &place {
            let all = self.listing().await?;
            SecretSources::credential_of(&all, to)
                .map_err(|error| CredentialError::source(to, error))?;
        }
        self.replace_secret(metadata, place, action, requester)
            .await
    }

    /// The one path a credential's secret changes by: checked, confirmed by the person
    /// (`action` names the change), written, and the unlocked session updated.
    async fn replace_secret(
        &self,
        metadata: Metadata,
        place: SecretPlace,
        action: String,
        requester: Requester,
    ) -> Result<CredentialView, CredentialError> {
        place.check(&metadata)?;
        self.confirm(action, requester).await?;
        let _one_writer = self.writes.lock().await;
        let kept = match &place {
            SecretPlace::Here(secret) => Some(SecretString::new(secret.expose().to_owned())),
            SecretPlace::At(_) => None,
        };
        let rotated = self.store.rotate(&metadata.id, place).await;
        self.relist();
        let rotated = rotated?;
        let (id, domain) = (&rotated.id, &rotated.domain);
        self.fetched_state().remove(id);
        match kept {
            Some(secret) => self.sessions.replace(domain, id, secret),
            None => {
                self.lock(&Target::One(domain.clone()));
            }
        }
        match &rotated.source {
            Some(reference) => {
                tracing::info!(%id, %domain, %reference, "credential's secret kept in a secret manager")
            }
            None => tracing::info!(%id, %domain, "credential's secret replaced"),
        }
        self.changed();
        Ok(self.view(&rotated, Utc::now()))
    }

    /// Removes a credential and wipes its secret from memory.
    pub async fn remove(
        &self,
        id: &CredentialId,
        requester: Requester,
    ) -> Result<(), CredentialError> {
        let metadata = self.find(id).await?;
        let action = format!("remove the credential \"{}\"", metadata.label);
        self.confirm(action, requester).await?;
        let _one_writer = self.writes.lock().await;
        let deleted = self.store.delete(id).await;
        self.relist();
        deleted?;
        self.sessions.forget(&metadata.domain, id);
        tracing::info!(%id, domain = %metadata.domain, "credential removed");
        self.changed();
        Ok(())
    }

    /// Unlocks one domain or all after one presence check, for `ttl` or the default time.
    /// With the encrypted store, every unlock needs its `passphrase` too.
    pub async fn unlock(
        &self,
        target: Target,
        ttl: Option<Duration>,
        requester: Requester,
        passphrase: Option<SecretString>,
    ) -> Result<Vec<Domain>, CredentialError> {
        if self.passphrase_store().is_some() {
            let passphrase = passphrase.ok_or(CredentialError::PassphraseNeeded)?;
            self.open_store(&passphrase).await?;
        }
        let unlocked = self.unlock_open(target, ttl, requester).await;
        if unlocked.is_err() {
            self.close_store_if_idle();
        }
        unlocked
    }

    async fn unlock_open(
        &self,
        target: Target,
        ttl: Option<Duration>,
        requester: Requester,
    ) -> Result<Vec<Domain>, CredentialError> {
        let policy = match ttl {
            Some(ttl) => self.policy().with_ttl(ttl)?,
            None => self.policy(),
        };
        let all = self.listing().await?;
        let mut chosen: Vec<&Metadata> = match &target {
            Target::One(domain) => all.iter().filter(|m| &m.domain == domain).collect(),
            Target::All => all.iter().collect(),
        };
        let first = match (chosen.first(), &target) {
            (Some(first), _) => *first,
            (None, Target::One(domain)) => {
                return Err(CredentialError::UnknownDomain(domain.clone()));
            }
            (None, Target::All) => return Err(CredentialError::Nothing),
        };
        // The secret managers holding chosen credentials' secrets unlock with them, after the
        // same presence check, unless they are unlocked already.
        let mut managers: Vec<&Metadata> = Vec::new();
        for reference in chosen.iter().filter_map(|m| m.source.as_ref()) {
            let manager = SecretSources::credential_of(&all, reference)
                .map_err(|error| CredentialError::source(reference, error))?;
            let domain = &manager.domain;
            if !self.is_unlocked(domain)
                && !chosen.iter().any(|m| &m.domain == domain)
                && !managers.iter().any(|m| &m.domain == domain)
            {
                managers.push(manager);
            }
        }
        let also = managers
            .iter()
            .map(|m| format!("{} {}", m.kind.display_name(), m.domain.authority()))
            .collect::<Vec<_>>();
        chosen.extend(
            all.iter()
                .filter(|m| managers.iter().any(|k| k.domain == m.domain)),
        );
        chosen.sort_by(|a, b| a.domain.cmp(&b.domain));
        let mut domains: Vec<Domain> = chosen.iter().map(|m| m.domain.clone()).collect();
        domains.dedup();
        let mut action = match &target {
            Target::All if domains.len() > 1 => {
                format!("unlock all credentials ({} domains)", domains.len())
            }
            _ => format!(
                "unlock {} {}",
                first.kind.display_name(),
                first.domain.authority()
            ),
        };
        if matches!(target, Target::One(_)) && !also.is_empty() {
            action.push_str(&format!(
                " and {}, where its secret is kept",
                also.join(", ")
            ));
        }
        self.confirm(action, requester).await?;

        // Read every secret before unlocking anything, so a failure unlocks nothing.
        let mut secrets: Vec<(Domain, CredentialId, SecretString)> = Vec::new();
        for metadata in chosen.iter().filter(|m| m.source.is_none()) {
            let secret = self.store.get(&metadata.id).await?;
            if secret.expose().is_empty() {
                return Err(latchkey_vault::Error::Corrupt {
                    id: metadata.id.to_string(),
                    reason: "it holds no secret and names no secret manager",
                }
                .into());
            }
            secrets.push((metadata.domain.clone(), metadata.id.clone(), secret));
        }
        let fetched = self.fetch_referenced(&all, &chosen, &secrets).await?;
        let mut versions = Vec::new();
        for (metadata, Fetched { value, version }) in fetched {
            versions.push((metadata.id.clone(), version));
            secrets.push((metadata.domain.clone(), metadata.id.clone(), value));
        }
        for domain in &domains {
            let mine = secrets
                .extract_if(.., |(d, _, _)| d == domain)
                .map(|(_, id, secret)| (id, secret))
                .collect();
            self.sessions.unlock(domain.clone(), mine, policy);
        }
        let now = Utc::now();
        self.fetched_state().extend(
            versions
                .into_iter()
                .map(|(id, version)| (id, (version, now))),
        );
        for metadata in &chosen {
            // Worth recording, not worth failing an unlock over.
            if let Err(e) = self.store.record_use(&metadata.id, now).await {
                tracing::warn!(id = %metadata.id, "could not record the last use: {e}");
            }
        }
        self.relist();
        tracing::info!(domains = ?domains.iter().map(Domain::as_str).collect::<Vec<_>>(), ttl_s = policy.ttl().as_secs(), "unlocked");
        self.changed();
        Ok(domains)
    }

    /// The secrets of the `chosen` credentials kept in a secret manager, fetched with its
    /// credential's secret from `secrets` (read for this unlock) or from its unlocked session.
    async fn fetch_referenced<'a>(
        &self,
        all: &[Metadata],
        chosen: &[&'a Metadata],
        secrets: &[(Domain, CredentialId, SecretString)],
    ) -> Result<Vec<(&'a Metadata, Fetched)>, CredentialError> {
        let mut fetched = Vec::new();
        for metadata in chosen {
            let Some(reference) = &metadata.source else {
                continue;
            };
            let source_error = |error| CredentialError::source(reference, error);
            let manager = SecretSources::credential_of(all, reference).map_err(source_error)?;
            let read_now = secrets.iter().find(|(_, id, _)| *id == manager.id);
            let value = match read_now {
                Some((_, _, secret)) => self.sources.fetch(reference, manager, secret).await,
                None => {
                    let secret = (self.sessions.secret(&manager.domain, &manager.id))
                        .map_err(|_| source_error(SourceError::Locked(manager.domain.clone())))?;
                    self.sources.fetch(reference, manager, &secret).await
                }
            };
            fetched.push((*metadata, value.map_err(source_error)?));
        }
        Ok(fetched)
    }

    /// Locks one domain or all, wiping their secrets; how many were unlocked.
    pub fn lock(&self, target: &Target) -> usize {
        let count = match target {
            Target::One(domain) => usize::from(self.sessions.lock(domain)),
            Target::All => self.sessions.lock_all(),
        };
        if count > 0 {
            tracing::info!(?target, count, "locked");
            self.changed();
        }
        self.close_store_if_idle();
        count
    }

    /// The secret of a credential in an unlocked domain, for the tools that use it.
    pub fn secret(
        &self,
        domain: &Domain,
        id: &CredentialId,
    ) -> Result<Arc<SecretString>, CredentialError> {
        Ok(self.sessions.secret(domain, id)?)
    }

    /// Whether `domain`'s credentials are unlocked now.
    pub fn is_unlocked(&self, domain: &Domain) -> bool {
        self.sessions.state(domain).is_some()
    }

    /// Every stored domain of `kind`, sorted.
    pub async fn domains_of(&self, kind: Kind) -> Result<Vec<Domain>, CredentialError> {
        let mut domains: Vec<Domain> = self
            .list()
            .await?
            .into_iter()
            .filter(|m| m.kind == kind)
            .map(|m| m.domain)
            .collect();
        domains.sort();
        domains.dedup();
        Ok(domains)
    }

    /// The domain of `kind` a request means: `given` (with or without the kind's prefix;
    /// a bare authority may hold a colon, host:port) if one of `kind` is stored under it, or,
    /// when absent, the only one unlocked, or the only one stored.
    pub async fn resolve_domain(
        &self,
        kind: Kind,
        given: Option<&str>,
    ) -> Result<Domain, DomainChoice> {
        let known = self.domains_of(kind).await?;
        if let Some(given) = given.map(str::trim).filter(|d| !d.is_empty()) {
            let domain = named_domain(kind, given);
            return match known.contains(&domain) {
                true => Ok(domain),
                false => Err(DomainChoice::NotOfKind(domain, listed(&known))),
            };
        }
        let unlocked: Vec<&Domain> = known.iter().filter(|d| self.is_unlocked(d)).collect();
        match (known.as_slice(), unlocked.as_slice()) {
            ([], _) => Err(DomainChoice::NoneStored),
            (_, [only]) => Ok((*only).clone()),
            ([only], _) => Ok(only.clone()),
            (all, _) => Err(DomainChoice::Ambiguous(listed(all))),
        }
    }

    /// Every credential's metadata; never a secret.
    pub async fn list(&self) -> Result<Vec<Metadata>, CredentialError> {
        Ok(self.listing().await?.to_vec())
    }

    /// A credential's metadata and secret, for a one-off use the person asked for (testing a
    /// connection). From an unlocked domain's session when it is unlocked; otherwise from the
    /// store after a presence check naming `purpose`, without unlocking the domain.
    pub async fn borrow_secret(
        &self,
        id: &CredentialId,
        purpose: &str,
        requester: Requester,
    ) -> Result<(Metadata, Arc<SecretString>), CredentialError> {
        let metadata = self.find(id).await?;
        if let Ok(secret) = self.sessions.secret(&metadata.domain, id) {
            return Ok((metadata, secret));
        }
        // A secret kept in a secret manager is only in memory once its domain is unlocked.
        if metadata.source.is_some() {
            return Err(latchkey_vault::Error::DomainLocked {
                domain: metadata.domain,
            }
            .into());
        }
        self.confirm(format!("{purpose} \"{}\"", metadata.label), requester)
            .await?;
        let secret = self.store.get(id).await?;
        Ok((metadata, Arc::new(secret)))
    }

    /// Locks domains whose time is up, each at its deadline, until the service is dropped.
    pub async fn expire_sessions(self: Arc<Self>) {
        let mut changes = self.subscribe();
        loop {
            let next = self.sessions.next_deadline();
            let wake = async {
                match next {
                    // The deadline is on the uptime clock, which counts sleep; tokio's
                    // does not, so wake at least every 30 s to catch up after a suspend.
                    Some(left) => tokio::time::sleep(left.min(MAX_NAP)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = wake => {
                    let expired = self.sessions.sweep();
                    if !expired.is_empty() {
                        tracing::info!(domains = ?expired.iter().map(Domain::as_str).collect::<Vec<_>>(), "unlock expired");
                        self.close_store_if_idle();
                        self.changed();
                    }
                }
                // An unlock may have brought the next deadline forward.
                changed = changes.changed() => if changed.is_err() { return },
            }
        }
    }

    /// Locks every domain when the machine sleeps or the screen locks, until dropped. Sources
    /// that are missing (no logind in a container) are logged, not fatal.
    pub async fn lock_on_sleep(self: Arc<Self>) {
        let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
        let _watch = match latchkey_vault::watch_lock_events(tx).await {
            Ok(watch) => {
                let active: Vec<&str> = watch.active().collect();
                tracing::info!("credentials lock on: {}", active.join(", "));
                watch
            }
            Err(e) => {
                tracing::warn!("cannot watch for sleep and screen lock: {e}");
                return;
            }
        };
        while let Some(event) = events.recv().await {
            let count = self.lock(&Target::All);
            tracing::info!("{event}: locked {count} domains");
        }
    }

    async fn find(&self, id: &CredentialId) -> Result<Metadata, CredentialError> {
        self.listing()
            .await?
            .iter()
            .find(|m| &m.id == id)
            .cloned()
            .ok_or_else(|| latchkey_vault::Error::NotFound(id.clone()).into())
    }

    /// Every credential's metadata, from a listing at most [`LISTING_FOR`] old.
    async fn listing(&self) -> Result<Arc<Vec<Metadata>>, latchkey_vault::Error> {
        let generation = {
            let listing = self.listing_state();
            if let Some((at, all)) = &listing.read
                && at.elapsed() < LISTING_FOR
            {
                return Ok(Arc::clone(all));
            }
            listing.generation
        };
        let all = Arc::new(self.store.list().await?);
        let mut listing = self.listing_state();
        if listing.generation == generation {
            listing.read = Some((Instant::now(), Arc::clone(&all)));
        }
        Ok(all)
    }

    /// Forgets the listing after a write to the store.
    fn relist(&self) {
        let mut listing = self.listing_state();
        listing.generation += 1;
        listing.read = None;
    }

    fn listing_state(&self) -> std::sync::MutexGuard<'_, Listing> {
        self.listing.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn confirm(&self, action: String, requester: Requester) -> Result<(), CredentialError> {
        let request = PresenceRequest::new(action, requester);
        match self.presence.confirm(&request).await {
            Ok(()) => Ok(()),
            Err(e) => {
                tracing::info!(reason = %request.reason(), "presence check not passed: {e}");
                Err(e.into())
            }
        }
    }
}

/// Why no domain of a kind could be chosen for a request (each service words it).
#[derive(Debug)]
pub enum DomainChoice {
    /// None of the kind is stored.
    NoneStored,
    /// Several are stored and none (or several) unlocked: these, listed.
    Ambiguous(String),
    /// The domain given is not one of the kind; those that are, listed.
    NotOfKind(Domain, String),
    /// The store could not be read.
    Store(CredentialError),
}

impl From<CredentialError> for DomainChoice {
    fn from(error: CredentialError) -> Self {
        Self::Store(error)
    }
}

/// The domain of `kind` a person or an assistant names: as given with the kind's prefix,
/// else with the prefix added (a bare authority may hold a colon, host:port).
pub fn named_domain(kind: Kind, given: &str) -> Domain {
    let prefix = format!("{}:", kind.as_str());
    match given.to_ascii_lowercase().starts_with(&prefix) {
        true => Domain::from(given),
        false => Domain::from(format!("{prefix}{given}").as_str()),
    }
}

/// "a, b" or "none".
fn listed(domains: &[Domain]) -> String {
    if domains.is_empty() {
        return "none".to_owned();
    }
    domains
        .iter()
        .map(Domain::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_like_a_clock() {
        assert_eq!(time_left(4 * 3600), "4h 00m");
        assert_eq!(time_left(3 * 3600 + 59 * 60 + 59), "3h 59m");
        assert_eq!(time_left(12 * 60), "12m");
        assert_eq!(time_left(30), "<1m");
    }
}
