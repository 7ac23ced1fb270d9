//! The `firebreak` command as a user runs it: real binary, real files, real
//! SQLite (and PostgreSQL where the test command provides one).

mod support;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use firebreak_core::wire::encode_jsonl;
use firebreak_testkit::{mentions, PgDatabase};
use support::{firebreak, json, run, stderr, stdout};

fn write_jsonl(path: &Path, n: u32) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    for m in mentions(n) {
        writeln!(f, "{}", encode_jsonl(&m)).expect("write");
    }
    f.flush().expect("flush");
}

fn mention_count(dir: &Path, db: &str) -> u64 {
    let o = run(firebreak(dir).args(["--db", db, "stats", "--json"]));
    assert!(o.status.success(), "{}", stderr(&o));
    json(&o)["mentions"].as_u64().expect("mentions")
}

#[test]
fn import_reports_every_bad_line_and_stores_the_rest() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("in.jsonl");
    let mut f = std::fs::File::create(&file).expect("create");
    for m in mentions(3) {
        writeln!(f, "{}", encode_jsonl(&m)).expect("write");
    }
    f.write_all(b"{\"id\": 1}\n[1,2]\n\xc3\x28 invalid utf8\n")
        .expect("write");
    drop(f);
    let o = run(firebreak(dir.path()).args(["import", "in.jsonl", "--json"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        json(&o),
        serde_json::json!({"imported": 3, "duplicates": 0, "rejected": 3})
    );
    let err = stderr(&o);
    assert!(
        err.contains("in.jsonl:4: invalid JSON: invalid type: integer `1`, expected a string"),
        "{err}"
    );
    assert!(err.contains("in.jsonl:5: invalid JSON"), "{err}");
    assert!(err.contains("in.jsonl:6: invalid UTF-8"), "{err}");
    // The default store is an SQLite file under ./firebreak-data.
    assert!(dir.path().join("firebreak-data/firebreak.db").exists());

    let again = run(firebreak(dir.path()).args(["import", "in.jsonl", "--json"]));
    assert_eq!(
        json(&again),
        serde_json::json!({"imported": 0, "duplicates": 3, "rejected": 3})
    );
    let human = run(firebreak(dir.path()).args(["import", "in.jsonl"]));
    assert!(
        stdout(&human).contains("imported 0, duplicates 3, rejected 3"),
        "{}",
        stdout(&human)
    );
}

#[test]
fn import_reads_csv_and_stdin() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("in.csv"),
        "id,platform,channel,kind,created_at,author_id,text\nr:1,reddit,@velora,mention,2026-03-02T09:00:00Z,u1,\"hello, world\"\n",
    )
    .expect("write");
    let o =
        run(firebreak(dir.path()).args(["--db", "sqlite://x.db", "import", "in.csv", "--json"]));
    assert_eq!(json(&o)["imported"], 1, "{}", stderr(&o));

    let mut child = firebreak(dir.path())
        .args(["--db", "sqlite://x.db", "import", "-", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        for m in mentions(5) {
            writeln!(stdin, "{}", encode_jsonl(&m)).expect("write");
        }
    }
    let o = child.wait_with_output().expect("wait");
    assert_eq!(json(&o)["imported"], 5, "{}", stderr(&o));
    assert_eq!(mention_count(dir.path(), "sqlite://x.db"), 6);
}

#[test]
fn a_missing_file_fails_before_anything_is_imported() {
    let dir = tempfile::tempdir().expect("tmp");
    write_jsonl(&dir.path().join("ok.jsonl"), 2);
    let o = run(firebreak(dir.path()).args([
        "--db",
        "sqlite://x.db",
        "import",
        "ok.jsonl",
        "missing.jsonl",
    ]));
    assert!(!o.status.success());
    assert!(stderr(&o).contains("missing.jsonl"), "{}", stderr(&o));
    assert_eq!(mention_count(dir.path(), "sqlite://x.db"), 0);
}

