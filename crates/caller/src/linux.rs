//! Linux: the peer's pid from `SO_PEERCRED` (tokio's `peer_cred`) and the process itself from
//! `SO_PEERPIDFD`; what `/proc/PID` says of each process: `stat` (name, parent, start time),
//! `status` (effective uid), `exe` (path, device and inode), and for an interpreter `cmdline`
//! and `cwd`; and each message's writer from `SCM_CREDENTIALS`.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::mem::size_of;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::task::{Context, Poll, ready};

use rustix::fs::{AtFlags, Mode, OFlags};
use tokio::io::{Interest, ReadBuf};
use tokio::net::unix::{OwnedReadHalf, UCred};
use tokio::net::{UnixListener, UnixStream};

use crate::chain::{Image, Proc};
use crate::pin::Changed;
use crate::{AppInfo, CodeSignature, ProcessInfo, interpreter};

/// The running executable's device and inode: the same for as long as it runs, whatever
/// happens to its path (an upgrade renaming a new file over it).
pub(crate) type ExecutableId = (u64, u64);

/// The kernel's note on the `exe` link of a process whose executable was unlinked.
const DELETED: &[u8] = b" (deleted)";

pub(crate) fn peer_pid(_stream: &UnixStream, cred: &UCred) -> Option<u32> {
    // SO_PEERCRED says 0 for a peer in a pid namespace this process cannot see into.
    cred.pid()
        .and_then(|pid| u32::try_from(pid).ok())
        .filter(|&pid| pid != 0)
}

/// A process's `/proc/PID` directory, held open: what is read through it is of that process,
/// or fails once it has exited and been reaped (even if its pid is reused by then).
pub(crate) type Handle = OwnedFd;

pub(crate) fn process(pid: u32) -> Option<Proc> {
    // All reads go through this one directory handle: should the process exit and its pid
    // be reused meanwhile, they fail instead of describing the newcomer.
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let dir = rustix::fs::open(format!("/proc/{pid}"), flags, Mode::empty()).ok()?;
    let stat = parse_stat(&read_at(&dir, "stat")?)?;
    let uid = parse_euid(&String::from_utf8_lossy(&read_at(&dir, "status")?))?;
    // Fails for a zombie, a kernel thread, or a process we may not ptrace-read (non-dumpable).
    let executable = rustix::fs::readlinkat(&dir, "exe", Vec::new())
        .ok()
        .map(|target| executable_path(target.into_bytes()));
    let executable_id = rustix::fs::statat(&dir, "exe", AtFlags::empty())
        .ok()
        .map(|st| (st.st_dev, st.st_ino));
    let script = executable
        .as_deref()
        .filter(|exe| interpreter::is_interpreter(exe))
        .map(|exe| script(&dir, exe))
        .unwrap_or_default();
    let info = ProcessInfo {
        pid,
        executable,
        name: stat.comm,
        script: script.path,
    };
    Some(Proc {
        info,
        ppid: stat.ppid,
        uid,
        started: stat.started,
        image: Image {
            executable: executable_id,
            script_argument: script.argument,
        },
        handle: Some(dir),
    })
}

/// What the process held by `dir` runs now, its script argument read again when it ran an
/// `interpreter`; `None` once it has exited and been reaped. A zombie, or a process whose
/// executable may not be read (non-dumpable), has no executable.
pub(crate) fn image(dir: &Handle, interpreter: bool) -> Option<Image> {
    let executable = match rustix::fs::statat(dir, "exe", AtFlags::empty()) {
        Ok(st) => Some((st.st_dev, st.st_ino)),
        // Still there (unreadable, or a zombie), or gone: `stat` answers for any live process.
        Err(_) => {
            rustix::fs::statat(dir, "stat", AtFlags::empty()).ok()?;
            None
        }
    };
    let script_argument = match (interpreter, executable) {
        (true, Some(_)) => rustix::fs::readlinkat(dir, "exe", Vec::new())
            .ok()
            .and_then(|target| script(dir, &executable_path(target.into_bytes())).argument),
        _ => None,
    };
    Some(Image {
        executable,
        script_argument,
    })
}

