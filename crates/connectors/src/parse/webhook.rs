//! A generic inbound webhook for platforms without a connector (Facebook and Instagram
//! through Meta's webhooks, review sites, in-house tools): a typed field [`Mapping`] says
//! where each Mention field is in the JSON body, and [`verify_signature`] checks the
//! HMAC-SHA256 signature the sender put in a header.
//!
//! A mapping, in TOML (every pointer is an RFC 6901 JSON Pointer):
//!
//! ```toml
//! # Where the events are: each pointer is applied in turn to the items of the previous one
//! # (here: every change of every entry). Without `items` the whole body is one event.
//! items = ["/entry", "/changes"]
//! # Prefix of ids (mention, parent, reshared, author). Default: "{platform}:".
//! # id_prefix = "fb:"
//! # Events that must match, others are passed over silently.
//! only = [
//!   { pointer = "/field", equals = "feed" },
//!   { pointer = "/value/verb", one_of = ["add", "edited"] },
//! ]
//! # Platform values of `kind` translated to Firebreak kinds.
//! kinds = { comment = "reply", post = "post" }
//!
//! [fields]
//! platform = { value = "facebook" }               # a constant
//! id = "/value/comment_id"                          # a pointer into the event
//! created_at = "/value/created_time"
//! author_id = "/value/from/id"
//! author_handle = "/value/from/name"
//! text = "/value/message"
//! in_reply_to = "/value/parent_id"
//! kind = { pointer = "/value/item", default = "mention" }
//! # A pointer may read the enclosing item (`scope = "parent"`, here the entry) or the
//! # whole body (`scope = "root"`) instead of the event itself:
//! # created_at = { pointer = "/time", scope = "parent" }
//! ```
//!
//! Fields: `platform`, `id`, `created_at`, `author_id` are required; `author_handle`,
//! `author_followers`, `author_verified`, `text` (default empty), `kind`, `in_reply_to`,
//! `reshare_of`, `url`, `lang` are optional. Without `kind`, an event with a parent is a
//! `reply` and any other a `mention`. Ids may be strings or numbers. Timestamps may be an
//! RFC 3339 string (`2026-05-24T10:00:00Z`, also `+0000` offsets as Meta writes them), unix
//! seconds (integer, float or a string of digits), or unix milliseconds (any value over
//! 10^12).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use firebreak_core::{ChannelId, Mention, MentionKind, Platform};
use hmac::{Hmac, Mac};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use sha2::Sha256;

use super::{
    build, json_body, rfc3339, type_name, unix_seconds, Fields, Page, ParseError, Skipped,
};

/// Where a pointer is resolved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The event (the innermost item).
    #[default]
    Item,
    /// The item that holds the event's array (the whole body when there is one level).
    Parent,
    /// The whole body.
    Root,
}

