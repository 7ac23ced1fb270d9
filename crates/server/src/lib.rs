//! Firebreak's HTTP API, served by `firebreak serve`.
//!
//! | route | what |
//! |---|---|
//! | `GET /health` | liveness and the store backend |
//! | `GET /api/v1/stats` | mention count and per-channel figures |
//! | `GET /api/v1/mentions` | list and search, filtered, newest first, paged by cursor |
//! | `GET /api/v1/mentions/{id}` | one mention |
//! | `POST /api/v1/mentions` | ingest JSON (object or array) or JSONL, HMAC-signed when a secret is set |
//! | `GET /api/v1/cases` | the inbox queue, most urgent first (status, assignee, channel, crisis, author filters) |
//! | `GET /api/v1/cases/{id}` | a case with its timeline, replies and mentions |
//! | `POST /api/v1/cases/{id}/actions` | acknowledge, start, resolve, close, move_private, assign, note, contact_attempt |
//! | `POST /api/v1/cases/{id}/replies` | record a public or private reply |
//! | `POST /api/v1/cases/merge`, `POST /api/v1/cases/{id}/split` | merge and split cases |
//! | `GET /api/v1/cases/{id}/templates` | reply templates rendered for the case (the plan's when loaded) |
//! | `POST /api/v1/moderation` | ask to delete, hide or block: the guardrails decide (403 / 202 / 200) |
//! | `DELETE /api/v1/mentions/{id}` | always refused, with the reason, and audited |
//! | `GET /api/v1/authors/{key}` | an author's history: every case and its mentions, across channels |
//! | `GET /api/v1/crises`, `GET /api/v1/crises/{id}` | crises with timeline and live metrics |
//! | `POST /api/v1/crises/{id}/actions` | acknowledge, status, step, role, note, lessons, draft, approve, publish |
//! | `GET /api/v1/crises/{id}/report?format=md\|html\|json` | the post-mortem |
//! | `POST /api/v1/lint` | the reply linter: `{"findings": [...]}` |
//! | `GET /api/v1/audit`, `GET /api/v1/audit/verify` | the audit log and its hash-chain check |
//!
//! State is passed explicitly ([`AppState`]); every failure is an [`ApiError`],
//! which maps to one JSON error shape: `{"error": "..."}`.

pub mod cases;
pub mod crises;
mod error;
mod hooks;
mod ingest;
mod mentions;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use firebreak_pipeline::Envelope;
use firebreak_store::MentionStore;
use tokio::sync::mpsc;

pub use crate::cases::token_hash;
pub use crate::cases::{is_negative, moderation_target, verify_chain, USER_HEADER};
pub use crate::error::ApiError;
pub use crate::ingest::{signature_for, SIGNATURE_HEADER};

/// Settings of the HTTP server (`[server]` and `[ingest]` in `firebreak.toml`).
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// When set, `POST /api/v1/mentions` requires a valid `X-Firebreak-Signature`.
    pub ingest_secret: Option<String>,
    /// Largest request body accepted by the ingest endpoint.
    pub max_body_bytes: usize,
    /// How long an ingest request waits for its batch to be committed.
    pub ingest_timeout: Duration,
    /// Take `X-Firebreak-User` as the acting agent without a token (only behind an
    /// authenticating proxy that sets it).
    pub trust_user_header: bool,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            ingest_secret: None,
            max_body_bytes: 10 << 20,
            ingest_timeout: Duration::from_secs(30),
            trust_user_header: false,
        }
    }
}

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn MentionStore>,
    pub ingest: mpsc::Sender<Envelope>,
    pub settings: Arc<ServerSettings>,
    /// The inbox, when it is on.
    pub inbox: Option<Arc<firebreak_respond::Inbox>>,
    /// The reply linter.
    pub linter: Option<Arc<firebreak_respond::lint::Linter>>,
    /// The crisis room, when a crisis plan is loaded.
    pub crisis: Option<Arc<firebreak_crisis::CrisisRoom>>,
    /// Inbound webhooks by name (`[[hooks]]`).
    pub hooks: Arc<std::collections::HashMap<String, firebreak_connectors::hooks::Hook>>,
    /// The connectors' cursors and health.
    pub connectors: Option<Arc<dyn firebreak_store::ConnectorStates>>,
    /// The accounts, for `Authorization: Bearer` API tokens.
    pub accounts: Option<Arc<dyn firebreak_store::UserStore>>,
}

/// The application's routes.
pub fn router(state: AppState) -> Router {
    let body_limit = state.settings.max_body_bytes;
    Router::new()
        .route("/health", get(mentions::health))
        .route("/api/v1/stats", get(mentions::stats))
        .route(
            "/api/v1/mentions",
            get(mentions::list).post(ingest::post_mentions),
        )
        .route(
            "/api/v1/mentions/{id}",
            get(mentions::get_one).delete(cases::delete_mention),
        )
        .route("/api/v1/cases/merge", post(cases::merge))
        .route("/api/v1/cases/{id}/actions", post(cases::act))
        .route("/api/v1/cases/{id}/replies", post(cases::reply))
        .route("/api/v1/cases/{id}/split", post(cases::split))
        .route("/api/v1/moderation", post(cases::moderate))
        .route("/api/v1/lint", post(cases::lint))
        .route("/api/v1/crises/{id}/actions", post(crises::act))
        .merge(team_reads(state.clone()))
        .route(
            "/api/v1/hooks/{name}",
            post(hooks::receive).get(hooks::verify),
        )
        .route("/api/v1/connectors", get(hooks::connectors))
        .fallback(error::not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

/// The team's data (cases, authors' histories, crises, the audit log): read only by a
/// caller who says who they are, like the changes (an API token, or a trusted header).
fn team_reads(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/api/v1/cases", get(cases::list))
        .route("/api/v1/cases/{id}", get(cases::get_one))
        .route("/api/v1/cases/{id}/templates", get(cases::templates))
        .route("/api/v1/authors/{key}", get(cases::author))
        .route("/api/v1/crises", get(crises::list))
        .route("/api/v1/crises/{id}", get(crises::get_one))
        .route("/api/v1/crises/{id}/report", get(crises::report))
        .route("/api/v1/audit", get(cases::audit_log))
        .route("/api/v1/audit/verify", get(cases::audit_verify))
        .route_layer(axum::middleware::from_fn_with_state(state, require_caller))
}

async fn require_caller(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Result<axum::response::Response, ApiError> {
    cases::caller(&state, request.headers(), "your name").await?;
    Ok(next.run(request).await)
}

/// Runs blocking work (the inbox, the crisis room) off the async threads.
pub(crate) async fn run<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// Runs a blocking store call off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, firebreak_store::StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(ApiError::from)
}
