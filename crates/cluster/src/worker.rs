//! Workers consume the mention stream through one durable pull consumer that they all
//! share (JetStream hands each message to one of them), send each batch through the
//! local pipeline (analysis, the idempotent PostgreSQL upsert, the inbox) and
//! acknowledge its messages only after the batch is committed. A worker that dies
//! before acknowledging leaves its messages to be redelivered after `ack_wait_secs`,
//! to another worker; the store recognises the ids already committed, so nothing is
//! stored twice.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, AckKind};
use firebreak_pipeline::Envelope;
use futures_util::StreamExt;
use tokio::sync::{mpsc, watch};

use crate::{ClusterConfig, ClusterError};

/// Live counters of a worker.
#[derive(Debug, Default)]
pub struct WorkerCounters {
    /// Messages received (redeliveries included).
    pub received: AtomicU64,
    /// Messages received again after an earlier delivery was not acknowledged.
    pub redelivered: AtomicU64,
    /// Messages acknowledged after their batch was committed.
    pub acked: AtomicU64,
    /// Messages that were not a Mention JSONL v1 line (terminated: never redelivered).
    pub rejected: AtomicU64,
    /// Batches whose commit failed (their messages are redelivered).
    pub failed_batches: AtomicU64,
    /// True once the worker has asked JetStream for messages.
    pub pulling: std::sync::atomic::AtomicBool,
}

/// The workers' durable consumer (created when missing).
pub async fn ensure_consumer(
    stream: &jetstream::stream::Stream,
    config: &ClusterConfig,
) -> Result<consumer::Consumer<consumer::pull::Config>, ClusterError> {
    let wanted = consumer::pull::Config {
        durable_name: Some(config.consumer.clone()),
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: Duration::from_secs(config.ack_wait_secs),
        max_ack_pending: config.max_ack_pending,
        deliver_policy: consumer::DeliverPolicy::All,
        filter_subject: format!("{}.>", config.subject_prefix),
        ..Default::default()
    };
    let mut wait = Duration::from_millis(100);
    loop {
        match stream
            .get_or_create_consumer(&config.consumer, wanted.clone())
            .await
        {
            Ok(c) => return Ok(c),
            Err(e) => {
                tracing::warn!(error = %e, consumer = %config.consumer, "cannot get the consumer; retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Consumes until `stop` turns true: batches of up to `fetch_batch` messages go to
/// `pipeline` and are acknowledged after their commit. Returns when stopped.
pub async fn run(
    client: async_nats::Client,
    config: ClusterConfig,
    pipeline: mpsc::Sender<Envelope>,
    counters: Arc<WorkerCounters>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), ClusterError> {
    let js = jetstream::new(client);
    let stream = crate::ensure_stream(&js, &config).await?;
    let consumer = ensure_consumer(&stream, &config).await?;
    let linger = Duration::from_millis(20);
    while !*stop.borrow() {
        let mut messages = match consumer
            .stream()
            .max_messages_per_batch(config.fetch_batch)
            .heartbeat(Duration::from_secs(5))
            .expires(Duration::from_secs(30))
            .messages()
            .await
        {
            Ok(m) => {
                counters.pulling.store(true, Ordering::SeqCst);
                m
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot pull from JetStream; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
        };
        loop {
            // The first message of a batch waits; the rest only while they keep coming.
            let first = tokio::select! {
                m = messages.next() => m,
                _ = stop.changed() => return Ok(()),
            };
            let mut batch = match first {
                Some(Ok(m)) => vec![m],
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "JetStream pull failed; pulling again");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    break;
                }
                None => break,
            };
            // The batch closes `linger` after its first message, or when full.
            let deadline = tokio::time::Instant::now() + linger;
            while batch.len() < config.fetch_batch {
                match tokio::time::timeout_at(deadline, messages.next()).await {
                    Ok(Some(Ok(m))) => batch.push(m),
                    _ => break,
                }
            }
            process(batch, &pipeline, &counters).await?;
        }
    }
    Ok(())
}

async fn process(
    batch: Vec<jetstream::Message>,
    pipeline: &mpsc::Sender<Envelope>,
    counters: &WorkerCounters,
) -> Result<(), ClusterError> {
    counters
        .received
        .fetch_add(batch.len() as u64, Ordering::Relaxed);
    let mut mentions = Vec::with_capacity(batch.len());
    let mut accepted = Vec::with_capacity(batch.len());
    for msg in batch {
        if msg.info().is_ok_and(|i| i.delivered > 1) {
            counters.redelivered.fetch_add(1, Ordering::Relaxed);
        }
        match firebreak_core::wire::decode_jsonl(&msg.payload) {
            Ok(m) => {
                mentions.push(m);
                accepted.push(msg);
            }
            Err(e) => {
                tracing::error!(subject = %msg.subject, error = %e, "not a Mention JSONL v1 line; dropped from the stream");
                counters.rejected.fetch_add(1, Ordering::Relaxed);
                let _ = msg.ack_with(AckKind::Term).await;
            }
        }
    }
    if mentions.is_empty() {
        return Ok(());
    }
    match firebreak_pipeline::submit(pipeline, mentions).await {
        Ok(_) => {
            for msg in &accepted {
                // A lost acknowledgement only means a redelivery, which the store absorbs.
                if let Err(e) = msg.ack().await {
                    tracing::debug!(error = %e, "acknowledgement not sent");
                }
            }
            counters
                .acked
                .fetch_add(accepted.len() as u64, Ordering::Relaxed);
            Ok(())
        }
        Err(firebreak_pipeline::PipelineError::Closed) => {
            Err(ClusterError::Pipeline("closed".into()))
        }
        Err(e) => {
            // Not committed after the pipeline's own retries: hand the messages back
            // for redelivery (to any worker) and slow down.
            counters.failed_batches.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(error = %e, messages = accepted.len(), "batch not committed; it will be redelivered");
            for msg in &accepted {
                let _ = msg.ack_with(AckKind::Nak(None)).await;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok(())
        }
    }
}
