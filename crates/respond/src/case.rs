//! Cases: a mention that needs a response, with its owner, its state and its clocks.
//!
//! The state machine lives here and nowhere else:
//!
//! ```text
//! new → acknowledged → in_progress → resolved → closed
//!                 ↖___________________↙ (a new mention reopens a resolved case)
//! ```
//!
//! Rules enforced by [`Case`]'s methods (every change goes through them):
//! - a case that moved to a private channel (DM, email, phone) cannot be closed before a
//!   public closing reply is recorded on the original thread ("close where it started");
//! - a closed case is final; a new mention of its author opens a new case;
//! - merging and splitting keep every mention in exactly one case.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use firebreak_core::{Category, Intent, MentionId};
use serde::{Deserialize, Serialize};

use crate::sla::{Due, SlaKind, SlaTargets};

/// A case number, assigned by the store when the case is first saved (0 before).
pub type CaseId = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    New,
    Acknowledged,
    InProgress,
    Resolved,
    Closed,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 5] = [
        CaseStatus::New,
        CaseStatus::Acknowledged,
        CaseStatus::InProgress,
        CaseStatus::Resolved,
        CaseStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::New => "new",
            CaseStatus::Acknowledged => "acknowledged",
            CaseStatus::InProgress => "in_progress",
            CaseStatus::Resolved => "resolved",
            CaseStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<CaseStatus> {
        CaseStatus::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// A comma-separated list (`new,in_progress`); blanks are skipped. The error names the
    /// unknown status and the known ones.
    pub fn parse_list(list: &str) -> Result<Vec<CaseStatus>, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                CaseStatus::parse(s).ok_or_else(|| {
                    format!(
                        "status {s:?} is unknown; use new, acknowledged, in_progress, resolved or closed"
                    )
                })
            })
            .collect()
    }

    /// New, acknowledged or in progress: somebody still has to act.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            CaseStatus::New | CaseStatus::Acknowledged | CaseStatus::InProgress
        )
    }
}

impl fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Priority 1 is the most urgent. Response targets are configured per priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Priority {
    #[serde(rename = "p1")]
    P1,
    #[serde(rename = "p2")]
    P2,
    #[serde(rename = "p3")]
    P3,
    #[serde(rename = "p4")]
    P4,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::P1, Priority::P2, Priority::P3, Priority::P4];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::P1 => "p1",
            Priority::P2 => "p2",
            Priority::P3 => "p3",
            Priority::P4 => "p4",
        }
    }

    pub fn parse(s: &str) -> Option<Priority> {
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// The private channels a conversation can move to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrivateChannel {
    Dm,
    Email,
    Phone,
}

impl PrivateChannel {
    pub fn parse(s: &str) -> Option<PrivateChannel> {
        match s {
            "dm" => Some(PrivateChannel::Dm),
            "email" => Some(PrivateChannel::Email),
            "phone" => Some(PrivateChannel::Phone),
            _ => None,
        }
    }
}

/// Why a mention needs a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseReason {
    Negative,
    Complaint,
    Question,
    Suggestion,
    /// Toxic or trolling: kept, flagged "don't feed", lowest priority.
    Toxic,
}

/// Everything the inbox knows about one matter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: CaseId,
    /// Optimistic concurrency: the store refuses a save whose version is stale.
    pub version: i64,
    pub channel: String,
    pub platform: String,
    /// `platform:author_id`: the same person across the channels of a platform.
    pub author_key: String,
    pub author_handle: Option<String>,
    pub author_followers: u64,
    pub author_verified: bool,
    /// The id of the mention that started the thread this case lives in.
    pub thread_key: String,
    /// Every mention of the case, oldest first.
    pub mentions: Vec<MentionId>,
    pub status: CaseStatus,
    pub reason: CaseReason,
    pub priority: Priority,
    /// The risk score the priority comes from (see [`crate::priority`]).
    pub risk: f64,
    pub lang: Option<String>,
    pub intent: Option<Intent>,
    pub category: Option<Category>,
    /// Toxic or trolling: do not engage, keep the record.
    pub dont_feed: bool,
    pub crisis_id: Option<String>,
    pub assignee: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub last_mention_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub first_public_reply_at: Option<DateTime<Utc>>,
    pub last_reply_at: Option<DateTime<Utc>>,
    pub private_channel: Option<PrivateChannel>,
    pub private_moved_at: Option<DateTime<Utc>>,
    pub private_reply_at: Option<DateTime<Utc>>,
    /// A public reply on the original thread after the move to private.
    pub public_close_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub due: Due,
    /// Targets already breached (each raises one breach event).
    pub breached: Vec<SlaKind>,
    /// When the user should next hear from us while the case is private.
    pub next_follow_up_at: Option<DateTime<Utc>>,
    pub merged_into: Option<CaseId>,
    /// Documented attempts to reach the author (for the blocking guardrail).
    pub contact_attempts: u32,
}

