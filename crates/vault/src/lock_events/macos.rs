//! macOS: NSWorkspace says the machine is about to sleep, or that the user's session was
//! switched away from (fast user switching); the distributed `com.apple.screenIsLocked` says
//! the screen locked (lock screen, or screen saver / display sleep with a password required).
//!
//! Both notification centers deliver on the main thread's run loop. The Tauri app runs one
//! (AppKit), so it is told; a headless `latchkey serve` runs none, so on macOS it registers
//! but is never told, and each source's detail says so. Type-checked on Linux by
//! check-macos; not yet run on a Mac.

use std::fmt;
use std::ptr::NonNull;

use block2::RcBlock;
use objc2::rc::Retained;
use objc2::runtime::{AnyObject, NSObjectProtocol, ProtocolObject};
use objc2_app_kit::{
    NSWorkspace, NSWorkspaceSessionDidResignActiveNotification, NSWorkspaceWillSleepNotification,
};
use objc2_foundation::{
    NSDistributedNotificationCenter, NSNotification, NSNotificationCenter, NSNotificationName,
    ns_string,
};
use tokio::sync::mpsc::UnboundedSender;

use super::LockEvent;
use crate::{Error, Probe};

/// Said of every source, so `latchkey doctor` under `latchkey serve` explains the silence.
const DELIVERY: &str =
    "delivered on the main run loop: the Latchkey app runs one, `latchkey serve` alone does not";

/// The registered observers, held for their Drop, which unregisters them.
#[derive(Debug)]
pub(crate) struct Watch {
    _observers: Vec<Observer>,
}

pub(crate) async fn watch(tx: UnboundedSender<LockEvent>) -> Result<(Vec<Probe>, Watch), Error> {
    let workspace = NSWorkspace::sharedWorkspace().notificationCenter();
    let distributed = Retained::into_super(NSDistributedNotificationCenter::defaultCenter());
    // SAFETY: AppKit's notification-name constants: set before main runs, never changed.
    #[allow(unsafe_code)]
    let (will_sleep, resigned) = unsafe {
        (
            NSWorkspaceWillSleepNotification,
            NSWorkspaceSessionDidResignActiveNotification,
        )
    };
    let screen_locked = ns_string!("com.apple.screenIsLocked");

    let mut sources = Vec::new();
    let mut observers = Vec::new();
    for (name, center, notification, event) in [
        ("system sleep", &workspace, will_sleep, LockEvent::Sleep),
        (
            "screen lock",
            &distributed,
            screen_locked,
            LockEvent::ScreenLocked,
        ),
        ("user switch", &workspace, resigned, LockEvent::ScreenLocked),
    ] {
        observers.push(Observer::new(center, notification, event, tx.clone()));
        sources.push(Probe {
            name,
            reachable: true,
            detail: format!("{notification}, {DELIVERY}"),
        });
    }
    Ok((
        sources,
        Watch {
            _observers: observers,
        },
    ))
}

/// One block observer on a notification center; dropping it removes it.
struct Observer {
    center: Retained<NSNotificationCenter>,
    token: Retained<ProtocolObject<dyn NSObjectProtocol>>,
}

impl Observer {
    fn new(
        center: &Retained<NSNotificationCenter>,
        name: &NSNotificationName,
        event: LockEvent,
        tx: UnboundedSender<LockEvent>,
    ) -> Observer {
        let block = RcBlock::new(move |_: NonNull<NSNotification>| {
            // Closed means nobody locks sessions any more; there is no one left to tell.
            let _ = tx.send(event);
        });
        // SAFETY: no sender object to filter on. A nil queue runs the block on the posting
        // thread, which is fine: the block only sends into a tokio channel, and what it holds
        // (an UnboundedSender) is Send + Sync.
        #[allow(unsafe_code)]
        let token = unsafe {
            center.addObserverForName_object_queue_usingBlock(Some(name), None, None, &block)
        };
        Observer {
            center: center.clone(),
            token,
        }
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        let token: &AnyObject = (*self.token).as_ref();
        // SAFETY: `token` is what this same center returned from addObserverForName.
        #[allow(unsafe_code)]
        unsafe {
            self.center.removeObserver(token);
        }
    }
}

// SAFETY: the token is opaque: it is never messaged, only handed back to `removeObserver:`,
// which NSNotificationCenter (thread-safe; Send + Sync in objc2) accepts from any thread.
#[allow(unsafe_code)]
unsafe impl Send for Observer {}

// SAFETY: as for Send; a shared `&Observer` gives access to nothing.
#[allow(unsafe_code)]
unsafe impl Sync for Observer {}

/// Not derived: Debug of the token would message it, and it is never messaged.
impl fmt::Debug for Observer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Observer").finish_non_exhaustive()
    }
}
