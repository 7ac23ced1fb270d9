//! The crisis room's rules: opening from alerts, escalation timers, the checklist, roles,
//! statements and their approval, the lifecycle.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use firebreak_core::Alert;
use firebreak_plan::{ApprovalAction, Plan, StatementKind};
use firebreak_respond::audit::{AuditDraft, Outcome};
use firebreak_respond::lint::Linter;
use firebreak_respond::sla::Clock;
use firebreak_respond::store::CaseStore;
use serde_json::json;

use crate::{
    Crisis, CrisisEvent, CrisisId, CrisisStatus, CrisisStore, CrisisStoreError, EscalationState,
    Page, Pager, Recipient, StatementDraft, StatementStatus, StepState,
};

#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    #[error("crisis #{0} does not exist")]
    NotFound(CrisisId),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] CrisisStoreError),
}

/// The plan in force, the text it was read from, and its version (0: the file given at
/// start; n: the n-th version saved through the editor).
#[derive(Clone)]
pub struct PlanInForce {
    pub plan: Arc<Plan>,
    pub text: Arc<String>,
    pub version: u64,
}

pub struct CrisisRoom {
    current: std::sync::RwLock<PlanInForce>,
    store: Arc<dyn CrisisStore>,
    pager: Arc<dyn Pager>,
    clock: Arc<dyn Clock>,
    linter: Option<Arc<Linter>>,
    audit: Option<Arc<dyn CaseStore>>,
    drill: bool,
    /// Serialises this process's read-modify-write of crises.
    writing: std::sync::Mutex<()>,
}

const MAX_EVIDENCE: usize = 500;

impl CrisisRoom {
    pub fn new(
        plan: Arc<Plan>,
        store: Arc<dyn CrisisStore>,
        pager: Arc<dyn Pager>,
        clock: Arc<dyn Clock>,
    ) -> CrisisRoom {
        CrisisRoom {
            current: std::sync::RwLock::new(PlanInForce {
                plan,
                text: Arc::new(String::new()),
                version: 0,
            }),
            store,
            pager,
            clock,
            linter: None,
            audit: None,
            drill: false,
            writing: std::sync::Mutex::new(()),
        }
    }

    /// Lints drafted statements.
    pub fn with_linter(mut self, linter: Arc<Linter>) -> CrisisRoom {
        self.linter = Some(linter);
        self
    }

    /// Writes people's actions (and refusals) to the audit log.
    pub fn with_audit(mut self, audit: Arc<dyn CaseStore>) -> CrisisRoom {
        self.audit = Some(audit);
        self
    }

    /// Crises opened by this room are drills.
    pub fn as_drill(mut self) -> CrisisRoom {
        self.drill = true;
        self
    }

