-- Accounts of the web app: users (role, argon2 password hash, UI language, the languages
-- they answer in), their sessions (only a SHA-256 of the cookie token is stored, with the
-- session's CSRF token), and login attempts for rate limiting. Times are epoch milliseconds.
-- Users are never deleted (the audit log names them); they are disabled instead.
CREATE TABLE users (
    name           TEXT PRIMARY KEY NOT NULL,
    role           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    ui_lang        TEXT NOT NULL DEFAULT 'en',
    languages      TEXT NOT NULL DEFAULT '',
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);
CREATE TRIGGER users_are_never_deleted BEFORE DELETE ON users
BEGIN SELECT RAISE(ABORT, 'users are never deleted; disable them'); END;

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    user_name   TEXT NOT NULL REFERENCES users (name),
    csrf        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_name);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE login_attempts (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    key      TEXT NOT NULL,
    at       INTEGER NOT NULL,
    ok       INTEGER NOT NULL
);
CREATE INDEX login_attempts_by_key ON login_attempts (key, at);
