//! Computer inventory: search, one record, and paging through all of them.
//!
//! Endpoints: `GET /api/v4/computers-inventory` (list, `section=`, `filter=`, `page`,
//! `page-size`, `sort=id:asc` for stable paging) and `/api/v4/computers-inventory/{id}` (one
//! record, `section=`). Servers without v4 answer 404; the client then tries v3 and v1 and
//! remembers, per client, the first version that answered.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::task::JoinSet;
use tracing::info;

use crate::ids::valid_id;
use crate::raw::{RawComputer, RawPage};
use crate::rsql::{Field, Filter};
use crate::transport::endpoint;
use crate::{ComputerRef, JamfClient, JamfError, MAX_PAGE_SIZE, Section, SerialNumber};

/// Items kept per list-shaped section in [`ComputerInventory`]; a Mac can list thousands of
/// applications, which no assistant needs verbatim.
const MAX_LIST_ITEMS: usize = 100;
/// The most records of one list (computers, mobile devices, groups...) read page by page: far
/// above the largest real fleet, and a bound on the pages, requests and memory that a hostile
/// or broken server's `totalCount` can ask for (8.6e12 once sized a Vec and aborted).
pub const MAX_LISTED: u64 = 1_000_000;
/// Default page size of a search: enough to pick from, small enough to read.
const DEFAULT_SEARCH_PAGE_SIZE: u32 = 50;

/// The computers-inventory API version a server offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InventoryApi {
    V4,
    V3,
    V1,
}

impl InventoryApi {
    pub(crate) fn code(self) -> u8 {
        match self {
            InventoryApi::V4 => 4,
            InventoryApi::V3 => 3,
            InventoryApi::V1 => 1,
        }
    }

    pub(crate) fn from_code(code: u8) -> Option<Self> {
        match code {
            4 => Some(InventoryApi::V4),
            3 => Some(InventoryApi::V3),
            1 => Some(InventoryApi::V1),
            _ => None,
        }
    }

    /// "v4", "v3" or "v1", as reports name it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            InventoryApi::V4 => "v4",
            InventoryApi::V3 => "v3",
            InventoryApi::V1 => "v1",
        }
    }

    fn list_path(self) -> &'static str {
        match self {
            InventoryApi::V4 => "api/v4/computers-inventory",
            InventoryApi::V3 => "api/v3/computers-inventory",
            InventoryApi::V1 => "api/v1/computers-inventory",
        }
    }

    fn older(self) -> Option<Self> {
        match self {
            InventoryApi::V4 => Some(InventoryApi::V3),
            InventoryApi::V3 => Some(InventoryApi::V1),
            InventoryApi::V1 => None,
        }
    }

    /// `section=` pairs this version accepts.
    fn section_query(self, sections: &[Section]) -> Vec<(&'static str, String)> {
        let mut wanted: Vec<Section> = sections
            .iter()
            .copied()
            .filter(|s| self == InventoryApi::V1 || s.in_v3_and_v4())
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.is_empty() {
            wanted.push(Section::General);
        }
        wanted
            .into_iter()
            .map(|s| ("section", s.api_name().to_owned()))
            .collect()
    }
}

/// What to look for. Free `text` matches name, serial number, user name, full name or email
/// anywhere in the field; the other fields match exactly; all given criteria must hold.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(default, rename_all = "snake_case")]
pub struct ComputerSearch {
    /// Matches anywhere in the name, serial number, user name, full name or email.
    pub text: Option<String>,
    /// Exact computer name.
    pub name: Option<String>,
    /// Exact serial number.
    pub serial: Option<SerialNumber>,
    /// Exact user name of the assigned user.
    pub username: Option<String>,
    /// Exact email of the assigned user.
    pub email: Option<String>,
    /// Page number, from 0.
    pub page: u32,
    /// Results per page, 1 to 2000 (default 50).
    pub page_size: u32,
}

impl Default for ComputerSearch {
    fn default() -> Self {
        Self {
            text: None,
            name: None,
            serial: None,
            username: None,
            email: None,
            page: 0,
            page_size: DEFAULT_SEARCH_PAGE_SIZE,
        }
    }
}

