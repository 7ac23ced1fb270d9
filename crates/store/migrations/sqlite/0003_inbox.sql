-- The inbox: cases (an aggregate stored whole as JSON, with the columns the queue
-- sorts and filters on), which mention is in which case, each case's timeline,
-- replies, approved moderations and the hash-chained audit log.
-- Times are epoch milliseconds, except the audit log's, which is the exact RFC 3339
-- text the hash chain covers. Nothing here is ever deleted.
CREATE TABLE cases (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    version     INTEGER NOT NULL,
    channel     TEXT NOT NULL,
    author_key  TEXT NOT NULL,
    thread_key  TEXT NOT NULL,
    status      TEXT NOT NULL,
    is_open     INTEGER NOT NULL,
    priority    INTEGER NOT NULL,
    next_due    INTEGER,
    assignee    TEXT,
    crisis_id   TEXT,
    opened_at   INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX cases_queue ON cases (is_open, priority, next_due, id);
CREATE INDEX cases_by_author ON cases (author_key, channel);
CREATE INDEX cases_by_thread ON cases (thread_key);
CREATE INDEX cases_by_due ON cases (next_due) WHERE is_open = 1;
CREATE INDEX cases_by_crisis ON cases (crisis_id) WHERE crisis_id IS NOT NULL;

CREATE TABLE case_mentions (
    mention_id  TEXT PRIMARY KEY NOT NULL,
    case_id     INTEGER NOT NULL REFERENCES cases (id)
);
CREATE INDEX case_mentions_by_case ON case_mentions (case_id);

CREATE TABLE case_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id  INTEGER NOT NULL REFERENCES cases (id),
    at       INTEGER NOT NULL,
    actor    TEXT NOT NULL,
    kind     TEXT NOT NULL,
    detail   TEXT NOT NULL
);
CREATE INDEX case_events_by_case ON case_events (case_id, id);

CREATE TABLE replies (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id  INTEGER NOT NULL REFERENCES cases (id),
    public   INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    author   TEXT NOT NULL,
    data     TEXT NOT NULL
);
CREATE INDEX replies_by_case ON replies (case_id, id);
CREATE INDEX replies_public ON replies (public, id);

CREATE TABLE moderations (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT NOT NULL,
    data    TEXT NOT NULL
);

CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY NOT NULL,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);

CREATE TRIGGER cases_are_never_deleted BEFORE DELETE ON cases
BEGIN SELECT RAISE(ABORT, 'cases are never deleted'); END;
CREATE TRIGGER case_events_are_append_only BEFORE UPDATE ON case_events
BEGIN SELECT RAISE(ABORT, 'the case timeline is append-only'); END;
CREATE TRIGGER case_events_are_never_deleted BEFORE DELETE ON case_events
BEGIN SELECT RAISE(ABORT, 'the case timeline is append-only'); END;
CREATE TRIGGER replies_are_append_only BEFORE UPDATE ON replies
BEGIN SELECT RAISE(ABORT, 'replies are append-only'); END;
CREATE TRIGGER replies_are_never_deleted BEFORE DELETE ON replies
BEGIN SELECT RAISE(ABORT, 'replies are append-only'); END;
CREATE TRIGGER moderations_are_append_only BEFORE UPDATE ON moderations
BEGIN SELECT RAISE(ABORT, 'moderation records are append-only'); END;
CREATE TRIGGER moderations_are_never_deleted BEFORE DELETE ON moderations
BEGIN SELECT RAISE(ABORT, 'moderation records are append-only'); END;
CREATE TRIGGER audit_log_is_append_only BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_is_never_deleted BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
