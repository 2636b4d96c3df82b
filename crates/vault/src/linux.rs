//! Linux: Secret Service on the D-Bus session bus; presence is the app's confirmation dialog.

use zbus::Connection;
use zbus::fdo::DBusProxy;
use zbus::names::BusName;

use crate::Probe;

const SECRET_SERVICE: &str = "org.freedesktop.secrets";

pub(crate) async fn probe_secret_store() -> Probe {
    let name = "Secret Service (D-Bus session bus)";
    match offers(Connection::session().await, SECRET_SERVICE).await {
        Ok(true) => Probe {
            name,
            reachable: true,
            detail: format!("{SECRET_SERVICE} answers"),
        },
        Ok(false) => Probe {
            name,
            reachable: false,
            detail: format!(
                "nothing provides {SECRET_SERVICE}: install and start gnome-keyring or KeePassXC"
            ),
        },
        Err(e) => Probe {
            name,
            reachable: false,
            detail: format!("session bus: {e}"),
        },
    }
}

/// Linux has no biometrics to ask: the app asks in its own window. polkit is not used yet,
/// so a headless `latchkey serve` cannot confirm presence and refuses to unlock.
pub(crate) async fn probe_presence() -> Probe {
    Probe {
        name: "confirmation dialog in the Latchkey app",
        reachable: true,
        detail: "a confirmation, not biometrics; a headless `latchkey serve` cannot confirm \
                 presence, so it refuses to unlock"
            .into(),
    }
}

/// Whether `service` is owned on the bus, or can be started on demand.
async fn offers(bus: zbus::Result<Connection>, service: &'static str) -> zbus::Result<bool> {
    let bus = bus?;
    let dbus = DBusProxy::new(&bus).await?;
    let wanted = BusName::try_from(service)?;
    if dbus.name_has_owner(wanted).await? {
        return Ok(true);
    }
    let activatable = dbus.list_activatable_names().await?;
    Ok(activatable.iter().any(|n| n.as_str() == service))
}
