//! The inbox: mentions that need a response become cases, people act on them, clocks
//! watch the targets. Every action goes through [`Inbox`], which checks the actor's role,
//! applies the case rules, and stores the change with its timeline event and its audit
//! entry in one transaction.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use firebreak_core::{Alert, Mention, MentionId};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::{AuditDraft, Outcome};
use crate::case::{author_key, Case, CaseError, CaseId, CaseReason, PrivateChannel};
use crate::guard::{self, Actor, ModerationRequest, Role, Verdict};
use crate::lint::{Finding, LintContext, Linter, Rule};
use crate::priority::{self, RiskInputs};
use crate::sla::{self, Clock, SlaKind, SlaTargets};
use crate::store::{CaseEvent, CaseQuery, CaseStore, Delivery, Reply, StoreFailure};

/// A member of the team who answers cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    pub name: String,
    #[serde(default = "default_role")]
    pub role: Role,
    /// ISO 639-1 codes the agent answers in.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Complaint categories the agent specialises in (snake_case names): preferred for them.
    #[serde(default)]
    pub skills: Vec<String>,
    /// Most open cases assigned at once.
    #[serde(default = "default_capacity")]
    pub capacity: u32,
}

fn default_role() -> Role {
    Role::Agent
}
fn default_capacity() -> u32 {
    25
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxConfig {
    #[serde(default)]
    pub targets: SlaTargets,
    #[serde(default)]
    pub agents: Vec<Agent>,
    /// Assign new cases automatically by language, skill and load.
    #[serde(default)]
    pub auto_assign: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("case #{0} does not exist")]
    NotFound(CaseId),
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error(transparent)]
    Store(#[from] StoreFailure),
    #[error("{0}")]
    Invalid(String),
    /// A guardrail refused the action; the refusal is in the audit log.
    #[error("{0}")]
    Refused(String),
    /// The platform did not take a reply (the attempt is in the audit log).
    #[error("{0}")]
    Delivery(String),
}

/// What one intake call did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IntakeReport {
    pub opened: Vec<CaseId>,
    pub joined: Vec<CaseId>,
    /// Mentions that need no response.
    pub skipped: u64,
}

/// A clock tick's findings, for notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlaEvent {
    pub case_id: CaseId,
    pub channel: String,
    /// The case's first mention (evidence for a backlog alert).
    pub mention: Option<MentionId>,
    pub kind: String,
    pub due: DateTime<Utc>,
    pub assignee: Option<String>,
}

/// A reply to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplyDraft {
    pub text: String,
    /// `None`: public, on the thread.
    #[serde(default)]
    pub private_channel: Option<PrivateChannel>,
    #[serde(default)]
    pub in_reply_to: Option<MentionId>,
    #[serde(default = "manual")]
    pub delivery: Delivery,
    /// The brand is at fault: the linter then requires an apology.
    #[serde(default)]
    pub at_fault: bool,
    /// Post it on the platform through the connector (public replies and DMs); the
    /// platform's id is recorded. Without it, the agent posted it by hand.
    #[serde(default)]
    pub send: bool,
}

fn manual() -> Delivery {
    Delivery::Manual
}

/// Replies and reshares per thread in the last hour.
#[derive(Default)]
struct Velocity {
    threads: HashMap<String, VecDeque<DateTime<Utc>>>,
}

const VELOCITY_THREADS: usize = 100_000;

impl Velocity {
    fn record(&mut self, thread: &str, at: DateTime<Utc>) -> u32 {
        if self.threads.len() >= VELOCITY_THREADS && !self.threads.contains_key(thread) {
            let horizon = at - Duration::hours(1);
            self.threads
                .retain(|_, q| q.back().is_some_and(|t| *t > horizon));
            if self.threads.len() >= VELOCITY_THREADS {
                self.threads.clear();
            }
        }
        let q = self.threads.entry(thread.to_owned()).or_default();
        q.push_back(at);
        let horizon = at - Duration::hours(1);
        while q.front().is_some_and(|t| *t < horizon) {
            q.pop_front();
        }
        q.len().saturating_sub(1) as u32
    }
}

pub struct Inbox {
    store: Arc<dyn CaseStore>,
    config: InboxConfig,
    clock: Arc<dyn Clock>,
    velocity: Mutex<Velocity>,
    /// Serialises this process's read-modify-write of cases (intake, clock, people), so that
    /// they never race each other; the store's version check still guards other processes.
    writing: Mutex<()>,
    linter: Option<Arc<Linter>>,
    /// The crisis plan's do-not-promise list and allowed deadlines, for every draft.
    lint_defaults: LintContext,
    templates: crate::templates::Templates,
    /// Posts replies that ask to be sent (`ReplyDraft::send`).
    outbound: Option<Arc<dyn crate::outbound::Outbound>>,
}

