use std::path::{Path, PathBuf};

use crate::Error;

/// Where the broker keeps its runtime state: the MCP socket and the one-broker lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatePaths {
    dir: PathBuf,
}

impl StatePaths {
    /// The platform's location, or `LATCHKEY_HOME` when set (tests and side-by-side installs).
    ///
    /// Linux: `$XDG_RUNTIME_DIR/latchkey`; macOS: `~/Library/Application Support/Latchkey`.
    pub fn from_env() -> Result<Self, Error> {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        if let Some(home) = var("LATCHKEY_HOME") {
            return Ok(Self::at(home));
        }
        let dir = if cfg!(target_os = "macos") {
            var("HOME").map(|h| h.join("Library/Application Support/Latchkey"))
        } else {
            var("XDG_RUNTIME_DIR").map(|d| d.join("latchkey"))
        };
        dir.map(Self::at).ok_or(Error::NoStateDir)
    }

    /// State rooted at `dir` (created 0700 when the broker starts).
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The MCP socket assistants (and `latchkey mcp`) connect to.
    pub fn mcp_socket(&self) -> PathBuf {
        self.dir.join("mcp.sock")
    }

    /// The lock file that makes the broker one per user.
    pub fn lock_file(&self) -> PathBuf {
        self.dir.join("broker.lock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_live_in_the_state_dir() {
        let paths = StatePaths::at("/run/user/501/latchkey");
        assert_eq!(
            paths.mcp_socket(),
            Path::new("/run/user/501/latchkey/mcp.sock")
        );
        assert_eq!(
            paths.lock_file(),
            Path::new("/run/user/501/latchkey/broker.lock")
        );
    }
}
