//! Mastodon: the Status, Notification, search and context entities of the REST API, the
//! streaming API's events, and the `Link` header that paginates the REST API.
//!
//! A status becomes a mention with id `mastodon:{status.id}` and author `mastodon:{account.id}`
//! (handle `account.acct`, reach `account.followers_count`). Its kind, first match wins:
//!
//! 1. a boost (`reblog` set): `reshare`, `reshare_of` = `mastodon:{reblog.id}`, empty text;
//! 2. `visibility: "direct"`: `dm`;
//! 3. `in_reply_to_id` set: `reply`, `in_reply_to` = `mastodon:{in_reply_to_id}`;
//! 4. a quote post (Mastodon 4.5 `quote` with a quoted status): `quote`, `reshare_of` set;
//! 5. the brand's account among `mentions` (or a `mention` notification): `mention`;
//! 6. otherwise `post`.
//!
//! The text is `content` as plain text (see [`super::html`]), preceded by the content
//! warning (`spoiler_text`) and a blank line when there is one.
//!
//! Mastodon ids are strings; numeric ids (sent by some compatible servers) are accepted too.

use firebreak_core::{ChannelId, Mention, MentionKind};
use serde_json::Value;

use super::html;
use super::{
    build, json_body, opt_array, opt_bool, opt_count, opt_id, opt_obj, opt_str, platform, prefixed,
    req_array, req_id, req_obj, req_str, rfc3339, type_name, Fields, Page, ParseError,
};

pub use super::sse::{SseEvent, SseParser, MAX_EVENT_BYTES};

const PLATFORM: &str = "mastodon";

/// One Status entity into a mention. `brand_account_id` is the brand's own account id on
/// this server: a status that mentions it is a `mention`.
pub fn status(
    v: &Value,
    channel: &ChannelId,
    brand_account_id: Option<&str>,
) -> Result<Mention, ParseError> {
    status_as(v, channel, brand_account_id, false)
}

fn status_as(
    v: &Value,
    channel: &ChannelId,
    brand_account_id: Option<&str>,
    mentions_brand: bool,
) -> Result<Mention, ParseError> {
    if !v.is_object() {
        return Err(ParseError::invalid(
            "status",
            format!("expected an object, found {}", type_name(v)),
        ));
    }
    let id = req_id(v, "id", "")?;
    let created_at = rfc3339(req_str(v, "created_at", "")?, "created_at")?;
    let account = req_obj(v, "account", "")?;
    let account_id = req_id(account, "id", "account")?;
    let acct = opt_str(account, "acct", "account")?;
    let followers = opt_count(account, "followers_count", "account")?;
    let visibility = opt_str(v, "visibility", "")?;
    let in_reply_to = opt_id(v, "in_reply_to_id", "")?;
    let reblog = opt_obj(v, "reblog", "")?;
    let reblog_id = match reblog {
        Some(r) => Some(req_id(r, "id", "reblog")?),
        None => None,
    };
    let quoted = quoted_status_id(v)?;
    let mentions = opt_array(v, "mentions", "")?;
    let mentions_brand = mentions_brand
        || match brand_account_id {
            Some(brand) => mentions
                .iter()
                .any(|m| matches!(opt_id(m, "id", "mentions[]"), Ok(Some(id)) if id == brand)),
            None => false,
        };

    let (kind, reshare_of) = if let Some(r) = reblog_id {
        (MentionKind::Reshare, Some(r))
    } else if visibility == Some("direct") {
        (MentionKind::Dm, None)
    } else if in_reply_to.is_some() {
        (MentionKind::Reply, None)
    } else if let Some(q) = quoted.clone() {
        (MentionKind::Quote, Some(q))
    } else if mentions_brand {
        (MentionKind::Mention, None)
    } else {
        (MentionKind::Post, None)
    };
    // A quote that is also a reply or a DM still says what it quotes.
    let reshare_of = reshare_of.or(quoted);

    let text = if kind == MentionKind::Reshare {
        String::new()
    } else {
        let content = html::to_text(opt_str(v, "content", "")?.unwrap_or(""));
        match opt_str(v, "spoiler_text", "")? {
            Some(cw) if !cw.trim().is_empty() => format!("{}\n\n{content}", cw.trim()),
            _ => content,
        }
    };
    let url = match opt_str(v, "url", "")? {
        Some(u) => Some(u.to_owned()),
        None => opt_str(v, "uri", "")?.map(str::to_owned),
    };
    build(
        platform(PLATFORM)?,
        channel,
        Fields {
            id: prefixed(PLATFORM, &id),
            kind,
            created_at,
            author_id: prefixed(PLATFORM, &account_id),
            handle: acct.map(str::to_owned),
            followers,
            verified: false,
            text,
            lang: opt_str(v, "language", "")?.map(str::to_owned),
            in_reply_to: in_reply_to.map(|p| prefixed(PLATFORM, &p)),
            reshare_of: reshare_of.map(|r| prefixed(PLATFORM, &r)),
            url,
        },
    )
}

