//! The plan's types, as written in the TOML file.
//!
//! Array-of-tables keys are singular in the file (`[[person]]`, `[[severity]]`,
//! `[[severity.step]]`, `[[escalation.level]]`, `[[rules.approval]]`); the fields
//! holding them are plural here.

use std::collections::BTreeMap;

use firebreak_core::{Alert, AlertKind};
use firebreak_respond::sla::SlaTargets;
use serde::{Deserialize, Serialize};

/// The plan file format this crate reads.
pub const PLAN_VERSION: u32 = 1;

/// A crisis plan. Build it with [`crate::parse`] or [`crate::load`], which validate it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Must be [`PLAN_VERSION`].
    pub plan_version: u32,
    /// The brand the plan is for.
    pub brand: String,
    /// Languages the brand speaks (ISO 639-1: `en`, `it` ...). Every one needs a
    /// holding statement.
    pub languages: Vec<String>,
    #[serde(rename = "person")]
    pub people: Vec<Person>,
    #[serde(rename = "severity")]
    pub severities: Vec<Severity>,
    pub escalation: Escalation,
    pub statements: Statements,
    pub rules: Rules,
    /// Phrases that must never be promised, per language (the reply linter's
    /// `do_not_promise`).
    #[serde(default)]
    pub do_not_promise: BTreeMap<String, Vec<String>>,
}

/// What a person does in a crisis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Decides, owns the incident from first alert to closing.
    CrisisLead,
    /// Answers on the brand's channels.
    CommunityManager,
    /// Solves individual cases in private.
    CustomerCare,
    /// Reviews statements with legal exposure.
    Legal,
    /// Owns public statements and the press.
    Communications,
    /// Speaks for the company when the crisis is critical.
    Executive,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::CrisisLead,
        Role::CommunityManager,
        Role::CustomerCare,
        Role::Legal,
        Role::Communications,
        Role::Executive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::CrisisLead => "crisis_lead",
            Role::CommunityManager => "community_manager",
            Role::CustomerCare => "customer_care",
            Role::Legal => "legal",
            Role::Communications => "communications",
            Role::Executive => "executive",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A member of the crisis team and how to reach them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// Short id used in owners and notification lists (`giulia`).
    pub id: String,
    pub name: String,
    pub roles: Vec<Role>,
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
    /// Chat handle (Slack, Teams ...).
    #[serde(default)]
    pub chat: Option<String>,
    /// Languages the person can answer in.
    #[serde(default)]
    pub languages: Vec<String>,
}

impl Person {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// A severity level and when it applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Severity {
    /// 1 (watch) to 4 (critical), as in Alert JSONL v1.
    pub level: u8,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The level applies when any criterion matches an alert.
    pub criteria: Vec<Criterion>,
    /// The checklist: what is done, by whom, how soon.
    #[serde(rename = "step", default)]
    pub steps: Vec<Step>,
}

/// Conditions on an alert from the detectors; all the fields given must hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// Alert kinds that qualify; empty means any kind.
    #[serde(default)]
    pub kinds: Vec<AlertKind>,
    /// The alert's own severity (1-4) must be at least this.
    #[serde(default)]
    pub min_severity: Option<u8>,
    /// The alert's crisis flag must be this.
    #[serde(default)]
    pub crisis: Option<bool>,
}

impl Criterion {
    /// Whether `alert` meets this criterion.
    pub fn matches(&self, alert: &Alert) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&alert.kind))
            && self.min_severity.is_none_or(|m| alert.severity >= m)
            && self.crisis.is_none_or(|c| alert.crisis == c)
    }
}

/// One checklist step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// What to do.
    pub task: String,
    /// A person id or a role.
    pub owner: String,
    /// Target: minutes after the severity is declared.
    pub within_min: u32,
}

/// Who is paged at each level, and what happens when nobody acknowledges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    #[serde(rename = "level")]
    pub levels: Vec<EscalationLevel>,
}

/// Notification policy of one severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationLevel {
    /// The severity level this applies to.
    pub severity: u8,
    /// Person ids or roles notified when the level is reached.
    pub notify: Vec<String>,
    /// Nobody acknowledged within this many minutes: re-notify, then escalate.
    pub ack_within_min: u32,
    /// How many times to re-notify before escalating.
    #[serde(default)]
    pub renotify: u32,
    /// Person ids or roles notified when re-notifying did not help.
    #[serde(default)]
    pub escalate_to: Vec<String>,
}

