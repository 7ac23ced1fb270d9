//! The crisis room: when an alert meets the plan's criteria, the plan becomes a live crisis
//! with roles, a checklist with due times, escalation timers, statements that need approval,
//! and a timeline of everything. Afterwards, [`report`] writes the post-mortem.
//!
//! Like the inbox, this crate is rules without I/O: storage comes through [`CrisisStore`],
//! paging people through [`Pager`], time through `firebreak_respond::sla::Clock`.

pub mod metrics;
pub mod report;
mod room;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use room::{has_fill_in, CrisisRoom, PlanInForce, RoomError, FILL_IN};

pub type CrisisId = i64;

/// detected → declared → responding → contained → recovering → resolved → reviewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrisisStatus {
    Detected,
    Declared,
    Responding,
    Contained,
    Recovering,
    Resolved,
    Reviewed,
}

impl CrisisStatus {
    pub const ALL: [CrisisStatus; 7] = [
        CrisisStatus::Detected,
        CrisisStatus::Declared,
        CrisisStatus::Responding,
        CrisisStatus::Contained,
        CrisisStatus::Recovering,
        CrisisStatus::Resolved,
        CrisisStatus::Reviewed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CrisisStatus::Detected => "detected",
            CrisisStatus::Declared => "declared",
            CrisisStatus::Responding => "responding",
            CrisisStatus::Contained => "contained",
            CrisisStatus::Recovering => "recovering",
            CrisisStatus::Resolved => "resolved",
            CrisisStatus::Reviewed => "reviewed",
        }
    }

    pub fn parse(s: &str) -> Option<CrisisStatus> {
        CrisisStatus::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Not yet resolved: alerts join it, timers run.
    pub fn is_active(self) -> bool {
        self < CrisisStatus::Resolved
    }
}

/// One checklist step of the plan, instantiated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepState {
    pub severity: u8,
    pub task: String,
    /// A person id or a role, as the plan says.
    pub owner: String,
    pub due_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<String>,
    pub skipped: bool,
    /// An overdue event was written (once).
    pub overdue_noted: bool,
}

/// The escalation policy's state for the current level.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EscalationState {
    pub level: u8,
    pub notified_at: Option<DateTime<Utc>>,
    /// Person ids notified so far.
    pub notified: Vec<String>,
    pub acked_at: Option<DateTime<Utc>>,
    pub acked_by: Option<String>,
    pub renotified: u32,
    pub escalated: bool,
    /// When the timer next fires, if nobody acknowledges.
    pub next_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementStatus {
    Draft,
    Approved,
    Published,
}

/// A statement drafted from the plan's template, linted, approved, published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatementDraft {
    pub id: u32,
    /// holding, apology, update, resolution.
    pub kind: String,
    pub lang: String,
    pub text: String,
    /// The linter's findings on `text`.
    pub findings: serde_json::Value,
    pub status: StatementStatus,
    pub approvals: Vec<String>,
    pub published_at: Option<DateTime<Utc>>,
}

/// A crisis: the plan, live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Crisis {
    pub id: CrisisId,
    pub version: i64,
    pub channel: String,
    pub title: String,
    pub status: CrisisStatus,
    pub severity: u8,
    /// Opened by a drill: nothing is sent to a real platform.
    pub drill: bool,
    pub alert_ids: Vec<String>,
    pub terms: Vec<String>,
    /// Evidence mentions of its alerts (at most 500).
    pub evidence: Vec<String>,
    /// The earliest crisis mention known (the onset, as far as Firebreak can tell).
    pub onset_at: DateTime<Utc>,
    pub first_alert_at: DateTime<Utc>,
    pub opened_at: DateTime<Utc>,
    /// When each status was reached.
    pub status_at: BTreeMap<String, DateTime<Utc>>,
    /// Role → person ids.
    pub roles: BTreeMap<String, Vec<String>>,
    pub checklist: Vec<StepState>,
    pub escalation: EscalationState,
    pub statements: Vec<StatementDraft>,
    pub lessons: String,
    pub action_items: Vec<String>,
}