/// Whether the status's author is an automated account (`account.bot`). A [`Mention`] has no
/// field for it; a source that wants to pass over bots asks here.
pub fn author_is_bot(status: &Value) -> bool {
    status
        .get("account")
        .is_some_and(|a| opt_bool(a, "bot", "account").unwrap_or(false))
}

/// The id of the status a quote post quotes: Mastodon 4.5's `quote` is a Quote
/// (`quoted_status`) or a ShallowQuote (`quoted_status_id`); only an accepted quote counts.
fn quoted_status_id(v: &Value) -> Result<Option<String>, ParseError> {
    let Some(q) = opt_obj(v, "quote", "")? else {
        return Ok(None);
    };
    if let Some(state) = opt_str(q, "state", "quote")? {
        if state != "accepted" {
            return Ok(None);
        }
    }
    if let Some(s) = opt_obj(q, "quoted_status", "quote")? {
        return opt_id(s, "id", "quote.quoted_status");
    }
    opt_id(q, "quoted_status_id", "quote")
}

/// The native id of an item, for [`super::Skipped`].
fn native_id(v: &Value) -> Option<String> {
    opt_id(v, "id", "").ok().flatten()
}

fn page_of(items: &[Value], channel: &ChannelId, brand_account_id: Option<&str>, page: &mut Page) {
    for item in items {
        page.push(native_id(item), status(item, channel, brand_account_id));
    }
}

fn as_array<'a>(v: &'a Value, what: &str) -> Result<&'a [Value], ParseError> {
    match v {
        Value::Array(items) => Ok(items),
        Value::Object(_) => Err(api_error(v)
            .unwrap_or_else(|| ParseError::invalid(what, "expected an array, found an object"))),
        other => Err(ParseError::invalid(
            what,
            format!("expected an array, found {}", type_name(other)),
        )),
    }
}

/// Mastodon's error entity: `{"error": "...", "error_description": "..."}`.
fn api_error(v: &Value) -> Option<ParseError> {
    let error = v.get("error")?.as_str()?;
    Some(ParseError::Api(
        match v.get("error_description").and_then(Value::as_str) {
            Some(d) => format!("{error}: {d}"),
            None => error.to_owned(),
        },
    ))
}

/// A JSON array of Status (a timeline, `GET /api/v1/accounts/:id/statuses`, ...). `next` is
/// `None`: Mastodon paginates with the `Link` header ([`next_link`]).
pub fn statuses(
    body: &[u8],
    channel: &ChannelId,
    brand_account_id: Option<&str>,
) -> Result<Page, ParseError> {
    let v = json_body(body, "Mastodon statuses")?;
    let items = as_array(&v, "statuses")?;
    let mut page = Page::default();
    page_of(items, channel, brand_account_id, &mut page);
    Ok(page)
}

/// `GET /api/v1/notifications`: a JSON array of Notification. Only `mention` notifications
/// carry a message about the brand; every other type (favourite, follow, reblog, ...) is
/// passed over silently. A mentioning status that would otherwise be a `post` is a `mention`.
pub fn notifications(
    body: &[u8],
    channel: &ChannelId,
    brand_account_id: Option<&str>,
) -> Result<Page, ParseError> {
    let v = json_body(body, "Mastodon notifications")?;
    let items = as_array(&v, "notifications")?;
    let mut page = Page::default();
    for item in items {
        match notification(item, channel, brand_account_id) {
            Ok(Some(m)) => page.mentions.push(m),
            Ok(None) => {}
            Err(e) => page.skipped.push(super::Skipped {
                native_id: item
                    .get("status")
                    .and_then(native_id)
                    .or_else(|| native_id(item)),
                reason: e.to_string(),
            }),
        }
    }
    Ok(page)
}

fn notification(
    v: &Value,
    channel: &ChannelId,
    brand_account_id: Option<&str>,
) -> Result<Option<Mention>, ParseError> {
    if !v.is_object() {
        return Err(ParseError::invalid(
            "notification",
            format!("expected an object, found {}", type_name(v)),
        ));
    }
    if req_str(v, "type", "")? != "mention" {
        return Ok(None);
    }
    let status = req_obj(v, "status", "")?;
    status_as(status, channel, brand_account_id, true)
        .map(Some)
        .map_err(|e| in_field("status", e))
}

/// Prefixes the field an error names with where the object sits.
fn in_field(prefix: &str, e: ParseError) -> ParseError {
    match e {
        ParseError::Missing { field } => ParseError::Missing {
            field: format!("{prefix}.{field}"),
        },
        ParseError::Invalid { field, why } => ParseError::Invalid {
            field: format!("{prefix}.{field}"),
            why,
        },
        other => other,
    }
}

/// `GET /api/v2/search`: `{accounts, statuses, hashtags}`; the statuses become mentions.
pub fn search(
    body: &[u8],
    channel: &ChannelId,
    brand_account_id: Option<&str>,
) -> Result<Page, ParseError> {
    let v = json_body(body, "Mastodon search")?;
    if !v.is_object() {
        return Err(ParseError::invalid(
            "search",
            format!("expected an object, found {}", type_name(&v)),
        ));
    }
    if let Some(e) = api_error(&v) {
        return Err(e);
    }
    let items = req_array(&v, "statuses", "")?;
    let mut page = Page::default();
    page_of(items, channel, brand_account_id, &mut page);
    Ok(page)
}

