//! `latchkey creds …`: the user's credentials, through the running broker's control socket
//! (never around it). Secrets are read from the terminal without echo, or from stdin when it
//! is not a terminal (`pass show x | latchkey creds add …`); never from arguments.
//!
//! Unlocking, and adding, rotating or removing from here, waits for the broker's presence
//! check (Touch ID, or the app's confirmation): an assistant that runs this command cannot
//! answer it.

use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use latchkey_broker::control::{ControlClient, ControlRequest};
use latchkey_broker::{CredentialView, CredentialsOverview, PolicySettings, StatePaths, time_left};
use latchkey_jamf::ConnectionCheck;
use latchkey_vault::{
    Account, CredentialId, Domain, Kind, SecretPlace, SecretRef, SecretString, TlsPolicy,
    display_safe,
};
use latchkey_vsphere::{CertificateProbe, ConnectionCheck as VcenterCheck};
use zeroize::Zeroizing;

use crate::table::Table;
use crate::{input, names, passphrase, password_agent};

#[derive(Debug, Args)]
pub struct CredsArgs {
    #[command(subcommand)]
    command: CredsCommand,
}

#[derive(Debug, Subcommand)]
enum CredsCommand {
    /// Store a new credential (the secret is prompted for, or read from stdin)
    Add {
        #[command(subcommand)]
        kind: AddKind,
    },
    /// Store a new credential whose secret is copied once from a secret manager, e.g.
    /// `latchkey creds import vault://vault.example.com/secret/jamf#client_secret jamf --url …`
    Import {
        /// Where the secret is: vault://DOMAIN/MOUNT/PATH#FIELD,
        /// aws-sm://DOMAIN/SECRET_ID[#JSON_KEY] or azure-kv://DOMAIN/NAME[/VERSION] (DOMAIN: the
        /// Vault, AWS or Azure credential's domain as `creds list` shows it, without `vault:`,
        /// `aws:` or `azure:`; SECRET_ID a name or an ARN, as is)
        #[arg(value_name = "REF")]
        reference: String,
        #[command(subcommand)]
        kind: AddKind,
    },
    /// Fetch a credential's secret again from the secret manager it is kept in (its domain
    /// must be unlocked; asks for presence)
    Refresh {
        /// A credential: its domain, id (or a unique prefix), label or URL
        #[arg(value_name = "CREDENTIAL")]
        id: String,
    },
    /// Every credential, its domain, lock state and age
    List {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Replace a credential's secret (prompted for, or read from stdin)
    Rotate {
        /// A credential: its domain, id (or a unique prefix), label or URL
        #[arg(value_name = "CREDENTIAL")]
        id: String,
    },
    /// Rename a credential
    Rename {
        /// A credential: its domain, id (or a unique prefix), label or URL
        #[arg(value_name = "CREDENTIAL")]
        id: String,
        label: String,
    },
    /// Change a credential's label or account fields, or where its secret is kept. Changing
    /// the account or the secret's place asks for presence and locks its domain.
    Edit {
        /// A credential: its domain, id (or a unique prefix), label or URL
        #[arg(value_name = "CREDENTIAL")]
        id: String,
        #[command(flatten)]
        changes: AccountChanges,
        /// Keep the secret in a secret manager from now on, fetched at each unlock (the one
        /// kept here is deleted): vault://DOMAIN/MOUNT/PATH#FIELD,
        /// aws-sm://DOMAIN/SECRET_ID[#JSON_KEY] or azure-kv://DOMAIN/NAME[/VERSION]
        #[arg(long, value_name = "REF", conflicts_with = "keep_here")]
        secret_from: Option<String>,
        /// Keep the secret here from now on instead of in a secret manager (prompted for, or
        /// read from stdin)
        #[arg(long)]
        keep_here: bool,
    },
    /// Remove a credential from the secret store
    Rm {
        /// A credential: its domain, id (or a unique prefix), label or URL
        #[arg(value_name = "CREDENTIAL")]
        id: String,
    },
    /// Unlock one domain, or all, for tools to use (asks for Touch ID or a confirmation; with
    /// the encrypted store, its passphrase too: typed, or the first line of stdin)
    Unlock {
        /// e.g. jamf:acme.jamfcloud.com or acme.jamfcloud.com, or a credential's id, label or URL
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        domain: Option<String>,
        /// Unlock every domain
        #[arg(long)]
        all: bool,
        /// How long, e.g. 30m, 2h (5 minutes to 12 hours) [default: 4h, or as set]
        #[arg(long = "for", value_name = "DURATION", value_parser = humantime::parse_duration)]
        duration: Option<Duration>,
    },
    /// Lock one domain, or all, wiping its secrets from memory
    Lock {
        /// A domain, or a credential's id, label or URL
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        domain: Option<String>,
        /// Lock every domain
        #[arg(long)]
        all: bool,
    },
    /// Show or set how long unlocks last and the idle timeout (setting asks for presence)
    Policy {
        /// Default unlock time, e.g. 2h (5 minutes to 12 hours)
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        unlock_for: Option<Duration>,
        /// Lock a domain after this long unused, e.g. 30m
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration, conflicts_with = "no_idle")]
        idle: Option<Duration>,
        /// No idle timeout: domains stay unlocked for the whole unlock time
        #[arg(long)]
        no_idle: bool,
    },
    /// Test a Jamf Pro credential: get a token and make one small call (asks for presence
    /// when its domain is locked)
    Test {
        /// A credential: its domain, id (or a unique prefix), label or URL
        #[arg(value_name = "CREDENTIAL")]
        id: String,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Domains, lock state and time left
    Status {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
}

/// What `creds edit` changes; only the fields of the credential's own type apply.
#[derive(Debug, Args)]
struct AccountChanges {
    #[arg(long)]
    label: Option<String>,
    /// Jamf Pro URL
    #[arg(long)]
    url: Option<String>,
    /// Jamf Pro API client id, or an Azure application (client) id
    #[arg(long)]
    client_id: Option<String>,
    /// Jamf Pro or vCenter user
    #[arg(long)]
    username: Option<String>,
    /// vCenter host
    #[arg(long)]
    host: Option<String>,
    /// Accept only the vCenter certificate with this SHA-256 fingerprint
    #[arg(long, value_name = "SHA256", conflicts_with = "verify")]
    pin: Option<String>,
    /// Verify the vCenter certificate against the system's trust store (drops a pin)
    #[arg(long)]
    verify: bool,
    /// HashiCorp Vault address
    #[arg(long)]
    address: Option<String>,
}

impl AccountChanges {
    /// Whether no flag was given.
    fn is_empty(&self) -> bool {
        let AccountChanges {
            label,
            url,
            client_id,
            username,
            host,
            pin,
            verify,
            address,
        } = self;
        [label, url, client_id, username, host, pin, address]
            .iter()
            .all(|flag| flag.is_none())
            && !verify
    }

    /// `account` with these changes, or the first flag that does not apply to it.
    fn apply(self, mut account: Account) -> anyhow::Result<Account> {
        let kind = account.kind().display_name();
        let tls = match (self.pin, self.verify) {
            (Some(sha256), _) => Some(TlsPolicy::Pinned { sha256 }),
            (None, true) => Some(TlsPolicy::Verify),
            (None, false) => None,
        };
        let new_url = self.url.map(|u| input::url("--url", u)).transpose()?;
        let new_address = (self.address)
            .map(|a| input::url("--address", a))
            .transpose()?;
        let new_host = self.host.map(input::host);
        let mut unused = Vec::new();
        let mut set = |flag: &'static str, value: Option<String>, field: Option<&mut String>| match (
            value, field,
        ) {
            (Some(value), Some(field)) => *field = value,
            (Some(_), None) => unused.push(flag),
            (None, _) => {}
        };
        match &mut account {
            Account::JamfClient { url, client_id } => {
                set("--url", new_url, Some(url));
                set("--client-id", self.client_id, Some(client_id));
                set("--username", self.username, None);
                set("--host", new_host, None);
                set("--address", new_address, None);
            }
            Account::JamfUser { url, username } => {
                set("--url", new_url, Some(url));
                set("--client-id", self.client_id, None);
                set("--username", self.username, Some(username));
                set("--host", new_host, None);
                set("--address", new_address, None);
            }
            Account::Vcenter {
                host,
                username,
                tls: current,
            } => {
                set("--url", new_url, None);
                set("--client-id", self.client_id, None);
                set("--username", self.username, Some(username));
                set("--host", new_host, Some(host));
                set("--address", new_address, None);
                if let Some(tls) = tls.clone() {
                    *current = tls;
                }
            }
            Account::Vault { address, .. } => {
                set("--url", new_url, None);
                set("--client-id", self.client_id, None);
                set("--username", self.username, None);
                set("--host", new_host, None);
                set("--address", new_address, Some(address));
            }
            Account::Aws { .. } => {
                set("--url", new_url, None);
                set("--client-id", self.client_id, None);
                set("--username", self.username, None);
                set("--host", new_host, None);
                set("--address", new_address, None);
            }
            Account::Azure { client_id, .. } => {
                set("--url", new_url, None);
                set("--client-id", self.client_id, Some(client_id));
                set("--username", self.username, None);
                set("--host", new_host, None);
                set("--address", new_address, None);
            }
        }
        if tls.is_some() && !matches!(account, Account::Vcenter { .. }) {
            unused.push("--pin/--verify");
        }
        match unused.first() {
            Some(flag) => bail!("{flag} does not apply to a {kind} credential"),
            None => Ok(account),
        }
    }
}

