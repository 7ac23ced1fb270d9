//! The scale-out deployment as processes: a real `nats-server -js`, a real PostgreSQL, an
//! ingest node and two worker nodes of this binary. A worker that owns the detectors is
//! killed with SIGKILL in the middle of the demo crisis; the other takes over both its
//! messages and the detectors. Afterwards every mention is stored once, and the alerts
//! emitted (claimed in `alerts_notified`) and the webhooks received are exactly those of
//! one uninterrupted single node replaying the same stream.
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
        let mut child = firebreak(dir)
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
    let reference = run(firebreak(dir.path())
        .args([
            "replay",
            "--max",
            "--json",
            "--alerts-out",
            "reference.jsonl",
        ])
        .arg(demo_path()));
    assert!(reference.status.success(), "{}", stderr(&reference));
    let reference: Vec<serde_json::Value> =
        std::fs::read_to_string(dir.path().join("reference.jsonl"))
            .expect("reference alerts")
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
    let expected: HashSet<Key> = reference.iter().map(alert_key).collect();
    let expected_crisis: HashSet<Key> = reference
        .iter()
        .filter(|a| a["crisis"] == true)
        .map(alert_key)
        .collect();
    assert!(!expected_crisis.is_empty(), "the demo raises crisis alerts");

    let (hook, seen) = receiver();
    std::fs::write(
        dir.path().join("firebreak.toml"),
        format!(
            "[store]\nurl = \"{db}\"\n\n[cluster]\nnats_url = \"{}\"\nack_wait_secs = 5\nfetch_batch = 100\n\n\
             [[notify.targets]]\nkind = \"webhook\"\nname = \"ops\"\nurl = \"{hook}\"\ncrisis_only = true\n",
            nats.url()
        ),
    )
    .expect("config");

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
        let crisis_claimed = query(
            &db,
            "SELECT alert_id, severity, raised_at FROM alerts_notified",
        )
        .iter()
        .filter(|r| {
            let at: chrono::DateTime<chrono::Utc> = r.get(2);
            expected_crisis.contains(&(r.get(0), i64::from(r.get::<_, i16>(1)), at.to_rfc3339()))
        })
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

    let claimed: Vec<Key> = query(
        &db,
        "SELECT alert_id, severity, raised_at FROM alerts_notified",
    )
    .iter()
    .map(|r| {
        let at: chrono::DateTime<chrono::Utc> = r.get(2);
        (r.get(0), i64::from(r.get::<_, i16>(1)), at.to_rfc3339())
    })
    .collect();
    let nodes: HashSet<String> = query(&db, "SELECT DISTINCT node FROM alerts_notified")
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