impl ComputerSearch {
    /// The RSQL filter for these criteria; `None` lists every computer.
    pub fn filter(&self) -> Result<Option<Filter>, JamfError> {
        let mut all = Vec::new();
        if let Some(text) = self.text.as_deref().filter(|t| !t.trim().is_empty()) {
            let fields = [
                Field::COMPUTER_NAME,
                Field::COMPUTER_SERIAL,
                Field::COMPUTER_USERNAME,
                Field::COMPUTER_REALNAME,
                Field::COMPUTER_EMAIL,
            ];
            let any = fields
                .into_iter()
                .map(|field| Filter::contains(field, text))
                .collect::<Result<Vec<_>, _>>()?;
            all.extend(Filter::any(any));
        }
        if let Some(name) = &self.name {
            all.push(Filter::eq(Field::COMPUTER_NAME, name)?);
        }
        if let Some(serial) = &self.serial {
            all.push(Filter::eq(Field::COMPUTER_SERIAL, serial.as_str())?);
        }
        if let Some(username) = &self.username {
            all.push(Filter::eq(Field::COMPUTER_USERNAME, username)?);
        }
        if let Some(email) = &self.email {
            all.push(Filter::eq(Field::COMPUTER_EMAIL, email)?);
        }
        Ok(Filter::all(all))
    }
}

/// One computer in a list.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct ComputerSummary {
    /// Jamf's computer id.
    pub id: String,
    /// Computer name.
    pub name: Option<String>,
    /// Serial number.
    pub serial: Option<String>,
    /// Assigned user's account name (else full name).
    pub user: Option<String>,
    /// Assigned user's email.
    pub email: Option<String>,
    /// Marketing model, e.g. "MacBook Pro (14-inch, 2023)".
    pub model: Option<String>,
    /// Model identifier, e.g. "Mac14,5".
    pub model_identifier: Option<String>,
    /// macOS version as reported.
    pub os_version: Option<String>,
    /// When the computer last contacted Jamf Pro (else last check-in, else last inventory).
    pub last_contact: Option<DateTime<Utc>>,
    /// Whether Jamf Pro manages it.
    pub managed: Option<bool>,
}

impl From<&RawComputer> for ComputerSummary {
    fn from(c: &RawComputer) -> Self {
        let owned = |s: Option<&str>| s.map(str::to_owned);
        Self {
            id: c.id.clone().unwrap_or_default(),
            name: owned(c.name()),
            serial: owned(c.serial()),
            user: owned(c.user()),
            email: owned(c.email()),
            model: owned(c.model()),
            model_identifier: owned(c.model_identifier()),
            os_version: owned(c.os_version()),
            last_contact: c.last_contact(),
            managed: c.managed(),
        }
    }
}

/// A page of search results.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct ComputerPage {
    /// The inventory API version that answered: "v4", "v3" or "v1".
    pub inventory_api: String,
    /// Computers matching the search, on all pages.
    pub total: u64,
    /// This page's number, from 0.
    pub page: u32,
    /// The page size used.
    pub page_size: u32,
    /// The computers on this page, by id.
    pub computers: Vec<ComputerSummary>,
}

/// One computer's record, sized for an assistant: a typed summary plus the requested sections
/// as Jamf returned them, minus nulls and empty strings, long lists cut (see `truncated`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct ComputerInventory {
    /// The inventory API version that answered: "v4", "v3" or "v1".
    pub inventory_api: String,
    /// The essentials, from whichever sections were returned.
    pub summary: ComputerSummary,
    /// Requested sections by their JSON key (e.g. "operatingSystem"), nulls removed.
    pub sections: BTreeMap<String, Value>,
    /// Sections whose lists were cut to keep the answer small.
    pub truncated: Vec<TruncatedSection>,
}

/// A list-shaped section that was cut.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct TruncatedSection {
    /// The section's JSON key.
    pub section: String,
    /// Items included.
    pub shown: usize,
    /// Items the server returned.
    pub total: usize,
}

