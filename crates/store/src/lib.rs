//! Firebreak's storage. This is the only crate that knows SQL.
//!
//! One interface, [`MentionStore`], two real backends:
//! - [`SqliteStore`]: the embedded default, one file in WAL mode;
//! - [`PgStore`]: PostgreSQL, for teams that outgrow one machine.
//!
//! Invariants:
//! - writes are idempotent upserts keyed by mention id: storing the same mention
//!   twice leaves one row, and the second write reports a duplicate;
//! - there is no API that deletes a mention, and both schemas refuse `DELETE`
//!   on the mentions table with a trigger;
//! - each backend owns its migrations (`migrations/<backend>/NNNN_name.sql`),
//!   applied in order at open, each in its own transaction.

pub mod accounts;
pub mod alerts;
mod analysis_columns;
pub mod cluster;
pub mod connectors;
mod crisis;
mod inbox;
pub mod insights;
mod pool;
mod postgres;
mod query;
mod sqlite;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use firebreak_core::{Mention, MentionId};

pub use crate::accounts::{ApiTokenRecord, SessionRecord, UserRecord, UserStore};
pub use crate::alerts::{AlertLog, AlertRecord};
pub use crate::cluster::{AdvisoryLease, ClusterState};
pub use crate::connectors::{ConnectorHealth, ConnectorRecord, ConnectorStates};
pub use crate::insights::{ActivityRow, Insights};
pub use crate::postgres::PgStore;
pub use crate::query::{Cursor, MentionPage, MentionQuery, StoredMention, MAX_PAGE_SIZE};
pub use crate::sqlite::SqliteStore;

/// The default database when none is configured: an SQLite file under the
/// data directory of the working directory.
pub const DEFAULT_DB: &str = "./firebreak-data/firebreak.db";

/// Errors from the store. Messages say what to do where there is something to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("invalid database URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] ::postgres::Error),
    #[error("migration {version} ({name}) failed: {reason}")]
    Migration {
        version: u32,
        name: &'static str,
        reason: String,
    },
    #[error(
        "the database schema is at version {found}, newer than this build of firebreak knows ({known}); upgrade firebreak"
    )]
    SchemaTooNew { found: u32, known: u32 },
    #[error("a stored row is unreadable: {0}")]
    CorruptRow(String),
    #[error("invalid cursor {0:?}: pass the `next_cursor` of a previous page unchanged")]
    InvalidCursor(String),
}

/// Which backend a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// What one batched write did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpsertOutcome {
    /// One flag per mention of the batch, in order: `true` when the mention
    /// was new, `false` when a mention with its id was already stored (or
    /// appeared earlier in the same batch).
    pub new: Vec<bool>,
}

impl UpsertOutcome {
    pub fn inserted(&self) -> u64 {
        self.new.iter().filter(|n| **n).count() as u64
    }
    pub fn duplicates(&self) -> u64 {
        self.new.iter().filter(|n| !**n).count() as u64
    }
}

/// Mentions stored for one channel.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChannelStats {
    pub channel: String,
    pub platforms: Vec<String>,
    pub mentions: u64,
    pub first_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The store's mention storage. Implementations are thread-safe; calls block,
/// so async code runs them on a blocking thread.
///
/// There is deliberately no method that deletes or rewrites a mention.
pub trait MentionStore: Send + Sync {
    fn backend(&self) -> Backend;

    /// A cheap round trip to the database, for health checks.
    fn ping(&self) -> Result<(), StoreError>;

    /// Stores a batch in one transaction: either all of it is committed or
    /// none of it is. Mentions whose id is already stored are left as they
    /// are and reported as duplicates.
    fn upsert_mentions(&self, batch: &[Mention]) -> Result<UpsertOutcome, StoreError>;

    fn get_mention(&self, id: &MentionId) -> Result<Option<StoredMention>, StoreError>;

    /// Lists mentions newest first, filtered, one page at a time.
    fn search_mentions(&self, query: &MentionQuery) -> Result<MentionPage, StoreError>;

    fn count_mentions(&self) -> Result<u64, StoreError>;

    /// Per-channel counts and time span, busiest channel first.
    fn channel_stats(&self) -> Result<Vec<ChannelStats>, StoreError>;
}

/// A parsed `--db` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DbUrl {
    /// Accepts `sqlite://PATH`, `sqlite:PATH`, a plain file path (SQLite), or
    /// `postgres://...` / `postgresql://...`.
    pub fn parse(url: &str) -> Result<DbUrl, StoreError> {
        let bad = |reason: &str| StoreError::InvalidUrl {
            url: redact(url),
            reason: reason.to_owned(),
        };
        let url = url.trim();
        if url.is_empty() {
            return Err(bad(
                "it is empty; use sqlite://PATH or postgres://USER@HOST/DB",
            ));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DbUrl::Postgres(url.to_owned()));
        }
        let path = if let Some(rest) = url.strip_prefix("sqlite://") {
            rest
        } else if let Some(rest) = url.strip_prefix("sqlite:") {
            rest
        } else if url.contains("://") {
            return Err(bad(
                "unknown scheme; use sqlite://PATH or postgres://USER@HOST/DB",
            ));
        } else {
            url
        };
        let path = path.split('?').next().unwrap_or(path);
        if path.is_empty() {
            return Err(bad(
                "no file path after sqlite://; e.g. sqlite://./firebreak-data/firebreak.db",
            ));
        }
        Ok(DbUrl::Sqlite(PathBuf::from(path)))
    }
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DbUrl::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