#[test]
fn a_killed_import_rerun_stores_every_mention_exactly_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let n = 150_000;
    write_jsonl(&dir.path().join("big.jsonl"), n);
    let mut child = firebreak(dir.path())
        .args([
            "--db",
            "sqlite://crash.db",
            "import",
            "big.jsonl",
            "--quiet",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // Kill it once the database has had time to receive some batches.
    std::thread::sleep(std::time::Duration::from_millis(700));
    child.kill().expect("kill -9"); // SIGKILL
    let _ = child.wait();
    let partial = mention_count(dir.path(), "sqlite://crash.db");
    assert!(partial <= u64::from(n));
    let o = run(firebreak(dir.path()).args([
        "--db",
        "sqlite://crash.db",
        "import",
        "big.jsonl",
        "--json",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let summary = json(&o);
    assert_eq!(
        summary["imported"].as_u64().expect("n") + summary["duplicates"].as_u64().expect("n"),
        u64::from(n)
    );
    assert_eq!(summary["duplicates"].as_u64(), Some(partial));
    assert_eq!(mention_count(dir.path(), "sqlite://crash.db"), u64::from(n));
}

#[test]
fn replay_uses_a_fresh_store_and_writes_the_alerts_file() {
    let dir = tempfile::tempdir().expect("tmp");
    write_jsonl(&dir.path().join("s.jsonl"), 20);
    let o = run(firebreak(dir.path()).args([
        "replay",
        "s.jsonl",
        "--max",
        "--alerts-out",
        "alerts.jsonl",
        "--json",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(json(&o)["imported"], 20);
    let alerts = std::fs::read_to_string(dir.path().join("alerts.jsonl")).expect("alerts file");
    // No detector is wired yet: the file exists and every line (none yet) is an alert.
    assert!(alerts
        .lines()
        .all(|l| serde_json::from_str::<firebreak_core::Alert>(l).is_ok()));
    assert!(
        !dir.path().join("firebreak-data").exists(),
        "replay must not touch the default store"
    );
    // Paced replay: 20 minutes of stream at 2400x is half a second.
    let start = std::time::Instant::now();
    let o = run(firebreak(dir.path()).args(["replay", "s.jsonl", "--speed", "2400", "--json"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        start.elapsed() >= std::time::Duration::from_millis(450),
        "pacing was ignored"
    );
    let o = run(firebreak(dir.path()).args(["replay", "s.jsonl", "--speed", "0"]));
    assert!(!o.status.success());
}

#[test]
fn config_errors_name_the_file_the_line_and_the_fix() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("firebreak.toml"),
        "[server]\nlisten = \"127.0.0.1:9999\"\n\n[pipeline]\nbatchsize = 10\n",
    )
    .expect("write");
    let o = run(firebreak(dir.path()).args(["config", "check"]));
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("firebreak.toml:5:1"), "{err}");
    assert!(err.contains("unknown field `batchsize`"), "{err}");
    assert!(err.contains("fix:") && err.contains("batch_size"), "{err}");
    // Every other command refuses to run on a broken configuration too.
    let o = run(firebreak(dir.path()).args(["stats"]));
    assert!(!o.status.success());

    std::fs::write(
        dir.path().join("firebreak.toml"),
        "[pipeline]\nbatch_size = 10\n",
    )
    .expect("write");
    let o = run(firebreak(dir.path())
        .args(["config", "check"])
        .env("FIREBREAK_SERVER_LISTEN", "127.0.0.1:7777"));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("127.0.0.1:7777") && stdout(&o).contains("batch_size = 10"));
    let o = run(firebreak(dir.path())
        .args(["config", "check"])
        .env("FIREBREAK_SERVER_LISTN", "x"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("FIREBREAK_SERVER_LISTN"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_example_configuration_is_valid() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../firebreak.example.toml");
    let dir = tempfile::tempdir().expect("tmp");
    let o = run(firebreak(dir.path())
        .arg("config")
        .arg("check")
        .arg(&example));
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn demo_load_is_idempotent() {
    let dir = tempfile::tempdir().expect("tmp");
    let o = run(firebreak(dir.path()).args(["demo", "--load-only"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let n = mention_count(dir.path(), "sqlite://firebreak-data/demo.db");
    assert!(n > 1000, "the demo holds {n} mentions");
    let o = run(firebreak(dir.path()).args(["demo", "--load-only"]));
    assert!(stderr(&o).contains("0 new"), "{}", stderr(&o));
    assert_eq!(
        mention_count(dir.path(), "sqlite://firebreak-data/demo.db"),
        n
    );
}

#[test]
fn postgres_import_is_idempotent_too() {
    let Some(db) = PgDatabase::create() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    write_jsonl(&dir.path().join("in.jsonl"), 1_000);
    let o = run(firebreak(dir.path()).args(["--db", &db.url, "import", "in.jsonl", "--json"]));
    assert_eq!(
        json(&o),
        serde_json::json!({"imported": 1000, "duplicates": 0, "rejected": 0}),
        "{}",
        stderr(&o)
    );
    let o = run(firebreak(dir.path()).args(["--db", &db.url, "import", "in.jsonl", "--json"]));
    assert_eq!(
        json(&o),
        serde_json::json!({"imported": 0, "duplicates": 1000, "rejected": 0})
    );
    assert_eq!(mention_count(dir.path(), &db.url), 1_000);
}

#[test]
fn ctrl_c_stops_an_import_and_keeps_everything_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let n = 300_000;
    write_jsonl(&dir.path().join("big.jsonl"), n);
    let child = firebreak(dir.path())
        .args(["--db", "sqlite://int.db", "import", "big.jsonl", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(800));
    let _ = std::process::Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status();
    let o = child.wait_with_output().expect("wait");
    let imported = json(&o)["imported"].as_u64().expect("imported");
    match o.status.code() {
        Some(130) => {
            assert!(stderr(&o).contains("interrupted"), "{}", stderr(&o));
            assert!(imported < u64::from(n));
        }
        Some(0) => assert_eq!(imported, u64::from(n), "finished before the signal"),
        other => panic!("unexpected exit {other:?}: {}", stderr(&o)),
    }
    // Everything the summary counted is in the store, and nothing else.
    assert_eq!(mention_count(dir.path(), "sqlite://int.db"), imported);
}

#[test]
fn analyze_reads_mentions_or_plain_text_and_writes_one_object_per_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut m = mentions(1).remove(0);
    m.text = "Il bollitore si è sciolto ed è pericoloso, vergogna! Voglio un rimborso".into();
    let input = format!(
        "{}\nThanks @velora, the delivery was quick and the kettle is lovely!\n\n",
        encode_jsonl(&m)
    );
    let mut child = firebreak(dir.path())
        .args(["analyze", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let o = child.wait_with_output().expect("wait");
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 2, "one result per non-empty line");
    assert_eq!(lines[0]["id"], "mastodon:0");
    for l in &lines {
        for field in [
            "lang",
            "sentiment",
            "toxicity",
            "intent",
            "category",
            "register",
        ] {
            assert!(l.get(field).is_some(), "{field} missing in {l}");
        }
        assert!(l["sentiment"]["score"]
            .as_f64()
            .is_some_and(|s| (0.0..=1.0).contains(&s)));
    }
    assert_eq!(lines[0]["sentiment"]["label"], "negative");
    assert_eq!(lines[0]["intent"], "complaint");
    assert_eq!(lines[1]["lang"], "en");
    assert_eq!(lines[1]["sentiment"]["label"], "positive");
}

#[test]
fn imported_mentions_carry_their_analysis() {
    let dir = tempfile::tempdir().expect("tmp");
    let o = run(firebreak(dir.path()).args(["demo", "--load-only"]));
    assert!(o.status.success(), "{}", stderr(&o));
    // The demo's crisis is about a melted kettle: negative product complaints must be there.
    let db = dir.path().join("firebreak-data/demo.db");
    let store = firebreak_store::open(&format!("sqlite://{}", db.display())).expect("open");
    let page = store
        .search_mentions(&firebreak_store::MentionQuery {
            sentiment: Some("negative".into()),
            category: Some("product_defect_safety".into()),
            limit: 500,
            ..Default::default()
        })
        .expect("search");
    assert!(
        page.mentions.len() >= 100,
        "only {} negative product complaints",
        page.mentions.len()
    );
    assert!(page.mentions.iter().all(|m| m.mention.analysis.is_some()));
}

#[test]
fn replay_through_the_pipeline_raises_what_the_evaluation_scores() {
    let Some(data) = firebreak_testkit::shared_data_dir() else {
        eprintln!("skipped: ../shared/data is not there");
        return;
    };
    let scenarios = data.join("crisis-scenarios");
    let dir = tempfile::tempdir().expect("tmp");
    // One scenario, alone in a directory, evaluated directly...
    let only = dir.path().join("only");
    std::fs::create_dir_all(&only).expect("mkdir");
    for ext in ["jsonl", "labels.json"] {
        std::fs::copy(
            scenarios.join(format!("rude_service-en-25.{ext}")),
            only.join(format!("rude_service-en-25.{ext}")),
        )
        .expect("copy");
    }
    let o = run(firebreak(dir.path()).args([
        "eval",
        "scenarios",
        "only",
        "--alerts-out",
        "eval-alerts",
        "--json",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = json(&o);
    assert_eq!(rows[0]["detected"], true, "{rows}");
    // ...and replayed through the real pipeline (store, analysis, detectors).
    let o = run(firebreak(dir.path()).args([
        "replay",
        "only/rude_service-en-25.jsonl",
        "--alerts-out",
        "replay-alerts.jsonl",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let eval = std::fs::read_to_string(
        dir.path()
            .join("eval-alerts/rude_service-en-25.alerts.jsonl"),
    )
    .expect("eval alerts");
    let replay =
        std::fs::read_to_string(dir.path().join("replay-alerts.jsonl")).expect("replay alerts");
    assert!(!replay.is_empty());
    assert_eq!(
        replay, eval,
        "the pipeline and the evaluation must raise the same alerts"
    );
}

#[test]
fn detect_series_scores_every_row() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut csv = String::from("timestamp,value\n");
    for i in 0..2000 {
        let v = if i == 1500 { 500 } else { 10 + (i % 7) };
        csv.push_str(&format!(
            "2015-03-01 {:02}:{:02}:00,{v}\n",
            (i / 12) % 24,
            (i % 12) * 5
        ));
    }
    std::fs::write(dir.path().join("s.csv"), &csv).expect("write");
    let o = run(firebreak(dir.path()).args(["detect", "series", "s.csv"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "timestamp,anomaly_score");
    assert_eq!(lines.len(), 2001, "one score per row");
    let score = |l: &str| {
        l.rsplit(',')
            .next()
            .and_then(|s| s.parse::<f64>().ok())
            .expect("score")
    };
    assert!(
        score(lines[1501]) >= 0.5,
        "the spike is flagged: {}",
        lines[1501]
    );
    assert!(
        lines[1..1400].iter().all(|l| score(l) < 0.5),
        "a steady series raises nothing"
    );
    std::fs::write(
        dir.path().join("bad.csv"),
        "timestamp,value\n2015-03-01 00:00:00,abc\n",
    )
    .expect("write");
    let o = run(firebreak(dir.path()).args(["detect", "series", "bad.csv"]));
    assert!(!o.status.success());
    assert!(stderr(&o).contains("line 2"), "{}", stderr(&o));
}
