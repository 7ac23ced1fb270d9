//! Replies and direct messages posted on the platforms: one [`Publishers`] implements the
//! inbox's [`Outbound`] for every configured source that has credentials to post.
//!
//! - **Mastodon**: `POST /api/v1/statuses` with `in_reply_to_id`, the author addressed as
//!   `@acct`; visibility `direct` for a DM. The inbox's key goes in `Idempotency-Key`, so
//!   a retried post is not published twice.
//! - **Bluesky**: `com.atproto.repo.createRecord` of an `app.bsky.feed.post` with its
//!   reply refs (parent and root, their CIDs from `app.bsky.feed.getPosts`), after
//!   `com.atproto.server.createSession` with an app password. No DMs.
//! - **Reddit**: `POST /api/comment` on the post or comment; a DM is `POST /api/compose`.
//!
//! In dry-run mode nothing leaves the machine: each post is checked (a publisher exists
//! for the channel, the text fits) and kept in [`Publishers::dry_runs`].
//!
//! The inbox is synchronous; each post runs on a short-lived thread with its own
//! runtime, so it works the same from the server's blocking pool and from the CLI.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use firebreak_respond::case::PrivateChannel;
use firebreak_respond::outbound::{Outbound, OutboundPost};
use firebreak_respond::store::Delivery;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::http::{Http, RetryPolicy};
use crate::parse;
use crate::sources::{reddit, SourceConfig, SourceError};

/// Bluesky's limit on a post's length (graphemes; characters are a close stand-in).
const BLUESKY_MAX_CHARS: usize = 300;
/// Mastodon's default limit.
const MASTODON_MAX_CHARS: usize = 500;

enum Publisher {
    Mastodon {
        instance: String,
        token: String,
    },
    Bluesky {
        pds: String,
        appview: String,
        identifier: String,
        password: String,
        session: Mutex<Option<(String, String)>>,
    },
    Reddit(Box<reddit::Reddit>),
}

/// Posts replies for every channel with a source that can post.
pub struct Publishers {
    by_channel: HashMap<String, Arc<Publisher>>,
    dry_run: bool,
    dry_runs: Mutex<Vec<OutboundPost>>,
}

impl Publishers {
    /// Publishers for the sources that have posting credentials. Secrets are read now.
    pub fn from_sources(sources: &[SourceConfig], dry_run: bool) -> Result<Publishers, String> {
        let mut by_channel = HashMap::new();
        for s in sources {
            let publisher = match s {
                SourceConfig::Mastodon(c) => Publisher::Mastodon {
                    instance: c.instance.trim_end_matches('/').to_owned(),
                    token: c.token.read("token").map_err(|e| e.to_string())?,
                },
                SourceConfig::Bluesky(c) => match &c.account {
                    None => continue,
                    Some(a) => Publisher::Bluesky {
                        pds: a.pds.trim_end_matches('/').to_owned(),
                        appview: c.appview.trim_end_matches('/').to_owned(),
                        identifier: a.identifier.clone(),
                        password: a
                            .app_password
                            .read("account.app_password")
                            .map_err(|e| e.to_string())?,
                        session: Mutex::new(None),
                    },
                },
                SourceConfig::Reddit(c) if c.username.is_some() => Publisher::Reddit(Box::new(
                    reddit::Reddit::new(c.clone(), CancellationToken::new())?,
                )),
                SourceConfig::Reddit(_) | SourceConfig::Feed(_) => continue,
            };
            let channel = match s {
                SourceConfig::Mastodon(c) => &c.channel,
                SourceConfig::Bluesky(c) => &c.channel,
                SourceConfig::Reddit(c) => &c.channel,
                SourceConfig::Feed(c) => &c.channel,
            };
            by_channel.insert(channel.clone(), Arc::new(publisher));
        }
        Ok(Publishers {
            by_channel,
            dry_run,
            dry_runs: Mutex::new(Vec::new()),
        })
    }

    /// Channels that can post.
    pub fn channels(&self) -> Vec<String> {
        let mut v: Vec<String> = self.by_channel.keys().cloned().collect();
        v.sort();
        v
    }

