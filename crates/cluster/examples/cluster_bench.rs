//! The cluster benchmark: a real `nats-server -js` and PostgreSQL (started here), workers
//! in this process (each with its own NATS connection, pipeline, analysis and PostgreSQL
//! connections, as separate worker processes would have).
//!
//! ```sh
//! cargo run --release -p firebreak-cluster --example cluster_bench -- [COUNT] [RATE]
//! ```
//!
//! 1. Throughput: COUNT mentions (default 20000) are published first, then 1 worker,
//!    and in a fresh stream and database 2 workers, drain them; mentions stored per second.
//! 2. Latency publish → stored: 2 workers, mentions published at RATE per second
//!    (default 1000) for 10 s; p50/p99 from the publish call to the commit.
//! 3. Latency publish → alert: the demo crisis published at RATE per second; p50/p99 from
//!    the publish of the mention that raised an alert to the alert's emission by the
//!    detector owner (few alerts: p99 is close to the maximum).
//!
//! Figures only: no pass/fail. All nodes share this machine's cores.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use firebreak_cluster::detector::{self, DetectorCounters, DetectorService};
use firebreak_cluster::worker::{self, WorkerCounters};
use firebreak_cluster::{ClusterConfig, Publisher};
use firebreak_core::{Alert, Mention, MentionId};
use firebreak_pipeline::{AlertSink, Components, Pipeline, PipelineConfig, Transform};
use firebreak_store::{
    ChannelStats, ClusterState, MentionPage, MentionQuery, MentionStore, PgStore, StoreError,
    StoredMention, UpsertOutcome,
};
use firebreak_testkit::nats::NatsServer;
use firebreak_testkit::pg_process::PgProcess;
use tokio::sync::watch;

const DEMO: &str = include_str!("../../../examples/demo/velora-crisis.jsonl");

struct Analyze(Arc<firebreak_analyze::Analyzer>);

impl Transform for Analyze {
    fn name(&self) -> &'static str {
        "analyze"
    }
    fn apply(&self, batch: &mut [Mention]) {
        for m in batch.iter_mut() {
            m.analysis = Some(self.0.analyze(&m.text, m.lang.as_deref()));
        }
    }
}

type Times = Arc<Mutex<HashMap<MentionId, Instant>>>;

/// The PostgreSQL store, noting when each mention's batch was committed.
struct Timed {
    inner: Arc<PgStore>,
    stored: Times,
}

impl MentionStore for Timed {
    fn backend(&self) -> firebreak_store::Backend {
        self.inner.backend()
    }
    fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping()
    }
    fn upsert_mentions(&self, batch: &[Mention]) -> Result<UpsertOutcome, StoreError> {
        let out = self.inner.upsert_mentions(batch)?;
        let now = Instant::now();
        let mut t = self.stored.lock().unwrap_or_else(|e| e.into_inner());
        for m in batch {
            t.entry(m.id.clone()).or_insert(now);
        }
        Ok(out)
    }
    fn get_mention(&self, id: &MentionId) -> Result<Option<StoredMention>, StoreError> {
        self.inner.get_mention(id)
    }
    fn search_mentions(&self, q: &MentionQuery) -> Result<MentionPage, StoreError> {
        self.inner.search_mentions(q)
    }
    fn count_mentions(&self) -> Result<u64, StoreError> {
        self.inner.count_mentions()
    }
    fn channel_stats(&self) -> Result<Vec<ChannelStats>, StoreError> {
        self.inner.channel_stats()
    }
}

struct AlertTimes(Arc<Mutex<Vec<(Alert, Instant)>>>);

impl AlertSink for AlertTimes {
    fn emit(&mut self, alert: &Alert) -> std::io::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((alert.clone(), Instant::now()));
        Ok(())
    }
}

fn demo() -> Vec<Mention> {
    DEMO.lines()
        .filter_map(|l| firebreak_core::wire::decode_jsonl(l.as_bytes()).ok())
        .collect()
}

