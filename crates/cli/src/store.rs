//! `latchkey store …` (Linux): which store keeps the credentials. The Secret Service lets any
//! program running as the user read them; Latchkey's encrypted file opens only with a
//! passphrase typed at unlock. Switching asks for presence and moves every credential.

use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, Subcommand, ValueEnum};
use latchkey_broker::control::{ControlClient, ControlRequest};
use latchkey_broker::{StatePaths, StoreKind, StoreStatus};

use crate::{passphrase, password_agent};

#[derive(Debug, Args)]
pub struct StoreArgs {
    #[command(subcommand)]
    command: StoreCommand,
}

#[derive(Debug, Subcommand)]
enum StoreCommand {
    /// Move every credential into STORE and keep them there (asks for presence; the
    /// passphrase is typed, or read from stdin one line per prompt)
    Use { store: Store },
    /// Which store keeps the credentials, and whether it is open
    Status {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
}

/// The stores `latchkey store use` takes.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Store {
    /// The Secret Service (any program running as you can read it)
    SecretService,
    /// Latchkey's own file, encrypted with a passphrase you type at unlock
    EncryptedFile,
}

pub async fn run(args: StoreArgs) -> anyhow::Result<ExitCode> {
    let socket = StatePaths::from_env()?.control_socket();
    let mut broker = ControlClient::connect(&socket).await?;
    match args.command {
        StoreCommand::Use { store } => {
            let (store, passphrase) = match store {
                Store::EncryptedFile => (StoreKind::EncryptedFile, passphrase::read_new()?),
                Store::SecretService => (
                    StoreKind::SecretService,
                    passphrase::read("passphrase of Latchkey's encrypted store: ")?,
                ),
            };
            let request = ControlRequest::UseStore { store, passphrase };
            let moved: usize = password_agent::call(&mut broker, &request).await?;
            println!(
                "moved {moved} credential{} to the {store} store",
                if moved == 1 { "" } else { "s" }
            );
        }
        StoreCommand::Status { json } => {
            let status = passphrase::store_status(&mut broker).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                match status {
                    Some(status) => println!("{}", describe(&status)),
                    None => bail!(
                        "only Linux offers a choice of store; macOS keeps credentials in the Keychain"
                    ),
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The store in use in words, as `store status` and `doctor` say it.
pub fn describe(status: &StoreStatus) -> String {
    match status.store {
        StoreKind::SecretService => "credentials are in the Secret Service: any program running \
                                     as you can read them through it (see SECURITY.md); \
                                     `latchkey store use encrypted-file` keeps them in a file \
                                     encrypted with a passphrase instead"
            .to_owned(),
        StoreKind::EncryptedFile => format!(
            "credentials are in {}, encrypted with your passphrase ({}); other programs cannot \
             read them through the Secret Service",
            status.file.display(),
            if status.open {
                "open while a domain is unlocked"
            } else {
                "closed: `latchkey creds unlock` asks for the passphrase"
            }
        ),
    }
}
