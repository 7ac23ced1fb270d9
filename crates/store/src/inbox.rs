//! The inbox's tables, written once for both backends.
//!
//! The SQL here is the common subset of SQLite and PostgreSQL (`RETURNING`,
//! `ON CONFLICT`), with `?N` placeholders that the PostgreSQL adapter
//! rewrites to `$N`. Values travel as [`Val`]: integers, text or NULL; times are epoch
//! milliseconds, except the audit log's exact RFC 3339 text.

use chrono::{DateTime, Utc};
use firebreak_core::MentionId;
use firebreak_respond::audit::{AuditDraft, AuditEntry, Outcome};
use firebreak_respond::case::{Case, CaseId};
use firebreak_respond::guard::Approved;
use firebreak_respond::sla::Due;
use firebreak_respond::store::{CaseEvent, CaseQuery, Reply, StoreFailure};

use crate::StoreError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Int(i64),
    Text(String),
    Null,
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::Int(v)
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Val {
        Val::Text(v.to_owned())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Val {
        Val::Text(v)
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Val {
        v.map_or(Val::Null, Into::into)
    }
}

impl Val {
    fn int(&self) -> Result<i64, StoreError> {
        match self {
            Val::Int(i) => Ok(*i),
            other => Err(StoreError::CorruptRow(format!(
                "expected an integer, found {other:?}"
            ))),
        }
    }
    fn text(&self) -> Result<&str, StoreError> {
        match self {
            Val::Text(s) => Ok(s),
            other => Err(StoreError::CorruptRow(format!(
                "expected text, found {other:?}"
            ))),
        }
    }
}

/// One connection or transaction of either backend.
pub(crate) trait Sql {
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError>;
    fn rows(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Val>>, StoreError>;
}

pub(crate) fn fail(e: StoreError) -> StoreFailure {
    StoreFailure::Other(e.to_string())
}

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(v: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(v)
        .ok_or_else(|| StoreError::CorruptRow(format!("time {v} out of range")))
}

/// A nullable epoch-milliseconds column.
pub(crate) fn opt_time(v: &Val) -> Result<Option<DateTime<Utc>>, StoreError> {
    match v {
        Val::Null => Ok(None),
        Val::Int(t) => from_ms(*t).map(Some),
        Val::Text(t) => Err(StoreError::CorruptRow(format!("time {t:?} is text"))),
    }
}

/// A nullable text column.
pub(crate) fn opt_text(v: &Val) -> Option<String> {
    match v {
        Val::Text(s) => Some(s.clone()),
        _ => None,
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::CorruptRow(e.to_string()))
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::CorruptRow(format!("{what}: {e}")))
}

/// When the queue next needs to look at a case: its next target or its follow-up reminder.
fn next_due(case: &Case) -> Option<i64> {
    if !case.status.is_open() {
        return None;
    }
    let due = Due::next_unbreached(case).map(|(_, at)| at);
    let at = match (due, case.next_follow_up_at) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    at.map(ms)
}

/// The queue's order within a priority: the most urgent unmet target, breached or not.
fn queue_at(case: &Case) -> i64 {
    Due::next(case).map_or(i64::MAX, |(_, at)| ms(at))
}

fn case_columns(case: &Case) -> Result<Vec<Val>, StoreError> {
    Ok(vec![
        case.version.into(),
        case.channel.as_str().into(),
        case.author_key.as_str().into(),
        case.thread_key.as_str().into(),
        case.status.as_str().into(),
        i64::from(case.status.is_open()).into(),
        (case.priority.index() as i64).into(),
        next_due(case).into(),
        case.assignee.clone().into(),
        case.crisis_id.clone().into(),
        ms(case.opened_at).into(),
        ms(Utc::now()).into(),
        json(case)?.into(),
        queue_at(case).into(),
    ])
}

/// Inserts or updates `case` (with the optimistic version check) and its mention links.
pub(crate) fn save_case(db: &mut dyn Sql, case: &mut Case) -> Result<(), StoreFailure> {
    let old_version = case.version;
    case.version += 1;
    let result = (|| -> Result<bool, StoreError> {
        if case.id == 0 {
            let cols = case_columns(case)?;
            let rows = db.rows(
                "INSERT INTO cases (version, channel, author_key, thread_key, status, is_open, priority, \
                 next_due, assignee, crisis_id, opened_at, updated_at, data, queue_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) RETURNING id",
                &cols,
            )?;
            case.id = rows
                .first()
                .and_then(|r| r.first())
                .ok_or_else(|| StoreError::CorruptRow("INSERT returned no id".into()))?
                .int()?;
        } else {
            let mut cols = case_columns(case)?;
            cols.push(case.id.into());
            cols.push(old_version.into());
            let n = db.exec(
                "UPDATE cases SET version = ?1, channel = ?2, author_key = ?3, thread_key = ?4, \
                 status = ?5, is_open = ?6, priority = ?7, next_due = ?8, assignee = ?9, \
                 crisis_id = ?10, opened_at = ?11, updated_at = ?12, data = ?13, queue_at = ?14 \
                 WHERE id = ?15 AND version = ?16",
                &cols,
            )?;
            if n == 0 {
                return Ok(false);
            }
        }
        for m in &case.mentions {
            db.exec(
                "INSERT INTO case_mentions (mention_id, case_id) VALUES (?1, ?2) \
                 ON CONFLICT (mention_id) DO UPDATE SET case_id = excluded.case_id",
                &[m.as_str().into(), case.id.into()],
            )?;
        }
        Ok(true)
    })();
    match result {
        Ok(true) => Ok(()),
        Ok(false) => {
            case.version = old_version;
            Err(StoreFailure::Conflict(case.id))
        }
        Err(e) => {
            case.version = old_version;
            Err(fail(e))
        }
    }
}

pub(crate) fn insert_events(db: &mut dyn Sql, events: &[CaseEvent]) -> Result<(), StoreError> {
    for e in events {
        db.exec(
            "INSERT INTO case_events (case_id, at, actor, kind, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            &[
                e.case_id.into(),
                ms(e.at).into(),
                e.actor.as_str().into(),
                e.kind.as_str().into(),
                e.detail.to_string().into(),
            ],
        )?;
    }
    Ok(())
}

