//! A real polkitd on a private system bus, for the presence tests of the vault and the CLI.
//!
//! polkitd reads actions only from /usr/share/polkit-1/actions, so Latchkey's policy must be
//! installed there (`scripts/setup.sh` does). Without polkitd or the policy these tests skip,
//! except under `CI=true`, where they fail.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const POLKITD: &str = "/usr/lib/polkit-1/polkitd";
const INSTALLED_POLICY: &str = "/usr/share/polkit-1/actions/app.latchkey.Latchkey.policy";
const POLICY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../src-tauri/linux/app.latchkey.Latchkey.policy"
);

/// A `dbus-daemon` configured as a system bus, with polkitd on it; both stopped on drop.
#[derive(Debug)]
pub struct PolkitBus {
    bus: Child,
    polkitd: Option<Child>,
    /// For `DBUS_SYSTEM_BUS_ADDRESS`.
    pub address: String,
    _dir: tempfile::TempDir,
}

impl PolkitBus {
    /// The bus with polkitd serving Latchkey's action, or `None` (after saying why) where
    /// polkitd or the policy is missing outside CI.
    pub fn start(test: &str) -> Option<Self> {
        let mut missing = Vec::new();
        if !Path::new(POLKITD).exists() {
            missing.push(format!("{POLKITD} (apt-get install polkitd)"));
        } else if std::fs::read(INSTALLED_POLICY).ok() != std::fs::read(POLICY).ok() {
            missing.push(format!(
                "{INSTALLED_POLICY} as in the repository (run scripts/setup.sh)"
            ));
        }
        if !crate::require(test, &missing) {
            return None;
        }
        let mut bus = Self::without_polkitd();
        let polkitd = Command::new(POLKITD)
            .arg("--no-debug")
            .env("DBUS_SYSTEM_BUS_ADDRESS", &bus.address)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start polkitd");
        bus.polkitd = Some(polkitd);
        bus.wait_for_action();
        Some(bus)
    }

    /// A system bus that nothing serves polkit on.
    pub fn without_polkitd() -> Self {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        // Tests run the broker as another user too: it must reach the socket.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let socket = dir.path().join("system_bus_socket");
        let config = dir.path().join("system.conf");
        std::fs::write(
            &config,
            format!(
                r#"<busconfig>
  <type>system</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"#,
                socket.display()
            ),
        )
        .expect("write the bus config");
        let bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .arg("--nofork")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon (apt-get install dbus-daemon)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "no system bus after 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self {
            bus,
            polkitd: None,
            address: format!("unix:path={}", socket.display()),
            _dir: dir,
        }
    }

    /// Waits until polkitd answers with Latchkey's action, asking as polkit's own tool does.
    fn wait_for_action(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let known = Command::new("pkaction")
                .args(["--action-id", "app.latchkey.Latchkey.presence"])
                .env("DBUS_SYSTEM_BUS_ADDRESS", &self.address)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success());
            if known {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "polkitd did not serve app.latchkey.Latchkey.presence within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for PolkitBus {
    fn drop(&mut self) {
        for child in self.polkitd.iter_mut().chain([&mut self.bus]) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
