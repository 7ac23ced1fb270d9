//! The embedded default backend: one SQLite file in WAL mode. One writer
//! connection (SQLite allows one writer at a time anyway) and a pool of
//! read-only connections, which WAL lets run while the writer commits.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use firebreak_core::{Author, AuthorId, ChannelId, Mention, MentionId};
use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::analysis_columns;
use crate::inbox::Val;
use crate::pool::Pool;
use crate::query::{
    fts5_query, like_pattern, search_words, MentionPage, MentionQuery, StoredMention,
};
use crate::{Backend, ChannelStats, MentionStore, Migration, StoreError, UpsertOutcome};
use firebreak_respond::store::StoreFailure;

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "mentions",
        sql: include_str!("../migrations/sqlite/0001_mentions.sql"),
    },
    Migration {
        version: 2,
        name: "analysis",
        sql: include_str!("../migrations/sqlite/0002_analysis.sql"),
    },
    Migration {
        version: 3,
        name: "inbox",
        sql: include_str!("../migrations/sqlite/0003_inbox.sql"),
    },
    Migration {
        version: 4,
        name: "accounts",
        sql: include_str!("../migrations/sqlite/0004_accounts.sql"),
    },
    Migration {
        version: 5,
        name: "crises",
        sql: include_str!("../migrations/sqlite/0005_crises.sql"),
    },
    Migration {
        version: 6,
        name: "queue_order",
        sql: include_str!("../migrations/sqlite/0006_queue_order.sql"),
    },
    Migration {
        version: 7,
        name: "mention_hours",
        sql: include_str!("../migrations/sqlite/0007_mention_hours.sql"),
    },
    Migration {
        version: 8,
        name: "connectors",
        sql: include_str!("../migrations/sqlite/0008_connectors.sql"),
    },
    Migration {
        version: 9,
        name: "cluster",
        sql: include_str!("../migrations/sqlite/0009_cluster.sql"),
    },
    Migration {
        version: 10,
        name: "search",
        sql: include_str!("../migrations/sqlite/0010_search.sql"),
    },
    Migration {
        version: 11,
        name: "alerts",
        sql: include_str!("../migrations/sqlite/0011_alerts.sql"),
    },
    Migration {
        version: 12,
        name: "api_tokens",
        sql: include_str!("../migrations/sqlite/0012_api_tokens.sql"),
    },
    Migration {
        version: 13,
        name: "plan_versions",
        sql: include_str!("../migrations/sqlite/0013_plan_versions.sql"),
    },
    Migration {
        version: 14,
        name: "filter_indexes",
        sql: include_str!("../migrations/sqlite/0014_filter_indexes.sql"),
    },
    Migration {
        version: 15,
        name: "search_fold",
        sql: include_str!("../migrations/sqlite/0015_search_fold.sql"),
    },
    Migration {
        version: 16,
        name: "api_token_expiry",
        sql: include_str!("../migrations/sqlite/0016_api_token_expiry.sql"),
    },
];

/// Up to this many full-text matches, a search starts from the matches and sorts them;
/// beyond, it walks the time index and checks each mention (the first page comes early).
const FEW_MATCHES: i64 = 20_000;

/// How many rows a filter's index is asked about before the store picks the index to walk.
const PROBE_CAP: i64 = 5_000;

const BASE_COLUMNS: &str = "id, platform, channel, kind, created_at, author_id, author_handle, \
     author_followers, author_verified, text, lang, in_reply_to, reshare_of, url, ingested_at";
const BASE_COUNT: usize = 15;

fn insert_sql() -> String {
    let placeholders: Vec<String> = (1..=BASE_COUNT + analysis_columns::COUNT)
        .map(|i| format!("?{i}"))
        .collect();
    format!(
        "INSERT INTO mentions ({BASE_COLUMNS}, {}) VALUES ({}) ON CONFLICT (id) DO NOTHING",
        analysis_columns::COLUMNS,
        placeholders.join(", ")
    )
}

