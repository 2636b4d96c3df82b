//! The full-text index `entries_text`: what each entry contributes to it, keeping it up to date,
//! and a [`Filter`] as an FTS5 `MATCH` expression.
//!
//! An entry's document is its words (assistant, tool, domain, arguments, error kind) and one
//! *facet token* per filterable value: a private-use mark, the column's letter and 64 bits of
//! SHA-256 of the value. FTS5's tokenizer keeps the mark as part of the token, while user
//! words are cut down to letters and digits, so a search can never match a facet token. A
//! filter on `tool = X` is then the facet token for X, and any mix of filters and words is
//! one lazy intersection inside FTS5. Admin entries also carry a kind token (`k`, `admin`);
//! other kinds do not, because rows indexed before admin entries existed have none, so
//! "calls only" is a condition on `entries.kind` instead (nearly every row is a call, so it
//! costs nothing). (Two values sharing 64 bits of their hash would be
//! confused; with thousands of distinct values that chance is about 1 in 10^13.)
//!
//! The index follows the chain rather than being written with each entry: [`catch_up`] indexes
//! the entries after `entries_indexed.through` from their stored rows, in one transaction with
//! the new mark, which also keeps the hash of the entry it names. A mark whose entry is gone or
//! changed (a tail cut off the file, then appended to again) starts the index over: the
//! entries that took the cut ones' numbers are indexed, and what was cut is found no more. Indexing a few thousand entries at once costs a fraction of indexing them one
//! commit at a time (FTS5 writes, then merges, one segment per transaction, and every token
//! goes into ten prefix indexes), so a burst of calls does not pay for it while it lasts; the
//! log catches up once the burst is over, and always before a search reads the index.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::AuditError;
use crate::model::Seq;

use crate::search::{Filter, KindFilter};

/// Starts every facet token (U+E000, private use: a token character to FTS5, never typed).
const FACET_MARK: char = '\u{E000}';

/// The filterable values of an entry.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Facets<'a> {
    pub assistant: Option<&'a str>,
    /// The name the client gave itself: found by an assistant filter as well.
    pub client: Option<&'a str>,
    pub tool: Option<&'a str>,
    pub domain: Option<&'a str>,
    pub decision: Option<&'a str>,
    /// An admin entry (indexed with a kind token).
    pub admin: bool,
}

impl<'a> Facets<'a> {
    fn tokens(&self) -> impl Iterator<Item = String> + 'a {
        let Facets {
            assistant,
            client,
            tool,
            domain,
            decision,
            admin,
        } = *self;
        [
            ('a', assistant),
            ('a', client),
            ('t', tool),
            ('d', domain),
            ('c', decision),
            ('k', admin.then_some("admin")),
        ]
        .into_iter()
        .filter_map(|(column, value)| value.map(|v| facet(column, v)))
    }
}

/// The indexed text of an entry.
fn document(words: &[&str], facets: &Facets<'_>) -> String {
    let mut text = words.join(" ");
    for token in facets.tokens() {
        text.push(' ');
        text.push_str(&token);
    }
    text
}

/// The columns an entry's document is made of.
const DOCUMENT_COLUMNS: &str =
    "seq, kind, assistant, client, tool, domain, decision, arguments, approval, error_kind, hash";

