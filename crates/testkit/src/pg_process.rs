//! A PostgreSQL server of a test's own, as a process: `initdb` into a temporary directory,
//! started and stopped with `pg_ctl` on a free port, so that fault tests can restart it
//! under running workers. Needs Debian's server binaries (`/usr/lib/postgresql/*/bin`);
//! when they are missing the caller skips, unless `FIREBREAK_REQUIRE_POSTGRES=1`.
//! As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A running (or stopped) PostgreSQL of one test.
pub struct PgProcess {
    bin: PathBuf,
    dir: tempfile::TempDir,
    ids: Option<(u32, u32)>,
    pub port: u16,
    running: bool,
}

fn server_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("pg_ctl").is_file() && b.join("initdb").is_file())
        .collect();
    found.sort();
    found.pop()
}

fn user_ids(user: &str) -> Option<(u32, u32)> {
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, user]).output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl PgProcess {
    /// Initialises and starts a server; `None` (after saying why) when PostgreSQL's
    /// binaries are not installed and `FIREBREAK_REQUIRE_POSTGRES` is not `1`.
    pub fn start() -> Option<PgProcess> {
        let Some(bin) = server_bin() else {
            assert!(
                std::env::var("FIREBREAK_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "FIREBREAK_REQUIRE_POSTGRES=1 but no /usr/lib/postgresql/*/bin/pg_ctl: scripts/test installs PostgreSQL"
            );
            eprintln!("skipped: PostgreSQL server binaries are not installed (scripts/test installs them)");
            return None;
        };
        let ids = if is_root() {
            Some(user_ids("postgres").expect("running as root: the postgres user must exist"))
        } else {
            None
        };
        let dir = tempfile::Builder::new()
            .prefix("fb-pg-")
            .tempdir()
            .expect("temporary directory");
        if let Some((uid, gid)) = ids {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown data dir");
        }
        let port = crate::nats::free_port();
        let mut pg = PgProcess {
            bin,
            dir,
            ids,
            port,
            running: false,
        };
        let data = pg.data_dir();
        let status = pg
            .command("initdb")
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
                "-D",
            ])
            .arg(&data)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("run initdb");
        assert!(status.success(), "initdb failed");
        pg.resume();
        Some(pg)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, tool: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(tool));
        if let Some((uid, gid)) = self.ids {
            use std::os::unix::process::CommandExt;
            cmd.uid(uid).gid(gid);
        }
        cmd.current_dir(self.dir.path());
        cmd
    }

    fn pg_ctl(&self, args: &[&str]) -> bool {
        self.command("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Starts the server (again) on the same port and data, and waits until it accepts.
    pub fn resume(&mut self) {
        let opts = format!(
            "-p {} -h 127.0.0.1 -k {} -c fsync=off -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log");
        assert!(
            self.pg_ctl(&[
                "-w",
                "-t",
                "60",
                "-o",
                &opts,
                "-l",
                &log.to_string_lossy(),
                "start"
            ]),
            "PostgreSQL did not start; see {}",
            log.display()
        );
        self.running = true;
    }

    /// Stops the server at once (`immediate`: like a crash; connections are cut).
    pub fn stop(&mut self) {
        if self.running {
            self.pg_ctl(&["-w", "-m", "immediate", "stop"]);
            self.running = false;
        }
    }

    /// The URL of database `db` on this server.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates database `name` and returns its URL.
    pub fn create_database(&self, name: &str) -> String {
        let mut admin = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .expect("connect to the test PostgreSQL");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("CREATE DATABASE");
        self.url(name)
    }

    /// The data directory's parent (logs live there).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for PgProcess {
    fn drop(&mut self) {
        self.stop();
    }
}
