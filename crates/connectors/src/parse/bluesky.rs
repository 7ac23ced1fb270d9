//! Bluesky (AT Protocol): Jetstream events, `app.bsky.feed.searchPosts`,
//! `app.bsky.feed.getPostThread`, and the few XRPC responses the connector reads.
//!
//! A post becomes a mention with id `bluesky:{at-uri}` (`at://{did}/{collection}/{rkey}`)
//! and author `bluesky:{did}`; `langs[0]` is its language; its URL is the bsky.app page.
//!
//! Jetstream carries the whole network, so [`jetstream`] keeps only what concerns the brand
//! ([`Watch`]); for everything else it returns just the cursor (`time_us`). What concerns
//! the brand, first match wins:
//!
//! 1. a repost (`app.bsky.feed.repost`) of a brand post: `reshare`;
//! 2. a post by a brand DID: `post`, or `reply` when it replies (the brand's answers thread);
//! 3. a reply whose parent or root is a brand post: `reply`;
//! 4. a quote (`app.bsky.embed.record`, or `recordWithMedia`) of a brand post: `quote`;
//! 5. a mention facet of a brand DID, a watched handle (`@velora.bsky.social`) or keyword
//!    in the text (case-insensitive, whole words): `mention`.
//!
//! Any reply keeps `in_reply_to` = `bluesky:{parent uri}`; a quote keeps `reshare_of`.

use chrono::{DateTime, TimeZone, Utc};
use firebreak_core::{ChannelId, Mention, MentionKind};
use serde_json::Value;

use super::{
    build, join, json_body, opt_array, opt_obj, opt_str, platform, prefixed, req_array, req_id,
    req_obj, req_str, rfc3339, type_name, Fields, Page, ParseError,
};

const PLATFORM: &str = "bluesky";
const POST: &str = "app.bsky.feed.post";
const REPOST: &str = "app.bsky.feed.repost";

/// What the brand watches on Bluesky.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Watch {
    /// The brand's own accounts (`did:plc:...`).
    pub dids: Vec<String>,
    /// Handles whose `@handle` in a post's text makes it a mention (`velora.bsky.social`;
    /// a leading `@` is allowed).
    pub handles: Vec<String>,
    /// Words or phrases whose presence makes a post a mention (case-insensitive, matched
    /// as whole words).
    pub keywords: Vec<String>,
}

impl Watch {
    fn is_brand(&self, did: &str) -> bool {
        self.dids.iter().any(|d| d == did)
    }

    fn is_brand_uri(&self, uri: &str) -> bool {
        uri_did(uri).is_some_and(|did| self.is_brand(did))
    }

    /// Whether the text names a watched handle or keyword.
    pub fn text_matches(&self, text: &str) -> bool {
        if self.handles.is_empty() && self.keywords.is_empty() {
            return false;
        }
        let lower = text.to_lowercase();
        self.handles.iter().any(|h| {
            let h = h.trim().trim_start_matches('@');
            !h.is_empty() && contains_handle(&lower, &format!("@{}", h.to_lowercase()))
        }) || self.keywords.iter().any(|k| {
            let k = k.trim();
            !k.is_empty() && contains_word(&lower, &k.to_lowercase())
        })
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `needle` occurs in `hay` with no word character right before or after it.
fn contains_word(hay: &str, needle: &str) -> bool {
    hay.match_indices(needle).any(|(at, _)| {
        let before = hay[..at].chars().next_back();
        let after = hay[at + needle.len()..].chars().next();
        // A keyword that itself starts or ends with a non-word character (`#velora`,
        // `velora!`) needs no boundary on that side.
        let starts_word = needle.chars().next().is_some_and(is_word_char);
        let ends_word = needle.chars().next_back().is_some_and(is_word_char);
        (!starts_word || !before.is_some_and(is_word_char))
            && (!ends_word || !after.is_some_and(is_word_char))
    })
}

/// `@handle` occurs in `hay` and is not the start of a longer handle (`@velora.bsky.social.x`),
/// a sentence's full stop after it being fine.
fn contains_handle(hay: &str, needle: &str) -> bool {
    hay.match_indices(needle).any(|(at, _)| {
        let before = hay[..at].chars().next_back();
        let mut after = hay[at + needle.len()..].chars();
        let continues = match after.next() {
            None => false,
            Some('.') => after.next().is_some_and(|c| c.is_alphanumeric()),
            Some(c) => c.is_alphanumeric() || c == '-' || c == '_',
        };
        !before.is_some_and(is_word_char) && !continues
    })
}

/// The DID (authority) of an `at://` URI.
fn uri_did(uri: &str) -> Option<&str> {
    let rest = uri.strip_prefix("at://")?;
    let did = rest.split('/').next()?;
    (!did.is_empty()).then_some(did)
}

/// `at://did/collection/rkey` → its three parts.
fn uri_parts(uri: &str) -> Option<(&str, &str, &str)> {
    let rest = uri.strip_prefix("at://")?;
    let mut parts = rest.splitn(3, '/');
    let did = parts.next().filter(|s| !s.is_empty())?;
    let collection = parts.next().filter(|s| !s.is_empty())?;
    let rkey = parts.next().filter(|s| !s.is_empty() && !s.contains('/'))?;
    Some((did, collection, rkey))
}

fn check_uri<'a>(uri: &'a str, field: &str) -> Result<&'a str, ParseError> {
    if uri_parts(uri).is_some() {
        Ok(uri)
    } else {
        Err(ParseError::invalid(
            field,
            format!("{uri:?} is not an at://did/collection/rkey URI"),
        ))
    }
}

