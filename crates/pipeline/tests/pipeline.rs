//! The pipeline's promises: bounded queues, everything accepted is stored
//! before shutdown returns, detectors see each new mention once, and bad
//! lines are reported without stopping a read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use firebreak_core::{Alert, AlertKind, Mention};
use firebreak_pipeline::source::{read_mentions, Format, ReadOptions, Rejection};
use firebreak_pipeline::{AlertSink, Components, Detector, Envelope, Pipeline, PipelineConfig};
use firebreak_store::{MentionStore, SqliteStore};
use firebreak_testkit::{mention, mentions};
use tokio::sync::mpsc::error::TrySendError;

fn store() -> (tempfile::TempDir, Arc<dyn MentionStore>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("p.db")).expect("open");
    (dir, Arc::new(store))
}

/// Records the ids it observes; raises an alert for every 10th.
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Detector for Recorder {
    fn name(&self) -> &'static str {
        "recorder"
    }
    fn observe(&mut self, m: &Mention, alerts: &mut Vec<Alert>) {
        let mut seen = self.0.lock().expect("lock");
        seen.push(m.id.to_string());
        if seen.len().is_multiple_of(10) {
            alerts.push(Alert {
                id: format!("a{}", seen.len()),
                raised_at: m.created_at,
                channel: m.channel.clone(),
                kind: AlertKind::VolumeSpike,
                crisis: false,
                severity: 1,
                summary: "test".into(),
                terms: vec![],
                evidence: vec![m.id.clone()],
                amplifiers: vec![],
            });
        }
    }
}

/// Blocks every observation until released: a detector that cannot keep up.
struct Stuck(Arc<std::sync::Barrier>, bool);

impl Detector for Stuck {
    fn name(&self) -> &'static str {
        "stuck"
    }
    fn observe(&mut self, _m: &Mention, _alerts: &mut Vec<Alert>) {
        if !self.1 {
            self.1 = true;
            self.0.wait();
        }
    }
}

struct Collect(Arc<Mutex<Vec<Alert>>>);

