//! Pure payload parsers for the platform connectors: bytes in, [`Mention`]s out, no I/O.
//!
//! The transport side (HTTP, WebSocket, cursors, rate limits) lives in `sources/` and hands
//! the bodies it fetched to these functions. Every parser here:
//!
//! - never panics on input, whatever the bytes (each has a cargo-fuzz target in `fuzz/`);
//! - fails with a [`ParseError`] that names the field that was wrong when the body as a whole
//!   is unusable (not JSON, not the expected shape, an error body from the platform);
//! - parses a page item by item: one malformed item becomes a [`Skipped`] with its reason and
//!   the rest of the page still parses;
//! - builds mentions that Mention JSONL v1 accepts unchanged: ids `platform:native_id`, no
//!   control characters in ids, no NUL in text, text of at most [`MAX_LINE_BYTES`], a
//!   timestamp between the years 1 and 9999, languages normalised to ISO 639-1.
//!
//! One module per platform: [`mastodon`], [`bluesky`], [`reddit`], [`feed`] (RSS and Atom),
//! and [`webhook`], the mapped generic webhook for platforms without a connector.

use chrono::{DateTime, Datelike, TimeZone, Utc};
use firebreak_core::wire::{normalize_lang, MAX_ID_BYTES};
use firebreak_core::{
    Author, AuthorId, ChannelId, Mention, MentionId, MentionKind, Platform, MAX_LINE_BYTES,
};
use serde_json::Value;

pub mod bluesky;
pub mod feed;
pub mod html;
pub mod mastodon;
pub mod reddit;
pub mod sse;
pub mod webhook;

/// Why a payload (or one item of it) could not be parsed.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The body is not JSON, or not JSON of the expected shape.
    #[error("{what}: invalid JSON: {source}")]
    Json {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// A required field is absent (or null).
    #[error("missing field `{field}`")]
    Missing { field: String },
    /// A field is present but unusable.
    #[error("field `{field}`: {why}")]
    Invalid { field: String, why: String },
    /// An RSS or Atom document that could not be read.
    #[error("feed: {0}")]
    Xml(String),
    /// The platform answered with an error instead of the expected object.
    #[error("the platform answered with an error: {0}")]
    Api(String),
    /// A webhook signature that is malformed or does not match.
    #[error("webhook signature: {0}")]
    Signature(String),
    /// A webhook mapping that cannot work.
    #[error("webhook mapping: {0}")]
    Mapping(String),
}

impl ParseError {
    pub(crate) fn missing(field: impl Into<String>) -> ParseError {
        ParseError::Missing {
            field: field.into(),
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, why: impl Into<String>) -> ParseError {
        ParseError::Invalid {
            field: field.into(),
            why: why.into(),
        }
    }
}

/// One page of a paginated listing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// The items that became mentions, in the order of the page.
    pub mentions: Vec<Mention>,
    /// The cursor of the next page, where the body carries one (Bluesky's `cursor`,
    /// Reddit's `after`). Mastodon paginates with the `Link` header: see
    /// [`mastodon::next_link`].
    pub next: Option<String>,
    /// Items that were malformed, with the reason; the rest of the page still parsed.
    pub skipped: Vec<Skipped>,
}

/// An item of a page that was malformed and skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The item's own id on the platform, when it could be read.
    pub native_id: Option<String>,
    /// What was wrong, naming the field.
    pub reason: String,
}

impl Page {
    pub(crate) fn push(&mut self, native_id: Option<String>, result: Result<Mention, ParseError>) {
        match result {
            Ok(m) => self.mentions.push(m),
            Err(e) => self.skipped.push(Skipped {
                native_id,
                reason: e.to_string(),
            }),
        }
    }
}

/// Parses a whole body as JSON; `what` names the payload in the error.
pub(crate) fn json_body(body: &[u8], what: &'static str) -> Result<Value, ParseError> {
    serde_json::from_slice(body).map_err(|source| ParseError::Json { what, source })
}

