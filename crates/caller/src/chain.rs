//! From the peer's pid to a [`Caller`]: walk the parents, skip the bridge, pick the assistant.
//! No I/O here: the platform's look-up is passed in, so the rules are tested with tables.

use std::ffi::OsString;
use std::path::Path;

use crate::pin::Snapshot;
use crate::platform::{self, ExecutableId};
use crate::{AppInfo, Caller, CodeSignature, ProcessInfo, interpreter};

/// The most processes a chain holds, the peer included. Real chains are short (assistant,
/// maybe a shell or two, the app, launchd or a session manager); this bounds a walk through
/// a parent loop that reused pids could make.
pub const MAX_DEPTH: usize = 32;

/// What the platform knows of one process.
#[derive(Debug)]
pub(crate) struct Proc {
    pub info: ProcessInfo,
    /// 0 when it has none.
    pub ppid: u32,
    /// Effective uid.
    pub uid: u32,
    /// When it started, in platform units; only compared with another process's.
    pub started: u64,
    /// What it runs, to tell later whether it still runs that.
    pub image: Image,
    /// The platform's hold on this very process, when it has one (see [`crate::pin`]).
    pub handle: Option<platform::Handle>,
}

/// What a process runs: its executable file and, for an interpreter, the script argument as
/// it was given (the resolved path depends on the working directory, which may change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Image {
    /// Linux: the running executable's device and inode; macOS: its path.
    pub executable: Option<ExecutableId>,
    pub script_argument: Option<OsString>,
}

/// A [`Caller`] and the processes it was named by (the peer up to the assistant), as they
/// were when looked up.
#[derive(Debug)]
pub(crate) struct Built {
    pub caller: Caller,
    pub pinned: Vec<Snapshot>,
}

/// A [`Caller`] from the peer's credentials, the platform's look-up of one process, its way
/// of finding the app around the chain from the assistant up, and its check of the
/// assistant's code signature (by pid). `bridge` is compared with executables as it is:
/// canonicalize it first.
pub(crate) fn build(
    uid: u32,
    pid: Option<u32>,
    bridge: &Path,
    process: impl FnMut(u32) -> Option<Proc>,
    app: impl FnOnce(&[ProcessInfo]) -> Option<AppInfo>,
    signature: impl FnOnce(u32) -> Option<CodeSignature>,
) -> Built {
    let walked = pid.map(|pid| walk(uid, pid, process)).unwrap_or_default();
    let chain: Vec<ProcessInfo> = walked.iter().map(|p| p.info.clone()).collect();
    let via_bridge = chain.first().and_then(|p| p.executable.as_deref()) == Some(bridge);
    let first = usize::from(via_bridge);
    let assistant = chain[first..]
        .iter()
        .position(|p| !runs_inline_code(p))
        .map(|i| first + i)
        .or((first < chain.len()).then_some(first));
    // Pinned: the peer up to the assistant; the peer alone when there is no assistant.
    let named_by = assistant.map_or(walked.len().min(1), |i| i + 1);
    let pinned = walked
        .into_iter()
        .take(named_by)
        .map(Snapshot::of)
        .collect();
    let caller = Caller {
        uid,
        pid,
        via_bridge,
        assistant: assistant.map(|i| chain[i].clone()),
        app: assistant.and_then(|i| app(&chain[i..])),
        signature: assistant.and_then(|i| signature(chain[i].pid)),
        chain,
    };
    Built { caller, pinned }
}

/// The peer and its ancestors of the same uid, up to (not including) pid 1.
fn walk(uid: u32, peer: u32, mut lookup: impl FnMut(u32) -> Option<Proc>) -> Vec<Proc> {
    let mut chain = Vec::new();
    let mut pid = peer;
    let mut child_started = None;
    while chain.len() < MAX_DEPTH && pid != 0 && (pid != 1 || pid == peer) {
        let Some(process) = lookup(pid) else { break };
        if process.uid != uid {
            // The peer: its pid now belongs to someone else. A parent: not the caller's.
            break;
        }
        if child_started.is_some_and(|child| process.started > child) {
            // A parent cannot start after its child: the parent exited and its pid was reused.
            break;
        }
        pid = process.ppid;
        child_started = Some(process.started);
        chain.push(process);
    }
    chain
}

