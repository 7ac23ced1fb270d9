//! The alert log: every alert emission with the alert itself, written once for both
//! backends over the inbox's [`Sql`] abstraction (times in epoch milliseconds).
//!
//! An emission is one alert id at one severity, raised by one mention (the crisis
//! detector re-emits an incident's id when its severity rises). Inserting its row is the
//! *claim*: only the node whose insert took emits it. `delivered_at` is set once the
//! outputs (the notifiers included) have finished with it, so the rows still undelivered
//! are the outbox a new detector owner re-sends after a crash.

use chrono::{DateTime, Utc};
use firebreak_core::Alert;

use crate::inbox::{ms, opt_text as text, opt_time as time, Sql, Val};
use crate::StoreError;

/// One row of the alert log.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRecord {
    pub alert: Alert,
    /// The node that claimed (emitted) it; `local` on a single node.
    pub node: String,
    pub claimed_at: DateTime<Utc>,
    /// When the outputs finished with it; `None` while its delivery is unconfirmed.
    pub delivered_at: Option<DateTime<Utc>>,
    /// How the delivery ended (`sent`, or which targets failed).
    pub outcome: Option<String>,
}

/// The alert log. Calls block.
pub trait AlertLog: Send + Sync {
    /// Records this emission of `alert` as claimed by `node`. `true` when no node had
    /// claimed it before (the caller emits it); `false` when it was claimed already (the
    /// caller must not emit it again).
    fn claim_alert(&self, alert: &Alert, node: &str, at: DateTime<Utc>)
        -> Result<bool, StoreError>;

    /// Records that the outputs finished with this emission.
    fn mark_alert_delivered(
        &self,
        alert: &Alert,
        outcome: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Emissions claimed but not yet delivered, oldest claim first.
    fn undelivered_alerts(&self, limit: usize) -> Result<Vec<AlertRecord>, StoreError>;

    /// The newest `limit` emissions by raising time, newest first.
    fn recent_alerts(&self, limit: usize) -> Result<Vec<AlertRecord>, StoreError>;

    /// Every emission, oldest claim first (for tests and audits).
    fn alert_log(&self) -> Result<Vec<AlertRecord>, StoreError>;
}

pub(crate) fn claim(
    db: &mut dyn Sql,
    alert: &Alert,
    node: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let inserted = db.exec(
        "INSERT INTO alerts (alert_id, severity, raised_at, channel, kind, crisis, alert, node, \
         claimed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
        &[
            alert.id.as_str().into(),
            i64::from(alert.severity).into(),
            ms(alert.raised_at).into(),
            alert.channel.as_str().into(),
            alert.kind.as_str().into(),
            i64::from(alert.crisis).into(),
            alert.to_jsonl().into(),
            node.into(),
            ms(at).into(),
        ],
    )?;
    Ok(inserted == 1)
}

pub(crate) fn mark_delivered(
    db: &mut dyn Sql,
    alert: &Alert,
    outcome: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    db.exec(
        "UPDATE alerts SET delivered_at = ?4, outcome = ?5 \
         WHERE alert_id = ?1 AND severity = ?2 AND raised_at = ?3 AND delivered_at IS NULL",
        &[
            alert.id.as_str().into(),
            i64::from(alert.severity).into(),
            ms(alert.raised_at).into(),
            ms(at).into(),
            outcome.into(),
        ],
    )?;
    Ok(())
}

const COLUMNS: &str = "alert, node, claimed_at, delivered_at, outcome";

fn records(rows: Vec<Vec<Val>>) -> Result<Vec<AlertRecord>, StoreError> {
    rows.iter()
        .map(|r| {
            if r.len() < 5 {
                return Err(StoreError::CorruptRow("alert row".into()));
            }
            let json = text(&r[0]).unwrap_or_default();
            let alert: Alert = serde_json::from_str(&json)
                .map_err(|e| StoreError::CorruptRow(format!("stored alert: {e}")))?;
            Ok(AlertRecord {
                alert,
                node: text(&r[1]).unwrap_or_default(),
                claimed_at: time(&r[2])?.unwrap_or_default(),
                delivered_at: time(&r[3])?,
                outcome: text(&r[4]),
            })
        })
        .collect()
}

fn limit(n: usize) -> Val {
    Val::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

pub(crate) fn undelivered(db: &mut dyn Sql, n: usize) -> Result<Vec<AlertRecord>, StoreError> {
    records(db.rows(
        &format!(
            "SELECT {COLUMNS} FROM alerts WHERE delivered_at IS NULL \
             ORDER BY claimed_at, alert_id, severity LIMIT ?1"
        ),
        &[limit(n)],
    )?)
}

pub(crate) fn recent(db: &mut dyn Sql, n: usize) -> Result<Vec<AlertRecord>, StoreError> {
    records(db.rows(
        &format!(
            "SELECT {COLUMNS} FROM alerts ORDER BY raised_at DESC, severity DESC, alert_id LIMIT ?1"
        ),
        &[limit(n)],
    )?)
}

pub(crate) fn log(db: &mut dyn Sql) -> Result<Vec<AlertRecord>, StoreError> {
    records(db.rows(
        &format!("SELECT {COLUMNS} FROM alerts ORDER BY claimed_at, alert_id, severity"),
        &[],
    )?)
}

/// Implements [`AlertLog`] for a backend that provides `sql_read` and `sql_write`.
macro_rules! impl_alert_log {
    ($store:ty) => {
        impl crate::alerts::AlertLog for $store {
            fn claim_alert(
                &self,
                alert: &firebreak_core::Alert,
                node: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, crate::StoreError> {
                self.sql_write(|db| crate::alerts::claim(db, alert, node, at))
            }
            fn mark_alert_delivered(
                &self,
                alert: &firebreak_core::Alert,
                outcome: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), crate::StoreError> {
                self.sql_write(|db| crate::alerts::mark_delivered(db, alert, outcome, at))
            }
            fn undelivered_alerts(
                &self,
                limit: usize,
            ) -> Result<Vec<crate::alerts::AlertRecord>, crate::StoreError> {
                self.sql_read(|db| crate::alerts::undelivered(db, limit))
            }
            fn recent_alerts(
                &self,
                limit: usize,
            ) -> Result<Vec<crate::alerts::AlertRecord>, crate::StoreError> {
                self.sql_read(|db| crate::alerts::recent(db, limit))
            }
            fn alert_log(&self) -> Result<Vec<crate::alerts::AlertRecord>, crate::StoreError> {
                self.sql_read(|db| crate::alerts::log(db))
            }
        }
    };
}
pub(crate) use impl_alert_log;
