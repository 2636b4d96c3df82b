//! What the person does themselves, from the CLI or the app: unlock and lock, add, edit,
//! rotate and remove credentials, change the unlock policy, allow, deny and forget
//! assistants. Each goes through here so that it lands on the audit log, in the same hash
//! chain as the assistants' calls: done (`allowed`), or declined at the presence check
//! (`denied`). Invalid input changes nothing and is not recorded.

use std::path::Path;
use std::time::Duration;

use latchkey_audit::{AdminEvent, Assistant, Decision, Seq};
use latchkey_caller::Caller;
use latchkey_vault::{
    Account, CredentialEdit, CredentialId, Domain, NewCredential, Requester, SecretPlace,
    SecretRef, SecretString,
};
use rmcp::model::Implementation;
use serde_json::json;

use super::Pipeline;
use super::admission::{AssistantRecord, Verdict};
use super::audit::Audit;
use crate::services::credentials::{
    CredentialError, CredentialView, PolicySettings, Target, time_left,
};
use crate::settings::{Settings, SettingsView};
use crate::store_choice::StoreKind;

/// Who did something: how they asked (for the presence check) and who they are (for the
/// audit).
#[derive(Debug, Clone)]
pub struct Actor {
    pub requester: Requester,
    pub who: Assistant,
}

impl Actor {
    /// The person in the app.
    pub fn app() -> Self {
        Self {
            requester: Requester::App,
            who: super::Origin::app().assistant(),
        }
    }

    /// The person (or whoever runs it) at the command line, as the OS names the program
    /// that started `latchkey`.
    pub fn cli(caller: Option<&Caller>) -> Self {
        let cli = Implementation::new("latchkey-cli", crate::VERSION);
        Self {
            requester: Requester::Cli,
            who: super::audit::surface(&cli, caller),
        }
    }

    /// Latchkey itself (a timeout, an expiry).
    pub fn latchkey() -> Self {
        let me = Implementation::new("latchkey", crate::VERSION);
        Self {
            requester: Requester::App,
            who: super::audit::surface(&me, None),
        }
    }
}

/// One admin event, before it is given its actor.
#[derive(Debug, Clone)]
pub struct Event {
    /// e.g. `unlock`, `credential.add`, `approval.approve`.
    pub action: &'static str,
    pub details: serde_json::Value,
    pub domain: Option<String>,
    pub decision: Decision,
}

impl Audit {
    /// Records what `actor` did, durably, before it is acted upon.
    pub async fn admin(&self, actor: &Actor, event: Event) -> Result<Seq, String> {
        let event = AdminEvent {
            actor: actor.who.clone(),
            action: event.action.to_owned(),
            details: event.details,
            domain: event.domain,
            decision: event.decision,
        };
        self.record_admin(event).await
    }
}

impl Pipeline {
    pub async fn add_credential(
        &self,
        new: NewCredential,
        actor: &Actor,
    ) -> Result<CredentialView, CredentialError> {
        let details = json!({
            "label": new.label.trim(),
            "kind": new.account.kind(),
            "secret_from": new.source,
        });
        let added = self.credentials.add(new, actor.requester.clone()).await;
        let domain = added.as_ref().ok().map(|v| v.domain.to_string());
        self.record(actor, "credential.add", details, domain, &added)
            .await;
        added
    }

    /// Adds a credential whose secret is copied once from `reference` (asks for presence).
    pub async fn import_credential(
        &self,
        label: String,
        account: Account,
        reference: SecretRef,
        actor: &Actor,
    ) -> Result<CredentialView, CredentialError> {
        let details = json!({
            "label": label.trim(),
            "kind": account.kind(),
            "copied_from": reference,
        });
        let imported = (self.credentials)
            .import(label, account, reference, actor.requester.clone())
            .await;
        let domain = imported.as_ref().ok().map(|v| v.domain.to_string());
        self.record(actor, "credential.import", details, domain, &imported)
            .await;
        imported
    }

    /// Fetches a referenced secret again into its unlocked domain (asks for presence).
    pub async fn refresh_credential(
        &self,
        id: &CredentialId,
        actor: &Actor,
    ) -> Result<CredentialView, CredentialError> {
        let refreshed = self.credentials.refresh(id, actor.requester.clone()).await;
        let (domain, details) = match &refreshed {
            Ok(view) => (
                Some(view.domain.to_string()),
                json!({ "id": id, "source": view.source }),
            ),
            Err(_) => (None, json!({ "id": id })),
        };
        self.record(actor, "credential.refresh", details, domain, &refreshed)
            .await;
        refreshed
    }

    pub async fn edit_credential(
        &self,
        id: &CredentialId,
        edit: &CredentialEdit,
        actor: &Actor,
    ) -> Result<CredentialView, CredentialError> {
        let edited = self
            .credentials
            .edit(id, edit, actor.requester.clone())
            .await;
        let details = json!({ "id": id, "label": edit.label.trim(), "kind": edit.account.kind() });
        let domain = edited.as_ref().ok().map(|v| v.domain.to_string());
        self.record(actor, "credential.edit", details, domain, &edited)
            .await;
        edited
    }

