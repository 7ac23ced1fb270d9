//! PostgreSQL, for teams that outgrow one machine. Writes go through one
//! connection as a single multi-row `INSERT ... SELECT FROM UNNEST(...)` per
//! batch; reads use a pool. Connections that break are replaced on next use.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use firebreak_core::{Author, AuthorId, ChannelId, Mention, MentionId};
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row};

use crate::analysis_columns;
use crate::inbox::Val;
use crate::pool::Pool;
use crate::query::{
    like_pattern, search_words, ts_query, MentionPage, MentionQuery, StoredMention,
};
use crate::{redact, Backend, ChannelStats, MentionStore, Migration, StoreError, UpsertOutcome};
use firebreak_respond::store::StoreFailure;

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "mentions",
        sql: include_str!("../migrations/postgres/0001_mentions.sql"),
    },
    Migration {
        version: 2,
        name: "analysis",
        sql: include_str!("../migrations/postgres/0002_analysis.sql"),
    },
    Migration {
        version: 3,
        name: "inbox",
        sql: include_str!("../migrations/postgres/0003_inbox.sql"),
    },
    Migration {
        version: 4,
        name: "accounts",
        sql: include_str!("../migrations/postgres/0004_accounts.sql"),
    },
    Migration {
        version: 5,
        name: "crises",
        sql: include_str!("../migrations/postgres/0005_crises.sql"),
    },
    Migration {
        version: 6,
        name: "queue_order",
        sql: include_str!("../migrations/postgres/0006_queue_order.sql"),
    },
    Migration {
        version: 7,
        name: "mention_hours",
        sql: include_str!("../migrations/postgres/0007_mention_hours.sql"),
    },
    Migration {
        version: 8,
        name: "connectors",
        sql: include_str!("../migrations/postgres/0008_connectors.sql"),
    },
    Migration {
        version: 9,
        name: "cluster",
        sql: include_str!("../migrations/postgres/0009_cluster.sql"),
    },
    Migration {
        version: 10,
        name: "search",
        sql: include_str!("../migrations/postgres/0010_search.sql"),
    },
    Migration {
        version: 11,
        name: "alerts",
        sql: include_str!("../migrations/postgres/0011_alerts.sql"),
    },
    Migration {
        version: 12,
        name: "api_tokens",
        sql: include_str!("../migrations/postgres/0012_api_tokens.sql"),
    },
    Migration {
        version: 13,
        name: "plan_versions",
        sql: include_str!("../migrations/postgres/0013_plan_versions.sql"),
    },
    Migration {
        version: 14,
        name: "filter_indexes",
        sql: include_str!("../migrations/postgres/0014_filter_indexes.sql"),
    },
    Migration {
        version: 15,
        name: "search_fold",
        sql: include_str!("../migrations/postgres/0015_search_fold.sql"),
    },
    Migration {
        version: 16,
        name: "api_token_expiry",
        sql: include_str!("../migrations/postgres/0016_api_token_expiry.sql"),
    },
];

/// The advisory lock that serialises inbox writes between nodes (the audit chain has
/// one end).
const INBOX_LOCK: i64 = 0x4649_5245_4252_4b02;

/// Any constant: the advisory lock that serialises migrations between nodes.
const MIGRATION_LOCK: i64 = 0x4649_5245_4252_4b01;

const BASE_COLUMNS: &str = "id, platform, channel, kind, created_at, author_id, author_handle, \
     author_followers, author_verified, text, lang, in_reply_to, reshare_of, url, ingested_at";
const BASE_COUNT: usize = 15;

/// One multi-row insert per batch: every column travels as an array.
fn upsert_sql() -> String {
    let types = [
        "text",
        "text",
        "text",
        "text",
        "timestamptz",
        "text",
        "text",
        "int8",
        "bool",
        "text",
        "text",
        "text",
        "text",
        "text", // the mention (ingested_at defaults to now())
        "text",
        "real",
        "text",
        "real",
        "real",
        "real",
        "real",
        "real",
        "real",
        "real",
        "real",
        "text",
        "real",
        "text",
        "text",
        "real", // its analysis
    ];
    let arrays: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(i, t)| format!("${}::{t}[]", i + 1))
        .collect();
    let insert_columns = BASE_COLUMNS.replace(", ingested_at", "");
    format!(
        "INSERT INTO mentions ({insert_columns}, {}) SELECT * FROM UNNEST({}) \
         ON CONFLICT (id) DO NOTHING RETURNING id",
        analysis_columns::COLUMNS,
        arrays.join(", ")
    )
}