impl Inbox {
    pub fn new(store: Arc<dyn CaseStore>, config: InboxConfig, clock: Arc<dyn Clock>) -> Inbox {
        Inbox {
            store,
            config,
            clock,
            velocity: Mutex::new(Velocity::default()),
            writing: Mutex::new(()),
            linter: None,
            lint_defaults: LintContext::default(),
            templates: crate::templates::Templates::builtin(),
            outbound: None,
        }
    }

    /// Lets replies be posted on the platforms (`ReplyDraft::send`).
    pub fn with_outbound(mut self, outbound: Arc<dyn crate::outbound::Outbound>) -> Inbox {
        self.outbound = Some(outbound);
        self
    }

    /// What the crisis plan adds to every lint: its do-not-promise list and the deadlines
    /// it allows.
    pub fn with_lint_defaults(mut self, ctx: LintContext) -> Inbox {
        self.lint_defaults = ctx;
        self
    }

    /// Reply templates (the built-in ones, or the plan's).
    pub fn with_templates(mut self, templates: crate::templates::Templates) -> Inbox {
        self.templates = templates;
        self
    }

    pub fn templates(&self) -> &crate::templates::Templates {
        &self.templates
    }

    /// Lints every reply before it is recorded: the findings are kept with the reply, and
    /// a public reply that exposes personal data is refused.
    pub fn with_linter(mut self, linter: Arc<Linter>) -> Inbox {
        self.linter = Some(linter);
        self
    }

    pub fn linter(&self) -> Option<&Arc<Linter>> {
        self.linter.as_ref()
    }

    /// The linter's view of a draft reply on `case`.
    pub fn lint_draft(
        &self,
        case: &Case,
        text: &str,
        public: bool,
        at_fault: bool,
    ) -> Result<Vec<Finding>, InboxError> {
        let Some(linter) = &self.linter else {
            return Ok(Vec::new());
        };
        let recent = if public {
            self.store
                .recent_public_replies(200)?
                .into_iter()
                .filter(|(id, _)| *id != case.id)
                .map(|(_, t)| t)
                .collect()
        } else {
            Vec::new()
        };
        let ctx = LintContext {
            customer_lang: case.lang.clone(),
            at_fault,
            troll: case.dont_feed,
            public,
            recent_replies: recent,
            do_not_promise: self.lint_defaults.do_not_promise.clone(),
            allowed_deadlines: self.lint_defaults.allowed_deadlines.clone(),
            ..LintContext::default()
        };
        Ok(linter.lint(text, &ctx))
    }

    pub fn store(&self) -> &Arc<dyn CaseStore> {
        &self.store
    }

