use std::path::PathBuf;

/// What can stop the broker from starting. Messages name the path or process at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("no place for Latchkey's socket: set XDG_RUNTIME_DIR or LATCHKEY_HOME")]
    NoStateDir,
    #[error("{path} is owned by uid {owner}, not by you (uid {me}); refusing to use it")]
    ForeignOwner { path: PathBuf, owner: u32, me: u32 },
    #[error("{path} exists and is not a directory")]
    NotADirectory { path: PathBuf },
    #[error("{path} exists and is not a socket; refusing to replace it")]
    NotASocket { path: PathBuf },
    #[error(
        "socket path {path} is {len} bytes long; the limit is {max}: set LATCHKEY_HOME to a shorter directory"
    )]
    SocketPathTooLong {
        path: PathBuf,
        len: usize,
        max: usize,
    },
    #[error(
        "another Latchkey broker is already running{}{}: one broker per user, whatever LATCHKEY_HOME says",
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
        state_dir.as_ref().map(|d| format!(" with its state in {}", d.display())).unwrap_or_default()
    )]
    AlreadyRunning {
        pid: Option<u32>,
        state_dir: Option<PathBuf>,
    },
    #[error("cannot set up the SOFA feed: {0}")]
    Sofa(String),
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn io(
        action: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.to_path_buf();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }
}
