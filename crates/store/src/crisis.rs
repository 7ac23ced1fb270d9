//! The crisis room's tables (migration 0005), written once for both backends over the
//! inbox's `Sql` abstraction.

use chrono::{DateTime, Utc};
use firebreak_crisis::{Crisis, CrisisEvent, CrisisId, CrisisStoreError};

use crate::inbox::{Sql, Val};
use crate::StoreError;

pub(crate) fn fail(e: StoreError) -> CrisisStoreError {
    CrisisStoreError::Other(e.to_string())
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::CorruptRow(e.to_string()))
}

fn crises_from(rows: Vec<Vec<Val>>) -> Result<Vec<Crisis>, StoreError> {
    rows.iter()
        .map(|r| match r.first() {
            Some(Val::Text(t)) => {
                serde_json::from_str(t).map_err(|e| StoreError::CorruptRow(format!("crisis: {e}")))
            }
            _ => Err(StoreError::CorruptRow("crisis row".into())),
        })
        .collect()
}

pub(crate) fn get(db: &mut dyn Sql, id: CrisisId) -> Result<Option<Crisis>, StoreError> {
    Ok(
        crises_from(db.rows("SELECT data FROM crises WHERE id = ?1", &[id.into()])?)?
            .into_iter()
            .next(),
    )
}

pub(crate) fn active(db: &mut dyn Sql, channel: &str) -> Result<Option<Crisis>, StoreError> {
    Ok(crises_from(db.rows(
        "SELECT data FROM crises WHERE channel = ?1 AND is_active = 1 ORDER BY id DESC LIMIT 1",
        &[channel.into()],
    )?)?
    .into_iter()
    .next())
}

pub(crate) fn list(
    db: &mut dyn Sql,
    active_only: bool,
    limit: usize,
) -> Result<Vec<Crisis>, StoreError> {
    let sql = if active_only {
        "SELECT data FROM crises WHERE is_active = 1 ORDER BY id DESC LIMIT ?1"
    } else {
        "SELECT data FROM crises ORDER BY id DESC LIMIT ?1"
    };
    crises_from(db.rows(sql, &[(limit.clamp(1, 1000) as i64).into()])?)
}

pub(crate) fn due(db: &mut dyn Sql, before: DateTime<Utc>) -> Result<Vec<Crisis>, StoreError> {
    crises_from(db.rows(
        "SELECT data FROM crises WHERE is_active = 1 AND next_due <= ?1 ORDER BY next_due LIMIT 200",
        &[before.timestamp_millis().into()],
    )?)
}

pub(crate) fn events(db: &mut dyn Sql, id: CrisisId) -> Result<Vec<CrisisEvent>, StoreError> {
    let rows = db.rows(
        "SELECT at, actor, kind, detail FROM crisis_events WHERE crisis_id = ?1 ORDER BY id",
        &[id.into()],
    )?;
    rows.iter()
        .map(|r| {
            let (
                Some(Val::Int(at)),
                Some(Val::Text(actor)),
                Some(Val::Text(kind)),
                Some(Val::Text(detail)),
            ) = (r.first(), r.get(1), r.get(2), r.get(3))
            else {
                return Err(StoreError::CorruptRow("crisis event row".into()));
            };
            Ok(CrisisEvent {
                crisis_id: id,
                at: DateTime::from_timestamp_millis(*at)
                    .ok_or_else(|| StoreError::CorruptRow("crisis event time".into()))?,
                actor: actor.clone(),
                kind: kind.clone(),
                detail: serde_json::from_str(detail)
                    .map_err(|e| StoreError::CorruptRow(format!("crisis event: {e}")))?,
            })
        })
        .collect()
}