    /// The plan in force (a snapshot: an edit saved meanwhile applies to later calls).
    pub fn plan(&self) -> Arc<Plan> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .plan
            .clone()
    }

    /// The plan in force with its text and version.
    pub fn plan_in_force(&self) -> PlanInForce {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Records the text and version the plan was read from (at start).
    pub fn with_source(self, text: String, version: u64) -> CrisisRoom {
        {
            let mut c = self.current.write().unwrap_or_else(|e| e.into_inner());
            c.text = Arc::new(text);
            c.version = version;
        }
        self
    }

    /// Puts a new version of the plan in force: crises open or escalate by it from now on
    /// (open crises keep the checklist they have).
    pub fn replace_plan(&self, plan: Plan, text: String, version: u64) {
        let mut c = self.current.write().unwrap_or_else(|e| e.into_inner());
        if version > c.version || c.version == 0 {
            *c = PlanInForce {
                plan: Arc::new(plan),
                text: Arc::new(text),
                version,
            };
        }
    }

    /// Puts the newest version saved in the store in force when it is newer than this
    /// room's (another node saved it). A saved version that no longer validates is left
    /// out, with a warning.
    pub fn refresh_plan(&self) -> Result<u64, RoomError> {
        let have = self.plan_in_force().version;
        if let Some(v) = self.store.latest_plan()? {
            if v.version > have {
                match firebreak_plan::parse(&v.text, &format!("plan version {}", v.version)) {
                    Ok(plan) => self.replace_plan(plan, v.text, v.version),
                    Err(e) => {
                        tracing::warn!(error = %e, "a saved plan version does not validate; keeping the plan in force")
                    }
                }
            }
        }
        Ok(self.plan_in_force().version)
    }

    pub fn store(&self) -> &Arc<dyn CrisisStore> {
        &self.store
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn get(&self, id: CrisisId) -> Result<Crisis, RoomError> {
        self.store.get_crisis(id)?.ok_or(RoomError::NotFound(id))
    }

    fn recipients(&self, names: &[String]) -> Vec<Recipient> {
        self.plan()
            .resolve(names)
            .into_iter()
            .map(|p| Recipient {
                id: p.id.clone(),
                name: p.name.clone(),
                email: p.email.clone(),
            })
            .collect()
    }

    fn page(&self, c: &Crisis, key: &str, what: &str, names: &[String]) -> Vec<String> {
        let to = self.recipients(names);
        let ids = to.iter().map(|r| r.id.clone()).collect();
        let drill = if c.drill { "[DRILL] " } else { "" };
        self.pager.page(Page {
            key: format!("crisis-{}-{key}", c.id),
            severity: c.severity,
            subject: format!(
                "{drill}[Firebreak crisis #{} sev {}] {what}: {}",
                c.id, c.severity, c.title
            ),
            text: format!(
                "{drill}Crisis #{} on {} is {} (severity {}).\n{}\nTerms: {}\nAcknowledge it in the crisis room: firebreak crisis ack {} --as YOUR_ID",
                c.id,
                c.channel,
                c.status.as_str(),
                c.severity,
                c.title,
                c.terms.join(", "),
                c.id
            ),
            to,
            drill: c.drill,
        });
        ids
    }

    /// An alert arrived. Opens a crisis when the alert meets a severity's criteria and the
    /// channel has none active; otherwise records it in the active crisis and raises its
    /// severity when the plan says so. `onset` is the earliest evidence mention's time.
    pub fn on_alert(
        &self,
        alert: &Alert,
        onset: Option<DateTime<Utc>>,
    ) -> Result<Option<CrisisId>, RoomError> {
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let plan = self.plan();
        let Some(severity) = plan.severity_for(alert) else {
            return Ok(None);
        };
        let level = severity.level;
        self.open_or_join(alert, level, onset, "system").map(Some)
    }

    /// Opens a crisis by hand (from cases or an alert the detectors did not escalate): it
    /// starts declared, acknowledged by the person who opened it.
    pub fn open_by_hand(
        &self,
        alert: &Alert,
        level: u8,
        onset: Option<DateTime<Utc>>,
        who: &str,
    ) -> Result<Crisis, RoomError> {
        if let Err(e) = self.person(who) {
            self.audit(who, "open", 0, Outcome::Refused, e.to_string());
            return Err(e);
        }
        if self.plan().severity(level).is_none() {
            return Err(RoomError::Invalid(format!(
                "the plan has no severity {level}; it has {}",
                self.plan()
                    .severities
                    .iter()
                    .map(|s| s.level.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let id = {
            let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
            self.open_or_join(alert, level, onset, who)?
        };
        self.audit(
            who,
            "open",
            id,
            Outcome::Done,
            format!("severity {level}: {}", alert.summary),
        );
        if self.get(id)?.status < CrisisStatus::Declared {
            self.advance(id, CrisisStatus::Declared, who)
        } else {
            self.get(id)
        }
    }

    fn open_or_join(
        &self,
        alert: &Alert,
        level: u8,
        onset: Option<DateTime<Utc>>,
        actor: &str,
    ) -> Result<CrisisId, RoomError> {
        let plan = self.plan();
        let severity = plan
            .severity(level)
            .ok_or_else(|| RoomError::Invalid(format!("the plan has no severity {level}")))?;
        // Event time: the alert's (a replay's clock may run ahead of its alerts).
        let now = alert.raised_at.min(self.clock.now());
        let channel = alert.channel.as_str();
        let mut events = Vec::new();
        let ev = |id: CrisisId, kind: &str, detail: serde_json::Value| CrisisEvent {
            crisis_id: id,
            at: now,
            actor: actor.into(),
            kind: kind.into(),
            detail,
        };
        let onset = onset.unwrap_or(alert.raised_at).min(alert.raised_at);
        let key = alert.emission_key();
        if let Some(mut c) = self.store.active_crisis(channel)? {
            if c.alert_ids.contains(&alert.id) {
                // An emission sent again after a crash (the outbox re-sends what was never
                // confirmed) is already in this crisis: it must not join twice.
                let seen = self.store.crisis_events(c.id)?.iter().any(|e| {
                    matches!(e.kind.as_str(), "alert" | "opened")
                        && e.detail.get("key").and_then(|k| k.as_str()) == Some(key.as_str())
                });
                if seen {
                    return Ok(c.id);
                }
            } else {
                c.alert_ids.push(alert.id.clone());
            }
            for t in &alert.terms {
                if !c.terms.contains(t) {
                    c.terms.push(t.clone());
                }
            }
            for e in &alert.evidence {
                if c.evidence.len() < MAX_EVIDENCE && !c.evidence.iter().any(|x| x == e.as_str()) {
                    c.evidence.push(e.as_str().to_owned());
                }
            }
            c.onset_at = c.onset_at.min(onset);
            events.push(ev(
                c.id,
                "alert",
                json!({"alert": alert.id, "severity": alert.severity, "summary": alert.summary, "key": key}),
            ));
            if level > c.severity {
                events.push(ev(
                    c.id,
                    "escalated_severity",
                    json!({"from": c.severity, "to": level}),
                ));
                c.severity = level;
                self.instantiate(&mut c, level, now);
                self.start_escalation(&mut c, level, now, "severity raised", &mut events);
            }
            self.store.save_crisis(&mut c, &events)?;
            return Ok(c.id);
        }
        let mut roles: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for p in &self.plan().people {
            for r in &p.roles {
                roles
                    .entry(r.as_str().to_owned())
                    .or_default()
                    .push(p.id.clone());
            }
        }
        let mut c = Crisis {
            id: 0,
            version: 0,
            channel: channel.to_owned(),
            title: alert.summary.clone(),
            status: CrisisStatus::Detected,
            severity: level,
            drill: self.drill || channel.starts_with("drill:"),
            alert_ids: vec![alert.id.clone()],
            terms: alert.terms.clone(),
            evidence: alert
                .evidence
                .iter()
                .take(MAX_EVIDENCE)
                .map(|m| m.as_str().to_owned())
                .collect(),
            onset_at: onset,
            first_alert_at: alert.raised_at,
            opened_at: now,
            status_at: BTreeMap::from([(CrisisStatus::Detected.as_str().to_owned(), now)]),
            roles,
            checklist: Vec::new(),
            escalation: EscalationState::default(),
            statements: Vec::new(),
            lessons: String::new(),
            action_items: Vec::new(),
        };
        // Ids first: pages and drafts carry the crisis number.
        self.store.save_crisis(&mut c, &[])?;
        events.push(ev(
            c.id,
            "opened",
            json!({"alert": alert.id, "severity": level, "severity_name": severity.name, "drill": c.drill, "key": key}),
        ));
        self.instantiate(&mut c, level, now);
        self.start_escalation(&mut c, level, now, "crisis opened", &mut events);
        self.draft_statements(&mut c, StatementKind::Holding, now, &mut events);
        self.store.save_crisis(&mut c, &events)?;
        Ok(c.id)
    }

    /// Adds the plan's checklist steps for `level` (those not already there).
    fn instantiate(&self, c: &mut Crisis, level: u8, now: DateTime<Utc>) {
        for step in self.plan().checklist(level) {
            if c.checklist.iter().any(|s| s.task == step.task) {
                continue;
            }
            c.checklist.push(StepState {
                severity: level,
                task: step.task.clone(),
                owner: step.owner.clone(),
                due_at: now + Duration::minutes(i64::from(step.within_min)),
                done_at: None,
                done_by: None,
                skipped: false,
                overdue_noted: false,
            });
        }
    }

    fn start_escalation(
        &self,
        c: &mut Crisis,
        level: u8,
        now: DateTime<Utc>,
        what: &str,
        events: &mut Vec<CrisisEvent>,
    ) {
        let plan = self.plan();
        let Some(policy) = plan.escalation_for(level) else {
            return;
        };
        let notified = self.page(c, &format!("sev{level}"), what, &policy.notify);
        events.push(CrisisEvent {
            crisis_id: c.id,
            at: now,
            actor: "system".into(),
            kind: "notified".into(),
            detail: json!({"level": level, "to": notified}),
        });
        c.escalation = EscalationState {
            level,
            notified_at: Some(now),
            notified,
            acked_at: None,
            acked_by: None,
            renotified: 0,
            escalated: false,
            next_at: Some(now + Duration::minutes(i64::from(policy.ack_within_min))),
        };
    }

    fn draft_statements(
        &self,
        c: &mut Crisis,
        kind: StatementKind,
        now: DateTime<Utc>,
        events: &mut Vec<CrisisEvent>,
    ) {
        let templates = self.plan().templates();
        // What only people know (what happened, what we do about it) is left as a marked
        // gap that must be filled in before the statement can be published; the alert's
        // terms are a hint inside the gap, never the published words.
        let ctx = json!({
            "brand": self.plan().brand,
            "issue": fill_in(&c.terms.iter().take(4).cloned().collect::<Vec<_>>().join(", ")),
            "action": fill_in(""),
            "next_update": (now + Duration::hours(1)).format("%H:%M UTC").to_string(),
            "help_account": self.plan().rules.routing.customer_care_account,
        });
        for lang in &self.plan().languages {
            let Ok(text) = templates.render(kind.template_name(), lang, &ctx) else {
                continue;
            };
            let findings = self.lint_statement(&text, lang);
            let id = c.statements.len() as u32 + 1;
            events.push(CrisisEvent {
                crisis_id: c.id,
                at: now,
                actor: "system".into(),
                kind: "statement_drafted".into(),
                detail: json!({"statement": id, "kind": kind.as_str(), "lang": lang, "findings": findings}),
            });
            c.statements.push(StatementDraft {
                id,
                kind: kind.as_str().to_owned(),
                lang: lang.clone(),
                text,
                findings,
                status: StatementStatus::Draft,
                approvals: Vec::new(),
                published_at: None,
            });
        }
    }

    /// The linter's findings on a statement in `lang` (none without a linter).
    fn lint_statement(&self, text: &str, lang: &str) -> serde_json::Value {
        self.linter
            .as_ref()
            .map(|l| {
                let mut lc = self.plan().lint_context();
                lc.customer_lang = Some(lang.to_owned());
                lc.lang = Some(lang.to_owned());
                serde_json::to_value(l.lint(text, &lc)).unwrap_or_default()
            })
            .unwrap_or_else(|| json!([]))
    }

    /// Escalation timers and overdue steps. Call it periodically.
    pub fn tick(&self) -> Result<Vec<CrisisId>, RoomError> {
        // A plan version saved on another node comes into force here too.
        if let Err(e) = self.refresh_plan() {
            tracing::warn!(error = %e, "cannot check for a newer saved plan");
        }
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let now = self.clock.now();
        let mut touched = Vec::new();
        for mut c in self.store.crises_due(now)? {
            let mut events = Vec::new();
            if c.escalation.acked_at.is_none() && c.escalation.next_at.is_some_and(|t| t <= now) {
                if let Some(policy) = self.plan().escalation_for(c.escalation.level) {
                    let ack = Duration::minutes(i64::from(policy.ack_within_min));
                    if c.escalation.renotified < policy.renotify {
                        c.escalation.renotified += 1;
                        let n = c.escalation.renotified;
                        let to = self.page(
                            &c,
                            &format!("sev{}-renotify{n}", c.escalation.level),
                            "NOT ACKNOWLEDGED",
                            &policy.notify,
                        );
                        events.push(ev(c.id, now, "renotified", json!({"to": to, "round": n})));
                        c.escalation.next_at = Some(now + ack);
                    } else if !c.escalation.escalated && !policy.escalate_to.is_empty() {
                        c.escalation.escalated = true;
                        let to = self.page(
                            &c,
                            &format!("sev{}-escalated", c.escalation.level),
                            "ESCALATED: nobody acknowledged",
                            &policy.escalate_to,
                        );
                        c.escalation.notified.extend(to.iter().cloned());
                        events.push(ev(c.id, now, "escalated", json!({"to": to})));
                        c.escalation.next_at = None;
                    } else {
                        c.escalation.next_at = None;
                    }
                }
            }
            for (i, s) in c.checklist.iter_mut().enumerate() {
                if s.done_at.is_none() && !s.skipped && !s.overdue_noted && s.due_at <= now {
                    s.overdue_noted = true;
                    events.push(ev(
                        c.id,
                        now,
                        "step_overdue",
                        json!({"step": i, "task": s.task, "owner": s.owner, "due": s.due_at}),
                    ));
                }
            }
            if events.is_empty() {
                continue;
            }
            match self.store.save_crisis(&mut c, &events) {
                Ok(_) => touched.push(c.id),
                Err(CrisisStoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(touched)
    }

    /// The person acting, from the plan's team.
    fn person(&self, who: &str) -> Result<firebreak_plan::Person, RoomError> {
        let plan = self.plan();
        plan.person(who).cloned().ok_or_else(|| {
            RoomError::Forbidden(format!(
                "{who:?} is not in the crisis plan's team; act as one of: {}",
                self.plan()
                    .people
                    .iter()
                    .map(|p| p.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }

    fn audit(&self, who: &str, action: &str, id: CrisisId, outcome: Outcome, detail: String) {
        if let Some(a) = &self.audit {
            let _ = a.append_audit(&[AuditDraft::new(
                self.clock.now(),
                who,
                format!("crisis.{action}"),
                format!("crisis:{id}"),
                outcome,
                detail,
            )]);
        }
    }

    /// Applies a person's change, with its timeline event and audit entry; retries once on a
    /// concurrent change.
    fn act(
        &self,
        id: CrisisId,
        who: &str,
        action: &str,
        mut change: impl FnMut(&mut Crisis, DateTime<Utc>) -> Result<serde_json::Value, RoomError>,
    ) -> Result<Crisis, RoomError> {
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = self.person(who) {
            self.audit(who, action, id, Outcome::Refused, e.to_string());
            return Err(e);
        }
        for attempt in 0..3 {
            let now = self.clock.now();
            let mut c = self.get(id)?;
            let detail = match change(&mut c, now) {
                Ok(d) => d,
                Err(e) => {
                    self.audit(who, action, id, Outcome::Refused, e.to_string());
                    return Err(e);
                }
            };
            let event = CrisisEvent {
                crisis_id: id,
                at: now,
                actor: who.to_owned(),
                kind: action.to_owned(),
                detail: detail.clone(),
            };
            match self.store.save_crisis(&mut c, &[event]) {
                Ok(_) => {
                    self.audit(who, action, id, Outcome::Done, detail.to_string());
                    return Ok(c);
                }
                Err(CrisisStoreError::Conflict(_)) if attempt < 2 => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(RoomError::Store(CrisisStoreError::Conflict(id)))
    }

    /// Acknowledges the page: the escalation timer stops.
    pub fn acknowledge(&self, id: CrisisId, who: &str) -> Result<Crisis, RoomError> {
        self.act(id, who, "acknowledged", |c, now| {
            if c.escalation.acked_at.is_none() {
                c.escalation.acked_at = Some(now);
                c.escalation.acked_by = Some(who.to_owned());
                c.escalation.next_at = None;
            }
            Ok(json!({"level": c.escalation.level}))
        })
    }

    /// Moves the crisis forward in its lifecycle (or back to responding after a flare-up).
    pub fn advance(&self, id: CrisisId, to: CrisisStatus, who: &str) -> Result<Crisis, RoomError> {
        self.act(id, who, "status", |c, now| {
            let flare_up = to == CrisisStatus::Responding
                && matches!(c.status, CrisisStatus::Contained | CrisisStatus::Recovering);
            if to <= c.status && !flare_up {
                return Err(RoomError::Invalid(format!(
                    "crisis #{} is {}; it can move forward (declared, responding, contained, recovering, resolved, reviewed) or back to responding after a flare-up",
                    c.id,
                    c.status.as_str()
                )));
            }
            if to == CrisisStatus::Reviewed && c.status != CrisisStatus::Resolved {
                return Err(RoomError::Invalid("review a crisis once it is resolved".into()));
            }
            let from = c.status;
            c.status = to;
            c.status_at.entry(to.as_str().to_owned()).or_insert(now);
            if c.escalation.acked_at.is_none() && to >= CrisisStatus::Declared {
                // Declaring is acknowledging.
                c.escalation.acked_at = Some(now);
                c.escalation.acked_by = Some(who.to_owned());
                c.escalation.next_at = None;
            }
            Ok(json!({"from": from.as_str(), "to": to.as_str()}))
        })
    }

    pub fn assign_role(
        &self,
        id: CrisisId,
        role: &str,
        person: &str,
        who: &str,
    ) -> Result<Crisis, RoomError> {
        if self.plan().person(person).is_none() {
            return Err(RoomError::Invalid(format!(
                "{person:?} is not in the plan's team"
            )));
        }
        if firebreak_plan::Role::parse(role).is_none() {
            return Err(RoomError::Invalid(format!(
                "{role:?} is not a role of the plan"
            )));
        }
        self.act(id, who, "role", |c, _| {
            c.roles.insert(role.to_owned(), vec![person.to_owned()]);
            Ok(json!({"role": role, "person": person}))
        })
    }

    /// Marks checklist step `step` (0-based) done or skipped.
    pub fn step(
        &self,
        id: CrisisId,
        step: usize,
        skip: bool,
        who: &str,
    ) -> Result<Crisis, RoomError> {
        let kind = if skip { "step_skipped" } else { "step_done" };
        self.act(id, who, kind, |c, now| {
            let s = c
                .checklist
                .get_mut(step)
                .ok_or_else(|| RoomError::Invalid(format!("crisis #{id} has no step {step}")))?;
            if s.done_at.is_some() || s.skipped {
                return Err(RoomError::Invalid(format!("step {step} is already closed")));
            }
            if skip {
                s.skipped = true;
            } else {
                s.done_at = Some(now);
                s.done_by = Some(who.to_owned());
            }
            Ok(json!({"step": step, "task": s.task, "late": now > s.due_at}))
        })
    }

    pub fn note(&self, id: CrisisId, text: &str, who: &str) -> Result<Crisis, RoomError> {
        if text.trim().is_empty() {
            return Err(RoomError::Invalid("the note is empty".into()));
        }
        self.act(id, who, "note", |_, _| Ok(json!({"text": text})))
    }

    /// Records the post-mortem's lessons and action items (editable, saved).
    pub fn lessons(
        &self,
        id: CrisisId,
        lessons: &str,
        actions: &[String],
        who: &str,
    ) -> Result<Crisis, RoomError> {
        self.act(id, who, "lessons", |c, _| {
            c.lessons = lessons.to_owned();
            c.action_items = actions.to_vec();
            Ok(json!({"actions": actions.len()}))
        })
    }

    /// Drafts statements of `kind` in the plan's languages.
    pub fn draft(&self, id: CrisisId, kind: StatementKind, who: &str) -> Result<Crisis, RoomError> {
        self.act(id, who, "statement_requested", |c, now| {
            let mut events = Vec::new();
            self.draft_statements(c, kind, now, &mut events);
            Ok(json!({"kind": kind.as_str(), "drafts": events.len()}))
        })
    }

    /// Rewrites a statement that is not published yet (filling in its gaps, correcting
    /// it). It is linted again, and its approvals are dropped: they were given to the
    /// old words.
    pub fn revise(
        &self,
        id: CrisisId,
        statement: u32,
        text: &str,
        who: &str,
    ) -> Result<Crisis, RoomError> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > 5000 {
            return Err(RoomError::Invalid(
                "write the statement's text (1 to 5000 characters)".into(),
            ));
        }
        self.act(id, who, "statement_revised", |c, _| {
            let s = c
                .statements
                .iter_mut()
                .find(|s| s.id == statement)
                .ok_or_else(|| RoomError::Invalid(format!("no statement {statement}")))?;
            if s.status == StatementStatus::Published {
                return Err(RoomError::Invalid(format!(
                    "statement {statement} is published and stays as it was; draft an update instead"
                )));
            }
            let dropped = s.approvals.len();
            s.text = text.to_owned();
            s.findings = self.lint_statement(text, &s.lang);
            s.approvals.clear();
            s.status = StatementStatus::Draft;
            Ok(json!({
                "statement": statement,
                "approvals_dropped": dropped,
                "unfilled": has_fill_in(text),
                "findings": s.findings,
            }))
        })
    }

    /// Approves a statement. Only the people or roles the plan names may approve; the
    /// statement is approved once enough distinct approvers signed.
    pub fn approve(&self, id: CrisisId, statement: u32, who: &str) -> Result<Crisis, RoomError> {
        let person = self.person(who)?.clone();
        self.act(id, who, "statement_approved", |c, _| {
            let plan = self.plan();
            let rules = plan.approvals_for(ApprovalAction::Statement, c.severity);
            let allowed = rules.is_empty()
                || rules.iter().any(|r| {
                    r.approvers.iter().any(|a| {
                        *a == person.id
                            || firebreak_plan::Role::parse(a)
                                .is_some_and(|role| person.has_role(role))
                    })
                });
            if !allowed {
                return Err(RoomError::Forbidden(format!(
                    "{} may not approve statements at severity {}; the plan names: {}",
                    person.id,
                    c.severity,
                    rules
                        .iter()
                        .flat_map(|r| r.approvers.iter().cloned())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            let needed = rules.iter().map(|r| r.min_approvers).max().unwrap_or(1) as usize;
            let s = c
                .statements
                .iter_mut()
                .find(|s| s.id == statement)
                .ok_or_else(|| RoomError::Invalid(format!("no statement {statement}")))?;
            if !s.approvals.contains(&person.id) {
                s.approvals.push(person.id.clone());
            }
            if s.approvals.len() >= needed && s.status == StatementStatus::Draft {
                s.status = StatementStatus::Approved;
            }
            Ok(json!({"statement": statement, "approvals": s.approvals, "status": s.status}))
        })
    }

    /// Publishes an approved statement (the connector posts it; a drill posts nothing).
    pub fn publish(&self, id: CrisisId, statement: u32, who: &str) -> Result<Crisis, RoomError> {
        self.act(id, who, "statement_published", |c, now| {
            let needs_approval = !self.plan().approvals_for(ApprovalAction::Statement, c.severity).is_empty();
            let s = c
                .statements
                .iter_mut()
                .find(|s| s.id == statement)
                .ok_or_else(|| RoomError::Invalid(format!("no statement {statement}")))?;
            if needs_approval && s.status != StatementStatus::Approved {
                return Err(RoomError::Forbidden(format!(
                    "statement {statement} is not approved yet; the plan requires approval before publishing"
                )));
            }
            if has_fill_in(&s.text) {
                return Err(RoomError::Invalid(format!(
                    "statement {statement} still has a gap to fill in (marked {FILL_IN}); edit it, then have it approved again"
                )));
            }
            s.status = StatementStatus::Published;
            s.published_at = Some(now);
            Ok(json!({"statement": statement, "lang": s.lang, "kind": s.kind}))
        })
    }
}

fn ev(id: CrisisId, at: DateTime<Utc>, kind: &str, detail: serde_json::Value) -> CrisisEvent {
    CrisisEvent {
        crisis_id: id,
        at,
        actor: "system".into(),
        kind: kind.into(),
        detail,
    }
}

/// The mark of a gap in a drafted statement that a person must fill in.
pub const FILL_IN: &str = "[✎";

/// A gap to fill in, with an optional hint (the alert's terms).
fn fill_in(hint: &str) -> String {
    if hint.is_empty() {
        format!("{FILL_IN}]")
    } else {
        format!("{FILL_IN} {hint}]")
    }
}

/// Whether a statement still has a gap to fill in.
pub fn has_fill_in(text: &str) -> bool {
    text.contains(FILL_IN)
}
