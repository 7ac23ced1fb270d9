//! RSS and Atom feeds: reviews, news and blogs. Polled with conditional requests
//! (`ETag`, `Last-Modified`), so an unchanged feed costs one 304. The cursor holds the
//! validators; every entry of a changed feed is delivered and the store keeps each once.

use std::time::Duration;

use chrono::Utc;
use firebreak_core::{ChannelId, MentionKind};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::{check_url, BoxFuture, Source, SourceContext, SourceError};
use crate::http::{Http, RetryPolicy};
use crate::parse::feed as parse;
use firebreak_store::ConnectorHealth;

/// `[[sources]]` with `platform = "feed"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub name: String,
    pub channel: String,
    /// The feed's URL.
    pub url: String,
    /// What an entry is: `post` (news, blogs) or `review`.
    #[serde(default = "default_kind")]
    pub kind: String,
    #[serde(default = "default_poll")]
    pub poll_secs: u64,
}

fn default_kind() -> String {
    "post".into()
}
fn default_poll() -> u64 {
    900
}

impl Config {
    fn mention_kind(&self) -> Result<MentionKind, String> {
        match self.kind.as_str() {
            "post" => Ok(MentionKind::Post),
            "review" => Ok(MentionKind::Review),
            other => Err(format!(
                "kind = {other:?}: a feed entry is a \"post\" or a \"review\""
            )),
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        check_url("url", &self.url, &["https", "http"])?;
        self.mention_kind()?;
        if self.poll_secs == 0 {
            return Err("poll_secs must be at least 1".into());
        }
        Ok(())
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Validators {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_modified: Option<String>,
}

pub struct Feed {
    config: Config,
    channel: ChannelId,
    kind: MentionKind,
    http: Http,
}

impl Feed {
    pub fn new(config: Config, shutdown: CancellationToken) -> Result<Feed, String> {
        config.validate()?;
        Ok(Feed {
            channel: ChannelId::new(config.channel.clone()),
            kind: config.mention_kind()?,
            http: Http::new(RetryPolicy::default(), crate::USER_AGENT, shutdown),
            config,
        })
    }

    async fn poll(&self, ctx: &SourceContext) -> Result<(), SourceError> {
        let saved: Validators = match ctx.cursor().await? {
            None => Validators::default(),
            // An unreadable cursor only costs one unconditional fetch.
            Some(t) => serde_json::from_str(&t).unwrap_or_default(),
        };
        let f = self
            .http
            .send("feed", |c| {
                let mut r = c.get(&self.config.url);
                if let Some(e) = &saved.etag {
                    r = r.header("if-none-match", e);
                }
                if let Some(m) = &saved.last_modified {
                    r = r.header("if-modified-since", m);
                }
                r
            })
            .await?;
        if f.status == StatusCode::NOT_MODIFIED {
            return Ok(());
        }
        let page = parse::feed(&f.body, &self.channel, self.kind, Utc::now())
            .map_err(|e| SourceError::Transient(format!("feed {}: {e}", self.config.url)))?;
        for s in &page.skipped {
            tracing::warn!(connector = ctx.name(), id = ?s.native_id, reason = %s.reason, "skipped a feed entry");
        }
        let validators = Validators {
            etag: f.header("etag").map(str::to_owned),
            last_modified: f.header("last-modified").map(str::to_owned),
        };
        let doc = serde_json::to_string(&validators)
            .map_err(|e| SourceError::Transient(format!("cursor: {e}")))?;
        ctx.deliver(page.mentions, Some(doc)).await?;
        Ok(())
    }
}

impl Source for Feed {
    fn name(&self) -> &str {
        &self.config.name
    }
    fn platform(&self) -> &'static str {
        "rss"
    }
    fn run<'a>(&'a self, ctx: &'a SourceContext) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            let every = Duration::from_secs(self.config.poll_secs);
            loop {
                self.poll(ctx).await?;
                ctx.health(ConnectorHealth::Running, None).await;
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = ctx.shutdown.cancelled() => return Err(SourceError::Shutdown),
                }
            }
        })
    }
}
