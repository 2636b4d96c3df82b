//! Forgiving object readers: an object where one is expected, else "absent" (or, for the
//! document itself, a clear error); device lists that hold objects instead of strings.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::lenient::{Loose, list, skip_scalars};

/// Device identifiers: strings, or objects naming a `board_id` (the 2026.03.24 layout).
pub(super) fn ids<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    let items: Option<Vec<Id>> = list(d)?;
    Ok(items.map(|items| items.into_iter().filter_map(|Id(id)| id).collect()))
}

/// One device identifier: a string, or the `board_id`/`BoardID` of an object.
struct Id(Option<String>);

#[derive(Deserialize)]
enum IdField {
    #[serde(rename = "board_id", alias = "BoardID")]
    BoardId,
    #[serde(other)]
    Other,
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IdVisitor)
    }
}

struct IdVisitor;

impl<'de> Visitor<'de> for IdVisitor {
    type Value = Id;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a device identifier")
    }
    skip_scalars!(Id(None));
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
        Ok(Id(Some(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Id, E> {
        Ok(Id(Some(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Id, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| Id(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Id, A::Error> {
        let mut id = None;
        while let Some(field) = map.next_key()? {
            match field {
                IdField::BoardId => id = map.next_value::<Loose>()?.into_string(),
                IdField::Other => _ = map.next_value::<IgnoredAny>()?,
            }
        }
        Ok(Id(id))
    }
}

/// An object field as `(key, value)` pairs in feed order; a non-object reads as empty.
pub(super) fn entries<'de, D, T>(d: D) -> Result<Vec<(String, T)>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    d.deserialize_any(EntriesVisitor(PhantomData))
}

struct EntriesVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for EntriesVisitor<T> {
    type Value = Vec<(String, T)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    skip_scalars!(Vec::new());
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| Vec::new())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        while let Some(entry) = map.next_entry()? {
            out.push(entry);
        }
        Ok(out)
    }
}

/// An object field; a non-object reads as absent.
pub(super) fn object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Object::deserialize(d).map(|Object(value)| value)
}

/// A list of objects; items that are not objects are dropped.
pub(super) fn objects<'de, D, T>(d: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let items: Option<Vec<Object<T>>> = list(d)?;
    Ok(items.map(|items| {
        items
            .into_iter()
            .filter_map(|Object(value)| value)
            .collect()
    }))
}

/// An object of objects as `(key, value)` pairs; values that are not objects are dropped.
pub(super) fn object_entries<'de, D, T>(d: D) -> Result<Vec<(String, T)>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let items: Vec<(String, Object<T>)> = entries(d)?;
    Ok(items
        .into_iter()
        .filter_map(|(key, Object(value))| Some((key, value?)))
        .collect())
}

/// `Some(T)` when the value is a JSON object, `None` for any other value.
struct Object<T>(Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjectVisitor(PhantomData))
    }
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = Object<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    skip_scalars!(Object(None));
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Object(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| Object(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(|value| Object(Some(value)))
    }
}

/// The top-level document: it must be an object (a derived struct would also accept an array).
pub(super) fn document<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let Object(value) = Object::deserialize(d)?;
    value.ok_or_else(|| de::Error::custom("a SOFA feed is a JSON object"))
}