/// Appends audit entries after the current end of the chain. The caller holds the
/// backend's write lock (SQLite's writer, PostgreSQL's advisory lock).
pub(crate) fn append_audit(db: &mut dyn Sql, drafts: &[AuditDraft]) -> Result<(), StoreError> {
    if drafts.is_empty() {
        return Ok(());
    }
    let last = db.rows(
        "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
        &[],
    )?;
    let mut prev: Option<(String, i64)> = match last.first() {
        Some(r) if r.len() == 2 => Some((r[1].text()?.to_owned(), r[0].int()?)),
        _ => None,
    };
    for d in drafts {
        let e = d.clone().seal(prev.as_ref().map(|(h, s)| (h.as_str(), *s)));
        db.exec(
            "INSERT INTO audit_log (seq, at, actor, action, target, outcome, detail, prev_hash, hash) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            &[
                e.seq.into(),
                e.at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                    .into(),
                e.actor.as_str().into(),
                e.action.as_str().into(),
                e.target.as_str().into(),
                e.outcome.as_str().into(),
                e.detail.as_str().into(),
                e.prev_hash.as_str().into(),
                e.hash.as_str().into(),
            ],
        )?;
        prev = Some((e.hash, e.seq));
    }
    Ok(())
}

pub(crate) fn audit_entries(
    db: &mut dyn Sql,
    after: i64,
    limit: usize,
) -> Result<Vec<AuditEntry>, StoreError> {
    let rows = db.rows(
        "SELECT seq, at, actor, action, target, outcome, detail, prev_hash, hash FROM audit_log \
         WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        &[after.into(), (limit as i64).into()],
    )?;
    rows.iter()
        .map(|r| {
            let at = r[1].text()?;
            Ok(AuditEntry {
                seq: r[0].int()?,
                at: DateTime::parse_from_rfc3339(at)
                    .map_err(|e| StoreError::CorruptRow(format!("audit time {at:?}: {e}")))?
                    .with_timezone(&Utc),
                actor: r[2].text()?.to_owned(),
                action: r[3].text()?.to_owned(),
                target: r[4].text()?.to_owned(),
                outcome: Outcome::parse(r[5].text()?)
                    .ok_or_else(|| StoreError::CorruptRow("audit outcome".into()))?,
                detail: r[6].text()?.to_owned(),
                prev_hash: r[7].text()?.to_owned(),
                hash: r[8].text()?.to_owned(),
            })
        })
        .collect()
}

