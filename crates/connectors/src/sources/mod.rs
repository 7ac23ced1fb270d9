//! Platform sources: each one watches a platform for what concerns the brand and sends
//! [`Mention`]s into the pipeline.
//!
//! Every source is a small module with its own typed config ([`SourceConfig`] lists
//! them) and follows the same contract, which [`SourceContext`] enforces:
//! - **resumable**: it delivers a batch together with the cursor that follows it; the
//!   cursor is saved only after the pipeline has committed the batch, so a restart (or a
//!   crash) resumes at or before the last committed mention. What is fetched twice is
//!   absorbed by the store's idempotent upsert: every message is stored exactly once;
//! - **rate-limit aware**: HTTP goes through [`crate::http::Http`];
//! - **honest about failures**: [`run`] retries transient errors with backoff and marks
//!   permanent ones as `failed`, with the reason, in the connectors table the dashboard
//!   reads;
//! - **secret-safe**: credentials come from [`crate::notify::Secret`] (environment or
//!   file) and are never logged.
//!
//! To add a platform: a module here with a `Config` (serde, `deny_unknown_fields`) and
//! a type implementing [`Source`], one variant in [`SourceConfig`], a parser under
//! [`crate::parse`], fixtures and a fake-server test. Nothing else changes.

pub mod bluesky;
pub mod feed;
pub mod mastodon;
pub mod reddit;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use firebreak_core::Mention;
use firebreak_pipeline::{BatchOutcome, Envelope};
use firebreak_store::{ConnectorHealth, ConnectorStates};
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Why a source stopped.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SourceError {
    /// Network trouble, a 5xx, a disconnect: retried with backoff.
    #[error("{0}")]
    Transient(String),
    /// Refused credentials, a bad URL or query: a person must act.
    #[error("{0}")]
    Permanent(String),
    /// Shutdown was asked for.
    #[error("shutting down")]
    Shutdown,
}

/// A boxed future, for the object-safe [`Source::run`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A platform source. `run` fetches until shutdown or an error; [`run`] supervises it.
pub trait Source: Send + Sync + 'static {
    /// The connector's configured name (its cursor's key).
    fn name(&self) -> &str;
    fn platform(&self) -> &'static str;
    /// Connects and delivers until shutdown (`Ok`) or a failure.
    fn run<'a>(&'a self, ctx: &'a SourceContext) -> BoxFuture<'a, Result<(), SourceError>>;
}

/// What a source needs from the rest of Firebreak.
#[derive(Clone)]
pub struct SourceContext {
    name: String,
    platform: &'static str,
    sender: mpsc::Sender<Envelope>,
    states: Arc<dyn ConnectorStates>,
    pub shutdown: CancellationToken,
    delivered: Arc<AtomicU64>,
}

