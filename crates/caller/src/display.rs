//! How a [`Caller`] reads in a prompt or a log line. Names and paths come from other
//! programs (a process picks its own name; an app writes its own `Info.plist`), so control
//! characters are replaced before they reach a terminal or a dialog.

use std::fmt;
use std::path::Path;

use crate::{Caller, ProcessInfo, chain};

pub(crate) fn caller(caller: &Caller, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let Some(assistant) = &caller.assistant else {
        return unidentified(caller, f);
    };
    match &caller.app {
        Some(app) if caller.app_hosts_assistant() => write!(
            f,
            "{} ({}, pid {})",
            Clean(&app.name),
            path(&app.path),
            assistant.pid
        ),
        app => {
            process(assistant, f)?;
            if let Some(app) = app {
                write!(f, " in {} ({})", Clean(&app.name), path(&app.path))?;
            }
            Ok(())
        }
    }
}

/// `name (/path/to/exe, pid 123)`; an interpreter says what it runs:
/// `python3 running /home/me/tool.py (/usr/bin/python3.11, pid 123)`.
fn process(p: &ProcessInfo, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{}", Clean(&p.name))?;
    match &p.script {
        Some(script) => write!(f, " running {}", path(script))?,
        None if chain::runs_inline_code(p) => write!(f, " running code that is in no file")?,
        None => {}
    }
    match &p.executable {
        Some(exe) => write!(f, " ({}, pid {})", path(exe), p.pid),
        None => write!(f, " (executable unknown, pid {})", p.pid),
    }
}

fn unidentified(caller: &Caller, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match (caller.pid, caller.chain.first()) {
        (_, Some(bridge)) if caller.via_bridge => {
            write!(
                f,
                "latchkey mcp (pid {}), started by an unknown process",
                bridge.pid
            )
        }
        (Some(pid), _) => write!(
            f,
            "unknown process (pid {pid}, uid {}, gone or unreadable)",
            caller.uid
        ),
        (None, _) => write!(f, "unknown process (uid {}, no pid)", caller.uid),
    }
}

fn path(path: &Path) -> Clean<String> {
    Clean(path.to_string_lossy().into_owned())
}

/// Text with control characters (newlines, escape sequences) shown as U+FFFD.
struct Clean<S>(S);

impl<S: AsRef<str>> fmt::Display for Clean<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.as_ref().chars() {
            let c = if c.is_control() {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            };
            fmt::Write::write_char(f, c)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::{AppInfo, Caller, ProcessInfo};

    fn process(pid: u32, exe: Option<&str>, name: &str) -> ProcessInfo {
        ProcessInfo {
            pid,
            executable: exe.map(PathBuf::from),
            name: name.to_string(),
            script: None,
        }
    }

    fn caller(chain: Vec<ProcessInfo>, assistant: usize, app: Option<&str>) -> Caller {
        let app = app.map(|path| AppInfo {
            path: PathBuf::from(path),
            bundle_id: None,
            name: PathBuf::from(path)
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned(),
        });
        Caller {
            uid: 501,
            pid: chain.first().map(|p| p.pid),
            assistant: chain.get(assistant).cloned(),
            via_bridge: assistant > 0,
            chain,
            app,
            signature: None,
        }
    }

    const CLAUDE: &str = "/Applications/Claude.app/Contents/MacOS/Claude";
    const BRIDGE: &str = "/Applications/Latchkey.app/Contents/MacOS/latchkey";

    #[test]
    fn an_assistant_inside_its_app_is_named_and_remembered_by_the_app() {
        let c = caller(
            vec![
                process(9, Some(BRIDGE), "latchkey"),
                process(5, Some(CLAUDE), "Claude"),
            ],
            1,
            Some("/Applications/Claude.app"),
        );
        assert_eq!(c.describe(), "Claude (/Applications/Claude.app, pid 5)");
        assert_eq!(
            c.assistant_executable(),
            Some(PathBuf::from("/Applications/Claude.app").as_path())
        );
    }

    #[test]
    fn an_assistant_in_a_terminal_inside_an_app_is_remembered_by_its_own_executable() {
        let claude = "/Users/me/.local/share/claude/versions/2.1.3";
        let code =
            "/Applications/Code.app/Contents/Frameworks/Code Helper.app/Contents/MacOS/Code Helper";
        let c = caller(
            vec![
                process(9, Some(BRIDGE), "latchkey"),
                process(8, Some(claude), "claude"),
                process(7, Some("/bin/zsh"), "zsh"),
                process(6, Some(code), "Code Helper"),
            ],
            1,
            Some("/Applications/Code.app"),
        );
        assert_eq!(
            c.describe(),
            format!("claude ({claude}, pid 8) in Code (/Applications/Code.app)")
        );
        assert_eq!(
            c.assistant_executable(),
            Some(PathBuf::from(claude).as_path())
        );
    }

