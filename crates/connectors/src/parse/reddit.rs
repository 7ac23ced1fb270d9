//! Reddit: Listing JSON of links (`t3`) and comments (`t1`), the OAuth token response, and
//! the response of `POST /api/comment`.
//!
//! A thing becomes a mention with id `reddit:{fullname}` (`reddit:t3_abc`, `reddit:t1_def`)
//! and author `reddit:{author_fullname}` (`reddit:{author}` when there is none, as for
//! `[deleted]`), handle `u/{author}`. A link is a `post` whose text is its title, a blank line
//! and its selftext; a comment is a `reply` to `reddit:{parent_id}`. `created_utc` is the
//! event time, `https://www.reddit.com{permalink}` the URL.
//!
//! Ask Reddit for `raw_json=1`: without it, Reddit escapes `&`, `<` and `>` in text as HTML
//! entities, and this module takes text as it comes.

use firebreak_core::{ChannelId, Mention, MentionKind};
use serde_json::Value;

use super::{
    build, json_body, opt_array, opt_id, opt_obj, opt_str, platform, prefixed, req_obj, req_str,
    type_name, unix_seconds, Fields, Page, ParseError, Skipped,
};

const PLATFORM: &str = "reddit";

/// The deepest comment tree walked; deeper replies are passed over (Reddit itself stops at
/// 10 levels and sends a `more` there).
const MAX_DEPTH: usize = 64;

/// A Listing (`{"kind": "Listing", "data": {"after", "children": [...]}}`), as search,
/// `/r/{sub}/new` and `/user/{name}/...` return it, or the array of two Listings of
/// `/comments/{id}` (the link, then its comment tree, walked depth first). `next` is
/// `data.after`. `more` stubs are passed over silently.
pub fn listing(body: &[u8], channel: &ChannelId) -> Result<Page, ParseError> {
    let v = json_body(body, "Reddit listing")?;
    let listings: Vec<&Value> = match &v {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => {
            if let Some(e) = api_error(&v) {
                return Err(e);
            }
            vec![&v]
        }
        other => {
            return Err(ParseError::invalid(
                "listing",
                format!("expected an object, found {}", type_name(other)),
            ))
        }
    };
    let mut page = Page::default();
    for (i, l) in listings.into_iter().enumerate() {
        let path = if matches!(v, Value::Array(_)) {
            format!("[{i}]")
        } else {
            String::new()
        };
        let data = listing_data(l, &path)?;
        if page.next.is_none() {
            page.next = opt_str(data, "after", &path)?
                .filter(|a| !a.is_empty())
                .map(str::to_owned);
        }
        walk(data, 0, channel, &mut page);
    }
    Ok(page)
}

fn listing_data<'a>(l: &'a Value, path: &str) -> Result<&'a Value, ParseError> {
    if !l.is_object() {
        return Err(ParseError::invalid(
            if path.is_empty() { "listing" } else { path },
            format!("expected a Listing object, found {}", type_name(l)),
        ));
    }
    let kind = req_str(l, "kind", path)?;
    if kind != "Listing" {
        return Err(ParseError::invalid(
            super::join(path, "kind"),
            format!("expected \"Listing\", found {kind:?}"),
        ));
    }
    let data = req_obj(l, "data", path)?;
    match data.get("children") {
        Some(Value::Array(_)) => Ok(data),
        None | Some(Value::Null) => Err(ParseError::missing(super::join(path, "data.children"))),
        Some(other) => Err(ParseError::invalid(
            super::join(path, "data.children"),
            format!("expected an array, found {}", type_name(other)),
        )),
    }
}

