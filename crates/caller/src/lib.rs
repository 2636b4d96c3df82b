//! Who is on the other end of the broker's MCP socket: the peer's uid and pid, its executable,
//! its parent chain, the assistant it belongs to (skipping Latchkey's own stdio bridge,
//! `latchkey mcp`) and, on macOS, the app bundle around it.
//!
//! The broker uses a [`Caller`] to name the client in approval prompts and the audit log, and
//! [`Caller::assistant_executable`] as the key of the "allowed assistants" list. An
//! interpreter (`python3`, `node`, `sh`, …) is never named by itself: by the script it runs
//! (`python3 running /home/me/tool.py`), or, running inline code, after its launcher.
//!
//! [`identify_pinned`] also returns a [`ProcessPin`]: the processes the caller was named by, so
//! that every call can check they still run what they ran at connect (a process that connects
//! and then starts an allowed program is not that program), and a reader that refuses bytes
//! another process wrote on the connection (Linux).
//!
//! This is **identification, not authentication**. Any process of the same user can make
//! itself look like another one (run a copy of an app from its own folder, inject into a
//! running assistant, reuse a pid). On macOS the assistant's code signature is checked
//! ([`Caller::signature`]), so a program signed by another team at a remembered path is told
//! apart; that still does not prove the process acting is that code. It tells the human which
//! program asked; the presence check is what keeps a process from approving.
//!
//! Known limits, all of which end in a vaguer caller (or a refused call) rather than a panic:
//! - **The peer may be gone** by the time we look: [`Caller::pid`] is kept, the chain is empty.
//!   An exited but unreaped peer (a zombie) still has a name and parents, but no executable.
//! - **Pid reuse**: between the connection and the look-up, the peer could exit and its pid be
//!   given to a new process, which we would then describe. A parent that started after its
//!   child is recognised as a reused pid and ends the chain. The peer is held by a pidfd
//!   (Linux: `SO_PEERPIDFD`, which names the process that connected; `pidfd_open` before
//!   Linux 6.5, which does not) or its audit token (macOS), so [`ProcessPin::check`] finds it
//!   gone. On Linux all reads for one process go through one `/proc/PID` directory handle,
//!   so a pid reused *during* the reads fails them instead of mixing two processes. On macOS
//!   the assistant's signature is looked up by pid after the walk, so a pid reused in between
//!   would lend it the newcomer's signature.
//! - **Linux cannot tell when a process last started a program.** A process that writes its
//!   requests, then starts an allowed program at its pid before the broker looks, and leaves
//!   a child holding the socket to read the answers, is taken for that program: its pid,
//!   start time and executable are the allowed program's by then, and the bytes were written
//!   at that pid. macOS closes this: the audit token taken at connect names the image that
//!   connected.
//! - **An interpreter's script comes from its arguments**, which the process can rewrite
//!   (`process.title`, `$0`, `setproctitle`); a program that renames itself so shows no script
//!   and is named after its launcher. Options this crate does not know end the search for the
//!   script the same way. Interpreters it does not know (`php`, `lua`, `java -jar`, an
//!   Electron app run as node) are named by their executable, as any program.
//! - Processes we may not inspect (non-dumpable on Linux, another user's) end the chain or
//!   lack an executable.
//!
//! The macOS backend (`LOCAL_PEERPID`, `LOCAL_PEERTOKEN`, `proc_pidinfo`, `proc_pidpath`,
//! `KERN_PROCARGS2`, the Security framework's code-signing checks) is type-checked on Linux by
//! `../shared/tools/check-macos` and **has not yet run on a Mac**; the chain and bundle logic
//! it feeds is shared and tested on Linux.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio::net::UnixStream;

// The app bundle around an executable: macOS only, but tested on every platform.
#[cfg(any(target_os = "macos", test))]
mod bundle;
mod chain;
mod display;
mod interpreter;
mod pin;
#[cfg(target_os = "linux")]
#[path = "linux.rs"]
mod platform;
#[cfg(target_os = "macos")]
#[path = "macos.rs"]
mod platform;

pub use chain::MAX_DEPTH;
pub use pin::{Changed, PinnedReader, ProcessPin};

