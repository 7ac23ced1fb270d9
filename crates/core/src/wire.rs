//! Decoding of Mention JSONL v1 and Mention CSV v1 (see `shared/spec/README.md`
//! and `docs/formats.md`). Every way a line can be wrong maps to a
//! [`DecodeError`] that says what to fix; decoding never panics on input.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::mention::{Author, AuthorId, ChannelId, Mention, MentionId, MentionKind, Platform};

/// The longest line (or CSV record) accepted, in bytes. Longer lines are
/// rejected without being buffered whole.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// The longest id accepted (mention, author, channel), in bytes.
pub const MAX_ID_BYTES: usize = 512;

/// Why one input line could not become a [`Mention`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("invalid UTF-8 at byte offset {0}")]
    InvalidUtf8(usize),
    #[error("line is {len} bytes, over the limit of {limit} bytes")]
    TooLong { len: usize, limit: usize },
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("missing required field `{0}`")]
    MissingField(&'static str),
    #[error("field `{field}`: {reason}")]
    InvalidField { field: &'static str, reason: String },
    #[error("CSV: {0}")]
    Csv(String),
}

fn invalid(field: &'static str, reason: impl Into<String>) -> DecodeError {
    DecodeError::InvalidField {
        field,
        reason: reason.into(),
    }
}

#[derive(Deserialize)]
struct RawAuthor<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    handle: Option<Cow<'a, str>>,
    #[serde(default)]
    followers: Option<u64>,
    #[serde(default)]
    verified: Option<bool>,
}

#[derive(Deserialize)]
struct RawMention<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    platform: Option<Cow<'a, str>>,
    #[serde(borrow)]
    channel: Option<Cow<'a, str>>,
    #[serde(borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    created_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    author: Option<RawAuthor<'a>>,
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    in_reply_to: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    reshare_of: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    url: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    lang: Option<Cow<'a, str>>,
}

/// Decodes one Mention JSONL v1 line. The line may end with `\n` or `\r\n`.
pub fn decode_jsonl(line: &[u8]) -> Result<Mention, DecodeError> {
    if line.len() > MAX_LINE_BYTES {
        return Err(DecodeError::TooLong {
            len: line.len(),
            limit: MAX_LINE_BYTES,
        });
    }
    let text = std::str::from_utf8(line).map_err(|e| DecodeError::InvalidUtf8(e.valid_up_to()))?;
    decode_json_str(text)
}

/// Decodes one Mention from a JSON object in a string.
pub fn decode_json_str(text: &str) -> Result<Mention, DecodeError> {
    let raw: RawMention<'_> =
        serde_json::from_str(text.trim_end()).map_err(|e| DecodeError::Json(json_reason(&e)))?;
    let author = raw.author.ok_or(DecodeError::MissingField("author"))?;
    Fields {
        id: raw.id,
        platform: raw.platform,
        channel: raw.channel,
        kind: raw.kind,
        created_at: raw.created_at,
        author_id: author.id,
        author_handle: author.handle,
        author_followers: author.followers,
        author_verified: author.verified,
        text: raw.text,
        in_reply_to: raw.in_reply_to,
        reshare_of: raw.reshare_of,
        url: raw.url,
        lang: raw.lang,
    }
    .into_mention()
}

/// A serde_json message without its "at line 1 column N" suffix when the
/// input was one line anyway; the column is kept as it helps to find the fault.
fn json_reason(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    if e.line() == 1 {
        msg.replace(" at line 1 column ", " at column ")
    } else {
        msg
    }
}

/// The fields of a mention as they come off the wire, before validation.
struct Fields<'a> {
    id: Option<Cow<'a, str>>,
    platform: Option<Cow<'a, str>>,
    channel: Option<Cow<'a, str>>,
    kind: Option<Cow<'a, str>>,
    created_at: Option<Cow<'a, str>>,
    author_id: Option<Cow<'a, str>>,
    author_handle: Option<Cow<'a, str>>,
    author_followers: Option<u64>,
    author_verified: Option<bool>,
    text: Option<Cow<'a, str>>,
    in_reply_to: Option<Cow<'a, str>>,
    reshare_of: Option<Cow<'a, str>>,
    url: Option<Cow<'a, str>>,
    lang: Option<Cow<'a, str>>,
}

fn required_id(value: Option<Cow<'_, str>>, field: &'static str) -> Result<String, DecodeError> {
    let value = value.ok_or(DecodeError::MissingField(field))?;
    check_id(&value, field)?;
    Ok(value.into_owned())
}

