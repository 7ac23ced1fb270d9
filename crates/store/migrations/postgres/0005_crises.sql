-- Crises (the plan, live): stored whole as JSON with the columns the room queries on,
-- and their append-only timelines. Times are epoch milliseconds.
CREATE TABLE crises (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version    BIGINT NOT NULL,
    channel    TEXT NOT NULL,
    status     TEXT NOT NULL,
    is_active  BIGINT NOT NULL,
    next_due   BIGINT,
    opened_at  BIGINT NOT NULL,
    data       TEXT NOT NULL
);
CREATE INDEX crises_active ON crises (channel) WHERE is_active = 1;
CREATE INDEX crises_due ON crises (next_due) WHERE is_active = 1;

CREATE TABLE crisis_events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    crisis_id  BIGINT NOT NULL REFERENCES crises (id),
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX crisis_events_by_crisis ON crisis_events (crisis_id, id);

CREATE TRIGGER crises_are_never_deleted BEFORE DELETE ON crises
    FOR EACH ROW EXECUTE FUNCTION firebreak_refuse_change();
CREATE TRIGGER crises_never_truncated BEFORE TRUNCATE ON crises
    FOR EACH STATEMENT EXECUTE FUNCTION firebreak_refuse_change();
CREATE TRIGGER crisis_events_append_only BEFORE UPDATE OR DELETE ON crisis_events
    FOR EACH ROW EXECUTE FUNCTION firebreak_refuse_change();
CREATE TRIGGER crisis_events_never_truncated BEFORE TRUNCATE ON crisis_events
    FOR EACH STATEMENT EXECUTE FUNCTION firebreak_refuse_change();
