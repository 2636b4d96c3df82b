//! `PolkitPresence` against a real polkitd on a private system bus. What CI can show here:
//! without polkit the fallback decides and its reason is kept, and root is never let through
//! by polkit (which allows root anything). The password path, as another user with a real
//! `pkttyagent`, is tested with the `latchkey` binary in the CLI's tests.
#![cfg(target_os = "linux")]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use latchkey_test_peer::polkitd::PolkitBus;
use latchkey_vault::{
    NoPresence, POLKIT_ACTION, PolkitPresence, Presence, PresenceError, PresenceFuture,
    PresenceKind, PresenceRequest, Requester,
};
use zbus::zvariant::Value;

/// A fallback that answers `answer` and counts how often it was asked.
#[derive(Debug)]
struct Counting {
    answer: Result<(), PresenceError>,
    asked: AtomicUsize,
}

impl Counting {
    fn new(answer: Result<(), PresenceError>) -> Arc<Self> {
        Arc::new(Self {
            answer,
            asked: AtomicUsize::new(0),
        })
    }
}

impl Presence for Counting {
    fn kind(&self) -> PresenceKind {
        PresenceKind::Confirmation
    }

    fn confirm<'a>(&'a self, _request: &'a PresenceRequest) -> PresenceFuture<'a> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move { self.answer.clone() })
    }
}

fn unlock() -> PresenceRequest {
    PresenceRequest::new("unlock Jamf Pro acme.example.com", Requester::Cli)
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[tokio::test]
async fn without_polkit_the_fallback_decides_and_both_reasons_are_kept() {
    let bus = PolkitBus::without_polkitd();

    let refusing = Arc::new(NoPresence::new("start the Latchkey app"));
    let presence = PolkitPresence::on_bus(&bus.address, refusing);
    let Err(PresenceError::NotAvailable(why)) = presence.confirm(&unlock()).await else {
        panic!("expected a refusal that says why");
    };
    let polkit_part = if is_root() {
        "polkit is not asked for root"
    } else {
        "polkit is not running"
    };
    assert!(
        why.starts_with(polkit_part) && why.ends_with("; start the Latchkey app"),
        "{why}"
    );

    let dialog = Counting::new(Ok(()));
    let presence = PolkitPresence::on_bus(&bus.address, dialog.clone());
    presence.confirm(&unlock()).await.unwrap();
    assert_eq!(dialog.asked.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn root_is_never_let_through_by_polkit() {
    if !is_root() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "this test needs root in CI"
        );
        eprintln!("skipping: needs root");
        return;
    }
    let Some(bus) = PolkitBus::start("root_is_never_let_through_by_polkit") else {
        return;
    };

    // polkit itself would say yes to this process, without asking anybody...
    let connection = zbus::connection::Builder::address(bus.address.as_str())
        .unwrap()
        .build()
        .await
        .unwrap();
    let authority = zbus::Proxy::new(
        &connection,
        "org.freedesktop.PolicyKit1",
        "/org/freedesktop/PolicyKit1/Authority",
        "org.freedesktop.PolicyKit1.Authority",
    )
    .await
    .unwrap();
    let subject = (
        "unix-process",
        HashMap::from([
            ("pid", Value::from(std::process::id())),
            ("start-time", Value::from(0u64)),
            ("uid", Value::from(0i32)),
        ]),
    );
    let (authorized, _, _): (bool, bool, HashMap<String, String>) = authority
        .call(
            "CheckAuthorization",
            &(
                subject,
                POLKIT_ACTION,
                HashMap::<&str, &str>::new(),
                0u32,
                "",
            ),
        )
        .await
        .unwrap();
    assert!(authorized, "polkit allows root without a password");

    // ...so for root the fallback decides, and says no here.
    let dialog = Counting::new(Err(PresenceError::Declined));
    let presence = PolkitPresence::on_bus(&bus.address, dialog.clone());
    assert_eq!(
        presence.confirm(&unlock()).await,
        Err(PresenceError::Declined)
    );
    assert_eq!(dialog.asked.load(Ordering::SeqCst), 1);
    assert_eq!(presence.kind(), PresenceKind::Confirmation);
}

#[tokio::test]
async fn an_assistant_is_never_let_in_on_polkits_word_alone() {
    let bus = PolkitBus::without_polkitd();
    let allow = PresenceRequest::allow_assistant(
        "allow claude (/usr/local/bin/claude) to use Latchkey",
        Requester::Assistant("claude".into()),
    );

    // The fallback, which can name the assistant, decides first: a refusal is its own, and
    // polkit is not asked at all (its reason would come first otherwise).
    let refusing = Arc::new(NoPresence::new("use `latchkey assistants allow`"));
    let presence = PolkitPresence::on_bus(&bus.address, refusing);
    assert_eq!(
        presence.confirm(&allow).await,
        Err(PresenceError::NotAvailable(
            "use `latchkey assistants allow`".into()
        ))
    );
    let denying = Counting::new(Err(PresenceError::Declined));
    let presence = PolkitPresence::on_bus(&bus.address, denying.clone());
    assert_eq!(presence.confirm(&allow).await, Err(PresenceError::Declined));

    // Allowed in the dialog, with no polkit to ask for a password: the dialog's answer stands.
    let dialog = Counting::new(Ok(()));
    let presence = PolkitPresence::on_bus(&bus.address, dialog.clone());
    presence.confirm(&allow).await.unwrap();
    assert_eq!(dialog.asked.load(Ordering::SeqCst), 1);
}