fn select_sql() -> String {
    format!(
        "SELECT {BASE_COLUMNS}, {} FROM mentions",
        analysis_columns::COLUMNS
    )
}

pub struct PgStore {
    url: String,
    upsert_sql: String,
    select_sql: String,
    writer: Mutex<Option<Conn>>,
    readers: Pool<Conn>,
}

/// A connection. The synchronous client owns a small runtime, which must not
/// be dropped on an async thread; dropping a `Conn` hands the client to a
/// short-lived thread instead, so a store can be dropped anywhere.
struct Conn(Option<Client>);

impl std::ops::Deref for Conn {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.0.as_ref().expect("client present until drop")
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut Client {
        self.0.as_mut().expect("client present until drop")
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(client) = self.0.take() {
            let _ = std::thread::Builder::new()
                .name("pg-close".into())
                .spawn(move || drop(client));
        }
    }
}

fn connect(url: &str) -> Result<Conn, StoreError> {
    Ok(Conn(Some(Client::connect(url, NoTls)?)))
}

impl PgStore {
    /// Connects to `url` and applies pending migrations.
    pub fn connect(url: &str) -> Result<PgStore, StoreError> {
        let mut writer = connect(url)?;
        migrate(&mut writer)?;
        let reader_url = url.to_owned();
        Ok(PgStore {
            url: url.to_owned(),
            upsert_sql: upsert_sql(),
            select_sql: select_sql(),
            writer: Mutex::new(Some(writer)),
            readers: Pool::new(8, Box::new(move || connect(&reader_url))),
        })
    }

    /// The URL with its password hidden.
    pub fn display_url(&self) -> String {
        redact(&self.url)
    }

    fn with_writer<T>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut slot = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if slot.as_ref().is_none_or(|c| c.is_closed()) {
            *slot = Some(connect(&self.url)?);
        }
        let client = slot
            .as_mut()
            .ok_or_else(|| StoreError::CorruptRow("no writer".into()))?;
        let result = f(client);
        if client.is_closed() {
            *slot = None;
        }
        result
    }

    fn with_reader<T>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.readers.get()?;
        if conn.is_closed() {
            conn.discard();
            conn = self.readers.get()?;
        }
        let result = f(&mut conn);
        if conn.is_closed() {
            conn.discard();
        }
        result
    }
}

/// `?N` placeholders (the inbox's shared SQL) to PostgreSQL's `$N`.
fn dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

/// A NULL that fits any column type.
#[derive(Debug)]
struct AnyNull;

impl ToSql for AnyNull {
    fn to_sql(
        &self,
        _ty: &postgres::types::Type,
        _out: &mut postgres::types::private::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        Ok(postgres::types::IsNull::Yes)
    }
    fn accepts(_ty: &postgres::types::Type) -> bool {
        true
    }
    postgres::types::to_sql_checked!();
}

fn pg_params(params: &[Val]) -> Vec<Box<dyn ToSql + Sync>> {
    params
        .iter()
        .map(|v| -> Box<dyn ToSql + Sync> {
            match v {
                Val::Int(i) => Box::new(*i),
                Val::Text(t) => Box::new(t.clone()),
                Val::Null => Box::new(AnyNull),
            }
        })
        .collect()
}

fn pg_exec<C: postgres::GenericClient>(
    c: &mut C,
    sql: &str,
    params: &[Val],
) -> Result<u64, StoreError> {
    let boxed = pg_params(params);
    let refs: Vec<&(dyn ToSql + Sync)> = boxed.iter().map(|b| b.as_ref()).collect();
    Ok(c.execute(dollar_placeholders(sql).as_str(), &refs)?)
}

