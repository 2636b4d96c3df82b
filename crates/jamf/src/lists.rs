//! Read-only lists of policies, configuration profiles and smart groups.
//!
//! - Policies: Classic `GET /JSSResource/policies` (the Jamf Pro API has no policy list).
//! - macOS configuration profiles: Classic `GET /JSSResource/osxconfigurationprofiles` (same).
//! - Smart computer groups: `GET /api/v3/computer-groups/smart-groups` (paged); on 404
//!   `/api/v2/computer-groups/smart-groups` (deprecated in 11.x), then `GET /api/v1/computer-groups`
//!   filtered to `smartGroup: true` (which has no member counts).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::raw::RawPage;
use crate::{JamfClient, JamfError, MAX_PAGE_SIZE, lenient};

/// An object known by id and name.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct NamedItem {
    /// Jamf's id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// A smart computer group.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct SmartGroup {
    /// Jamf's group id.
    pub id: String,
    /// Group name.
    pub name: String,
    /// Description, when set.
    pub description: Option<String>,
    /// Computers in the group; absent on servers that do not report it.
    pub membership_count: Option<u64>,
    /// Site id, when the group belongs to a site.
    pub site_id: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct RawItem {
    #[serde(deserialize_with = "lenient::string")]
    id: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    name: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawGroup {
    #[serde(deserialize_with = "lenient::string")]
    id: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    name: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    description: Option<String>,
    #[serde(deserialize_with = "lenient::number")]
    membership_count: Option<u64>,
    #[serde(deserialize_with = "lenient::string")]
    site_id: Option<String>,
    #[serde(deserialize_with = "lenient::boolean")]
    smart_group: Option<bool>,
}

#[derive(Deserialize)]
struct Policies {
    #[serde(default, deserialize_with = "lenient::list")]
    policies: Vec<RawItem>,
}

#[derive(Deserialize)]
struct Profiles {
    #[serde(default, deserialize_with = "lenient::list")]
    os_x_configuration_profiles: Vec<RawItem>,
}

fn named(items: Vec<RawItem>) -> Vec<NamedItem> {
    let mut out: Vec<NamedItem> = items
        .into_iter()
        .filter_map(|i| {
            Some(NamedItem {
                id: i.id?,
                name: i.name.unwrap_or_default(),
            })
        })
        .collect();
    out.sort_by_key(|a| a.name.to_lowercase());
    out
}

impl From<RawGroup> for SmartGroup {
    fn from(g: RawGroup) -> Self {
        Self {
            id: g.id.unwrap_or_default(),
            name: g.name.unwrap_or_default(),
            description: g.description,
            membership_count: g.membership_count,
            site_id: g.site_id.filter(|s| s != "-1"),
        }
    }
}

impl JamfClient {
    /// Every policy, by name.
    pub async fn policies(&self) -> Result<Vec<NamedItem>, JamfError> {
        let list: Policies = self.get_json("JSSResource/policies", &[]).await?;
        Ok(named(list.policies))
    }

    /// Every macOS configuration profile, by name.
    pub async fn configuration_profiles(&self) -> Result<Vec<NamedItem>, JamfError> {
        let list: Profiles = self
            .get_json("JSSResource/osxconfigurationprofiles", &[])
            .await?;
        Ok(named(list.os_x_configuration_profiles))
    }

    /// Every smart computer group, by id.
    pub async fn smart_groups(&self) -> Result<Vec<SmartGroup>, JamfError> {
        for path in [
            "api/v3/computer-groups/smart-groups",
            "api/v2/computer-groups/smart-groups",
        ] {
            let query = vec![
                ("page", "0".to_owned()),
                ("page-size", MAX_PAGE_SIZE.to_string()),
                ("sort", "id:asc".to_owned()),
            ];
            let first = match self.get_json::<RawPage<RawGroup>>(path, &query).await {
                Err(JamfError::NotFound(_)) => continue,
                result => result?,
            };
            let groups = self
                .remaining_pages(path, query, first, MAX_PAGE_SIZE, &|_, _| {})
                .await?;
            return Ok(groups.into_iter().map(SmartGroup::from).collect());
        }
        let groups: Vec<RawGroup> = self.get_json("api/v1/computer-groups", &[]).await?;
        Ok(groups
            .into_iter()
            .filter(|g| g.smart_group == Some(true))
            .map(SmartGroup::from)
            .collect())
    }
}
