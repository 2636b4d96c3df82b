//! The Macs a change is aimed at, looked up before anyone is asked to approve it: serial
//! numbers or ids resolved to computers with what they run (an RSQL `=in=` filter on the
//! inventory list, paged, a batch of values per request rather than a request per Mac), and a
//! computer group's members.
//!
//! Group members come from the Classic API (`GET /JSSResource/computergroups/id/{id}`): the
//! Jamf Pro API (11.30.1) lists smart-group members but has no read of a static group's, and
//! the Classic record serves both kinds with the group's name in one call.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::raw::RawComputer;
use crate::rsql::{Field, Filter};
use crate::{ComputerGroupId, ComputerId, JamfClient, JamfError, Section, SerialNumber, lenient};

/// Values per `=in=` filter: 200 serial numbers make a query of about 4 KB once encoded,
/// well inside the 8 KB request line servers and proxies commonly accept.
const LOOKUP_BATCH: usize = 200;
/// Names listed in an error before "and N more".
const LISTED: usize = 20;

/// A Mac a change is aimed at: which one, and what it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct TargetComputer {
    /// Jamf's computer id.
    pub id: ComputerId,
    /// Serial number.
    pub serial: Option<String>,
    /// Computer name.
    pub name: Option<String>,
    /// Marketing model, e.g. "MacBook Air (M2, 2022)".
    pub model: Option<String>,
    /// Model identifier, e.g. "Mac14,2".
    pub model_identifier: Option<String>,
    /// macOS version, with the Rapid Security Response letter when one is installed.
    pub os_version: Option<String>,
    /// The MDM management id that MDM commands (a blank push) address; absent when the Mac
    /// is not enrolled in MDM.
    pub management_id: Option<String>,
}

/// A computer group and who is in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct ComputerGroupMembers {
    /// Jamf's group id.
    pub id: ComputerGroupId,
    /// Group name.
    pub name: String,
    /// Whether it is a smart group (members by criteria) rather than a static one.
    pub smart: Option<bool>,
    /// How many computers are in it.
    pub member_count: usize,
    /// Their ids, ascending.
    pub members: Vec<ComputerId>,
}

