//! The `CVEs` field in every published shape: `{id: bool}` (v1, true = exploited),
//! `{id: {nist_url, actively_exploited, in_kev, severity}}` (v2 2025),
//! `{id: {NISTURL, ActivelyExploited, InKEV, Severity}}` (schema 2026.04.11),
//! `{id: {exploited, kev, ...}}` (Safari) and a plain id list (BSI entries).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::lenient::{Loose, skip_scalars};

/// One CVE as published, before normalization.
#[derive(Debug, Default)]
pub(super) struct RawCve {
    pub id: String,
    pub exploited: Option<bool>,
    pub in_kev: Option<bool>,
    pub severity: Option<String>,
    pub nist_url: Option<String>,
}

/// `deserialize_with` for a release's `CVEs`; anything unrecognized reads as no CVEs.
pub(super) fn cves<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<RawCve>, D::Error> {
    d.deserialize_any(CvesVisitor)
}

struct CvesVisitor;

impl<'de> Visitor<'de> for CvesVisitor {
    type Value = Vec<RawCve>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CVE map or list")
    }
    skip_scalars!(Vec::new());
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        while let Some(id) = map.next_key::<String>()? {
            let detail: RawCve = map.next_value()?;
            out.push(RawCve { id, ..detail });
        }
        Ok(out)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element::<Loose>()? {
            if let Some(id) = item.into_string() {
                out.push(RawCve {
                    id,
                    ..RawCve::default()
                });
            }
        }
        Ok(out)
    }
}

/// The keys of a CVE detail object, in every spelling the feeds have used.
#[derive(Deserialize)]
enum Field {
    #[serde(
        rename = "actively_exploited",
        alias = "ActivelyExploited",
        alias = "exploited"
    )]
    Exploited,
    #[serde(rename = "in_kev", alias = "InKEV", alias = "kev")]
    InKev,
    #[serde(rename = "severity", alias = "Severity")]
    Severity,
    #[serde(rename = "nist_url", alias = "NISTURL")]
    NistUrl,
    #[serde(other)]
    Other,
}

/// The value side of one CVE entry (its `id` is filled in by the map visitor).
impl<'de> Deserialize<'de> for RawCve {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DetailVisitor)
    }
}

struct DetailVisitor;

impl<'de> Visitor<'de> for DetailVisitor {
    type Value = RawCve;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CVE flag or detail object")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawCve, E> {
        Ok(RawCve {
            exploited: Some(v),
            ..RawCve::default()
        })
    }
    // Every other scalar carries no detail.
    fn visit_str<E: de::Error>(self, _: &str) -> Result<RawCve, E> {
        Ok(RawCve::default())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<RawCve, E> {
        Ok(RawCve::default())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<RawCve, E> {
        Ok(RawCve::default())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<RawCve, E> {
        Ok(RawCve::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<RawCve, E> {
        Ok(RawCve::default())
    }
    fn visit_none<E: de::Error>(self) -> Result<RawCve, E> {
        Ok(RawCve::default())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawCve, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<RawCve, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| RawCve::default())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawCve, A::Error> {
        let mut cve = RawCve::default();
        while let Some(field) = map.next_key()? {
            match field {
                Field::Exploited => cve.exploited = map.next_value::<Loose>()?.into_bool(),
                Field::InKev => cve.in_kev = map.next_value::<Loose>()?.into_bool(),
                Field::Severity => cve.severity = map.next_value::<Loose>()?.into_string(),
                Field::NistUrl => cve.nist_url = map.next_value::<Loose>()?.into_string(),
                Field::Other => _ = map.next_value::<IgnoredAny>()?,
            }
        }
        Ok(cve)
    }
}
