//! Linux: the peer's pid from `SO_PEERCRED` (tokio's `peer_cred`), and what `/proc/PID` says
//! of each process: `stat` (name, parent, start time), `status` (effective uid), `exe`.

use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use rustix::fs::{Mode, OFlags};
use tokio::net::UnixStream;
use tokio::net::unix::UCred;

use crate::chain::Proc;
use crate::{AppInfo, CodeSignature, ProcessInfo};

/// The kernel's note on the `exe` link of a process whose executable was unlinked.
const DELETED: &[u8] = b" (deleted)";

pub(crate) fn peer_pid(_stream: &UnixStream, cred: &UCred) -> Option<u32> {
    // SO_PEERCRED says 0 for a peer in a pid namespace this process cannot see into.
    cred.pid()
        .and_then(|pid| u32::try_from(pid).ok())
        .filter(|&pid| pid != 0)
}

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
    let info = ProcessInfo {
        pid,
        executable,
        name: stat.comm,
    };
    Some(Proc {
        info,
        ppid: stat.ppid,
        uid,
        started: stat.started,
    })
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
}