/// Hides the password of a URL so that it can be logged.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// A store with everything: mentions, and the inbox's cases, replies and audit log.
pub trait Store: MentionStore + firebreak_respond::store::CaseStore {}
impl<T: MentionStore + firebreak_respond::store::CaseStore> Store for T {}

/// One database, seen through each of its interfaces.
#[derive(Clone)]
pub struct Handles {
    pub mentions: Arc<dyn MentionStore>,
    pub cases: Arc<dyn firebreak_respond::store::CaseStore>,
    pub crises: Arc<dyn firebreak_crisis::CrisisStore>,
    /// The web app's accounts.
    pub users: Arc<dyn UserStore>,
    /// Aggregates for the web app's overview.
    pub insights: Arc<dyn Insights>,
    /// The connectors' cursors and health.
    pub connectors: Arc<dyn ConnectorStates>,
    /// Every alert emission (the web app's alerts, a cluster's notification outbox).
    pub alerts: Arc<dyn AlertLog>,
}

/// Opens (creating and migrating as needed) the store at `url`, with every table.
pub fn open_handles(url: &str) -> Result<Handles, StoreError> {
    Ok(match DbUrl::parse(url)? {
        DbUrl::Sqlite(path) => {
            let s = Arc::new(SqliteStore::open(&path)?);
            Handles {
                mentions: s.clone(),
                cases: s.clone(),
                crises: s.clone(),
                users: s.clone(),
                insights: s.clone(),
                connectors: s.clone(),
                alerts: s,
            }
        }
        DbUrl::Postgres(url) => {
            let s = Arc::new(PgStore::connect(&url)?);
            Handles {
                mentions: s.clone(),
                cases: s.clone(),
                crises: s.clone(),
                users: s.clone(),
                insights: s.clone(),
                connectors: s.clone(),
                alerts: s,
            }
        }
    })
}

/// Opens (creating and migrating as needed) the store at `url`.
pub fn open(url: &str) -> Result<Arc<dyn MentionStore>, StoreError> {
    Ok(match DbUrl::parse(url)? {
        DbUrl::Sqlite(path) => Arc::new(SqliteStore::open(&path)?),
        DbUrl::Postgres(url) => Arc::new(PgStore::connect(&url)?),
    })
}

/// The hourly rollup's increments for the mentions of a batch that were new:
/// (channel, hour since the epoch, language or "", sentiment or "") → count.
pub(crate) fn hour_counts(
    batch: &[Mention],
    new: &[bool],
) -> std::collections::HashMap<(String, i64, String, String), i64> {
    let mut out = std::collections::HashMap::new();
    for (m, fresh) in batch.iter().zip(new) {
        if !fresh {
            continue;
        }
        let a = m.analysis.as_ref();
        let lang = m
            .lang
            .clone()
            .or_else(|| a.and_then(|a| a.lang.clone()))
            .unwrap_or_default();
        let sentiment = a
            .map(|a| a.sentiment.label.as_str().to_owned())
            .unwrap_or_default();
        let hour = m.created_at.timestamp().div_euclid(3600);
        *out.entry((m.channel.as_str().to_owned(), hour, lang, sentiment))
            .or_insert(0) += 1;
    }
    out
}

/// A migration: version, name and SQL, embedded in the binary.
pub(crate) struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_urls_parse_to_backends() {
        assert_eq!(
            DbUrl::parse("sqlite://./x/y.db").ok(),
            Some(DbUrl::Sqlite(PathBuf::from("./x/y.db")))
        );
        assert_eq!(
            DbUrl::parse("sqlite:///abs/y.db").ok(),
            Some(DbUrl::Sqlite(PathBuf::from("/abs/y.db")))
        );
        assert_eq!(
            DbUrl::parse(DEFAULT_DB).ok(),
            Some(DbUrl::Sqlite(PathBuf::from(DEFAULT_DB)))
        );
        assert!(matches!(
            DbUrl::parse("postgresql://u:p@h/db"),
            Ok(DbUrl::Postgres(_))
        ));
        assert!(DbUrl::parse("mysql://h/db").is_err());
        assert!(DbUrl::parse("").is_err());
        assert!(DbUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        let err = DbUrl::parse("pg://u:secret@h/db")
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| !e.contains("secret")));
    }
}
