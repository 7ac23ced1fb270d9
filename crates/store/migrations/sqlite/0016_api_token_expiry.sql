-- API tokens may expire: a token past `expires_at` (epoch milliseconds) authenticates no
-- one. NULL means it never expires (tokens created before this migration, and those
-- created on purpose without an expiry).
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