    pub async fn rotate_credential(
        &self,
        id: &CredentialId,
        secret: SecretString,
        actor: &Actor,
    ) -> Result<CredentialView, CredentialError> {
        let rotated = self
            .credentials
            .rotate(id, secret, actor.requester.clone())
            .await;
        let domain = rotated.as_ref().ok().map(|v| v.domain.to_string());
        self.record(
            actor,
            "credential.rotate",
            json!({ "id": id }),
            domain,
            &rotated,
        )
        .await;
        rotated
    }

    pub async fn move_secret(
        &self,
        id: &CredentialId,
        to: SecretPlace,
        actor: &Actor,
    ) -> Result<CredentialView, CredentialError> {
        let place = match &to {
            SecretPlace::Here(_) => "here".to_owned(),
            SecretPlace::At(reference) => reference.to_string(),
        };
        let moved = (self.credentials)
            .move_secret(id, to, actor.requester.clone())
            .await;
        let domain = moved.as_ref().ok().map(|v| v.domain.to_string());
        self.record(
            actor,
            "credential.move_secret",
            json!({ "id": id, "to": place }),
            domain,
            &moved,
        )
        .await;
        moved
    }

    pub async fn remove_credential(
        &self,
        id: &CredentialId,
        actor: &Actor,
    ) -> Result<(), CredentialError> {
        let removed = self.credentials.remove(id, actor.requester.clone()).await;
        self.record(
            actor,
            "credential.remove",
            json!({ "id": id }),
            None,
            &removed,
        )
        .await;
        removed
    }

    /// Unlocks one domain or all for `ttl` (the policy's default when absent); the encrypted
    /// store's `passphrase` when it is in use. A wrong passphrase is recorded as denied (the
    /// passphrase itself never is).
    pub async fn unlock(
        &self,
        target: Target,
        ttl: Option<Duration>,
        passphrase: Option<SecretString>,
        actor: &Actor,
    ) -> Result<Vec<Domain>, CredentialError> {
        let unlocked = self
            .credentials
            .unlock(target.clone(), ttl, actor.requester.clone(), passphrase)
            .await;
        let ttl = ttl.unwrap_or_else(|| self.credentials.policy().ttl());
        let details = json!({
            "domains": match &unlocked { Ok(d) => json!(d), Err(_) => json!(target_name(&target)) },
            "for": time_left(ttl.as_secs()),
            "presence": self.credentials.presence_info().description,
        });
        let domain = match &target {
            Target::One(domain) => Some(domain.to_string()),
            Target::All => None,
        };
        self.record(actor, "unlock", details, domain, &unlocked)
            .await;
        unlocked
    }

    /// Locks one domain or all; returns how many were unlocked.
    pub async fn lock(&self, target: Target, actor: &Actor) -> Result<usize, CredentialError> {
        let locked = self.credentials.lock(&target);
        let details = json!({ "domains": target_name(&target), "were_unlocked": locked });
        let domain = match &target {
            Target::One(domain) => Some(domain.to_string()),
            Target::All => None,
        };
        self.record(
            actor,
            "lock",
            details,
            domain,
            &Ok::<_, CredentialError>(()),
        )
        .await;
        Ok(locked)
    }

    /// Moves the credentials to the `to` store (asks for presence).
    pub async fn use_store(
        &self,
        to: StoreKind,
        passphrase: SecretString,
        actor: &Actor,
    ) -> Result<usize, CredentialError> {
        let moved = self
            .credentials
            .use_store(to, passphrase, actor.requester.clone())
            .await;
        let details = json!({ "store": to, "moved": moved.as_ref().ok() });
        self.record(actor, "store.use", details, None, &moved).await;
        moved
    }

    /// Sets the unlock policy alone (`latchkey creds policy`), the other settings as they are.
    pub async fn set_policy(
        &self,
        unlock: PolicySettings,
        actor: &Actor,
    ) -> Result<PolicySettings, CredentialError> {
        let settings = Settings {
            unlock,
            ..self.settings.saved()
        };
        self.set_settings(settings, actor).await.map(|_| unlock)
    }

    /// Checks, confirms with the person when a guard is weakened, saves and applies
    /// `settings`; what the broker runs with then. The audit entry holds each setting that
    /// changed, before and after.
    pub async fn set_settings(
        &self,
        settings: Settings,
        actor: &Actor,
    ) -> Result<SettingsView, CredentialError> {
        let before = self.settings.saved();
        let changed = changed_settings(&before, &settings);
        let presence = self.credentials.presence();
        let set = self
            .settings
            .set(settings, &*presence, actor.requester.clone())
            .await;
        self.record(actor, "settings.set", changed, None, &set)
            .await;
        set.map(|_| self.settings.view())
    }