/// The script an interpreter runs, from its arguments, relative ones from its working
/// directory.
fn script(dir: &OwnedFd, executable: &Path) -> interpreter::Script {
    let Some(cmdline) = read_at(dir, "cmdline") else {
        return interpreter::Script::default();
    };
    let cwd = || {
        rustix::fs::readlinkat(dir, "cwd", Vec::new())
            .ok()
            .map(|cwd| PathBuf::from(OsString::from_vec(cwd.into_bytes())))
    };
    interpreter::script(executable, &split_arguments(&cmdline), cwd)
}

/// `cmdline` is the arguments, each ended by a NUL.
fn split_arguments(cmdline: &[u8]) -> Vec<OsString> {
    let cmdline = cmdline.strip_suffix(b"\0").unwrap_or(cmdline);
    if cmdline.is_empty() {
        return Vec::new();
    }
    cmdline
        .split(|&b| b == 0)
        .map(|arg| OsString::from_vec(arg.to_vec()))
        .collect()
}

/// The process that connected, by a pidfd: `SO_PEERPIDFD` names it even if it is gone and
/// its pid reused before we looked (Linux 6.5); on older kernels, `pidfd_open` on its pid.
#[derive(Debug)]
pub(crate) enum Peer {
    Pidfd(OwnedFd),
    /// The kernel says the process that connected has exited.
    Gone,
}

pub(crate) fn peer(stream: &UnixStream, pid: u32) -> Option<Peer> {
    let mut fd: libc::c_int = -1;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: the fd is borrowed from `stream`, so it stays open for the call; `fd` and `len`
    // are live locals, `fd` the int SO_PEERPIDFD writes and `len` its size.
    #[allow(unsafe_code)]
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERPIDFD,
            (&raw mut fd).cast(),
            &mut len,
        )
    };
    if rc == 0 && fd >= 0 {
        // SAFETY: on success the kernel installed a new pidfd, which nothing else owns.
        #[allow(unsafe_code)]
        return Some(Peer::Pidfd(unsafe { OwnedFd::from_raw_fd(fd) }));
    }
    match io::Error::last_os_error().raw_os_error() {
        Some(libc::ENOPROTOOPT) => {
            let pid = rustix::process::Pid::from_raw(i32::try_from(pid).ok()?)?;
            rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty())
                .ok()
                .map(Peer::Pidfd)
        }
        _ => Some(Peer::Gone),
    }
}

impl Peer {
    /// Whether the process that connected is still running (a pidfd reads as ready once it
    /// has exited).
    pub(crate) fn verify(&self, pid: u32, _runs: &str) -> Result<(), Changed> {
        let Peer::Pidfd(pidfd) = self else {
            return Err(Changed::Gone { pid });
        };
        let mut fds = [rustix::event::PollFd::new(
            pidfd,
            rustix::event::PollFlags::IN,
        )];
        let now = rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        match rustix::event::poll(&mut fds, Some(&now)) {
            Ok(0) => Ok(()),
            _ => Err(Changed::Gone { pid }),
        }
    }
}

/// Room for exactly one `SCM_CREDENTIALS` message: file descriptors a client sends along do
/// not fit, so the kernel closes them instead of handing them to us.
#[allow(unsafe_code)]
// SAFETY: CMSG_SPACE only computes a length.
const CONTROL_LEN: usize = unsafe { libc::CMSG_SPACE(size_of::<libc::ucred>() as u32) } as usize;