    #[test]
    fn linux_callers_are_their_executable() {
        let c = caller(
            vec![process(42, Some("/opt/agent/bin/agent-1.2"), "agent")],
            0,
            None,
        );
        assert_eq!(c.describe(), "agent (/opt/agent/bin/agent-1.2, pid 42)");
        assert_eq!(
            c.assistant_executable(),
            Some(PathBuf::from("/opt/agent/bin/agent-1.2").as_path())
        );
    }

    #[test]
    fn what_could_not_be_identified_says_so() {
        let zombie = caller(vec![process(42, None, "python3")], 0, None);
        assert_eq!(zombie.describe(), "python3 (executable unknown, pid 42)");
        assert_eq!(zombie.assistant_executable(), None);
        let mut gone = caller(vec![], 0, None);
        gone.pid = Some(42);
        assert_eq!(
            gone.describe(),
            "unknown process (pid 42, uid 501, gone or unreadable)"
        );
        gone.pid = None;
        assert_eq!(gone.describe(), "unknown process (uid 501, no pid)");
        let mut orphan = caller(vec![process(9, Some(BRIDGE), "latchkey")], 0, None);
        (orphan.via_bridge, orphan.assistant) = (true, None);
        assert_eq!(
            orphan.describe(),
            "latchkey mcp (pid 9), started by an unknown process"
        );
    }

    #[test]
    fn control_characters_never_reach_the_prompt() {
        let c = caller(
            vec![process(42, Some("/tmp/a\nb"), "\x1b[2Jclaude")],
            0,
            None,
        );
        assert_eq!(c.describe(), "\u{fffd}[2Jclaude (/tmp/a\u{fffd}b, pid 42)");
    }

    #[test]
    fn serializes_for_the_audit_log() {
        let c = caller(
            vec![process(42, Some("/usr/bin/python3.11"), "python3")],
            0,
            None,
        );
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["assistant"]["executable"], "/usr/bin/python3.11");
        assert_eq!(json["app"], serde_json::Value::Null);
        assert_eq!(serde_json::from_value::<Caller>(json.clone()).unwrap(), c);
        let mut before_signatures = json;
        before_signatures
            .as_object_mut()
            .unwrap()
            .remove("signature");
        assert_eq!(
            serde_json::from_value::<Caller>(before_signatures).unwrap(),
            c
        );
    }

    #[test]
    fn an_interpreter_says_what_it_runs_and_is_remembered_by_its_script() {
        let mut python = process(42, Some("/usr/bin/python3.11"), "python3");
        python.script = Some(PathBuf::from("/home/me/tool.py"));
        let c = caller(vec![python], 0, None);
        assert_eq!(
            c.describe(),
            "python3 running /home/me/tool.py (/usr/bin/python3.11, pid 42)"
        );
        assert_eq!(
            c.assistant_executable(),
            Some(PathBuf::from("/home/me/tool.py").as_path())
        );
        assert_eq!(
            c.interpreter(),
            Some(PathBuf::from("/usr/bin/python3.11").as_path())
        );
        assert!(!c.runs_inline_code());

        let bare = caller(
            vec![process(43, Some("/usr/bin/python3.11"), "python3")],
            0,
            None,
        );
        assert_eq!(
            bare.describe(),
            "python3 running code that is in no file (/usr/bin/python3.11, pid 43)"
        );
        assert!(bare.runs_inline_code());
        assert_eq!(bare.interpreter(), None);
    }

    #[test]
    fn an_interpreter_inside_an_app_is_still_remembered_by_its_script() {
        let node = "/Applications/Cursor.app/Contents/Resources/node";
        let mut p = process(42, Some(node), "node");
        p.script = Some(PathBuf::from("/Users/me/agent.js"));
        let c = caller(vec![p], 0, Some("/Applications/Cursor.app"));
        assert_eq!(
            c.assistant_executable(),
            Some(PathBuf::from("/Users/me/agent.js").as_path())
        );
        assert_eq!(
            c.describe(),
            format!(
                "node running /Users/me/agent.js ({node}, pid 42) in Cursor (/Applications/Cursor.app)"
            )
        );
    }
}
