//! Files only the broker writes, sealed: `assistants.json` (who may connect) and
//! `settings.json` (how long unlocks last) carry an HMAC-SHA256 of their content, keyed by a
//! secret Latchkey keeps in the OS secret store. A file edited behind the broker's back (an
//! "allowed" record added, a 12-hour unlock), one without a seal (written by an earlier
//! version, or by hand) and one whose key is gone are refused: their owner starts from nothing
//! (an empty allow-list, the default policy), the person is told (`latchkey doctor`, the app)
//! and the refusal goes on the audit log. A refused file is left as found; a new sealed one is
//! written only when the person next changes what it holds, so a tampered file is never
//! blessed.
//!
//! The key is read (or, when there is none, made) once, when the broker starts; files are
//! verified and sealed with it from then on without another trip to the store.
//!
//! The seal proves Latchkey wrote a file, not that it is the newest one Latchkey wrote, and it
//! holds only while the key cannot be read: on Linux any process of the user can read it
//! through the Secret Service (see SECURITY.md).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use latchkey_vault::SecretStore;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::Services;
use crate::pipeline::admin::{Actor, Event};
use crate::services::credentials::save_json;

type HmacSha256 = Hmac<hmac_sha2::Sha256>;

/// How a seal starts in a file: the algorithm, so that another can be told apart later.
const SCHEME: &str = "hmac-sha256:";
/// Random bytes in a key; the store keeps them as hex, which is what the MAC is keyed with.
const KEY_BYTES: usize = 32;
/// Why an unsealed file is refused, and where it most likely came from.
const UNSEALED: &str = "it has no seal (an earlier version of Latchkey wrote it without one, or \
                        it was written by hand)";

/// The key that seals one configuration directory's files, as found when the broker started.
pub struct ConfigSeal {
    key: Key,
}

enum Key {
    /// The key that sealed the files there.
    Found(Zeroizing<Vec<u8>>),
    /// A new key, made because the store had none (or a damaged one): files sealed before
    /// cannot be verified, for the reason given.
    Replaced {
        key: Zeroizing<Vec<u8>>,
        why: &'static str,
    },
    /// The store could not be read (or written): nothing can be verified or sealed.
    Unavailable(String),
}

impl ConfigSeal {
    /// Reads the key of `config_dir`'s files from `store`, or makes and stores one when there
    /// is none. Never fails: a store that cannot be reached makes every file there refused
    /// (and unsaved) until the broker starts again.
    pub async fn open(store: &dyn SecretStore, config_dir: &Path) -> Arc<Self> {
        let item = key_item(config_dir);
        let key = match store.state(&item).await {
            Ok(Some(stored)) if is_key(&stored) => Key::Found(Zeroizing::new(stored)),
            Ok(found) => {
                let why = match found {
                    Some(_) => "the key that sealed it was damaged in the secret store",
                    None => "the key that seals it is missing from the secret store",
                };
                let key = new_key();
                match store.set_state(&item, &key).await {
                    Ok(()) => Key::Replaced { key, why },
                    Err(e) => Key::Unavailable(format!(
                        "no key to seal it could be stored in the secret store: {e}"
                    )),
                }
            }
            Err(e) => Key::Unavailable(format!(
                "the key that seals it could not be read from the secret store: {e}"
            )),
        };
        if let Key::Unavailable(why) = &key {
            tracing::warn!("{}: {why}", config_dir.display());
        }
        Arc::new(Self { key })
    }

    /// The key files already there were sealed with, or why they cannot be verified.
    fn verifying_key(&self) -> Result<&[u8], String> {
        match &self.key {
            Key::Found(key) => Ok(key),
            Key::Replaced { why, .. } => Err((*why).to_owned()),
            Key::Unavailable(why) => Err(why.clone()),
        }
    }

    /// The key new files are sealed with.
    fn sealing_key(&self) -> Result<&[u8], String> {
        match &self.key {
            Key::Found(key) | Key::Replaced { key, .. } => Ok(key),
            Key::Unavailable(why) => Err(format!(
                "{why}; restart Latchkey once the secret store is available"
            )),
        }
    }
}

impl fmt::Debug for ConfigSeal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.key {
            Key::Found(_) => "found",
            Key::Replaced { .. } => "replaced",
            Key::Unavailable(_) => "unavailable",
        };
        f.debug_struct("ConfigSeal").field("key", &state).finish()
    }
}

