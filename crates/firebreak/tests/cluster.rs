//! The scale-out deployment as processes: a real `nats-server -js`, a real PostgreSQL, an
//! ingest node and two worker nodes of this binary. A worker that owns the detectors is
//! killed with SIGKILL in the middle of the demo crisis; the other takes over both its
//! messages and the detectors. Afterwards every mention is stored once, and the alerts
//! emitted (claimed in the alert log, `alerts`) and the webhooks received are exactly
//! those of one uninterrupted single node replaying the same stream. Two more runs kill
//! the owner at the worst moments of the notification outbox (`FIREBREAK_FAILPOINT`):
//! right after it claimed a crisis alert, and right after it sent one.
//! Skipped when nats-server or PostgreSQL is not installed, unless
//! FIREBREAK_REQUIRE_NATS=1 / FIREBREAK_REQUIRE_POSTGRES=1.

mod support;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use firebreak_testkit::nats::NatsServer;
use firebreak_testkit::pg_process::PgProcess;
use support::{firebreak, receiver, run, stderr};

const LIMIT: Duration = Duration::from_secs(180);

fn demo_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo/velora-crisis.jsonl")
}

/// A node process; killed on drop.
struct Node {
    child: Child,
    banner: String,
}

impl Node {
    fn start(dir: &Path, name: &str, args: &[&str]) -> Node {
        Node::start_with(dir, name, args, None)
    }

