//! Least privilege: the Jamf Pro API privileges each of Latchkey's Jamf tools needs, and how an
//! account's actual privileges (`GET /api/v1/auth`) compare with them.
//!
//! The Jamf Pro API endpoints' privileges are the ones Jamf's own schema states
//! (`x-required-privileges`; a test holds this table to the 11.30.1 schema). The Classic API
//! states none in its schema: its privileges follow Jamf's documentation (each object's "Read"
//! privilege), and a test checks each name is one Jamf uses.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{JamfClient, JamfError, lenient};

/// One endpoint Latchkey calls and the privileges Jamf requires for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// `GET`, `POST`.
    pub method: &'static str,
    /// As the schema names it: `/v3/computers-inventory` (Jamf Pro API, under `/api`) or
    /// `/JSSResource/policies` (Classic API).
    pub path: &'static str,
    pub privileges: &'static [&'static str],
}

const INVENTORY: Endpoint = Endpoint {
    method: "GET",
    path: "/v3/computers-inventory",
    privileges: &["Read Computers"],
};
const HISTORY: Endpoint = Endpoint {
    method: "GET",
    path: "/JSSResource/computerhistory/id/{id}",
    privileges: &["Read Computers"],
};
const PROFILES: Endpoint = Endpoint {
    method: "GET",
    path: "/JSSResource/osxconfigurationprofiles",
    privileges: &["Read macOS Configuration Profiles"],
};
const POLICIES: Endpoint = Endpoint {
    method: "GET",
    path: "/JSSResource/policies",
    privileges: &["Read Policies"],
};
const SMART_GROUPS: Endpoint = Endpoint {
    method: "GET",
    path: "/v3/computer-groups/smart-groups",
    privileges: &["Read Smart Computer Groups"],
};
const MOBILE_DEVICES: Endpoint = Endpoint {
    method: "GET",
    path: "/v2/mobile-devices",
    privileges: &["Read Mobile Devices"],
};
const GROUP_MEMBERS: Endpoint = Endpoint {
    method: "GET",
    path: "/JSSResource/computergroups/id/{id}",
    privileges: &["Read Smart Computer Groups", "Read Static Computer Groups"],
};
const PLAN: Endpoint = Endpoint {
    method: "POST",
    path: "/v1/managed-software-updates/plans",
    privileges: &[
        "Create Managed Software Updates",
        "Read Computers",
        "Read Mobile Devices",
        "Send Computer Remote Command to Download and Install OS X Update",
        "Send Mobile Device Remote Command to Download and Install iOS Update",
    ],
};
const GROUP_PLAN: Endpoint = Endpoint {
    method: "POST",
    path: "/v1/managed-software-updates/plans/group",
    privileges: &[
        "Create Managed Software Updates",
        "Read Computers",
        "Read Mobile Devices",
        "Read Smart Computer Groups",
        "Read Static Computer Groups",
        "Read Smart Mobile Device Groups",
        "Read Static Mobile Device Groups",
        "Send Computer Remote Command to Download and Install OS X Update",
        "Send Mobile Device Remote Command to Download and Install iOS Update",
    ],
};
const BLANK_PUSH: Endpoint = Endpoint {
    method: "POST",
    path: "/v2/mdm/blank-push",
    privileges: &["View MDM command information in Jamf Pro API"],
};
const REDEPLOY: Endpoint = Endpoint {
    method: "POST",
    path: "/v1/jamf-management-framework/redeploy/{id}",
    privileges: &[
        "Send Computer Remote Command to Install Package",
        "Read Computer Check-In",
    ],
};

/// One of Latchkey's Jamf tools (the broker's `jamf_*` MCP tools) and what it calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToolNeeds {
    pub tool: &'static str,
    /// Whether it changes anything (and so waits for the person's approval).
    pub changes: bool,
    pub endpoints: &'static [Endpoint],
}