/// `GET /api/v1/statuses/:id/context`: `{ancestors, descendants}`, ancestors first (oldest
/// first), then descendants, as the server ordered them.
pub fn context(
    body: &[u8],
    channel: &ChannelId,
    brand_account_id: Option<&str>,
) -> Result<Page, ParseError> {
    let v = json_body(body, "Mastodon context")?;
    if !v.is_object() {
        return Err(ParseError::invalid(
            "context",
            format!("expected an object, found {}", type_name(&v)),
        ));
    }
    if let Some(e) = api_error(&v) {
        return Err(e);
    }
    let ancestors = req_array(&v, "ancestors", "")?;
    let descendants = req_array(&v, "descendants", "")?;
    let mut page = Page::default();
    page_of(ancestors, channel, brand_account_id, &mut page);
    page_of(descendants, channel, brand_account_id, &mut page);
    Ok(page)
}

/// One event of the streaming API (`GET /api/v1/streaming/...`, SSE or WebSocket):
/// `update` (a Status) and `status.update` (an edited Status) give the status;
/// `notification` gives the status of a `mention` notification; `delete`, other
/// notifications and every other event give `None`. A payload that is not the expected
/// JSON is an error.
pub fn stream_event(
    event: &str,
    data: &str,
    channel: &ChannelId,
    brand_account_id: Option<&str>,
) -> Result<Option<Mention>, ParseError> {
    match event {
        "update" | "status.update" => {
            let v = json_body(data.as_bytes(), "Mastodon stream status")?;
            status(&v, channel, brand_account_id).map(Some)
        }
        "notification" => {
            let v = json_body(data.as_bytes(), "Mastodon stream notification")?;
            notification(&v, channel, brand_account_id)
        }
        _ => Ok(None),
    }
}

/// The id of the Status that `POST /api/v1/statuses` returned.
pub fn posted_id(body: &[u8]) -> Result<String, ParseError> {
    let v = json_body(body, "Mastodon posted status")?;
    if !v.is_object() {
        return Err(ParseError::invalid(
            "status",
            format!("expected an object, found {}", type_name(&v)),
        ));
    }
    if let Some(e) = api_error(&v) {
        return Err(e);
    }
    req_id(&v, "id", "")
}

/// One link of an RFC 8288 `Link` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub url: String,
    /// The relation types, lower case (`rel="next last"` gives two).
    pub rels: Vec<String>,
}

/// Parses an RFC 8288 `Link` header: `<https://x/api/v1/notifications?max_id=1>;
/// rel="next", <...?min_id=3>; rel="prev"`. Malformed parts are skipped.
pub fn links(header: &str) -> Vec<Link> {
    let mut out = Vec::new();
    let mut rest = header;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else { break };
        let url = after[..close].trim().to_owned();
        rest = &after[close + 1..];
        // Parameters up to the next comma outside a quoted string.
        let mut rels = Vec::new();
        let mut params_end = rest.len();
        let mut quoted = false;
        let mut escaped = false;
        for (i, c) in rest.char_indices() {
            if escaped {
                escaped = false;
                continue;
            }
            match c {
                '\\' if quoted => escaped = true,
                '"' => quoted = !quoted,
                ',' if !quoted => {
                    params_end = i;
                    break;
                }
                _ => {}
            }
        }
        for param in split_params(&rest[..params_end]) {
            let Some((name, value)) = param.split_once('=') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("rel") {
                let value = value.trim().trim_matches('"');
                rels.extend(value.split_ascii_whitespace().map(str::to_ascii_lowercase));
            }
        }
        rest = &rest[(params_end + 1).min(rest.len())..];
        out.push(Link { url, rels });
    }
    out
}

/// Splits `; a=b; c="d;e"` at the semicolons outside quotes.
fn split_params(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn link_with(header: &str, rel: &str) -> Option<String> {
    links(header)
        .into_iter()
        .find(|l| l.rels.iter().any(|r| r == rel))
        .map(|l| l.url)
        .filter(|u| !u.is_empty())
}

/// The `rel="next"` URL of a `Link` header: older items.
pub fn next_link(link_header: &str) -> Option<String> {
    link_with(link_header, "next")
}

/// The `rel="prev"` URL of a `Link` header: newer items (what polling asks for).
pub fn prev_link(link_header: &str) -> Option<String> {
    link_with(link_header, "prev")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_with_several_rels_and_quoted_commas() {
        let h = r#"<https://m.example/api/v1/x?max_id=1>; title="a, b"; rel="next last", <https://m.example/api/v1/x?min_id=3>;rel=prev"#;
        assert_eq!(
            next_link(h).as_deref(),
            Some("https://m.example/api/v1/x?max_id=1")
        );
        assert_eq!(
            prev_link(h).as_deref(),
            Some("https://m.example/api/v1/x?min_id=3")
        );
        assert_eq!(next_link(""), None);
        assert_eq!(next_link("<unterminated; rel=next"), None);
    }
}
