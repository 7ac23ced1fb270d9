//! The detectors run on one node at a time: the holder of a PostgreSQL advisory lock
//! (a session lock on a connection of its own, so a node that is killed or cut off from
//! the database loses it at once and a standby takes it within `lease_retry_secs`).
//!
//! The owner reads the whole mention stream in order through an ordered consumer,
//! looks up each mention's stored version (with its analysis; it waits for the workers
//! to commit it) and feeds the detectors. After each batch it saves the stream sequence
//! it reached in `detector_positions`. A new owner starts `detector_replay_hours` back
//! in the stream: up to the saved position it only rebuilds the detectors' state (no
//! alert is emitted), after it it is live. The detectors are deterministic on event
//! time, so the new owner raises the alerts the old one would have raised, with the
//! same ids.
//!
//! Every alert emission is claimed in the alert log (`alerts`: alert id, severity,
//! raised_at, and the alert itself) before it reaches the outputs; only the node whose
//! insert took emits it. An owner that dies after emitting but before saving its position
//! leaves a batch that its successor processes again: the claims make those alerts no-ops.
//!
//! The log is also the notification **outbox**: an emission stays undelivered until the
//! outputs have finished with it (with a notifier, when every target has sent it or given
//! up: [`DetectorService::confirmations`]). A new owner first re-sends every undelivered
//! emission, with the same idempotency key ([`firebreak_core::Alert::emission_key`]), so
//! an owner killed between its claim and its send loses no notification; one killed
//! between the send and the confirmation causes a repeat that carries the same key.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer};
use firebreak_core::{Alert, Mention, MentionId};
use firebreak_pipeline::{AlertSink, Detector};
use firebreak_store::{AdvisoryLease, ClusterState, StoreError};
use futures_util::StreamExt;
use tokio::sync::{mpsc, watch};

use crate::{ClusterConfig, ClusterError};

/// The advisory lock key of the detector lease (any constant; "FIREBRK" + 0x10).
pub const DETECTOR_LOCK: i64 = 0x4649_5245_4252_4b10;

/// How long the owner waits for the workers to commit a mention before it skips it.
const WAIT_STORED: Duration = Duration::from_secs(120);

/// Ids remembered to skip a mention published twice (beyond JetStream's duplicate window).
const SEEN_IDS: usize = 1_000_000;

/// Most undelivered emissions a new owner re-sends at once.
const REDELIVER_BATCH: usize = 1_000;

/// Confirmations from the notifier: (emission key, outcome) once every target that
/// accepts a notification has sent it or given up.
pub type Confirmations = mpsc::UnboundedReceiver<(String, String)>;

/// Test hooks that kill the process at the worst moments of the outbox
/// (`FIREBREAK_FAILPOINT`): `abort-after-claim` (the first crisis alert claimed, before
/// any output sees it) and `abort-after-send` (the first crisis alert sent, before its
/// delivery is recorded). Used by the fault tests; unset in production.
fn failpoint(name: &str) -> bool {
    static POINT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    POINT
        .get_or_init(|| std::env::var("FIREBREAK_FAILPOINT").ok())
        .as_deref()
        == Some(name)
}

fn crash_at(name: &str) {
    if failpoint(name) {
        eprintln!("FIREBREAK_FAILPOINT={name}: aborting");
        std::process::abort();
    }
}

/// Makes a fresh set of detectors (on each takeover).
pub type DetectorFactory = Arc<dyn Fn() -> Vec<Box<dyn Detector>> + Send + Sync>;

/// Live counters of a node's detector service.
#[derive(Debug, Default)]
pub struct DetectorCounters {
    /// True while this node holds the lease.
    pub owner: AtomicBool,
    /// Times this node took the lease.
    pub takeovers: AtomicU64,
    /// Mentions fed to the detectors while rebuilding state (no alerts emitted).
    pub replayed: AtomicU64,
    /// Mentions fed to the detectors live.
    pub observed: AtomicU64,
    /// Alerts this node emitted (claimed first).
    pub emitted: AtomicU64,
    /// Alerts raised live that another owner had already claimed.
    pub already_claimed: AtomicU64,
    /// Undelivered emissions (claimed by an earlier owner) re-sent on a takeover.
    pub redelivered: AtomicU64,
    /// Emissions whose delivery was confirmed (recorded in the log).
    pub delivered: AtomicU64,
    /// Mentions skipped because they were never committed within the wait.
    pub not_stored: AtomicU64,
    /// The last stream sequence processed.
    pub position: AtomicU64,
}

