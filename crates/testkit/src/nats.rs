//! A NATS server with JetStream (`nats-server -js`, Debian's package) as a process of the
//! test's own, on a free port with its store in a temporary directory, so that fault tests
//! can stop and restart it under running producers and workers. When `nats-server` is not
//! installed the caller skips, unless `FIREBREAK_REQUIRE_NATS=1` (set by `scripts/test`).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A free TCP port on loopback (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn binary() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("FIREBREAK_NATS_SERVER") {
        return Some(path.into());
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend([
        "/usr/sbin".into(),
        "/usr/bin".into(),
        "/usr/local/bin".into(),
    ]);
    dirs.into_iter()
        .map(|d| d.join("nats-server"))
        .find(|p| p.is_file())
}

/// A running (or stopped) `nats-server -js`.
pub struct NatsServer {
    bin: PathBuf,
    child: Option<Child>,
    pub port: u16,
    store: tempfile::TempDir,
}

impl NatsServer {
    /// Starts one; `None` (after saying why) when `nats-server` is not installed and
    /// `FIREBREAK_REQUIRE_NATS` is not `1`.
    pub fn start() -> Option<NatsServer> {
        let Some(bin) = binary() else {
            assert!(
                std::env::var("FIREBREAK_REQUIRE_NATS").as_deref() != Ok("1"),
                "FIREBREAK_REQUIRE_NATS=1 but nats-server is not installed: scripts/test installs it (apt-get install nats-server)"
            );
            eprintln!("skipped: nats-server is not installed (scripts/test installs it)");
            return None;
        };
        let mut server = NatsServer {
            bin,
            child: None,
            port: free_port(),
            store: tempfile::Builder::new()
                .prefix("fb-nats-")
                .tempdir()
                .expect("temporary directory"),
        };
        server.resume();
        Some(server)
    }

    /// `nats://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again) on the same port and store, and waits until it accepts.
    pub fn resume(&mut self) {
        if self.child.is_some() {
            return;
        }
        let child = Command::new(&self.bin)
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-sd",
            ])
            .arg(self.store.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nats-server");
        self.child = Some(child);
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                // JetStream needs a moment after the listener to recover its streams.
                std::thread::sleep(Duration::from_millis(200));
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("nats-server did not start on port {}", self.port);
    }

    /// Kills the server (SIGKILL); its store stays for [`NatsServer::resume`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}