/// Why a case change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("case #{id} is {from}; it cannot move to {to}. {hint}")]
    Transition {
        id: CaseId,
        from: CaseStatus,
        to: CaseStatus,
        hint: &'static str,
    },
    #[error(
        "case #{0} moved to a private channel; record a public closing reply on the original thread before closing it (close the matter where it started)"
    )]
    NeedsPublicClose(CaseId),
    #[error("case #{0} is closed; closed cases are final")]
    Closed(CaseId),
    #[error("{0}")]
    Invalid(String),
}

impl Case {
    /// A fresh case for a mention, not yet stored.
    #[allow(clippy::too_many_arguments)]
    pub fn open(
        mention: &firebreak_core::Mention,
        thread_key: String,
        reason: CaseReason,
        priority: Priority,
        risk: f64,
        targets: &SlaTargets,
        now: DateTime<Utc>,
    ) -> Case {
        let analysis = mention.analysis.as_ref();
        let opened_at = mention.created_at.min(now);
        Case {
            id: 0,
            version: 0,
            channel: mention.channel.as_str().to_owned(),
            platform: mention.platform.as_str().to_owned(),
            author_key: author_key(mention),
            author_handle: mention.author.handle.clone(),
            author_followers: mention.author.followers,
            author_verified: mention.author.verified,
            thread_key,
            mentions: vec![mention.id.clone()],
            status: CaseStatus::New,
            reason,
            priority,
            risk,
            lang: analysis
                .and_then(|a| a.lang.clone())
                .or_else(|| mention.lang.clone()),
            intent: analysis.map(|a| a.intent),
            category: analysis.and_then(|a| a.category),
            dont_feed: reason == CaseReason::Toxic,
            crisis_id: None,
            assignee: None,
            opened_at,
            last_mention_at: mention.created_at,
            acknowledged_at: None,
            first_public_reply_at: None,
            last_reply_at: None,
            private_channel: None,
            private_moved_at: None,
            private_reply_at: None,
            public_close_at: None,
            resolved_at: None,
            closed_at: None,
            due: targets.due_for(priority, opened_at),
            breached: Vec::new(),
            next_follow_up_at: None,
            merged_into: None,
            contact_attempts: 0,
        }
    }

    /// Adds a later mention of the same author or thread. A resolved case reopens.
    pub fn add_mention(&mut self, mention: &firebreak_core::Mention) -> Result<bool, CaseError> {
        if self.status == CaseStatus::Closed {
            return Err(CaseError::Closed(self.id));
        }
        if self.mentions.contains(&mention.id) {
            return Ok(false);
        }
        self.mentions.push(mention.id.clone());
        self.last_mention_at = self.last_mention_at.max(mention.created_at);
        self.author_followers = self.author_followers.max(mention.author.followers);
        let mut reopened = false;
        if self.status == CaseStatus::Resolved {
            self.status = CaseStatus::InProgress;
            self.resolved_at = None;
            reopened = true;
        }
        Ok(reopened)
    }

    pub fn acknowledge(&mut self, now: DateTime<Utc>) -> Result<(), CaseError> {
        match self.status {
            CaseStatus::New => {
                self.status = CaseStatus::Acknowledged;
                self.acknowledged_at = Some(now);
                Ok(())
            }
            CaseStatus::Acknowledged => Ok(()),
            from => Err(self.bad(
                from,
                CaseStatus::Acknowledged,
                "it was acknowledged already",
            )),
        }
    }