impl AlertSink for Collect {
    fn emit(&mut self, alert: &Alert) -> std::io::Result<()> {
        self.0.lock().expect("lock").push(alert.clone());
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_accepted_is_stored_when_shutdown_returns() {
    let (_dir, store) = store();
    let pipeline = Pipeline::start(
        PipelineConfig {
            batch_size: 64,
            channel_capacity: 2,
            store_retries: 0,
        },
        Components {
            store: store.clone(),
            transforms: vec![],
            detectors: vec![],
            sinks: vec![],
        },
    );
    let tx = pipeline.sender();
    let all = mentions(5_000);
    for chunk in all.chunks(37) {
        tx.send(Envelope::new(chunk.to_vec())).await.expect("send");
    }
    drop(tx);
    let report = pipeline.shutdown().await.expect("shutdown");
    assert_eq!(
        (report.received, report.inserted, report.duplicates),
        (5_000, 5_000, 0)
    );
    let count = tokio::task::spawn_blocking(move || store.count_mentions())
        .await
        .expect("join");
    assert_eq!(count.expect("count"), 5_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detectors_see_each_new_mention_once_and_alerts_reach_the_sinks() {
    let (_dir, store) = store();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let alerts = Arc::new(Mutex::new(Vec::new()));
    let pipeline = Pipeline::start(
        PipelineConfig::default(),
        Components {
            store,
            transforms: vec![],
            detectors: vec![Box::new(Recorder(seen.clone()))],
            sinks: vec![Box::new(Collect(alerts.clone()))],
        },
    );
    let first = pipeline.submit(mentions(30)).await.expect("first");
    assert_eq!((first.inserted, first.duplicates), (30, 0));
    // The same mentions again, plus 10 new ones: only the new ones go on.
    let second = pipeline.submit(mentions(40)).await.expect("second");
    assert_eq!((second.inserted, second.duplicates), (10, 30));
    let report = pipeline.shutdown().await.expect("shutdown");
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 40);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 40);
    assert_eq!(report.alerts, 4);
    assert_eq!(alerts.lock().expect("lock").len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_stage_fills_the_bounded_queues_and_pushes_back_on_sources() {
    let (_dir, store) = store();
    let barrier = Arc::new(std::sync::Barrier::new(2));
    let pipeline = Pipeline::start(
        PipelineConfig {
            batch_size: 1,
            channel_capacity: 2,
            store_retries: 0,
        },
        Components {
            store,
            transforms: vec![],
            detectors: vec![Box::new(Stuck(barrier.clone(), false))],
            sinks: vec![],
        },
    );
    let tx = pipeline.sender();
    // Keep sending single mentions until the pipeline refuses: with every queue
    // holding 2 batches, that must happen after a handful, not never.
    let mut accepted = 0u32;
    let mut full = false;
    for i in 0..10_000u32 {
        match tx.try_send(Envelope::new(vec![mention(i)])) {
            Ok(()) => accepted += 1,
            Err(TrySendError::Full(_)) => {
                // Give the stages time to move what they can, then try once more.
                tokio::time::sleep(Duration::from_millis(50)).await;
                if let Err(TrySendError::Full(_)) = tx.try_send(Envelope::new(vec![mention(i)])) {
                    full = true;
                    break;
                }
                accepted += 1;
            }
            Err(TrySendError::Closed(_)) => panic!("closed"),
        }
    }
    assert!(full, "the ingress queue never filled: it is not bounded");
    assert!(
        accepted < 50,
        "{accepted} batches were queued behind a stuck detector"
    );
    // Release the detector: everything accepted drains and is stored.
    tokio::task::spawn_blocking(move || barrier.wait())
        .await
        .expect("release");
    drop(tx);
    let report = pipeline.shutdown().await.expect("shutdown");
    assert_eq!(report.inserted, u64::from(accepted));
}

#[test]
fn bad_lines_are_reported_with_numbers_and_the_rest_is_read() {
    let good = |i: u32| firebreak_core::wire::encode_jsonl(&mention(i));
    let mut input = Vec::new();
    input.extend_from_slice(format!("{}\n", good(1)).as_bytes());
    input.extend_from_slice(b"{not json\n");
    input.extend_from_slice(b"\n");
    input.extend_from_slice(br#"{"id":"x:1","platform":"x","channel":"@c","kind":"post","author":{"id":"a"},"text":"no time"}"#);
    input.extend_from_slice(b"\n");
    input.extend_from_slice(b"{\"id\":\"\xff\xfe\"}\n");
    input.extend_from_slice(br#"{"id":"x:2","platform":"x","channel":"@c","kind":"post","created_at":"2026-01-01T00:00:00Z","author":{"id":"a","followers":"many"},"text":""}"#);
    input.extend_from_slice(b"\n");
    input.extend_from_slice(format!("{{\"id\":\"{}\"}}\n", "y".repeat(2 << 20)).as_bytes());
    input.extend_from_slice(format!("{}\r\n", good(2)).as_bytes());
    input.extend_from_slice(good(3).as_bytes()); // no final newline

    let (tx, mut rx) = tokio::sync::mpsc::channel::<Envelope>(100);
    let mut rejected: Vec<Rejection> = Vec::new();
    let progress = AtomicU64::new(0);
    let stats = read_mentions(
        &input[..],
        "t.jsonl",
        Format::Jsonl,
        &ReadOptions {
            batch_size: 2,
            ..Default::default()
        },
        &tx,
        &progress,
        &mut |r| rejected.push(r),
    )
    .expect("read");
    drop(tx);
    let mut got = Vec::new();
    while let Ok(e) = rx.try_recv() {
        got.extend(e.mentions.into_iter().map(|m| m.id.to_string()));
    }
    assert_eq!(got, vec!["mastodon:1", "mastodon:2", "mastodon:3"]);
    assert_eq!((stats.records, stats.decoded, stats.rejected), (8, 3, 5));
    let lines: Vec<u64> = rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![2, 4, 5, 6, 7]);
    assert!(
        rejected[0].reason.contains("invalid JSON"),
        "{:?}",
        rejected[0]
    );
    assert!(
        rejected[1].reason.contains("created_at"),
        "{:?}",
        rejected[1]
    );
    assert!(rejected[2].reason.contains("UTF-8"), "{:?}", rejected[2]);
    assert!(
        rejected[3].reason.contains("invalid type"),
        "{:?}",
        rejected[3]
    );
    assert!(
        rejected[4].reason.contains("over the limit"),
        "{:?}",
        rejected[4]
    );
    assert_eq!(progress.load(Ordering::Relaxed), input.len() as u64);
}

#[test]
fn csv_files_are_read_by_header_name() {
    let input = "\u{feff}text,id,platform,channel,kind,created_at,author_id,author_followers,author_verified,extra\n\
                 \"multi\nline, with \"\"quotes\"\"\",m:1,Mastodon,@velora,reply,2026-03-02T09:00:00+01:00,u1,120,true,x\n\
                 bad row,m:2,mastodon,@velora,shout,2026-03-02T09:00:00Z,u1,,,\n\
                 ,m:3,mastodon,@velora,reshare,2026-03-02T10:00:00Z,u2,-5,,\n\
                 ,m:4,mastodon,@velora,reshare,2026-03-02T10:00:00Z,u2,,,\n";
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Envelope>(10);
    let mut rejected = Vec::new();
    let stats = read_mentions(
        input.as_bytes(),
        "t.csv",
        Format::Csv,
        &ReadOptions {
            batch_size: 10,
            ..Default::default()
        },
        &tx,
        &AtomicU64::new(0),
        &mut |r| rejected.push(r),
    )
    .expect("read");
    drop(tx);
    let got: Vec<Mention> = rx.try_recv().map(|e| e.mentions).unwrap_or_default();
    assert_eq!((stats.decoded, stats.rejected), (2, 2));
    assert_eq!(got[0].text, "multi\nline, with \"quotes\"");
    assert_eq!(got[0].platform.as_str(), "mastodon");
    assert_eq!(got[0].created_at.to_rfc3339(), "2026-03-02T08:00:00+00:00");
    assert_eq!(
        (got[0].author.followers, got[0].author.verified),
        (120, true)
    );
    assert_eq!(got[1].text, "");
    let lines: Vec<u64> = rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![4, 5], "line numbers count the embedded newline");
    assert!(
        rejected[0].reason.contains("unknown kind"),
        "{:?}",
        rejected[0]
    );
    assert!(
        rejected[1].reason.contains("author_followers"),
        "{:?}",
        rejected[1]
    );
}

#[test]
fn a_stopped_read_sends_what_it_read_and_says_so() {
    let input: String = mentions(10)
        .iter()
        .map(|m| firebreak_core::wire::encode_jsonl(m) + "\n")
        .collect();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let (tx, _rx) = tokio::sync::mpsc::channel::<Envelope>(10);
    let stats = read_mentions(
        input.as_bytes(),
        "t.jsonl",
        Format::Jsonl,
        &ReadOptions {
            batch_size: 4,
            stop: Some(stop),
            ..Default::default()
        },
        &tx,
        &AtomicU64::new(0),
        &mut |_| {},
    )
    .expect("read");
    assert!(stats.interrupted);
    assert_eq!(stats.decoded, 0);
}
