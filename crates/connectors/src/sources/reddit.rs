//! Reddit: OAuth (an app's client credentials, or a script app's password grant when
//! replies are sent), then, per subreddit, the newest posts (or a keyword search of them)
//! and the newest comments, filtered by keyword.
//!
//! Listings are newest first and paginate backwards with `after`. Each listing has a
//! cursor, the creation time of the newest item committed; a catch-up walks back until
//! it passes that time minus an overlap (`overlap_secs`), so items indexed late or
//! created in the same second are not missed, and the store absorbs the overlap.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use firebreak_core::{ChannelId, Mention};
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use super::{check_url, BoxFuture, Source, SourceContext, SourceError};
use crate::http::{Fetched, Http, RetryPolicy};
use crate::notify::Secret;
use crate::parse::reddit as parse;
use firebreak_store::ConnectorHealth;

/// `[[sources]]` with `platform = "reddit"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub name: String,
    pub channel: String,
    /// The app's client id (not a secret).
    pub client_id: String,
    pub client_secret: Secret,
    /// A script app's account, for replies (password grant); absent: read-only.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<Secret>,
    /// Reddit requires a descriptive one: `platform:app:version (by /u/name)`.
    pub user_agent: String,
    /// Subreddits to watch, without `r/`.
    #[serde(default)]
    pub subreddits: Vec<String>,
    /// Keywords; empty: everything in the subreddits.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Also watch the subreddits' newest comments.
    #[serde(default = "yes")]
    pub comments: bool,
    #[serde(default = "default_poll")]
    pub poll_secs: u64,
    /// Pages walked back per listing and catch-up at most.
    #[serde(default = "default_pages")]
    pub max_pages: usize,
    #[serde(default = "default_overlap")]
    pub overlap_secs: i64,
    #[serde(default = "default_auth_url")]
    pub auth_url: String,
    #[serde(default = "default_api_url")]
    pub api_url: String,
}

fn yes() -> bool {
    true
}
fn default_poll() -> u64 {
    60
}
fn default_pages() -> usize {
    10
}
fn default_overlap() -> i64 {
    120
}
fn default_auth_url() -> String {
    "https://www.reddit.com/api/v1/access_token".into()
}
fn default_api_url() -> String {
    "https://oauth.reddit.com".into()
}

impl Config {
    pub fn validate(&self) -> Result<(), String> {
        check_url("auth_url", &self.auth_url, &["https", "http"])?;
        check_url("api_url", &self.api_url, &["https", "http"])?;
        self.client_secret.validate("client_secret")?;
        if let Some(p) = &self.password {
            p.validate("password")?;
        }
        if self.username.is_some() != self.password.is_some() {
            return Err("give both username and password (for replies), or neither".into());
        }
        if self.user_agent.trim().len() < 10 {
            return Err(
                "user_agent: Reddit requires a descriptive one, e.g. \"linux:firebreak:0.1 (by /u/yourbrand)\""
                    .into(),
            );
        }
        if self.subreddits.is_empty() && self.keywords.is_empty() {
            return Err(format!(
                "source {:?} watches nothing: give subreddits, keywords or both",
                self.name
            ));
        }
        if self.poll_secs == 0 || self.max_pages == 0 {
            return Err("poll_secs and max_pages must be at least 1".into());
        }
        Ok(())
    }
}

/// One listing a catch-up walks: its cursor key, path and query; comments are filtered
/// by keyword here (Reddit cannot search comments).
struct Listing {
    key: String,
    path: String,
    query: Vec<(&'static str, String)>,
    comments: bool,
}

struct Token {
    value: String,
    expires: DateTime<Utc>,
}

pub struct Reddit {
    config: Config,
    channel: ChannelId,
    secret: String,
    password: Option<String>,
    http: Http,
    token: Mutex<Option<Token>>,
    keywords: Vec<String>,
}

impl Reddit {
    pub fn new(config: Config, shutdown: CancellationToken) -> Result<Reddit, String> {
        config.validate()?;
        let secret = config
            .client_secret
            .read("client_secret")
            .map_err(|e| e.to_string())?;
        let password = match &config.password {
            Some(p) => Some(p.read("password").map_err(|e| e.to_string())?),
            None => None,
        };
        Ok(Reddit {
            channel: ChannelId::new(config.channel.clone()),
            http: Http::new(RetryPolicy::default(), &config.user_agent, shutdown),
            keywords: config.keywords.iter().map(|k| k.to_lowercase()).collect(),
            token: Mutex::new(None),
            secret,
            password,
            config,
        })
    }

    /// The OAuth API's base URL.
    pub(crate) fn api_url(&self) -> String {
        self.config.api_url.trim_end_matches('/').to_owned()
    }

    /// A valid access token, fetched or refreshed as needed.
    pub(crate) async fn token(&self, force: bool) -> Result<String, SourceError> {
        let mut token = self.token.lock().await;
        if let Some(t) = token.as_ref() {
            if !force && t.expires > Utc::now() {
                return Ok(t.value.clone());
            }
        }
        let form: Vec<(&str, &str)> = match (&self.config.username, &self.password) {
            (Some(u), Some(p)) => {
                vec![("grant_type", "password"), ("username", u), ("password", p)]
            }
            _ => vec![("grant_type", "client_credentials")],
        };
        let f = self
            .http
            .send("Reddit access token", |c| {
                c.post(&self.config.auth_url)
                    .basic_auth(&self.config.client_id, Some(&self.secret))
                    .form(&form)
            })
            .await?;
        let (value, expires_in) = parse::token(&f.body).map_err(|e| {
            SourceError::Permanent(format!(
                "Reddit access token: {e} (check client_id, client_secret and the account)"
            ))
        })?;
        let ttl = i64::try_from(expires_in)
            .unwrap_or(3600)
            .saturating_sub(60)
            .max(30);
        *token = Some(Token {
            value: value.clone(),
            expires: Utc::now() + chrono::Duration::seconds(ttl),
        });
        Ok(value)
    }

