//! The encrypted store's passphrase (Linux, `latchkey store use encrypted-file`): typed at
//! the terminal without echo or, when stdin is not a terminal (scripts, tests), read from
//! stdin one line per prompt. Never from arguments or the environment.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use latchkey_broker::control::{ControlClient, ControlRequest};
use latchkey_broker::{StoreKind, StoreStatus};
use latchkey_vault::SecretString;
use zeroize::Zeroizing;

/// Room for a passphrase line from stdin, so reading one does not reallocate (and leave an
/// unwiped copy behind) unless it is longer.
const LINE_ROOM: usize = 1024;

/// A passphrase typed after `prompt`, or the next line of stdin.
pub fn read(prompt: &str) -> anyhow::Result<SecretString> {
    let stdin = std::io::stdin();
    let value = if stdin.is_terminal() {
        Zeroizing::new(rpassword::prompt_password(prompt).context("reading the passphrase")?)
    } else {
        let mut line = Zeroizing::new(String::with_capacity(LINE_ROOM));
        stdin
            .lock()
            .read_line(&mut line)
            .context("reading the passphrase from stdin")?;
        let kept = line.trim_end_matches(['\r', '\n']).len();
        line.truncate(kept);
        line
    };
    if value.is_empty() {
        bail!("no passphrase was given");
    }
    Ok(SecretString::new(value.as_str().to_owned()))
}

/// A new passphrase, typed twice.
pub fn read_new() -> anyhow::Result<SecretString> {
    let first = read("new passphrase for Latchkey's encrypted store: ")?;
    let again = read("the same passphrase again: ")?;
    if first.expose() != again.expose() {
        bail!("the two passphrases differ; nothing was changed");
    }
    Ok(first)
}

/// The store in use, where there is a choice (Linux).
pub async fn store_status(broker: &mut ControlClient) -> anyhow::Result<Option<StoreStatus>> {
    Ok(broker.call(&ControlRequest::StoreStatus).await?)
}

/// The passphrase a request needs: when the encrypted store is in use and, unless `always`,
/// closed. Asked after checking, so nothing is typed for a store without one.
pub async fn if_needed(
    broker: &mut ControlClient,
    always: bool,
) -> anyhow::Result<Option<SecretString>> {
    match store_status(broker).await? {
        Some(status) if status.store == StoreKind::EncryptedFile && (always || !status.open) => {
            Ok(Some(read("passphrase of Latchkey's encrypted store: ")?))
        }
        _ => Ok(None),
    }
}