fn optional_id(
    value: Option<Cow<'_, str>>,
    field: &'static str,
) -> Result<Option<String>, DecodeError> {
    match value {
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => {
            check_id(&v, field)?;
            Ok(Some(v.into_owned()))
        }
        None => Ok(None),
    }
}

fn check_id(value: &str, field: &'static str) -> Result<(), DecodeError> {
    if value.trim().is_empty() {
        return Err(invalid(field, "is empty"));
    }
    if value.len() > MAX_ID_BYTES {
        return Err(invalid(
            field,
            format!("is longer than {MAX_ID_BYTES} bytes"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(field, "contains control characters"));
    }
    Ok(())
}

/// Parses an RFC 3339 timestamp into UTC.
pub fn parse_timestamp(value: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            format!(
                "{value:?} is not an RFC 3339 timestamp ({e}); expected e.g. 2026-05-24T00:47:08Z"
            )
        })
}

/// Normalises a platform-supplied language tag to ISO 639-1 (`pt-BR` → `pt`).
/// Tags that carry no usable language (`und`, garbage) give `None`, so that
/// Firebreak detects the language itself.
pub fn normalize_lang(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
    if primary.len() == 2 && primary.bytes().all(|b| b.is_ascii_alphabetic()) {
        Some(primary.to_ascii_lowercase())
    } else {
        None
    }
}

impl Fields<'_> {
    fn into_mention(self) -> Result<Mention, DecodeError> {
        let id = required_id(self.id, "id")?;
        let platform: Platform = self
            .platform
            .ok_or(DecodeError::MissingField("platform"))?
            .parse()
            .map_err(|e| invalid("platform", e))?;
        let channel = required_id(self.channel, "channel")?;
        let kind: MentionKind = self
            .kind
            .ok_or(DecodeError::MissingField("kind"))?
            .parse()
            .map_err(|e| invalid("kind", e))?;
        let created_at = parse_timestamp(
            &self
                .created_at
                .ok_or(DecodeError::MissingField("created_at"))?,
        )
        .map_err(|e| invalid("created_at", e))?;
        let author_id = required_id(self.author_id, "author.id")?;
        let text = self.text.ok_or(DecodeError::MissingField("text"))?;
        if text.len() > MAX_LINE_BYTES {
            return Err(invalid(
                "text",
                format!("is longer than {MAX_LINE_BYTES} bytes"),
            ));
        }
        Ok(Mention {
            id: MentionId::new(id),
            platform,
            channel: ChannelId::new(channel),
            kind,
            created_at,
            author: Author {
                id: AuthorId::new(author_id),
                handle: self
                    .author_handle
                    .filter(|h| !h.is_empty())
                    .map(without_nul),
                followers: self.author_followers.unwrap_or(0),
                verified: self.author_verified.unwrap_or(false),
            },
            text: without_nul(text),
            lang: self.lang.as_deref().and_then(normalize_lang),
            in_reply_to: optional_id(self.in_reply_to, "in_reply_to")?.map(MentionId::new),
            reshare_of: optional_id(self.reshare_of, "reshare_of")?.map(MentionId::new),
            url: self.url.filter(|u| !u.is_empty()).map(without_nul),
            analysis: None,
        })
    }
}

/// NUL cannot be stored in PostgreSQL text and means nothing in a message:
/// it becomes U+FFFD, the replacement character, on every backend alike.
fn without_nul(text: Cow<'_, str>) -> String {
    if text.contains('\0') {
        text.replace('\0', "\u{fffd}")
    } else {
        text.into_owned()
    }
}

/// Encodes a mention as one Mention JSONL v1 line, without the newline.
pub fn encode_jsonl(mention: &Mention) -> String {
    // A Mention holds only strings, integers, booleans and a timestamp:
    // serialising it cannot fail.
    serde_json::to_string(mention).unwrap_or_default()
}

/// The columns of Mention CSV v1, in the order `firebreak` writes them.
/// Readers match columns by header name, in any order; unknown columns are ignored.
pub const CSV_COLUMNS: [&str; 14] = [
    "id",
    "platform",
    "channel",
    "kind",
    "created_at",
    "author_id",
    "author_handle",
    "author_followers",
    "author_verified",
    "text",
    "in_reply_to",
    "reshare_of",
    "url",
    "lang",
];

const CSV_REQUIRED: [&str; 7] = [
    "id",
    "platform",
    "channel",
    "kind",
    "created_at",
    "author_id",
    "text",
];

/// Where each known column sits in a CSV file, read from its header row.
#[derive(Debug, Clone)]
pub struct CsvLayout {
    index: [Option<usize>; 14],
}

