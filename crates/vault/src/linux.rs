//! Linux: Secret Service on the D-Bus session bus; presence through polkit, else the app's
//! confirmation dialog.

use zbus::Connection;
use zbus::fdo::DBusProxy;
use zbus::names::BusName;

use crate::Probe;

const SECRET_SERVICE: &str = "org.freedesktop.secrets";

pub(crate) async fn probe_secret_store() -> Probe {
    let name = "Secret Service (D-Bus session bus)";
    match offers(Connection::session().await, SECRET_SERVICE).await {
        // Said wherever the store is checked: it is the limit of what Latchkey defends here.
        Ok(true) => Probe {
            name,
            reachable: true,
            detail: format!(
                "{SECRET_SERVICE} answers; any program running as you can read Latchkey's items \
                 through it (`secret-tool search --all --unlock application latchkey`): see \
                 SECURITY.md"
            ),
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

/// Linux has no biometrics: polkit asks for the person's password when an authentication
/// agent runs; otherwise the app asks in its own window, and a headless broker refuses.
pub(crate) async fn probe_presence() -> Probe {
    let name = "polkit (your password), else the Latchkey app's confirmation dialog";
    let otherwise = "without an agent the Latchkey app asks in its window (a confirmation, not \
                     biometrics), and a headless `latchkey serve` refuses to unlock";
    match crate::polkit::probe().await {
        Ok(()) => Probe {
            name,
            reachable: true,
            detail: format!(
                "polkit knows {}: your desktop's authentication agent, or the one `latchkey` \
                 starts in a terminal, asks for your password; {otherwise}",
                crate::POLKIT_ACTION
            ),
        },
        Err(why) => Probe {
            name,
            reachable: false,
            detail: format!("{why}; {otherwise}"),
        },
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