    /// Allows or denies a program by name or path (allowing asks for presence).
    pub async fn set_assistant(
        &self,
        name_or_path: &str,
        verdict: Verdict,
        actor: &Actor,
    ) -> Result<AssistantRecord, CredentialError> {
        let path = self.assistants.resolve(name_or_path);
        let set = self
            .assistants
            .set_verdict(path.clone(), verdict, actor.requester.clone())
            .await
            .map_err(CredentialError::Presence);
        let action = match verdict {
            Verdict::Allowed => "assistant.allow",
            Verdict::Denied => "assistant.deny",
        };
        self.record(actor, action, assistant_details(&path), None, &set)
            .await;
        set
    }

    /// Forgets a program (asks for presence): it is asked about again at its next connection.
    pub async fn forget_assistant(
        &self,
        name_or_path: &str,
        actor: &Actor,
    ) -> Result<bool, CredentialError> {
        let path = self.assistants.resolve(name_or_path);
        let forgot = self
            .assistants
            .forget(&path, actor.requester.clone())
            .await
            .map_err(CredentialError::Presence);
        self.record(
            actor,
            "assistant.forget",
            assistant_details(&path),
            None,
            &forgot,
        )
        .await;
        forgot
    }

    /// Turns MCP over loopback HTTP on, serving `services` (asks for presence).
    pub async fn http_enable(
        &self,
        services: &crate::Services,
        port: Option<u16>,
        actor: &Actor,
    ) -> Result<crate::HttpStatus, CredentialError> {
        let enabled = (self.loopback)
            .enable(services, port, actor.requester.clone())
            .await;
        let details =
            json!({ "port": port, "url": enabled.as_ref().ok().and_then(|s| s.url.clone()) });
        self.record(actor, "http.enable", details, None, &enabled)
            .await;
        enabled
    }

    /// Turns MCP over loopback HTTP off.
    pub async fn http_disable(&self, actor: &Actor) -> Result<crate::HttpStatus, CredentialError> {
        let disabled = self.loopback.disable().await;
        self.record(actor, "http.disable", json!({}), None, &disabled)
            .await;
        disabled
    }

    /// Makes an HTTP token for an assistant (asks for presence); the audit names it, never its
    /// value.
    pub async fn create_http_token(
        &self,
        name: &str,
        actor: &Actor,
    ) -> Result<crate::NewHttpToken, CredentialError> {
        let created = (self.loopback)
            .create_token(name, actor.requester.clone())
            .await;
        let details = json!({ "token": name.trim() });
        self.record(actor, "http.token.create", details, None, &created)
            .await;
        created
    }

    /// Revokes an assistant's HTTP token.
    pub async fn revoke_http_token(
        &self,
        name: &str,
        actor: &Actor,
    ) -> Result<bool, CredentialError> {
        let revoked = self.loopback.revoke_token(name);
        let details = json!({ "token": name.trim() });
        self.record(actor, "http.token.revoke", details, None, &revoked)
            .await;
        revoked
    }

    /// Acknowledges the newest break in the audit chain, after a presence check (the log
    /// records the acknowledgement itself); `false` when there was none.
    pub async fn acknowledge_audit_break(&self, actor: &Actor) -> Result<bool, String> {
        self.audit
            .acknowledge_break(&*self.credentials.presence(), actor)
            .await
    }

    /// Records an admin action that was done or declined. It has already happened (or not),
    /// so a log that cannot take the entry is reported in the broker's log, not to the person
    /// as a failure of the action.
    async fn record<T>(
        &self,
        actor: &Actor,
        action: &'static str,
        details: serde_json::Value,
        domain: Option<String>,
        result: &Result<T, CredentialError>,
    ) {
        let mut details = details;
        let decision = match result {
            Ok(_) => Decision::Allowed,
            Err(CredentialError::Presence(_)) => Decision::Denied,
            Err(e) if e.is_refusal() => {
                // A wrong passphrase: why, in the error's words (never what was typed).
                if let Some(details) = details.as_object_mut() {
                    details.insert("refused".to_owned(), json!(e.to_string()));
                }
                Decision::Denied
            }
            Err(_) => return,
        };
        let event = Event {
            action,
            details,
            domain,
            decision,
        };
        if let Err(e) = self.audit.admin(actor, event).await {
            tracing::error!("could not record {action} on the audit log: {e}");
        }
    }
}

fn target_name(target: &Target) -> String {
    match target {
        Target::One(domain) => domain.to_string(),
        Target::All => "all".to_owned(),
    }
}

fn assistant_details(path: &Path) -> serde_json::Value {
    json!({ "assistant": path.display().to_string() })
}

/// Each setting that differs between `before` and `after`, by key: `{"sofa.feed": {"from":
/// "v2", "to": "v1"}}`.
fn changed_settings(before: &Settings, after: &Settings) -> serde_json::Value {
    let from: std::collections::HashMap<_, _> = before.by_key().into_iter().collect();
    let changed: serde_json::Map<String, serde_json::Value> = (after.by_key().into_iter())
        .filter(|(key, value)| from.get(key) != Some(value))
        .map(|(key, value)| {
            let was = from.get(&key).cloned().unwrap_or_default();
            (key, json!({ "from": was, "to": value }))
        })
        .collect();
    serde_json::Value::Object(changed)
}