/// Who is calling, as far as the OS can tell. See the crate docs for what this cannot prove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    /// The peer's effective uid when it connected (`SO_PEERCRED`, `getpeereid`).
    pub uid: u32,
    /// The peer's pid when it connected; `None` when the OS does not say (on Linux, a peer in
    /// a pid namespace we cannot see into).
    pub pid: Option<u32>,
    /// The peer, its parent, its grandparent… Ends before pid 1, before a process of another
    /// uid, a gone one or a reused pid, and after [`MAX_DEPTH`] processes. Empty when the peer
    /// could not be looked up (gone, or its pid now belongs to another user).
    pub chain: Vec<ProcessInfo>,
    /// The peer is Latchkey's own stdio bridge, so the assistant is further up the chain.
    pub via_bridge: bool,
    /// The process the caller is named after: the first in the chain after the bridge that
    /// is not a shell, or the first after the bridge when all are shells.
    pub assistant: Option<ProcessInfo>,
    /// macOS: the outermost `.app` bundle around the first process, from the assistant up,
    /// that lives in one. Always `None` on Linux, which has no such notion a process can be
    /// mapped to reliably (a `.desktop` file names a command, not a process).
    pub app: Option<AppInfo>,
    /// macOS: the assistant process's code signature, when the Security framework finds it
    /// valid and issued by Apple. `None` on Linux, and for an assistant that is unsigned,
    /// ad-hoc or self-signed, or whose signature does not check out.
    #[serde(default)]
    pub signature: Option<CodeSignature>,
}

/// One process of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessInfo {
    pub pid: u32,
    /// Where its executable is (symlinks resolved); `None` when the OS would not say
    /// (exited, not ours to inspect).
    pub executable: Option<PathBuf>,
    /// The kernel's short name for it: `comm` on Linux (at most 15 bytes, the name it was
    /// started by, e.g. `claude` for a versioned binary behind a symlink), `p_name` on macOS.
    pub name: String,
    /// For an interpreter (`python3`, `node`, `sh`, …): the script it runs (absolute, symlinks
    /// resolved), from its arguments; `None` for inline code, stdin or a module, and for
    /// every other program.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<PathBuf>,
}

/// A macOS application bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppInfo {
    /// The `.app` directory, e.g. `/Applications/Claude.app`.
    pub path: PathBuf,
    /// `CFBundleIdentifier` from its `Contents/Info.plist`, when readable.
    pub bundle_id: Option<String>,
    /// `CFBundleDisplayName`, else `CFBundleName`, else the bundle's file name without `.app`.
    pub name: String,
}

/// A valid macOS code signature rooted in Apple's CA (the requirement `anchor apple generic`:
/// Apple's own code, Developer ID, App Store and Apple Development certificates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeSignature {
    /// The signing identifier, e.g. `com.anthropic.claudefordesktop`; the signer picks it.
    pub identifier: Option<String>,
    /// The developer team of the signing certificate, e.g. `Q6L2SF6YDW`; `None` for Apple's
    /// own platform code, which has none.
    pub team_id: Option<String>,
}

/// The peer's credentials could not be read, so nothing at all is known about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("cannot read the credentials of the socket's peer: {0}")]
    PeerCredentials(#[source] io::Error),
}

/// Who is on the other end of `stream`. `bridge` is the path of Latchkey's own binary (the
/// `latchkey mcp` bridge), symlinks allowed; a peer running it is skipped over.
///
/// Never fails for a peer that is gone or unreadable (see [`Caller`]); only when the socket
/// has no peer credentials. Blocks briefly: a few small reads (`/proc`, `proc_pidinfo`, an
/// `Info.plist`) and, on macOS, the Security framework's check of the assistant's signature.
pub fn identify(stream: &UnixStream, bridge: &Path) -> Result<Caller, Error> {
    let cred = stream.peer_cred().map_err(Error::PeerCredentials)?;
    let pid = platform::peer_pid(stream, &cred);
    Ok(build(cred.uid(), pid, bridge).caller)
}