/// Inserts or updates (version check) a crisis and appends its events.
pub(crate) fn save(
    db: &mut dyn Sql,
    c: &mut Crisis,
    events: &[CrisisEvent],
) -> Result<CrisisId, CrisisStoreError> {
    let old = c.version;
    c.version += 1;
    let result = (|| -> Result<bool, StoreError> {
        let cols = |c: &Crisis| -> Result<Vec<Val>, StoreError> {
            Ok(vec![
                c.version.into(),
                c.channel.as_str().into(),
                c.status.as_str().into(),
                i64::from(c.status.is_active()).into(),
                c.next_due().map(|t| t.timestamp_millis()).into(),
                c.opened_at.timestamp_millis().into(),
                json(c)?.into(),
            ])
        };
        if c.id == 0 {
            let rows = db.rows(
                "INSERT INTO crises (version, channel, status, is_active, next_due, opened_at, data) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
                &cols(c)?,
            )?;
            c.id = match rows.first().and_then(|r| r.first()) {
                Some(Val::Int(id)) => *id,
                _ => return Err(StoreError::CorruptRow("INSERT returned no id".into())),
            };
            db.exec(
                "UPDATE crises SET data = ?1 WHERE id = ?2",
                &[json(c)?.into(), c.id.into()],
            )?;
        } else {
            let mut v = cols(c)?;
            v.push(c.id.into());
            v.push(old.into());
            let n = db.exec(
                "UPDATE crises SET version = ?1, channel = ?2, status = ?3, is_active = ?4, next_due = ?5, \
                 opened_at = ?6, data = ?7 WHERE id = ?8 AND version = ?9",
                &v,
            )?;
            if n == 0 {
                return Ok(false);
            }
        }
        for e in events {
            db.exec(
                "INSERT INTO crisis_events (crisis_id, at, actor, kind, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
                &[
                    c.id.into(),
                    e.at.timestamp_millis().into(),
                    e.actor.as_str().into(),
                    e.kind.as_str().into(),
                    e.detail.to_string().into(),
                ],
            )?;
        }
        Ok(true)
    })();
    match result {
        Ok(true) => Ok(c.id),
        Ok(false) => {
            c.version = old;
            Err(CrisisStoreError::Conflict(c.id))
        }
        Err(e) => {
            c.version = old;
            Err(fail(e))
        }
    }
}

fn plan_versions(rows: Vec<Vec<Val>>) -> Result<Vec<firebreak_crisis::PlanVersion>, StoreError> {
    rows.iter()
        .map(|r| {
            let int = |v: &Val| match v {
                Val::Int(i) => Ok(*i),
                other => Err(StoreError::CorruptRow(format!("plan version: {other:?}"))),
            };
            let text = |v: &Val| match v {
                Val::Text(s) => s.clone(),
                _ => String::new(),
            };
            if r.len() < 5 {
                return Err(StoreError::CorruptRow("plan version row".into()));
            }
            Ok(firebreak_crisis::PlanVersion {
                version: u64::try_from(int(&r[0])?).unwrap_or(0),
                text: text(&r[1]),
                author: text(&r[2]),
                note: text(&r[3]),
                saved_at: chrono::DateTime::from_timestamp_millis(int(&r[4])?)
                    .ok_or_else(|| StoreError::CorruptRow("plan version time".into()))?,
            })
        })
        .collect()
}

pub(crate) fn latest_plan(
    db: &mut dyn Sql,
) -> Result<Option<firebreak_crisis::PlanVersion>, StoreError> {
    Ok(plan_versions(db.rows(
        "SELECT version, text, author, note, saved_at FROM plan_versions \
         ORDER BY version DESC LIMIT 1",
        &[],
    )?)?
    .into_iter()
    .next())
}

pub(crate) fn plan_history(
    db: &mut dyn Sql,
    limit: usize,
) -> Result<Vec<firebreak_crisis::PlanVersion>, StoreError> {
    plan_versions(db.rows(
        "SELECT version, '', author, note, saved_at FROM plan_versions \
         ORDER BY version DESC LIMIT ?1",
        &[Val::Int(i64::try_from(limit).unwrap_or(i64::MAX))],
    )?)
}

/// `Ok(Err(newest))` when the newest saved version is not `base`.
pub(crate) fn save_plan(
    db: &mut dyn Sql,
    base: u64,
    text: &str,
    author: &str,
    note: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Result<u64, u64>, StoreError> {
    let newest = latest_plan(db)?.map_or(0, |v| v.version);
    if newest != base {
        return Ok(Err(newest));
    }
    let version = newest + 1;
    db.exec(
        "INSERT INTO plan_versions (version, text, author, note, saved_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        &[
            Val::Int(i64::try_from(version).unwrap_or(i64::MAX)),
            text.into(),
            author.into(),
            note.into(),
            Val::Int(at.timestamp_millis()),
        ],
    )?;
    Ok(Ok(version))
}