/// Indexes up to `limit` entries (all, with `None`) of those the index does not hold yet, oldest
/// first, inside `conn`'s open write transaction; returns the last entry the index now
/// covers. A checkpoint has no document; the others' are made from their stored rows: the
/// words an entry was written with (an intent's arguments and the client's own name, an admin
/// entry's details, an outcome's error kind) and its facets.
pub(crate) fn catch_up(
    conn: &Connection,
    path: &Path,
    limit: Option<u64>,
) -> Result<Seq, AuditError> {
    let sqlite = |e| AuditError::sqlite(path, e);
    let (mut through, mut mark): (i64, Option<Vec<u8>>) = conn
        .query_row("SELECT through, hash FROM entries_indexed", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .map_err(sqlite)?;
    let mut reset = false;
    if through > 0 {
        let now: Option<Vec<u8>> = conn
            .query_row("SELECT hash FROM entries WHERE seq = ?1", [through], |r| {
                r.get(0)
            })
            .optional()
            .map_err(sqlite)?;
        if now.is_none() || now != mark {
            tracing::warn!(
                "the audit log no longer holds entry {through} as the word index saw it: \
                 indexing every entry again"
            );
            conn.execute(
                "INSERT INTO entries_text (entries_text) VALUES ('delete-all')",
                [],
            )
            .map_err(sqlite)?;
            (through, mark, reset) = (0, None, true);
        }
    }
    let limit = limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
    let mut rows = conn
        .prepare_cached(&format!(
            "SELECT {DOCUMENT_COLUMNS} FROM entries WHERE seq > ?1 ORDER BY seq LIMIT ?2"
        ))
        .map_err(sqlite)?;
    let mut insert = conn
        .prepare_cached("INSERT INTO entries_text (rowid, text) VALUES (?1, ?2)")
        .map_err(sqlite)?;
    let (mut last, mut last_hash) = (through, mark);
    let mut found = rows.query((through, limit)).map_err(sqlite)?;
    while let Some(row) = found.next().map_err(sqlite)? {
        let text = |i: usize| -> Result<Option<&str>, AuditError> {
            let value = row.get_ref(i).map_err(sqlite)?;
            value.as_str_or_null().map_err(|e| sqlite(e.into()))
        };
        let seq: i64 = row.get(0).map_err(sqlite)?;
        let kind = text(1)?.unwrap_or_default();
        last = seq;
        last_hash = row.get(10).map_err(sqlite)?;
        if kind == "checkpoint" {
            continue;
        }
        let facets = Facets {
            assistant: text(2)?,
            client: text(3)?,
            tool: text(4)?,
            domain: text(5)?,
            decision: text(6)?,
            admin: kind == "admin",
        };
        let words = [
            facets.assistant,
            // Only an intent was written with the client's own name as a word.
            facets.client.filter(|_| kind == "intent"),
            facets.tool,
            facets.domain,
            text(7)?,
            text(8)?,
            text(9)?,
        ]
        .map(Option::unwrap_or_default);
        insert
            .execute((seq, document(&words, &facets)))
            .map_err(sqlite)?;
    }
    if last != through || reset {
        conn.execute(
            "UPDATE entries_indexed SET through = ?1, hash = ?2",
            (last, &last_hash),
        )
        .map_err(sqlite)?;
    }
    Ok(Seq(last.max(0) as u64))
}

/// The `MATCH` expression for `filter`'s values and words, all required; `None` if the filter
/// names neither (time ranges are `seq` ranges, outside the expression).
pub(crate) fn match_expression(filter: &Filter) -> Option<String> {
    let facets = Facets {
        assistant: filter.assistant.as_deref(),
        client: None,
        tool: filter.tool.as_deref(),
        domain: filter.domain.as_deref(),
        decision: filter.decision.map(|d| d.as_str()),
        admin: filter.kind == Some(KindFilter::Admin),
    };
    let terms: Vec<String> = facets
        .tokens()
        .map(|token| format!("\"{token}\""))
        .chain(
            filter
                .text
                .as_deref()
                .map(match_words)
                .into_iter()
                .flatten(),
        )
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// User text as FTS5 terms: each run of letters and digits a quoted prefix term. Nothing of
/// the input reaches FTS5's query syntax unquoted.
fn match_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| format!("\"{word}\"*"))
        .collect()
}

fn facet(column: char, value: &str) -> String {
    let digest = Sha256::new()
        .chain_update([column as u8, 0])
        .chain_update(value)
        .finalize();
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut token = String::with_capacity(20);
    token.push(FACET_MARK);
    token.push(column);
    for byte in &digest[..8] {
        token.push(char::from(HEX[usize::from(byte >> 4)]));
        token.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    token
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Decision;

    #[test]
    fn user_text_cannot_reach_fts_syntax_or_facets() {
        let words = |t: &str| match_words(t).join(" ");
        assert_eq!(words("acme C02XL"), "\"acme\"* \"C02XL\"*");
        assert_eq!(words("a\" OR b*) NEAR("), "\"a\"* \"OR\"* \"b\"* \"NEAR\"*");
        assert_eq!(words("\u{E000}t1234"), "\"t1234\"*");
        assert_eq!(words("..."), "");
    }

    #[test]
    fn filters_become_facet_tokens_and_words() {
        let filter = Filter {
            tool: Some("jamf_get_computer".to_owned()),
            decision: Some(Decision::Denied),
            text: Some("acme".to_owned()),
            ..Filter::default()
        };
        let expression = match_expression(&filter).unwrap();
        let tool = facet('t', "jamf_get_computer");
        assert!(expression.starts_with(&format!("\"{tool}\" \"{}\"", facet('c', "denied"))));
        assert!(expression.ends_with(" \"acme\"*"));
        assert_eq!(tool.chars().count(), 18);
        assert_ne!(
            facet('t', "x"),
            facet('d', "x"),
            "columns do not share tokens"
        );
        assert_eq!(match_expression(&Filter::default()), None);
    }
}
