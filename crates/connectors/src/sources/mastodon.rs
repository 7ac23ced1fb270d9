//! Mastodon: REST for mentions (notifications), the brand's own statuses and the replies
//! under them (their context), hashtag timelines and keyword search; and the streaming
//! API (Server-Sent Events) for the seconds that matter.
//!
//! REST is the source of truth: each listing has a cursor (`min_id`, the newest id
//! committed), and every `poll_secs` the source catches up from it, page by page, oldest
//! page first. The stream only makes mentions arrive sooner; what it delivered comes
//! again from REST and the store absorbs it. A dropped stream therefore loses nothing.

use std::collections::BTreeMap;
use std::time::Duration;

use firebreak_core::ChannelId;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use super::{check_url, BoxFuture, Source, SourceContext, SourceError};
use crate::http::{Fetched, Http, RetryPolicy};
use crate::notify::Secret;
use crate::parse::mastodon as parse;
use crate::parse::Page;
use firebreak_store::ConnectorHealth;

/// `[[sources]]` with `platform = "mastodon"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub name: String,
    /// The channel mentions are filed under, e.g. `@velora@mastodon.social`.
    pub channel: String,
    /// The instance, e.g. `https://mastodon.social`.
    pub instance: String,
    /// An access token of the brand's account (scopes: read, and write:statuses to reply).
    pub token: Secret,
    /// The brand's account id; looked up with `verify_credentials` when absent.
    #[serde(default)]
    pub account_id: Option<String>,
    /// Mentions of the account, from notifications.
    #[serde(default = "yes")]
    pub notifications: bool,
    /// The account's own statuses, and the replies under the newest `contexts` of them.
    #[serde(default = "yes")]
    pub own_statuses: bool,
    #[serde(default = "default_contexts")]
    pub contexts: usize,
    /// Hashtags to follow (without `#`).
    #[serde(default)]
    pub hashtags: Vec<String>,
    /// Keywords to search for (the instance must index them).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Follow the user stream between polls.
    #[serde(default = "yes")]
    pub streaming: bool,
    /// Seconds between REST catch-ups.
    #[serde(default = "default_poll")]
    pub poll_secs: u64,
}

fn yes() -> bool {
    true
}
fn default_contexts() -> usize {
    10
}
fn default_poll() -> u64 {
    60
}

impl Config {
    pub fn validate(&self) -> Result<(), String> {
        check_url("instance", &self.instance, &["https", "http"])?;
        self.token.validate("token")?;
        if self.poll_secs == 0 {
            return Err("poll_secs must be at least 1".into());
        }
        Ok(())
    }
}

/// Page size of every listing (Mastodon's maximum for notifications is 80, statuses 40).
const LIMIT: &str = "40";

/// The cursors of every listing, saved as one JSON document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Cursors {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    notifications: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    statuses: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    search: BTreeMap<String, String>,
}

/// Which listing a catch-up walks.
#[derive(Debug, Clone)]
enum Listing {
    Notifications,
    Statuses,
    Tag(String),
    Search(String),
}

pub struct Mastodon {
    config: Config,
    channel: ChannelId,
    token: String,
    http: Http,
    stream_client: reqwest::Client,
    account: Mutex<Option<String>>,
}

impl Mastodon {
    pub fn new(config: Config, shutdown: CancellationToken) -> Result<Mastodon, String> {
        config.validate()?;
        let token = config.token.read("token").map_err(|e| e.to_string())?;
        let stream_client = reqwest::Client::builder()
            .user_agent(crate::USER_AGENT)
            .connect_timeout(Duration::from_secs(30))
            // Mastodon sends a heartbeat every 15 s or so.
            .read_timeout(Duration::from_secs(90))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Mastodon {
            channel: ChannelId::new(config.channel.clone()),
            account: Mutex::new(config.account_id.clone()),
            http: Http::new(RetryPolicy::default(), crate::USER_AGENT, shutdown),
            stream_client,
            token,
            config,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.instance.trim_end_matches('/'))
    }

    async fn get(
        &self,
        what: &str,
        url: &str,
        query: &[(&str, String)],
    ) -> Result<Fetched, SourceError> {
        self.http
            .send(what, |c| c.get(url).bearer_auth(&self.token).query(query))
            .await
    }

    async fn account_id(&self) -> Result<String, SourceError> {
        let mut account = self.account.lock().await;
        if let Some(id) = account.as_ref() {
            return Ok(id.clone());
        }
        let f = self
            .get(
                "Mastodon verify_credentials",
                &self.url("/api/v1/accounts/verify_credentials"),
                &[],
            )
            .await?;
        let v: serde_json::Value = serde_json::from_slice(&f.body).map_err(|e| {
            SourceError::Transient(format!("Mastodon verify_credentials: not JSON ({e})"))
        })?;
        let id = v
            .get("id")
            .and_then(|v| v.as_str())
            .ok_or_else(|| {
                SourceError::Permanent("Mastodon verify_credentials: no account id".into())
            })?
            .to_owned();
        *account = Some(id.clone());
        Ok(id)
    }