/// Implements `CrisisStore` for a backend with `inbox_write` / `inbox_read`.
macro_rules! impl_crisis_store {
    ($store:ty) => {
        impl firebreak_crisis::CrisisStore for $store {
            fn get_crisis(
                &self,
                id: firebreak_crisis::CrisisId,
            ) -> Result<Option<firebreak_crisis::Crisis>, firebreak_crisis::CrisisStoreError> {
                self.inbox_read(|db| crate::crisis::get(db, id))
                    .map_err(|e| firebreak_crisis::CrisisStoreError::Other(e.to_string()))
            }
            fn active_crisis(
                &self,
                channel: &str,
            ) -> Result<Option<firebreak_crisis::Crisis>, firebreak_crisis::CrisisStoreError> {
                self.inbox_read(|db| crate::crisis::active(db, channel))
                    .map_err(|e| firebreak_crisis::CrisisStoreError::Other(e.to_string()))
            }
            fn save_crisis(
                &self,
                crisis: &mut firebreak_crisis::Crisis,
                events: &[firebreak_crisis::CrisisEvent],
            ) -> Result<firebreak_crisis::CrisisId, firebreak_crisis::CrisisStoreError> {
                let mut out = None;
                let r = self.inbox_write(|db| {
                    out = Some(crate::crisis::save(db, crisis, events));
                    match &out {
                        Some(Ok(_)) => Ok(()),
                        _ => Err(firebreak_respond::store::StoreFailure::Other(
                            "rollback".into(),
                        )),
                    }
                });
                match (out, r) {
                    (Some(Ok(id)), Ok(())) => Ok(id),
                    (Some(Err(e)), _) => Err(e),
                    (_, Err(e)) => Err(firebreak_crisis::CrisisStoreError::Other(e.to_string())),
                    (None, Ok(())) => Err(firebreak_crisis::CrisisStoreError::Other(
                        "not saved".into(),
                    )),
                }
            }
            fn list_crises(
                &self,
                active_only: bool,
                limit: usize,
            ) -> Result<Vec<firebreak_crisis::Crisis>, firebreak_crisis::CrisisStoreError> {
                self.inbox_read(|db| crate::crisis::list(db, active_only, limit))
                    .map_err(|e| firebreak_crisis::CrisisStoreError::Other(e.to_string()))
            }
            fn crisis_events(
                &self,
                id: firebreak_crisis::CrisisId,
            ) -> Result<Vec<firebreak_crisis::CrisisEvent>, firebreak_crisis::CrisisStoreError>
            {
                self.inbox_read(|db| crate::crisis::events(db, id))
                    .map_err(|e| firebreak_crisis::CrisisStoreError::Other(e.to_string()))
            }
            fn crises_due(
                &self,
                before: chrono::DateTime<chrono::Utc>,
            ) -> Result<Vec<firebreak_crisis::Crisis>, firebreak_crisis::CrisisStoreError> {
                self.inbox_read(|db| crate::crisis::due(db, before))
                    .map_err(|e| firebreak_crisis::CrisisStoreError::Other(e.to_string()))
            }
            fn save_plan(
                &self,
                base: u64,
                text: &str,
                author: &str,
                note: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, firebreak_crisis::CrisisStoreError> {
                let mut out = None;
                let r = self.inbox_write(|db| {
                    let saved = crate::crisis::save_plan(db, base, text, author, note, at)
                        .map_err(crate::inbox::fail)?;
                    out = Some(saved);
                    Ok(())
                });
                match (out, r) {
                    (Some(Ok(v)), Ok(())) => Ok(v),
                    (Some(Err(newest)), _) => {
                        Err(firebreak_crisis::CrisisStoreError::PlanConflict(newest))
                    }
                    (_, Err(e)) => Err(firebreak_crisis::CrisisStoreError::Other(e.to_string())),
                    (None, Ok(())) => Err(firebreak_crisis::CrisisStoreError::Other(
                        "not saved".into(),
                    )),
                }
            }
            fn latest_plan(
                &self,
            ) -> Result<Option<firebreak_crisis::PlanVersion>, firebreak_crisis::CrisisStoreError>
            {
                self.inbox_read(|db| crate::crisis::latest_plan(db))
                    .map_err(|e| firebreak_crisis::CrisisStoreError::Other(e.to_string()))
            }
            fn plan_history(
                &self,
                limit: usize,
            ) -> Result<Vec<firebreak_crisis::PlanVersion>, firebreak_crisis::CrisisStoreError>
            {
                self.inbox_read(|db| crate::crisis::plan_history(db, limit))
                    .map_err(|e| firebreak_crisis::CrisisStoreError::Other(e.to_string()))
            }
        }
    };
}
pub(crate) use impl_crisis_store;
