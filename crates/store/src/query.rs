//! Filters and pages for listing mentions.

use chrono::{DateTime, Utc};
use firebreak_core::Mention;
use serde::Serialize;

use crate::StoreError;

/// The largest page a query may ask for.
pub const MAX_PAGE_SIZE: usize = 500;

/// A mention as stored, with the wall-clock time it was stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredMention {
    #[serde(flatten)]
    pub mention: Mention,
    pub ingested_at: DateTime<Utc>,
}

/// Filters for [`crate::MentionStore::search_mentions`]. Every filter is
/// optional; set filters are combined with AND. Results come newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MentionQuery {
    pub channel: Option<String>,
    pub platform: Option<String>,
    pub kind: Option<String>,
    pub lang: Option<String>,
    pub author_id: Option<String>,
    /// Case-insensitive substring of the text (ASCII case folding).
    pub text: Option<String>,
    /// Sentiment label from analysis: negative, neutral, positive.
    pub sentiment: Option<String>,
    /// Intent from analysis: complaint, question, suggestion, praise, other.
    pub intent: Option<String>,
    /// Complaint category from analysis.
    pub category: Option<String>,
    /// Mentions that reply to this id.
    pub in_reply_to: Option<String>,
    /// Event time, inclusive.
    pub since: Option<DateTime<Utc>>,
    /// Event time, exclusive.
    pub until: Option<DateTime<Utc>>,
    /// Page size, clamped to 1..=[`MAX_PAGE_SIZE`]; 0 means 50.
    pub limit: usize,
    /// Where the previous page ended.
    pub after: Option<Cursor>,
}

impl MentionQuery {
    pub fn page_size(&self) -> usize {
        match self.limit {
            0 => 50,
            n => n.min(MAX_PAGE_SIZE),
        }
    }
}

/// A position in the newest-first order: (created_at, id) of the last item seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub created_at_micros: i64,
    pub id: String,
}

impl Cursor {
    pub fn of(mention: &Mention) -> Cursor {
        Cursor {
            created_at_micros: mention.created_at.timestamp_micros(),
            id: mention.id.to_string(),
        }
    }

    /// The opaque text form handed to clients.
    pub fn encode(&self) -> String {
        format!("{}~{}", self.created_at_micros, self.id)
    }

    pub fn decode(text: &str) -> Result<Cursor, StoreError> {
        let (micros, id) = text
            .split_once('~')
            .ok_or_else(|| StoreError::InvalidCursor(text.to_owned()))?;
        let created_at_micros = micros
            .parse()
            .map_err(|_| StoreError::InvalidCursor(text.to_owned()))?;
        if id.is_empty() {
            return Err(StoreError::InvalidCursor(text.to_owned()));
        }
        Ok(Cursor {
            created_at_micros,
            id: id.to_owned(),
        })
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MentionPage {
    pub mentions: Vec<StoredMention>,
    /// Pass this as `after` to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl MentionPage {
    /// Builds a page from `page_size + 1` fetched rows: the extra row only
    /// tells whether there is a next page.
    pub(crate) fn from_rows(mut rows: Vec<StoredMention>, page_size: usize) -> MentionPage {
        let more = rows.len() > page_size;
        rows.truncate(page_size);
        let next_cursor = if more {
            rows.last().map(|m| Cursor::of(&m.mention).encode())
        } else {
            None
        };
        MentionPage {
            mentions: rows,
            next_cursor,
        }
    }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = Cursor {
            created_at_micros: 1_700_000_000_000_000,
            id: "x:1~2".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()).ok(), Some(c));
        assert!(Cursor::decode("nonsense").is_err());
        assert!(Cursor::decode("12~").is_err());
        assert!(Cursor::decode("abc~id").is_err());
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