    async fn load_cursors(&self, ctx: &SourceContext) -> Result<Cursors, SourceError> {
        match ctx.cursor().await? {
            None => Ok(Cursors::default()),
            Some(text) => serde_json::from_str(&text).map_err(|e| {
                SourceError::Permanent(format!("the saved Mastodon cursor is not readable: {e}"))
            }),
        }
    }

    /// Walks every listing from its cursor to now.
    async fn catch_up(&self, ctx: &SourceContext, brand: &str) -> Result<(), SourceError> {
        let mut cursors = self.load_cursors(ctx).await?;
        let mut listings = Vec::new();
        if self.config.notifications {
            listings.push(Listing::Notifications);
        }
        if self.config.own_statuses {
            listings.push(Listing::Statuses);
        }
        listings.extend(self.config.hashtags.iter().cloned().map(Listing::Tag));
        listings.extend(self.config.keywords.iter().cloned().map(Listing::Search));
        for listing in listings {
            self.walk(ctx, brand, &listing, &mut cursors).await?;
        }
        if self.config.own_statuses && self.config.contexts > 0 {
            self.contexts(ctx, brand).await?;
        }
        Ok(())
    }

    /// One listing, oldest page first, committing each page with its cursor.
    async fn walk(
        &self,
        ctx: &SourceContext,
        brand: &str,
        listing: &Listing,
        cursors: &mut Cursors,
    ) -> Result<(), SourceError> {
        // A bounded walk: a very long outage resumes over several polls.
        for _ in 0..50 {
            let since = match listing {
                Listing::Notifications => cursors.notifications.clone(),
                Listing::Statuses => cursors.statuses.clone(),
                Listing::Tag(t) => cursors.tags.get(t).cloned(),
                Listing::Search(k) => cursors.search.get(k).cloned(),
            };
            let mut query: Vec<(&str, String)> = vec![("limit", LIMIT.into())];
            if let Some(s) = &since {
                query.push(("min_id", s.clone()));
            }
            let (what, url) = match listing {
                Listing::Notifications => {
                    query.push(("types[]", "mention".into()));
                    ("Mastodon notifications", self.url("/api/v1/notifications"))
                }
                Listing::Statuses => (
                    "Mastodon account statuses",
                    self.url(&format!("/api/v1/accounts/{brand}/statuses")),
                ),
                Listing::Tag(t) => (
                    "Mastodon hashtag timeline",
                    self.url(&format!("/api/v1/timelines/tag/{}", encode(t))),
                ),
                Listing::Search(k) => {
                    query.push(("q", k.clone()));
                    query.push(("type", "statuses".into()));
                    query.push(("resolve", "false".into()));
                    ("Mastodon search", self.url("/api/v2/search"))
                }
            };
            let fetched = self.get(what, &url, &query).await?;
            let page = match listing {
                Listing::Notifications => {
                    parse::notifications(&fetched.body, &self.channel, Some(brand))
                }
                Listing::Search(_) => parse::search(&fetched.body, &self.channel, Some(brand)),
                _ => parse::statuses(&fetched.body, &self.channel, Some(brand)),
            }
            .map_err(|e| SourceError::Transient(format!("{what}: {e}")))?;
            for s in &page.skipped {
                tracing::warn!(connector = ctx.name(), id = ?s.native_id, reason = %s.reason, "skipped a malformed item");
            }
            // The newest id of the page: the Link header's prev (notification ids are not
            // status ids), else the newest status id.
            let newest = fetched
                .header("link")
                .and_then(parse::prev_link)
                .and_then(|u| query_param(&u, "min_id"))
                .or_else(|| newest_id(&page));
            let full = page.mentions.len() + page.skipped.len() >= 40;
            let Some(newest) = newest else {
                return Ok(());
            };
            if since.as_deref() == Some(newest.as_str()) {
                return Ok(());
            }
            match listing {
                Listing::Notifications => cursors.notifications = Some(newest),
                Listing::Statuses => cursors.statuses = Some(newest),
                Listing::Tag(t) => {
                    cursors.tags.insert(t.clone(), newest);
                }
                Listing::Search(k) => {
                    cursors.search.insert(k.clone(), newest);
                }
            }
            let doc = serde_json::to_string(cursors)
                .map_err(|e| SourceError::Transient(format!("cursor: {e}")))?;
            ctx.deliver(page.mentions, Some(doc)).await?;
            // First run: only the newest page (no backfill of the whole history).
            if since.is_none() || !full {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Replies under the brand's newest statuses (threads between other users included).
    async fn contexts(&self, ctx: &SourceContext, brand: &str) -> Result<(), SourceError> {
        let limit = self.config.contexts.min(40).to_string();
        let recent = self
            .get(
                "Mastodon account statuses",
                &self.url(&format!("/api/v1/accounts/{brand}/statuses")),
                &[("limit", limit), ("exclude_reblogs", "true".into())],
            )
            .await?;
        let page = parse::statuses(&recent.body, &self.channel, Some(brand))
            .map_err(|e| SourceError::Transient(format!("Mastodon account statuses: {e}")))?;
        for m in page.mentions {
            let Some(id) = m.id.as_str().strip_prefix("mastodon:") else {
                continue;
            };
            let url = self.url(&format!("/api/v1/statuses/{id}/context"));
            let f = match self.get("Mastodon status context", &url, &[]).await {
                Ok(f) => f,
                // A status deleted meanwhile.
                Err(SourceError::Permanent(e)) if e.contains("404") => continue,
                Err(e) => return Err(e),
            };
            let thread = parse::context(&f.body, &self.channel, Some(brand))
                .map_err(|e| SourceError::Transient(format!("Mastodon status context: {e}")))?;
            ctx.deliver(thread.mentions, None).await?;
        }
        Ok(())
    }

    /// Follows the user stream for up to `for_how_long`; returns early when it drops.
    async fn stream(
        &self,
        ctx: &SourceContext,
        brand: &str,
        for_how_long: Duration,
    ) -> Result<(), SourceError> {
        let url = self.url("/api/v1/streaming/user");
        let resp = tokio::select! {
            r = self.stream_client.get(&url).bearer_auth(&self.token).header("accept", "text/event-stream").send() => r,
            _ = ctx.shutdown.cancelled() => return Err(SourceError::Shutdown),
        };
        let resp = match resp {
            Ok(r) if r.status().is_success() => r,
            Ok(r) if r.status().as_u16() == 401 || r.status().as_u16() == 403 => {
                return Err(SourceError::Permanent(format!(
                    "Mastodon streaming: HTTP {} (the token was refused; it needs the read scope)",
                    r.status()
                )))
            }
            // No streaming on this instance, or it is down: REST polling carries on.
            Ok(r) => {
                tracing::warn!(connector = ctx.name(), status = %r.status(), "streaming unavailable; polling only");
                return self.sleep(ctx, for_how_long).await;
            }
            Err(e) => {
                tracing::warn!(connector = ctx.name(), error = %e.without_url(), "streaming failed; polling only");
                return self.sleep(ctx, for_how_long).await;
            }
        };
        let mut body = resp.bytes_stream();
        let mut sse = parse::SseParser::default();
        let deadline = tokio::time::sleep(for_how_long);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                chunk = body.next() => match chunk {
                    Some(Ok(bytes)) => {
                        let mut batch = Vec::new();
                        for ev in sse.push(&bytes) {
                            match parse::stream_event(&ev.event, &ev.data, &self.channel, Some(brand)) {
                                Ok(Some(m)) => batch.push(m),
                                Ok(None) => {}
                                Err(e) => tracing::warn!(connector = ctx.name(), error = %e, "skipped a malformed stream event"),
                            }
                        }
                        if !batch.is_empty() {
                            ctx.deliver(batch, None).await?;
                        }
                    }
                    // Dropped: catch up over REST now.
                    Some(Err(_)) | None => return Ok(()),
                },
                _ = &mut deadline => return Ok(()),
                _ = ctx.shutdown.cancelled() => return Err(SourceError::Shutdown),
            }
        }
    }

    async fn sleep(&self, ctx: &SourceContext, d: Duration) -> Result<(), SourceError> {
        tokio::select! {
            _ = tokio::time::sleep(d) => Ok(()),
            _ = ctx.shutdown.cancelled() => Err(SourceError::Shutdown),
        }
    }
}

fn newest_id(page: &Page) -> Option<String> {
    page.mentions
        .iter()
        .filter_map(|m| m.id.as_str().strip_prefix("mastodon:"))
        .max_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)))
        .map(str::to_owned)
}

