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

/// A word as the full-text index keeps it: lower case, without the diacritics that
/// Unicode decomposes ("caffè" is "caffe", "żółć" is "zołc": ł has no decomposition).
pub(crate) fn fold(word: &str) -> String {
    use unicode_normalization::char::is_combining_mark;
    use unicode_normalization::UnicodeNormalization;
    word.to_lowercase()
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .collect()
}

/// The words of a text search, as the full-text index cuts them: runs of letters and
/// digits, lower-cased (at most 12 words of at most 64 characters each). SQLite's index
/// also folds diacritics ([`fold`]); PostgreSQL's `simple` configuration does not.
pub(crate) fn search_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(12)
        .map(|w| w.chars().take(64).collect::<String>().to_lowercase())
        .collect()
}

/// Whether `text` holds every one of `words` (folded search words) the way the full-text
/// query matches them: a word of three letters or more as a prefix of a word of the text,
/// a shorter one whole.
pub(crate) fn words_match(text: &str, words: &[String]) -> bool {
    let tokens: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(fold)
        .collect();
    words
        .iter()
        .filter(|w| !w.is_empty())
        .map(|w| fold(w))
        .all(|w| {
            tokens.iter().any(|t| {
                if prefix(&w) {
                    t.starts_with(w.as_str())
                } else {
                    *t == w
                }
            })
        })
}

/// Words of three letters or more also match as prefixes ("bollit" finds "bollitore").
fn prefix(word: &str) -> bool {
    word.chars().count() >= 3
}

/// An FTS5 query matching every word: each quoted, so nothing in it is FTS syntax.
pub(crate) fn fts5_query(words: &[String]) -> String {
    words
        .iter()
        .map(|w| {
            let star = if prefix(w) { "*" } else { "" };
            format!("\"{}\"{star}", w.replace('"', ""))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A `to_tsquery` text matching every word (the words are letters and digits only).
pub(crate) fn ts_query(words: &[String]) -> String {
    words
        .iter()
        .map(|w| {
            if prefix(w) {
                format!("{w}:*")
            } else {
                w.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" & ")
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
    fn search_words_are_letters_and_digits_and_never_query_syntax() {
        let w = search_words("Il BOLLITORE \"Aria\" (2024) NEAR/3 -ok żółć");
        assert_eq!(
            w,
            ["il", "bollitore", "aria", "2024", "near", "3", "ok", "żółć"]
        );
        assert_eq!(fts5_query(&w[..3]), "\"il\" \"bollitore\"* \"aria\"*");
        assert_eq!(ts_query(&w[..3]), "il & bollitore:* & aria:*");
        assert!(search_words("%_\\ !!").is_empty());
    }

    #[test]
    fn a_text_matches_like_the_index_does() {
        let words = search_words("Caffe BOLLIT");
        assert_eq!(words, ["caffe", "bollit"]);
        assert!(words_match("Il bollitore del caffe è rotto", &words));
        assert!(words_match("caffè — BOLLITORE!", &words));
        assert!(!words_match("il bollitore", &words), "every word");
        assert!(
            !words_match("decaffeinato bollitore", &words),
            "prefixes of words only"
        );
        assert!(words_match("żółć", &search_words("zołc")));
        assert!(words_match("a b c", &search_words("b")));
        assert!(!words_match("abc", &search_words("b")), "short words whole");
    }

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