    pub fn config(&self) -> &InboxConfig {
        &self.config
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Turns the mentions that need a response into cases, or adds them to their author's
    /// open case or their thread's. Idempotent: a mention already in a case is skipped.
    pub fn intake(&self, mentions: &[Mention]) -> Result<IntakeReport, InboxError> {
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let now = self.clock.now();
        let mut report = IntakeReport::default();
        // Cases touched by this batch, by key, so that one author's burst makes one case.
        let mut touched: Vec<Case> = Vec::new();
        let mut by_author: HashMap<(String, String), usize> = HashMap::new();
        let mut by_thread: HashMap<String, usize> = HashMap::new();
        let mut events: Vec<CaseEvent> = Vec::new();
        // Events of new cases get their ids after the save.
        let mut pending_events: Vec<(usize, CaseEvent)> = Vec::new();

        for m in mentions {
            let thread = self.thread_of(m, &touched, &by_thread)?;
            let velocity = {
                let mut v = self.velocity.lock().unwrap_or_else(|e| e.into_inner());
                v.record(&thread, m.created_at)
            };
            let Some(reason) = priority::needs_response(m) else {
                report.skipped += 1;
                continue;
            };
            if self.store.case_of_mention(&m.id)?.is_some() {
                report.skipped += 1;
                continue;
            }
            let akey = author_key(m);
            let key = (m.channel.as_str().to_owned(), akey.clone());
            let slot = match by_author
                .get(&key)
                .or_else(|| by_thread.get(&thread))
                .copied()
            {
                Some(i) => Some(i),
                None => match self
                    .store
                    .find_open_case(m.channel.as_str(), &akey, &thread)?
                {
                    Some(c) => {
                        touched.push(c);
                        Some(touched.len() - 1)
                    }
                    None => None,
                },
            };
            let p_neg = m.analysis.as_ref().map_or(0.0, |a| a.sentiment.probs[0]);
            match slot {
                Some(i) => {
                    let case = &mut touched[i];
                    if case.mentions.contains(&m.id) {
                        continue;
                    }
                    let reopened = case.add_mention(m)?;
                    let ev = |kind: &str, detail| CaseEvent {
                        case_id: case.id,
                        at: now,
                        actor: "system".into(),
                        kind: kind.into(),
                        detail,
                    };
                    let mut evs = vec![ev("mention_added", json!({"mention": m.id}))];
                    if reopened {
                        evs.push(ev("reopened", json!({"mention": m.id})));
                    }
                    // Escalate with the new evidence; never lower a priority on intake.
                    let r = priority::risk(&RiskInputs {
                        p_negative: p_neg,
                        reason,
                        followers: case.author_followers,
                        verified: case.author_verified || m.author.verified,
                        thread_velocity: velocity,
                        waiting_hours: 0.0,
                        in_crisis: case.crisis_id.is_some(),
                    });
                    if r > case.risk {
                        case.risk = r;
                        let p = priority::bucket(r, case.dont_feed);
                        if p < case.priority {
                            evs.push(ev(
                                "priority_changed",
                                json!({"from": case.priority, "to": p}),
                            ));
                            case.priority = p;
                        }
                    }
                    for e in evs {
                        if case.id == 0 {
                            pending_events.push((i, e));
                        } else {
                            events.push(e);
                        }
                    }
                    if touched[i].id != 0 && !report.joined.contains(&touched[i].id) {
                        report.joined.push(touched[i].id);
                    }
                    by_author.insert(key, i);
                    by_thread.entry(thread).or_insert(i);
                }
                None => {
                    let r = priority::risk(&RiskInputs {
                        p_negative: p_neg,
                        reason,
                        followers: m.author.followers,
                        verified: m.author.verified,
                        thread_velocity: velocity,
                        waiting_hours: 0.0,
                        in_crisis: false,
                    });
                    let dont_feed = reason == CaseReason::Toxic;
                    let p = priority::bucket(r, dont_feed);
                    let case =
                        Case::open(m, thread.clone(), reason, p, r, &self.config.targets, now);
                    touched.push(case);
                    let i = touched.len() - 1;
                    pending_events.push((
                        i,
                        CaseEvent {
                            case_id: 0,
                            at: now,
                            actor: "system".into(),
                            kind: "opened".into(),
                            detail: json!({"mention": m.id, "reason": reason, "priority": p, "risk": r}),
                        },
                    ));
                    by_author.insert(key, i);
                    by_thread.entry(thread).or_insert(i);
                }
            }
        }
        if touched.is_empty() {
            return Ok(report);
        }
        if self.config.auto_assign && !self.config.agents.is_empty() {
            let mut load: HashMap<String, u64> = self.store.open_load()?.into_iter().collect();
            for (i, case) in touched.iter_mut().enumerate() {
                if case.assignee.is_none() && case.id == 0 && !case.dont_feed {
                    if let Some(agent) = pick_agent(&self.config.agents, case, &load) {
                        *load.entry(agent.clone()).or_default() += 1;
                        case.assignee = Some(agent.clone());
                        pending_events.push((
                            i,
                            CaseEvent {
                                case_id: 0,
                                at: now,
                                actor: "system".into(),
                                kind: "assigned".into(),
                                detail: json!({"to": agent, "auto": true}),
                            },
                        ));
                    }
                }
            }
        }
        // One transaction saves every touched case (new ones get their ids) with the events
        // of the existing ones; a second writes the new cases' events, now that their ids
        // are known.
        let new_idx: Vec<usize> = (0..touched.len()).filter(|i| touched[*i].id == 0).collect();
        {
            let mut refs: Vec<&mut Case> = touched.iter_mut().collect();
            self.store.save_cases(&mut refs, &events, &[])?;
        }
        let new_events: Vec<CaseEvent> = pending_events
            .into_iter()
            .map(|(i, mut e)| {
                e.case_id = touched[i].id;
                e
            })
            .collect();
        if !new_events.is_empty() {
            self.store.save_cases(&mut [], &new_events, &[])?;
        }
        report.opened = new_idx.iter().map(|i| touched[*i].id).collect();
        Ok(report)
    }

    /// The thread a mention lives in: the thread of the case its parent is in, else the
    /// parent, else itself.
    fn thread_of(
        &self,
        m: &Mention,
        touched: &[Case],
        by_thread: &HashMap<String, usize>,
    ) -> Result<String, InboxError> {
        let Some(parent) = m.in_reply_to.as_ref().or(m.reshare_of.as_ref()) else {
            return Ok(m.id.as_str().to_owned());
        };
        if let Some(c) = touched.iter().find(|c| c.mentions.contains(parent)) {
            return Ok(c.thread_key.clone());
        }
        if by_thread.contains_key(parent.as_str()) {
            return Ok(parent.as_str().to_owned());
        }
        if let Some(id) = self.store.case_of_mention(parent)? {
            if let Some(c) = self.store.get_case(id)? {
                return Ok(c.thread_key);
            }
        }
        Ok(parent.as_str().to_owned())
    }

    pub fn get(&self, id: CaseId) -> Result<Case, InboxError> {
        self.store.get_case(id)?.ok_or(InboxError::NotFound(id))
    }

    pub fn list(&self, q: &CaseQuery) -> Result<Vec<Case>, InboxError> {
        Ok(self.store.list_cases(q)?)
    }

    /// Applies `change` to case `id` as `actor`, with an event and an audit entry. A refused
    /// change is audited as refused and returned as the error.
    fn act(
        &self,
        id: CaseId,
        actor: &Actor,
        action: &str,
        detail: serde_json::Value,
        change: impl FnMut(&mut Case, DateTime<Utc>) -> Result<(), InboxError>,
    ) -> Result<Case, InboxError> {
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let now = self.clock.now();
        let target = format!("case:{id}");
        if actor.role < Role::Agent {
            let why = format!("{} is a viewer; viewers cannot change cases", actor.name);
            self.store.append_audit(&[AuditDraft::new(
                now,
                &actor.name,
                format!("case.{action}"),
                &target,
                Outcome::Refused,
                &why,
            )])?;
            return Err(InboxError::Forbidden(why));
        }
        // A clock tick or another agent may save the case between our read and our write:
        // then read it again and re-apply the change (it is judged on the fresh state).
        let mut change = change;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut case = self.get(id)?;
            if let Err(e) = change(&mut case, now) {
                self.store.append_audit(&[AuditDraft::new(
                    now,
                    &actor.name,
                    format!("case.{action}"),
                    &target,
                    Outcome::Refused,
                    e.to_string(),
                )])?;
                return Err(e);
            }
            let event = CaseEvent {
                case_id: id,
                at: now,
                actor: actor.name.clone(),
                kind: action.to_owned(),
                detail: detail.clone(),
            };
            let audit = AuditDraft::new(
                now,
                &actor.name,
                format!("case.{action}"),
                &target,
                Outcome::Done,
                detail.to_string(),
            );
            match self.store.save_case(&mut case, &[event], &[audit]) {
                Ok(_) => return Ok(case),
                Err(StoreFailure::Conflict(_)) if attempts < 3 => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    pub fn acknowledge(&self, id: CaseId, actor: &Actor) -> Result<Case, InboxError> {
        self.act(id, actor, "acknowledged", json!({}), |c, now| {
            Ok(c.acknowledge(now)?)
        })
    }

    pub fn start(&self, id: CaseId, actor: &Actor) -> Result<Case, InboxError> {
        self.act(id, actor, "started", json!({}), |c, now| Ok(c.start(now)?))
    }

    pub fn resolve(&self, id: CaseId, actor: &Actor) -> Result<Case, InboxError> {
        self.act(id, actor, "resolved", json!({}), |c, now| {
            Ok(c.resolve(now)?)
        })
    }

    pub fn close(&self, id: CaseId, actor: &Actor) -> Result<Case, InboxError> {
        self.act(id, actor, "closed", json!({}), |c, now| Ok(c.close(now)?))
    }

    pub fn move_private(
        &self,
        id: CaseId,
        channel: PrivateChannel,
        actor: &Actor,
    ) -> Result<Case, InboxError> {
        let follow_up = self.config.targets.follow_up();
        self.act(
            id,
            actor,
            "moved_private",
            json!({"channel": channel}),
            |c, now| Ok(c.move_private(channel, now, follow_up)?),
        )
    }

    /// Records a documented attempt to reach the author (a call, an email).
    pub fn contact_attempt(
        &self,
        id: CaseId,
        note: &str,
        actor: &Actor,
    ) -> Result<Case, InboxError> {
        self.act(
            id,
            actor,
            "contact_attempt",
            json!({"note": note}),
            |c, _| {
                c.contact_attempts += 1;
                Ok(())
            },
        )
    }

    pub fn note(&self, id: CaseId, text: &str, actor: &Actor) -> Result<Case, InboxError> {
        self.act(id, actor, "note", json!({"text": text}), |_, _| Ok(()))
    }

    /// Assigns to `agent`, or automatically (language, skill, load) when `None`.
    pub fn assign(
        &self,
        id: CaseId,
        agent: Option<&str>,
        actor: &Actor,
    ) -> Result<Case, InboxError> {
        let to = match agent {
            Some(a) => {
                if !self.config.agents.is_empty() && !self.config.agents.iter().any(|x| x.name == a)
                {
                    return Err(InboxError::Invalid(format!(
                        "{a:?} is not an agent; the configured agents are {}",
                        self.config
                            .agents
                            .iter()
                            .map(|x| x.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
                a.to_owned()
            }
            None => {
                let case = self.get(id)?;
                let load: HashMap<String, u64> = self.store.open_load()?.into_iter().collect();
                pick_agent(&self.config.agents, &case, &load).ok_or_else(|| {
                    InboxError::Invalid(
                        "no agent is free for this case's language and category; assign it by hand"
                            .into(),
                    )
                })?
            }
        };
        let auto = agent.is_none();
        self.act(
            id,
            actor,
            "assigned",
            json!({"to": to, "auto": auto}),
            |c, _| {
                c.assignee = Some(to.clone());
                Ok(())
            },
        )
    }

    /// Stores a reply (sent by a connector, by hand, or a dry run) and updates the case.
    pub fn reply(
        &self,
        id: CaseId,
        draft: ReplyDraft,
        actor: &Actor,
    ) -> Result<(Case, Reply), InboxError> {
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let now = self.clock.now();
        if actor.role < Role::Agent {
            return Err(InboxError::Forbidden(format!(
                "{} is a viewer; viewers cannot reply",
                actor.name
            )));
        }
        if draft.text.trim().is_empty() {
            return Err(InboxError::Invalid("the reply is empty".into()));
        }
        let mut case = self.get(id)?;
        if case.status == crate::case::CaseStatus::Closed {
            return Err(CaseError::Closed(id).into());
        }
        if let Some(m) = &draft.in_reply_to {
            if !case.mentions.contains(m) {
                return Err(InboxError::Invalid(format!(
                    "mention {m} is not part of case #{id}"
                )));
            }
        }
        let public = draft.private_channel.is_none();
        let mut draft = draft;
        if case.channel.starts_with("drill:") {
            // A drill never reaches a platform (and `send` is ignored).
            draft.delivery = Delivery::DryRun;
        }
        let findings = self.lint_draft(&case, &draft.text, public, draft.at_fault)?;
        if public {
            if let Some(f) = findings.iter().find(|f| f.rule == Rule::PersonalData) {
                let why = format!(
                    "refused: this public reply exposes personal data ({}); send it in a private channel instead",
                    f.message
                );
                self.store.append_audit(&[AuditDraft::new(
                    now,
                    &actor.name,
                    "reply.send",
                    format!("case:{id}"),
                    Outcome::Refused,
                    &why,
                )])?;
                return Err(InboxError::Refused(why));
            }
        }
        let drill = case.channel.starts_with("drill:");
        if draft.send && !drill {
            draft.delivery = self.post_outbound(&case, &draft, &actor.name, now)?;
        }
        case.record_reply(public, now, self.config.targets.follow_up());
        let mut reply = Reply {
            id: 0,
            case_id: id,
            in_reply_to: draft.in_reply_to.or_else(|| case.mentions.first().cloned()),
            private_channel: draft.private_channel,
            text: draft.text,
            author: actor.name.clone(),
            at: now,
            delivery: draft.delivery,
            lint: serde_json::to_value(&findings).unwrap_or_default(),
        };
        let detail =
            json!({"public": public, "channel": reply.private_channel, "delivery": reply.delivery});
        let event = CaseEvent {
            case_id: id,
            at: now,
            actor: actor.name.clone(),
            kind: "replied".into(),
            detail: detail.clone(),
        };
        let audit = AuditDraft::new(
            now,
            &actor.name,
            "reply.send",
            format!("case:{id}"),
            Outcome::Done,
            detail.to_string(),
        );
        reply.id = self
            .store
            .save_reply(&reply, &mut case, &[event], &[audit])?;
        Ok((case, reply))
    }

    /// Posts a reply through the connector; a failure is audited and nothing is recorded
    /// as sent.
    fn post_outbound(
        &self,
        case: &Case,
        draft: &ReplyDraft,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Delivery, InboxError> {
        let id = case.id;
        let why = match (&self.outbound, draft.private_channel) {
            (_, Some(PrivateChannel::Email | PrivateChannel::Phone)) => {
                return Err(InboxError::Invalid(
                    "email and phone replies are sent outside Firebreak; record them without send"
                        .into(),
                ))
            }
            (None, _) => format!(
                "no connector posts on {} for channel {}; configure its source with credentials, or post by hand and record it",
                case.platform, case.channel
            ),
            (Some(outbound), private) => {
                let in_reply_to = draft
                    .in_reply_to
                    .clone()
                    .or_else(|| case.mentions.last().cloned());
                let post = crate::outbound::OutboundPost {
                    key: format!("case{}-v{}", id, case.version),
                    platform: case.platform.clone(),
                    channel: case.channel.clone(),
                    in_reply_to,
                    private,
                    to_handle: case.author_handle.clone(),
                    to_author: case.author_key.clone(),
                    text: draft.text.clone(),
                };
                match outbound.post(&post) {
                    Ok(delivery) => return Ok(delivery),
                    Err(e) => format!("the platform did not take the reply: {e}"),
                }
            }
        };
        self.store.append_audit(&[AuditDraft::new(
            now,
            actor,
            "reply.send",
            format!("case:{id}"),
            Outcome::Refused,
            &why,
        )])?;
        Err(InboxError::Delivery(why))
    }

    /// Moves the mentions of case `from` into `into`; `from` is closed as merged.
    pub fn merge(&self, into: CaseId, from: CaseId, actor: &Actor) -> Result<Case, InboxError> {
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        if into == from {
            return Err(InboxError::Invalid(
                "a case cannot be merged into itself".into(),
            ));
        }
        require_agent(actor, "merge cases")?;
        let now = self.clock.now();
        let mut a = self.get(into)?;
        let mut b = self.get(from)?;
        if a.status == crate::case::CaseStatus::Closed {
            return Err(CaseError::Closed(into).into());
        }
        if b.status == crate::case::CaseStatus::Closed {
            return Err(CaseError::Closed(from).into());
        }
        for m in std::mem::take(&mut b.mentions) {
            if !a.mentions.contains(&m) {
                a.mentions.push(m);
            }
        }
        a.last_mention_at = a.last_mention_at.max(b.last_mention_at);
        a.opened_at = a.opened_at.min(b.opened_at);
        if b.priority < a.priority {
            a.priority = b.priority;
            a.due = b.due;
        }
        a.risk = a.risk.max(b.risk);
        b.merged_into = Some(into);
        b.status = crate::case::CaseStatus::Closed;
        b.closed_at = Some(now);
        let ev = |case_id, kind: &str, detail| CaseEvent {
            case_id,
            at: now,
            actor: actor.name.clone(),
            kind: kind.into(),
            detail,
        };
        let events = [
            ev(into, "merged", json!({"from": from})),
            ev(from, "merged", json!({"into": into})),
        ];
        let audit = AuditDraft::new(
            now,
            &actor.name,
            "case.merge",
            format!("case:{from}"),
            Outcome::Done,
            format!("into case:{into}"),
        );
        // `b` goes first: its mentions must leave it before they join `a`.
        self.store
            .save_cases(&mut [&mut b, &mut a], &events, &[audit])?;
        Ok(a)
    }

    /// Moves `mentions` out of case `id` into a new case.
    pub fn split(
        &self,
        id: CaseId,
        mentions: &[MentionId],
        actor: &Actor,
    ) -> Result<Case, InboxError> {
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        require_agent(actor, "split cases")?;
        let now = self.clock.now();
        let mut a = self.get(id)?;
        if mentions.is_empty() || mentions.len() >= a.mentions.len() {
            return Err(InboxError::Invalid(
                "split moves some, not all, of a case's mentions to a new case".into(),
            ));
        }
        if let Some(m) = mentions.iter().find(|m| !a.mentions.contains(m)) {
            return Err(InboxError::Invalid(format!(
                "mention {m} is not part of case #{id}"
            )));
        }
        let mut b = a.clone();
        b.id = 0;
        b.version = 0;
        b.mentions = mentions.to_vec();
        b.status = crate::case::CaseStatus::New;
        b.assignee = None;
        b.acknowledged_at = None;
        b.first_public_reply_at = None;
        b.last_reply_at = None;
        b.private_channel = None;
        b.private_moved_at = None;
        b.private_reply_at = None;
        b.public_close_at = None;
        b.resolved_at = None;
        b.closed_at = None;
        b.breached.clear();
        b.next_follow_up_at = None;
        b.contact_attempts = 0;
        a.mentions.retain(|m| !mentions.contains(m));
        // Remove from `a` first, then insert `b`, so each mention stays in one case.
        self.store.save_cases(&mut [&mut a], &[], &[])?;
        self.store.save_cases(&mut [&mut b], &[], &[])?;
        let ev = |case_id, kind: &str, detail| CaseEvent {
            case_id,
            at: now,
            actor: actor.name.clone(),
            kind: kind.into(),
            detail,
        };
        let events = [
            ev(id, "split", json!({"to": b.id, "mentions": mentions})),
            ev(b.id, "split", json!({"from": id, "mentions": mentions})),
        ];
        let audit = AuditDraft::new(
            now,
            &actor.name,
            "case.split",
            format!("case:{id}"),
            Outcome::Done,
            format!("to case:{}", b.id),
        );
        self.store.save_cases(&mut [], &events, &[audit])?;
        Ok(b)
    }

    /// Runs the SLA clocks: breaches (each once), follow-up reminders, and priorities
    /// re-scored by age. Call it periodically.
    pub fn tick(&self) -> Result<Vec<SlaEvent>, InboxError> {
        let now = self.clock.now();
        let mut out = Vec::new();
        loop {
            let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
            let cases = self.store.cases_due(now, 500)?;
            let mut saved_any = false;
            for mut case in cases {
                let (events, raised) = self.check_case(&mut case, now);
                if events.is_empty() {
                    continue;
                }
                // Each case on its own: an agent saving a case meanwhile only delays that
                // case's check to the next tick.
                match self.store.save_case(&mut case, &events, &[]) {
                    Ok(_) => {
                        saved_any = true;
                        out.extend(raised);
                    }
                    Err(StoreFailure::Conflict(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            if !saved_any {
                break;
            }
        }
        Ok(out)
    }

    /// The clock's findings on one case: the timeline events and what to notify.
    fn check_case(&self, case: &mut Case, now: DateTime<Utc>) -> (Vec<CaseEvent>, Vec<SlaEvent>) {
        let mut events = Vec::new();
        let mut raised = Vec::new();
        let t = sla::check(case, &self.config.targets, now);
        if t.is_empty() {
            return (events, raised);
        }
        let event = |kind: &str, detail| CaseEvent {
            case_id: case.id,
            at: now,
            actor: "system".into(),
            kind: kind.into(),
            detail,
        };
        for (kind, due) in &t.breaches {
            events.push(event("sla_breach", json!({"target": kind, "due": due})));
            raised.push(SlaEvent {
                case_id: case.id,
                channel: case.channel.clone(),
                mention: case.mentions.first().cloned(),
                kind: format!("breach:{}", kind.as_str()),
                due: *due,
                assignee: case.assignee.clone(),
            });
        }
        if let Some(due) = t.follow_up_due {
            events.push(event("follow_up_due", json!({"due": due})));
            raised.push(SlaEvent {
                case_id: case.id,
                channel: case.channel.clone(),
                mention: case.mentions.first().cloned(),
                kind: "follow_up_due".into(),
                due,
                assignee: case.assignee.clone(),
            });
        }
        // An unanswered case grows more urgent with age.
        if let Some(since) = case.waiting_since() {
            let hours = priority::hours_between(since, now);
            let aged = case.risk * (1.0 + hours / 4.0);
            let p = priority::bucket(aged, case.dont_feed);
            if p < case.priority {
                events.push(event(
                    "priority_changed",
                    json!({"from": case.priority, "to": p, "why": "age"}),
                ));
                case.priority = p;
            }
        }
        (events, raised)
    }

    /// Links the cases of an alert's evidence to its crisis and raises their priority.
    pub fn link_alert(&self, alert: &Alert) -> Result<Vec<CaseId>, InboxError> {
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        if !alert.crisis {
            return Ok(Vec::new());
        }
        let now = self.clock.now();
        let mut ids: Vec<CaseId> = Vec::new();
        for m in &alert.evidence {
            if let Some(id) = self.store.case_of_mention(m)? {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        let mut linked = Vec::new();
        for id in ids {
            let Some(mut case) = self.store.get_case(id)? else {
                continue;
            };
            if case.crisis_id.as_deref() == Some(alert.id.as_str()) || !case.status.is_open() {
                continue;
            }
            case.crisis_id = Some(alert.id.clone());
            case.risk *= priority::CRISIS_FACTOR;
            let p = priority::bucket(case.risk, case.dont_feed);
            case.priority = case.priority.min(p);
            let ev = CaseEvent {
                case_id: id,
                at: now,
                actor: "system".into(),
                kind: "crisis_linked".into(),
                detail: json!({"alert": alert.id, "priority": case.priority}),
            };
            match self.store.save_case(&mut case, &[ev], &[]) {
                Ok(_) => linked.push(id),
                Err(StoreFailure::Conflict(_)) => {} // changed meanwhile; the next alert links it
                Err(e) => return Err(e.into()),
            }
        }
        Ok(linked)
    }

    /// Judges a delete, hide or block request, audits the verdict, and records it when
    /// allowed. Refusals come back as `Verdict::Refused` (and are in the audit log).
    pub fn moderate(&self, req: ModerationRequest) -> Result<Verdict, InboxError> {
        let now = self.clock.now();
        let actor = req.requested_by.name.clone();
        let action = format!("{}.{}", target_kind(&req.target), req.action.as_str());
        let target = req.target.audit_target();
        let reason = req.reason.clone();
        let approver = req.approver.as_ref().map(|a| a.name.clone());
        let verdict = guard::judge(req);
        let detail =
            |why: &str| json!({"reason": reason, "approver": approver, "why": why}).to_string();
        match &verdict {
            Verdict::Refused { why } => self.store.append_audit(&[AuditDraft::new(
                now,
                &actor,
                &action,
                &target,
                Outcome::Refused,
                detail(why),
            )])?,
            Verdict::NeedsApproval { why } => self.store.append_audit(&[AuditDraft::new(
                now,
                &actor,
                &action,
                &target,
                Outcome::Pending,
                detail(why),
            )])?,
            Verdict::Allowed(approved) => {
                self.store.record_moderation(
                    approved,
                    now,
                    &AuditDraft::new(now, &actor, &action, &target, Outcome::Done, detail("")),
                )?;
            }
        }
        Ok(verdict)
    }
}

fn target_kind(t: &guard::Target) -> &'static str {
    match t {
        guard::Target::Mention { .. } => "mention",
        guard::Target::Author { .. } => "author",
    }
}

fn require_agent(actor: &Actor, what: &str) -> Result<(), InboxError> {
    if actor.role < Role::Agent {
        return Err(InboxError::Forbidden(format!(
            "{} is a viewer; viewers cannot {what}",
            actor.name
        )));
    }
    Ok(())
}

/// The agent for a case: among those with room who speak its language (agents with no
/// languages listed speak all), a specialist of its category first, then the lightest load.
pub fn pick_agent(agents: &[Agent], case: &Case, load: &HashMap<String, u64>) -> Option<String> {
    let lang = case.lang.as_deref();
    let category = case.category.map(|c| c.as_str());
    let fits = |a: &&Agent| {
        a.role >= Role::Agent
            && load.get(&a.name).copied().unwrap_or(0) < u64::from(a.capacity)
            && (a.languages.is_empty() || lang.is_some_and(|l| a.languages.iter().any(|x| x == l)))
    };
    agents
        .iter()
        .filter(fits)
        // Prefer specialists of the category, then the lightest load, then the name.
        .min_by_key(|a| {
            let specialist = category.is_some_and(|c| a.skills.iter().any(|s| s == c));
            (
                !specialist,
                load.get(&a.name).copied().unwrap_or(0),
                a.name.clone(),
            )
        })
        .map(|a| a.name.clone())
}

/// The next target of a case and how long is left, for countdowns.
pub fn countdown(case: &Case, now: DateTime<Utc>) -> Option<(SlaKind, i64)> {
    sla::Due::next(case).map(|(k, at)| (k, (at - now).num_seconds()))
}
