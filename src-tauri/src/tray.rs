//! The menu-bar icon and its menu. Items without a backend yet are shown disabled.

use std::time::Duration;

use tauri::image::Image;
use tauri::menu::{MenuBuilder, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Runtime};

use crate::broker::EmbeddedBroker;

/// Monochrome template: macOS tints it for light and dark menu bars.
const TRAY_ICON: &[u8] = include_bytes!("../../icons/tray-template.png");

/// How often the SOFA line is recomputed (its age and this Mac's standing change slowly).
const SOFA_LINE_EVERY: Duration = Duration::from_secs(10 * 60);

pub fn create<R: Runtime>(app: &AppHandle<R>, broker: &EmbeddedBroker) -> tauri::Result<()> {
    let status = MenuItem::with_id(app, "status", broker.status_line(), false, None::<&str>)?;
    let sofa_line = MenuItem::with_id(app, "sofa", "SOFA: loading the feed…", false, None::<&str>)?;
    // Unlocking and locking arrive with the credential store.
    let unlock = MenuItem::with_id(app, "unlock", "Unlock…", false, None::<&str>)?;
    let lock_all = MenuItem::with_id(app, "lock_all", "Lock All", false, None::<&str>)?;
    let open = MenuItem::with_id(app, "open", "Open Latchkey…", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Latchkey", true, Some("CmdOrCtrl+Q"))?;
    let menu = MenuBuilder::new(app)
        .items(&[
            &status,
            &PredefinedMenuItem::separator(app)?,
            &unlock,
            &lock_all,
        ])
        .separator()
        .items(&[&open, &PredefinedMenuItem::separator(app)?, &quit])
        .build()?;

    TrayIconBuilder::with_id("latchkey")
        .icon(Image::from_bytes(TRAY_ICON)?)
        .icon_as_template(true)
        .tooltip("Latchkey")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => crate::window::show_main(app),
            "quit" => app.exit(0),
            _ => {}
        })
        .build(app)?;
    keep_sofa_line_current(broker, sofa_line);
    Ok(())
}

/// This Mac's standing (macOS) or the feed's age, kept current in the background.
fn keep_sofa_line_current<R: Runtime>(broker: &EmbeddedBroker, item: MenuItem<R>) {
    let sofa = match broker.sofa() {
        Ok(sofa) => sofa,
        Err(reason) => {
            let _ = item.set_text(format!("SOFA unavailable: {reason}"));
            return;
        }
    };
    tauri::async_runtime::spawn(async move {
        loop {
            let _ = item.set_text(sofa.tray_line().await);
            tokio::time::sleep(SOFA_LINE_EVERY).await;
        }
    });
}
