//! Firebreak's HTTP API, served by `firebreak serve`.
//!
//! | route | what |
//! |---|---|
//! | `GET /health` | liveness and the store backend |
//! | `GET /api/v1/stats` | mention count and per-channel figures |
//! | `GET /api/v1/mentions` | list and search, filtered, newest first, paged by cursor |
//! | `GET /api/v1/mentions/{id}` | one mention |
//! | `POST /api/v1/mentions` | ingest JSON (object or array) or JSONL, HMAC-signed when a secret is set |
//! | `GET /` | a plain overview page |
//!
//! State is passed explicitly ([`AppState`]); every failure is an [`ApiError`],
//! which maps to one JSON error shape: `{"error": "..."}`.

mod error;
mod ingest;
mod mentions;
mod page;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use firebreak_pipeline::Envelope;
use firebreak_store::MentionStore;
use tokio::sync::mpsc;

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
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            ingest_secret: None,
            max_body_bytes: 10 << 20,
            ingest_timeout: Duration::from_secs(30),
        }
    }
}

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn MentionStore>,
    pub ingest: mpsc::Sender<Envelope>,
    pub settings: Arc<ServerSettings>,
}

/// The application's routes.
pub fn router(state: AppState) -> Router {
    let body_limit = state.settings.max_body_bytes;
    Router::new()
        .route("/", get(page::overview))
        .route("/health", get(mentions::health))
        .route("/api/v1/stats", get(mentions::stats))
        .route(
            "/api/v1/mentions",
            get(mentions::list).post(ingest::post_mentions),
        )
        .route("/api/v1/mentions/{id}", get(mentions::get_one))
        .fallback(error::not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
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
