//! Scale-out: several Firebreak nodes around NATS JetStream and a shared PostgreSQL.
//!
//! ```text
//!  ingest nodes ──publish──▶ JetStream stream FIREBREAK_MENTIONS ──durable pull──▶ workers
//!  (connectors,   Nats-Msg-Id     subjects mentions.<channel>       consumer        (analysis,
//!   HTTP ingest)  = mention id                                                        PostgreSQL)
//!                                        │ ordered replay + live
//!                                        ▼
//!                          the detector owner (one node at a time: PostgreSQL advisory lock)
//!                          reads each mention's stored version, runs the detectors,
//!                          claims each alert in the alert log before emitting it
//! ```
//!
//! * [`Publisher`]: what ingest nodes send is published with the mention id as
//!   `Nats-Msg-Id`, so JetStream drops re-publishes within its duplicate window. While
//!   NATS is down, batches wait in a bounded queue and are retried; when the queue is
//!   full, senders wait (backpressure up to the connectors and the HTTP ingest).
//! * [`worker::run`]: a durable pull consumer shared by all workers; each batch goes
//!   through the local pipeline (analysis, idempotent PostgreSQL upsert, the inbox) and
//!   its messages are acknowledged only after the commit: at-least-once delivery, made
//!   exactly-once storage by the idempotent upsert.
//! * [`detector::run`]: the detectors run on exactly one node, the holder of a
//!   PostgreSQL advisory lock. The owner reads the stream in order and records how far
//!   it got (`detector_positions`); a new owner replays the window before that position
//!   without emitting, so it resumes with the same state, then goes on live. Each alert
//!   emission is claimed in the alert log (`alerts`) before it reaches the outputs
//!   (notifiers, crisis room): emitted by one node; the log is also the outbox a new
//!   owner re-sends unconfirmed notifications from (same idempotency key).
//! * [`live`]: workers announce committed mentions and alerts on core NATS subjects, so
//!   the stateless web nodes can push live updates to browsers.

pub mod config;
pub mod detector;
pub mod live;
pub mod publisher;
pub mod subject;
pub mod worker;

pub use async_nats;
pub use config::ClusterConfig;
pub use publisher::Publisher;

use std::time::Duration;

/// Errors of the cluster layer.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("NATS at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("JetStream: {0}")]
    JetStream(String),
    #[error(transparent)]
    Store(#[from] firebreak_store::StoreError),
    #[error("the local pipeline stopped: {0}")]
    Pipeline(String),
    #[error("a blocking task failed: {0}")]
    Join(String),
}

/// Connects to NATS. The client reconnects by itself for ever; the first connection is
/// retried in the background too, so a node may start before NATS.
pub async fn connect(config: &ClusterConfig) -> Result<async_nats::Client, ClusterError> {
    async_nats::ConnectOptions::new()
        .name(format!("firebreak {}", config.node))
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connection_timeout(Duration::from_secs(5))
        .connect(config.nats_url.as_str())
        .await
        .map_err(|e| ClusterError::Connect {
            url: config.nats_url.clone(),
            reason: e.to_string(),
        })
}

/// The mention stream (created when missing), retried until NATS answers or `stop`.
pub async fn ensure_stream(
    js: &async_nats::jetstream::Context,
    config: &ClusterConfig,
) -> Result<async_nats::jetstream::stream::Stream, ClusterError> {
    use async_nats::jetstream::stream;
    let wanted = stream::Config {
        name: config.stream.clone(),
        subjects: vec![format!("{}.>", config.subject_prefix)],
        retention: stream::RetentionPolicy::Limits,
        storage: stream::StorageType::File,
        max_age: Duration::from_secs(config.retention_hours * 3600),
        duplicate_window: Duration::from_secs(config.duplicate_window_secs),
        num_replicas: config.replicas,
        ..Default::default()
    };
    let mut wait = Duration::from_millis(100);
    loop {
        match js.get_or_create_stream(wanted.clone()).await {
            Ok(s) => return Ok(s),
            Err(e) => {
                tracing::warn!(error = %e, stream = %config.stream, "JetStream not ready; retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            }
        }
    }
}
