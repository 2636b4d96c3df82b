use std::path::{Path, PathBuf};

use crate::Error;

/// Where Latchkey keeps its state: the runtime directory (sockets, one-broker lock), the
/// cache (the SOFA feed) and the configuration (settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatePaths {
    dir: PathBuf,
    cache: PathBuf,
    config: PathBuf,
}

impl StatePaths {
    /// The platform's locations, or `LATCHKEY_HOME` when set (tests and side-by-side installs).
    ///
    /// Linux: `$XDG_RUNTIME_DIR/latchkey`, cache in `$XDG_CACHE_HOME/latchkey` (or `~/.cache`),
    /// settings in `$XDG_CONFIG_HOME/latchkey` (or `~/.config`); macOS: `~/Library/Application
    /// Support/Latchkey` for state and settings, cache in `~/Library/Caches/Latchkey`.
    pub fn from_env() -> Result<Self, Error> {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        if let Some(home) = var("LATCHKEY_HOME") {
            return Ok(Self::at(home));
        }
        let home = var("HOME");
        let (dir, cache, config) = if cfg!(target_os = "macos") {
            let home = home.ok_or(Error::NoStateDir)?;
            let dir = home.join("Library/Application Support/Latchkey");
            (
                dir.clone(),
                Some(home.join("Library/Caches/Latchkey")),
                Some(dir),
            )
        } else {
            let dir = var("XDG_RUNTIME_DIR")
                .ok_or(Error::NoStateDir)?
                .join("latchkey");
            let cache = var("XDG_CACHE_HOME").or_else(|| home.as_ref().map(|h| h.join(".cache")));
            let config = var("XDG_CONFIG_HOME").or_else(|| home.map(|h| h.join(".config")));
            (
                dir,
                cache.map(|c| c.join("latchkey")),
                config.map(|c| c.join("latchkey")),
            )
        };
        let cache = cache.unwrap_or_else(|| dir.join("cache"));
        let config = config.unwrap_or_else(|| dir.join("config"));
        Ok(Self { dir, cache, config })
    }

    /// State rooted at `dir` (created 0700 when the broker starts), cache in `dir/cache`,
    /// settings in `dir/config`.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        Self {
            cache: dir.join("cache"),
            config: dir.join("config"),
            dir,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where fetched data (the SOFA feed) is cached; safe to delete.
    pub fn cache_dir(&self) -> &Path {
        &self.cache
    }

    /// The user's settings (unlock time, idle timeout).
    pub fn settings_file(&self) -> PathBuf {
        self.config.join("settings.json")
    }

    /// The audit log (SQLite; kept with the settings, not in the runtime dir that a reboot
    /// empties).
    pub fn audit_file(&self) -> PathBuf {
        self.config.join("audit.sqlite")
    }

    /// The assistants the person allowed or denied.
    pub fn assistants_file(&self) -> PathBuf {
        self.config.join("assistants.json")
    }

    /// The MCP socket assistants (and `latchkey mcp`) connect to.
    pub fn mcp_socket(&self) -> PathBuf {
        self.dir.join("mcp.sock")
    }

    /// The control socket the `latchkey` CLI talks to (never given to assistants).
    pub fn control_socket(&self) -> PathBuf {
        self.dir.join("control.sock")
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
