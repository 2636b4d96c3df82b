use std::path::{Path, PathBuf};

use crate::Error;

/// Where Latchkey keeps its state: the runtime directory (sockets), the cache (the SOFA
/// feed), the configuration (settings) and the one-broker lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatePaths {
    dir: PathBuf,
    cache: PathBuf,
    config: PathBuf,
    /// Data kept between runs that is not a setting (Linux: the encrypted credentials file).
    data: PathBuf,
    /// The directory holding the one-broker lock: the user's runtime directory, which
    /// `LATCHKEY_HOME` does not move, so a second state directory cannot host a second
    /// broker over the same secret store.
    lock_dir: PathBuf,
}

impl StatePaths {
    /// The platform's locations, or `LATCHKEY_HOME` when set (tests and side-by-side installs).
    ///
    /// Linux: `$XDG_RUNTIME_DIR/latchkey` (without it `/run/user/UID/latchkey`, else
    /// `/tmp/latchkey-UID`), cache in `$XDG_CACHE_HOME/latchkey` (or `~/.cache`),
    /// settings in `$XDG_CONFIG_HOME/latchkey` (or `~/.config`); macOS: `~/Library/Application
    /// Support/Latchkey` for state and settings, cache in `~/Library/Caches/Latchkey`.
    pub fn from_env() -> Result<Self, Error> {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let home = var("HOME");
        let lock_dir = user_runtime_dir(var("XDG_RUNTIME_DIR"), home.as_deref())?;
        if let Some(state) = var("LATCHKEY_HOME") {
            return Ok(Self::at(state).with_lock_dir(lock_dir));
        }
        let (dir, cache, config, data) = if cfg!(target_os = "macos") {
            let home = home.ok_or(Error::NoStateDir)?;
            let dir = home.join("Library/Application Support/Latchkey");
            (
                dir.clone(),
                Some(home.join("Library/Caches/Latchkey")),
                Some(dir.clone()),
                Some(dir),
            )
        } else {
            // Without XDG_RUNTIME_DIR (a root shell, cron, ssh without a session) the
            // sockets go where the lock goes: /run/user/UID, else a private dir in /tmp
            // (created 0700 and refused when another user owns it).
            let dir = lock_dir.clone();
            let cache = var("XDG_CACHE_HOME").or_else(|| home.as_ref().map(|h| h.join(".cache")));
            let config =
                var("XDG_CONFIG_HOME").or_else(|| home.as_ref().map(|h| h.join(".config")));
            let data = var("XDG_DATA_HOME").or_else(|| home.map(|h| h.join(".local/share")));
            (
                dir,
                cache.map(|c| c.join("latchkey")),
                config.map(|c| c.join("latchkey")),
                data.map(|d| d.join("latchkey")),
            )
        };
        let cache = cache.unwrap_or_else(|| dir.join("cache"));
        let config = config.unwrap_or_else(|| dir.join("config"));
        let data = data.unwrap_or_else(|| dir.join("data"));
        Ok(Self {
            dir,
            cache,
            config,
            data,
            lock_dir,
        })
    }

    /// State rooted at `dir` (created 0700 when the broker starts), cache in `dir/cache`,
    /// settings in `dir/config`, data in `dir/data`, and the one-broker lock in `dir` too (in-process tests;
    /// `from_env` puts the lock in the user's runtime directory).
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        Self {
            cache: dir.join("cache"),
            config: dir.join("config"),
            data: dir.join("data"),
            lock_dir: dir.clone(),
            dir,
        }
    }

    /// The same state with the one-broker lock in `lock_dir` (created 0700 when the broker
    /// starts).
    pub fn with_lock_dir(mut self, lock_dir: impl Into<PathBuf>) -> Self {
        self.lock_dir = lock_dir.into();
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where fetched data (the SOFA feed) is cached; safe to delete.
    pub fn cache_dir(&self) -> &Path {
        &self.cache
    }

    /// Where the settings, the allow-list and the audit log are kept.
    pub fn config_dir(&self) -> &Path {
        &self.config
    }

    /// The user's settings (unlock time, idle timeout).
    pub fn settings_file(&self) -> PathBuf {
        self.config.join("settings.json")
    }

    /// MCP over loopback HTTP: on or off, its port, its tokens' hashes (sealed like the
    /// settings).
    pub fn http_file(&self) -> PathBuf {
        self.config.join("http.json")
    }

    /// Which store keeps the credentials (Linux; sealed like the settings).
    pub fn store_choice_file(&self) -> PathBuf {
        self.config.join("store.json")
    }

    /// Latchkey's encrypted credentials file (Linux, when chosen with `latchkey store use`),
    /// in the data directory (`$XDG_DATA_HOME/latchkey`).
    pub fn encrypted_store_file(&self) -> PathBuf {
        self.data.join("credentials.keyring")
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

    /// The directory of the one-broker lock.
    pub fn lock_dir(&self) -> &Path {
        &self.lock_dir
    }

    /// The lock file that makes the broker one per user, whatever the state directory.
    pub fn lock_file(&self) -> PathBuf {
        self.lock_dir.join("broker.lock")
    }
}

/// The per-user runtime directory that holds the one-broker lock: `$XDG_RUNTIME_DIR/latchkey`
/// when set (Linux's login session sets it; tests give each broker its own); else, on macOS,
/// `~/Library/Application Support/Latchkey`, and on Linux `/run/user/UID/latchkey` when that
/// exists, or `$TMPDIR/latchkey-UID` (the broker refuses it if another user owns it).
fn user_runtime_dir(xdg_runtime: Option<PathBuf>, home: Option<&Path>) -> Result<PathBuf, Error> {
    if let Some(runtime) = xdg_runtime {
        return Ok(runtime.join("latchkey"));
    }
    if cfg!(target_os = "macos") {
        let home = home.ok_or(Error::NoStateDir)?;
        return Ok(home.join("Library/Application Support/Latchkey"));
    }
    let uid = rustix::process::getuid().as_raw();
    let run_user = PathBuf::from(format!("/run/user/{uid}"));
    if run_user.is_dir() {
        return Ok(run_user.join("latchkey"));
    }
    Ok(std::env::temp_dir().join(format!("latchkey-{uid}")))
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

    #[test]
    fn the_lock_stays_in_the_runtime_dir_whatever_the_state_dir() {
        let runtime = user_runtime_dir(Some("/run/user/501".into()), None).unwrap();
        let paths = StatePaths::at("/tmp/x").with_lock_dir(runtime);
        assert_eq!(paths.mcp_socket(), Path::new("/tmp/x/mcp.sock"));
        assert_eq!(
            paths.lock_file(),
            Path::new("/run/user/501/latchkey/broker.lock")
        );
    }
}