impl JamfClient {
    /// Computers matching `search`, one page, ordered by id.
    pub async fn search_computers(
        &self,
        search: &ComputerSearch,
    ) -> Result<ComputerPage, JamfError> {
        if !(1..=MAX_PAGE_SIZE).contains(&search.page_size) {
            return Err(JamfError::InvalidArgument(format!(
                "page_size {} is out of range: 1 to {MAX_PAGE_SIZE}",
                search.page_size
            )));
        }
        let filter = search.filter()?;
        let sections = [
            Section::General,
            Section::Hardware,
            Section::OperatingSystem,
            Section::UserAndLocation,
        ];
        let (api, page) = self
            .inventory_page::<RawComputer>(
                &sections,
                filter.as_ref(),
                search.page,
                search.page_size,
            )
            .await?;
        Ok(ComputerPage {
            inventory_api: api.name().to_owned(),
            total: page.total(),
            page: search.page,
            page_size: search.page_size,
            computers: page.results.iter().map(ComputerSummary::from).collect(),
        })
    }

    /// One computer's inventory with the chosen sections (GENERAL is always included).
    pub async fn computer_inventory(
        &self,
        target: &ComputerRef,
        sections: &[Section],
    ) -> Result<ComputerInventory, JamfError> {
        let mut wanted = sections.to_vec();
        wanted.push(Section::General);
        let (api, record) = self.computer_record(target, &wanted).await?;
        let raw = RawComputer::deserialize(&record).map_err(|e| JamfError::Parse {
            endpoint: format!("{target}"),
            detail: e.to_string(),
        })?;
        let mut out = ComputerInventory {
            inventory_api: api.name().to_owned(),
            summary: ComputerSummary::from(&raw),
            sections: BTreeMap::new(),
            truncated: Vec::new(),
        };
        let Value::Object(mut fields) = record else {
            return Ok(out);
        };
        for section in wanted {
            let key = section.json_key();
            let Some(value) = fields.remove(key).and_then(prune) else {
                continue;
            };
            let value = match value {
                Value::Array(mut items) if items.len() > MAX_LIST_ITEMS => {
                    out.truncated.push(TruncatedSection {
                        section: key.to_owned(),
                        shown: MAX_LIST_ITEMS,
                        total: items.len(),
                    });
                    items.truncate(MAX_LIST_ITEMS);
                    Value::Array(items)
                }
                value => value,
            };
            out.sections.insert(key.to_owned(), value);
        }
        Ok(out)
    }

    /// One computer's record as JSON, by id (detail endpoint) or serial (filtered list).
    pub(crate) async fn computer_record(
        &self,
        target: &ComputerRef,
        sections: &[Section],
    ) -> Result<(InventoryApi, Value), JamfError> {
        match target {
            ComputerRef::Id(id) => {
                let id = valid_id(id)?;
                let api = self.inventory_api().await?;
                let path = format!("{}/{id}", api.list_path());
                match self
                    .get_json::<Value>(&path, &api.section_query(sections))
                    .await
                {
                    Err(JamfError::NotFound(_)) => {
                        Err(JamfError::NotFound(format!("no computer with id {id}")))
                    }
                    result => result.map(|record| (api, record)),
                }
            }
            ComputerRef::Serial(serial) => {
                let filter = Filter::eq(Field::COMPUTER_SERIAL, serial.as_str())?;
                let (api, page) = self
                    .inventory_page::<Value>(sections, Some(&filter), 0, 1)
                    .await?;
                let record = page.results.into_iter().next().ok_or_else(|| {
                    JamfError::NotFound(format!("no computer with serial number {serial}"))
                })?;
                Ok((api, record))
            }
        }
    }

    /// The inventory API version, asking the server (one record) if not known yet.
    pub(crate) async fn inventory_api(&self) -> Result<InventoryApi, JamfError> {
        if let Some(api) = self.known_inventory_api() {
            return Ok(api);
        }
        let (api, _) = self
            .inventory_page::<IgnoredAny>(&[Section::General], None, 0, 1)
            .await?;
        Ok(api)
    }