fn select_sql() -> String {
    format!(
        "SELECT {BASE_COLUMNS}, {} FROM mentions",
        analysis_columns::COLUMNS
    )
}

pub struct SqliteStore {
    path: PathBuf,
    insert_sql: String,
    select_sql: String,
    writer: Mutex<Connection>,
    readers: Pool<Connection>,
}

impl SqliteStore {
    /// Opens the database file at `path`, creating it and its directory when
    /// missing, and applies pending migrations.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let mut writer = Connection::open(path)?;
        writer.busy_timeout(Duration::from_secs(10))?;
        // 16 KiB pages: measured ~15% faster ingest than 4 KiB (examples/sqlite_variants.rs).
        // Takes effect only when the file is created; existing files keep theirs.
        writer.pragma_update(None, "page_size", 16384)?;
        // WAL: readers never block the writer; NORMAL sync is crash-safe for the
        // application (kill -9 loses nothing committed) and much faster than FULL.
        writer.pragma_update(None, "journal_mode", "WAL")?;
        writer.pragma_update(None, "synchronous", "NORMAL")?;
        writer.pragma_update(None, "foreign_keys", "ON")?;
        writer.pragma_update(None, "cache_size", -65536)?; // 64 MiB
                                                           // Checkpoint every 64 MiB of WAL rather than every 4 MiB: a page that
                                                           // many batches touch is copied back once instead of once per batch.
        writer.pragma_update(None, "wal_autocheckpoint", 16384)?;
        writer.pragma_update(None, "temp_store", "MEMORY")?;
        migrate(&mut writer)?;

