//! One way to name a credential on the command line, for every command that takes one: its
//! domain (`jamf:acme.jamfcloud.com` or `acme.jamfcloud.com`), id, a unique id prefix, label
//! or URL, resolved against the broker's overview. A name that fits several lists them.

use anyhow::bail;
use latchkey_broker::{CredentialView, CredentialsOverview};
use latchkey_vault::{Account, Domain, Kind};

/// The one credential `name` means. A domain holding several credentials is ambiguous here.
pub fn credential<'a>(
    overview: &'a CredentialsOverview,
    name: &str,
) -> anyhow::Result<&'a CredentialView> {
    match matches(overview, name).as_slice() {
        [only] => Ok(only),
        [] => bail!(unknown(name)),
        several => bail!(ambiguous(name, several)),
    }
}

/// The domain `name` means: a domain itself (whatever credentials it holds), or the domain of
/// the credentials it names, when they share one.
pub fn domain(overview: &CredentialsOverview, name: &str) -> anyhow::Result<Domain> {
    let found = matches(overview, name);
    match found.as_slice() {
        [] => bail!(unknown(name)),
        [first, rest @ ..] if rest.iter().all(|c| c.domain == first.domain) => {
            Ok(first.domain.clone())
        }
        several => bail!(ambiguous(name, several)),
    }
}

/// The credentials `name` fits, by the first rule that fits any: id, domain, label, URL,
/// id prefix.
fn matches<'a>(overview: &'a CredentialsOverview, name: &str) -> Vec<&'a CredentialView> {
    let name = name.trim();
    let all = &overview.credentials;
    let rules: [&dyn Fn(&CredentialView) -> bool; 5] = [
        &|c| c.id.as_str() == name,
        &|c| is_domain(&c.domain, name),
        &|c| c.label.trim().eq_ignore_ascii_case(name),
        &|c| is_url_of(&c.account, name),
        &|c| !name.is_empty() && c.id.as_str().starts_with(name),
    ];
    rules
        .iter()
        .map(|rule| all.iter().filter(|c| rule(c)).collect::<Vec<_>>())
        .find(|found| !found.is_empty())
        .unwrap_or_default()
}

fn is_domain(domain: &Domain, name: &str) -> bool {
    domain.as_str().eq_ignore_ascii_case(name) || domain.authority().eq_ignore_ascii_case(name)
}

/// Whether `name` is the account's URL (or address, or host), scheme, path and case aside.
fn is_url_of(account: &Account, name: &str) -> bool {
    let stored = match account {
        Account::JamfClient { url, .. } | Account::JamfUser { url, .. } => url,
        Account::Vcenter { host, .. } => host,
        Account::Vault { address, .. } => address,
        Account::Aws {
            endpoint: Some(endpoint),
            ..
        } => endpoint,
        Account::Aws { region, .. } => region,
        Account::Azure { vault_url, .. } => vault_url,
    };
    let bare = |s: &str| {
        let s = s.trim();
        let s = s.split_once("://").map_or(s, |(_, rest)| rest);
        s.split('/').next().unwrap_or_default().to_ascii_lowercase()
    };
    name.contains(['/', '.']) && bare(stored) == bare(name)
}

fn unknown(name: &str) -> String {
    format!(
        "no credential or domain matches \"{name}\"; name one by domain, id, label or URL (see `latchkey creds list`)"
    )
}

fn ambiguous(name: &str, several: &[&CredentialView]) -> String {
    let mut message = format!("\"{name}\" could mean any of these; name one by id:");
    for c in several {
        message += &format!("\n  {}  {}  {}", c.id, c.label, c.domain);
    }
    message
}

/// What to tell the person who just added `added` when its domain already had credentials:
/// which one the broker's calls will use (see `JamfService::credential_of`: an API client
/// before a user, then the first by label, the order the store lists them in).
pub fn shared_domain_warning(
    overview: &CredentialsOverview,
    added: &CredentialView,
) -> Option<String> {
    let mine: Vec<&CredentialView> = overview
        .credentials
        .iter()
        .filter(|c| c.domain == added.domain)
        .collect();
    if mine.len() < 2 {
        return None;
    }
    let others = mine.len() - 1;
    let mut warning = format!(
        "warning: {} already had {others} other credential{}",
        added.domain,
        if others == 1 { "" } else { "s" }
    );
    if added.kind == Kind::Jamf {
        let used = mine
            .iter()
            .find(|c| matches!(c.account, Account::JamfClient { .. }))
            .unwrap_or(&mine[0]);
        warning += &format!(
            "; Jamf calls use {} ({}): an API client before a user, then the first by label",
            used.id, used.label
        );
    }
    Some(warning + "; remove the one you do not want with `latchkey creds rm ID`")
}
