-- Accounts of the web app: users (role, argon2 password hash, UI language, the languages
-- they answer in), their sessions (only a SHA-256 of the cookie token is stored, with the
-- session's CSRF token), and login attempts for rate limiting. Times are epoch milliseconds.
-- Users are never deleted (the audit log names them); they are disabled instead.
CREATE TABLE users (
    name           TEXT PRIMARY KEY,
    role           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    ui_lang        TEXT NOT NULL DEFAULT 'en',
    languages      TEXT NOT NULL DEFAULT '',
    disabled       BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL
);
CREATE FUNCTION firebreak_users_are_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'users are never deleted; disable them';
END $$;
CREATE TRIGGER users_are_never_deleted BEFORE DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION firebreak_users_are_never_deleted();

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_name   TEXT NOT NULL REFERENCES users (name),
    csrf        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_name);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE login_attempts (
    id   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key  TEXT NOT NULL,
    at   BIGINT NOT NULL,
    ok   BIGINT NOT NULL
);
CREATE INDEX login_attempts_by_key ON login_attempts (key, at);