/// Where one Mention field comes from: a pointer (a string, or `{ pointer, scope, default }`
/// where `pointer` may be a list tried in order) or a constant (`{ value = ... }`).
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Tried in order: the first that finds a value (not null) wins. Empty for a constant.
    pub pointers: Vec<String>,
    pub scope: Scope,
    /// Used when the pointer finds nothing (or null); for a constant, the value itself.
    pub value: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldTable {
    pointer: Option<OneOrMany>,
    #[serde(default)]
    scope: Scope,
    value: Option<Value>,
    default: Option<Value>,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Field, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a JSON Pointer (\"/a/0/b\"), { pointer = \"/a\", scope = \"item\"|\"parent\"|\"root\", default = ... } or { value = ... }",
                )
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Field, E> {
                Ok(Field {
                    pointers: vec![s.to_owned()],
                    scope: Scope::Item,
                    value: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Field, A::Error> {
                let t = FieldTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                match (t.pointer, t.value, t.default) {
                    (Some(_), Some(_), _) => Err(de::Error::custom(
                        "a field has either `pointer` (with an optional `default`) or `value`, not both",
                    )),
                    (None, None, _) => Err(de::Error::custom(
                        "a field table needs `pointer` or `value`",
                    )),
                    (None, Some(_), Some(_)) => {
                        Err(de::Error::custom("`default` goes with `pointer`, not `value`"))
                    }
                    (Some(pointer), None, default) => Ok(Field {
                        pointers: pointer.into_vec(),
                        scope: t.scope,
                        value: default,
                    }),
                    (None, Some(value), None) => Ok(Field {
                        pointers: Vec::new(),
                        scope: t.scope,
                        value: Some(value),
                    }),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// One pointer, or a list applied in turn.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(p) => vec![p],
            OneOrMany::Many(ps) => ps,
        }
    }
}

fn items_de<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(OneOrMany::deserialize(d)?.into_vec())
}

/// A condition an event must meet to be mapped.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub pointer: String,
    #[serde(default)]
    pub scope: Scope,
    /// The value must equal this one.
    pub equals: Option<Value>,
    /// The value must equal one of these.
    pub one_of: Option<Vec<Value>>,
}

/// Where each Mention field is in the mapped events. See the module documentation.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Pointers to the arrays of events, applied in turn; empty: the body is one event.
    #[serde(default, deserialize_with = "items_de")]
    pub items: Vec<String>,
    /// Prefix of the ids; default `{platform}:`.
    #[serde(default)]
    pub id_prefix: Option<String>,
    /// Conditions every mapped event meets; the others are passed over.
    #[serde(default)]
    pub only: Vec<Condition>,
    /// The platform's kind values translated to Firebreak's.
    #[serde(default)]
    pub kinds: BTreeMap<String, MentionKind>,
    pub fields: FieldMap,
}

/// The field mapping proper.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMap {
    pub platform: Option<Field>,
    pub id: Option<Field>,
    pub created_at: Option<Field>,
    pub author_id: Option<Field>,
    pub author_handle: Option<Field>,
    pub author_followers: Option<Field>,
    pub author_verified: Option<Field>,
    pub text: Option<Field>,
    pub kind: Option<Field>,
    pub in_reply_to: Option<Field>,
    pub reshare_of: Option<Field>,
    pub url: Option<Field>,
    pub lang: Option<Field>,
}

/// Checks the syntax of an RFC 6901 JSON Pointer: empty, or `/`-separated reference
/// tokens in which `~` is only ever `~0` or `~1`.
pub fn check_pointer(p: &str) -> Result<(), String> {
    if !p.is_empty() && !p.starts_with('/') {
        return Err(format!(
            "{p:?} is not a JSON Pointer: it must start with '/' (e.g. \"/entry/0/id\")"
        ));
    }
    let b = p.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'~' && !matches!(b.get(i + 1), Some(b'0' | b'1')) {
            return Err(format!(
                "{p:?} is not a JSON Pointer: '~' must be written ~0 and '/' inside a name ~1"
            ));
        }
    }
    Ok(())
}