/// Cases from `SELECT id, data` rows. The id column is the truth (the JSON of a new case
/// was written before its id was known).
fn cases_from(rows: Vec<Vec<Val>>) -> Result<Vec<Case>, StoreError> {
    rows.iter()
        .map(|r| {
            let (Some(id), Some(data)) = (r.first(), r.get(1)) else {
                return Err(StoreError::CorruptRow("case row".into()));
            };
            let mut case: Case = parse("case", data.text()?)?;
            case.id = id.int()?;
            Ok(case)
        })
        .collect()
}

pub(crate) fn get_case(db: &mut dyn Sql, id: CaseId) -> Result<Option<Case>, StoreError> {
    Ok(
        cases_from(db.rows("SELECT id, data FROM cases WHERE id = ?1", &[id.into()])?)?
            .into_iter()
            .next(),
    )
}

pub(crate) fn find_open_case(
    db: &mut dyn Sql,
    channel: &str,
    author_key: &str,
    thread_key: &str,
) -> Result<Option<Case>, StoreError> {
    let by_author = db.rows(
        "SELECT id, data FROM cases WHERE author_key = ?1 AND channel = ?2 AND status <> 'closed' \
         ORDER BY id DESC LIMIT 1",
        &[author_key.into(), channel.into()],
    )?;
    if let Some(c) = cases_from(by_author)?.into_iter().next() {
        return Ok(Some(c));
    }
    let by_thread = db.rows(
        "SELECT id, data FROM cases WHERE thread_key = ?1 AND status <> 'closed' ORDER BY id DESC LIMIT 1",
        &[thread_key.into()],
    )?;
    Ok(cases_from(by_thread)?.into_iter().next())
}

pub(crate) fn case_of_mention(
    db: &mut dyn Sql,
    mention: &MentionId,
) -> Result<Option<CaseId>, StoreError> {
    let rows = db.rows(
        "SELECT case_id FROM case_mentions WHERE mention_id = ?1",
        &[mention.as_str().into()],
    )?;
    rows.first()
        .and_then(|r| r.first())
        .map(Val::int)
        .transpose()
}

fn where_clause(q: &CaseQuery, params: &mut Vec<Val>) -> String {
    let mut conds = Vec::new();
    if q.statuses.is_empty() {
        conds.push("is_open = 1".to_owned());
    } else {
        let mut list = Vec::new();
        for s in &q.statuses {
            params.push(s.as_str().into());
            list.push(format!("?{}", params.len()));
        }
        conds.push(format!("status IN ({})", list.join(", ")));
    }
    let mut eq = |col: &str, v: &Option<String>| {
        if let Some(v) = v {
            params.push(v.as_str().into());
            conds.push(format!("{col} = ?{}", params.len()));
        }
    };
    eq("assignee", &q.assignee);
    eq("channel", &q.channel);
    eq("crisis_id", &q.crisis_id);
    eq("author_key", &q.author_key);
    conds.join(" AND ")
}