/// Everything the detector service needs.
pub struct DetectorService {
    pub config: ClusterConfig,
    /// The shared PostgreSQL (the lease takes a connection of its own).
    pub postgres_url: String,
    pub state: Arc<dyn ClusterState>,
    pub detectors: DetectorFactory,
    /// This node's outputs (notifiers, crisis room, log). Only claimed alerts reach them.
    pub sinks: Vec<Box<dyn AlertSink>>,
    /// The notifier's confirmations, when the outputs include one: an emission is
    /// recorded as delivered when its confirmation arrives. Without, it is recorded when
    /// every output has taken it.
    pub confirmations: Option<Confirmations>,
    pub counters: Arc<DetectorCounters>,
}

/// Emissions handed to the notifier and not yet confirmed, by emission key.
type Pending = Arc<Mutex<HashMap<String, Alert>>>;

struct Engine {
    detectors: Vec<Box<dyn Detector>>,
    seen: HashSet<MentionId>,
    seen_order: VecDeque<MentionId>,
}

impl Engine {
    fn remember(&mut self, id: &MentionId) -> bool {
        if !self.seen.insert(id.clone()) {
            return false;
        }
        self.seen_order.push_back(id.clone());
        if self.seen_order.len() > SEEN_IDS {
            if let Some(old) = self.seen_order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
    }
}

/// Outputs and state that outlive a lease.
struct Outputs {
    sinks: Vec<Box<dyn AlertSink>>,
    /// `Some` when delivery is confirmed by the notifier.
    pending: Option<Pending>,
}

/// Runs the service until `stop`: stand by, take the lease when it is free, detect
/// while holding it, stand by again when it is lost.
pub async fn run(
    client: async_nats::Client,
    service: DetectorService,
    mut stop: watch::Receiver<bool>,
) -> Result<(), ClusterError> {
    let DetectorService {
        config,
        postgres_url,
        state,
        detectors,
        sinks,
        confirmations,
        counters,
    } = service;
    let js = jetstream::new(client);
    let stream = crate::ensure_stream(&js, &config).await?;
    let pending = confirmations.map(|rx| {
        let pending: Pending = Arc::new(Mutex::new(HashMap::new()));
        tokio::spawn(record_deliveries(
            rx,
            pending.clone(),
            state.clone(),
            counters.clone(),
        ));
        pending
    });
    let mut outputs = Some(Outputs { sinks, pending });
    let app_name = format!("firebreak-detector {}", config.node);
    while !*stop.borrow() {
        let url = postgres_url.clone();
        let name = app_name.clone();
        let lease = tokio::task::spawn_blocking(move || {
            AdvisoryLease::try_acquire(&url, DETECTOR_LOCK, &name)
        })
        .await
        .map_err(|e| ClusterError::Join(e.to_string()))?;
        match lease {
            Ok(Some(lease)) => {
                counters.owner.store(true, Ordering::SeqCst);
                counters.takeovers.fetch_add(1, Ordering::Relaxed);
                tracing::info!(node = %config.node, "took the detector lease");
                let lease = Arc::new(Mutex::new(lease));
                let result = own(
                    &stream,
                    &config,
                    &state,
                    &detectors,
                    &mut outputs,
                    lease,
                    &counters,
                    &mut stop,
                )
                .await;
                counters.owner.store(false, Ordering::SeqCst);
                match result {
                    Ok(()) => tracing::info!(node = %config.node, "gave up the detector lease"),
                    Err(e) => {
                        tracing::warn!(node = %config.node, error = %e, "lost the detector lease")
                    }
                }
                if outputs.is_none() {
                    return Err(ClusterError::Join("the detector outputs were lost".into()));
                }
            }
            Ok(None) => {}
            Err(e) => tracing::debug!(error = %e, "cannot reach PostgreSQL for the detector lease"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(config.lease_retry_secs)) => {}
            _ = stop.changed() => {}
        }
    }
    Ok(())
}

/// Detects while the lease holds. Returns `Ok` when stopped, `Err` when the lease, the
/// stream or the store failed (the caller stands by and tries again).
#[allow(clippy::too_many_arguments)]
async fn own(
    stream: &jetstream::stream::Stream,
    config: &ClusterConfig,
    state: &Arc<dyn ClusterState>,
    factory: &DetectorFactory,
    outputs: &mut Option<Outputs>,
    lease: Arc<Mutex<AdvisoryLease>>,
    counters: &Arc<DetectorCounters>,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), ClusterError> {
    let position_name = format!("detectors:{}", config.stream);
    let st = state.clone();
    let pn = position_name.clone();
    let saved = blocking(move || st.detector_position(&pn)).await?;
    // The outbox first: what an earlier owner claimed but could not confirm as sent.
    let Some(mut outs) = outputs.take() else {
        return Err(ClusterError::Join("detector outputs missing".into()));
    };
    let st = state.clone();
    let c = counters.clone();
    let (outs, result) = tokio::task::spawn_blocking(move || {
        let r = redeliver(&mut outs, st.as_ref(), &c);
        (outs, r)
    })
    .await
    .map_err(|e| ClusterError::Join(e.to_string()))?;
    *outputs = Some(outs);
    result?;
    let start = time::OffsetDateTime::now_utc()
        - time::Duration::hours(i64::try_from(config.detector_replay_hours).unwrap_or(48));
    let consumer = stream
        .create_consumer(consumer::pull::OrderedConfig {
            filter_subject: format!("{}.>", config.subject_prefix),
            deliver_policy: consumer::DeliverPolicy::ByStartTime { start_time: start },
            ..Default::default()
        })
        .await
        .map_err(|e| ClusterError::JetStream(e.to_string()))?;
    let mut messages = consumer
        .messages()
        .await
        .map_err(|e| ClusterError::JetStream(e.to_string()))?;
    let factory = factory.clone();
    let mut engine = Some(
        blocking(move || {
            Ok(Engine {
                detectors: factory(),
                seen: HashSet::new(),
                seen_order: VecDeque::new(),
            })
        })
        .await?,
    );
    tracing::info!(
        saved,
        "detectors: replaying up to the saved position, then live"
    );
    let linger = Duration::from_millis(20);
    loop {
        let first = tokio::select! {
            m = messages.next() => m,
            _ = stop.changed() => return Ok(()),
            // Idle: make sure the lease still holds (a lost database ends it).
            _ = tokio::time::sleep(Duration::from_secs(2)) => {
                check_lease(&lease).await?;
                continue;
            }
        };
        let mut batch = match first {
            Some(Ok(m)) => vec![m],
            Some(Err(e)) => return Err(ClusterError::JetStream(e.to_string())),
            None => return Err(ClusterError::JetStream("the stream ended".into())),
        };
        let deadline = tokio::time::Instant::now() + linger;
        while batch.len() < config.fetch_batch {
            match tokio::time::timeout_at(deadline, messages.next()).await {
                Ok(Some(Ok(m))) => batch.push(m),
                Ok(Some(Err(e))) => return Err(ClusterError::JetStream(e.to_string())),
                _ => break,
            }
        }
        let mut raw: Vec<(u64, Mention)> = Vec::with_capacity(batch.len());
        let mut last_seq = 0;
        for msg in &batch {
            let seq = msg.info().map(|i| i.stream_sequence).unwrap_or(0);
            last_seq = last_seq.max(seq);
            if let Ok(m) = firebreak_core::wire::decode_jsonl(&msg.payload) {
                raw.push((seq, m));
            }
        }
        let stored = wait_until_stored(state, raw, counters, stop).await?;
        check_lease(&lease).await?;
        let (Some(mut eng), Some(mut outs)) = (engine.take(), outputs.take()) else {
            return Err(ClusterError::Join("detector state missing".into()));
        };
        let st = state.clone();
        let node = config.node.clone();
        let c = counters.clone();
        let pn = position_name.clone();
        let (eng, outs, result) = tokio::task::spawn_blocking(move || {
            let r = step(&mut eng, &mut outs, st.as_ref(), &node, &c, stored, saved);
            let r = r.and_then(|()| {
                retry(|| st.save_detector_position(&pn, last_seq, &node))?;
                c.position.store(last_seq, Ordering::SeqCst);
                Ok(())
            });
            (eng, outs, r)
        })
        .await
        .map_err(|e| ClusterError::Join(e.to_string()))?;
        engine = Some(eng);
        *outputs = Some(outs);
        result?;
    }
}

async fn check_lease(lease: &Arc<Mutex<AdvisoryLease>>) -> Result<(), ClusterError> {
    let lease = lease.clone();
    let held = blocking(move || lease.lock().unwrap_or_else(|e| e.into_inner()).check()).await;
    match held {
        Ok(true) => Ok(()),
        Ok(false) => Err(ClusterError::JetStream(
            "the detector lease is no longer held".into(),
        )),
        Err(e) => Err(e),
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ClusterError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ClusterError::Join(e.to_string()))?
        .map_err(ClusterError::Store)
}

/// A few attempts with backoff: a store hiccup should not cost the lease.
fn retry<T>(mut f: impl FnMut() -> Result<T, StoreError>) -> Result<T, StoreError> {
    let mut wait = Duration::from_millis(100);
    let mut attempt = 0;
    loop {
        match f() {
            Ok(v) => return Ok(v),
            Err(e) if attempt < 5 => {
                tracing::warn!(error = %e, attempt, "detector store call failed; retrying");
                std::thread::sleep(wait);
                wait *= 2;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// The stored versions of `raw`, in stream order, waiting (up to [`WAIT_STORED`]) for
/// the workers to commit those not stored yet.
async fn wait_until_stored(
    state: &Arc<dyn ClusterState>,
    raw: Vec<(u64, Mention)>,
    counters: &DetectorCounters,
    stop: &mut watch::Receiver<bool>,
) -> Result<Vec<(u64, Mention)>, ClusterError> {
    let mut found: std::collections::HashMap<MentionId, Mention> =
        std::collections::HashMap::with_capacity(raw.len());
    let started = Instant::now();
    let mut wait = Duration::from_millis(5);
    loop {
        let missing: Vec<MentionId> = raw
            .iter()
            .filter(|(_, m)| !found.contains_key(&m.id))
            .map(|(_, m)| m.id.clone())
            .collect();
        if missing.is_empty() {
            break;
        }
        if started.elapsed() > WAIT_STORED {
            tracing::warn!(
                mentions = missing.len(),
                "mentions not committed by the workers in time; the detectors skip them"
            );
            counters
                .not_stored
                .fetch_add(missing.len() as u64, Ordering::Relaxed);
            break;
        }
        let st = state.clone();
        match blocking(move || st.mentions_by_ids(&missing)).await {
            Ok(rows) => {
                let progressed = !rows.is_empty();
                for m in rows {
                    found.insert(m.id.clone(), m);
                }
                if progressed {
                    continue;
                }
            }
            Err(e) => tracing::debug!(error = %e, "cannot read stored mentions; waiting"),
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return Err(ClusterError::Pipeline("stopping".into())),
        }
        wait = (wait * 2).min(Duration::from_millis(500));
    }
    Ok(raw
        .into_iter()
        .filter_map(|(seq, m)| found.remove(&m.id).map(|stored| (seq, stored)))
        .collect())
}

/// Feeds a batch to the detectors; emits the live alerts that this node claims.
fn step(
    engine: &mut Engine,
    outputs: &mut Outputs,
    state: &dyn ClusterState,
    node: &str,
    counters: &DetectorCounters,
    batch: Vec<(u64, Mention)>,
    saved: u64,
) -> Result<(), StoreError> {
    let mut live_alerts: Vec<Alert> = Vec::new();
    let mut alerts = Vec::new();
    for (seq, m) in batch {
        if !engine.remember(&m.id) {
            continue;
        }
        for d in engine.detectors.iter_mut() {
            d.observe(&m, &mut alerts);
        }
        if seq > saved {
            counters.observed.fetch_add(1, Ordering::Relaxed);
            live_alerts.append(&mut alerts);
        } else {
            // Rebuilding: the previous owner emitted (claimed) these already.
            counters.replayed.fetch_add(1, Ordering::Relaxed);
            alerts.clear();
        }
    }
    for alert in &live_alerts {
        let claimed = retry(|| state.claim_alert(alert, node, chrono::Utc::now()))?;
        if !claimed {
            counters.already_claimed.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        if alert.crisis {
            crash_at("abort-after-claim");
        }
        counters.emitted.fetch_add(1, Ordering::Relaxed);
        deliver(outputs, state, counters, alert)?;
    }
    if !live_alerts.is_empty() {
        flush(outputs);
    }
    Ok(())
}

/// Hands one claimed emission to every output. With a notifier, it waits in `pending`
/// for the notifier's confirmation; without, it is recorded as delivered now.
fn deliver(
    outputs: &mut Outputs,
    state: &dyn ClusterState,
    counters: &DetectorCounters,
    alert: &Alert,
) -> Result<(), StoreError> {
    if let Some(pending) = &outputs.pending {
        pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(alert.emission_key(), alert.clone());
    }
    let mut failed = Vec::new();
    for sink in outputs.sinks.iter_mut() {
        if let Err(e) = sink.emit(alert) {
            tracing::error!(alert = %alert.id, error = %e, "alert output failed");
            failed.push(e.to_string());
        }
    }
    if outputs.pending.is_none() {
        let outcome = if failed.is_empty() {
            "handed to the outputs".to_owned()
        } else {
            format!("outputs failed: {}", failed.join("; "))
        };
        retry(|| state.mark_alert_delivered(alert, &outcome, chrono::Utc::now()))?;
        counters.delivered.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

fn flush(outputs: &mut Outputs) {
    for sink in outputs.sinks.iter_mut() {
        if let Err(e) = sink.flush() {
            tracing::error!(error = %e, "flushing alert outputs failed");
        }
    }
}

/// A new owner re-sends the emissions that an earlier owner claimed but whose delivery
/// was never confirmed (it died in between), oldest first, with their original keys.
fn redeliver(
    outputs: &mut Outputs,
    state: &dyn ClusterState,
    counters: &DetectorCounters,
) -> Result<(), StoreError> {
    let waiting: HashSet<String> = outputs
        .pending
        .as_ref()
        .map(|p| {
            p.lock()
                .unwrap_or_else(|e| e.into_inner())
                .keys()
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let undelivered = retry(|| state.undelivered_alerts(REDELIVER_BATCH))?;
    let mut sent = 0;
    for record in undelivered {
        // This node's own sends still in flight (a lease lost and retaken) are not re-sent.
        if waiting.contains(&record.alert.emission_key()) {
            continue;
        }
        tracing::warn!(
            alert = %record.alert.id,
            severity = record.alert.severity,
            claimed_by = %record.node,
            "re-sending an alert whose delivery was never confirmed"
        );
        deliver(outputs, state, counters, &record.alert)?;
        counters.redelivered.fetch_add(1, Ordering::Relaxed);
        sent += 1;
    }
    if sent > 0 {
        flush(outputs);
    }
    Ok(())
}

/// Records each confirmed emission as delivered in the alert log.
async fn record_deliveries(
    mut confirmations: Confirmations,
    pending: Pending,
    state: Arc<dyn ClusterState>,
    counters: Arc<DetectorCounters>,
) {
    while let Some((key, outcome)) = confirmations.recv().await {
        let alert = pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
        // Other notifications (escalation pages, SLA reminders) are not alerts.
        let Some(alert) = alert else { continue };
        if alert.crisis {
            crash_at("abort-after-send");
        }
        let st = state.clone();
        let at = chrono::Utc::now();
        let marked = tokio::task::spawn_blocking(move || {
            retry(|| st.mark_alert_delivered(&alert, &outcome, at))
        })
        .await;
        match marked {
            Ok(Ok(())) => {
                counters.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Err(e)) => {
                tracing::error!(key = %key, error = %e, "cannot record a delivered alert; a later owner may send it again")
            }
            Err(e) => tracing::error!(error = %e, "recording a delivery failed"),
        }
    }
}
