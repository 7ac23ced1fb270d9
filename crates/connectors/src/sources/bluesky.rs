//! Bluesky: the Jetstream firehose over WebSocket, filtered here by the brand's DIDs,
//! handles and keywords; thread fetches from the AppView for context; optional search.
//!
//! Jetstream can replay from a cursor (`time_us`, microseconds), so the cursor saved
//! with each committed batch is the `time_us` of the last event read, matching or not.
//! On reconnect the source asks for `cursor - rewind_secs`: a few seconds of events come
//! twice and the store absorbs them, and nothing in between is lost. Jetstream's own
//! DID filter (`wantedDids`) only matches authors, which would miss replies and mentions
//! by others, so filtering happens here.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use firebreak_core::{ChannelId, Mention, MentionKind};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use super::{check_url, BoxFuture, Source, SourceContext, SourceError};
use crate::http::{Http, RetryPolicy};
use crate::parse::bluesky::{self as parse, Watch};
use firebreak_store::ConnectorHealth;

/// `[[sources]]` with `platform = "bluesky"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub name: String,
    /// The channel mentions are filed under, e.g. `@velora.bsky.social`.
    pub channel: String,
    /// The Jetstream `subscribe` endpoint.
    #[serde(default = "default_jetstream")]
    pub jetstream: String,
    /// The brand's DIDs: their posts, replies to them, mentions and reposts of them.
    #[serde(default)]
    pub dids: Vec<String>,
    /// Handles whose `@handle` in a post's text makes it a mention.
    #[serde(default)]
    pub handles: Vec<String>,
    /// Words or phrases that make a post a mention (case-insensitive, whole words).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The AppView for thread fetches and search.
    #[serde(default = "default_appview")]
    pub appview: String,
    /// Fetch the thread around each reply, for context.
    #[serde(default = "yes")]
    pub fetch_threads: bool,
    /// Look up each author's followers and verification (`app.bsky.actor.getProfiles`,
    /// cached for 6 h), so that the detectors recognise multipliers. Best effort: when
    /// the AppView does not answer, mentions go on without reach for a minute.
    #[serde(default = "yes")]
    pub fetch_profiles: bool,
    /// Poll `searchPosts` for the keywords every this many seconds (0: off).
    #[serde(default)]
    pub search_every_secs: u64,
    /// On reconnect, replay this many seconds before the saved cursor.
    #[serde(default = "default_rewind")]
    pub rewind_secs: u64,
    /// Matching mentions are committed at least this often (milliseconds).
    #[serde(default = "default_batch_ms")]
    pub batch_ms: u64,
    /// With no message for this long, the connection is taken as dead and reopened
    /// (the firehose is never quiet for long).
    #[serde(default = "default_idle")]
    pub idle_timeout_secs: u64,
    /// The brand's account, to post replies (an app password, never the main one).
    #[serde(default)]
    pub account: Option<Account>,
}

/// The account replies are posted as.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The handle or DID to sign in with.
    pub identifier: String,
    pub app_password: crate::notify::Secret,
    /// The account's PDS.
    #[serde(default = "default_pds")]
    pub pds: String,
}

fn default_pds() -> String {
    "https://bsky.social".into()
}

fn default_jetstream() -> String {
    "wss://jetstream2.us-east.bsky.network/subscribe".into()
}
fn default_appview() -> String {
    "https://public.api.bsky.app".into()
}
fn yes() -> bool {
    true
}
fn default_rewind() -> u64 {
    5
}
fn default_idle() -> u64 {
    60
}
fn default_batch_ms() -> u64 {
    250
}

impl Config {
    pub fn validate(&self) -> Result<(), String> {
        check_url("jetstream", &self.jetstream, &["wss", "ws"])?;
        check_url("appview", &self.appview, &["https", "http"])?;
        if self.dids.is_empty() && self.handles.is_empty() && self.keywords.is_empty() {
            return Err(format!(
                "source {:?} watches nothing: give dids, handles or keywords",
                self.name
            ));
        }
        if let Some(a) = &self.account {
            check_url("account.pds", &a.pds, &["https", "http"])?;
            a.app_password.validate("account.app_password")?;
        }
        if let Some(d) = self.dids.iter().find(|d| !d.starts_with("did:")) {
            return Err(format!("{d:?} is not a DID; DIDs look like did:plc:..."));
        }
        Ok(())
    }
}

/// Most events buffered before a commit is forced.
const MAX_BATCH: usize = 1000;
/// With no matching event, the cursor is still saved this often.
const IDLE_CURSOR_EVERY: Duration = Duration::from_secs(5);
/// Roots whose thread was fetched, remembered to fetch each once.
const REMEMBERED_THREADS: usize = 10_000;

