//! RSS (0.9x, 1.0, 2.0), Atom 1.0 (and JSON Feed), read with `feed-rs`.
//!
//! An entry becomes a mention with id `rss:{id}`: the Atom `id` or RSS `guid`, else the
//! entry's link; an entry with neither is skipped. Its author is `rss:{author name}` (the
//! entry's, else the feed's), else `rss:{host of the feed's link}`. Its text is the title, a
//! blank line and the content (else the summary) as plain text. Its time is `published`,
//! else `updated`, else `fallback_time` (when the feed was fetched). Its kind is the caller's
//! (`post` for a blog, `review` for a review site's feed).

use chrono::{DateTime, Datelike, Utc};
use feed_rs::model::{Entry, Feed, Text};
use firebreak_core::{ChannelId, Mention, MentionKind};

use super::{build, html, platform, prefixed, Fields, Page, ParseError, Skipped};

const PLATFORM: &str = "rss";

/// Parses an RSS or Atom document into one page of mentions of `kind`.
pub fn feed(
    body: &[u8],
    channel: &ChannelId,
    kind: MentionKind,
    fallback_time: DateTime<Utc>,
) -> Result<Page, ParseError> {
    // No generated ids: an entry without one falls back to its link, which is stable.
    let parser = feed_rs::parser::Builder::new()
        .id_generator(|_, _, _| String::new())
        .build();
    let feed = parser
        .parse(body)
        .map_err(|e| ParseError::Xml(e.to_string()))?;
    let host = feed_host(&feed);
    let feed_author = feed
        .authors
        .iter()
        .filter_map(|p| p.name.as_deref())
        .map(str::trim)
        .find(|n| !n.is_empty())
        .map(str::to_owned);
    let mut page = Page::default();
    for entry in &feed.entries {
        let native = entry_id(entry);
        let result = match &native {
            Some(id) => entry_mention(
                entry,
                id,
                &feed,
                feed_author.as_deref(),
                host.as_deref(),
                channel,
                kind,
                fallback_time,
            ),
            None => Err(ParseError::missing("id (nor guid, nor link)")),
        };
        match result {
            Ok(m) => page.mentions.push(m),
            Err(e) => page.skipped.push(Skipped {
                native_id: native,
                reason: e.to_string(),
            }),
        }
    }
    Ok(page)
}

fn entry_id(entry: &Entry) -> Option<String> {
    let id = entry.id.trim();
    if !id.is_empty() {
        return Some(id.to_owned());
    }
    entry_link(entry)
}

fn entry_link(entry: &Entry) -> Option<String> {
    entry
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| entry.links.first())
        .map(|l| l.href.trim().to_owned())
        .filter(|h| !h.is_empty())
}

/// The host of the feed's own link (`https://blog.example/feed` → `blog.example`).
fn feed_host(feed: &Feed) -> Option<String> {
    feed.links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| feed.links.first())
        .and_then(|l| host_of(&l.href))
}

fn host_of(url: &str) -> Option<String> {
    let rest = url.trim().split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = host.split(':').next()?.to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

fn plain(text: &Text) -> String {
    if text.content_type.to_string().contains("html") {
        html::to_text(&text.content)
    } else {
        text.content.trim().to_owned()
    }
}

#[allow(clippy::too_many_arguments)]
fn entry_mention(
    entry: &Entry,
    id: &str,
    feed: &Feed,
    feed_author: Option<&str>,
    host: Option<&str>,
    channel: &ChannelId,
    kind: MentionKind,
    fallback_time: DateTime<Utc>,
) -> Result<Mention, ParseError> {
    let author_name = entry
        .authors
        .iter()
        .filter_map(|p| p.name.as_deref())
        .map(str::trim)
        .find(|n| !n.is_empty())
        .or(feed_author);
    let author_key = author_name
        .map(str::to_owned)
        .or_else(|| host.map(str::to_owned))
        .or_else(|| entry_link(entry).as_deref().and_then(host_of))
        .unwrap_or_else(|| "unknown".to_owned());
    let title = entry.title.as_ref().map(plain).unwrap_or_default();
    let body = match (&entry.content, &entry.summary) {
        (Some(c), _) if c.body.as_deref().is_some_and(|b| !b.trim().is_empty()) => {
            let b = c.body.as_deref().unwrap_or("");
            if c.content_type.to_string().contains("html") {
                html::to_text(b)
            } else {
                b.trim().to_owned()
            }
        }
        (_, Some(s)) => plain(s),
        _ => String::new(),
    };
    let text = match (title.is_empty(), body.is_empty()) {
        (_, true) => title,
        (true, false) => body,
        (false, false) => format!("{title}\n\n{body}"),
    };
    let created_at = entry
        .published
        .or(entry.updated)
        .filter(|t| (1..=9999).contains(&t.year()))
        .unwrap_or(fallback_time);
    build(
        platform(PLATFORM)?,
        channel,
        Fields {
            id: prefixed(PLATFORM, id),
            kind,
            created_at,
            author_id: prefixed(PLATFORM, &author_key),
            handle: author_name.map(str::to_owned),
            followers: 0,
            verified: false,
            text,
            lang: entry.language.clone().or_else(|| feed.language.clone()),
            in_reply_to: None,
            reshare_of: None,
            url: entry_link(entry),
        },
    )
}
