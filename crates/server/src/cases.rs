//! The inbox API: cases, replies, moderation and the audit log. Every change goes through
//! `firebreak_respond::Inbox`, which enforces the rules and writes the audit log; this
//! module only translates HTTP.
//!
//! Who acts: `Authorization: Bearer <token>` (an API token of an account, made with
//! `firebreak user token NAME`) acts as that account with its role. With `[server]
//! trust_user_header = true` (only behind a proxy that authenticates people and sets it),
//! the `X-Firebreak-User` header may instead name an agent of `[inbox.agents]`.

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use firebreak_core::MentionId;
use firebreak_respond::audit;
use firebreak_respond::case::{CaseStatus, PrivateChannel};
use firebreak_respond::guard::{
    Actor, HideReason, ModerationAction, ModerationRequest, Role, Target, Verdict,
};
use firebreak_respond::inbox::{countdown, ReplyDraft};
use firebreak_respond::store::{CaseQuery, StoreFailure};
use firebreak_respond::{Case, Inbox, InboxError};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{run, ApiError, AppState};

pub const USER_HEADER: &str = "x-firebreak-user";

impl From<InboxError> for ApiError {
    fn from(e: InboxError) -> Self {
        match e {
            InboxError::NotFound(_) => ApiError::NotFound(e.to_string()),
            InboxError::Forbidden(_) => ApiError::Forbidden(e.to_string()),
            InboxError::Case(_) => ApiError::Conflict(e.to_string()),
            InboxError::Store(StoreFailure::Conflict(_)) => ApiError::Conflict(e.to_string()),
            InboxError::Invalid(_) => ApiError::BadRequest(e.to_string()),
            InboxError::Refused(_) => ApiError::Forbidden(e.to_string()),
            InboxError::Delivery(_) => ApiError::Unavailable(e.to_string()),
            InboxError::Store(StoreFailure::Other(_)) => ApiError::Internal(e.to_string()),
        }
    }
}

fn inbox(state: &AppState) -> Result<Arc<Inbox>, ApiError> {
    state.inbox.clone().ok_or_else(|| {
        ApiError::Unavailable(
            "the inbox is off: set [inbox] enabled = true and [analysis] enabled = true".into(),
        )
    })
}

/// Who calls the API.
pub(crate) enum Caller {
    /// An account, authenticated by its API token.
    Account { name: String, role: Role },
    /// A name in `X-Firebreak-User`, trusted by configuration.
    Named(String),
}

impl Caller {
    pub(crate) fn name(&self) -> &str {
        match self {
            Caller::Account { name, .. } | Caller::Named(name) => name,
        }
    }
}

/// The SHA-256 of an API token, as stored.
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// Who calls: the account of a valid `Authorization: Bearer` token, or (when the
/// configuration trusts it) the name in `X-Firebreak-User`; `who` says what that header
/// must name (for the error).
pub(crate) async fn caller(
    state: &AppState,
    headers: &HeaderMap,
    who: &str,
) -> Result<Caller, ApiError> {
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|v| !v.is_empty());
    if let Some(token) = bearer {
        let accounts = state.accounts.clone().ok_or_else(|| {
            ApiError::Unauthorized("this server has no accounts to check API tokens against".into())
        })?;
        let hash = token_hash(token);
        let user =
            crate::blocking(move || accounts.api_token_user(&hash, chrono::Utc::now())).await?;
        return user
            .map(|u| Caller::Account {
                name: u.name,
                role: u.role,
            })
            .ok_or_else(|| {
                ApiError::Unauthorized(
                    "the API token is unknown, revoked, expired, or its user is disabled; create one in the web app's settings or with `firebreak user token NAME`".into(),
                )
            });
    }
    if state.settings.trust_user_header {
        if let Some(name) = headers
            .get(USER_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            return Ok(Caller::Named(name.to_owned()));
        }
        return Err(ApiError::Unauthorized(format!(
            "say who acts: send Authorization: Bearer TOKEN, or the header {USER_HEADER} with {who}"
        )));
    }
    Err(ApiError::Unauthorized(
        "send Authorization: Bearer TOKEN (create one with `firebreak user token NAME`)".into(),
    ))
}