impl FieldMap {
    fn all(&self) -> [(&'static str, Option<&Field>); 13] {
        [
            ("platform", self.platform.as_ref()),
            ("id", self.id.as_ref()),
            ("created_at", self.created_at.as_ref()),
            ("author_id", self.author_id.as_ref()),
            ("author_handle", self.author_handle.as_ref()),
            ("author_followers", self.author_followers.as_ref()),
            ("author_verified", self.author_verified.as_ref()),
            ("text", self.text.as_ref()),
            ("kind", self.kind.as_ref()),
            ("in_reply_to", self.in_reply_to.as_ref()),
            ("reshare_of", self.reshare_of.as_ref()),
            ("url", self.url.as_ref()),
            ("lang", self.lang.as_ref()),
        ]
    }
}

impl Mapping {
    /// Checks that every pointer is a valid JSON Pointer and that the required fields
    /// (`platform`, `id`, `created_at`, `author_id`) are mapped.
    pub fn validate(&self) -> Result<(), ParseError> {
        for (i, p) in self.items.iter().enumerate() {
            check_pointer(p).map_err(|e| ParseError::Mapping(format!("items[{i}]: {e}")))?;
            if p.is_empty() {
                return Err(ParseError::Mapping(format!(
                    "items[{i}]: the empty pointer names the item itself, not an array in it"
                )));
            }
        }
        for (i, c) in self.only.iter().enumerate() {
            check_pointer(&c.pointer)
                .map_err(|e| ParseError::Mapping(format!("only[{i}].pointer: {e}")))?;
            if c.equals.is_none() && c.one_of.is_none() {
                return Err(ParseError::Mapping(format!(
                    "only[{i}]: needs `equals` or `one_of`"
                )));
            }
        }
        for (name, field) in self.fields.all() {
            let Some(field) = field else { continue };
            if field.pointers.is_empty() && field.value.is_none() {
                return Err(ParseError::Mapping(format!(
                    "fields.{name}: needs a pointer or a value"
                )));
            }
            for p in &field.pointers {
                check_pointer(p).map_err(|e| ParseError::Mapping(format!("fields.{name}: {e}")))?;
            }
        }
        for required in ["platform", "id", "created_at", "author_id"] {
            let mapped = self
                .fields
                .all()
                .iter()
                .any(|(n, f)| *n == required && f.is_some());
            if !mapped {
                return Err(ParseError::Mapping(format!(
                    "fields.{required} is required: map it to a pointer (\"/a/b\") or a constant ({{ value = ... }})"
                )));
            }
        }
        if let Some(Field {
            pointers,
            value: Some(v),
            ..
        }) = &self.fields.platform
        {
            let name = v.as_str().ok_or_else(|| {
                ParseError::Mapping("fields.platform: the constant must be a string".into())
            })?;
            if pointers.is_empty() {
                name.parse::<Platform>()
                    .map_err(|e| ParseError::Mapping(format!("fields.platform: {e}")))?;
            }
        }
        if let Some(p) = &self.id_prefix {
            if p.chars().any(char::is_control) {
                return Err(ParseError::Mapping(
                    "id_prefix contains control characters".into(),
                ));
            }
        }
        Ok(())
    }
}

/// An event and where it sits.
struct Ctx<'a> {
    item: &'a Value,
    parent: &'a Value,
    root: &'a Value,
}

impl<'a> Ctx<'a> {
    fn at(&self, scope: Scope, pointer: &str) -> Option<&'a Value> {
        let base = match scope {
            Scope::Item => self.item,
            Scope::Parent => self.parent,
            Scope::Root => self.root,
        };
        base.pointer(pointer)
    }

    /// The value of a field: what the pointer finds (null counts as nothing), else the
    /// default or constant.
    fn get<'f>(&self, field: Option<&'f Field>) -> Option<Cow<'f, Value>>
    where
        'a: 'f,
    {
        let field = field?;
        for p in &field.pointers {
            match self.at(field.scope, p) {
                Some(Value::Null) | None => {}
                Some(v) => return Some(Cow::Borrowed(v)),
            }
        }
        field.value.as_ref().map(Cow::Borrowed)
    }
}

/// Names a field and where it was looked for, for errors: `id (/value/comment_id)`.
fn field_name(name: &str, field: Option<&Field>) -> String {
    match field.filter(|f| !f.pointers.is_empty()) {
        Some(f) => {
            let p = f.pointers.join(" or ");
            let scope = match field.map(|f| f.scope) {
                Some(Scope::Parent) => " in the parent",
                Some(Scope::Root) => " in the body",
                _ => "",
            };
            format!("{name} at {p}{scope}")
        }
        None => name.to_owned(),
    }
}

fn text_of(v: &Value, name: &str) -> Result<String, ParseError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(ParseError::invalid(
            name,
            format!("expected a string, found {}", type_name(other)),
        )),
    }
}