/// Reads what is there into `buf`, with the pid of the process that wrote it (0 when the
/// kernel does not say). Each read holds one writer's bytes: the kernel does not join bytes
/// of different writers.
pub(crate) fn poll_recv(
    half: &mut OwnedReadHalf,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
) -> Poll<io::Result<Option<u32>>> {
    let stream: &UnixStream = half.as_ref();
    if buf.remaining() == 0 {
        return Poll::Ready(Ok(None));
    }
    loop {
        ready!(stream.poll_read_ready(cx))?;
        let unfilled = buf.initialize_unfilled();
        match stream.try_io(Interest::READABLE, || recv_with_writer(stream, unfilled)) {
            Ok((read, writer)) => {
                buf.advance(read);
                return Poll::Ready(Ok(Some(writer)));
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => return Poll::Ready(Err(e)),
        }
    }
}

fn recv_with_writer(stream: &UnixStream, bytes: &mut [u8]) -> io::Result<(usize, u32)> {
    let mut control = [0u64; 8];
    debug_assert!(CONTROL_LEN <= size_of_val(&control));
    let mut iov = libc::iovec {
        iov_base: bytes.as_mut_ptr().cast(),
        iov_len: bytes.len(),
    };
    // SAFETY: `msghdr` is plain data, valid zeroed. It points at `iov` (over `bytes`, a live
    // writable slice of `iov_len` bytes) and at `control`, live, 8-aligned as cmsghdr needs,
    // of which CONTROL_LEN bytes are offered. recvmsg writes within those; the CMSG_* walk
    // stays within what it reports in `msg_controllen`, and the payload is read unaligned.
    #[allow(unsafe_code)]
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &raw mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = CONTROL_LEN as _;
        let read = libc::recvmsg(
            stream.as_fd().as_raw_fd(),
            &raw mut msg,
            libc::MSG_DONTWAIT | libc::MSG_CMSG_CLOEXEC,
        );
        let read = usize::try_from(read).map_err(|_| io::Error::last_os_error())?;
        let mut writer = 0;
        let mut cmsg = libc::CMSG_FIRSTHDR(&raw const msg);
        while !cmsg.is_null() {
            let header = &*cmsg;
            let len = libc::CMSG_LEN(size_of::<libc::ucred>() as u32) as usize;
            if header.cmsg_level == libc::SOL_SOCKET
                && header.cmsg_type == libc::SCM_CREDENTIALS
                && header.cmsg_len as usize >= len
            {
                let cred: libc::ucred = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast());
                writer = u32::try_from(cred.pid).unwrap_or(0);
            }
            cmsg = libc::CMSG_NXTHDR(&raw const msg, cmsg);
        }
        Ok((read, writer))
    }
}

pub(crate) fn prepare_listener(listener: &UnixListener) -> io::Result<()> {
    rustix::net::sockopt::set_socket_passcred(listener, true).map_err(io::Error::from)
}

/// Linux has no app bundles, and nothing else a process maps to reliably (a `.desktop` file
/// names a command line, not a process), so a Linux caller has no app.
pub(crate) fn app_for(_chain: &[ProcessInfo]) -> Option<AppInfo> {
    None
}

/// Linux executables carry no signature the kernel checks.
pub(crate) fn signature(_pid: u32) -> Option<CodeSignature> {
    None
}