fn pg_rows<C: postgres::GenericClient>(
    c: &mut C,
    sql: &str,
    params: &[Val],
) -> Result<Vec<Vec<Val>>, StoreError> {
    use postgres::types::Type;
    let boxed = pg_params(params);
    let refs: Vec<&(dyn ToSql + Sync)> = boxed.iter().map(|b| b.as_ref()).collect();
    let rows = c.query(dollar_placeholders(sql).as_str(), &refs)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut r = Vec::with_capacity(row.len());
        for (i, col) in row.columns().iter().enumerate() {
            let ty = col.type_();
            r.push(if *ty == Type::INT8 {
                row.try_get::<_, Option<i64>>(i)?
                    .map_or(Val::Null, Val::Int)
            } else if *ty == Type::INT4 {
                row.try_get::<_, Option<i32>>(i)?
                    .map_or(Val::Null, |v| Val::Int(i64::from(v)))
            } else {
                row.try_get::<_, Option<String>>(i)?
                    .map_or(Val::Null, Val::Text)
            });
        }
        out.push(r);
    }
    Ok(out)
}

struct PgSql<'a, C: postgres::GenericClient>(&'a mut C);

impl<C: postgres::GenericClient> crate::inbox::Sql for PgSql<'_, C> {
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
        pg_exec(self.0, sql, params)
    }
    fn rows(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Val>>, StoreError> {
        pg_rows(self.0, sql, params)
    }
}