impl CsvLayout {
    /// Reads the header row. Fails when a required column is missing.
    pub fn from_header(header: &csv::ByteRecord) -> Result<CsvLayout, DecodeError> {
        let mut index = [None; 14];
        for (pos, name) in header.iter().enumerate() {
            let name = String::from_utf8_lossy(name);
            let name = name
                .trim()
                .trim_start_matches('\u{feff}')
                .to_ascii_lowercase();
            // Accept the dotted spelling of the JSON format as well.
            let name = name.replace('.', "_");
            if let Some(col) = CSV_COLUMNS.iter().position(|c| *c == name) {
                index[col].get_or_insert(pos);
            }
        }
        for required in CSV_REQUIRED {
            let col = CSV_COLUMNS.iter().position(|c| *c == required).unwrap_or(0);
            if index[col].is_none() {
                return Err(DecodeError::Csv(format!(
                    "the header has no `{required}` column; the header row must name at least: {}",
                    CSV_REQUIRED.join(",")
                )));
            }
        }
        Ok(CsvLayout { index })
    }

    fn field<'r>(
        &self,
        record: &'r csv::ByteRecord,
        col: usize,
    ) -> Result<Option<&'r str>, DecodeError> {
        let Some(pos) = self.index[col] else {
            return Ok(None);
        };
        match record.get(pos) {
            None => Ok(None),
            Some(bytes) => std::str::from_utf8(bytes).map(Some).map_err(|e| {
                invalid(
                    CSV_FIELD_NAMES[col],
                    format!("invalid UTF-8 at byte {}", e.valid_up_to()),
                )
            }),
        }
    }

    /// Decodes one CSV record (not the header).
    pub fn decode(&self, record: &csv::ByteRecord) -> Result<Mention, DecodeError> {
        let len = record.as_slice().len();
        if len > MAX_LINE_BYTES {
            return Err(DecodeError::TooLong {
                len,
                limit: MAX_LINE_BYTES,
            });
        }
        let get = |col: usize| -> Result<Option<Cow<'_, str>>, DecodeError> {
            Ok(self.field(record, col)?.map(Cow::Borrowed))
        };
        // Empty cells are absent values, except for `text`, which may be empty.
        let non_empty = |col: usize| -> Result<Option<Cow<'_, str>>, DecodeError> {
            Ok(get(col)?.filter(|v| !v.trim().is_empty()))
        };
        let followers = match non_empty(7)? {
            None => None,
            Some(v) => Some(v.trim().parse::<u64>().map_err(|_| {
                invalid(
                    "author_followers",
                    format!("{v:?} is not a whole number >= 0"),
                )
            })?),
        };
        let verified = match non_empty(8)? {
            None => None,
            Some(v) => Some(match v.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                _ => {
                    return Err(invalid(
                        "author_verified",
                        format!("{v:?} is not true or false"),
                    ))
                }
            }),
        };
        Fields {
            id: non_empty(0)?,
            platform: non_empty(1)?,
            channel: non_empty(2)?,
            kind: non_empty(3)?,
            created_at: non_empty(4)?,
            author_id: non_empty(5)?,
            author_handle: non_empty(6)?,
            author_followers: followers,
            author_verified: verified,
            text: get(9)?,
            in_reply_to: non_empty(10)?,
            reshare_of: non_empty(11)?,
            url: non_empty(12)?,
            lang: non_empty(13)?,
        }
        .into_mention()
    }
}

// Field names as DecodeError reports them (static strings), in CSV_COLUMNS order.
const CSV_FIELD_NAMES: [&str; 14] = CSV_COLUMNS;