/// The acting agent: a token's account with its role, or a trusted header's agent of
/// `[inbox.agents]`.
async fn actor(state: &AppState, inbox: &Inbox, headers: &HeaderMap) -> Result<Actor, ApiError> {
    match caller(state, headers, "the name of an agent of [inbox.agents]").await? {
        Caller::Account { name, role } => Ok(Actor::new(&name, role)),
        Caller::Named(name) => inbox
            .config()
            .agents
            .iter()
            .find(|a| a.name == name)
            .map(|a| Actor::new(&a.name, a.role))
            .ok_or_else(|| {
                ApiError::Unauthorized(format!(
                    "{name:?} is not an agent of [inbox.agents]; add them to the configuration"
                ))
            }),
    }
}

fn case_json(case: &Case, now: chrono::DateTime<chrono::Utc>) -> Value {
    let mut v = serde_json::to_value(case).unwrap_or(Value::Null);
    if let (Some(obj), Some((kind, secs))) = (v.as_object_mut(), countdown(case, now)) {
        obj.insert(
            "next_target".into(),
            json!({"target": kind, "seconds_left": secs}),
        );
    }
    v
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    /// Comma-separated statuses; default: the open ones.
    status: Option<String>,
    assignee: Option<String>,
    channel: Option<String>,
    crisis: Option<String>,
    author: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
}

/// `GET /api/v1/cases`: the queue, most urgent first.
pub(crate) async fn list(
    State(state): State<AppState>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(p) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let inbox = inbox(&state)?;
    let statuses =
        CaseStatus::parse_list(p.status.as_deref().unwrap_or("")).map_err(ApiError::BadRequest)?;
    let limit = p.limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::BadRequest(
            "limit must be between 1 and 1000".into(),
        ));
    }
    let q = CaseQuery {
        statuses,
        assignee: p.assignee,
        channel: p.channel,
        crisis_id: p.crisis,
        author_key: p.author,
        limit,
        offset: p.offset.unwrap_or(0),
    };
    run(move || {
        let cases = inbox.list(&q)?;
        let total = inbox.store().count_cases(&q).map_err(InboxError::from)?;
        let now = inbox.now();
        Ok(Json(json!({
            "total": total,
            "cases": cases.iter().map(|c| case_json(c, now)).collect::<Vec<_>>(),
        })))
    })
    .await
}

/// `GET /api/v1/cases/{id}`: the case, its timeline, its replies and its mentions.
pub(crate) async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let inbox = inbox(&state)?;
    let store = state.store.clone();
    run(move || {
        let case = inbox.get(id)?;
        let events = inbox.store().case_events(id).map_err(InboxError::from)?;
        let replies = inbox.store().replies(id).map_err(InboxError::from)?;
        let mut mentions = Vec::new();
        for m in &case.mentions {
            if let Some(stored) = store.get_mention(m)? {
                mentions.push(stored.mention);
            }
        }
        Ok(Json(json!({
            "case": case_json(&case, inbox.now()),
            "events": events,
            "replies": replies,
            "mentions": mentions,
        })))
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Action {
    /// acknowledge, start, resolve, close, move_private, assign, auto_assign, note,
    /// contact_attempt.
    action: String,
    /// move_private: dm, email or phone.
    channel: Option<String>,
    /// assign: the agent.
    agent: Option<String>,
    /// note, contact_attempt.
    text: Option<String>,
}

/// `POST /api/v1/cases/{id}/actions`.
pub(crate) async fn act(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Json<Action>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(a) = body.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let inbox = inbox(&state)?;
    let who = actor(&state, &inbox, &headers).await?;
    run(move || {
        let text = a.text.as_deref().unwrap_or("");
        let case = match a.action.as_str() {
            "acknowledge" => inbox.acknowledge(id, &who)?,
            "start" => inbox.start(id, &who)?,
            "resolve" => inbox.resolve(id, &who)?,
            "close" => inbox.close(id, &who)?,
            "move_private" => {
                let ch = a
                    .channel
                    .as_deref()
                    .and_then(PrivateChannel::parse)
                    .ok_or_else(|| {
                        ApiError::BadRequest("move_private needs channel: dm, email or phone".into())
                    })?;
                inbox.move_private(id, ch, &who)?
            }
            "assign" => {
                let agent = a.agent.as_deref().ok_or_else(|| {
                    ApiError::BadRequest("assign needs agent (or use auto_assign)".into())
                })?;
                inbox.assign(id, Some(agent), &who)?
            }
            "auto_assign" => inbox.assign(id, None, &who)?,
            "note" if !text.trim().is_empty() => inbox.note(id, text, &who)?,
            "contact_attempt" if !text.trim().is_empty() => {
                inbox.contact_attempt(id, text, &who)?
            }
            "note" | "contact_attempt" => {
                return Err(ApiError::BadRequest(format!("{} needs text", a.action)))
            }
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown action {other:?}; use acknowledge, start, resolve, close, move_private, assign, auto_assign, note or contact_attempt"
                )))
            }
        };
        Ok(Json(case_json(&case, inbox.now())))
    })
    .await
}

