//! One broker per user: an advisory lock on a file in the user's runtime directory, which
//! `LATCHKEY_HOME` does not move (a second state directory must not mean a second broker
//! over the same secret store).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::Error;

/// Held for the broker's lifetime; the OS releases it when the process dies, so a crash
/// never leaves a lock that blocks the next start.
#[derive(Debug)]
pub(crate) struct BrokerLock {
    _file: File,
}

impl BrokerLock {
    /// Takes the lock at `path` for a broker whose state lives in `state_dir`.
    pub(crate) fn acquire(path: &Path, state_dir: &Path) -> Result<Self, Error> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(Error::io("open lock file", path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let mut lines = holder.lines();
                return Err(Error::AlreadyRunning {
                    pid: lines.next().and_then(|pid| pid.trim().parse().ok()),
                    state_dir: lines.next().map(PathBuf::from),
                });
            }
            Err(TryLockError::Error(e)) => return Err(Error::io("lock", path)(e)),
        }
        // Record our pid and state directory so a second broker can say who holds the lock.
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| write!(file, "{}\n{}\n", std::process::id(), state_dir.display()))
            .map_err(Error::io("write lock file", path))?;
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broker.lock");
        let _first = BrokerLock::acquire(&path, Path::new("/state/one")).unwrap();
        match BrokerLock::acquire(&path, Path::new("/state/two")) {
            Err(Error::AlreadyRunning { pid, state_dir }) => {
                assert_eq!(pid, Some(std::process::id()));
                assert_eq!(state_dir.as_deref(), Some(Path::new("/state/one")));
            }
            other => panic!("expected AlreadyRunning, got {other:?}"),
        }
    }

    #[test]
    fn lock_is_free_again_after_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broker.lock");
        drop(BrokerLock::acquire(&path, dir.path()).unwrap());
        BrokerLock::acquire(&path, dir.path()).unwrap();
    }
}
