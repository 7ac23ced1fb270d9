//! Test support shared by the crates' tests. Never a dependency of the product.
//!
//! PostgreSQL: the test command (`scripts/test`) runs the suite inside
//! `pg_virtualenv`, which starts a throwaway cluster and exports `PGHOST`,
//! `PGPORT`, `PGUSER`, `PGPASSWORD`. [`PgDatabase::create`] makes a fresh
//! database in it for one test and drops it afterwards. When no cluster is
//! there, PostgreSQL tests are skipped with a message, unless
//! `FIREBREAK_REQUIRE_POSTGRES=1` (set by `scripts/test`), which makes the
//! absence a failure.

pub mod jetstream;
pub mod nats;
pub mod pg_process;

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, Duration, Utc};
use firebreak_core::{Author, AuthorId, ChannelId, Mention, MentionId, MentionKind};

/// The admin URL of the throwaway cluster, from the `PG*` variables.
pub fn postgres_admin_url() -> Option<String> {
    if let Ok(url) = std::env::var("FIREBREAK_TEST_POSTGRES_URL") {
        return Some(url);
    }
    let host = std::env::var("PGHOST").ok()?;
    let port = std::env::var("PGPORT").unwrap_or_else(|_| "5432".into());
    let user = std::env::var("PGUSER").unwrap_or_else(|_| "postgres".into());
    let password = std::env::var("PGPASSWORD").unwrap_or_default();
    let db = std::env::var("PGDATABASE").unwrap_or_else(|_| "postgres".into());
    Some(format!("postgres://{user}:{password}@{host}:{port}/{db}"))
}

/// A database that exists for the life of this value.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl PgDatabase {
    /// Creates a fresh database, or returns `None` (after saying so) when no
    /// PostgreSQL is available and none is required.
    pub fn create() -> Option<PgDatabase> {
        let Some(admin_url) = postgres_admin_url() else {
            if std::env::var("FIREBREAK_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("FIREBREAK_REQUIRE_POSTGRES=1 but no PostgreSQL: run the suite with scripts/test (it starts one with pg_virtualenv)");
            }
            eprintln!("skipped: no PostgreSQL (PGHOST unset); scripts/test runs these tests against a real one");
            return None;
        };
        let name = format!(
            "fb_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            Utc::now().timestamp_micros() % 1_000_000
        );
        let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL at {admin_url}: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        let url = match admin_url.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => panic!("unexpected admin URL {admin_url}"),
        };
        Some(PgDatabase {
            admin_url,
            name,
            url,
        })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // The synchronous client must not run on an async thread; a plain thread is always safe.
        let _ = std::thread::spawn(move || {
            if let Ok(mut admin) = postgres::Client::connect(&admin_url, postgres::NoTls) {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })
        .join();
    }
}

/// The shared data sets (`../shared/data` beside the repository), if present.
pub fn shared_data_dir() -> Option<std::path::PathBuf> {
    if let Ok(dir) = std::env::var("FIREBREAK_DATA_DIR") {
        return Some(dir.into());
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    dir.exists().then_some(dir)
}

/// The start of the sample stream.
pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// A mention with sensible defaults, `i` minutes after [`t0`].
pub fn mention(i: u32) -> Mention {
    Mention {
        id: MentionId::new(format!("mastodon:{i}")),
        platform: "mastodon".parse().unwrap_or_else(|e| panic!("{e}")),
        channel: ChannelId::new(if i.is_multiple_of(2) {
            "@velora"
        } else {
            "@velora_help"
        }),
        kind: MentionKind::Mention,
        created_at: t0() + Duration::minutes(i64::from(i)),
        author: Author {
            id: AuthorId::new(format!("u{}", i % 7)),
            handle: Some(format!("@user{}", i % 7)),
            followers: u64::from(i) * 10,
            verified: i.is_multiple_of(11),
        },
        text: format!("@velora message number {i}: il bollitore è arrivato rotto 😡"),
        lang: Some("it".into()),
        in_reply_to: None,
        reshare_of: None,
        url: Some(format!("https://social.example/{i}")),
        analysis: None,
    }
}

/// `n` sample mentions, ids `mastodon:0` .. `mastodon:{n-1}`.
pub fn mentions(n: u32) -> Vec<Mention> {
    (0..n).map(mention).collect()
}

/// A real SMTP server (aiosmtpd) writing messages into a maildir; `None` (skip) when
/// aiosmtpd is missing, a failure when FIREBREAK_REQUIRE_SMTP=1.
pub struct Smtp {
    child: std::process::Child,
    pub port: u16,
    pub maildir: tempfile::TempDir,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Smtp {
    pub fn start() -> Option<Smtp> {
        let python = std::env::var("FIREBREAK_PYTHON").unwrap_or_else(|_| "python3".into());
        let required = std::env::var("FIREBREAK_REQUIRE_SMTP").is_ok_and(|v| v == "1");
        let has = std::process::Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success());
        if !has {
            assert!(
                !required,
                "aiosmtpd is not installed for {python}; scripts/test installs it"
            );
            eprintln!("skipping: aiosmtpd is not installed (scripts/test installs it)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let maildir = tempfile::tempdir().expect("maildir");
        let child = std::process::Command::new(&python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir.path().join("mail"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        // Owned at once: dropping it stops the server on every path.
        let smtp = Smtp {
            child,
            port,
            maildir,
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(smtp);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("aiosmtpd did not start on port {port}");
    }

    /// Every message received so far, as text.
    pub fn messages(&self) -> Vec<String> {
        let new = self.maildir.path().join("mail").join("new");
        std::fs::read_dir(new)
            .map(|d| {
                d.flatten()
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}
