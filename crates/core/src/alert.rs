//! Alert JSONL v1: what the detectors raise. The record is the stable edge
//! described in `shared/spec/README.md`; detectors build it, outputs write it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{AuthorId, ChannelId, MentionId};

/// What an alert is about. The set grows with the detectors; names are the
/// spec's snake_case strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    NegativeSurge,
    VolumeSpike,
    NegativeShare,
    Amplification,
    EmergingTopic,
    ResponseBacklog,
    PositiveSpike,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::NegativeSurge => "negative_surge",
            AlertKind::VolumeSpike => "volume_spike",
            AlertKind::NegativeShare => "negative_share",
            AlertKind::Amplification => "amplification",
            AlertKind::EmergingTopic => "emerging_topic",
            AlertKind::ResponseBacklog => "response_backlog",
            AlertKind::PositiveSpike => "positive_spike",
        }
    }
}

impl fmt::Display for AlertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of Alert JSONL v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: String,
    /// Event time: the `created_at` of the mention whose arrival raised it.
    pub raised_at: DateTime<Utc>,
    pub channel: ChannelId,
    pub kind: AlertKind,
    /// True when a crisis is starting or escalating: this is what pages people.
    pub crisis: bool,
    /// 1 (watch) to 4 (critical).
    pub severity: u8,
    pub summary: String,
    pub terms: Vec<String>,
    pub evidence: Vec<MentionId>,
    pub amplifiers: Vec<AuthorId>,
}

impl Alert {
    /// The alert as one JSONL line, without the trailing newline.
    pub fn to_jsonl(&self) -> String {
        // Serialising plain strings, numbers and vectors cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The key of this emission of the alert: the same incident at the same severity,
    /// raised by the same mention. Notifiers send it as the idempotency key, so a
    /// receiver can drop a repeat (a cluster re-sends an emission whose delivery was not
    /// confirmed), while a later re-notification at the same severity is a new key.
    pub fn emission_key(&self) -> String {
        format!(
            "{}#sev{}@{}",
            self.id,
            self.severity,
            self.raised_at.timestamp_millis()
        )
    }
}