    pub fn start(&mut self, now: DateTime<Utc>) -> Result<(), CaseError> {
        match self.status {
            CaseStatus::New | CaseStatus::Acknowledged => {
                self.acknowledged_at.get_or_insert(now);
                self.status = CaseStatus::InProgress;
                Ok(())
            }
            CaseStatus::InProgress => Ok(()),
            CaseStatus::Resolved => {
                self.status = CaseStatus::InProgress;
                self.resolved_at = None;
                Ok(())
            }
            from => Err(self.bad(from, CaseStatus::InProgress, "closed cases are final")),
        }
    }

    pub fn resolve(&mut self, now: DateTime<Utc>) -> Result<(), CaseError> {
        match self.status {
            CaseStatus::New | CaseStatus::Acknowledged | CaseStatus::InProgress => {
                self.acknowledged_at.get_or_insert(now);
                self.status = CaseStatus::Resolved;
                self.resolved_at = Some(now);
                self.next_follow_up_at = None;
                Ok(())
            }
            CaseStatus::Resolved => Ok(()),
            from => Err(self.bad(from, CaseStatus::Resolved, "closed cases are final")),
        }
    }

    /// Closes a resolved case. A case that went private needs its public closing reply first.
    pub fn close(&mut self, now: DateTime<Utc>) -> Result<(), CaseError> {
        if self.status == CaseStatus::Closed {
            return Err(CaseError::Closed(self.id));
        }
        if self.status != CaseStatus::Resolved {
            return Err(self.bad(self.status, CaseStatus::Closed, "resolve it first"));
        }
        if self.private_moved_at.is_some() && self.public_close_at.is_none() {
            return Err(CaseError::NeedsPublicClose(self.id));
        }
        self.status = CaseStatus::Closed;
        self.closed_at = Some(now);
        Ok(())
    }

    /// Records a reply. Public replies after a move to private count as the public close.
    pub fn record_reply(&mut self, public: bool, now: DateTime<Utc>, follow_up: Duration) {
        if self.status == CaseStatus::New {
            self.status = CaseStatus::Acknowledged;
        }
        self.acknowledged_at.get_or_insert(now);
        self.last_reply_at = Some(now);
        if public {
            self.first_public_reply_at.get_or_insert(now);
            if self.private_moved_at.is_some() {
                self.public_close_at = Some(now);
            }
        } else {
            self.private_reply_at.get_or_insert(now);
            if self.status.is_open() {
                self.next_follow_up_at = Some(now + follow_up);
            }
        }
    }

    /// Records that the conversation moved to a private channel.
    pub fn move_private(
        &mut self,
        channel: PrivateChannel,
        now: DateTime<Utc>,
        follow_up: Duration,
    ) -> Result<(), CaseError> {
        if self.status == CaseStatus::Closed {
            return Err(CaseError::Closed(self.id));
        }
        if self.status == CaseStatus::New || self.status == CaseStatus::Acknowledged {
            self.status = CaseStatus::InProgress;
        }
        self.acknowledged_at.get_or_insert(now);
        self.private_channel = Some(channel);
        self.private_moved_at = Some(now);
        // A later public reply is what closes the matter where it started.
        self.public_close_at = None;
        self.next_follow_up_at = Some(now + follow_up);
        Ok(())
    }

    /// Age of the oldest unanswered message, for priority.
    pub fn waiting_since(&self) -> Option<DateTime<Utc>> {
        if !self.status.is_open() {
            return None;
        }
        match self.last_reply_at {
            Some(r) if r >= self.last_mention_at => None,
            _ => Some(self.opened_at),
        }
    }

    fn bad(&self, from: CaseStatus, to: CaseStatus, hint: &'static str) -> CaseError {
        CaseError::Transition {
            id: self.id,
            from,
            to,
            hint,
        }
    }
}

/// The key that identifies an author across a platform's channels.
pub fn author_key(mention: &firebreak_core::Mention) -> String {
    format!(
        "{}:{}",
        mention.platform.as_str(),
        mention.author.id.as_str()
    )
}