    /// A node that aborts itself at `failpoint` (see the cluster's detector service).
    fn start_with(dir: &Path, name: &str, args: &[&str], failpoint: Option<&str>) -> Node {
        let mut cmd = firebreak(dir);
        if let Some(f) = failpoint {
            cmd.env("FIREBREAK_FAILPOINT", f);
        }
        let mut child = cmd
            .args(args)
            .env("FIREBREAK_CLUSTER_NODE", name)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn a node");
        let out = child.stdout.take().expect("stdout");
        let mut banner = String::new();
        BufReader::new(out)
            .read_line(&mut banner)
            .expect("read the banner");
        assert!(banner.contains("is running"), "{name}: {banner:?}");
        Node { child, banner }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process has ended by itself.
    fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// SIGKILL: no shutdown, no acknowledgement, no flush.
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait; whether it exited cleanly.
    fn stop(mut self) -> bool {
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().is_ok_and(|s| s.success())
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn post_jsonl(base: &str, body: &str) -> u16 {
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("connect to the ingest node");
    write!(
        s,
        "POST /api/v1/mentions HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/x-ndjson\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    reply
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn get(base: &str, path: &str) -> (u16, String) {
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("connect to the node");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"
    )
    .expect("send");
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    let code = reply
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = reply
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    (code, body)
}

fn base_of(node: &Node) -> String {
    node.banner
        .split("http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .map(|a| format!("http://{a}"))
        .expect("the node's address in its banner")
}

fn query(url: &str, sql: &str) -> Vec<postgres::Row> {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
        c.query(sql.as_str(), &[]).expect("query")
    })
    .join()
    .expect("query thread")
}

fn count(url: &str, sql: &str) -> i64 {
    query(url, sql).first().map_or(0, |r| r.get(0))
}

fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < LIMIT, "gave up waiting: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The node named in the detector lease's `application_name`, if any holds it.
fn detector_owner(url: &str) -> Option<String> {
    query(
        url,
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'firebreak-detector %'",
    )
    .first()
    .map(|r| r.get::<_, String>(0).trim_start_matches("firebreak-detector ").to_owned())
}

type Key = (String, i64, String);

/// The alert log's emissions: (id, severity, raised_at) and whether each was delivered.
fn logged(url: &str) -> Vec<(Key, bool)> {
    query(
        url,
        "SELECT alert_id, severity, raised_at, delivered_at IS NOT NULL FROM alerts",
    )
    .iter()
    .map(|r| {
        let at = chrono::DateTime::from_timestamp_millis(r.get::<_, i64>(2)).unwrap_or_default();
        ((r.get(0), r.get::<_, i64>(1), at.to_rfc3339()), r.get(3))
    })
    .collect()
}

fn alert_key(v: &serde_json::Value) -> Key {
    let raised = v["raised_at"].as_str().unwrap_or_default();
    let raised = chrono::DateTime::parse_from_rfc3339(raised)
        .map(|t| t.with_timezone(&chrono::Utc).to_rfc3339())
        .unwrap_or_default();
    (
        v["id"].as_str().unwrap_or_default().to_owned(),
        v["severity"].as_i64().unwrap_or(-1),
        raised,
    )
}

#[test]
fn a_killed_worker_owning_the_detectors_loses_and_duplicates_nothing() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let Some(pg) = PgProcess::start() else {
        return;
    };
    let db = pg.create_database("cluster_kill");
    let dir = tempfile::tempdir().expect("tmp");

    // The reference: one uninterrupted single node replaying the same stream.
    let (expected, expected_crisis) = reference(dir.path());
    let (hook, seen) = receiver();
    write_config(dir.path(), &db, &nats, &hook);

    let w1 = Node::start(dir.path(), "w1", &["serve", "--role", "worker"]);
    eventually("w1 owns the detectors", || {
        detector_owner(&db).as_deref() == Some("w1")
    });
    let w2 = Node::start(dir.path(), "w2", &["serve", "--role", "worker"]);
    let ingest = Node::start(
        dir.path(),
        "in1",
        &["serve", "--role", "ingest", "--listen", "127.0.0.1:0"],
    );
    let base = base_of(&ingest);
    let web = Node::start(
        dir.path(),
        "web1",
        &["serve", "--role", "web", "--listen", "127.0.0.1:0"],
    );

    let demo = std::fs::read_to_string(demo_path()).expect("demo");
    let lines: Vec<&str> = demo.lines().filter(|l| !l.trim().is_empty()).collect();
    let n = lines.len() as i64;
    let chunks: Vec<String> = lines.chunks(50).map(|c| c.join("\n")).collect();
    let half = chunks.len() / 2;
    for chunk in &chunks[..half] {
        assert_eq!(post_jsonl(&base, chunk), 200, "JetStream took the batch");
    }
    // Mid-stream, between two notifications (see docs/scale-out.md on the window between
    // a claim and its send), the owner of the detectors dies.
    eventually("the owner has detected half the stream", || {
        count(
            &db,
            "SELECT COALESCE(MAX(stream_seq), 0) FROM detector_positions",
        ) >= (half * 50) as i64
    });
    eventually("the notifications claimed so far were sent", || {
        let crisis_claimed = logged(&db)
            .into_iter()
            .filter(|(k, _)| expected_crisis.contains(k))
            .count();
        seen.lock().expect("lock").len() == crisis_claimed
    });
    let _ = w1.pid();
    w1.kill();
    for chunk in &chunks[half..] {
        assert_eq!(post_jsonl(&base, chunk), 200, "JetStream took the batch");
    }
    eventually("w2 takes over the detectors", || {
        detector_owner(&db).as_deref() == Some("w2")
    });
    eventually("every mention is stored", || {
        count(&db, "SELECT count(*) FROM mentions") == n
    });
    eventually("the detectors reach the end of the stream", || {
        count(
            &db,
            "SELECT COALESCE(MAX(stream_seq), 0) FROM detector_positions",
        ) >= n
    });
    eventually("every claimed crisis notification is sent", || {
        seen.lock().expect("lock").len() >= expected_crisis.len()
    });
    // A stateless web node serves what the workers stored.
    let (code, stats) = get(&base_of(&web), "/api/v1/stats");
    assert_eq!(code, 200, "{stats}");
    let stats: serde_json::Value = serde_json::from_str(&stats).expect("stats JSON");
    assert_eq!(stats["mentions"].as_i64(), Some(n), "{stats}");
    assert!(web.stop(), "the web node stops cleanly");
    assert!(ingest.stop(), "the ingest node stops cleanly");
    assert!(w2.stop(), "the surviving worker stops cleanly");

    assert_eq!(
        count(&db, "SELECT count(DISTINCT id) FROM mentions"),
        n,
        "no mention lost"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM mentions"), n, "none twice");

    let log = logged(&db);
    assert!(
        log.iter().all(|(_, delivered)| *delivered),
        "every emission's delivery is confirmed: {log:?}"
    );
    let claimed: Vec<Key> = log.into_iter().map(|(k, _)| k).collect();
    let nodes: HashSet<String> = query(&db, "SELECT DISTINCT node FROM alerts")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        claimed.iter().cloned().collect::<HashSet<_>>(),
        expected,
        "the cluster emitted exactly the alerts of one uninterrupted node"
    );
    assert!(
        nodes.contains("w2"),
        "the new owner emitted alerts: {nodes:?}"
    );

    let mut sent: HashMap<Key, usize> = HashMap::new();
    for (_, body) in seen.lock().expect("lock").iter() {
        let v: serde_json::Value = serde_json::from_str(body).expect("webhook body");
        *sent.entry(alert_key(&v["alert"])).or_default() += 1;
    }
    let twice: Vec<_> = sent.iter().filter(|(_, c)| **c > 1).collect();
    assert!(twice.is_empty(), "notified twice: {twice:?}");
    assert_eq!(
        sent.keys().cloned().collect::<HashSet<_>>(),
        expected_crisis,
        "each crisis alert notified once, none lost"
    );
}

/// Every node's configuration: the shared PostgreSQL and NATS, and a webhook for crisis
/// alerts.
fn write_config(dir: &Path, db: &str, nats: &NatsServer, hook: &str) {
    std::fs::write(
        dir.join("firebreak.toml"),
        format!(
            "[store]\nurl = \"{db}\"\n\n[cluster]\nnats_url = \"{}\"\nack_wait_secs = 5\nfetch_batch = 100\n\n\
             [[notify.targets]]\nkind = \"webhook\"\nname = \"ops\"\nurl = \"{hook}\"\ncrisis_only = true\n",
            nats.url()
        ),
    )
    .expect("config");
}

/// The alerts of one uninterrupted single node replaying the demo: all, and the crisis ones.
fn reference(dir: &Path) -> (HashSet<Key>, HashSet<Key>) {
    let out = run(firebreak(dir)
        .args([
            "replay",
            "--max",
            "--json",
            "--alerts-out",
            "reference.jsonl",
        ])
        .arg(demo_path()));
    assert!(out.status.success(), "{}", stderr(&out));
    let alerts: Vec<serde_json::Value> = std::fs::read_to_string(dir.join("reference.jsonl"))
        .expect("reference alerts")
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let crisis: HashSet<Key> = alerts
        .iter()
        .filter(|a| a["crisis"] == true)
        .map(alert_key)
        .collect();
    assert!(!crisis.is_empty(), "the demo raises crisis alerts");
    (alerts.iter().map(alert_key).collect(), crisis)
}

/// What a run whose detector owner aborts itself at `failpoint` leaves behind.
struct Outbox {
    /// Each crisis alert received by the webhook: the bodies, in arrival order.
    received: HashMap<Key, Vec<String>>,
    log: Vec<(Key, bool)>,
}

/// Two workers; the first owns the detectors and aborts at `failpoint` on its first crisis
/// alert; the second takes over and re-sends what the log holds as undelivered.
fn owner_dies_at(failpoint: &str, db_name: &str) -> Option<Outbox> {
    let nats = NatsServer::start()?;
    let pg = PgProcess::start()?;
    let db = pg.create_database(db_name);
    let dir = tempfile::tempdir().expect("tmp");
    let (_, expected_crisis) = reference(dir.path());
    let (hook, seen) = receiver();
    write_config(dir.path(), &db, &nats, &hook);
    let mut w1 = Node::start_with(
        dir.path(),
        "w1",
        &["serve", "--role", "worker"],
        Some(failpoint),
    );
    eventually("w1 owns the detectors", || {
        detector_owner(&db).as_deref() == Some("w1")
    });
    let w2 = Node::start(dir.path(), "w2", &["serve", "--role", "worker"]);
    let ingest = Node::start(
        dir.path(),
        "in1",
        &["serve", "--role", "ingest", "--listen", "127.0.0.1:0"],
    );
    let base = base_of(&ingest);
    let demo = std::fs::read_to_string(demo_path()).expect("demo");
    let lines: Vec<&str> = demo.lines().filter(|l| !l.trim().is_empty()).collect();
    let n = lines.len() as i64;
    for chunk in lines.chunks(50) {
        assert_eq!(post_jsonl(&base, &chunk.join("\n")), 200);
    }
    eventually("w1 aborts at its first crisis alert", || w1.exited());
    eventually("w2 takes over the detectors", || {
        detector_owner(&db).as_deref() == Some("w2")
    });
    eventually("the detectors reach the end of the stream", || {
        count(
            &db,
            "SELECT COALESCE(MAX(stream_seq), 0) FROM detector_positions",
        ) >= n
    });
    eventually("every emission's delivery is confirmed", || {
        let log = logged(&db);
        !log.is_empty() && log.iter().all(|(_, delivered)| *delivered)
    });
    eventually("every crisis alert reached the webhook", || {
        let got: HashSet<Key> = seen
            .lock()
            .expect("lock")
            .iter()
            .filter_map(|(_, b)| serde_json::from_str::<serde_json::Value>(b).ok())
            .map(|v| alert_key(&v["alert"]))
            .collect();
        expected_crisis.is_subset(&got)
    });
    assert!(ingest.stop(), "the ingest node stops cleanly");
    assert!(w2.stop(), "the surviving worker stops cleanly");
    let mut received: HashMap<Key, Vec<String>> = HashMap::new();
    for (_, body) in seen.lock().expect("lock").iter() {
        let v: serde_json::Value = serde_json::from_str(body).expect("webhook body");
        received
            .entry(alert_key(&v["alert"]))
            .or_default()
            .push(body.clone());
    }
    assert_eq!(
        received.keys().cloned().collect::<HashSet<_>>(),
        expected_crisis,
        "every crisis alert was notified (none but them), the dead owner's included"
    );
    Some(Outbox {
        received,
        log: logged(&db),
    })
}

#[test]
fn an_owner_killed_between_claim_and_send_loses_no_notification() {
    let Some(run) = owner_dies_at("abort-after-claim", "outbox_claim") else {
        return;
    };
    let twice: Vec<_> = run.received.iter().filter(|(_, b)| b.len() > 1).collect();
    assert!(twice.is_empty(), "notified twice: {twice:?}");
    assert!(run.log.iter().all(|(_, delivered)| *delivered));
}

#[test]
fn an_owner_killed_between_send_and_confirmation_repeats_it_with_the_same_key() {
    let Some(run) = owner_dies_at("abort-after-send", "outbox_send") else {
        return;
    };
    let repeated: Vec<_> = run.received.iter().filter(|(_, b)| b.len() > 1).collect();
    assert!(
        !repeated.is_empty(),
        "the alert sent but never confirmed is sent again by the new owner"
    );
    for (key, bodies) in &repeated {
        assert_eq!(bodies.len(), 2, "{key:?} sent more than twice");
        assert_eq!(
            bodies[0], bodies[1],
            "a repeat is the same notification (same alert, same idempotency key)"
        );
    }
}