/// `count` mentions: the demo's, cycled, with fresh ids.
fn generated(count: usize, tag: &str) -> Vec<Mention> {
    let base = demo();
    (0..count)
        .map(|i| {
            let mut m = base[i % base.len()].clone();
            m.id = MentionId::new(format!("{tag}:{i}"));
            m
        })
        .collect()
}

struct Env {
    _nats: NatsServer,
    pg: PgProcess,
    nats_url: String,
    analyzer: Arc<firebreak_analyze::Analyzer>,
}

struct Run {
    config: ClusterConfig,
    db_url: String,
    store: Arc<PgStore>,
    stored: Times,
}

impl Env {
    async fn run(&self, name: &str) -> Run {
        let pg_url = {
            let pg = &self.pg;
            let name = name.to_owned();
            std::thread::scope(|s| s.spawn(|| pg.create_database(&name)).join())
                .unwrap_or_else(|_| panic!("create database"))
        };
        let url = pg_url.clone();
        let store = tokio::task::spawn_blocking(move || PgStore::connect(&url))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
        Run {
            config: ClusterConfig {
                nats_url: self.nats_url.clone(),
                node: "bench".into(),
                stream: format!("BENCH_{}", name.to_uppercase()),
                subject_prefix: format!("bench_{name}"),
                consumer: format!("workers_{name}"),
                ..Default::default()
            },
            db_url: pg_url,
            store: Arc::new(store),
            stored: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    fn start_worker(&self, run: &Run, stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        let store: Arc<dyn MentionStore> = Arc::new(Timed {
            inner: run.store.clone(),
            stored: run.stored.clone(),
        });
        let analyzer = self.analyzer.clone();
        let config = run.config.clone();
        tokio::spawn(async move {
            let client = firebreak_cluster::connect(&config)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let pipeline = Pipeline::start(
                PipelineConfig::default(),
                Components {
                    store,
                    transforms: vec![Arc::new(Analyze(analyzer))],
                    detectors: Vec::new(),
                    sinks: Vec::new(),
                },
            );
            let counters = Arc::new(WorkerCounters::default());
            let _ = worker::run(client, config, pipeline.sender(), counters, stop).await;
            let _ = pipeline.shutdown().await;
        })
    }
}

async fn publisher(config: &ClusterConfig) -> Publisher {
    let client = firebreak_cluster::connect(config)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    Publisher::start(client, config)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn throughput(env: &Env, workers: usize, count: usize) -> f64 {
    let run = env.run(&format!("tp{workers}")).await;
    let ingest = publisher(&run.config).await;
    for chunk in generated(count, &format!("tp{workers}")).chunks(1000) {
        ingest
            .publish(chunk.to_vec())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let (stop, stop_rx) = watch::channel(false);
    let start = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|_| env.start_worker(&run, stop_rx.clone()))
        .collect();
    loop {
        if run.stored.lock().unwrap_or_else(|e| e.into_inner()).len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let secs = start.elapsed().as_secs_f64();
    let _ = stop.send(true);
    for t in tasks {
        let _ = t.await;
    }
    count as f64 / secs
}

/// Publishes `mentions` at `rate` per second (batches every 10 ms); publish instants by id.
async fn paced(
    ingest: &Publisher,
    mentions: Vec<Mention>,
    rate: u64,
) -> HashMap<MentionId, Instant> {
    let per_tick = (rate / 100).max(1) as usize;
    let mut published = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    for chunk in mentions.chunks(per_tick) {
        tick.tick().await;
        let now = Instant::now();
        for m in chunk {
            published.insert(m.id.clone(), now);
        }
        // Not awaited one by one: the publisher queues, as connectors would.
        let sender = ingest.sender();
        let batch = chunk.to_vec();
        tokio::spawn(async move {
            let _ = firebreak_pipeline::submit(&sender, batch).await;
        });
    }
    published
}

async fn stored_latency(env: &Env, rate: u64) -> (usize, f64, f64) {
    let run = env.run("lat").await;
    let ingest = publisher(&run.config).await;
    let (stop, stop_rx) = watch::channel(false);
    let tasks: Vec<_> = (0..2)
        .map(|_| env.start_worker(&run, stop_rx.clone()))
        .collect();
    let count = (rate * 10) as usize;
    let published = paced(&ingest, generated(count, "lat"), rate).await;
    loop {
        if run.stored.lock().unwrap_or_else(|e| e.into_inner()).len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(true);
    for t in tasks {
        let _ = t.await;
    }
    let stored = run.stored.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut ms: Vec<f64> = published
        .iter()
        .filter_map(|(id, t)| {
            stored
                .get(id)
                .map(|s| s.duration_since(*t).as_secs_f64() * 1e3)
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    (ms.len(), percentile(&ms, 0.5), percentile(&ms, 0.99))
}

async fn alert_latency(env: &Env, rate: u64) -> (usize, f64, f64) {
    let run = env.run("alert").await;
    let ingest = publisher(&run.config).await;
    let (stop, stop_rx) = watch::channel(false);
    let tasks: Vec<_> = (0..2)
        .map(|_| env.start_worker(&run, stop_rx.clone()))
        .collect();
    let emitted = Arc::new(Mutex::new(Vec::new()));
    let counters = Arc::new(DetectorCounters::default());
    let client = firebreak_cluster::connect(&run.config)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let service = DetectorService {
        config: run.config.clone(),
        postgres_url: run.db_url.clone(),
        state: run.store.clone() as Arc<dyn ClusterState>,
        detectors: Arc::new(firebreak_detect::default_detectors),
        sinks: vec![Box::new(AlertTimes(emitted.clone()))],
        confirmations: None,
        counters: counters.clone(),
    };
    let det = tokio::spawn(detector::run(client, service, stop_rx.clone()));
    while !counters.owner.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mentions = demo();
    let n = mentions.len() as u64;
    // The mention that raised an alert is the last one published with its created_at.
    let mut by_time: HashMap<chrono::DateTime<chrono::Utc>, MentionId> = HashMap::new();
    for m in &mentions {
        by_time.insert(m.created_at, m.id.clone());
    }
    let published = paced(&ingest, mentions, rate).await;
    while counters.position.load(Ordering::SeqCst) < n {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(true);
    let _ = det.await;
    for t in tasks {
        let _ = t.await;
    }
    let emitted = emitted.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut ms: Vec<f64> = emitted
        .iter()
        .filter_map(|(a, at)| {
            let id = by_time.get(&a.raised_at)?;
            let t = published.get(id)?;
            Some(at.duration_since(*t).as_secs_f64() * 1e3)
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    (ms.len(), percentile(&ms, 0.5), percentile(&ms, 0.99))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let count: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let rate: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let Some(nats) = NatsServer::start() else {
        eprintln!("nats-server is not installed (apt-get install nats-server)");
        return;
    };
    let Some(pg) = std::thread::spawn(PgProcess::start)
        .join()
        .unwrap_or_else(|_| panic!("start PostgreSQL"))
    else {
        eprintln!("PostgreSQL is not installed");
        return;
    };
    let analyzer = Arc::new(
        firebreak_analyze::Analyzer::load_default().unwrap_or_else(|e| panic!("model: {e}")),
    );
    let env = Env {
        nats_url: nats.url(),
        _nats: nats,
        pg,
        analyzer,
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "cluster benchmark: {cores} cores shared by NATS, PostgreSQL and every worker; analysis on"
    );
    let one = throughput(&env, 1, count).await;
    println!(
        "throughput, 1 worker:  {one:>8.0} mentions/s ({count} mentions, analysed and stored)"
    );
    let two = throughput(&env, 2, count).await;
    println!(
        "throughput, 2 workers: {two:>8.0} mentions/s (x{:.2} of one worker)",
        two / one
    );
    let (n, p50, p99) = stored_latency(&env, rate).await;
    println!(
        "publish -> stored, 2 workers at {rate}/s: p50 {p50:.1} ms, p99 {p99:.1} ms ({n} mentions)"
    );
    let (n, p50, p99) = alert_latency(&env, rate).await;
    println!(
        "publish -> alert, demo crisis at {rate}/s: p50 {p50:.1} ms, p99 {p99:.1} ms ({n} alerts)"
    );
}