impl Crisis {
    /// When the room's clock must next look at this crisis.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        if !self.status.is_active() {
            return None;
        }
        let step = self
            .checklist
            .iter()
            .filter(|s| s.done_at.is_none() && !s.skipped && !s.overdue_noted)
            .map(|s| s.due_at)
            .min();
        match (step, self.escalation.next_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// An entry of a crisis's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrisisEvent {
    pub crisis_id: CrisisId,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// opened, alert, escalated_severity, notified, renotified, escalated, acknowledged,
    /// status, role, step_done, step_skipped, step_overdue, statement_drafted,
    /// statement_approved, statement_published, note, lessons.
    pub kind: String,
    pub detail: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
pub enum CrisisStoreError {
    #[error("crisis #{0} was changed meanwhile; reload it and try again")]
    Conflict(CrisisId),
    #[error("the plan was saved meanwhile (version {0}); reload it and apply your change again")]
    PlanConflict(u64),
    #[error("{0}")]
    Other(String),
}

/// Storage for crises and their timelines. No deletes.
pub trait CrisisStore: Send + Sync {
    fn get_crisis(&self, id: CrisisId) -> Result<Option<Crisis>, CrisisStoreError>;
    /// The active crisis of a channel, if any.
    fn active_crisis(&self, channel: &str) -> Result<Option<Crisis>, CrisisStoreError>;
    /// Inserts (id 0) or updates (version check) a crisis with its new timeline events.
    fn save_crisis(
        &self,
        crisis: &mut Crisis,
        events: &[CrisisEvent],
    ) -> Result<CrisisId, CrisisStoreError>;
    /// Newest first.
    fn list_crises(&self, active_only: bool, limit: usize)
        -> Result<Vec<Crisis>, CrisisStoreError>;
    fn crisis_events(&self, id: CrisisId) -> Result<Vec<CrisisEvent>, CrisisStoreError>;
    /// Active crises whose next timer is at or before `before`.
    fn crises_due(&self, before: DateTime<Utc>) -> Result<Vec<Crisis>, CrisisStoreError>;
    /// Saves a new version of the plan text (validated by the caller) if the newest saved
    /// version is still `base` (0: none saved yet); returns the new version number, or
    /// `Conflict` naming the newer version when someone saved meanwhile.
    fn save_plan(
        &self,
        base: u64,
        text: &str,
        author: &str,
        note: &str,
        at: DateTime<Utc>,
    ) -> Result<u64, CrisisStoreError>;
    /// The newest saved version of the plan, if any.
    fn latest_plan(&self) -> Result<Option<PlanVersion>, CrisisStoreError>;
    /// Saved versions, newest first, without their text.
    fn plan_history(&self, limit: usize) -> Result<Vec<PlanVersion>, CrisisStoreError>;
}

/// A version of the crisis plan saved through the editor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanVersion {
    pub version: u64,
    /// Empty in [`CrisisStore::plan_history`].
    pub text: String,
    pub author: String,
    pub note: String,
    pub saved_at: DateTime<Utc>,
}

/// Someone to page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recipient {
    pub id: String,
    pub name: String,
    pub email: String,
}

/// A page: who, what, and the idempotency key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page {
    pub key: String,
    pub severity: u8,
    pub subject: String,
    pub text: String,
    pub to: Vec<Recipient>,
    pub drill: bool,
}

/// Sends pages (the notifiers); a drill's pages say so.
pub trait Pager: Send + Sync {
    fn page(&self, page: Page);
}

/// A pager that only logs (no notifiers configured).
pub struct LogPager;

impl Pager for LogPager {
    fn page(&self, page: Page) {
        let to: Vec<&str> = page.to.iter().map(|r| r.id.as_str()).collect();
        tracing::warn!(key = %page.key, to = ?to, "{}", page.subject);
    }
}