/// Every Jamf tool, read-only ones first.
pub const TOOLS: &[ToolNeeds] = &[
    read("jamf_search_computers", &[INVENTORY]),
    read("jamf_computer_inventory", &[INVENTORY]),
    read("jamf_computer_security", &[INVENTORY]),
    read("jamf_fleet_security_report", &[INVENTORY]),
    read("jamf_computer_history", &[HISTORY]),
    read("jamf_configuration_profiles", &[PROFILES]),
    read("jamf_policies", &[POLICIES]),
    read("jamf_smart_groups", &[SMART_GROUPS]),
    read("jamf_mobile_devices", &[MOBILE_DEVICES]),
    change("jamf_plan_os_update", &[GROUP_MEMBERS, PLAN, GROUP_PLAN]),
    change("jamf_blank_push", &[BLANK_PUSH]),
    change("jamf_redeploy_framework", &[REDEPLOY]),
];

const fn read(tool: &'static str, endpoints: &'static [Endpoint]) -> ToolNeeds {
    ToolNeeds {
        tool,
        changes: false,
        endpoints,
    }
}

const fn change(tool: &'static str, endpoints: &'static [Endpoint]) -> ToolNeeds {
    ToolNeeds {
        tool,
        changes: true,
        endpoints,
    }
}

impl ToolNeeds {
    pub fn privileges(&self) -> BTreeSet<&'static str> {
        self.endpoints
            .iter()
            .flat_map(|e| e.privileges.iter().copied())
            .collect()
    }
}

/// The minimal API role: what the read-only tools need, and what each changing tool adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MinimalRole {
    /// Privileges every read-only tool together needs.
    pub read_only: Vec<String>,
    /// For each changing tool, the privileges it needs beyond `read_only`.
    pub changes: BTreeMap<String, Vec<String>>,
}

impl MinimalRole {
    pub fn new() -> Self {
        let read_only: BTreeSet<&str> = TOOLS
            .iter()
            .filter(|t| !t.changes)
            .flat_map(ToolNeeds::privileges)
            .collect();
        let changes = TOOLS
            .iter()
            .filter(|t| t.changes)
            .map(|t| {
                let extra = t
                    .privileges()
                    .difference(&read_only)
                    .map(|p| p.to_string())
                    .collect();
                (t.tool.to_owned(), extra)
            })
            .collect();
        Self {
            read_only: read_only.into_iter().map(str::to_owned).collect(),
            changes,
        }
    }

    /// Every privilege any tool needs.
    fn all(&self) -> BTreeSet<&str> {
        self.read_only
            .iter()
            .chain(self.changes.values().flatten())
            .map(String::as_str)
            .collect()
    }
}

impl Default for MinimalRole {
    fn default() -> Self {
        Self::new()
    }
}

/// How an account's privileges compare with what Latchkey needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PrivilegeCheck {
    /// Jamf's privilege set for the account: `ADMINISTRATOR`, `AUDITOR`, `CUSTOM`, ...
    pub privilege_set: Option<String>,
    /// Privileges the account holds (all sites and groups).
    pub granted: usize,
    /// Privileges beyond any Latchkey tool's needs, the riskiest first (delete, wipe, erase,
    /// remote commands, create and update before reads).
    pub beyond: Vec<String>,
    /// Privileges a tool needs that the account lacks, with the tools that need each.
    pub missing: Vec<MissingPrivilege>,
    /// Whether the account can do more than Latchkey needs (see [`Self::over_privileged`]).
    pub over_privileged: bool,
    /// The check in a sentence, for a person (see [`Self::summary`]).
    pub summary: String,
}

/// A privilege the account lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MissingPrivilege {
    pub privilege: String,
    pub tools: Vec<String>,
}

