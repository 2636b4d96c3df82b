//! The menu-bar icon and its menu. Items without a backend yet are shown disabled.

use tauri::image::Image;
use tauri::menu::{MenuBuilder, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Runtime};

/// Monochrome template: macOS tints it for light and dark menu bars.
const TRAY_ICON: &[u8] = include_bytes!("../../icons/tray-template.png");

pub fn create<R: Runtime>(app: &AppHandle<R>, status_line: &str) -> tauri::Result<()> {
    let status = MenuItem::with_id(app, "status", status_line, false, None::<&str>)?;
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
    Ok(())
}
