//! The processes a caller was named by, held for the life of its connection. A process that
//! connects and then starts another program (`exec`), or exits leaving the socket to a child,
//! is no longer the caller the person allowed: [`ProcessPin::check`] says so at every call,
//! and [`PinnedReader`] ends the connection then. On Linux the reader also refuses bytes
//! written by any process but the one that connected (a forked child keeping the socket).

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use tokio::io::{AsyncRead, ReadBuf};
use tokio::net::unix::OwnedReadHalf;

use crate::chain::{Image, Proc};
use crate::platform;

/// How many processes of a chain each connection holds on to (see [`Snapshot::verify`]).
const HELD_HANDLES: usize = 4;

/// Why a connection's caller is not the one identified at connect. The text is what the
/// caller and the audit are told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Changed {
    #[error("pid {pid} has exited since Latchkey identified the caller")]
    Gone { pid: u32 },
    #[error("pid {pid} now belongs to another process than when Latchkey identified the caller")]
    Replaced { pid: u32 },
    #[error("pid {pid} started another program since Latchkey identified the caller by it ({was})")]
    Executed { pid: u32, was: String },
    #[error("{} wrote on the connection that pid {pid} opened", writer_words(*.writer))]
    ForeignWriter { pid: u32, writer: u32 },
    #[error("the caller's pid is unknown, so its process cannot be checked")]
    Unknown,
}

fn writer_words(writer: u32) -> String {
    match writer {
        0 => "a process Latchkey cannot see".to_owned(),
        pid => format!("another process (pid {pid})"),
    }
}

/// The caller's processes (the peer up to the assistant) as they were when identified, and
/// the peer itself by a handle that outlives its pid (Linux: a pidfd; macOS: its audit token).
pub struct ProcessPin {
    pid: Option<u32>,
    peer: Option<platform::Peer>,
    processes: Vec<Snapshot>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The first change found; the connection is over from then on.
    broken: Option<Changed>,
    /// The connection's reader, waiting for bytes: woken to end when the pin breaks.
    reader: Option<Waker>,
}

/// One process as identified.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub pid: u32,
    uid: u32,
    started: u64,
    image: Image,
    /// Whether it ran an interpreter (whose script argument is then checked too).
    interpreter: bool,
    /// The platform's hold on the process it was (Linux: its `/proc/PID` directory, which
    /// answers for that process only, never for another given its pid later).
    handle: Option<platform::Handle>,
    /// For messages: what it ran.
    runs: String,
}

impl Snapshot {
    pub(crate) fn of(process: Proc) -> Self {
        let info = &process.info;
        let interpreter = info
            .executable
            .as_deref()
            .is_some_and(crate::interpreter::is_interpreter);
        let executable = info.executable.as_ref().map_or_else(
            || "an unknown executable".to_owned(),
            |e| e.display().to_string(),
        );
        let runs = match &info.script {
            Some(script) => format!("{executable} running {}", script.display()),
            None => executable,
        };
        Self {
            pid: info.pid,
            uid: process.uid,
            started: process.started,
            image: process.image,
            interpreter,
            handle: process.handle,
            runs,
        }
    }

    /// Whether `pid` is still this process, running what it ran.
    fn verify(&self) -> Result<(), Changed> {
        let pid = self.pid;
        let now = match &self.handle {
            // The hold is on the process itself: once it exits nothing answers through it,
            // even if its pid is reused, so its start time needs no reading again. Its uid
            // changes only by running a set-uid program (a new image, seen below) or with the
            // privilege to change it at will, which owns the machine anyway. What is read
            // per call is then one `statx` (and an interpreter's arguments).
            Some(handle) => platform::image(handle, self.interpreter),
            None => {
                let now = platform::process(pid);
                let now = now.ok_or(Changed::Gone { pid })?;
                if now.uid != self.uid || now.started != self.started {
                    return Err(Changed::Replaced { pid });
                }
                Some(now.image)
            }
        };
        let now = now.ok_or(Changed::Gone { pid })?;
        if now.executable.is_none() && self.image.executable.is_some() {
            // Exited, not yet reaped: a zombie has no executable.
            return Err(Changed::Gone { pid });
        }
        if now != self.image {
            return Err(Changed::Executed {
                pid,
                was: self.runs.clone(),
            });
        }
        Ok(())
    }
}