impl PgStore {
    /// Runs `f` in a transaction holding the inbox lock; commits when it succeeds.
    fn inbox_write<T>(
        &self,
        f: impl FnOnce(&mut dyn crate::inbox::Sql) -> Result<T, StoreFailure>,
    ) -> Result<T, StoreFailure> {
        let mut out: Option<Result<T, StoreFailure>> = None;
        self.with_writer(|client| {
            let mut tx = client.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INBOX_LOCK])?;
            let result = f(&mut PgSql(&mut tx));
            if result.is_ok() {
                tx.commit()?;
            }
            out = Some(result);
            Ok(())
        })
        .map_err(crate::inbox::fail)?;
        out.unwrap_or_else(|| Err(StoreFailure::Other("the inbox write did not run".into())))
    }

    fn inbox_read<T>(
        &self,
        f: impl FnOnce(&mut dyn crate::inbox::Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreFailure> {
        self.with_reader(|client| f(&mut PgSql(client)))
            .map_err(crate::inbox::fail)
    }
}

crate::inbox::impl_case_store!(PgStore);
crate::crisis::impl_crisis_store!(PgStore);

impl PgStore {
    /// Runs single-statement writes (accounts) on the writer connection.
    fn sql_write<T>(
        &self,
        f: impl FnOnce(&mut dyn crate::inbox::Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with_writer(|client| f(&mut PgSql(client)))
    }

    /// Runs reads (accounts, insights) on a pooled connection.
    fn sql_read<T>(
        &self,
        f: impl FnOnce(&mut dyn crate::inbox::Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with_reader(|client| f(&mut PgSql(client)))
    }
}

crate::accounts::impl_user_store!(PgStore);
crate::insights::impl_insights!(PgStore, true);
crate::connectors::impl_connector_states!(PgStore);
crate::alerts::impl_alert_log!(PgStore);

fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS firebreak_schema (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )?;
    let current: i32 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM firebreak_schema",
            &[],
        )?
        .get(0);
    let current = u32::try_from(current).unwrap_or(0);
    let known = MIGRATIONS.last().map_or(0, |m| m.version);
    if current > known {
        return Err(StoreError::SchemaTooNew {
            found: current,
            known,
        });
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        let fail = |e: postgres::Error| StoreError::Migration {
            version: m.version,
            name: m.name,
            reason: e.to_string(),
        };
        tx.batch_execute(m.sql).map_err(fail)?;
        let version = i32::try_from(m.version).unwrap_or(i32::MAX);
        tx.execute(
            "INSERT INTO firebreak_schema (version, name) VALUES ($1, $2)",
            &[&version, &m.name],
        )
        .map_err(fail)?;
    }
    tx.commit()?;
    Ok(())
}

fn row_to_mention(row: &Row) -> Result<StoredMention, StoreError> {
    let id: String = row.try_get(0)?;
    let platform: String = row.try_get(1)?;
    let kind: String = row.try_get(3)?;
    let followers: i64 = row.try_get(7)?;
    let corrupt = |what: String| StoreError::CorruptRow(format!("mention {id}: {what}"));
    let mention = Mention {
        platform: platform.parse().map_err(corrupt)?,
        channel: ChannelId::new(row.try_get::<_, String>(2)?),
        kind: kind.parse().map_err(corrupt)?,
        created_at: row.try_get(4)?,
        author: Author {
            id: AuthorId::new(row.try_get::<_, String>(5)?),
            handle: row.try_get(6)?,
            followers: u64::try_from(followers).unwrap_or(0),
            verified: row.try_get(8)?,
        },
        text: row.try_get(9)?,
        lang: row.try_get(10)?,
        in_reply_to: row.try_get::<_, Option<String>>(11)?.map(MentionId::new),
        reshare_of: row.try_get::<_, Option<String>>(12)?.map(MentionId::new),
        url: row.try_get(13)?,
        id: MentionId::new(id),
        analysis: None,
    };
    let a = |i: usize| BASE_COUNT + i;
    let read = analysis_columns::Read {
        lang: row.try_get(a(0))?,
        lang_confidence: row.try_get(a(1))?,
        sentiment: row.try_get(a(2))?,
        sentiment_score: row.try_get(a(3))?,
        p: [row.try_get(a(4))?, row.try_get(a(5))?, row.try_get(a(6))?],
        toxic: row.try_get(a(7))?,
        insult: row.try_get(a(8))?,
        threat: row.try_get(a(9))?,
        identity_hate: row.try_get(a(10))?,
        intent: row.try_get(a(11))?,
        intent_confidence: row.try_get(a(12))?,
        category: row.try_get(a(13))?,
        register: row.try_get(a(14))?,
        emotional: row.try_get(a(15))?,
    };
    let mut mention = mention;
    mention.analysis = analysis_columns::rebuild(mention.id.as_str(), read)?;
    Ok(StoredMention {
        mention,
        ingested_at: row.try_get(14)?,
    })
}

impl MentionStore for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.with_reader(|client| {
            client.simple_query("SELECT 1")?;
            Ok(())
        })
    }

    fn upsert_mentions(&self, batch: &[Mention]) -> Result<UpsertOutcome, StoreError> {
        if batch.is_empty() {
            return Ok(UpsertOutcome::default());
        }
        let ids: Vec<&str> = batch.iter().map(|m| m.id.as_str()).collect();
        let platforms: Vec<&str> = batch.iter().map(|m| m.platform.as_str()).collect();
        let channels: Vec<&str> = batch.iter().map(|m| m.channel.as_str()).collect();
        let kinds: Vec<&str> = batch.iter().map(|m| m.kind.as_str()).collect();
        let created: Vec<DateTime<Utc>> = batch.iter().map(|m| m.created_at).collect();
        let authors: Vec<&str> = batch.iter().map(|m| m.author.id.as_str()).collect();
        let handles: Vec<Option<&str>> = batch.iter().map(|m| m.author.handle.as_deref()).collect();
        let followers: Vec<i64> = batch
            .iter()
            .map(|m| i64::try_from(m.author.followers).unwrap_or(i64::MAX))
            .collect();
        let verified: Vec<bool> = batch.iter().map(|m| m.author.verified).collect();
        let texts: Vec<&str> = batch.iter().map(|m| m.text.as_str()).collect();
        let langs: Vec<Option<&str>> = batch.iter().map(|m| m.lang.as_deref()).collect();
        let replies: Vec<Option<&str>> = batch
            .iter()
            .map(|m| m.in_reply_to.as_ref().map(MentionId::as_str))
            .collect();
        let reshares: Vec<Option<&str>> = batch
            .iter()
            .map(|m| m.reshare_of.as_ref().map(MentionId::as_str))
            .collect();
        let urls: Vec<Option<&str>> = batch.iter().map(|m| m.url.as_deref()).collect();
        let flat: Vec<analysis_columns::Flat<'_>> = batch
            .iter()
            .map(|m| analysis_columns::flatten(m.analysis.as_ref()))
            .collect();
        macro_rules! column {
            ($field:ident $(. $idx:tt)?) => {
                flat.iter().map(|x| x.$field $([$idx])?).collect::<Vec<_>>()
            };
        }
        let a_lang = column!(lang);
        let a_lang_conf = column!(lang_confidence);
        let a_sentiment = column!(sentiment);
        let a_sentiment_score = column!(sentiment_score);
        let a_p0 = column!(p.0);
        let a_p1 = column!(p.1);
        let a_p2 = column!(p.2);
        let a_toxic = column!(toxic);
        let a_insult = column!(insult);
        let a_threat = column!(threat);
        let a_hate = column!(identity_hate);
        let a_intent = column!(intent);
        let a_intent_conf = column!(intent_confidence);
        let a_category = column!(category);
        let a_register = column!(register);
        let a_emotional = column!(emotional);
        let params: [&(dyn ToSql + Sync); 30] = [
            &ids,
            &platforms,
            &channels,
            &kinds,
            &created,
            &authors,
            &handles,
            &followers,
            &verified,
            &texts,
            &langs,
            &replies,
            &reshares,
            &urls,
            &a_lang,
            &a_lang_conf,
            &a_sentiment,
            &a_sentiment_score,
            &a_p0,
            &a_p1,
            &a_p2,
            &a_toxic,
            &a_insult,
            &a_threat,
            &a_hate,
            &a_intent,
            &a_intent_conf,
            &a_category,
            &a_register,
            &a_emotional,
        ];
        // The mentions and the hourly rollup change in one transaction.
        let new = self.with_writer(|client| {
            let mut tx = client.transaction()?;
            let rows = tx.query(&self.upsert_sql, &params)?;
            let mut inserted: std::collections::HashSet<String> = rows
                .iter()
                .filter_map(|r| r.try_get::<_, String>(0).ok())
                .collect();
            // An id inserted by this statement is new only at its first position in the batch.
            let new: Vec<bool> = batch
                .iter()
                .map(|m| inserted.remove(m.id.as_str()))
                .collect();
            let counts = crate::hour_counts(batch, &new);
            if !counts.is_empty() {
                let mut channels = Vec::with_capacity(counts.len());
                let mut hours = Vec::with_capacity(counts.len());
                let mut langs = Vec::with_capacity(counts.len());
                let mut sentiments = Vec::with_capacity(counts.len());
                let mut ns = Vec::with_capacity(counts.len());
                for ((c, h, l, s), n) in counts {
                    channels.push(c);
                    hours.push(h);
                    langs.push(l);
                    sentiments.push(s);
                    ns.push(n);
                }
                tx.execute(
                    "INSERT INTO mention_hours (channel, hour, lang, sentiment, n) \
                     SELECT * FROM UNNEST($1::text[], $2::int8[], $3::text[], $4::text[], $5::int8[]) \
                     ON CONFLICT (channel, hour, lang, sentiment) \
                     DO UPDATE SET n = mention_hours.n + excluded.n",
                    &[&channels, &hours, &langs, &sentiments, &ns],
                )?;
            }
            tx.commit()?;
            Ok(new)
        })?;
        Ok(UpsertOutcome { new })
    }

    fn get_mention(&self, id: &MentionId) -> Result<Option<StoredMention>, StoreError> {
        self.with_reader(|client| {
            let row = client.query_opt(
                &format!("{} WHERE id = $1", self.select_sql),
                &[&id.as_str()],
            )?;
            row.as_ref().map(row_to_mention).transpose()
        })
    }

    fn search_mentions(&self, query: &MentionQuery) -> Result<MentionPage, StoreError> {
        let mut clauses: Vec<String> = Vec::new();
        let mut params: Vec<Box<dyn ToSql + Sync>> = Vec::new();
        // `?` in a clause stands for the next of its values, numbered in order.
        let mut push = |clause: &str, values: Vec<Box<dyn ToSql + Sync>>| {
            let mut sql = String::with_capacity(clause.len() + 8);
            for (i, part) in clause.split('?').enumerate() {
                if i > 0 {
                    sql.push_str(&format!("${}", params.len() + i));
                }
                sql.push_str(part);
            }
            params.extend(values);
            clauses.push(sql);
        };
        for (column, value) in [
            ("channel", &query.channel),
            ("platform", &query.platform),
            ("kind", &query.kind),
            ("COALESCE(lang, analysis_lang)", &query.lang),
            ("sentiment", &query.sentiment),
            ("intent", &query.intent),
            ("category", &query.category),
            ("author_id", &query.author_id),
            ("in_reply_to", &query.in_reply_to),
        ] {
            if let Some(v) = value {
                push(&format!("{column} = ?"), vec![Box::new(v.clone())]);
            }
        }
        if let Some(text) = &query.text {
            let words = search_words(text);
            if words.is_empty() {
                push(
                    "text ILIKE ? ESCAPE '\\'",
                    vec![Box::new(like_pattern(text))],
                );
            } else {
                // Folded like the indexed text (firebreak_fold, migration 0015).
                let folded: Vec<String> = words.iter().map(|w| crate::query::fold(w)).collect();
                push(
                    "text_search @@ to_tsquery('simple', ?)",
                    vec![Box::new(ts_query(&folded))],
                );
            }
        }
        if let Some(since) = query.since {
            push("created_at >= ?", vec![Box::new(since)]);
        }
        if let Some(until) = query.until {
            push("created_at < ?", vec![Box::new(until)]);
        }
        if let Some(after) = &query.after {
            let at = DateTime::from_timestamp_micros(after.created_at_micros)
                .ok_or_else(|| StoreError::InvalidCursor(after.encode()))?;
            push(
                "(created_at, id) < (?, ?)",
                vec![Box::new(at), Box::new(after.id.clone())],
            );
        }
        let page_size = query.page_size();
        let where_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let sql = format!(
            "{} {where_sql} ORDER BY created_at DESC, id DESC LIMIT {}",
            self.select_sql,
            page_size + 1
        );
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref()).collect();
        let rows = self.with_reader(|client| Ok(client.query(&sql, &refs)?))?;
        let rows = rows
            .iter()
            .map(row_to_mention)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(MentionPage::from_rows(rows, page_size))
    }

    fn count_mentions(&self) -> Result<u64, StoreError> {
        self.with_reader(|client| {
            let n: i64 = client
                .query_one("SELECT COUNT(*) FROM mentions", &[])?
                .get(0);
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    fn channel_stats(&self) -> Result<Vec<ChannelStats>, StoreError> {
        let rows = self.with_reader(|client| {
            Ok(client.query(
                "SELECT channel, array_agg(DISTINCT platform ORDER BY platform), COUNT(*), MIN(created_at), MAX(created_at) \
                 FROM mentions GROUP BY channel ORDER BY COUNT(*) DESC, channel",
                &[],
            )?)
        })?;
        rows.iter()
            .map(|row| {
                Ok(ChannelStats {
                    channel: row.try_get(0)?,
                    platforms: row.try_get(1)?,
                    mentions: u64::try_from(row.try_get::<_, i64>(2)?).unwrap_or(0),
                    first_at: row.try_get(3)?,
                    last_at: row.try_get(4)?,
                })
            })
            .collect()
    }
}

impl crate::cluster::ClusterState for PgStore {
    fn mentions_by_ids(&self, ids: &[MentionId]) -> Result<Vec<Mention>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = ids.iter().map(|i| i.as_str()).collect();
        self.with_reader(|client| {
            let rows = client.query(
                &format!("{} WHERE id = ANY($1::text[])", self.select_sql),
                &[&ids],
            )?;
            rows.iter()
                .map(|r| row_to_mention(r).map(|s| s.mention))
                .collect()
        })
    }

    fn detector_position(&self, name: &str) -> Result<u64, StoreError> {
        self.with_reader(|client| {
            let row = client.query_opt(
                "SELECT stream_seq FROM detector_positions WHERE name = $1",
                &[&name],
            )?;
            let seq: i64 = row.map(|r| r.try_get(0)).transpose()?.unwrap_or(0);
            Ok(u64::try_from(seq).unwrap_or(0))
        })
    }

    fn save_detector_position(&self, name: &str, seq: u64, node: &str) -> Result<(), StoreError> {
        let seq = i64::try_from(seq).unwrap_or(i64::MAX);
        self.with_writer(|client| {
            client.execute(
                "INSERT INTO detector_positions (name, stream_seq, node) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET \
                   stream_seq = GREATEST(detector_positions.stream_seq, EXCLUDED.stream_seq), \
                   node = EXCLUDED.node, updated_at = now()",
                &[&name, &seq, &node],
            )?;
            Ok(())
        })
    }
}
