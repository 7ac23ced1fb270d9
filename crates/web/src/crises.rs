//! The crisis room in the browser: the list of crises, one crisis's room (status, pages
//! and acknowledgement, roles, the plan's checklist with due times, statements drafted from
//! the plan, linted, approved and published, notes, lessons, the timeline and live
//! metrics), its post-mortem, and the loaded crisis plan.
//!
//! Every change goes through [`CrisisRoom`], which checks the person against the plan's
//! team and audits it; the page only translates forms into those calls.

use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{DateTime, Utc};
use firebreak_crisis::{CrisisId, CrisisRoom, CrisisStatus, RoomError};
use firebreak_respond::guard::Role;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::i18n::Tr;
use crate::pages::Me;
use crate::{WebError, WebState};

impl From<RoomError> for WebError {
    fn from(e: RoomError) -> Self {
        WebError::from(firebreak_server::ApiError::from(e))
    }
}

fn room(state: &WebState) -> Result<Arc<CrisisRoom>, WebError> {
    state.app.crisis.clone().ok_or_else(|| {
        WebError::Unavailable(
            "no crisis plan is loaded: set [crisis] plan = \"PATH\" in firebreak.toml (see examples/plan.toml)"
                .into(),
        )
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    tokio::task::spawn_blocking(f).await?
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

fn when_opt(t: Option<DateTime<Utc>>) -> String {
    t.map(when).unwrap_or_else(|| "–".into())
}

fn mins(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), |m| format!("{m:.1} min"))
}

pub(crate) struct CrisisRow {
    id: CrisisId,
    title: String,
    channel: String,
    status: &'static str,
    severity: u8,
    opened: String,
    drill: bool,
}

#[derive(Template)]
#[template(path = "crises.html")]
struct CrisesPage {
    tr: Tr,
    me: Me,
    crises: Vec<CrisisRow>,
}

/// `GET /crises`
pub(crate) async fn list(
    State(state): State<WebState>,
    user: CurrentUser,
) -> Result<Response, WebError> {
    let room = room(&state)?;
    let crises = blocking(move || {
        Ok(room
            .store()
            .list_crises(false, 200)
            .map_err(RoomError::from)?)
    })
    .await?;
    let page = CrisesPage {
        tr: user.tr(),
        me: Me::of(&user),
        crises: crises
            .into_iter()
            .map(|c| CrisisRow {
                id: c.id,
                title: c.title,
                channel: c.channel,
                status: c.status.as_str(),
                severity: c.severity,
                opened: when(c.opened_at),
                drill: c.drill,
            })
            .collect(),
    };
    Ok(Html(page.render()?).into_response())
}

struct StepRow {
    index: usize,
    task: String,
    owner: String,
    due: String,
    state: &'static str,
    done_by: String,
}

struct StatementRow {
    id: u32,
    kind: String,
    lang: String,
    text: String,
    status: String,
    approvals: String,
    findings: Vec<String>,
    published: String,
    /// Still has a gap to fill in: it cannot be published yet.
    unfilled: bool,
}

struct EventRow {
    time: String,
    actor: String,
    kind: String,
    detail: String,
}

struct RoleRow {
    role: String,
    people: String,
}

struct MetricRow {
    name: &'static str,
    value: String,
}

#[derive(Template)]
#[template(path = "crisis.html")]
struct CrisisPage {
    tr: Tr,
    me: Me,
    id: CrisisId,
    title: String,
    channel: String,
    status: &'static str,
    severity: u8,
    drill: bool,
    terms: String,
    onset: String,
    first_alert: String,
    opened: String,
    acked: String,
    notified: String,
    next_page: String,
    needs_ack: bool,
    next_statuses: Vec<&'static str>,
    roles: Vec<RoleRow>,
    role_names: Vec<String>,
    people: Vec<String>,
    steps: Vec<StepRow>,
    statements: Vec<StatementRow>,
    kinds: Vec<&'static str>,
    events: Vec<EventRow>,
    metrics: Vec<MetricRow>,
    lessons: String,
    action_items: String,
    flash: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CrisisParams {
    done: Option<String>,
}

/// `GET /crises/{id}`: the crisis room.
pub(crate) async fn room_page(
    State(state): State<WebState>,
    user: CurrentUser,
    Path(id): Path<CrisisId>,
    Query(p): Query<CrisisParams>,
) -> Result<Response, WebError> {
    let room = room(&state)?;
    let mentions = state.app.store.clone();
    let cases = state.cases.clone();
    let tr = user.tr();
    let me = Me::of(&user);
    let page = blocking(move || {
        let pm = firebreak_server::crises::room_post_mortem(
            &room,
            mentions.as_ref(),
            cases.as_ref(),
            id,
        )?;
        let c = &pm.crisis;
        let m = &pm.metrics;
        let plan = room.plan();
        let next_statuses = CrisisStatus::ALL
            .iter()
            .copied()
            .filter(|s| *s > c.status)
            .map(CrisisStatus::as_str)
            .collect();
        let steps = c
            .checklist
            .iter()
            .enumerate()
            .map(|(i, s)| StepRow {
                index: i,
                task: s.task.clone(),
                owner: s.owner.clone(),
                due: when(s.due_at),
                state: if s.done_at.is_some() {
                    "done"
                } else if s.skipped {
                    "skipped"
                } else if s.due_at < room.now() {
                    "overdue"
                } else {
                    "open"
                },
                done_by: s.done_by.clone().unwrap_or_default(),
            })
            .collect();
        let statements = c
            .statements
            .iter()
            .map(|s| StatementRow {
                unfilled: firebreak_crisis::has_fill_in(&s.text),
                id: s.id,
                kind: s.kind.clone(),
                lang: s.lang.clone(),
                text: s.text.clone(),
                status: serde_json::to_value(s.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                approvals: s.approvals.join(", "),
                findings: s
                    .findings
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|f| {
                                format!(
                                    "{}: {}",
                                    f.get("rule").and_then(|v| v.as_str()).unwrap_or("?"),
                                    f.get("message").and_then(|v| v.as_str()).unwrap_or("")
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                published: when_opt(s.published_at),
            })
            .collect();
        let mut events: Vec<EventRow> = pm
            .events
            .iter()
            .map(|e| EventRow {
                time: when(e.at),
                actor: e.actor.clone(),
                kind: e.kind.clone(),
                detail: if e.detail.is_null() {
                    String::new()
                } else {
                    e.detail.to_string()
                },
            })
            .collect();
        events.reverse();
        let pct = |v: Option<f64>| v.map_or_else(|| "–".into(), |p| format!("{:.0} %", p * 100.0));
        let metrics = vec![
            MetricRow {
                name: "time_to_detect",
                value: mins(Some(m.time_to_detect_min)),
            },
            MetricRow {
                name: "time_to_acknowledge",
                value: mins(m.time_to_acknowledge_min),
            },
            MetricRow {
                name: "time_to_first_public_response",
                value: mins(m.time_to_first_public_response_min),
            },
            MetricRow {
                name: "crisis_cases",
                value: format!("{} ({} answered)", m.cases, m.answered),
            },
            MetricRow {
                name: "response_coverage",
                value: pct(m.response_coverage),
            },
            MetricRow {
                name: "median_response",
                value: mins(m.median_response_min),
            },
            MetricRow {
                name: "reach_exposed",
                value: m.reach_exposed.to_string(),
            },
            MetricRow {
                name: "advocates",
                value: m.advocates.len().to_string(),
            },
            MetricRow {
                name: "negative_share",
                value: format!(
                    "{:.0} % → peak {:.0} % → now {:.0} %",
                    m.baseline_negative_share * 100.0,
                    m.peak_negative_share * 100.0,
                    m.current_negative_share * 100.0
                ),
            },
            MetricRow {
                name: "recovered",
                value: if m.recovered {
                    when_opt(m.recovered_at)
                } else {
                    "no".into()
                },
            },
        ];
        Ok(CrisisPage {
            tr,
            me,
            id: c.id,
            title: c.title.clone(),
            channel: c.channel.clone(),
            status: c.status.as_str(),
            severity: c.severity,
            drill: c.drill,
            terms: c.terms.join(", "),
            onset: when(c.onset_at),
            first_alert: when(c.first_alert_at),
            opened: when(c.opened_at),
            acked: match (&c.escalation.acked_at, &c.escalation.acked_by) {
                (Some(t), Some(by)) => format!("{} ({by})", when(*t)),
                _ => String::new(),
            },
            notified: c.escalation.notified.join(", "),
            next_page: when_opt(c.escalation.next_at),
            needs_ack: c.escalation.acked_at.is_none() && c.status.is_active(),
            next_statuses,
            roles: c
                .roles
                .iter()
                .map(|(r, p)| RoleRow {
                    role: r.clone(),
                    people: p.join(", "),
                })
                .collect(),
            role_names: firebreak_plan::Role::ALL
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
            people: plan.people.iter().map(|p| p.id.clone()).collect(),
            steps,
            statements,
            kinds: vec!["holding", "apology", "update", "resolution"],
            events,
            metrics,
            lessons: c.lessons.clone(),
            action_items: c.action_items.join("\n"),
            flash: p.done.filter(|d| d == "1").map(|_| tr.t("done").to_owned()),
        })
    })
    .await?;
    Ok(Html(page.render()?).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct CrisisForm {
    csrf: String,
    action: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    step: Option<usize>,
    #[serde(default)]
    skip: Option<String>,
    #[serde(default)]
    role: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    action_items: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    statement: Option<u32>,
}

/// `POST /crises/{id}/action`: one change in the room, as the signed-in person.
pub(crate) async fn act(
    State(state): State<WebState>,
    user: CurrentUser,
    Path(id): Path<CrisisId>,
    form: Result<Form<CrisisForm>, FormRejection>,
) -> Result<Response, WebError> {
    let Form(f) = form.map_err(|e| WebError::BadRequest(e.body_text()))?;
    user.check_csrf(&f.csrf)?;
    let target = format!("crisis:{id}");
    user.require(
        &state,
        Role::Agent,
        &format!("crisis.{}", f.action),
        &target,
    )
    .await?;
    let room = room(&state)?;
    let who = user.name.clone();
    blocking(move || {
        let text = f.text.trim();
        let bad = |m: &str| WebError::BadRequest(m.to_owned());
        match f.action.as_str() {
            "acknowledge" => room.acknowledge(id, &who)?,
            "status" => {
                let to = CrisisStatus::parse(&f.status)
                    .ok_or_else(|| bad("choose the status to move to"))?;
                room.advance(id, to, &who)?
            }
            "step" => {
                let step = f.step.ok_or_else(|| bad("which step?"))?;
                room.step(id, step, f.skip.is_some(), &who)?
            }
            "role" => {
                if f.role.is_empty() || f.person.is_empty() {
                    return Err(bad("choose a role and a person"));
                }
                room.assign_role(id, &f.role, &f.person, &who)?
            }
            "note" if !text.is_empty() => room.note(id, text, &who)?,
            "lessons" if !text.is_empty() => {
                let items: Vec<String> = f
                    .action_items
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect();
                room.lessons(id, text, &items, &who)?
            }
            "note" | "lessons" => return Err(bad("write the text first")),
            "draft" => {
                let kind = firebreak_server::crises::statement_kind(&f.kind)?;
                room.draft(id, kind, &who)?
            }
            "approve" => room.approve(id, f.statement.ok_or_else(|| bad("which statement?"))?, &who)?,
            "publish" => room.publish(id, f.statement.ok_or_else(|| bad("which statement?"))?, &who)?,
            "revise" => room.revise(id, f.statement.ok_or_else(|| bad("which statement?"))?, text, &who)?,
            other => {
                return Err(WebError::BadRequest(format!(
                    "unknown action {other:?}: acknowledge, status, step, role, note, lessons, draft, revise, approve or publish"
                )))
            }
        };
        Ok(())
    })
    .await?;
    Ok(Redirect::to(&format!("/crises/{id}?done=1")).into_response())
}

/// `GET /crises/{id}/report`: the post-mortem (HTML with inline SVG; `?format=md` for
/// Markdown).
pub(crate) async fn report(
    State(state): State<WebState>,
    _user: CurrentUser,
    Path(id): Path<CrisisId>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, WebError> {
    let room = room(&state)?;
    let mentions = state.app.store.clone();
    let cases = state.cases.clone();
    let format = q.get("format").cloned().unwrap_or_else(|| "html".into());
    blocking(move || {
        let pm = firebreak_server::crises::room_post_mortem(
            &room,
            mentions.as_ref(),
            cases.as_ref(),
            id,
        )?;
        Ok(firebreak_server::crises::report_response(&pm, &format)?)
    })
    .await
}

struct PersonRow {
    id: String,
    name: String,
    roles: String,
    contact: String,
}

struct SeverityRow {
    level: u8,
    name: String,
    description: String,
    steps: Vec<String>,
}

struct EscalationRow {
    severity: u8,
    notify: String,
    ack_within: u32,
    renotify: u32,
    escalate_to: String,
}

struct StatementTemplate {
    kind: &'static str,
    lang: String,
    text: String,
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    tr: Tr,
    me: Me,
    version: u64,
    can_edit: bool,
    saved: Option<String>,
    brand: String,
    languages: String,
    people: Vec<PersonRow>,
    severities: Vec<SeverityRow>,
    escalation: Vec<EscalationRow>,
    statements: Vec<StatementTemplate>,
    do_not_promise: Vec<(String, String)>,
}

/// `GET /plan`: the crisis plan in force, as the team reads it.
pub(crate) async fn plan_page(
    State(state): State<WebState>,
    user: CurrentUser,
    Query(q): Query<PlanQuery>,
) -> Result<Response, WebError> {
    let room = room(&state)?;
    let r = room.clone();
    let version = blocking(move || Ok(r.refresh_plan()?)).await?;
    let plan = room.plan();
    let json = serde_json::to_value(&plan.statements).unwrap_or_default();
    let mut statements = Vec::new();
    for kind in ["holding", "apology", "update", "resolution"] {
        if let Some(map) = json.get(kind).and_then(|v| v.as_object()) {
            for (lang, text) in map {
                statements.push(StatementTemplate {
                    kind,
                    lang: lang.clone(),
                    text: text.as_str().unwrap_or_default().to_owned(),
                });
            }
        }
    }
    let tr = user.tr();
    let page = PlanPage {
        tr,
        me: Me::of(&user),
        version,
        can_edit: user.role >= Role::Manager,
        saved: q.saved.map(|v| format!("{} {v}", tr.t("plan_saved"))),
        brand: plan.brand.clone(),
        languages: plan.languages.join(", "),
        people: plan
            .people
            .iter()
            .map(|p| PersonRow {
                id: p.id.clone(),
                name: p.name.clone(),
                roles: p
                    .roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                contact: [Some(p.email.clone()), p.phone.clone(), p.chat.clone()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" · "),
            })
            .collect(),
        severities: plan
            .severities
            .iter()
            .map(|s| SeverityRow {
                level: s.level,
                name: s.name.clone(),
                description: s.description.clone(),
                steps: s
                    .steps
                    .iter()
                    .map(|st| format!("{} ({}, {} min)", st.task, st.owner, st.within_min))
                    .collect(),
            })
            .collect(),
        escalation: plan
            .escalation
            .levels
            .iter()
            .map(|l| EscalationRow {
                severity: l.severity,
                notify: l.notify.join(", "),
                ack_within: l.ack_within_min,
                renotify: l.renotify,
                escalate_to: l.escalate_to.join(", "),
            })
            .collect(),
        statements,
        do_not_promise: plan
            .do_not_promise
            .iter()
            .map(|(l, v)| (l.clone(), v.join(" · ")))
            .collect(),
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PlanQuery {
    saved: Option<u64>,
}

pub(crate) struct PlanProblem {
    line: usize,
    column: usize,
    problem: String,
    fix: String,
}

pub(crate) struct PlanHistoryRow {
    version: u64,
    author: String,
    when: String,
    note: String,
}

#[derive(Template)]
#[template(path = "plan_edit.html")]
pub(crate) struct PlanEditPage {
    tr: Tr,
    me: Me,
    /// The version the text was read from: saving on top of a newer one is refused.
    base: u64,
    text: String,
    note: String,
    problems: Vec<PlanProblem>,
    conflict: Option<String>,
    history: Vec<PlanHistoryRow>,
}

fn history(room: &CrisisRoom) -> Result<Vec<PlanHistoryRow>, WebError> {
    let versions = room.store().plan_history(20).map_err(RoomError::from)?;
    Ok(versions
        .into_iter()
        .map(|v| PlanHistoryRow {
            version: v.version,
            author: v.author,
            when: when(v.saved_at),
            note: v.note,
        })
        .collect())
}

/// `GET /plan/edit`: the plan's text in force, for managers and admins to change.
pub(crate) async fn plan_edit_page(
    State(state): State<WebState>,
    user: CurrentUser,
) -> Result<Response, WebError> {
    user.require(&state, Role::Manager, "plan.edit", "plan")
        .await?;
    let room = room(&state)?;
    let (current, history) = blocking(move || {
        room.refresh_plan()?;
        Ok((room.plan_in_force(), history(&room)?))
    })
    .await?;
    let page = PlanEditPage {
        tr: user.tr(),
        me: Me::of(&user),
        base: current.version,
        text: current.text.as_str().to_owned(),
        note: String::new(),
        problems: Vec::new(),
        conflict: None,
        history,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct PlanForm {
    csrf: String,
    base: u64,
    text: String,
    #[serde(default)]
    note: String,
}

/// `POST /plan/edit`: validates the text (every problem with its line, column and fix);
/// a valid plan is saved as a new version and put in force at once, on every node. A
/// save on top of a version someone else saved meanwhile is refused.
pub(crate) async fn plan_save(
    State(state): State<WebState>,
    user: CurrentUser,
    form: Result<Form<PlanForm>, FormRejection>,
) -> Result<Response, WebError> {
    let Form(f) = form.map_err(|e| WebError::BadRequest(e.body_text()))?;
    user.check_csrf(&f.csrf)?;
    user.require(&state, Role::Manager, "plan.save", "plan")
        .await?;
    let room = room(&state)?;
    let text = f.text.replace("\r\n", "\n");
    let note = f.note.trim().chars().take(200).collect::<String>();
    let (author, base) = (user.name.clone(), f.base);
    let (t, n, r) = (text.clone(), note.clone(), room.clone());
    let outcome = blocking(move || {
        let problems = firebreak_plan::diagnose(&t, "plan");
        if !problems.is_empty() {
            return Ok(Err((problems, None)));
        }
        let plan =
            firebreak_plan::parse(&t, "plan").map_err(|e| WebError::BadRequest(e.to_string()))?;
        match r.store().save_plan(base, &t, &author, &n, Utc::now()) {
            Ok(version) => {
                r.replace_plan(plan, t, version);
                Ok(Ok(version))
            }
            Err(firebreak_crisis::CrisisStoreError::PlanConflict(newer)) => {
                Ok(Err((Vec::new(), Some(newer))))
            }
            Err(e) => Err(RoomError::from(e).into()),
        }
    })
    .await?;
    match outcome {
        Ok(version) => {
            crate::auth::audit(
                &state,
                &user.name,
                "plan.save",
                "plan",
                firebreak_respond::audit::Outcome::Done,
                &format!("version {version}: {note}"),
            )
            .await;
            Ok(Redirect::to(&format!("/plan?saved={version}")).into_response())
        }
        Err((problems, conflict)) => {
            let tr = user.tr();
            let detail = match conflict {
                Some(v) => format!("version {v} was saved meanwhile"),
                None => format!("{} problem(s)", problems.len()),
            };
            crate::auth::audit(
                &state,
                &user.name,
                "plan.save",
                "plan",
                firebreak_respond::audit::Outcome::Refused,
                &detail,
            )
            .await;
            let r = room.clone();
            let history = blocking(move || history(&r)).await?;
            let page = PlanEditPage {
                tr,
                me: Me::of(&user),
                base: f.base,
                text,
                note,
                problems: problems
                    .into_iter()
                    .map(|p| PlanProblem {
                        line: p.line,
                        column: p.column,
                        problem: p.problem,
                        fix: p.fix,
                    })
                    .collect(),
                conflict: conflict.map(|v| format!("{} {v}", tr.t("plan_conflict"))),
                history,
            };
            let status = if page.conflict.is_some() {
                axum::http::StatusCode::CONFLICT
            } else {
                axum::http::StatusCode::UNPROCESSABLE_ENTITY
            };
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}
