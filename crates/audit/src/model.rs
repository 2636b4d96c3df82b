//! What an entry says: who called which tool with what, what was decided, and how it ended.
//! These are the values callers hand in and get back; how they are stored and hashed is in
//! `row.rs` and `canonical.rs`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An entry's place in the chain: 1, 2, 3, … Gaps never occur, except that pruning removes
/// a prefix (see [`crate::AuditLog::prune`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(transparent)]
pub struct Seq(pub u64);

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The assistant that made a call, as the broker identified it. `name` is what the
/// allow-list calls it, from what the OS said of the process on the other end of the socket
/// (which the client cannot choose); `client` and `version` are what the MCP client said
/// about itself (`clientInfo`), which it can.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Assistant {
    /// The name the allow-list gives it, e.g. `Claude` or `python3.11 running tool.py`; the
    /// client's own name when the OS did not say (and in entries from before schema 3).
    pub name: String,
    /// MCP `clientInfo.name`, e.g. `claude-ai`, when it differs from `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// MCP `clientInfo.version`.
    pub version: String,
    /// The peer process's executable path.
    pub executable: Option<String>,
    /// The peer process's id.
    pub pid: Option<u32>,
    /// The app bundle the peer belongs to (macOS).
    pub bundle_id: Option<String>,
}

/// What the broker decided about a call before running it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Decision {
    /// Allowed by policy without asking (a read-only tool in an unlocked domain).
    Allowed,
    /// Allowed because the human approved it (or a remembered grant did).
    Approved,
    /// The human said no.
    Denied,
    /// Refused because the domain's credentials are locked.
    RefusedLocked,
    /// Refused because the assistant has not been allowed by the user.
    RefusedUnknownClient,
    /// A changing call that nobody approved in time.
    TimedOut,
    /// A changing call whose arguments or preview were refused before anyone was asked.
    RefusedInvalid,
    /// Refused because the assistant made calls faster than Latchkey allows.
    RefusedRateLimited,
}

impl Decision {
    /// Every decision, in declaration order.
    pub const ALL: [Decision; 8] = [
        Decision::Allowed,
        Decision::Approved,
        Decision::Denied,
        Decision::RefusedLocked,
        Decision::RefusedUnknownClient,
        Decision::TimedOut,
        Decision::RefusedInvalid,
        Decision::RefusedRateLimited,
    ];

    /// The stored (and serialised) name, e.g. `refused_locked`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::Approved => "approved",
            Decision::Denied => "denied",
            Decision::RefusedLocked => "refused_locked",
            Decision::RefusedUnknownClient => "refused_unknown_client",
            Decision::TimedOut => "timed_out",
            Decision::RefusedInvalid => "refused_invalid",
            Decision::RefusedRateLimited => "refused_rate_limited",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text names no decision; the message lists them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{given:?} is not a decision: use one of {}", Decision::ALL.map(Decision::as_str).join(", "))]
pub struct BadDecision {
    /// What was given.
    pub given: String,
}

impl FromStr for Decision {
    type Err = BadDecision;

    /// The stored name (`refused_locked`); case and `-` for `_` are forgiven.
    fn from_str(s: &str) -> Result<Self, BadDecision> {
        let name = s.trim().to_ascii_lowercase().replace('-', "_");
        Self::parse(&name).ok_or_else(|| BadDecision {
            given: s.to_owned(),
        })
    }
}

/// A call about to run (or refused): recorded by [`crate::AuditLog::record_intent`] before
/// the tool runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Intent {
    /// Who asked.
    pub assistant: Assistant,
    /// The tool's name, e.g. `jamf_list_computers`.
    pub tool: String,
    /// The call's arguments as the assistant sent them; redacted before they are stored.
    pub arguments: serde_json::Value,
    /// The system the call is aimed at, e.g. `jamf:acme.jamfcloud.com`.
    pub domain: Option<String>,
    /// What the broker decided.
    pub decision: Decision,
    /// For a changing tool, how it was approved, e.g. `approved once by the person (request
    /// 7f3a)` or `grant g-1234 (until 14:05)`. Stored and hashed only when present.
    pub approval: Option<String>,
}

/// Something done to Latchkey itself rather than through a tool: an unlock, a credential
/// added, a policy set, an approval given or timed out, a grant created. Recorded by
/// [`crate::AuditLog::record_admin`] in the same chain as the calls, as an
/// [`EntryKind::Admin`] entry that reads back with `tool` = the action and `arguments` = the
/// (redacted) details.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminEvent {
    /// Who did it: the person through the app or the CLI (as the OS saw the process), or
    /// Latchkey itself (a timeout).
    pub actor: Assistant,
    /// What was done, e.g. `unlock`, `credential.rotate`, `approval.timeout`.
    pub action: String,
    /// What it was done to (labels, ids, durations); redacted like arguments.
    pub details: serde_json::Value,
    /// The system it concerns, if one.
    pub domain: Option<String>,
    /// Done (`allowed`), approved by presence (`approved`), declined (`denied`), or
    /// `timed_out`.
    pub decision: Decision,
}

