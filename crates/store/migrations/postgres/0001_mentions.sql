-- Mentions are facts: they are inserted once (keyed by id) and never deleted.
CREATE TABLE mentions (
    id               TEXT PRIMARY KEY,
    platform         TEXT NOT NULL,
    channel          TEXT NOT NULL,
    kind             TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    author_id        TEXT NOT NULL,
    author_handle    TEXT,
    author_followers BIGINT NOT NULL,
    author_verified  BOOLEAN NOT NULL,
    text             TEXT NOT NULL,
    lang             TEXT,
    in_reply_to      TEXT,
    reshare_of       TEXT,
    url              TEXT,
    ingested_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX mentions_by_channel_time ON mentions (channel, created_at);
-- Both indexes grow at their end as time goes on, which keeps ingest fast.
-- An index on author_id (random keys) costs about half of SQLite's ingest
-- rate, so author history is served elsewhere (see ARCHITECTURE.md).
CREATE INDEX mentions_by_time ON mentions (created_at);

CREATE FUNCTION firebreak_refuse_mention_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'mentions are never deleted (see ARCHITECTURE.md)';
END;
$$;

CREATE TRIGGER mentions_are_never_deleted BEFORE DELETE ON mentions
    FOR EACH ROW EXECUTE FUNCTION firebreak_refuse_mention_delete();
CREATE TRIGGER mentions_are_never_truncated BEFORE TRUNCATE ON mentions
    FOR EACH STATEMENT EXECUTE FUNCTION firebreak_refuse_mention_delete();