fn check_did<'a>(did: &'a str, field: &str) -> Result<&'a str, ParseError> {
    if did.starts_with("did:") && !did.contains('/') && did.len() > 4 {
        Ok(did)
    } else {
        Err(ParseError::invalid(field, format!("{did:?} is not a DID")))
    }
}

fn post_url(did: &str, rkey: &str) -> String {
    format!("https://bsky.app/profile/{did}/post/{rkey}")
}

/// One Jetstream message: the cursor, and the mention when the event concerns the brand.
#[derive(Debug, Clone, PartialEq)]
pub struct JetstreamEvent {
    /// The event's `time_us`: where to resume (`?cursor=`) after a reconnection.
    pub time_us: i64,
    pub mention: Option<Mention>,
}

/// Parses one Jetstream message (`kind` `commit`, `identity` or `account`). See the module
/// documentation for what becomes a mention.
pub fn jetstream(
    line: &[u8],
    channel: &ChannelId,
    watch: &Watch,
) -> Result<JetstreamEvent, ParseError> {
    let v = json_body(line, "Jetstream event")?;
    if !v.is_object() {
        return Err(ParseError::invalid(
            "event",
            format!("expected an object, found {}", type_name(&v)),
        ));
    }
    let time_us = match v.get("time_us") {
        None | Some(Value::Null) => return Err(ParseError::missing("time_us")),
        Some(t) => t
            .as_i64()
            .ok_or_else(|| ParseError::invalid("time_us", format!("{t} is not a whole number")))?,
    };
    let mention = match opt_str(&v, "kind", "")? {
        Some("commit") => commit(&v, time_us, channel, watch)?,
        _ => None,
    };
    Ok(JetstreamEvent { time_us, mention })
}

fn commit(
    v: &Value,
    time_us: i64,
    channel: &ChannelId,
    watch: &Watch,
) -> Result<Option<Mention>, ParseError> {
    let commit = req_obj(v, "commit", "")?;
    if opt_str(commit, "operation", "commit")? != Some("create") {
        return Ok(None);
    }
    let collection = req_str(commit, "collection", "commit")?;
    if collection != POST && collection != REPOST {
        return Ok(None);
    }
    let did = check_did(req_str(v, "did", "")?, "did")?;
    let rkey = req_str(commit, "rkey", "commit")?;
    if rkey.is_empty() || rkey.contains('/') {
        return Err(ParseError::invalid(
            "commit.rkey",
            format!("{rkey:?} is not a record key"),
        ));
    }
    let record = req_obj(commit, "record", "commit")?;
    let uri = format!("at://{did}/{collection}/{rkey}");
    let created_at = record_time(record, "commit.record", time_us)?;

    if collection == REPOST {
        let subject = req_obj(record, "subject", "commit.record")?;
        let subject_uri = check_uri(
            req_str(subject, "uri", "commit.record.subject")?,
            "commit.record.subject.uri",
        )?;
        if !watch.is_brand_uri(subject_uri) {
            return Ok(None);
        }
        return build(
            platform(PLATFORM)?,
            channel,
            Fields {
                id: prefixed(PLATFORM, &uri),
                kind: MentionKind::Reshare,
                created_at,
                author_id: prefixed(PLATFORM, did),
                handle: None,
                followers: 0,
                verified: false,
                text: String::new(),
                lang: None,
                in_reply_to: None,
                reshare_of: Some(prefixed(PLATFORM, subject_uri)),
                url: None,
            },
        )
        .map(Some);
    }

    let post = PostRecord::read(record, "commit.record")?;
    let replies_to_brand = post
        .reply
        .as_ref()
        .is_some_and(|(parent, root)| watch.is_brand_uri(parent) || watch.is_brand_uri(root));
    let quotes_brand = post
        .quoted
        .as_deref()
        .is_some_and(|q| watch.is_brand_uri(q));
    let kind = if watch.is_brand(did) {
        if post.reply.is_some() {
            MentionKind::Reply
        } else {
            MentionKind::Post
        }
    } else if replies_to_brand {
        MentionKind::Reply
    } else if quotes_brand {
        MentionKind::Quote
    } else if post.mentioned.iter().any(|d| watch.is_brand(d)) || watch.text_matches(&post.text) {
        MentionKind::Mention
    } else {
        return Ok(None);
    };
    post.into_mention(uri, did, rkey, kind, created_at, None, false, channel)
        .map(Some)
}