/// Sends an edit of the credential named `id` (see [`names`]): `label` (or the current one) and `account` worked out
/// from the current account.
async fn edit(
    broker: &mut ControlClient,
    id: &str,
    label: Option<String>,
    account: impl FnOnce(Account) -> anyhow::Result<Account>,
) -> anyhow::Result<CredentialView> {
    let overview: CredentialsOverview = broker.call(&ControlRequest::Overview).await?;
    let current = names::credential(&overview, id)?.clone();
    let edited = account(current.account.clone())?;
    let moves = edited != current.account;
    let request = ControlRequest::Edit {
        id: current.id,
        label: label.unwrap_or(current.label),
        account: edited,
    };
    // Only a changed account asks for presence.
    Ok(if moves {
        password_agent::call(broker, &request).await?
    } else {
        broker.call(&request).await?
    })
}

#[derive(Debug, Subcommand)]
enum AddKind {
    /// Jamf Pro: an API client (--client-id) or, for older servers, a user (--username)
    Jamf {
        /// e.g. https://acme.jamfcloud.com
        #[arg(long)]
        url: String,
        #[arg(
            long,
            required_unless_present = "username",
            conflicts_with = "username"
        )]
        client_id: Option<String>,
        #[arg(long)]
        username: Option<String>,
        #[arg(long)]
        label: String,
        /// Keep the secret in a secret manager instead, fetched at each unlock:
        /// vault://DOMAIN/MOUNT/PATH#FIELD, aws-sm://DOMAIN/SECRET_ID[#JSON_KEY] or
        /// azure-kv://DOMAIN/NAME[/VERSION]
        #[arg(long, value_name = "REF")]
        secret_from: Option<String>,
    },
    /// vCenter: host, user and password; TLS verified, or pinned to a certificate fingerprint
    Vcenter {
        #[arg(long)]
        host: String,
        #[arg(long)]
        username: String,
        /// Accept only the certificate with this SHA-256 fingerprint (self-signed vCenters)
        #[arg(long, value_name = "SHA256")]
        pin: Option<String>,
        #[arg(long)]
        label: String,
        /// Keep the password in a secret manager instead, fetched at each unlock:
        /// vault://DOMAIN/MOUNT/PATH#FIELD, aws-sm://DOMAIN/SECRET_ID[#JSON_KEY] or
        /// azure-kv://DOMAIN/NAME[/VERSION]
        #[arg(long, value_name = "REF")]
        secret_from: Option<String>,
    },
    /// HashiCorp Vault (or OpenBao): address and token, or an AppRole's role id and secret id
    Vault {
        /// e.g. https://vault.example.com:8200
        #[arg(long)]
        address: String,
        /// The namespace to work in (Vault Enterprise, OpenBao)
        #[arg(long, value_name = "NS")]
        namespace: Option<String>,
        /// Log in with this AppRole role id; the secret asked for is then its secret id
        #[arg(long, value_name = "ROLE_ID")]
        approle: Option<String>,
        #[arg(long)]
        label: String,
    },
    /// AWS Secrets Manager: a region and an access key (the secret asked for is the secret
    /// access key), optionally a role to assume; its domain is aws:REGION, or with --endpoint
    /// aws:HOST[:PORT] of the endpoint
    Aws {
        /// e.g. eu-west-1
        #[arg(long)]
        region: String,
        /// e.g. AKIAIOSFODNN7EXAMPLE
        #[arg(long, value_name = "ID")]
        access_key_id: String,
        /// Assume this role with the key before reading (sts:AssumeRole), e.g.
        /// arn:aws:iam::123456789012:role/latchkey
        #[arg(long, value_name = "ARN")]
        role_arn: Option<String>,
        /// An endpoint instead of the region's (a VPC endpoint), e.g.
        /// https://vpce-0abc.secretsmanager.eu-west-1.vpce.amazonaws.com
        #[arg(long, value_name = "URL")]
        endpoint: Option<String>,
        #[arg(long)]
        label: String,
    },
    /// Azure Key Vault: a vault and a service principal (an app registration: tenant id and
    /// client id; the secret asked for is its client secret); its domain is azure:HOST[:PORT]
    /// of the vault URL
    Azure {
        /// e.g. https://contoso.vault.azure.net
        #[arg(long, value_name = "URL")]
        vault_url: String,
        /// The directory (tenant) id, a GUID or a domain such as contoso.onmicrosoft.com
        #[arg(long, value_name = "TENANT")]
        tenant_id: String,
        /// The application (client) id
        #[arg(long, value_name = "ID")]
        client_id: String,
        /// Sign in here instead of Azure's public cloud, e.g. https://login.microsoftonline.us
        #[arg(long, value_name = "URL")]
        authority_host: Option<String>,
        #[arg(long)]
        label: String,
    },
}