fn read_at(dir: &OwnedFd, name: &str) -> Option<Vec<u8>> {
    let file =
        rustix::fs::openat(dir, name, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).ok()?;
    let mut bytes = Vec::new();
    File::from(file).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// An executable replaced while it runs (an upgrade renames a new file over it) reads as
/// `/usr/bin/latchkey (deleted)`. The note is dropped when no file has that literal name, so
/// a bridge or assistant started before an upgrade keeps its path.
fn executable_path(mut target: Vec<u8>) -> PathBuf {
    let literal = PathBuf::from(OsString::from_vec(target.clone()));
    if target.ends_with(DELETED) && literal.symlink_metadata().is_err() {
        target.truncate(target.len() - DELETED.len());
        return PathBuf::from(OsString::from_vec(target));
    }
    literal
}

#[derive(Debug, PartialEq, Eq)]
struct Stat {
    comm: String,
    ppid: u32,
    /// Clock ticks after boot.
    started: u64,
}

/// `/proc/PID/stat`: `pid (comm) state ppid … starttime …`. `comm` is chosen by the process
/// and may hold spaces, parentheses and newlines, so it runs from the first `(` to the last
/// `)`; the fields after it are numbers and one state letter.
fn parse_stat(stat: &[u8]) -> Option<Stat> {
    let open = stat.iter().position(|&b| b == b'(')?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    let comm = String::from_utf8_lossy(stat.get(open + 1..close)?).into_owned();
    let rest = std::str::from_utf8(&stat[close + 1..]).ok()?;
    let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
    // Fields are numbered from 1 (`pid`) in proc(5); `rest` starts at field 3 (`state`).
    let field = |n: usize| fields.get(n - 3);
    Some(Stat {
        comm,
        ppid: field(4)?.parse().ok()?,
        started: field(22)?.parse().ok()?,
    })
}

/// The effective uid: the second number of `status`'s `Uid:` line (real, effective, saved, fs).
fn parse_euid(status: &str) -> Option<u32> {
    let line = status.lines().find_map(|line| line.strip_prefix("Uid:"))?;
    line.split_ascii_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real line from this machine, with `comm` swapped for the case under test.
    fn stat_line(comm: &str) -> Vec<u8> {
        format!("4242 ({comm}) S 4100 4242 4100 34816 4242 4194304 120 0 0 0 1 2 0 0 20 0 1 0 987654 11223344 512 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0").into_bytes()
    }

    fn parsed(comm: &str) -> Stat {
        parse_stat(&stat_line(comm)).unwrap()
    }

    #[test]
    fn parses_name_parent_and_start_time() {
        assert_eq!(
            parsed("python3"),
            Stat {
                comm: "python3".into(),
                ppid: 4100,
                started: 987654
            }
        );
    }

    #[test]
    fn comm_with_parentheses_and_spaces() {
        assert_eq!(parsed("a) (b").comm, "a) (b");
        assert_eq!(parsed("a) S 1 (b").ppid, 4100);
        assert_eq!(parsed(") ) )").comm, ") ) )");
        assert_eq!(parsed("Web Content").comm, "Web Content");
    }

    #[test]
    fn comm_with_a_newline_or_nothing() {
        assert_eq!(parsed("two\nlines").comm, "two\nlines");
        assert_eq!(parsed("").comm, "");
    }

    #[test]
    fn comm_that_is_not_utf8() {
        let mut line = b"7 (caf\xe9) S 1 ".to_vec();
        line.extend_from_slice(&stat_line("x")[b"4242 (x) S 4100 ".len()..]);
        assert_eq!(parse_stat(&line).unwrap().comm, "caf\u{fffd}");
    }

    #[test]
    fn refuses_what_is_not_a_stat_line() {
        assert_eq!(parse_stat(b""), None);
        assert_eq!(parse_stat(b"4242 (sh"), None);
        assert_eq!(parse_stat(b"4242 )sh( S 1 2 3"), None);
        assert_eq!(parse_stat(b"4242 (sh) S 1 2 3"), None, "too short");
        let bad_ppid = String::from_utf8(stat_line("sh"))
            .unwrap()
            .replace(" S 4100 ", " S x ");
        assert_eq!(parse_stat(bad_ppid.as_bytes()), None);
    }

    #[test]
    fn effective_uid_from_status() {
        let status = "Name:\tsudo\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";
        assert_eq!(parse_euid(status), Some(0));
        assert_eq!(parse_euid("Name:\tx\n"), None);
        assert_eq!(parse_euid("Uid:\t1000\n"), None);
    }

    #[test]
    fn drops_the_deleted_note_only_when_no_such_file_exists() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("latchkey");
        let noted = format!("{} (deleted)", exe.display()).into_bytes();
        assert_eq!(executable_path(noted.clone()), exe);
        let literal = dir.path().join("latchkey (deleted)");
        std::fs::write(&literal, b"").unwrap();
        assert_eq!(executable_path(noted), literal);
    }

    #[test]
    fn arguments_are_split_at_nuls() {
        let split = |bytes: &[u8]| -> Vec<String> {
            split_arguments(bytes)
                .into_iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(
            split(b"python3\0tool.py\0\0-v\0"),
            ["python3", "tool.py", "", "-v"]
        );
        assert_eq!(
            split(b"renamed by setproctitle"),
            ["renamed by setproctitle"]
        );
        assert!(split(b"").is_empty());
    }
}
