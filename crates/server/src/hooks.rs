//! `/api/v1/hooks/{name}`: inbound webhooks of platforms without a connector, mapped to
//! mentions by their `[[hooks]]` config (see `firebreak_connectors::hooks`), and
//! `/api/v1/connectors`: the connectors' cursors and health, for the dashboard.
//!
//! A hook answers 200 only once its mentions are committed; any other answer tells the
//! sender to try again, and re-sending is safe (ingest is idempotent).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use firebreak_connectors::hooks::HookError;
use serde::Serialize;

use crate::{ApiError, AppState};

#[derive(Debug, Serialize)]
pub(crate) struct Skip {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    reason: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct HookReply {
    accepted: u64,
    imported: u64,
    duplicates: u64,
    skipped: Vec<Skip>,
}

pub(crate) async fn receive(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<HookReply>), ApiError> {
    let hook = state.hooks.get(&name).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no hook named {name:?}; add a [[hooks]] entry with name = {name:?} to firebreak.toml"
        ))
    })?;
    let body = crate::ingest::read_body(&state, body)?;
    let signature = headers
        .get(hook.signature_header.as_str())
        .and_then(|v| v.to_str().ok());
    let page = hook.accept(signature, &body).map_err(|e| match e {
        HookError::Signature(m) => ApiError::Unauthorized(m),
        HookError::Payload(m) => ApiError::BadRequest(m),
    })?;
    let skipped: Vec<Skip> = page
        .skipped
        .into_iter()
        .map(|s| Skip {
            id: s.native_id,
            reason: s.reason,
        })
        .collect();
    let accepted = page.mentions.len() as u64;
    let outcome = crate::ingest::commit(&state, page.mentions).await?;
    let status = if accepted == 0 && !skipped.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(HookReply {
            accepted,
            imported: outcome.inserted,
            duplicates: outcome.duplicates,
            skipped,
        }),
    ))
}

/// Meta's subscription check: echoes `hub.challenge` when `hub.verify_token` matches.
pub(crate) async fn verify(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<String, ApiError> {
    let hook = state
        .hooks
        .get(&name)
        .ok_or_else(|| ApiError::NotFound(format!("no hook named {name:?}")))?;
    hook.challenge(
        q.get("hub.mode").map(String::as_str),
        q.get("hub.verify_token").map(String::as_str),
        q.get("hub.challenge").map(String::as_str),
    )
    .map(str::to_owned)
    .ok_or_else(|| {
        ApiError::Forbidden(
            "the verify token does not match this hook's verify_token (or none is configured)"
                .into(),
        )
    })
}

#[derive(Debug, Serialize)]
pub(crate) struct ConnectorView {
    name: String,
    platform: String,
    health: &'static str,
    cursor_at: Option<String>,
    last_error: Option<String>,
    error_at: Option<String>,
    delivered: u64,
    updated_at: String,
}

/// The connectors' health: what the dashboard shows.
pub(crate) async fn connectors(
    State(state): State<AppState>,
) -> Result<Json<Vec<ConnectorView>>, ApiError> {
    let Some(states) = state.connectors.clone() else {
        return Ok(Json(Vec::new()));
    };
    let rows = tokio::task::spawn_blocking(move || states.connectors())
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Json(
        rows.into_iter()
            .map(|r| ConnectorView {
                name: r.name,
                platform: r.platform,
                health: r.health.as_str(),
                cursor_at: r.cursor_at.map(|t| t.to_rfc3339()),
                last_error: r.last_error,
                error_at: r.error_at.map(|t| t.to_rfc3339()),
                delivered: r.delivered,
                updated_at: r.updated_at.to_rfc3339(),
            })
            .collect(),
    ))
}
