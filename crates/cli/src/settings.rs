//! `latchkey settings …`: what the broker runs with, and changing it. The same settings as the
//! app's Settings page, by their keys (`sofa.feed`, `approvals.timeout_seconds`); a change that
//! weakens a guard asks for presence, as in the app.

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use latchkey_broker::control::{ControlClient, ControlRequest};
use latchkey_broker::{Settings, SettingsView, StatePaths};
use serde_json::Value;

use crate::password_agent;

#[derive(Debug, Args)]
pub struct SettingsArgs {
    #[command(subcommand)]
    command: Option<SettingsCommand>,
}

#[derive(Debug, Subcommand)]
enum SettingsCommand {
    /// Every setting the broker runs with (the default when no command is given)
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Change settings: `latchkey settings set approvals.timeout_seconds=300 sofa.feed=v1`
    /// (`idle_minutes=off` for no idle lock); asks for presence when one weakens a guard
    Set {
        /// KEY=VALUE pairs, keys as `latchkey settings show` lists them
        #[arg(required = true, value_name = "KEY=VALUE")]
        changes: Vec<String>,
    },
}

pub async fn run(args: SettingsArgs) -> anyhow::Result<ExitCode> {
    let socket = StatePaths::from_env()?.control_socket();
    let mut broker = ControlClient::connect(&socket).await?;
    match args
        .command
        .unwrap_or(SettingsCommand::Show { json: false })
    {
        SettingsCommand::Show { json } => {
            let view: SettingsView = broker.call(&ControlRequest::Settings).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                print!("{}", show(&view)?);
            }
        }
        SettingsCommand::Set { changes } => {
            let view: SettingsView = broker.call(&ControlRequest::Settings).await?;
            let settings = changed(&view.settings, &changes)?;
            let request = ControlRequest::SetSettings(settings);
            let view: SettingsView = password_agent::call(&mut broker, &request).await?;
            print!("{}", show(&view)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The settings of the broker running now, if one is.
pub async fn running(paths: &StatePaths) -> Option<Settings> {
    let mut broker = ControlClient::connect(&paths.control_socket()).await.ok()?;
    let view: SettingsView = broker.call(&ControlRequest::Settings).await.ok()?;
    Some(view.settings)
}

/// Each setting as `key value`, aligned, then any override and where they are kept.
fn show(view: &SettingsView) -> anyhow::Result<String> {
    let leaves = view.settings.by_key();
    let width = leaves.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (key, value) in &leaves {
        let value = match value {
            Value::Null => "off".to_owned(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let note = (view.overrides.iter())
            .find(|o| &o.field == key)
            .map(|o| format!("  (overridden by {})", o.by))
            .unwrap_or_default();
        out.push_str(&format!("{key:<width$}  {value}{note}\n"));
    }
    if let Some(file) = &view.file {
        out.push_str(&format!("kept in {file}\n"));
    }
    if let Some(refused) = &view.refused {
        out.push_str(&format!(
            "the settings file was refused ({refused}): the defaults are in force until you \
             change a setting\n"
        ));
    }
    Ok(out)
}

/// `settings` with each `KEY=VALUE` applied; a key that is not a setting is refused with the
/// keys there are.
fn changed(settings: &Settings, changes: &[String]) -> anyhow::Result<Settings> {
    let mut value = serde_json::to_value(settings)?;
    let keys: Vec<String> = settings.by_key().into_iter().map(|(k, _)| k).collect();
    for change in changes {
        let Some((key, text)) = change.split_once('=') else {
            bail!("{change:?} is not KEY=VALUE");
        };
        let key = key.trim();
        if !keys.iter().any(|k| k == key) {
            bail!(
                "{key:?} is not a setting; the settings are: {}",
                keys.join(", ")
            );
        }
        let slot = key
            .split('.')
            .try_fold(&mut value, |v, part| v.get_mut(part))
            .context("the setting vanished")?;
        *slot = parse_value(key, text.trim(), slot)?;
    }
    Ok(serde_json::from_value(value)?)
}

/// `text` as the kind of value `key` holds now: a number, on/off, or text. `off` (or `none`)
/// clears `idle_minutes`, the one setting that may be absent.
fn parse_value(key: &str, text: &str, now: &Value) -> anyhow::Result<Value> {
    Ok(match (key, now) {
        ("idle_minutes", _) if matches!(text, "off" | "none") => Value::Null,
        (_, Value::Bool(_)) => match text {
            "on" | "true" | "yes" => Value::Bool(true),
            "off" | "false" | "no" => Value::Bool(false),
            _ => bail!("{key} is on or off, not {text:?}"),
        },
        (_, Value::Number(_) | Value::Null) => Value::from(
            text.parse::<u64>()
                .with_context(|| format!("{key} takes a whole number, not {text:?}"))?,
        ),
        _ => Value::String(text.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_apply_by_key_and_kind() {
        let settings = Settings::default();
        let changed = changed(
            &settings,
            &[
                "approvals.timeout_seconds=300".into(),
                "sofa.feed=v1".into(),
                "notifications.enabled=off".into(),
                "idle_minutes=15".into(),
            ],
        )
        .unwrap();
        assert_eq!(changed.approvals.timeout_seconds, 300);
        assert_eq!(changed.sofa.feed, "v1");
        assert!(!changed.notifications.enabled);
        assert_eq!(changed.unlock.idle_minutes, Some(15));
        let off = super::changed(&changed, &["idle_minutes=off".into()]).unwrap();
        assert_eq!(off.unlock.idle_minutes, None);
    }

    #[test]
    fn a_wrong_key_or_value_is_named() {
        let settings = Settings::default();
        let err = changed(&settings, &["approvals.timeout=5".into()]).unwrap_err();
        assert!(
            err.to_string()
                .contains("\"approvals.timeout\" is not a setting")
        );
        assert!(err.to_string().contains("approvals.timeout_seconds"));
        let err = changed(&settings, &["audit.retention_days=a year".into()]).unwrap_err();
        assert!(
            err.to_string()
                .contains("audit.retention_days takes a whole number")
        );
        let err = changed(&settings, &["sofa".into()]).unwrap_err();
        assert!(err.to_string().contains("is not KEY=VALUE"));
    }
}