/// An interpreter running no script (`sh -c`, `python3 -c`, a REPL) is how its launcher runs
/// something, not who asks: the launcher is named instead. Judged by the executable's file
/// name, not the process's name, which any program can set.
pub(crate) fn runs_inline_code(p: &ProcessInfo) -> bool {
    p.script.is_none()
        && p.executable
            .as_deref()
            .is_some_and(interpreter::is_interpreter)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::PathBuf;

    use super::*;

    const ME: u32 = 501;
    const BRIDGE: &str = "/usr/local/bin/latchkey";

    /// `(pid, ppid, uid, started, executable)`; the name is the executable's file name.
    fn table(rows: &[(u32, u32, u32, u64, &str)]) -> impl FnMut(u32) -> Option<Proc> {
        let map: HashMap<u32, (u32, u32, u64, String)> = rows
            .iter()
            .map(|&(pid, ppid, uid, started, exe)| (pid, (ppid, uid, started, exe.to_string())))
            .collect();
        move |pid| {
            let (ppid, uid, started, exe) = map.get(&pid)?.clone();
            let name = exe.rsplit('/').next().unwrap_or_default().to_string();
            Some(proc(pid, ppid, uid, started, &exe, &name))
        }
    }

    /// One process; an interpreter's script is what follows a space in `exe`
    /// (`"/usr/bin/python3 /home/me/tool.py"`).
    fn proc(pid: u32, ppid: u32, uid: u32, started: u64, exe: &str, name: &str) -> Proc {
        let (exe, script) = match exe.split_once(' ') {
            Some((exe, script)) => (exe, Some(PathBuf::from(script))),
            None => (exe, None),
        };
        let info = ProcessInfo {
            pid,
            executable: Some(PathBuf::from(exe)),
            name: name.to_owned(),
            script: script.clone(),
        };
        Proc {
            info,
            ppid,
            uid,
            started,
            image: Image {
                executable: None,
                script_argument: script.map(Into::into),
            },
            handle: None,
        }
    }

    /// Stands in for the bundle look-up: an executable under `/Apps/` is an app.
    fn app(chain: &[ProcessInfo]) -> Option<AppInfo> {
        chain.iter().find_map(|p| {
            let exe = p
                .executable
                .as_ref()
                .filter(|exe| exe.starts_with("/Apps"))?;
            Some(AppInfo {
                path: exe.clone(),
                bundle_id: None,
                name: p.name.clone(),
            })
        })
    }

    /// Stands in for the signature check: every process is signed by team `TEAM<pid>`.
    fn signature(pid: u32) -> Option<CodeSignature> {
        Some(CodeSignature {
            identifier: None,
            team_id: Some(format!("TEAM{pid}")),
        })
    }

    fn pids(chain: &[ProcessInfo]) -> Vec<u32> {
        chain.iter().map(|p| p.pid).collect()
    }

    fn caller(rows: &[(u32, u32, u32, u64, &str)]) -> Caller {
        built(rows).caller
    }

    fn built(rows: &[(u32, u32, u32, u64, &str)]) -> Built {
        build(
            ME,
            Some(rows[0].0),
            Path::new(BRIDGE),
            table(rows),
            app,
            signature,
        )
    }

    #[test]
    fn walks_up_to_but_not_including_pid_1() {
        let c = caller(&[
            (30, 20, ME, 3, "/bin/claude"),
            (20, 1, ME, 2, "/bin/app"),
            (1, 0, ME, 0, "/sbin/launchd"),
        ]);
        assert_eq!(pids(&c.chain), [30, 20]);
        assert_eq!(c.assistant.map(|p| p.pid), Some(30));
        assert!(!c.via_bridge);
    }

    #[test]
    fn stops_before_another_users_process() {
        let c = caller(&[
            (30, 20, ME, 3, "/bin/claude"),
            (20, 10, 0, 2, "/usr/bin/login"),
            (10, 1, ME, 1, "/x/Terminal"),
        ]);
        assert_eq!(pids(&c.chain), [30]);
    }

    #[test]
    fn a_peer_whose_pid_now_belongs_to_another_user_is_unknown() {
        let c = caller(&[(30, 20, 0, 3, "/bin/other")]);
        assert!(c.chain.is_empty());
        assert_eq!((c.pid, c.assistant), (Some(30), None));
    }

    #[test]
    fn a_gone_peer_keeps_its_pid() {
        let c = build(
            ME,
            Some(30),
            Path::new(BRIDGE),
            table(&[(20, 1, ME, 2, "/bin/app")]),
            app,
            signature,
        )
        .caller;
        assert!(c.chain.is_empty());
        assert_eq!(c.pid, Some(30));
    }

    #[test]
    fn a_parent_younger_than_its_child_is_a_reused_pid() {
        let c = caller(&[
            (30, 20, ME, 5, "/bin/claude"),
            (20, 10, ME, 9, "/bin/newcomer"),
        ]);
        assert_eq!(pids(&c.chain), [30]);
    }

    #[test]
    fn a_parent_loop_ends_at_the_depth_limit() {
        let c = caller(&[(30, 20, ME, 5, "/bin/a"), (20, 30, ME, 5, "/bin/b")]);
        assert_eq!(c.chain.len(), MAX_DEPTH);
    }

    #[test]
    fn skips_the_bridge_and_shells_to_the_assistant() {
        let c = caller(&[
            (40, 30, ME, 4, BRIDGE),
            (30, 20, ME, 3, "/bin/zsh"),
            (20, 10, ME, 2, "/opt/agent"),
            (10, 1, ME, 1, "/x/Cursor"),
        ]);
        assert!(c.via_bridge);
        assert_eq!(pids(&c.chain), [40, 30, 20, 10]);
        assert_eq!(c.assistant.map(|p| p.pid), Some(20));
    }

    #[test]
    fn only_shells_above_the_bridge_name_the_first_shell() {
        let c = caller(&[
            (40, 30, ME, 4, BRIDGE),
            (30, 20, ME, 3, "/bin/zsh"),
            (20, 10, 0, 2, "/usr/bin/login"),
        ]);
        assert_eq!(c.assistant.map(|p| p.pid), Some(30));
    }

    #[test]
    fn a_bridge_started_by_nobody_we_can_see_has_no_assistant() {
        let c = caller(&[(40, 30, ME, 4, BRIDGE), (30, 1, 0, 3, "/usr/sbin/sshd")]);
        assert!(c.via_bridge);
        assert_eq!(c.assistant, None);
    }

    #[test]
    fn the_bridge_is_only_skipped_as_the_peer() {
        let c = caller(&[(40, 30, ME, 4, "/bin/agent"), (30, 1, ME, 3, BRIDGE)]);
        assert!(!c.via_bridge);
        assert_eq!(c.assistant.map(|p| p.pid), Some(40));
    }

    #[test]
    fn a_process_merely_named_like_a_shell_is_not_skipped() {
        let lookup = |pid| {
            let exe = if pid == 30 {
                "/tmp/evil"
            } else {
                "/bin/claude"
            };
            Some(proc(pid, pid - 10, ME, 0, exe, "sh"))
        };
        let c = build(ME, Some(30), Path::new(BRIDGE), lookup, app, signature).caller;
        assert_eq!(c.assistant.map(|p| p.pid), Some(30));
    }

    #[test]
    fn the_app_is_looked_for_from_the_assistant_up() {
        let bridge = "/Apps/Latchkey/latchkey";
        let rows = [
            (40, 30, ME, 4, bridge),
            (30, 20, ME, 3, "/opt/agent"),
            (20, 1, ME, 2, "/Apps/Cursor"),
        ];
        let c = build(
            ME,
            Some(40),
            Path::new(bridge),
            table(&rows),
            app,
            signature,
        )
        .caller;
        assert_eq!(c.app.map(|a| a.name), Some("Cursor".to_string()));
        let no_assistant = build(
            ME,
            Some(40),
            Path::new(bridge),
            table(&rows[..1]),
            app,
            signature,
        )
        .caller;
        assert_eq!(no_assistant.app, None);
    }

    #[test]
    fn the_signature_is_the_assistants() {
        let c = caller(&[
            (40, 30, ME, 4, BRIDGE),
            (30, 20, ME, 3, "/bin/zsh"),
            (20, 1, ME, 2, "/opt/claude"),
        ]);
        assert_eq!(c.team_id(), Some("TEAM20"));
        let orphan = caller(&[(40, 30, ME, 4, BRIDGE), (30, 1, 0, 3, "/usr/sbin/sshd")]);
        assert_eq!(orphan.signature, None, "no assistant, nothing to check");
    }

    #[test]
    fn an_interpreter_running_a_script_is_the_assistant() {
        let c = caller(&[
            (40, 30, ME, 4, BRIDGE),
            (30, 20, ME, 3, "/usr/bin/python3.11 /home/me/tool.py"),
            (20, 1, ME, 2, "/opt/claude"),
        ]);
        let assistant = c.assistant.unwrap();
        assert_eq!(assistant.pid, 30);
        assert_eq!(
            assistant.script.as_deref(),
            Some(Path::new("/home/me/tool.py"))
        );
    }

    #[test]
    fn interpreters_running_inline_code_are_named_after_their_launcher() {
        let c = caller(&[
            (40, 30, ME, 4, "/usr/bin/python3.11"),
            (30, 20, ME, 3, "/usr/bin/node"),
            (20, 10, ME, 2, "/bin/bash"),
            (10, 1, ME, 1, "/opt/claude"),
        ]);
        assert!(!c.via_bridge);
        assert_eq!(c.assistant.map(|p| p.pid), Some(10));
    }

    #[test]
    fn with_nobody_else_an_interpreter_running_inline_code_is_the_assistant() {
        let c = caller(&[(40, 1, ME, 4, "/usr/bin/python3.11")]);
        let assistant = c.assistant.unwrap();
        assert_eq!((assistant.pid, assistant.script), (40, None));
    }

    #[test]
    fn the_processes_from_the_peer_to_the_assistant_are_pinned() {
        let pinned = |rows: &[(u32, u32, u32, u64, &str)]| -> Vec<u32> {
            built(rows).pinned.iter().map(|s| s.pid).collect()
        };
        let rows = [
            (40, 30, ME, 4, BRIDGE),
            (30, 20, ME, 3, "/bin/zsh"),
            (20, 10, ME, 2, "/opt/claude"),
            (10, 1, ME, 1, "/x/Terminal"),
        ];
        assert_eq!(pinned(&rows), [40, 30, 20]);
        assert_eq!(pinned(&rows[2..]), [20]);
        assert_eq!(
            pinned(&[(40, 30, ME, 4, BRIDGE), (30, 1, 0, 3, "/usr/sbin/sshd")]),
            [40],
            "no assistant: the peer alone"
        );
    }
}