/// How a call ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CallResult {
    /// The tool succeeded.
    Ok,
    /// The tool failed; a short kind such as `timeout` or `http_403` (redacted like
    /// arguments, and never the full error text, which may quote a server's reply).
    Error(String),
}

/// A call's end: recorded by [`crate::AuditLog::record_outcome`] as its own entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Success, or the kind of failure.
    pub result: CallResult,
    /// How long the tool ran.
    pub duration: Duration,
}

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A call, before it ran (or its refusal).
    Intent,
    /// A call's end, linked to its intent.
    Outcome,
    /// Where a pruned prefix of the chain ended, so what remains still verifies.
    Checkpoint,
    /// Something done to Latchkey itself ([`AdminEvent`]), or by the log about itself
    /// (`chain.broken`, `chain.acknowledge`): `tool` holds the action, `arguments` the details.
    Admin,
}

impl EntryKind {
    const ALL: [EntryKind; 4] = [
        EntryKind::Intent,
        EntryKind::Outcome,
        EntryKind::Checkpoint,
        EntryKind::Admin,
    ];

    /// The stored (and serialised) name, e.g. `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Intent => "intent",
            EntryKind::Outcome => "outcome",
            EntryKind::Checkpoint => "checkpoint",
            EntryKind::Admin => "admin",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One entry as read back. An outcome repeats its intent's assistant, tool, domain and
/// decision (so filters find both); only the intent has the arguments.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Entry {
    /// Its place in the chain.
    pub seq: Seq,
    /// When it was written (UTC; never earlier than the entry before it).
    pub time: DateTime<Utc>,
    /// What it records.
    pub kind: EntryKind,
    /// Who asked (intents and outcomes), or who acted (admin entries).
    pub assistant: Option<Assistant>,
    /// The tool (intents and outcomes), or the action (admin entries, e.g. `unlock`).
    pub tool: Option<String>,
    /// The redacted arguments (intents), or the details (admin entries).
    pub arguments: Option<serde_json::Value>,
    /// The target system, if the call had one.
    pub domain: Option<String>,
    /// The broker's decision (intents, outcomes and admin entries).
    pub decision: Option<Decision>,
    /// How a changing call was approved (intents that say so).
    pub approval: Option<String>,
    /// How the call ended (outcomes).
    pub result: Option<CallResult>,
    /// How long the call ran (outcomes), in microseconds when serialised.
    #[serde(rename = "duration_us", serialize_with = "micros")]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub duration: Option<Duration>,
    /// The intent an outcome belongs to.
    pub intent: Option<Seq>,
    /// The last entry a checkpoint's prune removed.
    pub pruned_through: Option<Seq>,
    /// That entry's hash, where the remaining chain picks up.
    pub pruned_hash: Option<Hash>,
    /// The previous entry's hash.
    pub prev_hash: Hash,
    /// This entry's hash (see the crate README for what it covers).
    pub hash: Hash,
}

fn micros<S: Serializer>(duration: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    duration.map(|d| d.as_micros()).serialize(s)
}

/// A SHA-256 hash, shown and serialised as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The first entry's `prev_hash`.
    pub const GENESIS: Hash = Hash([0; 32]);
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

/// The text is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a hash must be 64 hex digits")]
pub struct BadHash;

impl FromStr for Hash {
    type Err = BadHash;

    fn from_str(s: &str) -> Result<Self, BadHash> {
        let digits = s.as_bytes();
        if digits.len() != 64 {
            return Err(BadHash);
        }
        let nibble = |c: u8| char::from(c).to_digit(16).map(|d| d as u8).ok_or(BadHash);
        let mut bytes = [0; 32];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
        }
        Ok(Hash(bytes))
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_round_trip_through_hex() {
        let hash = Hash(std::array::from_fn(|i| (i * 7) as u8));
        let text = hash.to_string();
        assert_eq!(text.len(), 64);
        assert_eq!(text.parse::<Hash>(), Ok(hash));
        let json = serde_json::to_string(&hash).unwrap();
        assert_eq!(serde_json::from_str::<Hash>(&json).unwrap(), hash);
        assert_eq!("12".parse::<Hash>(), Err(BadHash));
        assert_eq!("+1".repeat(32).parse::<Hash>(), Err(BadHash));
    }

    #[test]
    fn decisions_round_trip_through_their_names() {
        for decision in Decision::ALL {
            assert_eq!(Decision::parse(decision.as_str()), Some(decision));
            let json = serde_json::to_value(decision).unwrap();
            assert_eq!(json, decision.as_str());
            assert_eq!(decision.as_str().parse::<Decision>(), Ok(decision));
            let kebab = decision.as_str().replace('_', "-").to_uppercase();
            assert_eq!(kebab.parse::<Decision>(), Ok(decision));
        }
        assert_eq!("timed_out".parse::<Decision>(), Ok(Decision::TimedOut));
        let error = "maybe".parse::<Decision>().unwrap_err().to_string();
        assert!(
            error.contains("allowed,") && error.contains("timed_out"),
            "{error}"
        );
    }

    #[test]
    fn entry_kinds_round_trip_through_their_names() {
        for kind in EntryKind::ALL {
            assert_eq!(EntryKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }
}
