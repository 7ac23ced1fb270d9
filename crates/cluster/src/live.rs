//! Live updates across nodes. Web nodes run no pipeline, so they learn about new
//! mentions and alerts from the workers: a worker announces each committed batch on
//! `<live_subject>.mentions` (the count) and the detector owner each emitted alert on
//! `<live_subject>.alert` (Alert JSONL v1). These are plain NATS messages, not JetStream:
//! a web node that is down misses nothing it needs, since its pages read PostgreSQL.

use firebreak_core::{Alert, Mention};
use firebreak_pipeline::{AlertSink, Detector};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::{ClusterConfig, ClusterError};

/// Queued announcements; the queue drops what overflows (a browser refresh is enough).
const QUEUE: usize = 4_096;

enum Announcement {
    Mentions(u64),
    Alert(String),
}

/// A worker's announcer: a pipeline detector that counts committed mentions and an
/// alert sink for the detector owner, both sending through one background task.
#[derive(Clone)]
pub struct Announcer {
    tx: mpsc::Sender<Announcement>,
}

impl Announcer {
    /// Starts the task that publishes to `<live_subject>.*` on `client`.
    pub fn start(client: async_nats::Client, config: &ClusterConfig) -> Announcer {
        let (tx, mut rx) = mpsc::channel::<Announcement>(QUEUE);
        let mentions = format!("{}.mentions", config.live_subject);
        let alert = format!("{}.alert", config.live_subject);
        tokio::spawn(async move {
            while let Some(a) = rx.recv().await {
                let (subject, payload) = match a {
                    Announcement::Mentions(n) => (mentions.clone(), n.to_string()),
                    Announcement::Alert(json) => (alert.clone(), json),
                };
                if let Err(e) = client.publish(subject, payload.into()).await {
                    tracing::debug!(error = %e, "live announcement not published");
                }
            }
        });
        Announcer { tx }
    }

    /// A pipeline detector announcing each committed batch of new mentions.
    pub fn detector(&self) -> Box<dyn Detector> {
        Box::new(MentionCount(self.clone()))
    }

    /// An alert output announcing each emitted alert.
    pub fn sink(&self) -> Box<dyn AlertSink> {
        Box::new(AlertAnnouncer(self.clone()))
    }

    fn send(&self, a: Announcement) {
        // Never block the pipeline: a full queue drops the announcement.
        let _ = self.tx.try_send(a);
    }
}

struct MentionCount(Announcer);

impl Detector for MentionCount {
    fn name(&self) -> &'static str {
        "live-announcer"
    }
    fn observe(&mut self, _mention: &Mention, _alerts: &mut Vec<Alert>) {
        self.0.send(Announcement::Mentions(1));
    }
    fn observe_batch(&mut self, batch: &[Mention], _alerts: &mut Vec<Alert>) {
        if !batch.is_empty() {
            self.0.send(Announcement::Mentions(batch.len() as u64));
        }
    }
}

struct AlertAnnouncer(Announcer);

impl AlertSink for AlertAnnouncer {
    fn emit(&mut self, alert: &Alert) -> std::io::Result<()> {
        self.0.send(Announcement::Alert(alert.to_jsonl()));
        Ok(())
    }
}

/// What a web node hears.
#[derive(Debug, Clone, PartialEq)]
pub enum Heard {
    /// This many mentions were committed.
    Mentions(u64),
    Alert(Box<Alert>),
}

/// Listens to `<live_subject>.*` until the connection ends, calling `on` for each
/// announcement (malformed ones are skipped).
pub async fn listen(
    client: async_nats::Client,
    config: &ClusterConfig,
    on: impl Fn(Heard) + Send + 'static,
) -> Result<(), ClusterError> {
    let alert_subject = format!("{}.alert", config.live_subject);
    let mut sub = client
        .subscribe(format!("{}.*", config.live_subject))
        .await
        .map_err(|e| ClusterError::Connect {
            url: config.nats_url.clone(),
            reason: e.to_string(),
        })?;
    while let Some(msg) = sub.next().await {
        let heard = if msg.subject.as_str() == alert_subject {
            serde_json::from_slice::<Alert>(&msg.payload)
                .ok()
                .map(|a| Heard::Alert(Box::new(a)))
        } else {
            std::str::from_utf8(&msg.payload)
                .ok()
                .and_then(|s| s.parse().ok())
                .map(Heard::Mentions)
        };
        match heard {
            Some(h) => on(h),
            None => tracing::debug!(subject = %msg.subject, "malformed live announcement skipped"),
        }
    }
    Ok(())
}