/// The kinds of pre-approved statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementKind {
    /// "We know, we are looking into it, next update at ...": published first.
    Holding,
    Apology,
    Update,
    Resolution,
}

impl StatementKind {
    pub const ALL: [StatementKind; 4] = [
        StatementKind::Holding,
        StatementKind::Apology,
        StatementKind::Update,
        StatementKind::Resolution,
    ];

    /// The key in `[statements]`.
    pub fn as_str(self) -> &'static str {
        match self {
            StatementKind::Holding => "holding",
            StatementKind::Apology => "apology",
            StatementKind::Update => "update",
            StatementKind::Resolution => "resolution",
        }
    }

    /// The name under which [`Plan::templates`] registers it (`holding_statement` ...).
    pub fn template_name(self) -> &'static str {
        match self {
            StatementKind::Holding => "holding_statement",
            StatementKind::Apology => "apology_statement",
            StatementKind::Update => "update_statement",
            StatementKind::Resolution => "resolution_statement",
        }
    }
}

/// Pre-approved statements: for each kind, text per language (minijinja templates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statements {
    /// The only variables statements may use (`{{ brand }}` ...).
    pub placeholders: Vec<String>,
    pub holding: BTreeMap<String, String>,
    #[serde(default)]
    pub apology: BTreeMap<String, String>,
    #[serde(default)]
    pub update: BTreeMap<String, String>,
    #[serde(default)]
    pub resolution: BTreeMap<String, String>,
}

impl Statements {
    pub fn of(&self, kind: StatementKind) -> &BTreeMap<String, String> {
        match kind {
            StatementKind::Holding => &self.holding,
            StatementKind::Apology => &self.apology,
            StatementKind::Update => &self.update,
            StatementKind::Resolution => &self.resolution,
        }
    }
}

/// How the brand responds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Must be false: negative comments are never deleted. The key exists so that a
    /// plan saying otherwise is rejected with the reason.
    #[serde(default)]
    pub allow_delete_negative: bool,
    /// An author may be blocked only after this many documented attempts to reach
    /// them (at least 1: blocking is the last resort).
    #[serde(default = "default_block_after")]
    pub block_after_contact_attempts: u32,
    /// Where individual cases continue after the public answer: `dm`, `email`, `phone`.
    pub private_channels: Vec<String>,
    /// Response targets per priority (p1..p4) and the private follow-up rhythm.
    pub response_targets: SlaTargets,
    pub routing: Routing,
    /// What needs approval, from which severity, by whom.
    #[serde(rename = "approval", default)]
    pub approvals: Vec<Approval>,
    /// Deadline phrases replies may use besides the response targets
    /// ("entro 24 ore"), any language.
    #[serde(default)]
    pub allowed_deadlines: Vec<String>,
}

fn default_block_after() -> u32 {
    2
}

/// Which account speaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Routing {
    /// Handles individual cases (`@AcmeHelp`).
    pub customer_care_account: String,
    /// The brand's voice (`@Acme`): statements.
    pub official_account: String,
    /// From this severity on, the official account publishes the statements; below it,
    /// the customer-care account answers alone.
    pub official_from_severity: u8,
}

/// What may need approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalAction {
    /// Publishing a statement (holding, apology, update, resolution).
    Statement,
    /// A public reply written from scratch (not from a template).
    PublicReply,
    /// Hiding a comment (spam, illegal content, exposed personal data).
    Hide,
    /// Blocking an author.
    Block,
}

impl ApprovalAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalAction::Statement => "statement",
            ApprovalAction::PublicReply => "public_reply",
            ApprovalAction::Hide => "hide",
            ApprovalAction::Block => "block",
        }
    }
}

/// An approval requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    pub action: ApprovalAction,
    /// Applies from this severity level on.
    #[serde(default = "one")]
    pub from_severity: u8,
    /// Person ids or roles who may approve.
    pub approvers: Vec<String>,
    /// How many distinct approvers must sign off.
    #[serde(default = "one_u32")]
    pub min_approvers: u32,
}

fn one() -> u8 {
    1
}

fn one_u32() -> u32 {
    1
}