    /// GET on the OAuth API; a 401 refreshes the token once.
    pub(crate) async fn get(
        &self,
        what: &str,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Fetched, SourceError> {
        let url = format!("{}{path}", self.config.api_url.trim_end_matches('/'));
        let mut force = false;
        loop {
            let token = self.token(force).await?;
            match self
                .http
                .send(what, |c| c.get(&url).bearer_auth(&token).query(query))
                .await
            {
                Err(SourceError::Permanent(e)) if !force && e.contains("401") => force = true,
                other => return other,
            }
        }
    }

    /// The listings to walk.
    fn listings(&self) -> Vec<Listing> {
        let mut out = Vec::new();
        let q = self
            .config
            .keywords
            .iter()
            .map(|k| {
                if k.contains(' ') {
                    format!("\"{k}\"")
                } else {
                    k.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(" OR ");
        for sub in &self.config.subreddits {
            if self.config.keywords.is_empty() {
                out.push(Listing {
                    key: format!("r/{sub}/new"),
                    path: format!("/r/{sub}/new"),
                    query: vec![],
                    comments: false,
                });
            } else {
                out.push(Listing {
                    key: format!("r/{sub}/search"),
                    path: format!("/r/{sub}/search"),
                    query: vec![
                        ("q", q.clone()),
                        ("restrict_sr", "1".into()),
                        ("sort", "new".into()),
                        ("type", "link".into()),
                    ],
                    comments: false,
                });
            }
            if self.config.comments {
                out.push(Listing {
                    key: format!("r/{sub}/comments"),
                    path: format!("/r/{sub}/comments"),
                    query: vec![],
                    comments: true,
                });
            }
        }
        if self.config.subreddits.is_empty() {
            out.push(Listing {
                key: "search".into(),
                path: "/search".into(),
                query: vec![("q", q), ("sort", "new".into()), ("type", "link".into())],
                comments: false,
            });
        }
        out
    }

    fn wanted(&self, m: &Mention, comments: bool) -> bool {
        if !comments || self.keywords.is_empty() {
            return true;
        }
        let text = m.text.to_lowercase();
        self.keywords.iter().any(|k| text.contains(k.as_str()))
    }

    async fn catch_up(&self, ctx: &SourceContext) -> Result<(), SourceError> {
        let mut cursors: BTreeMap<String, i64> = match ctx.cursor().await? {
            None => BTreeMap::new(),
            Some(t) => serde_json::from_str(&t).map_err(|e| {
                SourceError::Permanent(format!("the saved Reddit cursor is not readable: {e}"))
            })?,
        };
        for Listing {
            key,
            path,
            query: base_query,
            comments,
        } in self.listings()
        {
            let since = cursors.get(&key).copied();
            let horizon = since.map(|s| s - self.config.overlap_secs);
            let mut collected: Vec<Mention> = Vec::new();
            let mut after: Option<String> = None;
            // First run: the newest page only.
            let pages = if since.is_some() {
                self.config.max_pages
            } else {
                1
            };
            for _ in 0..pages {
                let mut query = base_query.clone();
                query.push(("limit", "100".into()));
                query.push(("raw_json", "1".into()));
                if let Some(a) = &after {
                    query.push(("after", a.clone()));
                }
                let f = self.get("Reddit listing", &path, &query).await?;
                let page = parse::listing(&f.body, &self.channel)
                    .map_err(|e| SourceError::Transient(format!("Reddit listing {path}: {e}")))?;
                let mut reached = page.mentions.is_empty();
                for m in page.mentions {
                    if horizon.is_some_and(|h| m.created_at.timestamp() < h) {
                        reached = true;
                        continue;
                    }
                    if self.wanted(&m, comments) {
                        collected.push(m);
                    }
                }
                after = page.next;
                if reached || after.is_none() {
                    break;
                }
            }
            let newest = collected.iter().map(|m| m.created_at.timestamp()).max();
            if let Some(n) = newest {
                cursors.insert(key.clone(), n.max(since.unwrap_or(n)));
            }
            collected.sort_by_key(|m| m.created_at);
            let doc = serde_json::to_string(&cursors)
                .map_err(|e| SourceError::Transient(format!("cursor: {e}")))?;
            ctx.deliver(collected, Some(doc)).await?;
        }
        Ok(())
    }
}

impl Source for Reddit {
    fn name(&self) -> &str {
        &self.config.name
    }
    fn platform(&self) -> &'static str {
        "reddit"
    }
    fn run<'a>(&'a self, ctx: &'a SourceContext) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            let poll = Duration::from_secs(self.config.poll_secs);
            loop {
                self.catch_up(ctx).await?;
                ctx.health(ConnectorHealth::Running, None).await;
                tokio::select! {
                    _ = tokio::time::sleep(poll) => {}
                    _ = ctx.shutdown.cancelled() => return Err(SourceError::Shutdown),
                }
            }
        })
    }
}
