-- The inbox: cases (an aggregate stored whole as JSON, with the columns the queue
-- sorts and filters on), which mention is in which case, each case's timeline,
-- replies, approved moderations and the hash-chained audit log.
-- Times are epoch milliseconds, except the audit log's, which is the exact RFC 3339
-- text the hash chain covers. Nothing here is ever deleted.
CREATE TABLE cases (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version     BIGINT NOT NULL,
    channel     TEXT NOT NULL,
    author_key  TEXT NOT NULL,
    thread_key  TEXT NOT NULL,
    status      TEXT NOT NULL,
    is_open     BIGINT NOT NULL,
    priority    BIGINT NOT NULL,
    next_due    BIGINT,
    assignee    TEXT,
    crisis_id   TEXT,
    opened_at   BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX cases_queue ON cases (is_open, priority, next_due, id);
CREATE INDEX cases_by_author ON cases (author_key, channel);
CREATE INDEX cases_by_thread ON cases (thread_key);
CREATE INDEX cases_by_due ON cases (next_due) WHERE is_open = 1;
CREATE INDEX cases_by_crisis ON cases (crisis_id) WHERE crisis_id IS NOT NULL;

CREATE TABLE case_mentions (
    mention_id  TEXT PRIMARY KEY,
    case_id     BIGINT NOT NULL REFERENCES cases (id)
);
CREATE INDEX case_mentions_by_case ON case_mentions (case_id);

CREATE TABLE case_events (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id  BIGINT NOT NULL REFERENCES cases (id),
    at       BIGINT NOT NULL,
    actor    TEXT NOT NULL,
    kind     TEXT NOT NULL,
    detail   TEXT NOT NULL
);
CREATE INDEX case_events_by_case ON case_events (case_id, id);

CREATE TABLE replies (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id  BIGINT NOT NULL REFERENCES cases (id),
    public   BIGINT NOT NULL,
    at       BIGINT NOT NULL,
    author   TEXT NOT NULL,
    data     TEXT NOT NULL
);
CREATE INDEX replies_by_case ON replies (case_id, id);
CREATE INDEX replies_public ON replies (public, id);

CREATE TABLE moderations (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      BIGINT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT NOT NULL,
    data    TEXT NOT NULL
);

CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);

CREATE FUNCTION firebreak_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused (see ARCHITECTURE.md)', TG_TABLE_NAME, TG_OP;
END;
$$;

CREATE TRIGGER cases_are_never_deleted BEFORE DELETE ON cases
    FOR EACH ROW EXECUTE FUNCTION firebreak_refuse_change();
CREATE TRIGGER cases_are_never_truncated BEFORE TRUNCATE ON cases
    FOR EACH STATEMENT EXECUTE FUNCTION firebreak_refuse_change();
CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events
    FOR EACH ROW EXECUTE FUNCTION firebreak_refuse_change();
CREATE TRIGGER case_events_never_truncated BEFORE TRUNCATE ON case_events
    FOR EACH STATEMENT EXECUTE FUNCTION firebreak_refuse_change();
CREATE TRIGGER replies_append_only BEFORE UPDATE OR DELETE ON replies
    FOR EACH ROW EXECUTE FUNCTION firebreak_refuse_change();
CREATE TRIGGER replies_never_truncated BEFORE TRUNCATE ON replies
    FOR EACH STATEMENT EXECUTE FUNCTION firebreak_refuse_change();
CREATE TRIGGER moderations_append_only BEFORE UPDATE OR DELETE ON moderations
    FOR EACH ROW EXECUTE FUNCTION firebreak_refuse_change();
CREATE TRIGGER moderations_never_truncated BEFORE TRUNCATE ON moderations
    FOR EACH STATEMENT EXECUTE FUNCTION firebreak_refuse_change();
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION firebreak_refuse_change();
CREATE TRIGGER audit_log_never_truncated BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION firebreak_refuse_change();