impl ProcessPin {
    pub(crate) fn new(
        pid: Option<u32>,
        peer: Option<platform::Peer>,
        mut processes: Vec<Snapshot>,
    ) -> Self {
        // A long chain of launchers is checked the slower way past the first few, so that
        // 64 connections cannot hold open more files than a default limit allows.
        for process in processes.iter_mut().skip(HELD_HANDLES) {
            process.handle = None;
        }
        Self {
            pid,
            peer,
            processes,
            state: Mutex::default(),
        }
    }

    /// Whether the processes the caller was identified by still run what they ran then, and
    /// the peer is still the process that connected. Once it fails it keeps failing, and the
    /// connection's [`PinnedReader`] ends. Blocks briefly: a `statx` per process through its held
    /// `/proc/PID` and a poll of the peer's pidfd (Linux), or `proc_pidinfo` and the Security
    /// framework's check of the peer's audit token (macOS).
    pub fn check(&self) -> Result<(), Changed> {
        if let Some(changed) = self.broken() {
            return Err(changed);
        }
        let verdict = self.verify();
        if let Err(changed) = &verdict {
            self.break_with(changed.clone());
        }
        verdict
    }

    /// The change that ended the connection, if one did.
    pub fn broken(&self) -> Option<Changed> {
        self.state().broken.clone()
    }

    /// Reads the connection's bytes while the pin holds: bytes another process wrote end it
    /// (Linux), and so does a failed [`ProcessPin::check`]. `half` must be of the stream the
    /// caller was identified on, accepted from a listener made ready with
    /// [`crate::prepare_listener`].
    pub fn reader(self: &std::sync::Arc<Self>, half: OwnedReadHalf) -> PinnedReader {
        PinnedReader {
            pin: std::sync::Arc::clone(self),
            half,
        }
    }

    fn verify(&self) -> Result<(), Changed> {
        let pid = self.pid.ok_or(Changed::Unknown)?;
        if self.processes.is_empty() {
            return Err(Changed::Gone { pid });
        }
        for process in &self.processes {
            process.verify()?;
        }
        // After the look-ups: while the peer is alive its pid is not reused, so they were of it.
        match &self.peer {
            Some(peer) => peer.verify(pid, &self.processes[0].runs),
            None => Ok(()),
        }
    }

    fn break_with(&self, changed: Changed) {
        let reader = {
            let mut state = self.state();
            state.broken.get_or_insert(changed);
            state.reader.take()
        };
        if let Some(reader) = reader {
            reader.wake();
        }
    }

    /// Whether the pin is broken; if not, `waker` is woken when it breaks.
    fn broken_or_notify(&self, waker: &Waker) -> bool {
        let mut state = self.state();
        if state.broken.is_none() {
            state.reader = Some(waker.clone());
        }
        state.broken.is_some()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl fmt::Debug for ProcessPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessPin")
            .field("pid", &self.pid)
            .field("processes", &self.processes)
            .field("broken", &self.broken())
            .finish_non_exhaustive()
    }
}

/// The read half of a pinned connection: ends (reads nothing more) once the pin breaks.
#[derive(Debug)]
pub struct PinnedReader {
    pin: std::sync::Arc<ProcessPin>,
    half: OwnedReadHalf,
}

impl AsyncRead for PinnedReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.pin.broken_or_notify(cx.waker()) {
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        let writer = match platform::poll_recv(&mut this.half, cx, buf) {
            Poll::Ready(Ok(writer)) => writer,
            other => return other.map_ok(|_| ()),
        };
        let peer = this.pin.pid.unwrap_or(0);
        if buf.filled().len() > before && writer.is_some_and(|writer| writer != peer || writer == 0)
        {
            // Not a byte of it reaches the server.
            buf.set_filled(before);
            this.pin.break_with(Changed::ForeignWriter {
                pid: peer,
                writer: writer.unwrap_or(0),
            });
        }
        Poll::Ready(Ok(()))
    }
}