/// `POST /api/v1/cases/{id}/replies`: records a reply (sent by hand, by a connector, or a
/// dry run).
pub(crate) async fn reply(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Json<ReplyDraft>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(draft) = body.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let inbox = inbox(&state)?;
    let who = actor(&state, &inbox, &headers).await?;
    run(move || {
        let (case, reply) = inbox.reply(id, draft, &who)?;
        Ok((
            StatusCode::CREATED,
            Json(json!({"case": case_json(&case, inbox.now()), "reply": reply})),
        ))
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Merge {
    into: i64,
    from: i64,
}

/// `POST /api/v1/cases/merge`.
pub(crate) async fn merge(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<Merge>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(m) = body.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let inbox = inbox(&state)?;
    let who = actor(&state, &inbox, &headers).await?;
    run(move || {
        let case = inbox.merge(m.into, m.from, &who)?;
        Ok(Json(case_json(&case, inbox.now())))
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Split {
    mentions: Vec<String>,
}

/// `POST /api/v1/cases/{id}/split`: moves some mentions to a new case.
pub(crate) async fn split(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Json<Split>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(s) = body.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let inbox = inbox(&state)?;
    let who = actor(&state, &inbox, &headers).await?;
    run(move || {
        let ids: Vec<MentionId> = s.mentions.into_iter().map(MentionId::new).collect();
        let case = inbox.split(id, &ids, &who)?;
        Ok((StatusCode::CREATED, Json(case_json(&case, inbox.now()))))
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Moderation {
    /// delete, hide or block.
    action: String,
    /// The mention (delete, hide).
    mention: Option<String>,
    /// The author, `platform:author_id` (block).
    author: Option<String>,
    /// hide: spam, illegal or personal_data.
    hide_reason: Option<String>,
    #[serde(default)]
    reason: String,
    /// The second person (hide) or the manager (block) who approves.
    approver: Option<String>,
}

/// `POST /api/v1/moderation`: asks the guardrails. 403 with the reason when refused, 202
/// when an approver is needed, 200 when allowed (and recorded). Every verdict is audited.
pub(crate) async fn moderate(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<Moderation>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(m) = body.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let inbox = inbox(&state)?;
    let who = actor(&state, &inbox, &headers).await?;
    let action = match m.action.as_str() {
        "delete" => ModerationAction::Delete,
        "hide" => ModerationAction::Hide,
        "block" => ModerationAction::Block,
        other => {
            return Err(ApiError::BadRequest(format!(
                "unknown moderation action {other:?}; use delete, hide or block"
            )))
        }
    };
    let hide_reason = match m.hide_reason.as_deref() {
        None => None,
        Some(r) => Some(HideReason::parse(r).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "hide_reason {r:?} is not allowed; hiding is only for spam, illegal or personal_data"
            ))
        })?),
    };
    let approver = match m.approver.as_deref() {
        None => None,
        Some(name) => Some(
            inbox
                .config()
                .agents
                .iter()
                .find(|a| a.name == name)
                .map(|a| Actor::new(&a.name, a.role))
                .ok_or_else(|| {
                    ApiError::BadRequest(format!("approver {name:?} is not an agent"))
                })?,
        ),
    };
    let store = state.store.clone();
    run(move || {
        let target = moderation_target(&inbox, &*store, action, m.mention, m.author)?;
        let verdict = inbox.moderate(ModerationRequest {
            action,
            target,
            hide_reason,
            reason: m.reason,
            requested_by: who,
            approver,
        })?;
        Ok(verdict_response(&verdict))
    })
    .await
}

/// The facts the guardrails judge on, from the store: whether the mention is negative,
/// whether the author was answered in public or contacted.
pub fn moderation_target(
    inbox: &Inbox,
    store: &dyn firebreak_store::MentionStore,
    action: ModerationAction,
    mention: Option<String>,
    author: Option<String>,
) -> Result<Target, ApiError> {
    match (action, mention, author) {
        (ModerationAction::Delete | ModerationAction::Hide, Some(id), _) => {
            let id = MentionId::new(id);
            let stored = store
                .get_mention(&id)?
                .ok_or_else(|| ApiError::NotFound(format!("mention {id}")))?;
            Ok(Target::Mention {
                id: id.into_string(),
                negative: is_negative(&stored.mention),
            })
        }
        (ModerationAction::Block, _, Some(key)) => {
            let cases = inbox
                .store()
                .list_cases(&CaseQuery {
                    statuses: CaseStatus::ALL.to_vec(),
                    author_key: Some(key.clone()),
                    limit: 1000,
                    ..CaseQuery::default()
                })
                .map_err(InboxError::from)?;
            Ok(Target::Author {
                key,
                public_reply_given: cases.iter().any(|c| c.first_public_reply_at.is_some()),
                contact_attempts: cases.iter().map(|c| c.contact_attempts).sum(),
            })
        }
        (ModerationAction::Block, _, None) => Err(ApiError::BadRequest(
            "block needs author (platform:author_id)".into(),
        )),
        (_, None, _) => Err(ApiError::BadRequest(
            "delete and hide need mention (its id)".into(),
        )),
    }
}

/// Negative for the guardrails: negative sentiment, a complaint, or toxic. Without
/// analysis a mention counts as negative: the rule errs on the side of keeping it.
pub fn is_negative(m: &firebreak_core::Mention) -> bool {
    match &m.analysis {
        None => true,
        Some(a) => {
            a.sentiment.label == firebreak_core::SentimentLabel::Negative
                || a.intent == firebreak_core::Intent::Complaint
                || a.toxicity.toxic >= 0.5
        }
    }
}

fn verdict_response(v: &Verdict) -> Response {
    let status = match v {
        Verdict::Refused { .. } => StatusCode::FORBIDDEN,
        Verdict::NeedsApproval { .. } => StatusCode::ACCEPTED,
        Verdict::Allowed(_) => StatusCode::OK,
    };
    (status, Json(serde_json::to_value(v).unwrap_or(Value::Null))).into_response()
}

/// `DELETE /api/v1/mentions/{id}`: there is no deleting; the guardrails say why, and the
/// attempt is audited.
pub(crate) async fn delete_mention(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let inbox = inbox(&state)?;
    // Refused whoever asks; an unknown caller is audited as anonymous.
    let who = actor(&state, &inbox, &headers)
        .await
        .unwrap_or_else(|_| Actor::new("anonymous", Role::Agent));
    let store = state.store.clone();
    run(move || {
        let target = moderation_target(&inbox, &*store, ModerationAction::Delete, Some(id), None)?;
        let verdict = inbox.moderate(ModerationRequest {
            action: ModerationAction::Delete,
            target,
            hide_reason: None,
            reason: String::new(),
            requested_by: who,
            approver: None,
        })?;
        Ok(verdict_response(&verdict))
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditParams {
    after: Option<i64>,
    limit: Option<usize>,
}

/// `GET /api/v1/audit`: the log, oldest first, paged by `after` (a sequence number).
pub(crate) async fn audit_log(
    State(state): State<AppState>,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(p) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let inbox = inbox(&state)?;
    let limit = p.limit.unwrap_or(100).clamp(1, 1000);
    run(move || {
        let entries = inbox
            .store()
            .audit_entries(p.after.unwrap_or(0), limit)
            .map_err(InboxError::from)?;
        Ok(Json(json!({ "entries": entries })))
    })
    .await
}

/// `GET /api/v1/audit/verify`: checks the whole chain.
pub(crate) async fn audit_verify(State(state): State<AppState>) -> Result<Response, ApiError> {
    let inbox = inbox(&state)?;
    run(move || {
        let result = verify_chain(inbox.store().as_ref()).map_err(InboxError::from)?;
        Ok(match result {
            Ok(n) => (StatusCode::OK, Json(json!({"ok": true, "entries": n}))).into_response(),
            Err(e) => (
                StatusCode::CONFLICT,
                Json(json!({"ok": false, "error": e.to_string()})),
            )
                .into_response(),
        })
    })
    .await
}

/// Reads the audit chain page by page and verifies it.
pub fn verify_chain(
    store: &dyn firebreak_respond::store::CaseStore,
) -> Result<Result<u64, audit::ChainError>, StoreFailure> {
    let mut verifier = audit::Verifier::default();
    let mut after = 0;
    loop {
        let page = store.audit_entries(after, 10_000)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for e in &page {
            if let Err(broken) = verifier.push(e) {
                return Ok(Err(broken));
            }
        }
    }
    Ok(Ok(verifier.count()))
}

#[derive(Debug, Deserialize)]
pub(crate) struct LintRequest {
    text: String,
    /// Lint as a reply on this case (its language, troll flag, other replies).
    case: Option<i64>,
    #[serde(flatten)]
    context: firebreak_respond::lint::LintContext,
}

/// `POST /api/v1/lint`: the reply linter. `{"text": ..., "case": 12}` lints a draft for a
/// case; or give the context yourself (`customer_lang`, `at_fault`, `troll`, `public`, ...).
pub(crate) async fn lint(
    State(state): State<AppState>,
    body: Result<Json<LintRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(req) = body.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let linter = state
        .linter
        .clone()
        .ok_or_else(|| ApiError::Unavailable("the reply linter is not loaded".into()))?;
    let inbox = state.inbox.clone();
    run(move || {
        let findings = match (req.case, inbox) {
            (Some(id), Some(inbox)) => {
                let case = inbox.get(id)?;
                inbox.lint_draft(&case, &req.text, req.context.public, req.context.at_fault)?
            }
            (Some(_), None) => {
                return Err(ApiError::Unavailable(
                    "the inbox is off; lint without `case`".into(),
                ))
            }
            (None, _) => linter.lint(&req.text, &req.context),
        };
        Ok(Json(json!({ "findings": findings })))
    })
    .await
}

/// `GET /api/v1/authors/{key}`: an author's history across channels: every case (any
/// status) with its mentions, newest case first. `key` is `platform:author_id`.
pub(crate) async fn author(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if !key.contains(':') {
        return Err(ApiError::BadRequest(format!(
            "author {key:?}: give platform:author_id, e.g. mastodon:109"
        )));
    }
    let inbox = inbox(&state)?;
    let store = state.store.clone();
    run(move || {
        let mut cases = inbox.list(&CaseQuery {
            statuses: CaseStatus::ALL.to_vec(),
            author_key: Some(key.clone()),
            limit: 1000,
            ..CaseQuery::default()
        })?;
        cases.sort_by_key(|c| std::cmp::Reverse(c.opened_at));
        let now = inbox.now();
        let mut out = Vec::with_capacity(cases.len());
        let mut channels = std::collections::BTreeSet::new();
        for c in &cases {
            channels.insert(c.channel.clone());
            let mut mentions = Vec::new();
            for m in &c.mentions {
                if let Some(stored) = store.get_mention(m)? {
                    mentions.push(stored.mention);
                }
            }
            out.push(json!({"case": case_json(c, now), "mentions": mentions}));
        }
        Ok(Json(json!({
            "author": key,
            "channels": channels,
            "cases": out,
        })))
    })
    .await
}

/// `GET /api/v1/cases/{id}/templates`: every reply template rendered for this case (its
/// language and author; the crisis plan's templates when a plan is loaded). Templates that
/// need more than the case provides (an explanation, an update) are listed with their
/// source so the composer can fill them in.
pub(crate) async fn templates(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let inbox = inbox(&state)?;
    run(move || {
        let case = inbox.get(id)?;
        let lang = case.lang.clone().unwrap_or_else(|| "en".into());
        let handle = case
            .author_handle
            .clone()
            .unwrap_or_else(|| case.author_key.clone());
        let ctx = json!({"handle": handle});
        let mut out = Vec::new();
        let mut names: Vec<String> = inbox
            .templates()
            .list()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        names.dedup();
        for name in names {
            match inbox.templates().render(&name, &lang, &ctx) {
                Ok(text) => out.push(json!({"name": name, "lang": lang, "text": text})),
                Err(e) => out.push(json!({"name": name, "lang": lang, "needs": e.to_string()})),
            }
        }
        Ok(Json(json!({ "case": id, "templates": out })))
    })
    .await
}