/// The JSON type of a value, for error messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Joins a path prefix and a key for error messages: `account` + `id` → `account.id`.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// A field that may be absent or null; when present it must be a string.
pub(crate) fn opt_str<'a>(
    v: &'a Value,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>, ParseError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(ParseError::invalid(
            join(path, key),
            format!("expected a string, found {}", type_name(other)),
        )),
    }
}

/// A required string field.
pub(crate) fn req_str<'a>(v: &'a Value, key: &str, path: &str) -> Result<&'a str, ParseError> {
    opt_str(v, key, path)?.ok_or_else(|| ParseError::missing(join(path, key)))
}

/// A required id: a non-empty string, or an integer (some servers send numeric ids).
pub(crate) fn req_id(v: &Value, key: &str, path: &str) -> Result<String, ParseError> {
    opt_id(v, key, path)?.ok_or_else(|| ParseError::missing(join(path, key)))
}

/// An optional id: a string or an integer; null, absent and "" are `None`.
pub(crate) fn opt_id(v: &Value, key: &str, path: &str) -> Result<Option<String>, ParseError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) if n.is_u64() || n.is_i64() => Ok(Some(n.to_string())),
        Some(other) => Err(ParseError::invalid(
            join(path, key),
            format!("expected an id (string), found {}", type_name(other)),
        )),
    }
}

/// A field that must be an object when present.
pub(crate) fn opt_obj<'a>(
    v: &'a Value,
    key: &str,
    path: &str,
) -> Result<Option<&'a Value>, ParseError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(o @ Value::Object(_)) => Ok(Some(o)),
        Some(other) => Err(ParseError::invalid(
            join(path, key),
            format!("expected an object, found {}", type_name(other)),
        )),
    }
}

/// A required object field.
pub(crate) fn req_obj<'a>(v: &'a Value, key: &str, path: &str) -> Result<&'a Value, ParseError> {
    opt_obj(v, key, path)?.ok_or_else(|| ParseError::missing(join(path, key)))
}

/// A field that must be an array when present; absent and null are empty.
pub(crate) fn opt_array<'a>(
    v: &'a Value,
    key: &str,
    path: &str,
) -> Result<&'a [Value], ParseError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(other) => Err(ParseError::invalid(
            join(path, key),
            format!("expected an array, found {}", type_name(other)),
        )),
    }
}

/// A required array field.
pub(crate) fn req_array<'a>(
    v: &'a Value,
    key: &str,
    path: &str,
) -> Result<&'a [Value], ParseError> {
    match v.get(key) {
        None | Some(Value::Null) => Err(ParseError::missing(join(path, key))),
        _ => opt_array(v, key, path),
    }
}

/// An optional boolean; absent and null are false.
pub(crate) fn opt_bool(v: &Value, key: &str, path: &str) -> Result<bool, ParseError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(ParseError::invalid(
            join(path, key),
            format!("expected a boolean, found {}", type_name(other)),
        )),
    }
}

/// An optional count; absent and null are 0, negative counts are 0 (some servers send -1
/// for hidden counts).
pub(crate) fn opt_count(v: &Value, key: &str, path: &str) -> Result<u64, ParseError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => {
            if let Some(u) = n.as_u64() {
                Ok(u)
            } else if n.as_i64().is_some() {
                Ok(0)
            } else {
                Err(ParseError::invalid(
                    join(path, key),
                    format!("{n} is not a whole number"),
                ))
            }
        }
        Some(other) => Err(ParseError::invalid(
            join(path, key),
            format!("expected a number, found {}", type_name(other)),
        )),
    }
}

/// Parses an RFC 3339 timestamp field into UTC, within the years Mention JSONL can carry.
pub(crate) fn rfc3339(value: &str, field: &str) -> Result<DateTime<Utc>, ParseError> {
    let t = firebreak_core::wire::parse_timestamp(value.trim())
        .map_err(|why| ParseError::invalid(field, why))?;
    check_year(t, field)
}