impl PrivilegeCheck {
    /// Compares what `account` holds with what the tools need. A full administrator holds
    /// every privilege, whatever its list says.
    pub fn of(account: &AccountPrivileges) -> Self {
        let role = MinimalRole::new();
        let needed = role.all();
        let administrator = account.privilege_set.as_deref() == Some("ADMINISTRATOR");
        let mut beyond: Vec<String> = account
            .privileges
            .iter()
            .filter(|p| !needed.contains(p.as_str()))
            .cloned()
            .collect();
        beyond.sort_by_key(|p| (risk(p), p.clone()));
        let missing = if administrator {
            Vec::new()
        } else {
            needed
                .iter()
                .filter(|p| !account.privileges.contains(**p))
                .map(|p| MissingPrivilege {
                    privilege: (*p).to_owned(),
                    tools: TOOLS
                        .iter()
                        .filter(|t| t.privileges().contains(p))
                        .map(|t| t.tool.to_owned())
                        .collect(),
                })
                .collect()
        };
        let mut check = Self {
            privilege_set: account.privilege_set.clone(),
            granted: account.privileges.len(),
            beyond,
            missing,
            over_privileged: false,
            summary: String::new(),
        };
        check.over_privileged = check.over_privileged();
        check.summary = check.summary();
        check
    }

    /// Whether the account can do more than Latchkey needs.
    fn over_privileged(&self) -> bool {
        self.privilege_set.as_deref() == Some("ADMINISTRATOR") || !self.beyond.is_empty()
    }

    /// One sentence for a person: "this API client can also Delete Computers, Send Computer
    /// Remote Wipe Command and 212 more; Latchkey needs only the 14 privileges of `latchkey
    /// jamf privileges`", or that it holds just what is needed.
    fn summary(&self) -> String {
        let mut said = Vec::new();
        if self.privilege_set.as_deref() == Some("ADMINISTRATOR") {
            said.push("this account is a full Jamf Pro administrator".to_owned());
        }
        if !self.beyond.is_empty() {
            const SHOWN: usize = 3;
            let mut named = self.beyond[..self.beyond.len().min(SHOWN)].join(", ");
            if self.beyond.len() > SHOWN {
                named.push_str(&format!(" and {} more", self.beyond.len() - SHOWN));
            }
            said.push(format!("it can also: {named}"));
        }
        if self.over_privileged() {
            said.push(format!(
                "Latchkey needs only the {} privileges `latchkey jamf privileges` lists",
                MinimalRole::new().all().len()
            ));
        }
        for missing in &self.missing {
            said.push(format!(
                "missing \"{}\" (needed by {})",
                missing.privilege,
                missing.tools.join(", ")
            ));
        }
        if said.is_empty() {
            "holds exactly the privileges Latchkey's tools need".to_owned()
        } else {
            said.join("; ")
        }
    }
}

/// Lower sorts first: what destroys or commands devices before what only reads.
fn risk(privilege: &str) -> u8 {
    let p = privilege.to_ascii_lowercase();
    if p.contains("wipe") || p.contains("erase") || p.starts_with("delete") {
        0
    } else if p.contains("remote command") || p.starts_with("send") || p.contains("lock") {
        1
    } else if p.starts_with("create") || p.starts_with("update") {
        2
    } else {
        3
    }
}

/// What `GET /api/v1/auth` says the account holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountPrivileges {
    pub privilege_set: Option<String>,
    pub privileges: BTreeSet<String>,
}