/// Writes the CSV header row followed by one row per mention.
pub fn csv_row(mention: &Mention) -> [String; 14] {
    [
        mention.id.to_string(),
        mention.platform.to_string(),
        mention.channel.to_string(),
        mention.kind.to_string(),
        mention
            .created_at
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        mention.author.id.to_string(),
        mention.author.handle.clone().unwrap_or_default(),
        mention.author.followers.to_string(),
        mention.author.verified.to_string(),
        mention.text.clone(),
        mention
            .in_reply_to
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        mention
            .reshare_of
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        mention.url.clone().unwrap_or_default(),
        mention.lang.clone().unwrap_or_default(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"id": "reddit:20-2", "platform": "Reddit", "channel": "@cartello", "kind": "mention", "created_at": "2026-05-24T02:58:25+02:00", "author": {"id": "u774482741", "handle": "@u774482741", "followers": 331, "verified": false}, "text": "@cartello your app keeps crashing today", "in_reply_to": null, "reshare_of": null, "url": "https://reddit.example/reddit:20-2", "lang": "en-GB", "extra": {"ignored": true}}"#;

    fn reason(line: &str) -> String {
        match decode_jsonl(line.as_bytes()) {
            Ok(m) => panic!("decoded {m:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_spec_line_decodes_with_normalised_fields() {
        let m = decode_jsonl(GOOD.as_bytes()).expect("valid");
        assert_eq!(m.id.as_str(), "reddit:20-2");
        assert_eq!(m.platform.as_str(), "reddit");
        assert_eq!(m.kind, MentionKind::Mention);
        assert_eq!(m.created_at.to_rfc3339(), "2026-05-24T00:58:25+00:00");
        assert_eq!(m.author.followers, 331);
        assert_eq!(m.lang.as_deref(), Some("en"));
        assert_eq!(m.in_reply_to, None);
        // Encoding and decoding again gives the same mention.
        assert_eq!(
            decode_jsonl(encode_jsonl(&m).as_bytes()).expect("round trip"),
            m
        );
    }

    #[test]
    fn optional_fields_may_be_absent() {
        let m = decode_jsonl(
            br#"{"id":"x:1","platform":"x","channel":"@c","kind":"reshare","created_at":"2026-01-01T00:00:00Z","author":{"id":"a"},"text":""}"#,
        )
        .expect("valid");
        assert_eq!(
            (m.author.followers, m.author.verified, m.author.handle),
            (0, false, None)
        );
        assert_eq!((m.text.as_str(), m.url, m.lang), ("", None, None));
    }

    #[test]
    fn each_fault_has_a_reason_that_names_it() {
        let with = |field: &str, value: &str| {
            let mut v: serde_json::Value = serde_json::from_str(GOOD).expect("json");
            let (obj, key) = match field.split_once('.') {
                Some((a, b)) => (v[a].as_object_mut().expect("object"), b),
                None => (v.as_object_mut().expect("object"), field),
            };
            if value == "<absent>" {
                obj.remove(key);
            } else {
                obj.insert(key.into(), serde_json::from_str(value).expect("value"));
            }
            v.to_string()
        };
        assert!(reason("{").contains("invalid JSON"));
        assert!(reason("[]").contains("invalid JSON"));
        assert_eq!(
            reason(&with("id", "<absent>")),
            "missing required field `id`"
        );
        assert_eq!(
            reason(&with("author.id", "<absent>")),
            "missing required field `author.id`"
        );
        assert_eq!(
            reason(&with("text", "<absent>")),
            "missing required field `text`"
        );
        assert!(reason(&with("id", "42")).contains("invalid type: integer `42`, expected a string"));
        assert!(reason(&with("id", "\"  \"")).contains("field `id`: is empty"));
        assert!(reason(&with("kind", "\"tweet\"")).contains("unknown kind \"tweet\""));
        assert!(reason(&with("platform", "\"my platform!\"")).contains("field `platform`"));
        assert!(reason(&with("created_at", "\"yesterday\"")).contains("not an RFC 3339 timestamp"));
        assert!(reason(&with("author.followers", "-1")).contains("expected u64"));
        assert!(reason(&with("author.verified", "\"yes\"")).contains("expected a boolean"));
        assert!(reason(&with("author", "\"bob\"")).contains("invalid type"));
        assert_eq!(
            decode_jsonl(b"{\"id\":\"\xff\"}").err(),
            Some(DecodeError::InvalidUtf8(7))
        );
        let long = format!("{{\"id\":\"{}\"}}", "x".repeat(MAX_LINE_BYTES));
        assert!(matches!(
            decode_jsonl(long.as_bytes()),
            Err(DecodeError::TooLong { .. })
        ));
    }

    #[test]
    fn nul_characters_become_replacement_characters() {
        let line = GOOD.replace("crashing", "crash\\u0000ing");
        let m = decode_jsonl(line.as_bytes()).expect("valid");
        assert!(m.text.contains("crash\u{fffd}ing"));
    }

    #[test]
    fn language_tags_are_normalised_or_dropped() {
        assert_eq!(normalize_lang("pt-BR").as_deref(), Some("pt"));
        assert_eq!(normalize_lang("IT").as_deref(), Some("it"));
        assert_eq!(normalize_lang("und"), None);
        assert_eq!(normalize_lang(""), None);
    }

    #[test]
    fn a_csv_header_without_required_columns_is_refused() {
        let header = csv::ByteRecord::from(vec!["id", "text"]);
        let err = CsvLayout::from_header(&header).expect_err("must fail");
        assert!(err.to_string().contains("`platform`"), "{err}");
    }
}
