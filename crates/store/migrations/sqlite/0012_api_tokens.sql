-- API tokens: `Authorization: Bearer <token>` on the JSON API acts as the token's user,
-- with the user's role. Only a SHA-256 of the token is stored; a token is shown once, when
-- `firebreak user token NAME` creates it. Revoked tokens are kept (the audit log may name
-- what they did). Times are epoch milliseconds.
CREATE TABLE api_tokens (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    user_name   TEXT NOT NULL REFERENCES users (name),
    label       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_name);
