//! Aggregates for the web app's overview and charts: which channels exist, and mentions
//! per time bucket, language and sentiment over a channel's window. Every query is an
//! index range scan on `(channel, created_at)`, so its cost follows the window, not the
//! size of the table.

use chrono::{DateTime, Utc};

use crate::inbox::{Sql, Val};
use crate::StoreError;

/// Mentions of one time bucket, language and sentiment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRow {
    pub bucket_start: DateTime<Utc>,
    /// The declared language, or the detected one.
    pub lang: Option<String>,
    /// positive, neutral, negative; `None` without analysis.
    pub sentiment: Option<String>,
    pub count: u64,
}

/// Aggregates for the overview. Calls block.
pub trait Insights: Send + Sync {
    /// Channels with mentions, by name, and each one's newest mention time (at most `limit`).
    fn channels(&self, limit: usize) -> Result<Vec<(String, DateTime<Utc>)>, StoreError>;
    /// Mentions of `channel` with `since <= created_at < until`, per bucket of
    /// `bucket_secs`, language and sentiment.
    fn activity(
        &self,
        channel: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        bucket_secs: i64,
    ) -> Result<Vec<ActivityRow>, StoreError>;
}

fn int(v: &Val) -> Result<i64, StoreError> {
    match v {
        Val::Int(i) => Ok(*i),
        other => Err(StoreError::CorruptRow(format!(
            "expected an integer, found {other:?}"
        ))),
    }
}

fn opt_text(v: &Val) -> Option<String> {
    match v {
        Val::Text(s) => Some(s.clone()),
        _ => None,
    }
}

fn micros(v: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(v)
        .ok_or_else(|| StoreError::CorruptRow(format!("time {v} out of range")))
}

pub(crate) fn channels(
    db: &mut dyn Sql,
    pg: bool,
    limit: usize,
) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
    // A skip scan over the (channel, created_at) index: one probe per channel.
    let rows = db.rows(
        "WITH RECURSIVE c(ch) AS (SELECT MIN(channel) FROM mentions UNION ALL \
         SELECT (SELECT MIN(channel) FROM mentions WHERE channel > c.ch) FROM c WHERE c.ch IS NOT NULL) \
         SELECT ch FROM c WHERE ch IS NOT NULL LIMIT ?1",
        &[(limit as i64).into()],
    )?;
    let last_sql = if pg {
        "SELECT (EXTRACT(EPOCH FROM MAX(created_at)) * 1000000)::BIGINT FROM mentions WHERE channel = ?1"
    } else {
        "SELECT MAX(created_at) FROM mentions WHERE channel = ?1"
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let Some(ch) = r.first().and_then(opt_text) else {
            continue;
        };
        let last = db.rows(last_sql, &[ch.as_str().into()])?;
        if let Some(Val::Int(t)) = last.first().and_then(|r| r.first()) {
            out.push((ch, micros(*t)?));
        }
    }
    Ok(out)
}

pub(crate) fn activity(
    db: &mut dyn Sql,
    pg: bool,
    channel: &str,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    bucket_secs: i64,
) -> Result<Vec<ActivityRow>, StoreError> {
    let bucket_secs = bucket_secs.max(1);
    // Whole hours come from the rollup (a few rows per hour); finer buckets scan mentions.
    let rows = if bucket_secs % 3600 == 0 {
        let per = bucket_secs / 3600;
        let since_h = since.timestamp().div_euclid(3600);
        let until_h = (until.timestamp() + 3599).div_euclid(3600);
        db.rows(
            "SELECT hour / ?4, NULLIF(lang, ''), NULLIF(sentiment, ''), CAST(SUM(n) AS BIGINT) FROM mention_hours \
             WHERE channel = ?1 AND hour >= ?2 AND hour < ?3 GROUP BY 1, 2, 3",
            &[channel.into(), since_h.into(), until_h.into(), per.into()],
        )?
    } else {
        let sql = if pg {
            "SELECT FLOOR(EXTRACT(EPOCH FROM created_at) / ?4::BIGINT)::BIGINT, COALESCE(lang, analysis_lang), \
             sentiment, COUNT(*) FROM mentions \
             WHERE channel = ?1 AND created_at >= TO_TIMESTAMP(?2::BIGINT / 1000000.0) \
             AND created_at < TO_TIMESTAMP(?3::BIGINT / 1000000.0) GROUP BY 1, 2, 3"
        } else {
            "SELECT created_at / (?4 * 1000000), COALESCE(lang, analysis_lang), sentiment, COUNT(*) \
             FROM mentions WHERE channel = ?1 AND created_at >= ?2 AND created_at < ?3 GROUP BY 1, 2, 3"
        };
        db.rows(
            sql,
            &[
                channel.into(),
                since.timestamp_micros().into(),
                until.timestamp_micros().into(),
                bucket_secs.into(),
            ],
        )?
    };
    rows.iter()
        .map(|r| {
            if r.len() < 4 {
                return Err(StoreError::CorruptRow("activity row".into()));
            }
            Ok(ActivityRow {
                bucket_start: micros(int(&r[0])?.saturating_mul(bucket_secs * 1_000_000))?,
                lang: opt_text(&r[1]),
                sentiment: opt_text(&r[2]),
                count: u64::try_from(int(&r[3])?).unwrap_or(0),
            })
        })
        .collect()
}

/// Implements [`Insights`] for a backend that provides `sql_read`.
macro_rules! impl_insights {
    ($store:ty, $pg:expr) => {
        impl crate::insights::Insights for $store {
            fn channels(
                &self,
                limit: usize,
            ) -> Result<Vec<(String, chrono::DateTime<chrono::Utc>)>, crate::StoreError> {
                self.sql_read(|db| crate::insights::channels(db, $pg, limit))
            }
            fn activity(
                &self,
                channel: &str,
                since: chrono::DateTime<chrono::Utc>,
                until: chrono::DateTime<chrono::Utc>,
                bucket_secs: i64,
            ) -> Result<Vec<crate::insights::ActivityRow>, crate::StoreError> {
                self.sql_read(|db| {
                    crate::insights::activity(db, $pg, channel, since, until, bucket_secs)
                })
            }
        }
    };
}
pub(crate) use impl_insights;
