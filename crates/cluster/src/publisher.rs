//! Ingest nodes publish raw mentions to JetStream.
//!
//! [`Publisher::sender`] is an ordinary pipeline ingress (`mpsc::Sender<Envelope>`), so the
//! connectors and the HTTP ingest run unchanged on an ingest node. Each envelope is
//! acknowledged once JetStream has stored every mention of it (its `duplicates` are the
//! mentions JetStream recognised by their `Nats-Msg-Id` within its duplicate window).
//! While NATS is unreachable the publisher retries the batch in hand with backoff, and
//! up to `publish_buffer` further batches wait in the queue; when the queue is full,
//! senders wait (backpressure): connectors pause, HTTP ingest requests time out with an
//! error the client retries. Nothing is dropped.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use async_nats::HeaderMap;
use firebreak_core::Mention;
use firebreak_pipeline::{BatchOutcome, Envelope};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::{ClusterConfig, ClusterError};

/// Live counters of a publisher.
#[derive(Debug, Default)]
pub struct PublishCounters {
    /// Mentions stored by JetStream.
    pub published: AtomicU64,
    /// Mentions JetStream dropped as re-publishes of an id.
    pub duplicates: AtomicU64,
    /// Publish attempts that failed and were retried.
    pub retries: AtomicU64,
}

/// A running publisher.
pub struct Publisher {
    tx: mpsc::Sender<Envelope>,
    counters: Arc<PublishCounters>,
    task: JoinHandle<()>,
}

impl Publisher {
    /// Starts publishing to the stream of `config` (created when missing) over `client`.
    pub async fn start(
        client: async_nats::Client,
        config: &ClusterConfig,
    ) -> Result<Publisher, ClusterError> {
        let js = jetstream::new(client);
        crate::ensure_stream(&js, config).await?;
        let (tx, rx) = mpsc::channel(config.publish_buffer);
        let counters = Arc::new(PublishCounters::default());
        let task = tokio::spawn(publish_loop(
            js,
            config.subject_prefix.clone(),
            rx,
            counters.clone(),
        ));
        Ok(Publisher { tx, counters, task })
    }

    /// An ingress for sources: send `Envelope`s; each is acknowledged once stored by JetStream.
    pub fn sender(&self) -> mpsc::Sender<Envelope> {
        self.tx.clone()
    }

    pub fn counters(&self) -> Arc<PublishCounters> {
        self.counters.clone()
    }

    /// Publishes a batch and waits until JetStream has stored all of it.
    pub async fn publish(&self, mentions: Vec<Mention>) -> Result<BatchOutcome, ClusterError> {
        firebreak_pipeline::submit(&self.tx, mentions)
            .await
            .map_err(|e| ClusterError::Pipeline(e.to_string()))
    }

    /// Stops accepting batches and publishes what was queued. Every sender clone must
    /// have been dropped for this to return.
    pub async fn shutdown(self) {
        drop(self.tx);
        let _ = self.task.await;
    }
}

async fn publish_loop(
    js: jetstream::Context,
    prefix: String,
    mut rx: mpsc::Receiver<Envelope>,
    counters: Arc<PublishCounters>,
) {
    while let Some(envelope) = rx.recv().await {
        let outcome = publish_batch(&js, &prefix, &envelope.mentions, &counters).await;
        if let Some(ack) = envelope.ack {
            let _ = ack.send(Ok(outcome));
        }
    }
}

/// Publishes every mention of `batch`, retrying those that fail until JetStream has
/// them (re-publishing is safe: the id is the `Nats-Msg-Id`).
async fn publish_batch(
    js: &jetstream::Context,
    prefix: &str,
    batch: &[Mention],
    counters: &PublishCounters,
) -> BatchOutcome {
    let mut pending: Vec<(usize, String)> = batch
        .iter()
        .enumerate()
        .map(|(i, m)| (i, firebreak_core::wire::encode_jsonl(m)))
        .collect();
    let mut outcome = BatchOutcome::default();
    let mut wait = Duration::from_millis(50);
    while !pending.is_empty() {
        // Send them all, then collect the acknowledgements: one round trip per batch.
        let mut in_flight = Vec::with_capacity(pending.len());
        for (i, line) in pending.drain(..) {
            let m = &batch[i];
            let mut headers = HeaderMap::new();
            headers.insert(async_nats::header::NATS_MESSAGE_ID, m.id.as_str());
            let subject = crate::subject::mention_subject(prefix, m.channel.as_str());
            let sent = js
                .publish_with_headers(subject, headers, line.clone().into())
                .await;
            in_flight.push((i, line, sent));
        }
        let mut failed = Vec::new();
        for (i, line, sent) in in_flight {
            let acked = match sent {
                Ok(ack) => ack.await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match acked {
                Ok(ack) if ack.duplicate => outcome.duplicates += 1,
                Ok(_) => outcome.inserted += 1,
                Err(e) => {
                    tracing::debug!(error = %e, "publish not acknowledged; will retry");
                    failed.push((i, line));
                }
            }
        }
        if !failed.is_empty() {
            counters
                .retries
                .fetch_add(failed.len() as u64, Ordering::Relaxed);
            tracing::warn!(
                mentions = failed.len(),
                ?wait,
                "JetStream did not acknowledge; retrying (NATS down?)"
            );
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(2));
        }
        pending = failed;
    }
    counters
        .published
        .fetch_add(outcome.inserted, Ordering::Relaxed);
    counters
        .duplicates
        .fetch_add(outcome.duplicates, Ordering::Relaxed);
    outcome
}