/// `createdAt` of a record; a missing or unreadable one (clients write it, not the server)
/// falls back to the event's `time_us`.
fn record_time(record: &Value, path: &str, time_us: i64) -> Result<DateTime<Utc>, ParseError> {
    if let Ok(Some(s)) = opt_str(record, "createdAt", path) {
        if let Ok(t) = rfc3339(s, &join(path, "createdAt")) {
            return Ok(t);
        }
    }
    Utc.timestamp_micros(time_us)
        .single()
        .filter(|t| (1..=9999).contains(&chrono::Datelike::year(t)))
        .ok_or_else(|| ParseError::invalid("time_us", format!("{time_us} is out of range")))
}

/// What a mention needs from an `app.bsky.feed.post` record.
struct PostRecord {
    text: String,
    lang: Option<String>,
    /// (parent uri, root uri)
    reply: Option<(String, String)>,
    /// The DIDs of the mention facets.
    mentioned: Vec<String>,
    /// The uri of a quoted record.
    quoted: Option<String>,
}

impl PostRecord {
    fn read(record: &Value, path: &str) -> Result<PostRecord, ParseError> {
        let text = opt_str(record, "text", path)?.unwrap_or("").to_owned();
        let langs = opt_array(record, "langs", path)?;
        let lang = langs.first().and_then(Value::as_str).map(str::to_owned);
        let reply = match opt_obj(record, "reply", path)? {
            Some(r) => {
                let rp = join(path, "reply");
                let parent = req_obj(r, "parent", &rp)?;
                let root = req_obj(r, "root", &rp)?;
                let parent_uri = check_uri(
                    req_str(parent, "uri", &join(&rp, "parent"))?,
                    &join(&rp, "parent.uri"),
                )?;
                let root_uri = check_uri(
                    req_str(root, "uri", &join(&rp, "root"))?,
                    &join(&rp, "root.uri"),
                )?;
                Some((parent_uri.to_owned(), root_uri.to_owned()))
            }
            None => None,
        };
        let mut mentioned = Vec::new();
        // Facets are decoration: a malformed one is passed over rather than losing the post.
        for facet in opt_array(record, "facets", path).unwrap_or(&[]) {
            let Some(features) = facet.get("features").and_then(Value::as_array) else {
                continue;
            };
            for f in features {
                if f.get("$type").and_then(Value::as_str) == Some("app.bsky.richtext.facet#mention")
                {
                    if let Some(did) = f.get("did").and_then(Value::as_str) {
                        mentioned.push(did.to_owned());
                    }
                }
            }
        }
        let quoted = opt_obj(record, "embed", path)
            .ok()
            .flatten()
            .and_then(quoted_uri);
        Ok(PostRecord {
            text,
            lang,
            reply,
            mentioned,
            quoted,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn into_mention(
        self,
        uri: String,
        did: &str,
        rkey: &str,
        kind: MentionKind,
        created_at: DateTime<Utc>,
        handle: Option<String>,
        verified: bool,
        channel: &ChannelId,
    ) -> Result<Mention, ParseError> {
        build(
            platform(PLATFORM)?,
            channel,
            Fields {
                id: prefixed(PLATFORM, &uri),
                kind,
                created_at,
                author_id: prefixed(PLATFORM, did),
                handle,
                followers: 0,
                verified,
                text: self.text,
                lang: self.lang,
                in_reply_to: self.reply.map(|(parent, _)| prefixed(PLATFORM, &parent)),
                reshare_of: self.quoted.map(|q| prefixed(PLATFORM, &q)),
                url: Some(post_url(did, rkey)),
            },
        )
    }
}

/// The uri a record embed quotes: `app.bsky.embed.record` (`record.uri`) or
/// `app.bsky.embed.recordWithMedia` (`record.record.uri`).
fn quoted_uri(embed: &Value) -> Option<String> {
    let record = embed.get("record")?;
    let uri = match embed.get("$type").and_then(Value::as_str)? {
        "app.bsky.embed.record" => record.get("uri")?,
        "app.bsky.embed.recordWithMedia" => record.get("record")?.get("uri")?,
        _ => return None,
    };
    let uri = uri.as_str()?;
    uri_parts(uri).map(|_| uri.to_owned())
}

/// A PostView (`app.bsky.feed.defs#postView`) into a mention of `kind` (a reply when its
/// record replies).
fn post_view(v: &Value, channel: &ChannelId, kind: MentionKind) -> Result<Mention, ParseError> {
    if !v.is_object() {
        return Err(ParseError::invalid(
            "post",
            format!("expected an object, found {}", type_name(v)),
        ));
    }
    let uri = check_uri(req_str(v, "uri", "")?, "uri")?;
    let (uri_did, collection, rkey) = uri_parts(uri).unwrap_or_default();
    if collection != POST {
        return Err(ParseError::invalid(
            "uri",
            format!("{uri:?} is not an {POST} record"),
        ));
    }
    let author = req_obj(v, "author", "")?;
    let did = check_did(req_str(author, "did", "author")?, "author.did")?;
    if did != uri_did {
        return Err(ParseError::invalid(
            "author.did",
            format!("{did:?} is not the author of {uri:?}"),
        ));
    }
    let handle = opt_str(author, "handle", "author")?
        .filter(|h| *h != "handle.invalid")
        .map(str::to_owned);
    let verified = author
        .get("verification")
        .and_then(|ver| ver.get("verifiedStatus"))
        .and_then(Value::as_str)
        == Some("valid");
    let record = req_obj(v, "record", "")?;
    let created_at =
        match opt_str(record, "createdAt", "record")?.map(|s| rfc3339(s, "record.createdAt")) {
            Some(Ok(t)) => t,
            // Clients write createdAt; the AppView's indexedAt is the fallback.
            _ => rfc3339(req_str(v, "indexedAt", "")?, "indexedAt")?,
        };
    let post = PostRecord::read(record, "record")?;
    let kind = if post.reply.is_some() {
        MentionKind::Reply
    } else if post.quoted.is_some() && kind == MentionKind::Mention {
        MentionKind::Quote
    } else {
        kind
    };
    post.into_mention(
        uri.to_owned(),
        did,
        rkey,
        kind,
        created_at,
        handle,
        verified,
        channel,
    )
}

fn object_body(body: &[u8], what: &'static str) -> Result<Value, ParseError> {
    let v = json_body(body, what)?;
    if !v.is_object() {
        return Err(ParseError::invalid(
            what,
            format!("expected an object, found {}", type_name(&v)),
        ));
    }
    if let Some(e) = xrpc_error(&v) {
        return Err(e);
    }
    Ok(v)
}

/// An XRPC error body: `{"error": "InvalidRequest", "message": "..."}`.
fn xrpc_error(v: &Value) -> Option<ParseError> {
    let error = v.get("error")?.as_str()?;
    Some(ParseError::Api(
        match v.get("message").and_then(Value::as_str) {
            Some(m) => format!("{error}: {m}"),
            None => error.to_owned(),
        },
    ))
}

fn native(v: &Value) -> Option<String> {
    v.get("uri").and_then(Value::as_str).map(str::to_owned)
}

/// One author's reach, from `app.bsky.actor.getProfiles`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    pub did: String,
    pub followers: u64,
    pub verified: bool,
}

/// `app.bsky.actor.getProfiles`: `{profiles: [ProfileViewDetailed]}`. A profile without a
/// DID is passed over; a missing `followersCount` counts as 0; `verified` is
/// `verification.verifiedStatus == "valid"`.
pub fn profiles(body: &[u8]) -> Result<Vec<Reach>, ParseError> {
    let v = object_body(body, "getProfiles")?;
    Ok(req_array(&v, "profiles", "")?
        .iter()
        .filter_map(|p| {
            let did = p.get("did")?.as_str()?;
            did.starts_with("did:").then(|| Reach {
                did: did.to_owned(),
                followers: p.get("followersCount").and_then(Value::as_u64).unwrap_or(0),
                verified: p
                    .get("verification")
                    .and_then(|ver| ver.get("verifiedStatus"))
                    .and_then(Value::as_str)
                    == Some("valid"),
            })
        })
        .collect())
}

/// `app.bsky.feed.searchPosts`: `{cursor, hitsTotal, posts: [PostView]}`. Search hits are
/// `mention`s (or `reply`/`quote`); `next` is the `cursor`.
pub fn search_posts(body: &[u8], channel: &ChannelId) -> Result<Page, ParseError> {
    let v = object_body(body, "searchPosts")?;
    let posts = req_array(&v, "posts", "")?;
    let mut page = Page {
        next: opt_str(&v, "cursor", "")?
            .filter(|c| !c.is_empty())
            .map(str::to_owned),
        ..Page::default()
    };
    for p in posts {
        page.push(native(p), post_view(p, channel, MentionKind::Mention));
    }
    Ok(page)
}

/// `app.bsky.feed.getPostThread`: walks `thread` (its `parent` chain, oldest first, then the
/// post, then its `replies`, depth first), passing over `notFoundPost` and `blockedPost`.
/// Posts are `post`, or `reply` when they reply. A post seen twice appears once.
pub fn thread(body: &[u8], channel: &ChannelId) -> Result<Page, ParseError> {
    let v = object_body(body, "getPostThread")?;
    let root = req_obj(&v, "thread", "")?;
    let mut page = Page::default();
    let mut seen = std::collections::HashSet::new();

    // Ancestors: follow `parent` up, then emit them oldest first.
    let mut ancestors = Vec::new();
    let mut node = root.get("parent");
    while let Some(p) = node.filter(|p| p.is_object()) {
        ancestors.push(p);
        node = p.get("parent");
    }
    for a in ancestors.into_iter().rev() {
        thread_node(a, channel, &mut page, &mut seen);
    }
    // The post and its replies, depth first in order.
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        thread_node(n, channel, &mut page, &mut seen);
        if let Some(replies) = n.get("replies").and_then(Value::as_array) {
            stack.extend(replies.iter().rev().filter(|r| r.is_object()));
        }
    }
    Ok(page)
}

fn thread_node(
    n: &Value,
    channel: &ChannelId,
    page: &mut Page,
    seen: &mut std::collections::HashSet<String>,
) {
    if let Some("app.bsky.feed.defs#notFoundPost" | "app.bsky.feed.defs#blockedPost") =
        n.get("$type").and_then(Value::as_str)
    {
        return;
    }
    if n.get("notFound") == Some(&Value::Bool(true)) || n.get("blocked") == Some(&Value::Bool(true))
    {
        return;
    }
    let Some(post) = n.get("post") else {
        page.skipped.push(super::Skipped {
            native_id: native(n),
            reason: ParseError::missing("post").to_string(),
        });
        return;
    };
    if let Some(uri) = native(post) {
        if !seen.insert(uri) {
            return;
        }
    }
    page.push(native(post), post_view(post, channel, MentionKind::Post));
}

/// The `uri` of the record `com.atproto.repo.createRecord` created (`{uri, cid}`).
pub fn created_record(body: &[u8]) -> Result<String, ParseError> {
    let v = object_body(body, "createRecord")?;
    Ok(check_uri(req_str(&v, "uri", "")?, "uri")?.to_owned())
}

/// `com.atproto.server.createSession`: `(accessJwt, did)`.
pub fn session(body: &[u8]) -> Result<(String, String), ParseError> {
    let v = object_body(body, "createSession")?;
    let jwt = req_str(&v, "accessJwt", "")?;
    if jwt.is_empty() {
        return Err(ParseError::invalid("accessJwt", "is empty"));
    }
    let did = check_did(&req_id(&v, "did", "")?, "did")?.to_owned();
    Ok((jwt.to_owned(), did))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_handles_need_boundaries() {
        assert!(contains_word("ciao velora!", "velora"));
        assert!(!contains_word("veloradio", "velora"));
        assert!(!contains_word("hypervelora", "velora"));
        assert!(contains_word("#velora rocks", "#velora"));
        assert!(contains_handle(
            "hi @velora.bsky.social.",
            "@velora.bsky.social"
        ));
        assert!(!contains_handle(
            "hi @velora.bsky.social.fake",
            "@velora.bsky.social"
        ));
        assert!(!contains_handle(
            "x@velora.bsky.social",
            "@velora.bsky.social"
        ));
    }
}