impl SourceContext {
    pub fn new(
        name: impl Into<String>,
        platform: &'static str,
        sender: mpsc::Sender<Envelope>,
        states: Arc<dyn ConnectorStates>,
        shutdown: CancellationToken,
    ) -> SourceContext {
        SourceContext {
            name: name.into(),
            platform,
            sender,
            states,
            shutdown,
            delivered: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A context for a sub-source (e.g. a search beside a stream): its own cursor.
    pub fn sub(&self, suffix: &str) -> SourceContext {
        let mut ctx = self.clone();
        ctx.name = format!("{}/{suffix}", self.name);
        ctx
    }

    /// Mentions delivered through this context (and its clones) since it was made.
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }

    /// The cursor saved by the last run, if any.
    pub async fn cursor(&self) -> Result<Option<String>, SourceError> {
        let states = self.states.clone();
        let name = self.name.clone();
        tokio::task::spawn_blocking(move || states.cursor(&name))
            .await
            .map_err(|e| SourceError::Transient(format!("cursor read: {e}")))?
            .map_err(|e| SourceError::Transient(format!("cursor read: {e}")))
    }

    /// Sends `mentions` into the pipeline, waits until they are committed, then saves
    /// `cursor` (when given). On shutdown before the commit, nothing is saved.
    pub async fn deliver(
        &self,
        mentions: Vec<Mention>,
        cursor: Option<String>,
    ) -> Result<BatchOutcome, SourceError> {
        let count = mentions.len() as u64;
        let mut outcome = BatchOutcome::default();
        if !mentions.is_empty() {
            let (ack, done) = oneshot::channel();
            let envelope = Envelope {
                mentions,
                ack: Some(ack),
            };
            tokio::select! {
                sent = self.sender.send(envelope) => sent.map_err(|_| SourceError::Shutdown)?,
                _ = self.shutdown.cancelled() => return Err(SourceError::Shutdown),
            }
            // Once sent, the pipeline commits it even during shutdown: wait for that.
            outcome = done
                .await
                .map_err(|_| SourceError::Shutdown)?
                .map_err(|e| SourceError::Transient(format!("the store refused a batch: {e}")))?;
            self.delivered.fetch_add(count, Ordering::Relaxed);
        }
        if let Some(cursor) = cursor {
            self.save_cursor(cursor, count).await?;
        }
        Ok(outcome)
    }

    async fn save_cursor(&self, cursor: String, count: u64) -> Result<(), SourceError> {
        let states = self.states.clone();
        let name = self.name.clone();
        let platform = self.platform;
        tokio::task::spawn_blocking(move || {
            states.save_cursor(&name, platform, &cursor, count, Utc::now())
        })
        .await
        .map_err(|e| SourceError::Transient(format!("cursor save: {e}")))?
        .map_err(|e| SourceError::Transient(format!("cursor save: {e}")))
    }

    /// Records the connector's health for the dashboard (best effort: logged on failure).
    pub async fn health(&self, health: ConnectorHealth, error: Option<String>) {
        let states = self.states.clone();
        let name = self.name.clone();
        let platform = self.platform;
        let saved = tokio::task::spawn_blocking(move || {
            states.set_health(&name, platform, health, error.as_deref(), Utc::now())
        })
        .await;
        if !matches!(saved, Ok(Ok(()))) {
            tracing::warn!(connector = %self.name, "could not record the connector's health");
        }
    }
}

/// How [`run`] waits between attempts.
#[derive(Debug, Clone)]
pub struct Supervision {
    /// First wait after a transient failure; doubles up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Wait after a permanent failure before trying again (the secret file may have
    /// been fixed meanwhile).
    pub after_permanent: Duration,
}

impl Default for Supervision {
    fn default() -> Self {
        Supervision {
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            after_permanent: Duration::from_secs(600),
        }
    }
}

/// Runs `source` until shutdown: restarts it after failures, with backoff, and keeps
/// its health current.
pub fn spawn(source: Arc<dyn Source>, ctx: SourceContext, sup: Supervision) -> JoinHandle<()> {
    tokio::spawn(async move { run(source, ctx, sup).await })
}

/// The supervision loop behind [`spawn`].
pub async fn run(source: Arc<dyn Source>, ctx: SourceContext, sup: Supervision) {
    let mut backoff = sup.backoff;
    ctx.health(ConnectorHealth::Starting, None).await;
    loop {
        let before = ctx.delivered();
        let outcome = source.run(&ctx).await;
        if ctx.delivered() > before {
            backoff = sup.backoff;
        }
        let wait = match outcome {
            Ok(()) | Err(SourceError::Shutdown) => break,
            Err(SourceError::Transient(e)) => {
                tracing::warn!(connector = source.name(), error = %e, "transient failure; retrying");
                ctx.health(ConnectorHealth::Retrying, Some(e)).await;
                let wait = backoff;
                backoff = (backoff * 2).min(sup.max_backoff);
                wait
            }
            Err(SourceError::Permanent(e)) => {
                tracing::error!(connector = source.name(), error = %e, "failed; a person must act");
                ctx.health(ConnectorHealth::Failed, Some(e)).await;
                sup.after_permanent
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = ctx.shutdown.cancelled() => break,
        }
    }
    ctx.health(ConnectorHealth::Stopped, None).await;
}

/// The typed config of one source, `[[sources]]` in `firebreak.toml`, tagged by platform.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "platform", rename_all = "snake_case")]
pub enum SourceConfig {
    Mastodon(mastodon::Config),
    Bluesky(bluesky::Config),
    Reddit(reddit::Config),
    /// RSS or Atom.
    Feed(feed::Config),
}

impl SourceConfig {
    pub fn name(&self) -> &str {
        match self {
            SourceConfig::Mastodon(c) => &c.name,
            SourceConfig::Bluesky(c) => &c.name,
            SourceConfig::Reddit(c) => &c.name,
            SourceConfig::Feed(c) => &c.name,
        }
    }

    pub fn platform(&self) -> &'static str {
        match self {
            SourceConfig::Mastodon(_) => "mastodon",
            SourceConfig::Bluesky(_) => "bluesky",
            SourceConfig::Reddit(_) => "reddit",
            SourceConfig::Feed(_) => "rss",
        }
    }

    /// Checks what can be checked before connecting (URLs, required fields, secrets).
    pub fn validate(&self) -> Result<(), String> {
        match self {
            SourceConfig::Mastodon(c) => c.validate(),
            SourceConfig::Bluesky(c) => c.validate(),
            SourceConfig::Reddit(c) => c.validate(),
            SourceConfig::Feed(c) => c.validate(),
        }
    }

    /// Builds the source. Secrets are read here, so a missing one fails at start.
    pub fn build(&self, shutdown: CancellationToken) -> Result<Arc<dyn Source>, String> {
        Ok(match self {
            SourceConfig::Mastodon(c) => Arc::new(mastodon::Mastodon::new(c.clone(), shutdown)?),
            SourceConfig::Bluesky(c) => Arc::new(bluesky::Bluesky::new(c.clone(), shutdown)?),
            SourceConfig::Reddit(c) => Arc::new(reddit::Reddit::new(c.clone(), shutdown)?),
            SourceConfig::Feed(c) => Arc::new(feed::Feed::new(c.clone(), shutdown)?),
        })
    }
}

/// Checks that `url` is an absolute http(s) or ws(s) URL.
pub(crate) fn check_url(field: &str, url: &str, schemes: &[&str]) -> Result<(), String> {
    let ok = schemes
        .iter()
        .any(|s| url.starts_with(&format!("{s}://")) && url.len() > s.len() + 3);
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{field} = {url:?} is not a URL; write it as {}://host/...",
            schemes.first().copied().unwrap_or("https")
        ))
    }
}