/// The value of `name` in `url`'s query string.
fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

/// Percent-encodes a path segment.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Source for Mastodon {
    fn name(&self) -> &str {
        &self.config.name
    }
    fn platform(&self) -> &'static str {
        "mastodon"
    }
    fn run<'a>(&'a self, ctx: &'a SourceContext) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            let brand = self.account_id().await?;
            let poll = Duration::from_secs(self.config.poll_secs);
            loop {
                self.catch_up(ctx, &brand).await?;
                ctx.health(ConnectorHealth::Running, None).await;
                if self.config.streaming {
                    let started = tokio::time::Instant::now();
                    self.stream(ctx, &brand, poll).await?;
                    // A stream that drops at once must not turn into a tight loop.
                    if started.elapsed() < Duration::from_secs(1) {
                        self.sleep(ctx, Duration::from_secs(1)).await?;
                    }
                } else {
                    self.sleep(ctx, poll).await?;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_param_reads_min_id_from_a_link() {
        assert_eq!(
            query_param(
                "https://m.example/api/v1/notifications?min_id=109&types[]=mention",
                "min_id"
            ),
            Some("109".into())
        );
        assert_eq!(query_param("https://m.example/api/v1/x", "min_id"), None);
    }

    #[test]
    fn hashtags_are_percent_encoded() {
        assert_eq!(encode("velora"), "velora");
        assert_eq!(encode("café"), "caf%C3%A9");
    }
}