/// The name of the store's state item holding the key for `config_dir` (side-by-side
/// installations, `LATCHKEY_HOME`, keep their own).
fn key_item(config_dir: &Path) -> String {
    format!("settings seal key of {}", config_dir.display())
}

fn new_key() -> Zeroizing<Vec<u8>> {
    let mut bytes = Zeroizing::new([0u8; KEY_BYTES]);
    getrandom::fill(&mut *bytes).expect("the OS random source is available");
    Zeroizing::new(hex::encode(*bytes).into_bytes())
}

fn is_key(stored: &[u8]) -> bool {
    stored.len() == 2 * KEY_BYTES && stored.iter().all(u8::is_ascii_hexdigit)
}

/// What a sealed file holds on disk.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    content: serde_json::Value,
    mac: String,
}

/// The MAC of `content` as the file `name` holds it (so one file's content cannot stand in
/// for another's).
fn mac(key: &[u8], name: &str, content: &serde_json::Value) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(b"latchkey sealed file v1\0");
    mac.update(name.as_bytes());
    mac.update(b"\0");
    let mut canonical = Vec::new();
    write_canonical(content, &mut canonical);
    mac.update(&canonical);
    mac
}

/// `value` as compact JSON with every object's keys in byte order: the same bytes whichever
/// order serde_json keeps an object's keys in (its `preserve_order` feature differs between
/// the app's build and the CLI's, and a person may reorder the file's keys by hand).
fn write_canonical(value: &serde_json::Value, out: &mut Vec<u8>) {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_plain(key, out);
                out.push(b':');
                write_canonical(item, out);
            }
            out.push(b'}');
        }
        serde_json::Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => write_plain(scalar, out),
    }
}

/// A string or scalar as serde_json writes it: it has one encoding (writing to a Vec cannot
/// fail).
fn write_plain(value: &impl Serialize, out: &mut Vec<u8>) {
    serde_json::to_writer(out, value).expect("JSON is written to memory");
}

/// A JSON file sealed with a [`ConfigSeal`]'s key.
#[derive(Debug)]
pub struct SealedFile {
    seal: Arc<ConfigSeal>,
    path: PathBuf,
    /// Why the file found at start was refused, until a sealed one replaces it.
    refused: Mutex<Option<String>>,
}

impl SealedFile {
    pub fn new(seal: Arc<ConfigSeal>, path: PathBuf) -> Self {
        Self {
            seal,
            path,
            refused: Mutex::new(None),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the file holds; `None` when there is none, or when it is refused (logged, and
    /// kept for [`Self::refusal`]).
    pub fn load<T: DeserializeOwned>(&self) -> Option<T> {
        match self.verified() {
            Ok(content) => content,
            Err(reason) => {
                tracing::warn!("refusing {}: {reason}", self.path.display());
                *self.refused_reason() = Some(reason);
                None
            }
        }
    }

    fn verified<T: DeserializeOwned>(&self) -> Result<Option<T>, String> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("it cannot be read: {e}")),
        };
        let found: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| format!("it is not JSON: {e}"))?;
        if found.get("mac").is_none() {
            return Err(UNSEALED.to_owned());
        }
        let envelope: Envelope = serde_json::from_value(found)
            .map_err(|_| "its seal is not one Latchkey writes".to_owned())?;
        let key = self.seal.verifying_key()?;
        let matches = envelope
            .mac
            .strip_prefix(SCHEME)
            .and_then(|digits| hex::decode(digits).ok())
            .is_some_and(|tag| {
                mac(key, &self.name(), &envelope.content)
                    .verify_slice(&tag)
                    .is_ok()
            });
        if !matches {
            return Err(
                "its seal does not match its content: it was changed outside Latchkey".to_owned(),
            );
        }
        serde_json::from_value(envelope.content)
            .map(Some)
            .map_err(|e| format!("its content is not what this version of Latchkey reads: {e}"))
    }

    /// Writes `value`, sealed, over the file (atomically); from then on the file is trusted.
    pub fn save<T: Serialize>(&self, value: &T) -> Result<(), String> {
        let key = self.seal.sealing_key()?;
        let content = serde_json::to_value(value).map_err(|e| e.to_string())?;
        let tag = mac(key, &self.name(), &content).finalize().into_bytes();
        let envelope = Envelope {
            content,
            mac: format!("{SCHEME}{}", hex::encode(tag)),
        };
        save_json(&self.path, &envelope)?;
        *self.refused_reason() = None;
        Ok(())
    }

    /// [`Self::save`] for a setting the person changed: a failure is the error they see.
    pub(crate) fn save_setting<T: Serialize>(
        &self,
        value: &T,
    ) -> Result<(), crate::services::credentials::CredentialError> {
        self.save(value).map_err(
            |reason| crate::services::credentials::CredentialError::Settings {
                path: self.path().to_owned(),
                reason,
            },
        )
    }

    /// Why the file found at start was refused, while no sealed file has replaced it.
    pub fn refusal(&self) -> Option<String> {
        self.refused_reason().clone()
    }

    fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    fn refused_reason(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.refused.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A file the broker refused at start, as doctor and the app show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RefusedFile {
    pub file: PathBuf,
    /// Why it is not trusted.
    pub reason: String,
    /// What that means until the person acts, and what to do.
    pub effect: String,
}

impl RefusedFile {
    /// `file`'s refusal, if it was refused, with what it means for its owner.
    pub(crate) fn of(file: Option<&SealedFile>, effect: &str) -> Option<Self> {
        let file = file?;
        Some(Self {
            file: file.path().to_owned(),
            reason: file.refusal()?,
            effect: effect.to_owned(),
        })
    }
}

impl fmt::Display for RefusedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} was refused: {}. {}; Latchkey writes a new sealed file when you do",
            self.file.display(),
            self.reason,
            self.effect
        )
    }
}