fn time_of(v: &Value, name: &str) -> Result<DateTime<Utc>, ParseError> {
    match v {
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            unix_seconds(if x.abs() > 1e12 { x / 1000.0 } else { x }, name)
        }
        Value::String(s) => {
            let s = s.trim();
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && s.len() < 20 {
                let x: f64 = s
                    .parse()
                    .map_err(|_| ParseError::invalid(name, format!("{s:?} is not a number")))?;
                return unix_seconds(if x > 1e12 { x / 1000.0 } else { x }, name);
            }
            match rfc3339(s, name) {
                Ok(t) => Ok(t),
                Err(e) => match DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z") {
                    Ok(t) => rfc3339(&t.to_rfc3339(), name),
                    Err(_) => Err(e),
                },
            }
        }
        other => Err(ParseError::invalid(
            name,
            format!(
                "expected an RFC 3339 string or unix seconds, found {}",
                type_name(other)
            ),
        )),
    }
}

fn count_of(v: &Value, name: &str) -> Result<u64, ParseError> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| *f >= 0.0 && *f < 1.8e19)
                    .map(|f| f as u64)
            })
            .ok_or_else(|| ParseError::invalid(name, format!("{n} is not a count"))),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| ParseError::invalid(name, format!("{s:?} is not a count"))),
        other => Err(ParseError::invalid(
            name,
            format!("expected a number, found {}", type_name(other)),
        )),
    }
}

fn bool_of(v: &Value, name: &str) -> Result<bool, ParseError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        Value::Number(n) if n.as_u64() == Some(1) => Ok(true),
        Value::Number(n) if n.as_u64() == Some(0) => Ok(false),
        other => Err(ParseError::invalid(
            name,
            format!("expected true or false, found {other}"),
        )),
    }
}

/// Maps a webhook body into mentions of `channel`. A body that is not JSON, or a mapping
/// that does not [validate](Mapping::validate), is an error; an event missing a required
/// field (or with an unusable one) is skipped, naming the field and its pointer.
pub fn map(body: &[u8], mapping: &Mapping, channel: &ChannelId) -> Result<Page, ParseError> {
    mapping.validate()?;
    let root = json_body(body, "webhook body")?;
    // (item, parent) pairs, one level of `items` at a time.
    let mut level: Vec<(&Value, &Value)> = vec![(&root, &root)];
    let mut page = Page::default();
    for (depth, pointer) in mapping.items.iter().enumerate() {
        let mut next = Vec::new();
        for (item, _) in level {
            match item.pointer(pointer) {
                Some(Value::Array(events)) => next.extend(events.iter().map(|e| (e, item))),
                found => {
                    let why = match found {
                        None | Some(Value::Null) => ParseError::missing(format!("items {pointer}")),
                        Some(other) => ParseError::invalid(
                            format!("items {pointer}"),
                            format!("expected an array, found {}", type_name(other)),
                        ),
                    };
                    if depth == 0 {
                        return Err(why);
                    }
                    page.skipped.push(Skipped {
                        native_id: None,
                        reason: why.to_string(),
                    });
                }
            }
        }
        level = next;
    }
    for (item, parent) in level {
        let ctx = Ctx {
            item,
            parent,
            root: &root,
        };
        if !mapping.only.iter().all(|c| {
            let v = ctx.at(c.scope, &c.pointer);
            c.equals.as_ref().is_none_or(|e| v == Some(e))
                && c.one_of
                    .as_ref()
                    .is_none_or(|list| v.is_some_and(|v| list.contains(v)))
        }) {
            continue;
        }
        let native = ctx
            .get(mapping.fields.id.as_ref())
            .and_then(|v| text_of(&v, "id").ok());
        page.push(native, event(&ctx, mapping, channel));
    }
    Ok(page)
}

