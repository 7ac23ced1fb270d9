-- Crises (the plan, live): stored whole as JSON with the columns the room queries on,
-- and their append-only timelines. Times are epoch milliseconds.
CREATE TABLE crises (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    version    INTEGER NOT NULL,
    channel    TEXT NOT NULL,
    status     TEXT NOT NULL,
    is_active  INTEGER NOT NULL,
    next_due   INTEGER,
    opened_at  INTEGER NOT NULL,
    data       TEXT NOT NULL
);
CREATE INDEX crises_active ON crises (channel) WHERE is_active = 1;
CREATE INDEX crises_due ON crises (next_due) WHERE is_active = 1;

CREATE TABLE crisis_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    crisis_id  INTEGER NOT NULL REFERENCES crises (id),
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX crisis_events_by_crisis ON crisis_events (crisis_id, id);

CREATE TRIGGER crises_are_never_deleted BEFORE DELETE ON crises
BEGIN SELECT RAISE(ABORT, 'crises are never deleted'); END;
CREATE TRIGGER crisis_events_are_append_only BEFORE UPDATE ON crisis_events
BEGIN SELECT RAISE(ABORT, 'the crisis timeline is append-only'); END;
CREATE TRIGGER crisis_events_are_never_deleted BEFORE DELETE ON crisis_events
BEGIN SELECT RAISE(ABORT, 'the crisis timeline is append-only'); END;