    /// One page of the inventory list, trying v4, v3, v1 until one answers (then remembered).
    pub(crate) async fn inventory_page<T: DeserializeOwned>(
        &self,
        sections: &[Section],
        filter: Option<&Filter>,
        page: u32,
        page_size: u32,
    ) -> Result<(InventoryApi, RawPage<T>), JamfError> {
        let known = self.known_inventory_api();
        let mut api = known.unwrap_or(InventoryApi::V4);
        loop {
            let query = page_query(api.section_query(sections), filter, page, page_size);
            match self.get_json::<RawPage<T>>(api.list_path(), &query).await {
                Ok(result) => {
                    if known.is_none() {
                        info!(api = api.name(), "computers-inventory version found");
                        self.remember_inventory_api(api);
                    }
                    return Ok((api, result));
                }
                Err(JamfError::NotFound(_)) if known.is_none() => match api.older() {
                    Some(older) => api = older,
                    None => {
                        return Err(JamfError::NotFound(
                            "no computers-inventory endpoint on this server (tried v4, v3 and v1)"
                                .into(),
                        ));
                    }
                },
                Err(e) => return Err(e),
            }
        }
    }

    /// Every computer with `sections`; see [`JamfClient::all_computers_matching`].
    pub(crate) async fn all_computers(
        &self,
        sections: &[Section],
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<(InventoryApi, Vec<RawComputer>), JamfError> {
        self.all_computers_matching(sections, None, progress).await
    }

    /// Every computer `filter` matches (all without one) with `sections`: page 0 first (which
    /// also settles the API version), then the other pages on at most `max_concurrency`
    /// workers. `progress(loaded, total)` runs after each page.
    pub(crate) async fn all_computers_matching(
        &self,
        sections: &[Section],
        filter: Option<&Filter>,
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<(InventoryApi, Vec<RawComputer>), JamfError> {
        let page_size = self.inner.options.page_size;
        let (api, first) = self
            .inventory_page::<RawComputer>(sections, filter, 0, page_size)
            .await?;
        let query = page_query(api.section_query(sections), filter, 0, page_size);
        let computers = self
            .remaining_pages(api.list_path(), query, first, page_size, progress)
            .await?;
        Ok((api, computers))
    }

    /// Pages 1.. of a list whose page 0 is `first`, in order. A `totalCount` over
    /// [`MAX_LISTED`] is refused before anything is sized from it. `query` carries `page=0`, which
    /// each worker replaces with its page number.
    pub(crate) async fn remaining_pages<T: DeserializeOwned + Send + 'static>(
        &self,
        path: &'static str,
        query: Vec<(&'static str, String)>,
        first: RawPage<T>,
        page_size: u32,
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<Vec<T>, JamfError> {
        let total = first.total();
        if total > MAX_LISTED {
            return Err(JamfError::Parse {
                endpoint: endpoint(&reqwest::Method::GET, path),
                detail: format!(
                    "totalCount {total} is more than any real Jamf Pro server holds \
                     (Latchkey reads at most {MAX_LISTED} records of a list), so no page \
                     after the first was read"
                ),
            });
        }
        // At most MAX_LISTED / 1 pages: fits a u32 and a Vec of page slots.
        let pages = total.div_ceil(u64::from(page_size)).max(1) as u32;
        // More records on a page than asked for would let the pages add up past MAX_LISTED.
        let overfull = |page: u32, len: usize| JamfError::Parse {
            endpoint: endpoint(&reqwest::Method::GET, path),
            detail: format!("page {page} has {len} records, more than the {page_size} asked for"),
        };
        if first.results.len() > page_size as usize {
            return Err(overfull(0, first.results.len()));
        }
        let mut loaded = first.results.len() as u64;
        progress(loaded, total);
        let mut by_page: Vec<Vec<T>> = Vec::with_capacity(pages as usize);
        by_page.push(first.results);
        by_page.resize_with(pages as usize, Vec::new);
        if pages > 1 {
            let next = Arc::new(AtomicU32::new(1));
            let query = Arc::new(query);
            let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
            let mut workers = JoinSet::new();
            for _ in 0..self.inner.options.max_concurrency.min(pages as usize - 1) {
                let (client, next, query, sender) =
                    (self.clone(), next.clone(), query.clone(), sender.clone());
                workers.spawn(async move {
                    loop {
                        let page = next.fetch_add(1, Ordering::Relaxed);
                        if page >= pages {
                            break;
                        }
                        let mut query = (*query).clone();
                        set_page(&mut query, page);
                        let result = client.get_json::<RawPage<T>>(path, &query).await;
                        let failed = result.is_err();
                        if sender.send((page, result)).is_err() || failed {
                            break;
                        }
                    }
                });
            }
            drop(sender);
            while let Some((page, result)) = receiver.recv().await {
                let results = result?.results;
                if results.len() > page_size as usize {
                    return Err(overfull(page, results.len()));
                }
                loaded += results.len() as u64;
                by_page[page as usize] = results;
                progress(loaded, total);
            }
        }
        Ok(by_page.into_iter().flatten().collect())
    }
}

fn page_query(
    mut query: Vec<(&'static str, String)>,
    filter: Option<&Filter>,
    page: u32,
    page_size: u32,
) -> Vec<(&'static str, String)> {
    query.push(("page", page.to_string()));
    query.push(("page-size", page_size.to_string()));
    query.push(("sort", "id:asc".to_owned()));
    if let Some(filter) = filter {
        query.push(("filter", filter.as_str().to_owned()));
    }
    query
}

fn set_page(query: &mut [(&'static str, String)], page: u32) {
    for (key, value) in query.iter_mut() {
        if *key == "page" {
            *value = page.to_string();
        }
    }
}

/// Drops nulls and empty strings (objects left empty go too), so an assistant reads only
/// what the server actually knows.
pub(crate) fn prune(value: Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() => None,
        Value::Object(map) => {
            let map: serde_json::Map<String, Value> = map
                .into_iter()
                .filter_map(|(k, v)| prune(v).map(|v| (k, v)))
                .collect();
            (!map.is_empty()).then_some(Value::Object(map))
        }
        Value::Array(items) => Some(Value::Array(items.into_iter().filter_map(prune).collect())),
        other => Some(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prune_removes_nulls_and_empty_strings_keeps_false_zero_and_empty_lists() {
        let pruned = prune(json!({
            "a": null, "b": "", "c": false, "d": 0, "e": [], "f": {"g": null},
            "h": [null, {"i": null}, {"j": 1}]
        }))
        .unwrap();
        assert_eq!(
            pruned,
            json!({"c": false, "d": 0, "e": [], "h": [{"j": 1}]})
        );
    }

    #[test]
    fn search_filter_ors_free_text_and_ands_the_rest() {
        let search = ComputerSearch {
            text: Some("ann".into()),
            serial: Some(SerialNumber::parse("c02abc12345").unwrap()),
            ..ComputerSearch::default()
        };
        let filter = search.filter().unwrap().unwrap();
        assert_eq!(
            filter.as_str(),
            r#"(((((general.name=="*ann*") or (hardware.serialNumber=="*ann*")) or (userAndLocation.username=="*ann*")) or (userAndLocation.realname=="*ann*")) or (userAndLocation.email=="*ann*")) and (hardware.serialNumber=="C02ABC12345")"#
        );
        assert!(ComputerSearch::default().filter().unwrap().is_none());
    }

    #[test]
    fn v3_and_v4_drop_sections_only_v1_has() {
        let q =
            InventoryApi::V4.section_query(&[Section::Fonts, Section::Hardware, Section::Hardware]);
        assert_eq!(q, vec![("section", "HARDWARE".to_owned())]);
        let q = InventoryApi::V1.section_query(&[Section::Fonts]);
        assert_eq!(q, vec![("section", "FONTS".to_owned())]);
        let q = InventoryApi::V4.section_query(&[Section::Plugins]);
        assert_eq!(q, vec![("section", "GENERAL".to_owned())]);
    }
}