/// Seconds since the Unix epoch (fractions kept to the microsecond) into UTC.
pub(crate) fn unix_seconds(secs: f64, field: &str) -> Result<DateTime<Utc>, ParseError> {
    if !secs.is_finite() {
        return Err(ParseError::invalid(field, "is not a finite number"));
    }
    // Beyond ±1e12 s (year 33658) the year is out of range anyway; checking first keeps
    // the conversion to microseconds within i64.
    if secs.abs() > 1e12 {
        return Err(ParseError::invalid(
            field,
            format!("{secs} seconds since 1970 is out of range"),
        ));
    }
    let micros = (secs * 1e6).round() as i64;
    let t = Utc
        .timestamp_micros(micros)
        .single()
        .ok_or_else(|| ParseError::invalid(field, format!("{secs} is out of range")))?;
    check_year(t, field)
}

fn check_year(t: DateTime<Utc>, field: &str) -> Result<DateTime<Utc>, ParseError> {
    if (1..=9999).contains(&t.year()) {
        Ok(t)
    } else {
        Err(ParseError::invalid(
            field,
            format!("year {} is outside 1..=9999", t.year()),
        ))
    }
}

/// A platform's name as a [`Platform`].
pub(crate) fn platform(name: &str) -> Result<Platform, ParseError> {
    name.parse()
        .map_err(|why: String| ParseError::invalid("platform", why))
}

/// The fields of a mention before validation, for [`build`].
#[derive(Debug, Clone)]
pub(crate) struct Fields {
    pub id: String,
    pub kind: MentionKind,
    pub created_at: DateTime<Utc>,
    pub author_id: String,
    pub handle: Option<String>,
    pub followers: u64,
    pub verified: bool,
    pub text: String,
    pub lang: Option<String>,
    pub in_reply_to: Option<String>,
    pub reshare_of: Option<String>,
    pub url: Option<String>,
}

/// Validates the fields into a mention of `channel`: every id as Mention JSONL v1 wants
/// it, NUL replaced in text, the language normalised.
pub(crate) fn build(
    platform: Platform,
    channel: &ChannelId,
    f: Fields,
) -> Result<Mention, ParseError> {
    check_id(&f.id, "id")?;
    check_id(&f.author_id, "author.id")?;
    if let Some(p) = &f.in_reply_to {
        check_id(p, "in_reply_to")?;
    }
    if let Some(r) = &f.reshare_of {
        check_id(r, "reshare_of")?;
    }
    if f.text.len() > MAX_LINE_BYTES {
        return Err(ParseError::invalid(
            "text",
            format!(
                "is {} bytes, over the limit of {MAX_LINE_BYTES}",
                f.text.len()
            ),
        ));
    }
    Ok(Mention {
        id: MentionId::new(f.id),
        platform,
        channel: channel.clone(),
        kind: f.kind,
        created_at: f.created_at,
        author: Author {
            id: AuthorId::new(f.author_id),
            handle: f
                .handle
                .map(|h| without_nul(&h))
                .filter(|h| !h.trim().is_empty()),
            followers: f.followers,
            verified: f.verified,
        },
        text: without_nul(&f.text),
        lang: f.lang.as_deref().and_then(normalize_lang),
        in_reply_to: f.in_reply_to.map(MentionId::new),
        reshare_of: f.reshare_of.map(MentionId::new),
        url: f
            .url
            .map(|u| without_nul(&u))
            .filter(|u| !u.trim().is_empty()),
        analysis: None,
    })
}

/// The same rules as Mention JSONL v1: not blank, at most [`MAX_ID_BYTES`], no control
/// characters.
pub(crate) fn check_id(value: &str, field: &str) -> Result<(), ParseError> {
    if value.trim().is_empty() {
        return Err(ParseError::invalid(field, "is empty"));
    }
    if value.len() > MAX_ID_BYTES {
        return Err(ParseError::invalid(
            field,
            format!("is longer than {MAX_ID_BYTES} bytes"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(ParseError::invalid(field, "contains control characters"));
    }
    Ok(())
}

fn without_nul(s: &str) -> String {
    s.replace('\0', "\u{fffd}")
}

/// `platform:native` unless the native id is empty.
pub(crate) fn prefixed(platform: &str, native: &str) -> String {
    format!("{platform}:{native}")
}