fn event(ctx: &Ctx<'_>, mapping: &Mapping, channel: &ChannelId) -> Result<Mention, ParseError> {
    let f = &mapping.fields;
    let required = |name: &'static str, field: Option<&Field>| -> Result<Value, ParseError> {
        ctx.get(field)
            .map(Cow::into_owned)
            .ok_or_else(|| ParseError::missing(field_name(name, field)))
    };
    let optional = |field: Option<&Field>| ctx.get(field).map(Cow::into_owned);

    let platform_name = text_of(
        &required("platform", f.platform.as_ref())?,
        &field_name("platform", f.platform.as_ref()),
    )?;
    let platform: Platform = platform_name.parse().map_err(|why: String| {
        ParseError::invalid(field_name("platform", f.platform.as_ref()), why)
    })?;
    let prefix = mapping
        .id_prefix
        .clone()
        .unwrap_or_else(|| format!("{}:", platform.as_str()));
    let with_prefix = |id: String| {
        if id.starts_with(&prefix) {
            id
        } else {
            format!("{prefix}{id}")
        }
    };
    let id_name = field_name("id", f.id.as_ref());
    let id = text_of(&required("id", f.id.as_ref())?, &id_name)?;
    if id.trim().is_empty() {
        return Err(ParseError::invalid(id_name, "is empty"));
    }
    let time_name = field_name("created_at", f.created_at.as_ref());
    let created_at = time_of(&required("created_at", f.created_at.as_ref())?, &time_name)?;
    let author_name = field_name("author_id", f.author_id.as_ref());
    let author_id = text_of(&required("author_id", f.author_id.as_ref())?, &author_name)?;
    if author_id.trim().is_empty() {
        return Err(ParseError::invalid(author_name, "is empty"));
    }
    let opt_text =
        |name: &'static str, field: Option<&Field>| -> Result<Option<String>, ParseError> {
            optional(field)
                .map(|v| text_of(&v, &field_name(name, field)))
                .transpose()
                .map(|s| s.filter(|s| !s.is_empty()))
        };
    let handle = opt_text("author_handle", f.author_handle.as_ref())?;
    let followers = match optional(f.author_followers.as_ref()) {
        Some(v) => count_of(
            &v,
            &field_name("author_followers", f.author_followers.as_ref()),
        )?,
        None => 0,
    };
    let verified = match optional(f.author_verified.as_ref()) {
        Some(v) => bool_of(
            &v,
            &field_name("author_verified", f.author_verified.as_ref()),
        )?,
        None => false,
    };
    let text = opt_text("text", f.text.as_ref())?.unwrap_or_default();
    let in_reply_to = opt_text("in_reply_to", f.in_reply_to.as_ref())?;
    let reshare_of = opt_text("reshare_of", f.reshare_of.as_ref())?;
    let kind = match opt_text("kind", f.kind.as_ref())? {
        Some(k) => match mapping.kinds.get(&k) {
            Some(kind) => *kind,
            None => k.parse().map_err(|why: String| {
                ParseError::invalid(field_name("kind", f.kind.as_ref()), why)
            })?,
        },
        None if in_reply_to.is_some() => MentionKind::Reply,
        None => MentionKind::Mention,
    };
    build(
        platform,
        channel,
        Fields {
            id: with_prefix(id),
            kind,
            created_at,
            author_id: with_prefix(author_id),
            handle,
            followers,
            verified,
            text,
            lang: opt_text("lang", f.lang.as_ref())?,
            in_reply_to: in_reply_to.map(&with_prefix),
            reshare_of: reshare_of.map(&with_prefix),
            url: opt_text("url", f.url.as_ref())?,
        },
    )
}

/// Checks an HMAC-SHA256 signature header, as Meta's `X-Hub-Signature-256: sha256=<hex>`:
/// `header_value` is `prefix` followed by the lower- or upper-case hex HMAC of `body` under
/// `secret`. The comparison is constant-time.
pub fn verify_signature(
    secret: &[u8],
    header_value: &str,
    body: &[u8],
    prefix: &str,
) -> Result<(), ParseError> {
    let value = header_value.trim();
    let hex_part = value.strip_prefix(prefix).ok_or_else(|| {
        ParseError::Signature(format!("the header does not start with {prefix:?}"))
    })?;
    let given = hex::decode(hex_part.trim())
        .map_err(|e| ParseError::Signature(format!("the signature is not hex ({e})")))?;
    if given.len() != 32 {
        return Err(ParseError::Signature(format!(
            "the signature is {} bytes, an HMAC-SHA256 is 32",
            given.len()
        )));
    }
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .map_err(|e| ParseError::Signature(format!("unusable secret ({e})")))?;
    mac.update(body);
    mac.verify_slice(&given)
        .map_err(|_| ParseError::Signature("the signature does not match the body".into()))
}