/// Walks the children of a Listing's data, and their replies, without recursion.
fn walk(data: &Value, depth: usize, channel: &ChannelId, page: &mut Page) {
    let mut stack: Vec<(&Value, usize)> = Vec::new();
    let children = data
        .get("children")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    stack.extend(children.iter().rev().map(|c| (c, depth)));
    while let Some((child, depth)) = stack.pop() {
        let kind = child.get("kind").and_then(Value::as_str);
        if kind == Some("more") {
            continue;
        }
        let native = child
            .get("data")
            .and_then(|d| d.get("name"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        match kind {
            Some("t3" | "t1") => page.push(native, thing(child, channel)),
            Some(other) => page.skipped.push(Skipped {
                native_id: native,
                reason: format!("kind {other:?} is neither a link (t3) nor a comment (t1)"),
            }),
            None => page.skipped.push(Skipped {
                native_id: native,
                reason: ParseError::missing("kind").to_string(),
            }),
        }
        // A comment's replies are a Listing, or "" when there are none.
        if let Some(replies) = child.get("data").and_then(|d| d.get("replies")) {
            if let Ok(rdata) = listing_data(replies, "replies") {
                if depth < MAX_DEPTH {
                    if let Some(rc) = rdata.get("children").and_then(Value::as_array) {
                        stack.extend(rc.iter().rev().map(|c| (c, depth + 1)));
                    }
                }
            }
        }
    }
}

/// One `t3` or `t1` thing into a mention.
pub fn thing(v: &Value, channel: &ChannelId) -> Result<Mention, ParseError> {
    let kind = req_str(v, "kind", "")?;
    let d = req_obj(v, "data", "")?;
    let name = match opt_id(d, "name", "data")? {
        Some(n) => n,
        None => format!("{kind}_{}", super::req_id(d, "id", "data")?),
    };
    if !name.starts_with(&format!("{kind}_")) {
        return Err(ParseError::invalid(
            "data.name",
            format!("{name:?} is not a {kind} fullname"),
        ));
    }
    let created_at = match d.get("created_utc") {
        None | Some(Value::Null) => return Err(ParseError::missing("data.created_utc")),
        Some(Value::Number(n)) => unix_seconds(n.as_f64().unwrap_or(f64::NAN), "data.created_utc")?,
        Some(other) => {
            return Err(ParseError::invalid(
                "data.created_utc",
                format!("expected a number, found {}", type_name(other)),
            ))
        }
    };
    let author = opt_str(d, "author", "data")?.unwrap_or("[deleted]");
    let author_id = match opt_id(d, "author_fullname", "data")? {
        Some(f) => f,
        None => author.to_owned(),
    };
    let (mention_kind, text, in_reply_to) = match kind {
        "t3" => {
            let title = opt_str(d, "title", "data")?.unwrap_or("").trim();
            let selftext = opt_str(d, "selftext", "data")?.unwrap_or("").trim();
            let text = if selftext.is_empty() {
                title.to_owned()
            } else {
                format!("{title}\n\n{selftext}")
            };
            (MentionKind::Post, text, None)
        }
        "t1" => {
            let body = opt_str(d, "body", "data")?.unwrap_or("").to_owned();
            let parent = opt_id(d, "parent_id", "data")?
                .ok_or_else(|| ParseError::missing("data.parent_id"))?;
            (MentionKind::Reply, body, Some(prefixed(PLATFORM, &parent)))
        }
        other => {
            return Err(ParseError::invalid(
                "kind",
                format!("{other:?} is neither a link (t3) nor a comment (t1)"),
            ))
        }
    };
    let url = opt_str(d, "permalink", "data")?
        .filter(|p| p.starts_with('/'))
        .map(|p| format!("https://www.reddit.com{p}"));
    build(
        platform(PLATFORM)?,
        channel,
        Fields {
            id: prefixed(PLATFORM, &name),
            kind: mention_kind,
            created_at,
            author_id: prefixed(PLATFORM, &author_id),
            handle: Some(format!("u/{author}")),
            followers: 0,
            verified: false,
            text,
            lang: None,
            in_reply_to,
            reshare_of: None,
            url,
        },
    )
}

/// Reddit's error bodies: `{"error": "invalid_grant"}`, `{"message": "Unauthorized",
/// "error": 401}`, `{"reason": ..., "message": ..., "error": 403}`.
fn api_error(v: &Value) -> Option<ParseError> {
    let error = v.get("error")?;
    let error = match error {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let detail = ["message", "reason", "error_description"]
        .iter()
        .filter_map(|k| v.get(*k).and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join("; ");
    Some(ParseError::Api(if detail.is_empty() {
        error
    } else {
        format!("{error} ({detail})")
    }))
}

/// The OAuth token response (`POST https://www.reddit.com/api/v1/access_token`):
/// `(access_token, expires_in seconds)`. An `{"error": ...}` body is an error naming it.
pub fn token(body: &[u8]) -> Result<(String, u64), ParseError> {
    let v = json_body(body, "Reddit token")?;
    if !v.is_object() {
        return Err(ParseError::invalid(
            "token",
            format!("expected an object, found {}", type_name(&v)),
        ));
    }
    if let Some(e) = api_error(&v) {
        return Err(e);
    }
    let token = req_str(&v, "access_token", "")?;
    if token.is_empty() {
        return Err(ParseError::invalid("access_token", "is empty"));
    }
    let expires_in = match v.get("expires_in") {
        None | Some(Value::Null) => return Err(ParseError::missing("expires_in")),
        Some(e) => e.as_u64().ok_or_else(|| {
            ParseError::invalid(
                "expires_in",
                format!("{e} is not a whole number of seconds"),
            )
        })?,
    };
    Ok((token.to_owned(), expires_in))
}

/// The fullname of the comment `POST /api/comment` (with `api_type=json`) created:
/// `{"json": {"errors": [], "data": {"things": [{"kind": "t1", "data": {"name": ...}}]}}}`.
/// Non-empty `errors` (`[["RATELIMIT", "you are doing that too much...", "ratelimit"]]`)
/// are an error with their text.
pub fn posted_id(body: &[u8]) -> Result<String, ParseError> {
    let v = json_body(body, "Reddit comment response")?;
    if !v.is_object() {
        return Err(ParseError::invalid(
            "response",
            format!("expected an object, found {}", type_name(&v)),
        ));
    }
    let Some(json) = opt_obj(&v, "json", "")? else {
        return Err(api_error(&v).unwrap_or_else(|| ParseError::missing("json")));
    };
    let errors = opt_array(json, "errors", "json")?;
    if !errors.is_empty() {
        let texts: Vec<String> = errors
            .iter()
            .map(|e| match e {
                Value::Array(parts) => parts
                    .iter()
                    .take(2)
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(": "),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        return Err(ParseError::Api(texts.join("; ")));
    }
    let data = req_obj(json, "data", "json")?;
    let things = opt_array(data, "things", "json.data")?;
    let first = things
        .first()
        .ok_or_else(|| ParseError::missing("json.data.things[0]"))?;
    let d = req_obj(first, "data", "json.data.things[0]")?;
    let name = req_str(d, "name", "json.data.things[0].data")?;
    if name.is_empty() {
        return Err(ParseError::invalid(
            "json.data.things[0].data.name",
            "is empty",
        ));
    }
    Ok(name.to_owned())
}
