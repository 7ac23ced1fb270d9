//! Reading mentions: health, stats, list/search, one mention.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use firebreak_core::wire::parse_timestamp;
use firebreak_core::MentionId;
use firebreak_store::{ChannelStats, Cursor, MentionPage, MentionQuery, StoredMention};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::{blocking, ApiError, AppState};

pub(crate) async fn health(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let store = state.store.clone();
    blocking(move || store.ping()).await?;
    Ok(Json(json!({
        "status": "ok",
        "store": state.store.backend().to_string(),
        "version": env!("CARGO_PKG_VERSION"),
    })))
}

#[derive(Serialize)]
pub(crate) struct Stats {
    mentions: u64,
    channels: Vec<ChannelStats>,
}

pub(crate) async fn stats(State(state): State<AppState>) -> Result<Json<Stats>, ApiError> {
    let store = state.store.clone();
    let (mentions, channels) =
        blocking(move || Ok((store.count_mentions()?, store.channel_stats()?))).await?;
    Ok(Json(Stats { mentions, channels }))
}

/// Query string of `GET /api/v1/mentions`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    channel: Option<String>,
    platform: Option<String>,
    kind: Option<String>,
    lang: Option<String>,
    author: Option<String>,
    /// Text contains (case-insensitive).
    q: Option<String>,
    sentiment: Option<String>,
    intent: Option<String>,
    category: Option<String>,
    in_reply_to: Option<String>,
    since: Option<String>,
    until: Option<String>,
    limit: Option<usize>,
    after: Option<String>,
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

impl ListParams {
    fn into_query(self) -> Result<MentionQuery, ApiError> {
        let time = |name: &str, v: Option<String>| {
            non_empty(v)
                .map(|t| {
                    parse_timestamp(&t).map_err(|e| ApiError::BadRequest(format!("{name}: {e}")))
                })
                .transpose()
        };
        Ok(MentionQuery {
            channel: non_empty(self.channel),
            platform: non_empty(self.platform).map(|p| p.to_ascii_lowercase()),
            kind: non_empty(self.kind),
            lang: non_empty(self.lang),
            author_id: non_empty(self.author),
            text: non_empty(self.q),
            in_reply_to: non_empty(self.in_reply_to),
            sentiment: non_empty(self.sentiment),
            intent: non_empty(self.intent),
            category: non_empty(self.category),
            since: time("since", self.since)?,
            until: time("until", self.until)?,
            limit: self.limit.unwrap_or(50),
            after: non_empty(self.after)
                .map(|c| Cursor::decode(&c))
                .transpose()?,
        })
    }
}

pub(crate) async fn list(
    State(state): State<AppState>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<MentionPage>, ApiError> {
    let Query(params) = params.map_err(|e| {
        ApiError::BadRequest(format!(
            "{}; known parameters: channel, platform, kind, lang, author, q, sentiment, intent, category, in_reply_to, since, until, limit, after",
            e.body_text()
        ))
    })?;
    let query = params.into_query()?;
    let store = state.store.clone();
    Ok(Json(blocking(move || store.search_mentions(&query)).await?))
}

pub(crate) async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<StoredMention>, ApiError> {
    let store = state.store.clone();
    let key = MentionId::new(id.clone());
    blocking(move || store.get_mention(&key))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no mention with id {id:?}")))
}