pub struct Bluesky {
    config: Config,
    channel: ChannelId,
    watch: Watch,
    http: Arc<Http>,
    profiles: Option<Arc<Profiles>>,
}

/// How long an author's looked-up reach is used.
const PROFILE_TTL: Duration = Duration::from_secs(6 * 3600);
/// Actors per `getProfiles` call (the AppView's limit).
const PROFILES_PER_CALL: usize = 25;
/// Authors remembered at most (the cache starts over beyond).
const MAX_PROFILES: usize = 100_000;
/// After a failed lookup, mentions go on without reach this long.
const PROFILES_PAUSE: Duration = Duration::from_secs(60);

/// Authors' reach from the AppView, cached. A lookup never holds mentions back for long:
/// one attempt with a short timeout, and a pause after a failure.
struct Profiles {
    http: Http,
    url: String,
    cache:
        std::sync::Mutex<std::collections::HashMap<String, (parse::Reach, tokio::time::Instant)>>,
    paused_until: std::sync::Mutex<Option<tokio::time::Instant>>,
}

impl Profiles {
    fn new(appview: &str, shutdown: CancellationToken) -> Profiles {
        let policy = RetryPolicy {
            retries: 0,
            backoff: Duration::from_millis(200),
            max_wait: Duration::from_secs(3),
            timeout: Duration::from_secs(3),
        };
        Profiles {
            http: Http::new(policy, crate::USER_AGENT, shutdown),
            url: format!(
                "{}/xrpc/app.bsky.actor.getProfiles",
                appview.trim_end_matches('/')
            ),
            cache: Default::default(),
            paused_until: Default::default(),
        }
    }

    /// Sets the followers and verification of each mention's author (looked up when not
    /// cached).
    async fn fill(&self, mentions: &mut [Mention]) {
        let now = tokio::time::Instant::now();
        let did_of = |m: &Mention| {
            m.author
                .id
                .as_str()
                .strip_prefix("bluesky:")
                .map(str::to_owned)
        };
        let missing: Vec<String> = {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            let mut missing: Vec<String> = mentions
                .iter()
                .filter_map(did_of)
                .filter(|d| {
                    !matches!(cache.get(d), Some((_, at)) if now.duration_since(*at) < PROFILE_TTL)
                })
                .collect();
            missing.sort();
            missing.dedup();
            missing
        };
        let paused = matches!(
            *self.paused_until.lock().unwrap_or_else(|e| e.into_inner()),
            Some(t) if t > now
        );
        if !paused {
            for chunk in missing.chunks(PROFILES_PER_CALL) {
                let query: Vec<(&str, &str)> =
                    chunk.iter().map(|d| ("actors", d.as_str())).collect();
                let looked_up = match self
                    .http
                    .send("Bluesky getProfiles", |c| c.get(&self.url).query(&query))
                    .await
                {
                    Ok(f) => parse::profiles(&f.body).map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                match looked_up {
                    Ok(found) => {
                        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
                        if cache.len() + found.len() > MAX_PROFILES {
                            cache.clear();
                        }
                        for r in found {
                            cache.insert(r.did.clone(), (r, now));
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "Bluesky profiles could not be looked up; mentions go on without their authors' reach for a minute");
                        *self.paused_until.lock().unwrap_or_else(|e| e.into_inner()) =
                            Some(now + PROFILES_PAUSE);
                        break;
                    }
                }
            }
        }
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        for m in mentions.iter_mut() {
            if let Some((r, _)) = did_of(m).and_then(|d| cache.get(&d)) {
                m.author.followers = m.author.followers.max(r.followers);
                m.author.verified |= r.verified;
            }
        }
    }

    async fn fill_opt(profiles: &Option<Arc<Profiles>>, mentions: &mut [Mention]) {
        if let Some(p) = profiles {
            p.fill(mentions).await;
        }
    }
}

impl Bluesky {
    pub fn new(config: Config, shutdown: CancellationToken) -> Result<Bluesky, String> {
        config.validate()?;
        let watch = Watch {
            dids: config.dids.clone(),
            handles: config.handles.clone(),
            keywords: config.keywords.clone(),
        };
        let profiles = config
            .fetch_profiles
            .then(|| Arc::new(Profiles::new(&config.appview, shutdown.clone())));
        let http = Arc::new(Http::new(
            RetryPolicy::default(),
            crate::USER_AGENT,
            shutdown,
        ));
        Ok(Bluesky {
            channel: ChannelId::new(config.channel.clone()),
            config,
            watch,
            http,
            profiles,
        })
    }

