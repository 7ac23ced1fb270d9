-- One row per configured connector: its resume cursor (opaque to the store, written
-- only after the mentions it covers are committed) and its health, for the dashboard.
-- Times are epoch milliseconds.
CREATE TABLE connectors (
    name        TEXT PRIMARY KEY,
    platform    TEXT NOT NULL,
    cursor      TEXT,
    cursor_at   BIGINT,
    state       TEXT NOT NULL DEFAULT 'starting',
    last_error  TEXT,
    error_at    BIGINT,
    delivered   BIGINT NOT NULL DEFAULT 0,
    updated_at  BIGINT NOT NULL
);
