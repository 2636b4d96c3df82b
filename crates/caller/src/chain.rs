//! From the peer's pid to a [`Caller`]: walk the parents, skip the bridge, pick the assistant.
//! No I/O here: the platform's look-up is passed in, so the rules are tested with tables.

use std::path::Path;

use crate::{AppInfo, Caller, CodeSignature, ProcessInfo};

/// The most processes a chain holds, the peer included. Real chains are short (assistant,
/// maybe a shell or two, the app, launchd or a session manager); this bounds a walk through
/// a parent loop that reused pids could make.
pub const MAX_DEPTH: usize = 32;

/// Shells are how an assistant starts a program, not who the assistant is: `sh -c`
/// between Claude Desktop and the bridge must not make "sh" the caller.
const SHELLS: &[&str] = &[
    "sh", "bash", "dash", "zsh", "fish", "ksh", "mksh", "tcsh", "csh",
];

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
) -> Caller {
    let chain = pid.map(|pid| walk(uid, pid, process)).unwrap_or_default();
    let via_bridge = chain.first().and_then(|p| p.executable.as_deref()) == Some(bridge);
    let first = usize::from(via_bridge);
    let assistant = chain[first..]
        .iter()
        .position(|p| !is_shell(p))
        .map(|i| first + i)
        .or((first < chain.len()).then_some(first));
    Caller {
        uid,
        pid,
        via_bridge,
        assistant: assistant.map(|i| chain[i].clone()),
        app: assistant.and_then(|i| app(&chain[i..])),
        signature: assistant.and_then(|i| signature(chain[i].pid)),
        chain,
    }
}

/// The peer and its ancestors of the same uid, up to (not including) pid 1.
fn walk(uid: u32, peer: u32, mut lookup: impl FnMut(u32) -> Option<Proc>) -> Vec<ProcessInfo> {
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
        chain.push(process.info);
    }
    chain
}

/// By the executable's file name, not the process's name, which any program can set.
fn is_shell(p: &ProcessInfo) -> bool {
    let file_name = p.executable.as_deref().and_then(Path::file_name);
    file_name.is_some_and(|name| SHELLS.iter().any(|shell| name == *shell))
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
            let info = ProcessInfo {
                pid,
                executable: Some(PathBuf::from(exe)),
                name,
            };
            Some(Proc {
                info,
                ppid,
                uid,
                started,
            })
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
            (30, 20, ME, 3, "/bin/python3"),
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
        );
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
            (20, 10, ME, 2, "/opt/node"),
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
        let c = caller(&[(40, 30, ME, 4, "/bin/python3"), (30, 1, ME, 3, BRIDGE)]);
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
            let info = ProcessInfo {
                pid,
                executable: Some(exe.into()),
                name: "sh".into(),
            };
            Some(Proc {
                info,
                ppid: pid - 10,
                uid: ME,
                started: 0,
            })
        };
        let c = build(ME, Some(30), Path::new(BRIDGE), lookup, app, signature);
        assert_eq!(c.assistant.map(|p| p.pid), Some(30));
    }

    #[test]
    fn the_app_is_looked_for_from_the_assistant_up() {
        let bridge = "/Apps/Latchkey/latchkey";
        let rows = [
            (40, 30, ME, 4, bridge),
            (30, 20, ME, 3, "/opt/node"),
            (20, 1, ME, 2, "/Apps/Cursor"),
        ];
        let c = build(
            ME,
            Some(40),
            Path::new(bridge),
            table(&rows),
            app,
            signature,
        );
        assert_eq!(c.app.map(|a| a.name), Some("Cursor".to_string()));
        let no_assistant = build(
            ME,
            Some(40),
            Path::new(bridge),
            table(&rows[..1]),
            app,
            signature,
        );
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
}
