//! The crisis room API and the post-mortem: crises opened from alerts by the plan, their
//! timeline, checklist, escalation, statements and metrics. People act as a person of the
//! plan's team: the account of the API token (`Authorization: Bearer`), or the name in
//! `X-Firebreak-User` where `[server] trust_user_header` trusts it.

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use firebreak_crisis::report::{LintEvent, PostMortem};
use firebreak_crisis::{metrics, CrisisId, CrisisRoom, CrisisStatus, RoomError};
use firebreak_plan::StatementKind;
use firebreak_respond::audit::Outcome;
use firebreak_respond::store::{CaseQuery, CaseStore};
use firebreak_respond::CaseStatus;
use firebreak_store::{MentionQuery, MentionStore};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{run, ApiError, AppState};

impl From<RoomError> for ApiError {
    fn from(e: RoomError) -> Self {
        match e {
            RoomError::NotFound(_) => ApiError::NotFound(e.to_string()),
            RoomError::Forbidden(_) => ApiError::Forbidden(e.to_string()),
            RoomError::Invalid(_) => ApiError::BadRequest(e.to_string()),
            RoomError::Store(
                firebreak_crisis::CrisisStoreError::Conflict(_)
                | firebreak_crisis::CrisisStoreError::PlanConflict(_),
            ) => ApiError::Conflict(e.to_string()),
            RoomError::Store(_) => ApiError::Internal(e.to_string()),
        }
    }
}

fn room(state: &AppState) -> Result<Arc<CrisisRoom>, ApiError> {
    state.crisis.clone().ok_or_else(|| {
        ApiError::Unavailable(
            "no crisis plan is loaded: set [crisis] plan = \"PATH\" (see examples/plan.toml)"
                .into(),
        )
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    active: Option<bool>,
    limit: Option<usize>,
}

/// `GET /api/v1/crises`: newest first (`active=true`: only those not resolved).
pub(crate) async fn list(
    State(state): State<AppState>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(p) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let room = room(&state)?;
    run(move || {
        let list = room
            .store()
            .list_crises(p.active.unwrap_or(false), p.limit.unwrap_or(50))
            .map_err(RoomError::from)?;
        Ok(Json(json!({ "crises": list })))
    })
    .await
}

/// `GET /api/v1/crises/{id}`: the crisis with its timeline and live metrics.
pub(crate) async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<CrisisId>,
) -> Result<Json<Value>, ApiError> {
    let room = room(&state)?;
    let (mentions, cases) = stores(&state)?;
    run(move || {
        let pm = room_post_mortem(&room, mentions.as_ref(), cases.as_ref(), id)?;
        Ok(Json(json!({
            "crisis": pm.crisis,
            "events": pm.events,
            "metrics": pm.metrics,
        })))
    })
    .await
}

/// The stores a post-mortem reads.
type ReportStores = (Arc<dyn MentionStore>, Arc<dyn CaseStore>);

fn stores(state: &AppState) -> Result<ReportStores, ApiError> {
    let inbox = state.inbox.clone().ok_or_else(|| {
        ApiError::Unavailable("the inbox is off; crisis metrics need its cases".into())
    })?;
    Ok((state.store.clone(), inbox.store().clone()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Action {
    /// acknowledge, status, step, role, note, lessons, draft, approve, publish.
    action: String,
    status: Option<String>,
    step: Option<usize>,
    #[serde(default)]
    skip: bool,
    role: Option<String>,
    person: Option<String>,
    text: Option<String>,
    #[serde(default)]
    action_items: Vec<String>,
    /// draft: holding, apology, update, resolution.
    kind: Option<String>,
    statement: Option<u32>,
}

/// `POST /api/v1/crises/{id}/actions`.
pub(crate) async fn act(
    State(state): State<AppState>,
    Path(id): Path<CrisisId>,
    headers: HeaderMap,
    body: Result<Json<Action>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(a) = body.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let room = room(&state)?;
    let who = crate::cases::caller(&state, &headers, "your person id from the crisis plan")
        .await?
        .name()
        .to_owned();
    run(move || {
        let need = |v: Option<String>, what: &str| {
            v.ok_or_else(|| ApiError::BadRequest(format!("{} needs {what}", a.action)))
        };
        let c = match a.action.as_str() {
            "acknowledge" => room.acknowledge(id, &who)?,
            "status" => {
                let s = need(a.status.clone(), "status")?;
                let to = CrisisStatus::parse(&s).ok_or_else(|| {
                    ApiError::BadRequest(format!("status {s:?}: use declared, responding, contained, recovering, resolved or reviewed"))
                })?;
                room.advance(id, to, &who)?
            }
            "step" => {
                let step = a.step.ok_or_else(|| ApiError::BadRequest("step needs step (0-based)".into()))?;
                room.step(id, step, a.skip, &who)?
            }
            "role" => room.assign_role(
                id,
                &need(a.role.clone(), "role")?,
                &need(a.person.clone(), "person")?,
                &who,
            )?,
            "note" => room.note(id, &need(a.text.clone(), "text")?, &who)?,
            "lessons" => room.lessons(id, &need(a.text.clone(), "text")?, &a.action_items, &who)?,
            "draft" => {
                let k = need(a.kind.clone(), "kind")?;
                let kind = statement_kind(&k)?;
                room.draft(id, kind, &who)?
            }
            "approve" => room.approve(
                id,
                a.statement.ok_or_else(|| ApiError::BadRequest("approve needs statement".into()))?,
                &who,
            )?,
            "publish" => room.publish(
                id,
                a.statement.ok_or_else(|| ApiError::BadRequest("publish needs statement".into()))?,
                &who,
            )?,
            "revise" => room.revise(
                id,
                a.statement.ok_or_else(|| ApiError::BadRequest("revise needs statement".into()))?,
                &need(a.text.clone(), "text")?,
                &who,
            )?,
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown action {other:?}; use acknowledge, status, step, role, note, lessons, draft, revise, approve or publish"
                )))
            }
        };
        Ok(Json(json!({ "crisis": c })))
    })
    .await
}