/// [`identify`], and the [`ProcessPin`] to check at every call that the caller is still the
/// processes it was named by. Check the pin once before trusting the caller: that shows the
/// look-ups were of the process that connected. Its [`ProcessPin::reader`] is the one to read
/// the connection with.
pub fn identify_pinned(stream: &UnixStream, bridge: &Path) -> Result<(Caller, ProcessPin), Error> {
    let cred = stream.peer_cred().map_err(Error::PeerCredentials)?;
    let pid = platform::peer_pid(stream, &cred);
    // Held before the look-ups, so that the check after them shows they were of this process.
    let peer = pid.and_then(|pid| platform::peer(stream, pid));
    let built = build(cred.uid(), pid, bridge);
    Ok((built.caller, ProcessPin::new(pid, peer, built.pinned)))
}

/// Makes a listening socket ready for [`identify_pinned`]'s reader: on Linux each message then
/// carries its writer's credentials (`SO_PASSCRED`, inherited by accepted sockets, and given
/// also to what was sent before the accept).
pub fn prepare_listener(listener: &tokio::net::UnixListener) -> io::Result<()> {
    platform::prepare_listener(listener)
}

fn build(uid: u32, pid: Option<u32>, bridge: &Path) -> chain::Built {
    // Executables are reported with symlinks resolved, so compare against the resolved path.
    let bridge = bridge
        .canonicalize()
        .unwrap_or_else(|_| bridge.to_path_buf());
    chain::build(
        uid,
        pid,
        &bridge,
        platform::process,
        platform::app_for,
        platform::signature,
    )
}

impl Caller {
    /// The peer itself, when it could be looked up.
    pub fn peer(&self) -> Option<&ProcessInfo> {
        self.chain.first().filter(|p| Some(p.pid) == self.pid)
    }

    /// What the allow-list remembers: the script, when the assistant is an interpreter running
    /// one (its [`Caller::interpreter`] is remembered with it); the app bundle when the
    /// assistant lives inside it (Claude Desktop, Cursor's own agent); otherwise the
    /// assistant's executable (Claude Code's `claude` — also when it runs in a terminal inside
    /// an app such as VS Code, which [`Caller::app`] still names). `None` when none is known.
    pub fn assistant_executable(&self) -> Option<&Path> {
        let assistant = self.assistant.as_ref()?;
        if let Some(script) = &assistant.script {
            return Some(script);
        }
        match &self.app {
            Some(app) if self.app_hosts_assistant() => Some(&app.path),
            _ => assistant.executable.as_deref(),
        }
    }

    /// The interpreter's executable, when the assistant is an interpreter running a script.
    pub fn interpreter(&self) -> Option<&Path> {
        let assistant = self.assistant.as_ref()?;
        assistant.script.as_ref()?;
        assistant.executable.as_deref()
    }

    /// Whether the assistant is an interpreter running no script (inline code, stdin, a
    /// module) with no launcher to name instead: such a caller is never allowed, since the
    /// interpreter alone says nothing of the code it runs.
    pub fn runs_inline_code(&self) -> bool {
        self.assistant.as_ref().is_some_and(chain::runs_inline_code)
    }

    /// The team id of the assistant's valid code signature (macOS only): what the allow-list
    /// remembers with [`Caller::assistant_executable`].
    pub fn team_id(&self) -> Option<&str> {
        self.signature.as_ref()?.team_id.as_deref()
    }

    /// One line for prompts and logs, e.g. `Claude (/Applications/Claude.app, pid 123)` or
    /// `claude (/home/me/.local/share/claude/versions/2.1.3, pid 456)`. Control characters
    /// in names and paths are replaced.
    pub fn describe(&self) -> String {
        self.to_string()
    }

    /// Whether [`Caller::app`] is the bundle the assistant's own executable lives in.
    fn app_hosts_assistant(&self) -> bool {
        match (&self.app, &self.assistant) {
            // An interpreter inside an app runs whatever script it is given.
            (Some(app), Some(assistant)) => {
                assistant.script.is_none()
                    && assistant
                        .executable
                        .as_deref()
                        .is_some_and(|exe| exe.starts_with(&app.path))
            }
            _ => false,
        }
    }
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display::caller(self, f)
    }
}