#[derive(Deserialize)]
struct GroupEnvelope {
    #[serde(default, deserialize_with = "lenient::section")]
    computer_group: Option<RawGroup>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct RawGroup {
    #[serde(deserialize_with = "lenient::string")]
    name: Option<String>,
    #[serde(deserialize_with = "lenient::boolean")]
    is_smart: Option<bool>,
    #[serde(deserialize_with = "lenient::list")]
    computers: Vec<RawMember>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct RawMember {
    #[serde(deserialize_with = "lenient::string")]
    id: Option<String>,
}

impl JamfClient {
    /// The computers with these serial numbers. Every serial must match exactly one computer:
    /// unknown serials are a `NotFound` naming them, a serial on several records an
    /// `InvalidArgument` naming their ids (a change must not pick one by guesswork).
    pub async fn computers_by_serial(
        &self,
        serials: &[SerialNumber],
    ) -> Result<Vec<TargetComputer>, JamfError> {
        let wanted: Vec<&str> = serials.iter().map(SerialNumber::as_str).collect();
        let found = self.look_up(Field::COMPUTER_SERIAL, &wanted).await?;
        let mut by_serial: BTreeMap<String, Vec<TargetComputer>> = BTreeMap::new();
        for computer in found {
            if let Some(serial) = &computer.serial {
                by_serial
                    .entry(serial.to_ascii_uppercase())
                    .or_default()
                    .push(computer);
            }
        }
        let missing = unique(
            wanted
                .iter()
                .copied()
                .filter(|s| !by_serial.contains_key(*s)),
        );
        if !missing.is_empty() {
            return Err(JamfError::NotFound(format!(
                "no computer in Jamf Pro with serial number {}",
                listing(&missing)
            )));
        }
        let ambiguous: Vec<String> = by_serial
            .iter()
            .filter(|(_, found)| found.len() > 1)
            .map(|(serial, found)| {
                let ids: Vec<&str> = found.iter().map(|c| c.id.as_str()).collect();
                format!("{serial} (computers {})", ids.join(", "))
            })
            .collect();
        if !ambiguous.is_empty() {
            return Err(JamfError::InvalidArgument(format!(
                "serial numbers on more than one computer record: {}; name those Macs by id",
                listing(&ambiguous)
            )));
        }
        Ok(order_by(
            wanted.iter().copied(),
            by_serial.into_values().flatten(),
            |c| c.serial.clone().unwrap_or_default().to_ascii_uppercase(),
        ))
    }

    /// The computers with these ids, in the order given; unknown ids are a `NotFound`
    /// naming them.
    pub async fn computers_by_id(
        &self,
        ids: &[ComputerId],
    ) -> Result<Vec<TargetComputer>, JamfError> {
        let wanted: Vec<&str> = ids.iter().map(ComputerId::as_str).collect();
        let found = self.look_up(Field::ID, &wanted).await?;
        let known: BTreeSet<&str> = found.iter().map(|c| c.id.as_str()).collect();
        let missing = unique(wanted.iter().copied().filter(|id| !known.contains(id)));
        if !missing.is_empty() {
            return Err(JamfError::NotFound(format!(
                "no computer in Jamf Pro with id {}",
                listing(&missing)
            )));
        }
        Ok(order_by(wanted.iter().copied(), found, |c| {
            c.id.to_string()
        }))
    }

    /// A smart or static computer group: its name and members. A group without members is an
    /// `InvalidArgument` saying so (there is nothing to act on).
    pub async fn computer_group(
        &self,
        id: &ComputerGroupId,
    ) -> Result<ComputerGroupMembers, JamfError> {
        let path = format!("JSSResource/computergroups/id/{id}");
        let envelope: GroupEnvelope = match self.get_json(&path, &[]).await {
            Err(JamfError::NotFound(_)) => {
                return Err(JamfError::NotFound(format!(
                    "no computer group with id {id}"
                )));
            }
            result => result?,
        };
        let bad = |detail: &str| JamfError::Parse {
            endpoint: format!("GET /{path}"),
            detail: detail.to_owned(),
        };
        let group = envelope
            .computer_group
            .ok_or_else(|| bad("the answer has no computer_group"))?;
        let mut members = group
            .computers
            .into_iter()
            .map(|m| m.id.as_deref().map(ComputerId::parse))
            .collect::<Option<Result<Vec<_>, _>>>()
            .ok_or_else(|| bad("a member has no id"))?
            .map_err(|_| bad("a member's id is not a computer id"))?;
        members.sort_by_key(|m| m.as_str().parse::<u64>().unwrap_or(u64::MAX));
        members.dedup();
        let name = group.name.unwrap_or_else(|| format!("group {id}"));
        if members.is_empty() {
            return Err(JamfError::InvalidArgument(format!(
                "computer group {name:?} (id {id}) has no members"
            )));
        }
        Ok(ComputerGroupMembers {
            id: id.clone(),
            name,
            smart: group.is_smart,
            member_count: members.len(),
            members,
        })
    }

    /// Computers whose `field` is any of `values`, a batch of values per filter, each batch
    /// paged.
    async fn look_up(
        &self,
        field: Field,
        values: &[&str],
    ) -> Result<Vec<TargetComputer>, JamfError> {
        let values = unique(values.iter().copied());
        if values.is_empty() {
            return Err(JamfError::InvalidArgument("no computers were named".into()));
        }
        let sections = [
            Section::General,
            Section::Hardware,
            Section::OperatingSystem,
        ];
        let mut found = Vec::new();
        for batch in values.chunks(LOOKUP_BATCH) {
            let filter = Filter::one_of(field, batch)?;
            let (_, computers) = self
                .all_computers_matching(&sections, Some(&filter), &|_, _| {})
                .await?;
            found.extend(computers.iter().filter_map(TargetComputer::from_raw));
        }
        found.sort_by(|a, b| a.id.cmp(&b.id));
        found.dedup_by(|a, b| a.id == b.id);
        Ok(found)
    }
}

impl TargetComputer {
    /// `None` for a record without a readable id, which no change could address.
    fn from_raw(c: &RawComputer) -> Option<Self> {
        let owned = |s: Option<&str>| s.map(str::to_owned);
        Some(Self {
            id: ComputerId::parse(c.id.as_deref()?).ok()?,
            serial: owned(c.serial()),
            name: owned(c.name()),
            model: owned(c.model()),
            model_identifier: owned(c.model_identifier()),
            os_version: c.sofa_version(),
            management_id: owned(c.management_id()),
        })
    }
}

/// `items` in the order their keys first appear in `wanted`.
fn order_by<'a>(
    wanted: impl Iterator<Item = &'a str>,
    items: impl IntoIterator<Item = TargetComputer>,
    key: impl Fn(&TargetComputer) -> String,
) -> Vec<TargetComputer> {
    let mut rank: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, k) in wanted.enumerate() {
        rank.entry(k).or_insert(i);
    }
    let mut items: Vec<TargetComputer> = items.into_iter().collect();
    items.sort_by_key(|c| rank.get(key(c).as_str()).copied().unwrap_or(usize::MAX));
    items
}

/// The values once each, in first-seen order.
fn unique<'a>(values: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = BTreeSet::new();
    values.filter(|v| seen.insert(*v)).collect()
}

/// "A, B and C", or the first [`LISTED`] and "and N more".
pub(crate) fn listing<S: AsRef<str>>(items: &[S]) -> String {
    let shown: Vec<&str> = items.iter().take(LISTED).map(AsRef::as_ref).collect();
    match (items.len(), shown.split_last()) {
        (_, None) => String::new(),
        (1, Some((only, _))) => (*only).to_owned(),
        (n, Some((last, rest))) if n <= LISTED => format!("{} and {last}", rest.join(", ")),
        (n, Some(_)) => format!("{} and {} more", shown.join(", "), n - LISTED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_read_as_a_sentence_and_stay_short() {
        assert_eq!(listing(&["A"]), "A");
        assert_eq!(listing(&["A", "B", "C"]), "A, B and C");
        let many: Vec<String> = (0..25).map(|i| i.to_string()).collect();
        assert!(
            listing(&many).ends_with("19 and 5 more"),
            "{}",
            listing(&many)
        );
    }
}
