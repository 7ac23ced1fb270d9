//! The streaming pipeline shared by the live server, `import` and `replay`:
//!
//! ```text
//! sources ──▶ transforms ──▶ store writer ──▶ detectors ──▶ alert outputs
//!        bounded        bounded         bounded        bounded
//! ```
//!
//! Every hop is a bounded Tokio channel of batches, so a spike fills the
//! queues and then slows the sources down (backpressure); nothing queues
//! without bound. The store writer coalesces batches into one transaction of
//! up to `batch_size` mentions. Only mentions that were new to the store go
//! on to the detectors, so a re-import raises nothing twice. Shutting down
//! closes the sources and drains every stage in order: everything accepted is
//! committed before [`Pipeline::shutdown`] returns.
//!
//! Components plug in through three small traits: [`Transform`] (enrichment,
//! e.g. analysis), [`Detector`] (raises alerts) and [`AlertSink`] (outputs).

pub mod source;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use firebreak_core::{Alert, Mention};
use firebreak_store::{MentionStore, StoreError, UpsertOutcome};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Tuning of the pipeline; see `firebreak.toml` `[pipeline]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineConfig {
    /// Most mentions committed in one store transaction.
    pub batch_size: usize,
    /// Batches each channel holds before its sender waits.
    pub channel_capacity: usize,
    /// Times a failed store write is retried (with backoff) before the batch
    /// is reported as not stored.
    pub store_retries: u32,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            batch_size: 8192,
            channel_capacity: 8,
            store_retries: 5,
        }
    }
}

/// What happened to one batch sent into the pipeline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub inserted: u64,
    pub duplicates: u64,
}

/// A batch of mentions on its way in. When `ack` is set, it receives the
/// outcome once the batch is committed (or the reason it could not be).
pub struct Envelope {
    pub mentions: Vec<Mention>,
    pub ack: Option<oneshot::Sender<Result<BatchOutcome, String>>>,
}

impl Envelope {
    pub fn new(mentions: Vec<Mention>) -> Envelope {
        Envelope {
            mentions,
            ack: None,
        }
    }
}

/// Enriches mentions in place before they are stored (analysis).
pub trait Transform: Send + Sync {
    fn name(&self) -> &'static str;
    fn apply(&self, batch: &mut [Mention]);
}

/// Watches the stream of new mentions, in event time, and raises alerts. The inbox is
/// one too: it watches new mentions and turns those that need a response into cases.
pub trait Detector: Send {
    fn name(&self) -> &'static str;
    /// Called once per new mention, in arrival order.
    fn observe(&mut self, mention: &Mention, alerts: &mut Vec<Alert>);
    /// Called once per committed batch of new mentions; by default, [`Detector::observe`]
    /// for each. Override it to act on a batch at once (one store transaction).
    fn observe_batch(&mut self, batch: &[Mention], alerts: &mut Vec<Alert>) {
        for mention in batch {
            self.observe(mention, alerts);
        }
    }
    /// Called once when the stream ends (flush pending state).
    fn finish(&mut self, _alerts: &mut Vec<Alert>) {}
}

/// Where alerts go: a file, a notifier, the store.
pub trait AlertSink: Send {
    fn emit(&mut self, alert: &Alert) -> std::io::Result<()>;
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes Alert JSONL v1, one alert per line.
pub struct JsonlAlertSink<W: std::io::Write + Send> {
    out: W,
}

impl<W: std::io::Write + Send> JsonlAlertSink<W> {
    pub fn new(out: W) -> Self {
        JsonlAlertSink { out }
    }
}

impl<W: std::io::Write + Send> AlertSink for JsonlAlertSink<W> {
    fn emit(&mut self, alert: &Alert) -> std::io::Result<()> {
        self.out.write_all(alert.to_jsonl().as_bytes())?;
        self.out.write_all(b"\n")
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Live counters, readable while the pipeline runs.
#[derive(Debug, Default)]
pub struct Counters {
    pub received: AtomicU64,
    pub inserted: AtomicU64,
    pub duplicates: AtomicU64,
    /// Mentions whose batch could not be stored after all retries.
    pub failed: AtomicU64,
    pub alerts: AtomicU64,
    pub commits: AtomicU64,
}

/// Totals when the pipeline has drained.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PipelineReport {
    pub received: u64,
    pub inserted: u64,
    pub duplicates: u64,
    pub failed: u64,
    pub alerts: u64,
    pub commits: u64,
    /// Output errors (an alert file that could not be written), if any.
    pub output_errors: Vec<String>,
}

/// A pipeline that cannot run or finish properly.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("the pipeline has shut down; nothing more can be sent")]
    Closed,
    #[error("a pipeline stage stopped unexpectedly: {0}")]
    StageFailed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The components a pipeline runs.
pub struct Components {
    pub store: Arc<dyn MentionStore>,
    pub transforms: Vec<Arc<dyn Transform>>,
    pub detectors: Vec<Box<dyn Detector>>,
    pub sinks: Vec<Box<dyn AlertSink>>,
}

/// A running pipeline. Clone [`Pipeline::sender`] for each source.
pub struct Pipeline {
    ingress: mpsc::Sender<Envelope>,
    counters: Arc<Counters>,
    stages: Vec<JoinHandle<Result<Vec<String>, PipelineError>>>,
}

impl Pipeline {
    /// Starts the stages on the current Tokio runtime.
    pub fn start(config: PipelineConfig, components: Components) -> Pipeline {
        let capacity = config.channel_capacity.max(1);
        let counters = Arc::new(Counters::default());
        let (ingress, transform_rx) = mpsc::channel::<Envelope>(capacity);
        let (store_tx, store_rx) = mpsc::channel::<Envelope>(capacity);
        let (detect_tx, detect_rx) = mpsc::channel::<Vec<Mention>>(capacity);
        let (alert_tx, alert_rx) = mpsc::channel::<Vec<Alert>>(capacity);
        let detecting = !components.detectors.is_empty();

        let stages = vec![
            tokio::spawn(transform_stage(
                components.transforms,
                transform_rx,
                store_tx,
                counters.clone(),
            )),
            tokio::spawn(store_stage(
                config,
                components.store,
                store_rx,
                detecting.then_some(detect_tx),
                counters.clone(),
            )),
            // Detectors and outputs may block (the inbox writes cases, notifiers queue,
            // PostgreSQL's client runs its own runtime): they get threads of their own.
            tokio::task::spawn_blocking(move || {
                detect_stage(components.detectors, detect_rx, alert_tx)
            }),
            {
                let counters = counters.clone();
                tokio::task::spawn_blocking(move || {
                    output_stage(components.sinks, alert_rx, counters)
                })
            },
        ];
        Pipeline {
            ingress,
            counters,
            stages,
        }
    }

    /// A handle for a source to send batches with.
    pub fn sender(&self) -> mpsc::Sender<Envelope> {
        self.ingress.clone()
    }

    pub fn counters(&self) -> Arc<Counters> {
        self.counters.clone()
    }

    /// Sends a batch and waits until it is committed.
    pub async fn submit(&self, mentions: Vec<Mention>) -> Result<BatchOutcome, PipelineError> {
        submit(&self.ingress, mentions).await
    }

    /// Stops accepting input, drains every stage and returns the totals.
    /// Sources holding a [`Pipeline::sender`] clone must have dropped it
    /// (finished) for this to return.
    pub async fn shutdown(self) -> Result<PipelineReport, PipelineError> {
        drop(self.ingress);
        let mut output_errors = Vec::new();
        for stage in self.stages {
            let errors = stage
                .await
                .map_err(|e| PipelineError::StageFailed(e.to_string()))??;
            output_errors.extend(errors);
        }
        let c = &self.counters;
        Ok(PipelineReport {
            received: c.received.load(Ordering::Relaxed),
            inserted: c.inserted.load(Ordering::Relaxed),
            duplicates: c.duplicates.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
            alerts: c.alerts.load(Ordering::Relaxed),
            commits: c.commits.load(Ordering::Relaxed),
            output_errors,
        })
    }
}

/// Sends a batch through `sender` and waits until it is committed.
pub async fn submit(
    sender: &mpsc::Sender<Envelope>,
    mentions: Vec<Mention>,
) -> Result<BatchOutcome, PipelineError> {
    let (ack, done) = oneshot::channel();
    sender
        .send(Envelope {
            mentions,
            ack: Some(ack),
        })
        .await
        .map_err(|_| PipelineError::Closed)?;
    match done.await {
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(reason)) => Err(PipelineError::StageFailed(reason)),
        Err(_) => Err(PipelineError::Closed),
    }
}

async fn transform_stage(
    transforms: Vec<Arc<dyn Transform>>,
    mut rx: mpsc::Receiver<Envelope>,
    tx: mpsc::Sender<Envelope>,
    counters: Arc<Counters>,
) -> Result<Vec<String>, PipelineError> {
    // Asked once: on Linux the answer comes from reading cgroup files.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    while let Some(mut envelope) = rx.recv().await {
        counters
            .received
            .fetch_add(envelope.mentions.len() as u64, Ordering::Relaxed);
        if !transforms.is_empty() {
            let transforms = transforms.clone();
            envelope = tokio::task::spawn_blocking(move || {
                // Enrichment is the costliest stage: split the batch over the
                // cores, in place, so order is kept.
                let len = envelope.mentions.len();
                if workers < 2 || len < 256 {
                    for t in &transforms {
                        t.apply(&mut envelope.mentions);
                    }
                } else {
                    let chunk = len.div_ceil(workers);
                    std::thread::scope(|scope| {
                        for part in envelope.mentions.chunks_mut(chunk) {
                            let transforms = &transforms;
                            scope.spawn(move || {
                                for t in transforms {
                                    t.apply(part);
                                }
                            });
                        }
                    });
                }
                envelope
            })
            .await
            .map_err(|e| PipelineError::StageFailed(format!("transform: {e}")))?;
        }
        if tx.send(envelope).await.is_err() {
            return Err(PipelineError::StageFailed("store stage stopped".into()));
        }
    }
    Ok(Vec::new())
}

async fn store_stage(
    config: PipelineConfig,
    store: Arc<dyn MentionStore>,
    mut rx: mpsc::Receiver<Envelope>,
    detect: Option<mpsc::Sender<Vec<Mention>>>,
    counters: Arc<Counters>,
) -> Result<Vec<String>, PipelineError> {
    let batch_size = config.batch_size.max(1);
    while let Some(first) = rx.recv().await {
        // Coalesce whatever is already waiting into one transaction.
        let mut mentions = first.mentions;
        let mut acks = vec![(first.ack, mentions.len())];
        while mentions.len() < batch_size {
            match rx.try_recv() {
                Ok(next) => {
                    acks.push((next.ack, next.mentions.len()));
                    mentions.extend(next.mentions);
                }
                Err(_) => break,
            }
        }
        let (mentions, result) = write_with_retries(&store, mentions, config.store_retries).await?;
        match result {
            Ok(outcome) => {
                counters.commits.fetch_add(1, Ordering::Relaxed);
                counters
                    .inserted
                    .fetch_add(outcome.inserted(), Ordering::Relaxed);
                counters
                    .duplicates
                    .fetch_add(outcome.duplicates(), Ordering::Relaxed);
                let mut offset = 0;
                for (ack, len) in acks {
                    let flags = &outcome.new[offset..offset + len];
                    offset += len;
                    if let Some(ack) = ack {
                        let inserted = flags.iter().filter(|n| **n).count() as u64;
                        let _ = ack.send(Ok(BatchOutcome {
                            inserted,
                            duplicates: len as u64 - inserted,
                        }));
                    }
                }
                if let Some(detect) = &detect {
                    let new: Vec<Mention> = mentions
                        .into_iter()
                        .zip(&outcome.new)
                        .filter_map(|(m, new)| new.then_some(m))
                        .collect();
                    if !new.is_empty() && detect.send(new).await.is_err() {
                        return Err(PipelineError::StageFailed("detector stage stopped".into()));
                    }
                }
            }
            Err(e) => {
                counters
                    .failed
                    .fetch_add(mentions.len() as u64, Ordering::Relaxed);
                tracing::error!(error = %e, mentions = mentions.len(), "batch not stored");
                for (ack, _) in acks {
                    if let Some(ack) = ack {
                        let _ = ack.send(Err(format!("not stored: {e}")));
                    }
                }
            }
        }
    }
    Ok(Vec::new())
}

type WriteResult = (Vec<Mention>, Result<UpsertOutcome, StoreError>);

async fn write_with_retries(
    store: &Arc<dyn MentionStore>,
    mut mentions: Vec<Mention>,
    retries: u32,
) -> Result<WriteResult, PipelineError> {
    let mut attempt = 0;
    loop {
        let s = store.clone();
        let (back, result) = tokio::task::spawn_blocking(move || {
            let r = s.upsert_mentions(&mentions);
            (mentions, r)
        })
        .await
        .map_err(|e| PipelineError::StageFailed(format!("store writer: {e}")))?;
        mentions = back;
        match result {
            Err(e) if attempt < retries => {
                attempt += 1;
                let wait = Duration::from_millis(100 << attempt.min(6));
                tracing::warn!(error = %e, attempt, ?wait, "store write failed; retrying");
                tokio::time::sleep(wait).await;
            }
            other => return Ok((mentions, other)),
        }
    }
}

fn detect_stage(
    mut detectors: Vec<Box<dyn Detector>>,
    mut rx: mpsc::Receiver<Vec<Mention>>,
    tx: mpsc::Sender<Vec<Alert>>,
) -> Result<Vec<String>, PipelineError> {
    let mut alerts = Vec::new();
    while let Some(batch) = rx.blocking_recv() {
        for d in detectors.iter_mut() {
            d.observe_batch(&batch, &mut alerts);
        }
        if !alerts.is_empty() && tx.blocking_send(std::mem::take(&mut alerts)).is_err() {
            return Err(PipelineError::StageFailed("output stage stopped".into()));
        }
    }
    for d in detectors.iter_mut() {
        d.finish(&mut alerts);
    }
    if !alerts.is_empty() && tx.blocking_send(alerts).is_err() {
        return Err(PipelineError::StageFailed("output stage stopped".into()));
    }
    Ok(Vec::new())
}

fn output_stage(
    mut sinks: Vec<Box<dyn AlertSink>>,
    mut rx: mpsc::Receiver<Vec<Alert>>,
    counters: Arc<Counters>,
) -> Result<Vec<String>, PipelineError> {
    let mut errors = Vec::new();
    while let Some(alerts) = rx.blocking_recv() {
        counters
            .alerts
            .fetch_add(alerts.len() as u64, Ordering::Relaxed);
        for alert in &alerts {
            for sink in sinks.iter_mut() {
                if let Err(e) = sink.emit(alert) {
                    errors.push(format!("alert {}: {e}", alert.id));
                }
            }
        }
        for sink in sinks.iter_mut() {
            if let Err(e) = sink.flush() {
                errors.push(format!("flushing alerts: {e}"));
            }
        }
    }
    for sink in sinks.iter_mut() {
        if let Err(e) = sink.flush() {
            errors.push(format!("flushing alerts: {e}"));
        }
    }
    Ok(errors)
}