pub async fn run(args: CredsArgs) -> anyhow::Result<ExitCode> {
    let socket = StatePaths::from_env()?.control_socket();
    let mut broker = ControlClient::connect(&socket).await?;
    match args.command {
        CredsCommand::Add { kind } => {
            let (label, mut account, source) = kind.into_account()?;
            settle_trust(&mut broker, &mut account).await;
            // With the encrypted store closed its passphrase comes first (stdin's first line).
            let passphrase = passphrase::if_needed(&mut broker, false).await?;
            // A secret kept in a secret manager is not typed here.
            let secret = match source {
                Some(_) => SecretString::from(""),
                None => read_secret(&format!("{}: ", account.secret_field()))?,
            };
            let request = ControlRequest::Add {
                label,
                account,
                secret,
                source,
                passphrase,
            };
            let added: CredentialView = password_agent::call(&mut broker, &request).await?;
            println!(
                "added {} ({}) for {}{}",
                added.id,
                display_safe(&added.label),
                added.domain,
                source_note(&added)
            );
            let overview: CredentialsOverview = broker.call(&ControlRequest::Overview).await?;
            if let Some(warning) = names::shared_domain_warning(&overview, &added) {
                eprintln!("{warning}");
            }
        }
        CredsCommand::Import { reference, kind } => {
            let source = secret_ref(&reference)?;
            let (label, account, also) = kind.into_account()?;
            if also.is_some() {
                bail!("--secret-from does not go with `creds import`, which copies the secret");
            }
            let passphrase = passphrase::if_needed(&mut broker, false).await?;
            let request = ControlRequest::Import {
                label,
                account,
                source,
                passphrase,
            };
            let added: CredentialView = password_agent::call(&mut broker, &request).await?;
            println!(
                "added {} ({}) for {}, its secret copied from {reference}",
                added.id,
                display_safe(&added.label),
                added.domain
            );
        }
        CredsCommand::Refresh { id } => {
            let id = credential_id(&mut broker, &id).await?;
            let request = ControlRequest::Refresh { id };
            let refreshed: CredentialView = password_agent::call(&mut broker, &request).await?;
            println!(
                "refreshed {} ({}){}",
                refreshed.id,
                display_safe(&refreshed.label),
                source_note(&refreshed)
            );
        }
        CredsCommand::List { json } => {
            let overview: CredentialsOverview = broker.call(&ControlRequest::Overview).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&overview.credentials)?);
            } else {
                print_list(&overview)?;
            }
        }
        CredsCommand::Rotate { id } => {
            let id = credential_id(&mut broker, &id).await?;
            let secret = read_secret("new secret: ")?;
            let request = ControlRequest::Rotate { id, secret };
            let rotated: CredentialView = password_agent::call(&mut broker, &request).await?;
            println!("rotated {} ({})", rotated.id, display_safe(&rotated.label));
        }
        CredsCommand::Rename { id, label } => {
            let renamed = edit(&mut broker, &id, Some(label), Ok).await?;
            println!("renamed {} to {}", renamed.id, display_safe(&renamed.label));
        }
        CredsCommand::Edit {
            id,
            mut changes,
            secret_from,
            keep_here,
        } => {
            let to = match (secret_from, keep_here) {
                (Some(reference), _) => Some(SecretPlace::At(secret_ref(&reference)?)),
                (None, true) => Some(SecretPlace::Here(read_secret("secret to keep here: ")?)),
                (None, false) => None,
            };
            let mut id = id;
            if to.is_none() || !changes.is_empty() {
                let label = changes.label.take();
                let edited =
                    edit(&mut broker, &id, label, |account| changes.apply(account)).await?;
                println!(
                    "edited {} ({}) for {}{}",
                    edited.id,
                    display_safe(&edited.label),
                    edited.domain,
                    if edited.unlocked { "" } else { " (locked)" }
                );
                id = edited.id.to_string();
            }
            if let Some(to) = to {
                let id = credential_id(&mut broker, &id).await?;
                let request = ControlRequest::MoveSecret { id, to };
                let moved: CredentialView = password_agent::call(&mut broker, &request).await?;
                match &moved.source {
                    Some(source) => println!(
                        "the secret of {} ({}) is now fetched from {} at each unlock; the one \
                         kept here is deleted and {} is locked",
                        moved.id,
                        display_safe(&moved.label),
                        source.reference,
                        moved.domain
                    ),
                    None => println!(
                        "the secret of {} ({}) is now kept here",
                        moved.id,
                        display_safe(&moved.label)
                    ),
                }
            }
        }
        CredsCommand::Rm { id } => {
            let id = credential_id(&mut broker, &id).await?;
            let request = ControlRequest::Remove { id: id.clone() };
            password_agent::call::<()>(&mut broker, &request).await?;
            println!("removed {id}");
        }
        CredsCommand::Unlock {
            domain, duration, ..
        } => {
            let ttl_minutes = duration.map(|d| d.as_secs().div_ceil(60));
            let domain = match domain {
                Some(name) => Some(domain_named(&mut broker, &name).await?),
                None => None,
            };
            let passphrase = passphrase::if_needed(&mut broker, true).await?;
            let request = ControlRequest::Unlock {
                domain,
                ttl_minutes,
                passphrase,
            };
            let unlocked: Vec<Domain> = password_agent::call(&mut broker, &request).await?;
            for domain in unlocked {
                println!("unlocked {domain}");
            }
        }
        CredsCommand::Lock { domain, .. } => {
            let domain = match domain {
                Some(name) => Some(domain_named(&mut broker, &name).await?),
                None => None,
            };
            let request = ControlRequest::Lock { domain };
            let count: usize = broker.call(&request).await?;
            println!("locked {count} domain{}", if count == 1 { "" } else { "s" });
        }
        CredsCommand::Policy {
            unlock_for,
            idle,
            no_idle,
        } => {
            let overview: CredentialsOverview = broker.call(&ControlRequest::Overview).await?;
            let minutes = |d: Duration| d.as_secs().div_ceil(60);
            let mut policy = PolicySettings {
                unlock_minutes: overview.default_ttl_seconds / 60,
                idle_minutes: overview.idle_timeout_seconds.map(|s| s / 60),
            };
            if unlock_for.is_some() || idle.is_some() || no_idle {
                policy.unlock_minutes = unlock_for.map_or(policy.unlock_minutes, minutes);
                if no_idle {
                    policy.idle_minutes = None;
                } else if let Some(idle) = idle {
                    policy.idle_minutes = Some(minutes(idle));
                }
                policy =
                    password_agent::call(&mut broker, &ControlRequest::SetPolicy(policy)).await?;
            }
            let idle = policy
                .idle_minutes
                .map_or("no idle timeout".to_owned(), |m| {
                    format!("locked after {} unused", time_left(m * 60))
                });
            println!(
                "unlocks last {}; {idle}",
                time_left(policy.unlock_minutes * 60)
            );
        }
        CredsCommand::Test { id, json } => {
            let overview: CredentialsOverview = broker.call(&ControlRequest::Overview).await?;
            let credential = names::credential(&overview, &id)?;
            let id = credential.id.clone();
            if credential.account.kind() == Kind::Vcenter {
                let request = ControlRequest::VcenterTest { id };
                let check: VcenterCheck = password_agent::call(&mut broker, &request).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&check)?);
                } else {
                    println!("{}", crate::vcenter::connection_line(&check));
                }
            } else {
                let request = ControlRequest::JamfTest { id };
                let check: ConnectionCheck = password_agent::call(&mut broker, &request).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&check)?);
                } else {
                    println!("{}", crate::jamf::connection_line(&check));
                    println!("{}", crate::jamf::privileges_line(&check));
                }
            }
        }
        CredsCommand::Status { json } => {
            let overview: CredentialsOverview = broker.call(&ControlRequest::Overview).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&overview)?);
            } else {
                print_status(&overview)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A vCenter added without `--pin`: the broker looks at the certificate it presents. One the
/// system's roots vouch for is verified as usual; any other is shown by its fingerprint and
/// pinned, and the presence check names that fingerprint, so the person confirms exactly this
/// certificate. A vCenter out of reach is added to be verified, with a warning.
async fn settle_trust(broker: &mut ControlClient, account: &mut Account) {
    let Account::Vcenter {
        host,
        tls: tls @ TlsPolicy::Verify,
        ..
    } = account
    else {
        return;
    };
    let request = ControlRequest::VcenterCertificate { host: host.clone() };
    match broker.call::<CertificateProbe>(&request).await {
        Ok(probe) if probe.trusted => {
            eprintln!(
                "{host}'s certificate is trusted by the system; it is verified at every connection"
            );
        }
        Ok(probe) => {
            eprintln!(
                "{host} presents a certificate the system does not trust (a self-signed vCenter?)\n\
                 SHA-256 fingerprint: {}\n\
                 Compare it with the one the vCenter's console shows: confirming the addition pins this certificate",
                probe.sha256
            );
            *tls = TlsPolicy::Pinned {
                sha256: probe.sha256.to_string(),
            };
        }
        Err(e) => eprintln!(
            "could not see {host}'s certificate ({e:#}); it is added to be verified by the system's roots \
             (a self-signed one: pin it later with `latchkey creds edit CRED --pin SHA256`)"
        ),
    }
}

/// The id of the credential `name` means (see [`names`]).
async fn credential_id(broker: &mut ControlClient, name: &str) -> anyhow::Result<CredentialId> {
    let overview: CredentialsOverview = broker.call(&ControlRequest::Overview).await?;
    Ok(names::credential(&overview, name)?.id.clone())
}

/// The broker's control socket, and the domain `name` (`--domain`) means when one is given.
pub async fn connect_for(name: Option<&str>) -> anyhow::Result<(ControlClient, Option<String>)> {
    let socket = StatePaths::from_env()?.control_socket();
    let mut broker = ControlClient::connect(&socket).await?;
    let domain = match name {
        Some(name) => Some(domain_named(&mut broker, name).await?.to_string()),
        None => None,
    };
    Ok((broker, domain))
}

/// The domain `name` means (see [`names`]).
pub async fn domain_named(broker: &mut ControlClient, name: &str) -> anyhow::Result<Domain> {
    let overview: CredentialsOverview = broker.call(&ControlRequest::Overview).await?;
    // A closed encrypted store not yet opened by this broker lists nothing: a full domain
    // name is taken as given (the broker checks it once the store is open).
    if overview.store_error.is_some() && overview.credentials.is_empty() && name.contains(':') {
        return Ok(Domain::from(name.trim()));
    }
    names::domain(&overview, name)
}

impl AddKind {
    /// The label, account and where the secret is kept when not here, with a URL's missing
    /// scheme refused and a host's URL trimmed (see [`input`]).
    fn into_account(self) -> anyhow::Result<(String, Account, Option<SecretRef>)> {
        Ok(match self {
            AddKind::Jamf {
                url,
                client_id,
                username,
                label,
                secret_from,
            } => {
                let url = input::url("--url", url)?;
                let account = match client_id {
                    Some(client_id) => Account::JamfClient { url, client_id },
                    None => Account::JamfUser {
                        url,
                        username: username.unwrap_or_default(),
                    },
                };
                (
                    label,
                    account,
                    secret_from.as_deref().map(secret_ref).transpose()?,
                )
            }
            AddKind::Vcenter {
                host,
                username,
                pin,
                label,
                secret_from,
            } => {
                let tls = pin.map_or(TlsPolicy::Verify, |sha256| TlsPolicy::Pinned { sha256 });
                let account = Account::Vcenter {
                    host: input::host(host),
                    username,
                    tls,
                };
                (
                    label,
                    account,
                    secret_from.as_deref().map(secret_ref).transpose()?,
                )
            }
            AddKind::Vault {
                address,
                namespace,
                approle,
                label,
            } => (
                label,
                Account::Vault {
                    address: input::url("--address", address)?,
                    namespace,
                    role_id: approle,
                },
                None,
            ),
            AddKind::Aws {
                region,
                access_key_id,
                role_arn,
                endpoint,
                label,
            } => (
                label,
                Account::Aws {
                    region,
                    access_key_id,
                    role_arn,
                    endpoint: endpoint.map(|e| input::url("--endpoint", e)).transpose()?,
                },
                None,
            ),
            AddKind::Azure {
                vault_url,
                tenant_id,
                client_id,
                authority_host,
                label,
            } => (
                label,
                Account::Azure {
                    vault_url: input::url("--vault-url", vault_url)?,
                    tenant_id,
                    client_id,
                    authority_host: (authority_host)
                        .map(|a| input::url("--authority-host", a))
                        .transpose()?,
                },
                None,
            ),
        })
    }
}

/// A secret reference as typed (`--secret-from`, `creds import`); the error says what is
/// wrong with it without repeating it.
fn secret_ref(value: &str) -> anyhow::Result<SecretRef> {
    value
        .parse()
        .map_err(|e: latchkey_vault::Error| anyhow::anyhow!("{e}"))
}

/// ` (secret from vault://…, version 3)`, or nothing for a credential keeping its own.
fn source_note(view: &CredentialView) -> String {
    match &view.source {
        Some(source) => match &source.version {
            Some(version) => format!(" (secret from {}, version {version})", source.reference),
            None => format!(
                " (secret from {}, fetched at the next unlock)",
                source.reference
            ),
        },
        None => String::new(),
    }
}

/// A secret from the terminal (no echo) or, when stdin is not one, all of stdin minus the
/// final line break.
fn read_secret(prompt: &str) -> anyhow::Result<SecretString> {
    let stdin = std::io::stdin();
    let value = if stdin.is_terminal() {
        Zeroizing::new(rpassword::prompt_password(prompt).context("reading the secret")?)
    } else {
        let mut all = Zeroizing::new(String::new());
        stdin
            .lock()
            .read_to_string(&mut all)
            .context("reading the secret from stdin")?;
        let trimmed = all.trim_end_matches(['\r', '\n']).len();
        all.truncate(trimmed);
        all
    };
    if value.trim().is_empty() {
        bail!("the secret is empty; nothing was stored");
    }
    Ok(SecretString::new(value.as_str().to_owned()))
}

fn print_list(overview: &CredentialsOverview) -> anyhow::Result<()> {
    if let Some(e) = &overview.store_error {
        bail!("{e}");
    }
    if overview.credentials.is_empty() {
        println!(
            "no credentials yet; add one with `latchkey creds add jamf|vcenter|vault|aws|azure …`"
        );
        return Ok(());
    }
    let mut table = Table::new(["ID", "LABEL", "DOMAIN", "AS", "STATE", "ROTATED"]);
    for c in &overview.credentials {
        let rotated = match (c.age_days, c.rotation_due) {
            (0, _) => "today".to_owned(),
            (days, false) => format!("{days} days ago"),
            (days, true) => format!("{days} days ago, rotate it"),
        };
        table.row([
            c.id.to_string(),
            c.label.clone(),
            c.domain.to_string(),
            c.account.principal(),
            lock_state(c.unlocked, c.seconds_left),
            rotated,
        ]);
    }
    table.print();
    for c in overview.credentials.iter().filter(|c| c.source.is_some()) {
        println!("{}{}", c.id, source_note(c));
    }
    Ok(())
}

fn print_status(overview: &CredentialsOverview) -> anyhow::Result<()> {
    if let Some(e) = &overview.store_error {
        bail!("{e}");
    }
    println!("presence check: {}", overview.presence.description);
    if overview.domains.is_empty() {
        println!("no credentials yet");
        return Ok(());
    }
    let mut table = Table::new(["DOMAIN", "KIND", "CREDENTIALS", "STATE"]);
    for d in &overview.domains {
        table.row([
            d.domain.to_string(),
            d.kind.display_name().to_owned(),
            d.credentials.to_string(),
            lock_state(d.unlocked, d.seconds_left),
        ]);
    }
    table.print();
    Ok(())
}

/// `unlocked, 3h 59m left` or `locked`.
fn lock_state(unlocked: bool, seconds_left: Option<u64>) -> String {
    match (unlocked, seconds_left) {
        (true, Some(s)) => format!("unlocked, {} left", time_left(s)),
        (true, None) => "unlocked".to_owned(),
        (false, _) => "locked".to_owned(),
    }
}