    fn subscribe_url(&self, cursor: Option<i64>) -> String {
        let sep = if self.config.jetstream.contains('?') {
            '&'
        } else {
            '?'
        };
        let mut url = format!(
            "{}{sep}wantedCollections=app.bsky.feed.post&wantedCollections=app.bsky.feed.repost",
            self.config.jetstream
        );
        if let Some(c) = cursor {
            let rewind = i64::try_from(self.config.rewind_secs)
                .unwrap_or(0)
                .saturating_mul(1_000_000);
            url.push_str(&format!("&cursor={}", c.saturating_sub(rewind).max(0)));
        }
        url
    }

    async fn stream(&self, ctx: &SourceContext) -> Result<(), SourceError> {
        let cursor = match ctx.cursor().await? {
            Some(c) => Some(c.trim().parse::<i64>().map_err(|_| {
                SourceError::Permanent(format!(
                    "the saved Jetstream cursor {c:?} is not a number of microseconds"
                ))
            })?),
            None => None,
        };
        let url = self.subscribe_url(cursor);
        let connect = tokio::time::timeout(
            Duration::from_secs(30),
            tokio_tungstenite::connect_async(url.as_str()),
        );
        let (mut ws, _) = tokio::select! {
            r = connect => match r {
                Ok(Ok(ok)) => ok,
                Ok(Err(e)) => return Err(classify(&e)),
                Err(_) => return Err(SourceError::Transient("Jetstream: connecting timed out".into())),
            },
            _ = ctx.shutdown.cancelled() => return Err(SourceError::Shutdown),
        };
        ctx.health(ConnectorHealth::Running, None).await;

        let threads = self.thread_fetcher(ctx);
        let mut pending: Vec<Mention> = Vec::new();
        let mut last_time: Option<i64> = cursor;
        let mut saved_time = cursor;
        let mut last_save = tokio::time::Instant::now();
        let mut malformed = 0u64;
        let idle = Duration::from_secs(self.config.idle_timeout_secs.max(1));
        let mut last_message = tokio::time::Instant::now();
        let mut tick = tokio::time::interval(Duration::from_millis(self.config.batch_ms.max(10)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let result = loop {
            let flush_due = pending.len() >= MAX_BATCH;
            if !flush_due {
                tokio::select! {
                    msg = ws.next() => match msg {
                        Some(Ok(Message::Text(text))) => {
                            last_message = tokio::time::Instant::now();
                            match parse::jetstream(text.as_bytes(), &self.channel, &self.watch) {
                                Ok(event) => {
                                    last_time = Some(event.time_us);
                                    if let Some(m) = event.mention {
                                        if m.kind == MentionKind::Reply {
                                            if let (Some(tx), Some(parent)) = (&threads, &m.in_reply_to) {
                                                let _ = tx.try_send(parent.as_str().to_owned());
                                            }
                                        }
                                        pending.push(m);
                                    }
                                }
                                Err(e) => {
                                    malformed += 1;
                                    if malformed.is_power_of_two() {
                                        tracing::warn!(connector = ctx.name(), malformed, error = %e, "skipped a malformed Jetstream event");
                                    }
                                }
                            }
                            continue;
                        }
                        Some(Ok(Message::Ping(p))) => {
                            let _ = ws.send(Message::Pong(p)).await;
                            continue;
                        }
                        Some(Ok(Message::Close(_))) | None => {
                            break Err(SourceError::Transient("Jetstream closed the stream".into()));
                        }
                        Some(Ok(_)) => continue,
                        Some(Err(e)) => break Err(SourceError::Transient(format!("Jetstream: {e}"))),
                    },
                    _ = tick.tick() => {
                        if last_message.elapsed() >= idle {
                            break Err(SourceError::Transient(format!(
                                "Jetstream sent nothing for {}s; reconnecting",
                                idle.as_secs()
                            )));
                        }
                    }
                    _ = ctx.shutdown.cancelled() => break Err(SourceError::Shutdown),
                }
            }
            let idle_save = pending.is_empty()
                && last_time != saved_time
                && last_save.elapsed() >= IDLE_CURSOR_EVERY;
            if !pending.is_empty() || idle_save {
                let mut batch = std::mem::take(&mut pending);
                Profiles::fill_opt(&self.profiles, &mut batch).await;
                ctx.deliver(batch, last_time.map(|t| t.to_string())).await?;
                saved_time = last_time;
                last_save = tokio::time::Instant::now();
            }
        };
        // Commit what was read before the stream broke (not on shutdown: the saved
        // cursor is before these, so the next run reads them again).
        if !matches!(result, Err(SourceError::Shutdown)) && !pending.is_empty() {
            Profiles::fill_opt(&self.profiles, &mut pending).await;
            ctx.deliver(pending, last_time.map(|t| t.to_string()))
                .await?;
        }
        result
    }

    /// Fetches the thread around replies (once per parent), on its own task.
    fn thread_fetcher(&self, ctx: &SourceContext) -> Option<mpsc::Sender<String>> {
        if !self.config.fetch_threads {
            return None;
        }
        let (tx, mut rx) = mpsc::channel::<String>(256);
        let http = self.http.clone();
        let appview = self.config.appview.trim_end_matches('/').to_owned();
        let channel = self.channel.clone();
        let profiles = self.profiles.clone();
        let ctx = ctx.sub("threads");
        tokio::spawn(async move {
            let mut seen: HashSet<String> = HashSet::new();
            while let Some(id) = rx.recv().await {
                let uri = id.strip_prefix("bluesky:").unwrap_or(&id).to_owned();
                if !seen.insert(uri.clone()) {
                    continue;
                }
                if seen.len() > REMEMBERED_THREADS {
                    seen.clear();
                }
                let url = format!("{appview}/xrpc/app.bsky.feed.getPostThread");
                let fetched = http
                    .send("Bluesky getPostThread", |c| {
                        c.get(&url).query(&[
                            ("uri", uri.as_str()),
                            ("depth", "1"),
                            ("parentHeight", "20"),
                        ])
                    })
                    .await;
                match fetched {
                    Ok(f) => match parse::thread(&f.body, &channel) {
                        Ok(mut page) => {
                            Profiles::fill_opt(&profiles, &mut page.mentions).await;
                            if ctx.deliver(page.mentions, None).await.is_err() {
                                break;
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "a Bluesky thread could not be read"),
                    },
                    Err(SourceError::Shutdown) => break,
                    // A deleted post or a blocked thread: context is best effort.
                    Err(e) => tracing::debug!(error = %e, "Bluesky thread fetch failed"),
                }
            }
        });
        Some(tx)
    }

    /// Polls `searchPosts` for each keyword; its own cursor (the newest time seen).
    async fn search(&self, ctx: SourceContext) -> Result<(), SourceError> {
        let every = Duration::from_secs(self.config.search_every_secs.max(10));
        let url = format!(
            "{}/xrpc/app.bsky.feed.searchPosts",
            self.config.appview.trim_end_matches('/')
        );
        loop {
            for kw in &self.config.keywords {
                let sub = ctx.sub(&format!("search:{kw}"));
                let since = sub.cursor().await?;
                let fetched = self
                    .http
                    .send("Bluesky searchPosts", |c| {
                        let mut q = vec![("q", kw.as_str()), ("sort", "latest"), ("limit", "100")];
                        if let Some(s) = &since {
                            q.push(("since", s.as_str()));
                        }
                        c.get(&url).query(&q)
                    })
                    .await?;
                let mut page = parse::search_posts(&fetched.body, &self.channel)
                    .map_err(|e| SourceError::Transient(format!("Bluesky searchPosts: {e}")))?;
                Profiles::fill_opt(&self.profiles, &mut page.mentions).await;
                let newest = page.mentions.iter().map(|m| m.created_at).max();
                let cursor = newest.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
                sub.deliver(page.mentions, cursor).await?;
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = ctx.shutdown.cancelled() => return Err(SourceError::Shutdown),
            }
        }
    }
}

fn classify(e: &tokio_tungstenite::tungstenite::Error) -> SourceError {
    use tokio_tungstenite::tungstenite::Error;
    match e {
        Error::Http(resp) if resp.status().is_client_error() => SourceError::Permanent(format!(
            "Jetstream refused the subscription: HTTP {} (check the jetstream URL)",
            resp.status()
        )),
        Error::Url(u) => SourceError::Permanent(format!("Jetstream URL: {u}")),
        other => SourceError::Transient(format!("Jetstream: {other}")),
    }
}

impl Source for Bluesky {
    fn name(&self) -> &str {
        &self.config.name
    }
    fn platform(&self) -> &'static str {
        "bluesky"
    }
    fn run<'a>(&'a self, ctx: &'a SourceContext) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            if self.config.search_every_secs > 0 && !self.config.keywords.is_empty() {
                let search = self.search(ctx.clone());
                let stream = self.stream(ctx);
                tokio::pin!(search, stream);
                // Either failing restarts both; the cursors keep them from losing anything.
                tokio::select! {
                    r = &mut stream => r,
                    r = &mut search => r,
                }
            } else {
                self.stream(ctx).await
            }
        })
    }
}
