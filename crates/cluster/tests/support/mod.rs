//! A small cluster in one test process: a real `nats-server -js`, a real PostgreSQL, and
//! workers and detector services as tasks (each with its own NATS connection).
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use firebreak_cluster::detector::{self, DetectorCounters, DetectorService};
use firebreak_cluster::worker::{self, WorkerCounters};
use firebreak_cluster::ClusterConfig;
use firebreak_core::{Alert, Mention};
use firebreak_pipeline::{AlertSink, Components, Pipeline, PipelineConfig};
use firebreak_store::{ClusterState, MentionStore, PgStore};
use firebreak_testkit::nats::NatsServer;
use firebreak_testkit::pg_process::PgProcess;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub const DEMO: &str = include_str!("../../../../examples/demo/velora-crisis.jsonl");

/// The bundled demo crisis (2099 mentions, in event order).
pub fn demo_mentions() -> Vec<Mention> {
    DEMO.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| firebreak_core::wire::decode_jsonl(l.as_bytes()).expect("demo line"))
        .collect()
}

pub struct Cluster {
    pub nats: NatsServer,
    pub pg: PgProcess,
    pub db_url: String,
    pub store: Arc<PgStore>,
    pub config: ClusterConfig,
}

impl Cluster {
    /// `None` when nats-server or PostgreSQL is not installed (the test is skipped).
    pub fn start(name: &str) -> Option<Cluster> {
        // The synchronous PostgreSQL client must not run on the test's async thread.
        let name = name.to_owned();
        std::thread::spawn(move || Cluster::start_blocking(&name))
            .join()
            .expect("cluster start")
    }

    fn start_blocking(name: &str) -> Option<Cluster> {
        let nats = NatsServer::start()?;
        let pg = PgProcess::start()?;
        let db_url = pg.create_database(name);
        let store = Arc::new(PgStore::connect(&db_url).expect("open the store"));
        let config = ClusterConfig {
            nats_url: nats.url(),
            node: "test".into(),
            ack_wait_secs: 5,
            fetch_batch: 200,
            ..Default::default()
        };
        Some(Cluster {
            nats,
            pg,
            db_url,
            store,
            config,
        })
    }

    pub fn node(&self, name: &str) -> ClusterConfig {
        ClusterConfig {
            node: name.into(),
            ..self.config.clone()
        }
    }

    /// (rows, distinct ids) in the mentions table, read with a connection of its own.
    pub fn rows_and_distinct_ids(&self) -> (i64, i64) {
        let url = self.db_url.clone();
        std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
            let row = c
                .query_one("SELECT count(*), count(DISTINCT id) FROM mentions", &[])
                .expect("count");
            (row.get(0), row.get(1))
        })
        .join()
        .expect("count thread")
    }
}

/// Runs a blocking store call off the async threads.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("blocking call")
}

/// A worker node in the test process.
pub struct Worker {
    pub counters: Arc<WorkerCounters>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Worker {
    pub async fn start(config: ClusterConfig, store: Arc<PgStore>) -> Worker {
        let client = firebreak_cluster::connect(&config).await.expect("connect");
        let counters = Arc::new(WorkerCounters::default());
        let (stop, stop_rx) = watch::channel(false);
        let c = counters.clone();
        let task = tokio::spawn(async move {
            let pipeline = Pipeline::start(
                PipelineConfig {
                    batch_size: 1000,
                    ..Default::default()
                },
                Components {
                    store: store as Arc<dyn MentionStore>,
                    transforms: Vec::new(),
                    detectors: Vec::new(),
                    sinks: Vec::new(),
                },
            );
            let r = worker::run(client, config, pipeline.sender(), c, stop_rx).await;
            if let Err(e) = r {
                eprintln!("worker stopped: {e}");
            }
            let _ = pipeline.shutdown().await;
        });
        Worker {
            counters,
            stop,
            task,
        }
    }

    /// Like `kill -9`: the task is dropped where it is, its NATS connection with it.
    pub fn kill(self) {
        self.task.abort();
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Records every alert it is given.
#[derive(Clone, Default)]
pub struct Recorder(pub Arc<Mutex<Vec<Alert>>>);

impl AlertSink for Recorder {
    fn emit(&mut self, alert: &Alert) -> std::io::Result<()> {
        self.0.lock().expect("recorder").push(alert.clone());
        Ok(())
    }
}

impl Recorder {
    pub fn keys(&self) -> Vec<(String, u8, String)> {
        self.0.lock().expect("recorder").iter().map(key).collect()
    }
}

pub fn key(a: &Alert) -> (String, u8, String) {
    (a.id.clone(), a.severity, a.raised_at.to_rfc3339())
}

/// A detector service node in the test process.
pub struct DetectorNode {
    pub counters: Arc<DetectorCounters>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl DetectorNode {
    pub async fn start(cluster: &Cluster, name: &str, sink: Recorder) -> DetectorNode {
        let config = cluster.node(name);
        let client = firebreak_cluster::connect(&config).await.expect("connect");
        let counters = Arc::new(DetectorCounters::default());
        let (stop, stop_rx) = watch::channel(false);
        let service = DetectorService {
            config,
            postgres_url: cluster.db_url.clone(),
            state: cluster.store.clone() as Arc<dyn ClusterState>,
            detectors: Arc::new(firebreak_detect::default_detectors),
            sinks: vec![Box::new(sink)],
            confirmations: None,
            counters: counters.clone(),
        };
        let task = tokio::spawn(async move {
            if let Err(e) = detector::run(client, service, stop_rx).await {
                eprintln!("detector service stopped: {e}");
            }
        });
        DetectorNode {
            counters,
            stop,
            task,
        }
    }

    pub fn is_owner(&self) -> bool {
        self.counters
            .owner
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn kill(self) {
        self.task.abort();
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Waits for `done`, failing the test with `what` after `limit` (a hang guard, not a
/// timing assertion).
pub async fn eventually(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "gave up waiting: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The alerts one uninterrupted detector raises on `mentions`, in order.
pub fn reference_alerts(mentions: &[Mention]) -> Vec<Alert> {
    let mut detectors = firebreak_detect::default_detectors();
    let mut alerts = Vec::new();
    for m in mentions {
        for d in detectors.iter_mut() {
            d.observe(m, &mut alerts);
        }
    }
    alerts
}
