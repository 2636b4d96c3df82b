//! Issue #12, item 5: interpreters on the allow-list. A python3 (node, sh, …) caller is
//! remembered by the script it runs, with the interpreter beside it; one running code that is
//! in no file is never allowed, and a record for the bare interpreter admits nothing. Callers
//! are built by hand as Linux identifies them (`latchkey-caller` tests the identification on
//! real processes; `crates/cli/tests/it/caller_identity.rs` the whole path); the person is
//! [`common::TestPresence`].

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use latchkey_broker::{Assistants, Refusal, Verdict};
use latchkey_caller::{Caller, ProcessInfo};
use latchkey_vault::Requester;

const PYTHON: &str = "/usr/bin/python3.11";
const NODE: &str = "/usr/local/bin/node";

/// `interpreter` running `script` (`None`: inline code), started by a process nobody can see.
fn running(interpreter: &str, script: Option<&str>) -> Caller {
    let name = Path::new(interpreter)
        .file_name()
        .unwrap()
        .to_string_lossy();
    let process = ProcessInfo {
        pid: 4242,
        executable: Some(PathBuf::from(interpreter)),
        name: name.into_owned(),
        script: script.map(PathBuf::from),
    };
    Caller {
        uid: 1000,
        pid: Some(process.pid),
        chain: vec![process.clone()],
        via_bridge: false,
        assistant: Some(process),
        app: None,
        signature: None,
    }
}

fn asked(presence: &common::TestPresence) -> Vec<String> {
    presence.asked.lock().unwrap().clone()
}

#[tokio::test]
async fn issue_12_an_interpreter_is_never_allowed_by_itself() {
    let presence = Arc::new(common::TestPresence::approving());
    let assistants = Assistants::new(presence.clone(), None);
    // As a list written before scripts were told apart would hold it.
    assistants
        .set_verdict(PathBuf::from(PYTHON), Verdict::Allowed, Requester::App)
        .await
        .unwrap();
    let before = asked(&presence).len();

    let inline = running(PYTHON, None);
    let refused = assistants.admit(&inline).await.unwrap_err();
    assert!(matches!(refused, Refusal::Interpreter(_)), "{refused:?}");
    assert!(
        refused.to_string().contains(
            "python3.11 running code that is in no file (/usr/bin/python3.11, pid 4242): an interpreter is never allowed by itself"
        ),
        "{refused}"
    );
    assert_eq!(asked(&presence).len(), before, "nobody is asked");

    // A script is asked about, even with the bare interpreter "allowed".
    let record = assistants
        .admit(&running(PYTHON, Some("/home/me/tool.py")))
        .await
        .unwrap();
    let prompts = asked(&presence);
    assert_eq!(prompts.len(), before + 1);
    assert!(
        prompts[before].starts_with(
            "allow python3.11 running /home/me/tool.py (/usr/bin/python3.11, pid 4242) to use Latchkey"
        ),
        "{prompts:?}"
    );
    assert_eq!(
        (
            record.path.as_path(),
            record.interpreter.as_deref(),
            record.name.as_str()
        ),
        (
            Path::new("/home/me/tool.py"),
            Some(Path::new(PYTHON)),
            "python3.11 running tool.py"
        )
    );
}

#[tokio::test]
async fn issue_12_an_allowed_script_admits_no_other_script_nor_another_interpreter() {
    let presence = Arc::new(common::TestPresence::approving());
    let assistants = Assistants::new(presence.clone(), None);
    assistants
        .admit(&running(PYTHON, Some("/home/me/tool.py")))
        .await
        .unwrap();
    assistants
        .admit(&running(PYTHON, Some("/home/me/tool.py")))
        .await
        .unwrap();
    assert_eq!(
        asked(&presence).len(),
        1,
        "the allowed script is remembered"
    );

    presence.approve.store(false, Ordering::SeqCst);
    for other in [
        running(PYTHON, Some("/tmp/other.py")),
        running(NODE, Some("/home/me/tool.py")),
    ] {
        let refused = assistants.admit(&other).await.unwrap_err();
        assert!(matches!(refused, Refusal::Denied(_)), "{refused:?}");
    }
    assert_eq!(asked(&presence).len(), 3, "each was asked about");
}
