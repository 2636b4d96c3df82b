//! Power operations on one VM: start, stop, reset, suspend (`POST /api/vcenter/vm/{vm}/power
//! ?action=…`), and the guest's own shutdown and reboot through VMware Tools (`POST
//! /api/vcenter/vm/{vm}/guest/power?action=…`); on a `/rest` vCenter, `POST
//! /rest/vcenter/vm/{vm}/power/{action}` and `/rest/vcenter/vm/{vm}/guest/power?action=…`.
//! A power call is sent once (again only if the connection was never made); an unclear
//! answer is reported as such, never repeated.

use latchkey_http::{Repeat, TransportError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::valid_id;
use crate::inventory::prefix;
use crate::request::Route;
use crate::{ApiFlavor, VsphereClient, VsphereError};

/// What to do to a VM's power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum PowerAction {
    /// Power on (or resume).
    Start,
    /// Power off at once, like pulling the plug.
    Stop,
    /// Hard reset.
    Reset,
    /// Suspend to disk.
    Suspend,
    /// Ask the guest OS to shut down (needs VMware Tools).
    Shutdown,
    /// Ask the guest OS to restart (needs VMware Tools).
    Reboot,
}

impl PowerAction {
    /// The action as vCenter and the tools name it.
    pub fn as_str(self) -> &'static str {
        match self {
            PowerAction::Start => "start",
            PowerAction::Stop => "stop",
            PowerAction::Reset => "reset",
            PowerAction::Suspend => "suspend",
            PowerAction::Shutdown => "shutdown",
            PowerAction::Reboot => "reboot",
        }
    }

    /// Whether the guest OS does it (through VMware Tools) rather than the hypervisor.
    pub fn is_guest(self) -> bool {
        matches!(self, PowerAction::Shutdown | PowerAction::Reboot)
    }

    fn route(self, api: ApiFlavor, vm: &str) -> Route {
        let base = format!("{}/vm/{vm}", prefix(api));
        match (api, self.is_guest()) {
            (_, true) => Route::post(format!("{base}/guest/power")).with("action", self.as_str()),
            (ApiFlavor::Api, false) => {
                Route::post(format!("{base}/power")).with("action", self.as_str())
            }
            (ApiFlavor::Rest, false) => Route::post(format!("{base}/power/{}", self.as_str())),
        }
    }
}

impl std::str::FromStr for PowerAction {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "start" => Ok(PowerAction::Start),
            "stop" => Ok(PowerAction::Stop),
            "reset" => Ok(PowerAction::Reset),
            "suspend" => Ok(PowerAction::Suspend),
            "shutdown" => Ok(PowerAction::Shutdown),
            "reboot" => Ok(PowerAction::Reboot),
            _ => {
                Err("a power action is one of start, stop, reset, suspend, shutdown, reboot".into())
            }
        }
    }
}

/// What a power call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PowerOutcome {
    /// vCenter accepted the action.
    Done,
    /// The VM was already in the state asked for; nothing was done.
    AlreadyInState,
}

impl VsphereClient {
    /// Does `action` to the VM with id `vm` (`vm-123`).
    pub async fn power(&self, vm: &str, action: PowerAction) -> Result<PowerOutcome, VsphereError> {
        valid_id(vm, "VM")?;
        match self
            .call(Repeat::UntilSent, |api| action.route(api, vm))
            .await
        {
            Ok(_) => Ok(PowerOutcome::Done),
            Err(VsphereError::Http { detail, .. })
                if detail.starts_with("ALREADY_IN_DESIRED_STATE") =>
            {
                Ok(PowerOutcome::AlreadyInState)
            }
            // Sent, and no clear answer: it may or may not have happened.
            Err(VsphereError::Http {
                server,
                endpoint,
                status: status @ (408 | 502 | 503 | 504),
                ..
            }) => Err(VsphereError::Transport {
                server,
                source: TransportError::Unconfirmed {
                    endpoint,
                    detail: format!("vCenter answered HTTP {status}"),
                },
            }),
            Err(e) => Err(e),
        }
    }

    /// The VM's power state now (`POWERED_ON`, `POWERED_OFF`, `SUSPENDED`).
    pub async fn power_state(&self, vm: &str) -> Result<String, VsphereError> {
        valid_id(vm, "VM")?;
        #[derive(Deserialize)]
        struct Power {
            #[serde(default, deserialize_with = "latchkey_http::lenient::string")]
            state: Option<String>,
        }
        let power: Power = self
            .get_json(|api| Route::get(format!("{}/vm/{vm}/power", prefix(api))))
            .await?;
        Ok(power.state.unwrap_or_else(|| "UNKNOWN".into()))
    }
}