pub fn statement_kind(k: &str) -> Result<StatementKind, ApiError> {
    match k {
        "holding" => Ok(StatementKind::Holding),
        "apology" => Ok(StatementKind::Apology),
        "update" => Ok(StatementKind::Update),
        "resolution" => Ok(StatementKind::Resolution),
        other => Err(ApiError::BadRequest(format!(
            "statement kind {other:?}: use holding, apology, update or resolution"
        ))),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportParams {
    format: Option<String>,
}

/// `GET /api/v1/crises/{id}/report?format=md|html|json`: the post-mortem.
pub(crate) async fn report(
    State(state): State<AppState>,
    Path(id): Path<CrisisId>,
    params: Result<Query<ReportParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let room = room(&state)?;
    let (mentions, cases) = stores(&state)?;
    let format = p.format.unwrap_or_else(|| "html".into());
    run(move || {
        let pm = room_post_mortem(&room, mentions.as_ref(), cases.as_ref(), id)?;
        report_response(&pm, &format)
    })
    .await
}

/// Gathers a crisis's post-mortem: its timeline, its cases and their replies, the channel's
/// mentions from a day before the onset to the end, and the guardrail events of the window.
/// The post-mortem as a response: `md` (or `markdown`), `html` (with a CSP that allows no
/// script) or `json`.
pub fn report_response(pm: &PostMortem, format: &str) -> Result<Response, ApiError> {
    Ok(match format {
        "md" | "markdown" => (
            [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
            pm.markdown(),
        )
            .into_response(),
        "html" => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'",
                ),
            ],
            pm.html(),
        )
            .into_response(),
        "json" => Json(serde_json::to_value(pm).unwrap_or(Value::Null)).into_response(),
        other => {
            return Err(ApiError::BadRequest(format!(
                "format {other:?}: use md, html or json"
            )))
        }
    })
}

