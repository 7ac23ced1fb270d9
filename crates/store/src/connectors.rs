//! Connector state: each connector's resume cursor and its health, written once for
//! both backends over the inbox's [`Sql`] abstraction (times in epoch milliseconds).
//!
//! A connector saves its cursor only after the mentions it covers are committed, so a
//! restart resumes at or before the last committed mention: nothing is lost, and what
//! is fetched twice is absorbed by the mentions' idempotent upsert.

use chrono::{DateTime, Utc};

use crate::inbox::{ms, opt_text as text, opt_time as time, Sql, Val};
use crate::StoreError;

/// How a connector is doing, as the dashboard shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectorHealth {
    /// Configured, not yet connected.
    Starting,
    /// Connected and delivering.
    Running,
    /// A transient error (network, 5xx, rate limit): retrying with backoff.
    Retrying,
    /// A permanent error (credentials refused, not found, bad request): it needs a person.
    Failed,
    /// Stopped by shutdown.
    Stopped,
}

impl ConnectorHealth {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectorHealth::Starting => "starting",
            ConnectorHealth::Running => "running",
            ConnectorHealth::Retrying => "retrying",
            ConnectorHealth::Failed => "failed",
            ConnectorHealth::Stopped => "stopped",
        }
    }

    pub fn parse(s: &str) -> Option<ConnectorHealth> {
        Some(match s {
            "starting" => ConnectorHealth::Starting,
            "running" => ConnectorHealth::Running,
            "retrying" => ConnectorHealth::Retrying,
            "failed" => ConnectorHealth::Failed,
            "stopped" => ConnectorHealth::Stopped,
            _ => return None,
        })
    }
}

/// One connector's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorRecord {
    pub name: String,
    pub platform: String,
    pub cursor: Option<String>,
    pub cursor_at: Option<DateTime<Utc>>,
    pub health: ConnectorHealth,
    /// The last error, kept after recovery so the dashboard can show what happened.
    pub last_error: Option<String>,
    pub error_at: Option<DateTime<Utc>>,
    /// Mentions delivered (committed, new or duplicate) since the row was created.
    pub delivered: u64,
    pub updated_at: DateTime<Utc>,
}

/// Cursors and health of the connectors. Calls block.
pub trait ConnectorStates: Send + Sync {
    /// The saved cursor of `name`, if any.
    fn cursor(&self, name: &str) -> Result<Option<String>, StoreError>;
    /// Saves `cursor` after `delivered` more mentions were committed.
    fn save_cursor(
        &self,
        name: &str,
        platform: &str,
        cursor: &str,
        delivered: u64,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Records the connector's health; `error` is kept as the last error when given.
    fn set_health(
        &self,
        name: &str,
        platform: &str,
        health: ConnectorHealth,
        error: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Every connector, by name.
    fn connectors(&self) -> Result<Vec<ConnectorRecord>, StoreError>;
}

/// Creates the row when missing.
fn ensure(db: &mut dyn Sql, name: &str, platform: &str, at: i64) -> Result<(), StoreError> {
    db.exec(
        "INSERT INTO connectors (name, platform, updated_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (name) DO NOTHING",
        &[name.into(), platform.into(), at.into()],
    )?;
    Ok(())
}

pub(crate) fn cursor(db: &mut dyn Sql, name: &str) -> Result<Option<String>, StoreError> {
    let rows = db.rows(
        "SELECT cursor FROM connectors WHERE name = ?1",
        &[name.into()],
    )?;
    Ok(rows.first().and_then(|r| r.first()).and_then(text))
}

pub(crate) fn save_cursor(
    db: &mut dyn Sql,
    name: &str,
    platform: &str,
    cursor: &str,
    delivered: u64,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    ensure(db, name, platform, ms(at))?;
    db.exec(
        "UPDATE connectors SET cursor = ?2, cursor_at = ?3, delivered = delivered + ?4, \
         updated_at = ?3 WHERE name = ?1",
        &[
            name.into(),
            cursor.into(),
            ms(at).into(),
            i64::try_from(delivered).unwrap_or(i64::MAX).into(),
        ],
    )?;
    Ok(())
}

pub(crate) fn set_health(
    db: &mut dyn Sql,
    name: &str,
    platform: &str,
    health: ConnectorHealth,
    error: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    ensure(db, name, platform, ms(at))?;
    match error {
        Some(e) => db.exec(
            "UPDATE connectors SET state = ?2, last_error = ?3, error_at = ?4, updated_at = ?4 \
             WHERE name = ?1",
            &[name.into(), health.as_str().into(), e.into(), ms(at).into()],
        )?,
        None => db.exec(
            "UPDATE connectors SET state = ?2, updated_at = ?3 WHERE name = ?1",
            &[name.into(), health.as_str().into(), ms(at).into()],
        )?,
    };
    Ok(())
}

pub(crate) fn list(db: &mut dyn Sql) -> Result<Vec<ConnectorRecord>, StoreError> {
    let rows = db.rows(
        "SELECT name, platform, cursor, cursor_at, state, last_error, error_at, delivered, \
         updated_at FROM connectors ORDER BY name",
        &[],
    )?;
    rows.iter()
        .map(|r| {
            if r.len() < 9 {
                return Err(StoreError::CorruptRow("connector row".into()));
            }
            let state = text(&r[4]).unwrap_or_default();
            Ok(ConnectorRecord {
                name: text(&r[0]).unwrap_or_default(),
                platform: text(&r[1]).unwrap_or_default(),
                cursor: text(&r[2]),
                cursor_at: time(&r[3])?,
                health: ConnectorHealth::parse(&state)
                    .ok_or_else(|| StoreError::CorruptRow(format!("connector state {state:?}")))?,
                last_error: text(&r[5]),
                error_at: time(&r[6])?,
                delivered: match r[7] {
                    Val::Int(n) => u64::try_from(n).unwrap_or(0),
                    _ => 0,
                },
                updated_at: time(&r[8])?.unwrap_or_default(),
            })
        })
        .collect()
}

/// Implements [`ConnectorStates`] for a backend that provides `sql_read` and `sql_write`.
macro_rules! impl_connector_states {
    ($store:ty) => {
        impl crate::connectors::ConnectorStates for $store {
            fn cursor(&self, name: &str) -> Result<Option<String>, crate::StoreError> {
                self.sql_read(|db| crate::connectors::cursor(db, name))
            }
            fn save_cursor(
                &self,
                name: &str,
                platform: &str,
                cursor: &str,
                delivered: u64,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), crate::StoreError> {
                self.sql_write(|db| {
                    crate::connectors::save_cursor(db, name, platform, cursor, delivered, at)
                })
            }
            fn set_health(
                &self,
                name: &str,
                platform: &str,
                health: crate::connectors::ConnectorHealth,
                error: Option<&str>,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), crate::StoreError> {
                self.sql_write(|db| {
                    crate::connectors::set_health(db, name, platform, health, error, at)
                })
            }
            fn connectors(
                &self,
            ) -> Result<Vec<crate::connectors::ConnectorRecord>, crate::StoreError> {
                self.sql_read(|db| crate::connectors::list(db))
            }
        }
    };
}
pub(crate) use impl_connector_states;
