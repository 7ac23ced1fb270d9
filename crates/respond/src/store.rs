//! What the inbox needs from storage. `firebreak-store` implements it for SQLite and
//! PostgreSQL; the rules stay here.

use chrono::{DateTime, Utc};
use firebreak_core::MentionId;
use serde::{Deserialize, Serialize};

use crate::audit::{AuditDraft, AuditEntry};
use crate::case::{Case, CaseId, CaseStatus, PrivateChannel};
use crate::guard::Approved;

/// Something that happened to a case: its timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseEvent {
    pub case_id: CaseId,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// `opened`, `mention_added`, `acknowledged`, `started`, `assigned`, `replied`,
    /// `moved_private`, `resolved`, `closed`, `reopened`, `sla_breach`, `follow_up_due`,
    /// `merged`, `split`, `priority_changed`, `crisis_linked`, `contact_attempt`, `note`.
    pub kind: String,
    pub detail: serde_json::Value,
}

/// How a reply reached the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "via", rename_all = "snake_case")]
pub enum Delivery {
    /// An agent posted it on the platform by hand and marked it sent.
    Manual,
    /// A connector posted it; the platform's id of the reply.
    Connector { platform_id: String },
    /// A drill or a dry run: nothing was sent.
    DryRun,
}

/// A reply, public on the thread or private (DM, email, phone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub id: i64,
    pub case_id: CaseId,
    pub in_reply_to: Option<MentionId>,
    /// `None` for a public reply on the thread.
    pub private_channel: Option<PrivateChannel>,
    pub text: String,
    pub author: String,
    pub at: DateTime<Utc>,
    pub delivery: Delivery,
    /// The linter's findings when it was sent (kept, even when overridden).
    pub lint: serde_json::Value,
}

/// Which cases to list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseQuery {
    /// Empty: open cases (new, acknowledged, in progress).
    pub statuses: Vec<CaseStatus>,
    pub assignee: Option<String>,
    pub channel: Option<String>,
    pub crisis_id: Option<String>,
    pub author_key: Option<String>,
    pub limit: usize,
    /// Skip this many (the queue is ordered by priority, then due time, then id).
    pub offset: usize,
}

/// A storage failure, as the inbox sees it.
#[derive(Debug, thiserror::Error)]
pub enum StoreFailure {
    #[error("case #{0} was changed by someone else meanwhile; reload it and try again")]
    Conflict(CaseId),
    #[error("{0}")]
    Other(String),
}

/// Storage for cases, replies, moderation and the audit log. Implementations are
/// thread-safe and blocking.
///
/// There is no method to delete anything; the audit log only grows.
pub trait CaseStore: Send + Sync {
    fn get_case(&self, id: CaseId) -> Result<Option<Case>, StoreFailure>;

    /// The most recent case of `author_key` on `channel` that is not closed, or else the
    /// most recent not-closed case of the thread `thread_key`.
    fn find_open_case(
        &self,
        channel: &str,
        author_key: &str,
        thread_key: &str,
    ) -> Result<Option<Case>, StoreFailure>;

    /// The case a mention belongs to.
    fn case_of_mention(&self, mention: &MentionId) -> Result<Option<CaseId>, StoreFailure>;

    /// Inserts (id 0: the store assigns one) or updates a case whose `version` matches the
    /// stored one, with its events and its audit entries, in one transaction. Bumps
    /// `version`. Returns the id.
    fn save_case(
        &self,
        case: &mut Case,
        events: &[CaseEvent],
        audit: &[AuditDraft],
    ) -> Result<CaseId, StoreFailure>;

    /// Saves several cases atomically (intake of a batch, merges and splits).
    fn save_cases(
        &self,
        cases: &mut [&mut Case],
        events: &[CaseEvent],
        audit: &[AuditDraft],
    ) -> Result<(), StoreFailure>;

    fn list_cases(&self, q: &CaseQuery) -> Result<Vec<Case>, StoreFailure>;

    fn count_cases(&self, q: &CaseQuery) -> Result<u64, StoreFailure>;

    /// Open cases whose next due time or follow-up reminder is at or before `before`.
    fn cases_due(&self, before: DateTime<Utc>, limit: usize) -> Result<Vec<Case>, StoreFailure>;

    /// Open cases assigned to each agent.
    fn open_load(&self) -> Result<Vec<(String, u64)>, StoreFailure>;

    fn case_events(&self, id: CaseId) -> Result<Vec<CaseEvent>, StoreFailure>;

    /// Stores a reply and the updated case together. Returns the reply id.
    fn save_reply(
        &self,
        reply: &Reply,
        case: &mut Case,
        events: &[CaseEvent],
        audit: &[AuditDraft],
    ) -> Result<i64, StoreFailure>;

    fn replies(&self, case: CaseId) -> Result<Vec<Reply>, StoreFailure>;

    /// Recent public reply texts (newest first), for the duplicate-reply rule.
    fn recent_public_replies(&self, limit: usize) -> Result<Vec<(CaseId, String)>, StoreFailure>;

    /// Records a moderation the guardrails approved, with its audit entry.
    fn record_moderation(
        &self,
        approved: &Approved,
        at: DateTime<Utc>,
        audit: &AuditDraft,
    ) -> Result<i64, StoreFailure>;

    fn append_audit(&self, audit: &[AuditDraft]) -> Result<(), StoreFailure>;

    /// Audit entries with `seq > after`, in order, at most `limit`.
    fn audit_entries(&self, after: i64, limit: usize) -> Result<Vec<AuditEntry>, StoreFailure>;
}