        let reader_path = path.to_path_buf();
        let readers = Pool::new(
            8,
            Box::new(move || {
                let conn = Connection::open_with_flags(
                    &reader_path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                conn.busy_timeout(Duration::from_secs(10))?;
                // The text search's check for one mention, the same words as the index.
                conn.create_scalar_function(
                    "firebreak_words_match",
                    2,
                    FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
                    |ctx| {
                        let text = ctx.get_raw(0).as_str().unwrap_or("");
                        let words = ctx.get_raw(1).as_str().unwrap_or("");
                        let words: Vec<String> = words.split(' ').map(str::to_owned).collect();
                        Ok(crate::query::words_match(text, &words))
                    },
                )?;
                Ok(conn)
            }),
        );
        Ok(SqliteStore {
            path: path.to_path_buf(),
            insert_sql: insert_sql(),
            select_sql: select_sql(),
            writer: Mutex::new(writer),
            readers,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` with exclusive use of the writer connection. For tests and
    /// maintenance inside this crate's own tests; not part of the store API.
    #[cfg(test)]
    pub(crate) fn with_writer<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        let conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        f(&conn)
    }
}

impl crate::inbox::Sql for Connection {
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
        let mut stmt = self.prepare_cached(sql)?;
        let n = stmt.execute(rusqlite::params_from_iter(params.iter().map(to_sqlite)))?;
        Ok(n as u64)
    }
    fn rows(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Val>>, StoreError> {
        let mut stmt = self.prepare_cached(sql)?;
        let width = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter().map(to_sqlite)))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut r = Vec::with_capacity(width);
            for i in 0..width {
                r.push(match row.get::<_, Value>(i)? {
                    Value::Integer(v) => Val::Int(v),
                    Value::Text(t) => Val::Text(t),
                    Value::Null => Val::Null,
                    Value::Real(f) => Val::Int(f as i64),
                    Value::Blob(_) => return Err(StoreError::CorruptRow("unexpected BLOB".into())),
                });
            }
            out.push(r);
        }
        Ok(out)
    }
}

fn to_sqlite(v: &Val) -> Value {
    match v {
        Val::Int(i) => Value::Integer(*i),
        Val::Text(t) => Value::Text(t.clone()),
        Val::Null => Value::Null,
    }
}

impl SqliteStore {
    /// Runs `f` in an immediate transaction on the writer; commits when it succeeds.
    fn inbox_write<T>(
        &self,
        f: impl FnOnce(&mut dyn crate::inbox::Sql) -> Result<T, StoreFailure>,
    ) -> Result<T, StoreFailure> {
        let mut conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        conn.execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| crate::inbox::fail(e.into()))?;
        let result = f(&mut *conn);
        match result {
            Ok(v) => match conn.execute_batch("COMMIT") {
                Ok(()) => Ok(v),
                Err(e) => {
                    let _ = conn.execute_batch("ROLLBACK");
                    Err(crate::inbox::fail(e.into()))
                }
            },
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    fn inbox_read<T>(
        &self,
        f: impl FnOnce(&mut dyn crate::inbox::Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreFailure> {
        let mut conn = self.readers.get().map_err(crate::inbox::fail)?;
        f(&mut *conn).map_err(crate::inbox::fail)
    }
}

crate::inbox::impl_case_store!(SqliteStore);
crate::crisis::impl_crisis_store!(SqliteStore);

impl SqliteStore {
    /// Runs single-statement writes (accounts) on the writer connection.
    fn sql_write<T>(
        &self,
        f: impl FnOnce(&mut dyn crate::inbox::Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut *conn)
    }

    /// Runs reads (accounts, insights) on a reader connection.
    fn sql_read<T>(
        &self,
        f: impl FnOnce(&mut dyn crate::inbox::Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.readers.get()?;
        f(&mut *conn)
    }
}

crate::accounts::impl_user_store!(SqliteStore);
crate::insights::impl_insights!(SqliteStore, false);
crate::connectors::impl_connector_states!(SqliteStore);
crate::alerts::impl_alert_log!(SqliteStore);

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS firebreak_schema (
            version INTEGER PRIMARY KEY NOT NULL,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )",
    )?;
    let current: u32 = conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM firebreak_schema",
        [],
        |row| row.get(0),
    )?;
    let known = MIGRATIONS.last().map_or(0, |m| m.version);
    if current > known {
        return Err(StoreError::SchemaTooNew {
            found: current,
            known,
        });
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        let fail = |e: rusqlite::Error| StoreError::Migration {
            version: m.version,
            name: m.name,
            reason: e.to_string(),
        };
        let tx = conn.transaction().map_err(fail)?;
        tx.execute_batch(m.sql).map_err(fail)?;
        tx.execute(
            "INSERT INTO firebreak_schema (version, name, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![m.version, m.name, Utc::now().to_rfc3339()],
        )
        .map_err(fail)?;
        tx.commit().map_err(fail)?;
    }
    Ok(())
}

fn micros_to_time(micros: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| StoreError::CorruptRow(format!("timestamp {micros} out of range")))
}

fn row_to_mention(row: &rusqlite::Row<'_>) -> Result<StoredMention, StoreError> {
    let id: String = row.get(0)?;
    let platform: String = row.get(1)?;
    let kind: String = row.get(3)?;
    let followers: i64 = row.get(7)?;
    let corrupt = |what: String| StoreError::CorruptRow(format!("mention {id}: {what}"));
    let mention = Mention {
        platform: platform.parse().map_err(corrupt)?,
        channel: ChannelId::new(row.get::<_, String>(2)?),
        kind: kind.parse().map_err(corrupt)?,
        created_at: micros_to_time(row.get(4)?)?,
        author: Author {
            id: AuthorId::new(row.get::<_, String>(5)?),
            handle: row.get(6)?,
            followers: u64::try_from(followers).unwrap_or(0),
            verified: row.get(8)?,
        },
        text: row.get(9)?,
        lang: row.get(10)?,
        in_reply_to: row.get::<_, Option<String>>(11)?.map(MentionId::new),
        reshare_of: row.get::<_, Option<String>>(12)?.map(MentionId::new),
        url: row.get(13)?,
        id: MentionId::new(id),
        analysis: None,
    };
    let a = |i: usize| BASE_COUNT + i;
    let read = analysis_columns::Read {
        lang: row.get(a(0))?,
        lang_confidence: row.get::<_, Option<f64>>(a(1))?.map(|v| v as f32),
        sentiment: row.get(a(2))?,
        sentiment_score: row.get::<_, Option<f64>>(a(3))?.map(|v| v as f32),
        p: [
            row.get::<_, Option<f64>>(a(4))?.map(|v| v as f32),
            row.get::<_, Option<f64>>(a(5))?.map(|v| v as f32),
            row.get::<_, Option<f64>>(a(6))?.map(|v| v as f32),
        ],
        toxic: row.get::<_, Option<f64>>(a(7))?.map(|v| v as f32),
        insult: row.get::<_, Option<f64>>(a(8))?.map(|v| v as f32),
        threat: row.get::<_, Option<f64>>(a(9))?.map(|v| v as f32),
        identity_hate: row.get::<_, Option<f64>>(a(10))?.map(|v| v as f32),
        intent: row.get(a(11))?,
        intent_confidence: row.get::<_, Option<f64>>(a(12))?.map(|v| v as f32),
        category: row.get(a(13))?,
        register: row.get(a(14))?,
        emotional: row.get::<_, Option<f64>>(a(15))?.map(|v| v as f32),
    };
    let mut mention = mention;
    mention.analysis = analysis_columns::rebuild(mention.id.as_str(), read)?;
    Ok(StoredMention {
        mention,
        ingested_at: micros_to_time(row.get(14)?)?,
    })
}

impl MentionStore for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn ping(&self) -> Result<(), StoreError> {
        let conn = self.readers.get()?;
        conn.query_row("SELECT 1 FROM firebreak_schema LIMIT 1", [], |_| Ok(()))?;
        Ok(())
    }

    fn upsert_mentions(&self, batch: &[Mention]) -> Result<UpsertOutcome, StoreError> {
        let mut conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let now = Utc::now().timestamp_micros();
        let tx = conn.transaction()?;
        let mut new = Vec::with_capacity(batch.len());
        // New rows get rowids above the current largest: they are indexed for full-text
        // search in one statement at the end (several times faster than row by row).
        let before: i64 =
            tx.query_row("SELECT COALESCE(MAX(rowid), 0) FROM mentions", [], |r| {
                r.get(0)
            })?;
        {
            let mut insert = tx.prepare_cached(&self.insert_sql)?;
            for m in batch {
                let f = analysis_columns::flatten(m.analysis.as_ref());
                let changed = insert.execute(rusqlite::params![
                    m.id.as_str(),
                    m.platform.as_str(),
                    m.channel.as_str(),
                    m.kind.as_str(),
                    m.created_at.timestamp_micros(),
                    m.author.id.as_str(),
                    m.author.handle.as_deref(),
                    i64::try_from(m.author.followers).unwrap_or(i64::MAX),
                    m.author.verified,
                    m.text.as_str(),
                    m.lang.as_deref(),
                    m.in_reply_to.as_ref().map(MentionId::as_str),
                    m.reshare_of.as_ref().map(MentionId::as_str),
                    m.url.as_deref(),
                    now,
                    f.lang,
                    f.lang_confidence,
                    f.sentiment,
                    f.sentiment_score,
                    f.p[0],
                    f.p[1],
                    f.p[2],
                    f.toxic,
                    f.insult,
                    f.threat,
                    f.identity_hate,
                    f.intent,
                    f.intent_confidence,
                    f.category,
                    f.register,
                    f.emotional,
                ])?;
                new.push(changed == 1);
            }
            let mut hours = tx.prepare_cached(
                "INSERT INTO mention_hours (channel, hour, lang, sentiment, n) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (channel, hour, lang, sentiment) DO UPDATE SET n = n + excluded.n",
            )?;
            for ((channel, hour, lang, sentiment), n) in crate::hour_counts(batch, &new) {
                hours.execute(rusqlite::params![channel, hour, lang, sentiment, n])?;
            }
            if new.iter().any(|n| *n) {
                tx.prepare_cached(
                    "INSERT INTO mentions_fts (rowid, text) SELECT rowid, text FROM mentions WHERE rowid > ?1",
                )?
                .execute([before])?;
            }
        }
        tx.commit()?;
        Ok(UpsertOutcome { new })
    }

    fn get_mention(&self, id: &MentionId) -> Result<Option<StoredMention>, StoreError> {
        let conn = self.readers.get()?;
        let mut stmt = conn.prepare_cached(&format!("{} WHERE id = ?1", self.select_sql))?;
        let row = stmt
            .query_row([id.as_str()], |row| Ok(row_to_mention(row)))
            .optional()?;
        row.transpose()
    }

    fn search_mentions(&self, query: &MentionQuery) -> Result<MentionPage, StoreError> {
        let mut clauses: Vec<&str> = Vec::new();
        let mut params: Vec<Value> = Vec::new();
        let mut eq = |clause: &'static str, value: &Option<String>| {
            if let Some(v) = value {
                clauses.push(clause);
                params.push(Value::Text(v.clone()));
            }
        };
        eq("channel = ?", &query.channel);
        eq("platform = ?", &query.platform);
        eq("kind = ?", &query.kind);
        eq("COALESCE(lang, analysis_lang) = ?", &query.lang);
        eq("sentiment = ?", &query.sentiment);
        eq("intent = ?", &query.intent);
        eq("category = ?", &query.category);
        eq("author_id = ?", &query.author_id);
        eq("in_reply_to = ?", &query.in_reply_to);
        let conn = self.readers.get()?;
        // Text search: through the full-text index. When few mentions match, the query
        // starts from the matches; when many do, it walks by time and checks each one.
        let mut from_hits: Option<String> = None;
        if let Some(text) = &query.text {
            let words = search_words(text);
            if words.is_empty() {
                clauses.push("text LIKE ? ESCAPE '\\'");
                params.push(Value::Text(like_pattern(text)));
            } else {
                let fts = fts5_query(&words);
                let matches: i64 = conn.query_row(
                    "SELECT count(*) FROM (SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ?1 LIMIT ?2)",
                    rusqlite::params![fts, FEW_MATCHES + 1],
                    |row| row.get(0),
                )?;
                if matches <= FEW_MATCHES {
                    from_hits = Some(fts);
                } else {
                    // Asking the index about one row costs as much as the whole match,
                    // so each row's text is checked directly, with the index's rules.
                    clauses.push("firebreak_words_match(text, ?)");
                    params.push(Value::Text(words.join(" ")));
                }
            }
        }
        if let Some(since) = query.since {
            clauses.push("created_at >= ?");
            params.push(Value::Integer(since.timestamp_micros()));
        }
        if let Some(until) = query.until {
            clauses.push("created_at < ?");
            params.push(Value::Integer(until.timestamp_micros()));
        }
        if let Some(after) = &query.after {
            clauses.push("(created_at < ? OR (created_at = ? AND id < ?))");
            params.push(Value::Integer(after.created_at_micros));
            params.push(Value::Integer(after.created_at_micros));
            params.push(Value::Text(after.id.clone()));
        }
        let page_size = query.page_size();
        // Walking one filter's index (in time order) is fast when its value is rare and
        // when it is common (the page fills early); SQLite's statistics cannot tell which
        // value is which, so the store asks each index how many rows it holds for the
        // value (up to PROBE_CAP), walks the smallest, and answers at once when one is empty.
        let mut indexed_by = None;
        if from_hits.is_none() {
            let mut best: Option<(i64, &str)> = None;
            // On a tie (both past the cap) the index with more distinct values wins.
            for (index, column, value) in [
                ("mentions_by_category_time", "category", &query.category),
                ("mentions_by_intent_time", "intent", &query.intent),
                (
                    "mentions_by_lang_time",
                    "COALESCE(lang, analysis_lang)",
                    &query.lang,
                ),
                ("mentions_by_sentiment_time", "sentiment", &query.sentiment),
                ("mentions_by_channel_time", "channel", &query.channel),
            ] {
                let Some(v) = value else { continue };
                let n: i64 = conn
                    .prepare_cached(&format!(
                        "SELECT count(*) FROM (SELECT 1 FROM mentions INDEXED BY {index} \
                         WHERE {column} = ?1 LIMIT {PROBE_CAP})"
                    ))?
                    .query_row([v], |row| row.get(0))?;
                if n == 0 {
                    return Ok(MentionPage::from_rows(Vec::new(), page_size));
                }
                if best.is_none_or(|(m, _)| n < m) {
                    best = Some((n, index));
                }
            }
            indexed_by = best.map(|(_, index)| index);
        }
        let where_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let select = match &from_hits {
            None => match indexed_by {
                Some(index) => self.select_sql.replacen(
                    " FROM mentions",
                    &format!(" FROM mentions INDEXED BY {index}"),
                    1,
                ),
                None => self.select_sql.clone(),
            },
            Some(_) => format!(
                "WITH hits(r) AS MATERIALIZED (SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ?) {}",
                self.select_sql.replacen(
                    " FROM mentions",
                    " FROM hits CROSS JOIN mentions ON mentions.rowid = hits.r",
                    1
                )
            ),
        };
        if let Some(fts) = from_hits {
            params.insert(0, Value::Text(fts));
        }
        let sql = format!(
            "{select} {where_sql} ORDER BY created_at DESC, id DESC LIMIT {}",
            page_size + 1
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        let mut out = Vec::with_capacity(page_size + 1);
        while let Some(row) = rows.next()? {
            out.push(row_to_mention(row)?);
        }
        Ok(MentionPage::from_rows(out, page_size))
    }

    fn count_mentions(&self) -> Result<u64, StoreError> {
        let conn = self.readers.get()?;
        let n: i64 = conn.query_row("SELECT COUNT(*) FROM mentions", [], |row| row.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn channel_stats(&self) -> Result<Vec<ChannelStats>, StoreError> {
        let conn = self.readers.get()?;
        let mut stmt = conn.prepare_cached(
            "SELECT channel, group_concat(DISTINCT platform), COUNT(*), MIN(created_at), MAX(created_at) \
             FROM mentions GROUP BY channel ORDER BY COUNT(*) DESC, channel",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let platforms: String = row.get(1)?;
            let mut platforms: Vec<String> = platforms.split(',').map(str::to_owned).collect();
            platforms.sort();
            out.push(ChannelStats {
                channel: row.get(0)?,
                platforms,
                mentions: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
                first_at: row
                    .get::<_, Option<i64>>(3)?
                    .map(micros_to_time)
                    .transpose()?,
                last_at: row
                    .get::<_, Option<i64>>(4)?
                    .map(micros_to_time)
                    .transpose()?,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_refuses_to_delete_mentions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(&dir.path().join("t.db")).expect("open");
        store
            .upsert_mentions(&firebreak_testkit::mentions(2))
            .expect("upsert");
        let err = store.with_writer(|c| c.execute("DELETE FROM mentions", []));
        let msg = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("never deleted"), "{msg}");
        assert_eq!(store.count_mentions().expect("count"), 2);
    }

    #[test]
    fn reopening_applies_no_migration_twice_and_journal_is_wal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/dir/t.db");
        drop(SqliteStore::open(&path).expect("first open"));
        let store = SqliteStore::open(&path).expect("second open");
        let (versions, mode): (i64, String) = store.with_writer(|c| {
            let v = c
                .query_row("SELECT COUNT(*) FROM firebreak_schema", [], |r| r.get(0))
                .expect("count");
            let m = c
                .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .expect("mode");
            (v, m)
        });
        assert_eq!(versions as usize, MIGRATIONS.len());
        assert_eq!(mode, "wal");
    }
}
