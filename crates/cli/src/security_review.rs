//! `latchkey doctor --security`: what an admin reviews before deploying and every month after:
//! each credential's age against the 30-day rotation, each unlocked Jamf account's privileges
//! against the role Latchkey needs, and which advisory database this build's dependencies were
//! scanned against. The secret store, presence check and audit chain are doctor's own lines.
//!
//! A locked Jamf domain's privileges are not checked: that would ask for presence in the middle
//! of a report; the line names the command that does.

use latchkey_broker::control::{ControlClient, ControlRequest};
use latchkey_broker::{CredentialView, CredentialsOverview};
use latchkey_jamf::ConnectionCheck;
use latchkey_vault::Kind;
use serde::{Deserialize, Serialize};

/// The dependency scan this build's report records (docs/advisory-scan.json, written by
/// `make deps` and held current by `make test`).
const ADVISORY_SCAN: &str = include_str!("../../../docs/advisory-scan.json");

#[derive(Debug, Serialize)]
pub struct SecurityReview {
    /// Whether nothing needs doing.
    pub ok: bool,
    pub credentials: Vec<CredentialReview>,
    pub dependencies: DependencyScan,
}

#[derive(Debug, Serialize)]
pub struct CredentialReview {
    pub id: String,
    pub label: String,
    pub domain: String,
    pub age_days: i64,
    pub rotation_due: bool,
    /// Jamf only: what the account's privileges say, or why they were not checked.
    pub privileges: Option<String>,
    /// Jamf only: whether the account holds more, or less, than Latchkey's role.
    pub privileges_ok: Option<bool>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct DependencyScan {
    pub advisory_db: AdvisoryDb,
    pub scanner: String,
    pub rust_crates: usize,
    pub npm_packages: usize,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct AdvisoryDb {
    pub commit: String,
    pub date: String,
}

/// Reviews what the broker at `broker` holds; `Err` when it does not answer.
pub async fn review(broker: &mut ControlClient) -> anyhow::Result<SecurityReview> {
    let overview: CredentialsOverview = broker.call(&ControlRequest::Overview).await?;
    let mut credentials = Vec::new();
    for credential in &overview.credentials {
        let (privileges, privileges_ok) = privileges(broker, credential).await;
        credentials.push(CredentialReview {
            id: credential.id.to_string(),
            label: credential.label.clone(),
            domain: credential.domain.to_string(),
            age_days: credential.age_days,
            rotation_due: credential.rotation_due,
            privileges,
            privileges_ok,
        });
    }
    let dependencies: DependencyScan = serde_json::from_str(ADVISORY_SCAN)?;
    let ok = credentials
        .iter()
        .all(|c| !c.rotation_due && c.privileges_ok != Some(false));
    Ok(SecurityReview {
        ok,
        credentials,
        dependencies,
    })
}

async fn privileges(
    broker: &mut ControlClient,
    credential: &CredentialView,
) -> (Option<String>, Option<bool>) {
    if credential.kind != Kind::Jamf {
        return (None, None);
    }
    if !credential.unlocked {
        let said = format!(
            "not checked while its domain is locked: `latchkey creds test {}` checks it",
            credential.id
        );
        return (Some(said), None);
    }
    let request = ControlRequest::JamfTest {
        id: credential.id.clone(),
    };
    match broker.call::<ConnectionCheck>(&request).await {
        Ok(check) => match check.privileges {
            Some(p) => {
                let fine = !p.over_privileged && p.missing.is_empty();
                (Some(p.summary), Some(fine))
            }
            None => (
                Some("the server would not say (GET /api/v1/auth refused)".to_owned()),
                None,
            ),
        },
        Err(e) => (Some(format!("could not check: {e}")), None),
    }
}

/// The review's lines, in doctor's columns.
pub fn print(review: &SecurityReview) {
    println!("Security review");
    if review.credentials.is_empty() {
        println!("  {:<15} none stored", "credentials");
    }
    for c in &review.credentials {
        let age = if c.rotation_due {
            format!(
                "ROTATE: last rotated {} days ago (more than 30): `latchkey creds rotate {}`",
                c.age_days, c.id
            )
        } else {
            format!("rotated {} days ago: ok", c.age_days)
        };
        println!("  {:<15} {} ({}): {age}", "credential", c.domain, c.label);
        if let Some(privileges) = &c.privileges {
            let mark = match c.privileges_ok {
                Some(true) => "ok: ",
                Some(false) => "WARNING: ",
                None => "",
            };
            println!("  {:<15} {mark}{privileges}", "  privileges");
        }
    }
    let scan = &review.dependencies;
    println!(
        "  {:<15} this build's {} crates and {} npm packages were scanned by {} against the \
         RustSec advisory database of {} (commit {})",
        "dependencies",
        scan.rust_crates,
        scan.npm_packages,
        scan.scanner,
        scan.advisory_db.date,
        &scan.advisory_db.commit[..scan.advisory_db.commit.len().min(12)]
    );
}