impl Services {
    /// The configuration files refused at start and not yet replaced.
    pub fn refused_files(&self) -> Vec<RefusedFile> {
        [
            self.assistants.refused_file(),
            self.settings.refused(),
            self.credentials.refused_store_choice(),
            self.loopback.refused_file(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// Puts each refused file on the audit log, one entry each, naming it and why.
    pub async fn audit_refused_files(&self) {
        for refused in self.refused_files() {
            let event = Event {
                action: "config.refused",
                details: serde_json::json!({
                    "file": refused.file.display().to_string(),
                    "reason": refused.reason,
                }),
                domain: None,
                decision: latchkey_audit::Decision::RefusedInvalid,
            };
            if let Err(e) = self.audit.admin(&Actor::latchkey(), event).await {
                tracing::error!("could not record that {refused} on the audit log: {e}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_vault::{MemoryStore, StoreOp};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Policy {
        minutes: u64,
    }

    async fn sealed(store: &MemoryStore, dir: &Path, name: &str) -> SealedFile {
        SealedFile::new(ConfigSeal::open(store, dir).await, dir.join(name))
    }

    #[tokio::test]
    async fn what_is_saved_loads_again_and_an_edit_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = MemoryStore::new();
        let file = sealed(&store, dir.path(), "settings.json").await;
        assert_eq!(file.load::<Policy>(), None);
        assert_eq!(file.refusal(), None, "no file is nothing to refuse");
        file.save(&Policy { minutes: 90 }).unwrap();

        let again = sealed(&store, dir.path(), "settings.json").await;
        assert_eq!(again.load(), Some(Policy { minutes: 90 }));
        assert_eq!(again.refusal(), None);

        let edited = std::fs::read_to_string(file.path())
            .unwrap()
            .replace("90", "720");
        std::fs::write(file.path(), edited).unwrap();
        let tampered = sealed(&store, dir.path(), "settings.json").await;
        assert_eq!(tampered.load::<Policy>(), None);
        assert!(
            tampered
                .refusal()
                .unwrap()
                .contains("changed outside Latchkey"),
            "{:?}",
            tampered.refusal()
        );
        // Refused, not rewritten: the person's next change replaces it.
        assert!(
            std::fs::read_to_string(file.path())
                .unwrap()
                .contains("720")
        );
        tampered.save(&Policy { minutes: 60 }).unwrap();
        assert_eq!(tampered.refusal(), None);
        let saved = sealed(&store, dir.path(), "settings.json").await;
        assert_eq!(saved.load(), Some(Policy { minutes: 60 }));
    }

    #[test]
    fn the_seal_covers_content_not_the_order_of_its_keys() {
        let mut one = Vec::new();
        let mut other = Vec::new();
        write_canonical(
            &serde_json::from_str(r#"{"b": [1, {"y": "é\n", "x": null}], "a": true}"#).unwrap(),
            &mut one,
        );
        write_canonical(
            &serde_json::from_str(r#"{"a":true,"b":[1,{"x":null,"y":"é\n"}]}"#).unwrap(),
            &mut other,
        );
        assert_eq!(one, other);
        assert_eq!(
            String::from_utf8(one).unwrap(),
            r#"{"a":true,"b":[1,{"x":null,"y":"é\n"}]}"#
        );
    }

    #[tokio::test]
    async fn a_sealed_file_reformatted_by_hand_still_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let store = MemoryStore::new();
        let file = sealed(&store, dir.path(), "settings.json").await;
        file.save(&serde_json::json!({"minutes": 90, "also": [1, 2]}))
            .unwrap();
        let mut found: serde_json::Value =
            serde_json::from_slice(&std::fs::read(file.path()).unwrap()).unwrap();
        let mac = found["mac"].take();
        let reordered =
            format!(r#"{{ "mac": {mac}, "content": {{ "also": [1,2], "minutes": 90 }} }}"#);
        std::fs::write(file.path(), reordered).unwrap();
        let again = sealed(&store, dir.path(), "settings.json").await;
        assert_eq!(
            again.load::<serde_json::Value>(),
            Some(serde_json::json!({"minutes": 90, "also": [1, 2]}))
        );
    }

    #[tokio::test]
    async fn an_unsealed_file_is_refused_and_says_where_it_came_from() {
        let dir = tempfile::tempdir().unwrap();
        let store = MemoryStore::new();
        let file = sealed(&store, dir.path(), "settings.json").await;
        std::fs::write(file.path(), br#"{"minutes": 720}"#).unwrap();
        assert_eq!(file.load::<Policy>(), None);
        assert_eq!(file.refusal().as_deref(), Some(UNSEALED));
    }

    #[tokio::test]
    async fn one_file_cannot_stand_in_for_another() {
        let dir = tempfile::tempdir().unwrap();
        let store = MemoryStore::new();
        let settings = sealed(&store, dir.path(), "settings.json").await;
        settings.save(&Policy { minutes: 90 }).unwrap();
        let other = sealed(&store, dir.path(), "other.json").await;
        std::fs::copy(settings.path(), other.path()).unwrap();
        assert_eq!(other.load::<Policy>(), None);
        assert!(other.refusal().unwrap().contains("does not match"));
    }

    #[tokio::test]
    async fn a_missing_key_refuses_what_it_sealed_and_a_new_one_seals_from_then_on() {
        let dir = tempfile::tempdir().unwrap();
        let store = MemoryStore::new();
        sealed(&store, dir.path(), "settings.json")
            .await
            .save(&Policy { minutes: 90 })
            .unwrap();

        let elsewhere = MemoryStore::new();
        let file = sealed(&elsewhere, dir.path(), "settings.json").await;
        assert_eq!(file.load::<Policy>(), None);
        assert!(
            file.refusal()
                .unwrap()
                .contains("missing from the secret store")
        );
        file.save(&Policy { minutes: 30 }).unwrap();
        let again = sealed(&elsewhere, dir.path(), "settings.json").await;
        assert_eq!(again.load(), Some(Policy { minutes: 30 }));
    }

    #[tokio::test]
    async fn a_store_that_cannot_be_read_refuses_and_saves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = MemoryStore::new();
        sealed(&store, dir.path(), "settings.json")
            .await
            .save(&Policy { minutes: 90 })
            .unwrap();
        store.fail_next(
            StoreOp::State,
            latchkey_vault::Error::Unavailable("no D-Bus".into()),
        );
        let file = sealed(&store, dir.path(), "settings.json").await;
        assert_eq!(file.load::<Policy>(), None);
        assert!(file.refusal().unwrap().contains("could not be read"));
        let err = file.save(&Policy { minutes: 30 }).unwrap_err();
        assert!(err.contains("restart Latchkey"), "{err}");
        let again = sealed(&store, dir.path(), "settings.json").await;
        assert_eq!(again.load(), Some(Policy { minutes: 90 }), "left as it was");
    }
}