pub(crate) fn list_cases(db: &mut dyn Sql, q: &CaseQuery) -> Result<Vec<Case>, StoreError> {
    let mut params = Vec::new();
    let w = where_clause(q, &mut params);
    let limit = if q.limit == 0 { 50 } else { q.limit.min(1000) };
    params.push((limit as i64).into());
    let l = params.len();
    params.push((q.offset as i64).into());
    let o = params.len();
    // The open queue is one index range: (is_open, priority, queue_at, id).
    let order = if q.statuses.is_empty() {
        "priority, queue_at, id"
    } else {
        "is_open DESC, priority, queue_at, id"
    };
    let rows = db.rows(
        &format!("SELECT id, data FROM cases WHERE {w} ORDER BY {order} LIMIT ?{l} OFFSET ?{o}"),
        &params,
    )?;
    cases_from(rows)
}

pub(crate) fn count_cases(db: &mut dyn Sql, q: &CaseQuery) -> Result<u64, StoreError> {
    let mut params = Vec::new();
    let w = where_clause(q, &mut params);
    let rows = db.rows(&format!("SELECT COUNT(*) FROM cases WHERE {w}"), &params)?;
    let n = rows
        .first()
        .and_then(|r| r.first())
        .map(Val::int)
        .transpose()?
        .unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(crate) fn cases_due(
    db: &mut dyn Sql,
    before: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<Case>, StoreError> {
    cases_from(db.rows(
        "SELECT id, data FROM cases WHERE is_open = 1 AND next_due <= ?1 ORDER BY next_due, id LIMIT ?2",
        &[ms(before).into(), (limit as i64).into()],
    )?)
}

pub(crate) fn open_load(db: &mut dyn Sql) -> Result<Vec<(String, u64)>, StoreError> {
    let rows = db.rows(
        "SELECT assignee, COUNT(*) FROM cases WHERE is_open = 1 AND assignee IS NOT NULL \
         GROUP BY assignee ORDER BY assignee",
        &[],
    )?;
    rows.iter()
        .map(|r| {
            Ok((
                r[0].text()?.to_owned(),
                u64::try_from(r[1].int()?).unwrap_or(0),
            ))
        })
        .collect()
}

pub(crate) fn case_events(db: &mut dyn Sql, id: CaseId) -> Result<Vec<CaseEvent>, StoreError> {
    let rows = db.rows(
        "SELECT case_id, at, actor, kind, detail FROM case_events WHERE case_id = ?1 ORDER BY id",
        &[id.into()],
    )?;
    rows.iter()
        .map(|r| {
            Ok(CaseEvent {
                case_id: r[0].int()?,
                at: from_ms(r[1].int()?)?,
                actor: r[2].text()?.to_owned(),
                kind: r[3].text()?.to_owned(),
                detail: parse("case event", r[4].text()?)?,
            })
        })
        .collect()
}

pub(crate) fn insert_reply(db: &mut dyn Sql, reply: &Reply) -> Result<i64, StoreError> {
    let rows = db.rows(
        "INSERT INTO replies (case_id, public, at, author, data) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        &[
            reply.case_id.into(),
            i64::from(reply.private_channel.is_none()).into(),
            ms(reply.at).into(),
            reply.author.as_str().into(),
            json(reply)?.into(),
        ],
    )?;
    rows.first()
        .and_then(|r| r.first())
        .ok_or_else(|| StoreError::CorruptRow("INSERT returned no id".into()))?
        .int()
}

pub(crate) fn replies(db: &mut dyn Sql, case: CaseId) -> Result<Vec<Reply>, StoreError> {
    let rows = db.rows(
        "SELECT id, data FROM replies WHERE case_id = ?1 ORDER BY id",
        &[case.into()],
    )?;
    rows.iter()
        .map(|r| {
            let mut reply: Reply = parse("reply", r[1].text()?)?;
            reply.id = r[0].int()?;
            Ok(reply)
        })
        .collect()
}

pub(crate) fn recent_public_replies(
    db: &mut dyn Sql,
    limit: usize,
) -> Result<Vec<(CaseId, String)>, StoreError> {
    let rows = db.rows(
        "SELECT case_id, data FROM replies WHERE public = 1 ORDER BY id DESC LIMIT ?1",
        &[(limit as i64).into()],
    )?;
    rows.iter()
        .map(|r| {
            let reply: Reply = parse("reply", r[1].text()?)?;
            Ok((r[0].int()?, reply.text))
        })
        .collect()
}

pub(crate) fn insert_moderation(
    db: &mut dyn Sql,
    approved: &Approved,
    at: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let req = approved.request();
    let rows = db.rows(
        "INSERT INTO moderations (at, action, target, data) VALUES (?1, ?2, ?3, ?4) RETURNING id",
        &[
            ms(at).into(),
            req.action.as_str().into(),
            req.target.audit_target().into(),
            json(req)?.into(),
        ],
    )?;
    rows.first()
        .and_then(|r| r.first())
        .ok_or_else(|| StoreError::CorruptRow("INSERT returned no id".into()))?
        .int()
}

/// Implements `CaseStore` for a backend that provides `inbox_write` and `inbox_read`.
macro_rules! impl_case_store {
    ($store:ty) => {
        impl firebreak_respond::store::CaseStore for $store {
            fn get_case(
                &self,
                id: firebreak_respond::CaseId,
            ) -> Result<Option<firebreak_respond::Case>, firebreak_respond::store::StoreFailure> {
                self.inbox_read(|db| crate::inbox::get_case(db, id))
            }
            fn find_open_case(
                &self,
                channel: &str,
                author_key: &str,
                thread_key: &str,
            ) -> Result<Option<firebreak_respond::Case>, firebreak_respond::store::StoreFailure> {
                self.inbox_read(|db| crate::inbox::find_open_case(db, channel, author_key, thread_key))
            }
            fn case_of_mention(
                &self,
                mention: &firebreak_core::MentionId,
            ) -> Result<Option<firebreak_respond::CaseId>, firebreak_respond::store::StoreFailure> {
                self.inbox_read(|db| crate::inbox::case_of_mention(db, mention))
            }
            fn save_case(
                &self,
                case: &mut firebreak_respond::Case,
                events: &[firebreak_respond::store::CaseEvent],
                audit: &[firebreak_respond::audit::AuditDraft],
            ) -> Result<firebreak_respond::CaseId, firebreak_respond::store::StoreFailure> {
                self.inbox_write(|db| {
                    crate::inbox::save_case(db, case)?;
                    crate::inbox::insert_events(db, events).map_err(crate::inbox::fail)?;
                    crate::inbox::append_audit(db, audit).map_err(crate::inbox::fail)?;
                    Ok(case.id)
                })
            }
            fn save_cases(
                &self,
                cases: &mut [&mut firebreak_respond::Case],
                events: &[firebreak_respond::store::CaseEvent],
                audit: &[firebreak_respond::audit::AuditDraft],
            ) -> Result<(), firebreak_respond::store::StoreFailure> {
                // Versions are restored if the transaction fails, so a retry starts clean.
                let versions: Vec<(i64, i64)> = cases.iter().map(|c| (c.id, c.version)).collect();
                let result = self.inbox_write(|db| {
                    for case in cases.iter_mut() {
                        crate::inbox::save_case(db, case)?;
                    }
                    crate::inbox::insert_events(db, events).map_err(crate::inbox::fail)?;
                    crate::inbox::append_audit(db, audit).map_err(crate::inbox::fail)?;
                    Ok(())
                });
                if result.is_err() {
                    for (case, (id, version)) in cases.iter_mut().zip(versions) {
                        case.id = id;
                        case.version = version;
                    }
                }
                result
            }
            fn list_cases(
                &self,
                q: &firebreak_respond::store::CaseQuery,
            ) -> Result<Vec<firebreak_respond::Case>, firebreak_respond::store::StoreFailure> {
                self.inbox_read(|db| crate::inbox::list_cases(db, q))
            }
            fn count_cases(
                &self,
                q: &firebreak_respond::store::CaseQuery,
            ) -> Result<u64, firebreak_respond::store::StoreFailure> {
                self.inbox_read(|db| crate::inbox::count_cases(db, q))
            }
            fn cases_due(
                &self,
                before: chrono::DateTime<chrono::Utc>,
                limit: usize,
            ) -> Result<Vec<firebreak_respond::Case>, firebreak_respond::store::StoreFailure> {
                self.inbox_read(|db| crate::inbox::cases_due(db, before, limit))
            }
            fn open_load(&self) -> Result<Vec<(String, u64)>, firebreak_respond::store::StoreFailure> {
                self.inbox_read(|db| crate::inbox::open_load(db))
            }
            fn case_events(
                &self,
                id: firebreak_respond::CaseId,
            ) -> Result<Vec<firebreak_respond::store::CaseEvent>, firebreak_respond::store::StoreFailure> {
                self.inbox_read(|db| crate::inbox::case_events(db, id))
            }
            fn save_reply(
                &self,
                reply: &firebreak_respond::store::Reply,
                case: &mut firebreak_respond::Case,
                events: &[firebreak_respond::store::CaseEvent],
                audit: &[firebreak_respond::audit::AuditDraft],
            ) -> Result<i64, firebreak_respond::store::StoreFailure> {
                self.inbox_write(|db| {
                    crate::inbox::save_case(db, case)?;
                    let id = crate::inbox::insert_reply(db, reply).map_err(crate::inbox::fail)?;
                    crate::inbox::insert_events(db, events).map_err(crate::inbox::fail)?;
                    crate::inbox::append_audit(db, audit).map_err(crate::inbox::fail)?;
                    Ok(id)
                })
            }
            fn replies(
                &self,
                case: firebreak_respond::CaseId,
            ) -> Result<Vec<firebreak_respond::store::Reply>, firebreak_respond::store::StoreFailure> {
                self.inbox_read(|db| crate::inbox::replies(db, case))
            }
            fn recent_public_replies(
                &self,
                limit: usize,
            ) -> Result<Vec<(firebreak_respond::CaseId, String)>, firebreak_respond::store::StoreFailure> {
                self.inbox_read(|db| crate::inbox::recent_public_replies(db, limit))
            }
            fn record_moderation(
                &self,
                approved: &firebreak_respond::guard::Approved,
                at: chrono::DateTime<chrono::Utc>,
                audit: &firebreak_respond::audit::AuditDraft,
            ) -> Result<i64, firebreak_respond::store::StoreFailure> {
                self.inbox_write(|db| {
                    let id = crate::inbox::insert_moderation(db, approved, at)
                        .map_err(crate::inbox::fail)?;
                    crate::inbox::append_audit(db, std::slice::from_ref(audit))
                        .map_err(crate::inbox::fail)?;
                    Ok(id)
                })
            }
            fn append_audit(
                &self,
                audit: &[firebreak_respond::audit::AuditDraft],
            ) -> Result<(), firebreak_respond::store::StoreFailure> {
                self.inbox_write(|db| {
                    crate::inbox::append_audit(db, audit).map_err(crate::inbox::fail)
                })
            }
            fn audit_entries(
                &self,
                after: i64,
                limit: usize,
            ) -> Result<Vec<firebreak_respond::audit::AuditEntry>, firebreak_respond::store::StoreFailure> {
                self.inbox_read(|db| crate::inbox::audit_entries(db, after, limit))
            }
        }
    };
}
pub(crate) use impl_case_store;
