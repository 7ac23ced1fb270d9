//! The web app's accounts: users, sessions and login attempts, written once for both
//! backends over the inbox's [`Sql`] abstraction (`?N` placeholders, [`Val`] values,
//! times in epoch milliseconds).
//!
//! Passwords never reach this module: the web crate hashes them (argon2) and stores the
//! PHC string. Sessions are stored by the SHA-256 of their cookie token, so a copy of the
//! database does not hold usable session cookies.

use chrono::{DateTime, Utc};
use firebreak_respond::guard::Role;

use crate::inbox::{opt_time, Sql, Val};
use crate::StoreError;

/// An API token as its owner and the admins see it: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRecord {
    /// The first 12 hex digits of the token's SHA-256: names it for revoking.
    pub id: String,
    pub user: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it stops working; `None`: never.
    pub expires_at: Option<DateTime<Utc>>,
}

impl ApiTokenRecord {
    /// Not revoked and not expired at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

/// A user of the web app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub name: String,
    pub role: Role,
    /// The argon2 PHC string.
    pub password_hash: String,
    /// The language of the UI: en, it, es, pl or de.
    pub ui_lang: String,
    /// The languages they answer in.
    pub languages: Vec<String>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

/// A login session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Hex SHA-256 of the cookie token.
    pub token_hash: String,
    pub user: String,
    /// The session's CSRF token, checked on every form post.
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What the web app needs to store about accounts. Calls block.
pub trait UserStore: Send + Sync {
    /// Adds a user; `false` when the name is taken.
    fn create_user(&self, user: &UserRecord) -> Result<bool, StoreError>;
    fn get_user(&self, name: &str) -> Result<Option<UserRecord>, StoreError>;
    /// Every user, by name.
    fn list_users(&self) -> Result<Vec<UserRecord>, StoreError>;
    /// Saves role, password hash, languages and the disabled flag; `false` when unknown.
    fn update_user(&self, user: &UserRecord) -> Result<bool, StoreError>;
    fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError>;
    /// The live session with this token hash and its (enabled) user.
    fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(SessionRecord, UserRecord)>, StoreError>;
    fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;
    /// Ends every session of a user (password change, role change, disabling).
    fn delete_sessions_of(&self, user: &str) -> Result<u64, StoreError>;
    /// Stores an API token (its SHA-256) for `user`, valid until `expires_at` (`None`:
    /// no expiry).
    fn create_api_token(
        &self,
        token_hash: &str,
        user: &str,
        label: &str,
        at: DateTime<Utc>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;
    /// The user an API token acts as at `now`: `None` when the token is unknown, revoked,
    /// expired, or its user is disabled.
    fn api_token_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<UserRecord>, StoreError>;
    /// Revokes every token of `user`; how many were live.
    fn revoke_api_tokens(&self, user: &str, at: DateTime<Utc>) -> Result<u64, StoreError>;
    /// The tokens of `user` (every user's with `None`), newest first, revoked ones too.
    fn list_api_tokens(&self, user: Option<&str>) -> Result<Vec<ApiTokenRecord>, StoreError>;
    /// Revokes the live token of `user` whose id ([`ApiTokenRecord::id`]) is `id`;
    /// whether there was one.
    fn revoke_api_token(&self, user: &str, id: &str, at: DateTime<Utc>)
        -> Result<bool, StoreError>;
    /// Records one login attempt under each key (`ip:...`, `user:...`).
    fn record_login_attempt(
        &self,
        keys: &[String],
        at: DateTime<Utc>,
        ok: bool,
    ) -> Result<(), StoreError>;
    /// Failed attempts under `key` since `since`.
    fn failed_logins_since(&self, key: &str, since: DateTime<Utc>) -> Result<u64, StoreError>;
    /// Drops expired sessions and login attempts older than `attempts_before`.
    fn prune_accounts(
        &self,
        now: DateTime<Utc>,
        attempts_before: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(v: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(v)
        .ok_or_else(|| StoreError::CorruptRow(format!("time {v} out of range")))
}

fn text(v: &Val) -> Result<String, StoreError> {
    match v {
        Val::Text(s) => Ok(s.clone()),
        other => Err(StoreError::CorruptRow(format!(
            "expected text, found {other:?}"
        ))),
    }
}

fn int(v: &Val) -> Result<i64, StoreError> {
    match v {
        Val::Int(i) => Ok(*i),
        other => Err(StoreError::CorruptRow(format!(
            "expected an integer, found {other:?}"
        ))),
    }
}

const USER_COLUMNS: &str = "name, role, password_hash, ui_lang, languages, disabled, created_at";

fn user_from(r: &[Val]) -> Result<UserRecord, StoreError> {
    if r.len() < 7 {
        return Err(StoreError::CorruptRow("user row".into()));
    }
    let role = text(&r[1])?;
    Ok(UserRecord {
        name: text(&r[0])?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::CorruptRow(format!("unknown role {role:?}")))?,
        password_hash: text(&r[2])?,
        ui_lang: text(&r[3])?,
        languages: text(&r[4])?
            .split(',')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        disabled: int(&r[5])? != 0,
        created_at: from_ms(int(&r[6])?)?,
    })
}

pub(crate) fn create_user(db: &mut dyn Sql, u: &UserRecord) -> Result<bool, StoreError> {
    let n = db.exec(
        &format!(
            "INSERT INTO users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (name) DO NOTHING"
        ),
        &[
            u.name.as_str().into(),
            u.role.as_str().into(),
            u.password_hash.as_str().into(),
            u.ui_lang.as_str().into(),
            u.languages.join(",").into(),
            i64::from(u.disabled).into(),
            ms(u.created_at).into(),
        ],
    )?;
    Ok(n == 1)
}

pub(crate) fn get_user(db: &mut dyn Sql, name: &str) -> Result<Option<UserRecord>, StoreError> {
    let rows = db.rows(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?1"),
        &[name.into()],
    )?;
    rows.first().map(|r| user_from(r)).transpose()
}

pub(crate) fn list_users(db: &mut dyn Sql) -> Result<Vec<UserRecord>, StoreError> {
    let rows = db.rows(
        &format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"),
        &[],
    )?;
    rows.iter().map(|r| user_from(r)).collect()
}

pub(crate) fn update_user(db: &mut dyn Sql, u: &UserRecord) -> Result<bool, StoreError> {
    let n = db.exec(
        "UPDATE users SET role = ?1, password_hash = ?2, ui_lang = ?3, languages = ?4, \
         disabled = ?5 WHERE name = ?6",
        &[
            u.role.as_str().into(),
            u.password_hash.as_str().into(),
            u.ui_lang.as_str().into(),
            u.languages.join(",").into(),
            i64::from(u.disabled).into(),
            u.name.as_str().into(),
        ],
    )?;
    Ok(n == 1)
}

pub(crate) fn create_session(db: &mut dyn Sql, s: &SessionRecord) -> Result<(), StoreError> {
    db.exec(
        "INSERT INTO sessions (token_hash, user_name, csrf, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        &[
            s.token_hash.as_str().into(),
            s.user.as_str().into(),
            s.csrf.as_str().into(),
            ms(s.created_at).into(),
            ms(s.expires_at).into(),
        ],
    )?;
    Ok(())
}

pub(crate) fn session(
    db: &mut dyn Sql,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(SessionRecord, UserRecord)>, StoreError> {
    let rows = db.rows(
        "SELECT s.token_hash, s.user_name, s.csrf, s.created_at, s.expires_at, \
         u.name, u.role, u.password_hash, u.ui_lang, u.languages, u.disabled, u.created_at \
         FROM sessions s JOIN users u ON u.name = s.user_name \
         WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.disabled = 0",
        &[token_hash.into(), ms(now).into()],
    )?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    if r.len() < 12 {
        return Err(StoreError::CorruptRow("session row".into()));
    }
    let session = SessionRecord {
        token_hash: text(&r[0])?,
        user: text(&r[1])?,
        csrf: text(&r[2])?,
        created_at: from_ms(int(&r[3])?)?,
        expires_at: from_ms(int(&r[4])?)?,
    };
    Ok(Some((session, user_from(&r[5..])?)))
}

pub(crate) fn delete_session(db: &mut dyn Sql, token_hash: &str) -> Result<(), StoreError> {
    db.exec(
        "DELETE FROM sessions WHERE token_hash = ?1",
        &[token_hash.into()],
    )?;
    Ok(())
}

pub(crate) fn delete_sessions_of(db: &mut dyn Sql, user: &str) -> Result<u64, StoreError> {
    db.exec("DELETE FROM sessions WHERE user_name = ?1", &[user.into()])
}

pub(crate) fn create_api_token(
    db: &mut dyn Sql,
    token_hash: &str,
    user: &str,
    label: &str,
    at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    db.exec(
        "INSERT INTO api_tokens (token_hash, user_name, label, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        &[
            token_hash.into(),
            user.into(),
            label.into(),
            ms(at).into(),
            expires_at.map_or(Val::Null, |t| ms(t).into()),
        ],
    )?;
    Ok(())
}

pub(crate) fn api_token_user(
    db: &mut dyn Sql,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<UserRecord>, StoreError> {
    let rows = db.rows(
        "SELECT u.name, u.role, u.password_hash, u.ui_lang, u.languages, u.disabled, u.created_at \
         FROM api_tokens t JOIN users u ON u.name = t.user_name \
         WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND u.disabled = 0 \
           AND (t.expires_at IS NULL OR t.expires_at > ?2)",
        &[token_hash.into(), ms(now).into()],
    )?;
    rows.first().map(|r| user_from(r)).transpose()
}

pub(crate) fn revoke_api_tokens(
    db: &mut dyn Sql,
    user: &str,
    at: DateTime<Utc>,
) -> Result<u64, StoreError> {
    db.exec(
        "UPDATE api_tokens SET revoked_at = ?2 WHERE user_name = ?1 AND revoked_at IS NULL",
        &[user.into(), ms(at).into()],
    )
}

/// Characters of the hash that name a token.
const TOKEN_ID_LEN: usize = 12;

pub(crate) fn list_api_tokens(
    db: &mut dyn Sql,
    user: Option<&str>,
) -> Result<Vec<ApiTokenRecord>, StoreError> {
    let columns =
        "SELECT token_hash, user_name, label, created_at, revoked_at, expires_at FROM api_tokens";
    let rows = match user {
        Some(u) => db.rows(
            &format!("{columns} WHERE user_name = ?1 ORDER BY created_at DESC LIMIT 500"),
            &[u.into()],
        )?,
        None => db.rows(
            &format!("{columns} ORDER BY created_at DESC LIMIT 500"),
            &[],
        )?,
    };
    rows.iter()
        .map(|r| {
            if r.len() < 6 {
                return Err(StoreError::CorruptRow("api token row".into()));
            }
            let hash = text(&r[0])?;
            Ok(ApiTokenRecord {
                id: hash.chars().take(TOKEN_ID_LEN).collect(),
                user: text(&r[1])?,
                label: text(&r[2])?,
                created_at: from_ms(int(&r[3])?)?,
                revoked_at: opt_time(&r[4])?,
                expires_at: opt_time(&r[5])?,
            })
        })
        .collect()
}

pub(crate) fn revoke_api_token(
    db: &mut dyn Sql,
    user: &str,
    id: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if id.len() != TOKEN_ID_LEN || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(false);
    }
    let n = db.exec(
        "UPDATE api_tokens SET revoked_at = ?3 \
         WHERE user_name = ?1 AND substr(token_hash, 1, 12) = ?2 AND revoked_at IS NULL",
        &[user.into(), id.to_ascii_lowercase().into(), ms(at).into()],
    )?;
    Ok(n > 0)
}

pub(crate) fn record_login_attempt(
    db: &mut dyn Sql,
    keys: &[String],
    at: DateTime<Utc>,
    ok: bool,
) -> Result<(), StoreError> {
    for k in keys {
        db.exec(
            "INSERT INTO login_attempts (key, at, ok) VALUES (?1, ?2, ?3)",
            &[k.as_str().into(), ms(at).into(), i64::from(ok).into()],
        )?;
    }
    Ok(())
}

pub(crate) fn failed_logins_since(
    db: &mut dyn Sql,
    key: &str,
    since: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let rows = db.rows(
        "SELECT COUNT(*) FROM login_attempts WHERE key = ?1 AND at >= ?2 AND ok = 0",
        &[key.into(), ms(since).into()],
    )?;
    let n = rows.first().and_then(|r| r.first()).map(int).transpose()?;
    Ok(u64::try_from(n.unwrap_or(0)).unwrap_or(0))
}

pub(crate) fn prune(
    db: &mut dyn Sql,
    now: DateTime<Utc>,
    attempts_before: DateTime<Utc>,
) -> Result<(), StoreError> {
    db.exec(
        "DELETE FROM sessions WHERE expires_at <= ?1",
        &[ms(now).into()],
    )?;
    db.exec(
        "DELETE FROM login_attempts WHERE at < ?1",
        &[ms(attempts_before).into()],
    )?;
    Ok(())
}

/// Implements [`UserStore`] for a backend that provides `sql_write` and `sql_read`.
macro_rules! impl_user_store {
    ($store:ty) => {
        impl crate::accounts::UserStore for $store {
            fn create_user(
                &self,
                user: &crate::accounts::UserRecord,
            ) -> Result<bool, crate::StoreError> {
                self.sql_write(|db| crate::accounts::create_user(db, user))
            }
            fn get_user(
                &self,
                name: &str,
            ) -> Result<Option<crate::accounts::UserRecord>, crate::StoreError> {
                self.sql_read(|db| crate::accounts::get_user(db, name))
            }
            fn list_users(&self) -> Result<Vec<crate::accounts::UserRecord>, crate::StoreError> {
                self.sql_read(|db| crate::accounts::list_users(db))
            }
            fn update_user(
                &self,
                user: &crate::accounts::UserRecord,
            ) -> Result<bool, crate::StoreError> {
                self.sql_write(|db| crate::accounts::update_user(db, user))
            }
            fn create_session(
                &self,
                session: &crate::accounts::SessionRecord,
            ) -> Result<(), crate::StoreError> {
                self.sql_write(|db| crate::accounts::create_session(db, session))
            }
            fn session(
                &self,
                token_hash: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<
                Option<(crate::accounts::SessionRecord, crate::accounts::UserRecord)>,
                crate::StoreError,
            > {
                self.sql_read(|db| crate::accounts::session(db, token_hash, now))
            }
            fn delete_session(&self, token_hash: &str) -> Result<(), crate::StoreError> {
                self.sql_write(|db| crate::accounts::delete_session(db, token_hash))
            }
            fn delete_sessions_of(&self, user: &str) -> Result<u64, crate::StoreError> {
                self.sql_write(|db| crate::accounts::delete_sessions_of(db, user))
            }
            fn create_api_token(
                &self,
                token_hash: &str,
                user: &str,
                label: &str,
                at: chrono::DateTime<chrono::Utc>,
                expires_at: Option<chrono::DateTime<chrono::Utc>>,
            ) -> Result<(), crate::StoreError> {
                self.sql_write(|db| {
                    crate::accounts::create_api_token(db, token_hash, user, label, at, expires_at)
                })
            }
            fn api_token_user(
                &self,
                token_hash: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<crate::accounts::UserRecord>, crate::StoreError> {
                self.sql_read(|db| crate::accounts::api_token_user(db, token_hash, now))
            }
            fn revoke_api_tokens(
                &self,
                user: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, crate::StoreError> {
                self.sql_write(|db| crate::accounts::revoke_api_tokens(db, user, at))
            }
            fn list_api_tokens(
                &self,
                user: Option<&str>,
            ) -> Result<Vec<crate::accounts::ApiTokenRecord>, crate::StoreError> {
                self.sql_read(|db| crate::accounts::list_api_tokens(db, user))
            }
            fn revoke_api_token(
                &self,
                user: &str,
                id: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, crate::StoreError> {
                self.sql_write(|db| crate::accounts::revoke_api_token(db, user, id, at))
            }
            fn record_login_attempt(
                &self,
                keys: &[String],
                at: chrono::DateTime<chrono::Utc>,
                ok: bool,
            ) -> Result<(), crate::StoreError> {
                self.sql_write(|db| crate::accounts::record_login_attempt(db, keys, at, ok))
            }
            fn failed_logins_since(
                &self,
                key: &str,
                since: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, crate::StoreError> {
                self.sql_read(|db| crate::accounts::failed_logins_since(db, key, since))
            }
            fn prune_accounts(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                attempts_before: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), crate::StoreError> {
                self.sql_write(|db| crate::accounts::prune(db, now, attempts_before))
            }
        }
    };
}
pub(crate) use impl_user_store;
