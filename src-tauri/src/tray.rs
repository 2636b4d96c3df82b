//! The menu-bar icon and its menu: status, this Mac's SOFA standing, one line per credential
//! domain (unlock it, or lock it with the time left), Unlock All / Lock All, Open, Quit.
//!
//! The menu is rebuilt whenever credentials change and every half minute while a domain is
//! unlocked, so the countdowns stay current.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use latchkey_broker::{CredentialService, CredentialsOverview, Target, time_left};
use latchkey_vault::{Domain, Requester};
use tauri::image::Image;
use tauri::menu::{Menu, MenuBuilder, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Runtime};
use tokio::sync::Notify;

use crate::broker::EmbeddedBroker;

/// Monochrome template: macOS tints it for light and dark menu bars.
const TRAY_ICON: &[u8] = include_bytes!("../../icons/tray-template.png");

/// How often the SOFA line is recomputed (its age and this Mac's standing change slowly).
const SOFA_LINE_EVERY: Duration = Duration::from_secs(10 * 60);
/// How often countdowns are redrawn while something is unlocked.
const COUNTDOWN_EVERY: Duration = Duration::from_secs(30);

/// What the menu shows besides the domains; changed by background tasks.
#[derive(Debug, Default)]
struct Lines {
    sofa: String,
    /// The last unlock that failed (other than being declined), until the next success.
    problem: Option<String>,
}

type Shared = Arc<(Mutex<Lines>, Notify)>;

pub fn create<R: Runtime>(app: &AppHandle<R>, broker: &EmbeddedBroker) -> tauri::Result<()> {
    let shared: Shared = Arc::new((
        Mutex::new(Lines {
            sofa: "SOFA: loading the feed…".to_owned(),
            problem: None,
        }),
        Notify::new(),
    ));
    let credentials = broker.credentials();
    let first = build_menu(app, "Latchkey: starting…", &shared, None)?;
    let on_click = {
        let credentials = credentials.clone();
        let shared = Arc::clone(&shared);
        move |app: &AppHandle<R>, event: tauri::menu::MenuEvent| {
            handle_click(app, event.id().as_ref(), credentials.as_ref().ok(), &shared);
        }
    };
    let tray = TrayIconBuilder::with_id("latchkey")
        .icon(Image::from_bytes(TRAY_ICON)?)
        .icon_as_template(true)
        .tooltip("Latchkey")
        .menu(&first)
        .show_menu_on_left_click(true)
        .on_menu_event(on_click)
        .build(app)?;
    keep_sofa_line_current(broker, Arc::clone(&shared));
    tauri::async_runtime::spawn(keep_menu_current(app.clone(), tray, credentials, shared));
    Ok(())
}

fn handle_click<R: Runtime>(
    app: &AppHandle<R>,
    id: &str,
    credentials: Option<&Arc<CredentialService>>,
    shared: &Shared,
) {
    match id {
        "open" => crate::window::show_main(app),
        "quit" => app.exit(0),
        _ => {}
    }
    let Some(credentials) = credentials else {
        return;
    };
    if id == "lock_all" {
        credentials.lock(&Target::All);
    } else if let Some(domain) = id.strip_prefix("lock:") {
        credentials.lock(&Target::One(Domain::from(domain)));
    } else if id == "unlock_all" || id.starts_with("unlock:") {
        let target = id
            .strip_prefix("unlock:")
            .map_or(Target::All, |d| Target::One(Domain::from(d)));
        // On Linux the confirmation is a dialog in the main window.
        crate::window::show_main(app);
        let (credentials, shared) = (Arc::clone(credentials), Arc::clone(shared));
        tauri::async_runtime::spawn(async move {
            let problem = match credentials.unlock(target, None, Requester::App).await {
                Ok(_) => None,
                Err(latchkey_broker::CredentialError::Presence(e)) => {
                    tracing::info!("unlock from the menu not confirmed: {e}");
                    None
                }
                Err(e) => Some(format!("Unlock failed: {e}")),
            };
            shared.0.lock().unwrap_or_else(|p| p.into_inner()).problem = problem;
            shared.1.notify_one();
        });
    }
}

