-- Mentions are facts: they are inserted once (keyed by id) and never deleted.
CREATE TABLE mentions (
    id               TEXT PRIMARY KEY NOT NULL,
    platform         TEXT NOT NULL,
    channel          TEXT NOT NULL,
    kind             TEXT NOT NULL,
    created_at       INTEGER NOT NULL,   -- event time, microseconds since the Unix epoch, UTC
    author_id        TEXT NOT NULL,
    author_handle    TEXT,
    author_followers INTEGER NOT NULL,
    author_verified  INTEGER NOT NULL,
    text             TEXT NOT NULL,
    lang             TEXT,
    in_reply_to      TEXT,
    reshare_of       TEXT,
    url              TEXT,
    ingested_at      INTEGER NOT NULL    -- wall-clock time of the insert, microseconds
);

CREATE INDEX mentions_by_channel_time ON mentions (channel, created_at);
-- Both indexes grow at their end as time goes on, which keeps ingest fast.
-- An index on author_id (random keys) costs about half of SQLite's ingest
-- rate, so author history is served elsewhere (see ARCHITECTURE.md).
CREATE INDEX mentions_by_time ON mentions (created_at);

CREATE TRIGGER mentions_are_never_deleted BEFORE DELETE ON mentions
BEGIN
    SELECT RAISE(ABORT, 'mentions are never deleted (see ARCHITECTURE.md)');
END;
