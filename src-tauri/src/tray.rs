//! The menu-bar icon and its menu: status, changes waiting for approval ("1 approval waiting",
//! which opens the window; also the icon's title and tooltip), this Mac's SOFA standing, one
//! line per credential domain (unlock it, or lock it with the time left), Unlock All / Lock
//! All, Open, Quit. Unlocks and locks go through the broker's pipeline, so they are audited.
//!
//! The menu is rebuilt whenever credentials or approvals change and every half minute while a
//! domain is unlocked, so the countdowns stay current.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use latchkey_broker::{
    Actor, Approvals, CredentialService, CredentialsOverview, Pipeline, Target, time_left,
};
use latchkey_vault::Domain;
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
    let services = broker.services().ok();
    let approvals = services.map(|s| Arc::clone(&s.approvals));
    let first = build_menu(app, "Latchkey: starting…", &shared, None, 0)?;
    let on_click = {
        let pipeline = services.map(|s| Arc::clone(&s.pipeline));
        let shared = Arc::clone(&shared);
        move |app: &AppHandle<R>, event: tauri::menu::MenuEvent| {
            handle_click(app, event.id().as_ref(), pipeline.as_ref(), &shared);
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
    tauri::async_runtime::spawn(keep_menu_current(
        app.clone(),
        tray,
        credentials,
        approvals,
        shared,
    ));
    Ok(())
}

fn handle_click<R: Runtime>(
    app: &AppHandle<R>,
    id: &str,
    pipeline: Option<&Arc<Pipeline>>,
    shared: &Shared,
) {
    match id {
        "open" | "approvals" => crate::window::show_main(app),
        "quit" => app.exit(0),
        _ => {}
    }
    let Some(pipeline) = pipeline else {
        return;
    };
    let lock = match id {
        "lock_all" => Some(Target::All),
        _ => id
            .strip_prefix("lock:")
            .map(|d| Target::One(Domain::from(d))),
    };
    if let Some(target) = lock {
        let pipeline = Arc::clone(pipeline);
        tauri::async_runtime::spawn(async move {
            let _ = pipeline.lock(target, &Actor::app()).await;
        });
    } else if id == "unlock_all" || id.starts_with("unlock:") {
        let target = id
            .strip_prefix("unlock:")
            .map_or(Target::All, |d| Target::One(Domain::from(d)));
        // On Linux the confirmation is a dialog in the main window.
        crate::window::show_main(app);
        let (pipeline, shared) = (Arc::clone(pipeline), Arc::clone(shared));
        tauri::async_runtime::spawn(async move {
            // No passphrase from the menu: with the encrypted store the problem says where to
            // unlock with it.
            let problem = match pipeline.unlock(target, None, None, &Actor::app()).await {
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

/// Rebuilds the menu on every credential or approval change, SOFA line change, and
/// countdown tick.
async fn keep_menu_current<R: Runtime>(
    app: AppHandle<R>,
    tray: TrayIcon<R>,
    credentials: Result<Arc<CredentialService>, String>,
    approvals: Option<Arc<Approvals>>,
    shared: Shared,
) {
    let mut changes = credentials.as_ref().ok().map(|c| c.subscribe());
    let mut asked = approvals.as_ref().map(|a| a.subscribe());
    loop {
        let waiting = approvals.as_ref().map_or(0, |a| a.pending().len());
        show_waiting(&tray, waiting);
        let (status, overview) = match &credentials {
            Ok(credentials) => {
                let overview = credentials.overview().await;
                (status_line(&overview), Some(overview))
            }
            Err(reason) => (format!("Broker stopped: {reason}"), None),
        };
        match build_menu(&app, &status, &shared, overview.as_ref(), waiting) {
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
        let approvals_changed = async {
            match asked.as_mut() {
                Some(asked) => asked.changed().await.is_ok(),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            still_open = changed => if !still_open { return },
            still_open = approvals_changed => if !still_open { return },
            () = shared.1.notified() => {}
            () = tokio::time::sleep(COUNTDOWN_EVERY), if ticking => {}
        }
    }
}

/// "1 approval waiting", or nothing when none is.
fn waiting_line(waiting: usize) -> Option<String> {
    match waiting {
        0 => None,
        1 => Some("1 approval waiting".to_owned()),
        n => Some(format!("{n} approvals waiting")),
    }
}

/// The icon's badge: a count beside it (macOS' menu bar, an indicator's label on Linux) and
/// the tooltip.
fn show_waiting<R: Runtime>(tray: &TrayIcon<R>, waiting: usize) {
    let title = (waiting > 0).then(|| waiting.to_string());
    let tooltip = waiting_line(waiting).map_or_else(
        || "Latchkey".to_owned(),
        |line| format!("Latchkey · {line}"),
    );
    if let Err(e) = tray
        .set_title(title)
        .and_then(|()| tray.set_tooltip(Some(tooltip)))
    {
        tracing::debug!("cannot show the approvals waiting on the tray icon: {e}");
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
    waiting: usize,
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
    if let Some(line) = waiting_line(waiting) {
        menu = menu.item(&MenuItem::with_id(
            app,
            "approvals",
            format!("{line}…"),
            true,
            None::<&str>,
        )?);
    }
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