    /// What dry-run mode would have posted.
    pub fn dry_runs(&self) -> Vec<OutboundPost> {
        self.dry_runs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Outbound for Publishers {
    fn post(&self, post: &OutboundPost) -> Result<Delivery, String> {
        let publisher = self.by_channel.get(&post.channel).cloned().ok_or_else(|| {
            format!(
                "no source with posting credentials is configured for channel {}",
                post.channel
            )
        })?;
        check(&publisher, post)?;
        if self.dry_run {
            self.dry_runs
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(post.clone());
            return Ok(Delivery::DryRun);
        }
        let post = post.clone();
        let handle = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("runtime: {e}"))?;
            rt.block_on(send(&publisher, &post))
        });
        let platform_id = handle
            .join()
            .map_err(|_| "the posting thread panicked".to_owned())??;
        Ok(Delivery::Connector { platform_id })
    }
}

/// What can be checked without the network.
fn check(publisher: &Publisher, post: &OutboundPost) -> Result<(), String> {
    let len = post.text.chars().count();
    match publisher {
        Publisher::Bluesky { .. } => {
            if post.private.is_some() {
                return Err("Bluesky direct messages are not supported; reply publicly and move the conversation to email".into());
            }
            if len > BLUESKY_MAX_CHARS {
                return Err(format!(
                    "Bluesky posts are at most {BLUESKY_MAX_CHARS} characters; this reply has {len}: shorten it"
                ));
            }
        }
        Publisher::Mastodon { .. } => {
            if len > MASTODON_MAX_CHARS {
                return Err(format!(
                    "Mastodon posts are at most {MASTODON_MAX_CHARS} characters here; this reply has {len}: shorten it"
                ));
            }
        }
        Publisher::Reddit(_) => {}
    }
    if post.private.is_none() && post.in_reply_to.is_none() {
        return Err("a public reply needs the mention it answers".into());
    }
    if matches!(
        post.private,
        Some(PrivateChannel::Email | PrivateChannel::Phone)
    ) {
        return Err("email and phone are not posted through a platform".into());
    }
    Ok(())
}

fn native<'a>(id: &'a str, platform: &str) -> &'a str {
    id.strip_prefix(platform)
        .and_then(|r| r.strip_prefix(':'))
        .unwrap_or(id)
}

fn err(e: SourceError) -> String {
    e.to_string()
}