// Read leniently, like every Jamf answer: a field of another shape is absent, not an error
// that would fail the whole connection check.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Authorization {
    #[serde(default, deserialize_with = "lenient::section")]
    account: Option<AuthAccount>,
    #[serde(default, deserialize_with = "lenient::list")]
    account_groups: Vec<AccountGroup>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthAccount {
    #[serde(default, deserialize_with = "lenient::string")]
    privilege_set: Option<String>,
    #[serde(default, deserialize_with = "lenient::section")]
    privileges_by_site: Option<BTreeMap<String, serde_json::Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccountGroup {
    #[serde(default, deserialize_with = "lenient::string")]
    privilege_set: Option<String>,
    #[serde(default)]
    privileges: serde_json::Value,
}

/// Privilege names from a list of them, or from one name alone (as Jamf's own example has it).
fn names(value: serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::String(name) => vec![name],
        serde_json::Value::Array(items) => items
            .into_iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

impl JamfClient {
    /// The privileges the signed-in account holds, on every site and through its groups
    /// (`GET /api/v1/auth`).
    pub async fn account_privileges(&self) -> Result<AccountPrivileges, JamfError> {
        let auth: Authorization = self.get_json("api/v1/auth", &[]).await?;
        let account = auth.account;
        let group_sets = auth.account_groups.iter().map(|g| g.privilege_set.clone());
        // The strongest set among the account's own and its groups'.
        let privilege_set = account
            .as_ref()
            .map(|a| a.privilege_set.clone())
            .into_iter()
            .chain(group_sets)
            .flatten()
            .min_by_key(|set| usize::from(set != "ADMINISTRATOR"));
        let privileges = account
            .into_iter()
            .filter_map(|a| a.privileges_by_site)
            .flat_map(BTreeMap::into_values)
            .chain(auth.account_groups.into_iter().map(|g| g.privileges))
            .flat_map(names)
            .collect();
        Ok(AccountPrivileges {
            privilege_set,
            privileges,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(set: &str, privileges: &[&str]) -> AccountPrivileges {
        AccountPrivileges {
            privilege_set: Some(set.to_owned()),
            privileges: privileges.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    #[test]
    fn the_minimal_role_splits_reading_from_what_each_change_adds() {
        let role = MinimalRole::new();
        assert!(role.read_only.contains(&"Read Computers".to_owned()));
        assert!(!role.read_only.iter().any(|p| p.starts_with("Send")));
        let redeploy = &role.changes["jamf_redeploy_framework"];
        assert!(redeploy.contains(&"Send Computer Remote Command to Install Package".to_owned()));
        // Already in the read-only set, so not listed again.
        assert!(!role.changes["jamf_plan_os_update"].contains(&"Read Computers".to_owned()));
    }

    #[test]
    fn an_exact_role_is_neither_over_nor_under_privileged() {
        let role = MinimalRole::new();
        let all: Vec<&str> = role.all().into_iter().collect();
        let check = PrivilegeCheck::of(&account("CUSTOM", &all));
        assert!(!check.over_privileged, "{check:?}");
        assert!(check.missing.is_empty());
        assert_eq!(
            check.summary,
            "holds exactly the privileges Latchkey's tools need"
        );
    }

    #[test]
    fn extra_privileges_are_named_riskiest_first_and_missing_ones_with_their_tools() {
        let check = PrivilegeCheck::of(&account(
            "CUSTOM",
            &[
                "Read Computers",
                "Read Buildings",
                "Delete Computers",
                "Send Computer Remote Wipe Command",
            ],
        ));
        assert!(check.over_privileged);
        assert_eq!(
            check.beyond,
            [
                "Delete Computers",
                "Send Computer Remote Wipe Command",
                "Read Buildings"
            ]
        );
        let policies = check
            .missing
            .iter()
            .find(|m| m.privilege == "Read Policies")
            .unwrap();
        assert_eq!(policies.tools, ["jamf_policies"]);
        let said = check.summary;
        assert!(
            said.contains(
                "it can also: Delete Computers, Send Computer Remote Wipe Command, Read Buildings"
            ),
            "{said}"
        );
        assert!(
            said.contains("missing \"Read Policies\" (needed by jamf_policies)"),
            "{said}"
        );
    }

    #[test]
    fn an_administrator_is_over_privileged_and_misses_nothing() {
        let check = PrivilegeCheck::of(&account("ADMINISTRATOR", &[]));
        assert!(check.over_privileged);
        assert!(check.missing.is_empty());
        assert!(
            check
                .summary()
                .starts_with("this account is a full Jamf Pro administrator")
        );
    }
}