/// The post-mortem of crisis `id` of `room`, as of the room's clock.
pub fn room_post_mortem(
    room: &CrisisRoom,
    mentions: &dyn MentionStore,
    cases: &dyn CaseStore,
    id: CrisisId,
) -> Result<PostMortem, ApiError> {
    post_mortem(room.store().as_ref(), mentions, cases, id, room.now())
}

pub fn post_mortem(
    crises: &dyn firebreak_crisis::CrisisStore,
    mentions: &dyn MentionStore,
    cases: &dyn CaseStore,
    id: CrisisId,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<PostMortem, ApiError> {
    let crisis = crises
        .get_crisis(id)
        .map_err(RoomError::from)?
        .ok_or(RoomError::NotFound(id))?;
    let events = crises.crisis_events(id).map_err(RoomError::from)?;
    let end = crisis.status_at.get("resolved").copied().unwrap_or(now);
    let since = crisis.onset_at - chrono::Duration::hours(24);
    let mut window = Vec::new();
    let mut q = MentionQuery {
        channel: Some(crisis.channel.clone()),
        since: Some(since),
        until: Some(end + chrono::Duration::seconds(1)),
        limit: firebreak_store::MAX_PAGE_SIZE,
        ..MentionQuery::default()
    };
    loop {
        let page = mentions.search_mentions(&q)?;
        window.extend(page.mentions.into_iter().map(|m| m.mention));
        match page.next_cursor {
            Some(c) if window.len() < 2_000_000 => {
                q.after = Some(firebreak_store::Cursor::decode(&c)?)
            }
            _ => break,
        }
    }
    let mut crisis_cases = Vec::new();
    for alert in &crisis.alert_ids {
        let found = cases
            .list_cases(&CaseQuery {
                statuses: CaseStatus::ALL.to_vec(),
                crisis_id: Some(alert.clone()),
                limit: 1000,
                ..CaseQuery::default()
            })
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        for c in found {
            if !crisis_cases
                .iter()
                .any(|x: &firebreak_respond::Case| x.id == c.id)
            {
                crisis_cases.push(c);
            }
        }
    }
    let metrics = metrics::compute(&crisis, &window, &crisis_cases, now);
    let mut events = events;
    // Mention milestones: the 10th, 100th, 1,000th... mention on the channel since the onset.
    let mut since_onset: Vec<chrono::DateTime<chrono::Utc>> = window
        .iter()
        .map(|m| m.created_at)
        .filter(|t| *t >= crisis.onset_at)
        .collect();
    since_onset.sort();
    let mut milestone = 10usize;
    while milestone <= since_onset.len() {
        events.push(firebreak_crisis::CrisisEvent {
            crisis_id: id,
            at: since_onset[milestone - 1],
            actor: "system".into(),
            kind: "milestone".into(),
            detail: json!({"mentions_since_onset": milestone}),
        });
        milestone *= 10;
    }
    let mut lint_events = Vec::new();
    for c in &crisis_cases {
        for r in cases
            .replies(c.id)
            .map_err(|e| ApiError::Internal(e.to_string()))?
        {
            events.push(firebreak_crisis::CrisisEvent {
                crisis_id: id,
                at: r.at,
                actor: r.author.clone(),
                kind: "reply".into(),
                detail: json!({"case": c.id, "public": r.private_channel.is_none(), "text": r.text}),
            });
            let rules: Vec<String> = r
                .lint
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|f| f["rule"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if !rules.is_empty() {
                lint_events.push(LintEvent {
                    case_id: c.id,
                    at: r.at,
                    author: r.author,
                    rules,
                });
            }
        }
    }
    let mut guardrail_events = Vec::new();
    let mut after = 0;
    loop {
        let page = cases
            .audit_entries(after, 10_000)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        guardrail_events.extend(
            page.into_iter()
                .filter(|e| e.at >= crisis.onset_at && e.at <= end && e.outcome != Outcome::Done),
        );
    }
    events.sort_by_key(|e| e.at);
    Ok(PostMortem {
        crisis,
        events,
        metrics,
        guardrail_events,
        lint_events,
    })
}