async fn send(publisher: &Publisher, post: &OutboundPost) -> Result<String, String> {
    // Posting is retried only for transient failures, a few times: a person is waiting.
    let policy = RetryPolicy {
        retries: 2,
        ..RetryPolicy::default()
    };
    let http = Http::new(policy, crate::USER_AGENT, CancellationToken::new());
    match publisher {
        Publisher::Mastodon { instance, token } => {
            let mut status = post.text.clone();
            if let Some(h) = &post.to_handle {
                let at = format!("@{}", h.trim_start_matches('@'));
                if !status.contains(&at) {
                    status = format!("{at} {status}");
                }
            }
            let mut form = vec![
                ("status", status),
                (
                    "visibility",
                    if post.private.is_some() {
                        "direct".to_owned()
                    } else {
                        "public".to_owned()
                    },
                ),
            ];
            if let Some(parent) = &post.in_reply_to {
                form.push((
                    "in_reply_to_id",
                    native(parent.as_str(), "mastodon").to_owned(),
                ));
            }
            let url = format!("{instance}/api/v1/statuses");
            let f = http
                .send("Mastodon post", |c| {
                    c.post(&url)
                        .bearer_auth(token)
                        .header("idempotency-key", &post.key)
                        .form(&form)
                })
                .await
                .map_err(err)?;
            let id = parse::mastodon::posted_id(&f.body).map_err(|e| e.to_string())?;
            Ok(format!("mastodon:{id}"))
        }
        Publisher::Bluesky {
            pds,
            appview,
            identifier,
            password,
            session,
        } => {
            let known = session.lock().unwrap_or_else(|e| e.into_inner()).clone();
            let (jwt, did) = match known {
                Some(s) => s,
                None => {
                    let url = format!("{pds}/xrpc/com.atproto.server.createSession");
                    let body = json!({"identifier": identifier, "password": password});
                    let f = http
                        .send("Bluesky createSession", |c| c.post(&url).json(&body))
                        .await
                        .map_err(err)?;
                    let s = parse::bluesky::session(&f.body).map_err(|e| e.to_string())?;
                    *session.lock().unwrap_or_else(|e| e.into_inner()) = Some(s.clone());
                    s
                }
            };
            let parent_uri = post
                .in_reply_to
                .as_ref()
                .map(|m| native(m.as_str(), "bluesky").to_owned())
                .ok_or("a Bluesky reply needs its parent post")?;
            let url = format!("{appview}/xrpc/app.bsky.feed.getPosts");
            let f = http
                .send("Bluesky getPosts", |c| {
                    c.get(&url).query(&[("uris", parent_uri.as_str())])
                })
                .await
                .map_err(err)?;
            let (parent, root) = reply_refs(&f.body, &parent_uri)?;
            let record = json!({
                "repo": did,
                "collection": "app.bsky.feed.post",
                "record": {
                    "$type": "app.bsky.feed.post",
                    "text": post.text,
                    "createdAt": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    "reply": {"root": root, "parent": parent},
                },
            });
            let url = format!("{pds}/xrpc/com.atproto.repo.createRecord");
            let sent = http
                .send("Bluesky createRecord", |c| {
                    c.post(&url).bearer_auth(&jwt).json(&record)
                })
                .await;
            let f = match sent {
                Ok(f) => f,
                Err(e) => {
                    // An expired session: sign in again next time.
                    *session.lock().unwrap_or_else(|e| e.into_inner()) = None;
                    return Err(err(e));
                }
            };
            let uri = parse::bluesky::created_record(&f.body).map_err(|e| e.to_string())?;
            Ok(format!("bluesky:{uri}"))
        }
        Publisher::Reddit(r) => {
            let token = r.token(false).await.map_err(err)?;
            let api = r.api_url();
            match post.private {
                None => {
                    let thing = post
                        .in_reply_to
                        .as_ref()
                        .map(|m| native(m.as_str(), "reddit").to_owned())
                        .ok_or("a Reddit reply needs the post or comment it answers")?;
                    let url = format!("{api}/api/comment");
                    let form = [
                        ("api_type", "json"),
                        ("thing_id", &thing),
                        ("text", &post.text),
                    ];
                    let f = http
                        .send("Reddit comment", |c| {
                            c.post(&url).bearer_auth(&token).form(&form)
                        })
                        .await
                        .map_err(err)?;
                    let id = parse::reddit::posted_id(&f.body).map_err(|e| e.to_string())?;
                    Ok(format!("reddit:{id}"))
                }
                Some(_) => {
                    let to = post
                        .to_handle
                        .clone()
                        .ok_or("a Reddit message needs the author's user name")?;
                    let to = to
                        .trim_start_matches("u/")
                        .trim_start_matches('@')
                        .to_owned();
                    let url = format!("{api}/api/compose");
                    let form = [
                        ("api_type", "json"),
                        ("to", to.as_str()),
                        ("subject", "About your message"),
                        ("text", post.text.as_str()),
                    ];
                    let f = http
                        .send("Reddit message", |c| {
                            c.post(&url).bearer_auth(&token).form(&form)
                        })
                        .await
                        .map_err(err)?;
                    let v: serde_json::Value = serde_json::from_slice(&f.body)
                        .map_err(|e| format!("Reddit message: the answer is not JSON ({e})"))?;
                    if let Some(errors) = v.pointer("/json/errors").and_then(|e| e.as_array()) {
                        if !errors.is_empty() {
                            return Err(format!("Reddit refused the message: {}", json!(errors)));
                        }
                    }
                    Ok(format!("reddit:message:{to}:{}", post.key))
                }
            }
        }
    }
}

/// The parent and root references (`{uri, cid}`) of a reply to `parent_uri`, from a
/// `getPosts` answer.
fn reply_refs(
    body: &[u8],
    parent_uri: &str,
) -> Result<(serde_json::Value, serde_json::Value), String> {
    let v: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| format!("Bluesky getPosts: the answer is not JSON ({e})"))?;
    let post = v
        .get("posts")
        .and_then(|p| p.as_array())
        .and_then(|p| p.first())
        .ok_or_else(|| format!("the post {parent_uri} was not found (deleted?)"))?;
    let cid = post
        .get("cid")
        .and_then(|c| c.as_str())
        .ok_or("Bluesky getPosts: the post has no cid")?;
    let parent = json!({"uri": parent_uri, "cid": cid});
    let root = post
        .pointer("/record/reply/root")
        .filter(|r| r.get("uri").is_some() && r.get("cid").is_some())
        .cloned()
        .unwrap_or_else(|| parent.clone());
    Ok((parent, root))
}
