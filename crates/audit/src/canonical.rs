//! The canonical encoding an entry's hash covers, and the hash itself.
//!
//! An entry's hash is SHA-256 over `PREFIX` followed by each column of [`HASHED`], in that
//! order, encoded by its SQLite storage class:
//!
//! | value   | bytes                                                  |
//! |---------|--------------------------------------------------------|
//! | NULL    | `00`                                                   |
//! | INTEGER | `01`, then the value as 8 bytes, big-endian two's complement |
//! | TEXT    | `02`, then the byte length as 8 bytes big-endian, then the UTF-8 bytes |
//! | BLOB    | `03`, then the byte length as 8 bytes big-endian, then the bytes |
//!
//! The last columns, `approval` (added in schema 2) and `client` (schema 3), are encoded up to
//! the last of them that is not NULL: every row written before they existed hashes exactly as
//! it did. Every value is self-delimiting and says its type, so a row that ends earlier can
//! never encode like one that ends later (`approval` NULL before a `client` is encoded as
//! NULL, which no TEXT value starts with).
//!
//! Every value says its own type and length and the column order is fixed, so two different
//! rows never encode to the same bytes. The writer binds the very [`Field`]s it hashed, and
//! the verifier hashes what SQLite hands back, so the two cannot drift apart through a
//! serialisation step (JSON arguments are hashed as the stored text, not re-serialised).

use rusqlite::ToSql;
use rusqlite::types::{ToSqlOutput, ValueRef};
use sha2::{Digest, Sha256};

use crate::model::Hash;

/// Names the encoding, so a hash from another format or version can never match.
const PREFIX: &[u8] = b"latchkey-audit v1\n";

/// The columns an entry's hash covers, in encoding order: every column but `hash` itself
/// (the optional ones up to the last that is not NULL).
pub(crate) const HASHED: [&str; 21] = [
    "seq",
    "kind",
    "time_us",
    "assistant",
    "assistant_version",
    "executable",
    "pid",
    "bundle_id",
    "tool",
    "arguments",
    "domain",
    "decision",
    "result",
    "error_kind",
    "duration_us",
    "intent_seq",
    "pruned_through",
    "pruned_hash",
    "prev_hash",
    "approval",
    "client",
];

/// Positions in [`HASHED`] that other modules read by index.
pub(crate) const SEQ: usize = 0;
pub(crate) const PREV_HASH: usize = 18;
/// From here on, encoded up to the last that is not NULL (see the module's documentation).
const OPTIONAL_FROM: usize = 19;

/// One column's value, as stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Field<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl<'a> Field<'a> {
    /// What SQLite returned; `None` for a REAL (no column holds one) or invalid UTF-8 text,
    /// which only a damaged or forged row can contain.
    pub(crate) fn from_sql(value: ValueRef<'a>) -> Option<Self> {
        match value {
            ValueRef::Null => Some(Field::Null),
            ValueRef::Integer(i) => Some(Field::Int(i)),
            ValueRef::Text(t) => std::str::from_utf8(t).ok().map(Field::Text),
            ValueRef::Blob(b) => Some(Field::Blob(b)),
            ValueRef::Real(_) => None,
        }
    }

    pub(crate) fn text(value: Option<&'a str>) -> Self {
        value.map_or(Field::Null, Field::Text)
    }

    pub(crate) fn int(value: Option<i64>) -> Self {
        value.map_or(Field::Null, Field::Int)
    }

    fn encode(&self, hasher: &mut Sha256) {
        match *self {
            Field::Null => hasher.update([0]),
            Field::Int(i) => {
                hasher.update([1]);
                hasher.update(i.to_be_bytes());
            }
            Field::Text(t) => {
                hasher.update([2]);
                hasher.update((t.len() as u64).to_be_bytes());
                hasher.update(t.as_bytes());
            }
            Field::Blob(b) => {
                hasher.update([3]);
                hasher.update((b.len() as u64).to_be_bytes());
                hasher.update(b);
            }
        }
    }
}

impl ToSql for Field<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match *self {
            Field::Null => ValueRef::Null,
            Field::Int(i) => ValueRef::Integer(i),
            Field::Text(t) => ValueRef::Text(t.as_bytes()),
            Field::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// The hash of a row given as the [`HASHED`] columns in order.
pub(crate) fn row_hash(fields: &[Field<'_>; HASHED.len()]) -> Hash {
    let (always, optional) = fields.split_at(OPTIONAL_FROM);
    let present = optional
        .iter()
        .rposition(|f| *f != Field::Null)
        .map_or(0, |last| last + 1);
    hash(always.iter().chain(&optional[..present]).copied())
}

/// SHA-256 of the prefix and `fields`, each encoded.
fn hash<'a>(fields: impl IntoIterator<Item = Field<'a>>) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(PREFIX);
    for field in fields {
        field.encode(&mut hasher);
    }
    Hash(hasher.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_bytes_between_fields_changes_the_hash() {
        let a = hash([Field::Text("ab"), Field::Text("c")]);
        let b = hash([Field::Text("a"), Field::Text("bc")]);
        assert_ne!(a, b);
    }

    #[test]
    fn types_are_part_of_the_encoding() {
        assert_ne!(hash([Field::Null]), hash([Field::Text("")]));
        assert_ne!(hash([Field::Text("")]), hash([Field::Blob(b"")]));
        assert_ne!(hash([Field::Int(0)]), hash([Field::Blob(&[0; 8])]));
    }

    #[test]
    fn the_optional_tail_is_encoded_up_to_its_last_present_column() {
        let mut fields = [Field::Null; HASHED.len()];
        fields[SEQ] = Field::Int(1);
        let without = row_hash(&fields);
        assert_eq!(without, hash(fields[..OPTIONAL_FROM].iter().copied()));
        // An approval alone: encoded, the client after it not.
        fields[OPTIONAL_FROM] = Field::Text("grant g-1");
        let approved = row_hash(&fields);
        assert_ne!(approved, without);
        assert_eq!(approved, hash(fields[..=OPTIONAL_FROM].iter().copied()));
        // A client alone: the approval before it encoded as NULL, so the same text in
        // either column can never hash alike.
        fields[OPTIONAL_FROM] = Field::Null;
        fields[OPTIONAL_FROM + 1] = Field::Text("grant g-1");
        assert_ne!(row_hash(&fields), approved);
        assert_eq!(row_hash(&fields), hash(fields.iter().copied()));
    }

    #[test]
    fn the_encoding_is_stable() {
        // Pinned: changing the encoding would orphan every existing log.
        let h = hash([Field::Int(1), Field::Text("intent"), Field::Null]);
        assert_eq!(
            h.to_string(),
            "a015d984c54d907a919b29f2f0cd0d56be526db9aad10477c4117befe117611c"
        );
    }
}
