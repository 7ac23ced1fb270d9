//! `[cluster]` of `firebreak.toml`.

use serde::{Deserialize, Serialize};

/// How a node joins the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// `nats://HOST:PORT` (several servers: comma-separated).
    pub nats_url: String,
    /// This node's name in logs, the alert log and `pg_stat_activity` (default: the host name).
    pub node: String,
    /// The JetStream stream of raw mentions.
    pub stream: String,
    /// Subjects are `<subject_prefix>.<channel token>`.
    pub subject_prefix: String,
    /// The workers' durable pull consumer (shared by all workers).
    pub consumer: String,
    /// Most messages a worker commits in one batch.
    pub fetch_batch: usize,
    /// Seconds a delivered message may stay unacknowledged before it is redelivered.
    pub ack_wait_secs: u64,
    /// Most unacknowledged messages per consumer (bounds the in-flight work).
    pub max_ack_pending: i64,
    /// Batches an ingest node holds while NATS is unreachable; when full, senders wait.
    pub publish_buffer: usize,
    /// Seconds within which JetStream drops a re-published mention id.
    pub duplicate_window_secs: u64,
    /// Hours the stream keeps mentions (at least `detector_replay_hours`).
    pub retention_hours: u64,
    /// Stream replicas (1 for one NATS server; 3 for a NATS cluster).
    pub replicas: usize,
    /// Hours of stream a new detector owner replays to rebuild its state (the crisis
    /// detector needs 24 h of history before it pages, and a 48 h term background).
    pub detector_replay_hours: u64,
    /// Seconds between a standby node's attempts to take the detector lease.
    pub lease_retry_secs: u64,
    /// Core NATS subjects `<live_subject>.mentions` and `<live_subject>.alert`: workers
    /// announce committed mentions and emitted alerts, web nodes push them to browsers.
    /// Not stored by JetStream (only live browsers need them).
    pub live_subject: String,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            nats_url: "nats://127.0.0.1:4222".into(),
            node: std::env::var("HOSTNAME").unwrap_or_else(|_| "firebreak".into()),
            stream: "FIREBREAK_MENTIONS".into(),
            subject_prefix: "mentions".into(),
            consumer: "firebreak-workers".into(),
            fetch_batch: 512,
            ack_wait_secs: 60,
            max_ack_pending: 20_000,
            publish_buffer: 64,
            duplicate_window_secs: 600,
            retention_hours: 72,
            replicas: 1,
            detector_replay_hours: 48,
            lease_retry_secs: 1,
            live_subject: "firebreak-live".into(),
        }
    }
}

/// Names JetStream accepts for streams and consumers.
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl ClusterConfig {
    /// The first problem, as (key, problem, fix).
    pub fn validate(&self) -> Result<(), (&'static str, String, &'static str)> {
        if !self
            .nats_url
            .split(',')
            .all(|u| u.trim().starts_with("nats://") || u.trim().starts_with("tls://"))
        {
            return Err((
                "cluster.nats_url",
                format!("{:?} is not a NATS URL", self.nats_url),
                "use nats://HOST:PORT (several: comma-separated)",
            ));
        }
        if !is_name(&self.stream) {
            return Err((
                "cluster.stream",
                format!("{:?} is not a valid stream name", self.stream),
                "use letters, digits, - and _ (default FIREBREAK_MENTIONS)",
            ));
        }
        if !is_name(&self.consumer) {
            return Err((
                "cluster.consumer",
                format!("{:?} is not a valid consumer name", self.consumer),
                "use letters, digits, - and _ (default firebreak-workers)",
            ));
        }
        if !is_name(&self.subject_prefix) {
            return Err((
                "cluster.subject_prefix",
                format!("{:?} is not one subject token", self.subject_prefix),
                "use letters, digits, - and _ (default mentions)",
            ));
        }
        if !is_name(&self.live_subject) || self.live_subject == self.subject_prefix {
            return Err((
                "cluster.live_subject",
                format!(
                    "{:?} is not one subject token apart from subject_prefix",
                    self.live_subject
                ),
                "use letters, digits, - and _, other than subject_prefix (default firebreak-live)",
            ));
        }
        if self.node.trim().is_empty() {
            return Err((
                "cluster.node",
                "the node name is empty".into(),
                "name the node (default: $HOSTNAME)",
            ));
        }
        if !(1..=10_000).contains(&self.fetch_batch) {
            return Err((
                "cluster.fetch_batch",
                format!("{} is out of range", self.fetch_batch),
                "choose between 1 and 10000 (default 512)",
            ));
        }
        if self.ack_wait_secs < 5 {
            return Err((
                "cluster.ack_wait_secs",
                format!(
                    "{} s is too short for a batch to be committed",
                    self.ack_wait_secs
                ),
                "give at least 5 (default 60)",
            ));
        }
        if self.max_ack_pending < self.fetch_batch as i64 {
            return Err((
                "cluster.max_ack_pending",
                format!(
                    "{} is below fetch_batch ({})",
                    self.max_ack_pending, self.fetch_batch
                ),
                "give at least fetch_batch (default 20000)",
            ));
        }
        if self.publish_buffer == 0 {
            return Err((
                "cluster.publish_buffer",
                "0 batches".into(),
                "give at least 1 (default 64)",
            ));
        }
        if self.retention_hours < self.detector_replay_hours.max(1) {
            return Err((
                "cluster.retention_hours",
                format!(
                    "{} h is shorter than detector_replay_hours ({} h)",
                    self.retention_hours, self.detector_replay_hours
                ),
                "keep the stream at least as long as a new detector owner replays (default 72)",
            ));
        }
        if !(1..=5).contains(&self.replicas) {
            return Err((
                "cluster.replicas",
                format!("{} is out of range", self.replicas),
                "choose 1 (one NATS server) or 3 (a NATS cluster)",
            ));
        }
        if self.duplicate_window_secs == 0 {
            return Err((
                "cluster.duplicate_window_secs",
                "0 seconds".into(),
                "give at least 1 (default 600: re-publishes within 10 min are dropped)",
            ));
        }
        if self.lease_retry_secs == 0 {
            return Err((
                "cluster.lease_retry_secs",
                "0 seconds".into(),
                "give at least 1 (default 1)",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        assert_eq!(ClusterConfig::default().validate(), Ok(()));
    }

    #[test]
    fn bad_values_name_their_key() {
        let bad = [
            ClusterConfig {
                nats_url: "http://x".into(),
                ..Default::default()
            },
            ClusterConfig {
                stream: "a.b".into(),
                ..Default::default()
            },
            ClusterConfig {
                fetch_batch: 0,
                ..Default::default()
            },
            ClusterConfig {
                retention_hours: 1,
                ..Default::default()
            },
        ];
        let keys: Vec<&str> = bad
            .iter()
            .map(|c| c.validate().err().map_or("", |(k, _, _)| k))
            .collect();
        assert_eq!(
            keys,
            [
                "cluster.nats_url",
                "cluster.stream",
                "cluster.fetch_batch",
                "cluster.retention_hours"
            ]
        );
    }
}