/// Rebuilds the menu on every credential change, SOFA line change, and countdown tick.
async fn keep_menu_current<R: Runtime>(
    app: AppHandle<R>,
    tray: TrayIcon<R>,
    credentials: Result<Arc<CredentialService>, String>,
    shared: Shared,
) {
    let mut changes = credentials.as_ref().ok().map(|c| c.subscribe());
    loop {
        let (status, overview) = match &credentials {
            Ok(credentials) => {
                let overview = credentials.overview().await;
                (status_line(&overview), Some(overview))
            }
            Err(reason) => (format!("Broker stopped: {reason}"), None),
        };
        match build_menu(&app, &status, &shared, overview.as_ref()) {
            Ok(menu) => {
                let _ = tray.set_menu(Some(menu));
            }
            Err(e) => tracing::warn!("cannot rebuild the tray menu: {e}"),
        }
        let ticking = overview.is_some_and(|o| o.domains.iter().any(|d| d.unlocked));
        let changed = async {
            match changes.as_mut() {
                Some(changes) => changes.changed().await.is_ok(),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            still_open = changed => if !still_open { return },
            () = shared.1.notified() => {}
            () = tokio::time::sleep(COUNTDOWN_EVERY), if ticking => {}
        }
    }
}

/// `Latchkey · 3 domains, 1 unlocked`, or what is wrong.
fn status_line(overview: &CredentialsOverview) -> String {
    if let Some(e) = &overview.store_error {
        return format!("Secret store unavailable: {e}");
    }
    let total = overview.domains.len();
    let unlocked = overview.domains.iter().filter(|d| d.unlocked).count();
    match total {
        0 => "Latchkey · no credentials yet".to_owned(),
        1 => format!("Latchkey · 1 domain, {unlocked} unlocked"),
        n => format!("Latchkey · {n} domains, {unlocked} unlocked"),
    }
}

fn build_menu<R: Runtime>(
    app: &AppHandle<R>,
    status: &str,
    shared: &Shared,
    overview: Option<&CredentialsOverview>,
) -> tauri::Result<Menu<R>> {
    let (sofa, problem) = {
        let lines = shared.0.lock().unwrap_or_else(|p| p.into_inner());
        (lines.sofa.clone(), lines.problem.clone())
    };
    let domains = overview.map(|o| o.domains.as_slice()).unwrap_or_default();
    let any_locked = domains.iter().any(|d| !d.unlocked);
    let any_unlocked = domains.iter().any(|d| d.unlocked);
    let mut menu = MenuBuilder::new(app)
        .item(&MenuItem::with_id(
            app,
            "status",
            status,
            false,
            None::<&str>,
        )?)
        .item(&MenuItem::with_id(app, "sofa", sofa, false, None::<&str>)?);
    if let Some(problem) = problem {
        menu = menu.item(&MenuItem::with_id(
            app,
            "problem",
            problem,
            false,
            None::<&str>,
        )?);
    }
    menu = menu
        .item(&PredefinedMenuItem::separator(app)?)
        .item(&MenuItem::with_id(
            app,
            "unlock_all",
            "Unlock All…",
            any_locked,
            None::<&str>,
        )?);
    for d in domains {
        let name = format!("{} {}", d.kind.display_name(), d.domain.authority());
        let item = match d.seconds_left.filter(|_| d.unlocked) {
            Some(left) => MenuItem::with_id(
                app,
                format!("lock:{}", d.domain),
                format!("Lock {name} ({} left)", time_left(left)),
                true,
                None::<&str>,
            )?,
            None => MenuItem::with_id(
                app,
                format!("unlock:{}", d.domain),
                format!("Unlock {name}…"),
                true,
                None::<&str>,
            )?,
        };
        menu = menu.item(&item);
    }
    menu.item(&MenuItem::with_id(
        app,
        "lock_all",
        "Lock All",
        any_unlocked,
        None::<&str>,
    )?)
    .separator()
    .item(&MenuItem::with_id(
        app,
        "open",
        "Open Latchkey…",
        true,
        None::<&str>,
    )?)
    .separator()
    .item(&MenuItem::with_id(
        app,
        "quit",
        "Quit Latchkey",
        true,
        Some("CmdOrCtrl+Q"),
    )?)
    .build()
}

/// This Mac's standing (macOS) or the feed's age, kept current in the background.
fn keep_sofa_line_current(broker: &EmbeddedBroker, shared: Shared) {
    let sofa = match broker.sofa() {
        Ok(sofa) => sofa,
        Err(reason) => {
            shared.0.lock().unwrap_or_else(|p| p.into_inner()).sofa =
                format!("SOFA unavailable: {reason}");
            return;
        }
    };
    tauri::async_runtime::spawn(async move {
        loop {
            let line = sofa.tray_line().await;
            shared.0.lock().unwrap_or_else(|p| p.into_inner()).sofa = line;
            shared.1.notify_one();
            tokio::time::sleep(SOFA_LINE_EVERY).await;
        }
    });
}
