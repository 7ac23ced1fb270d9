-- One row per configured connector: its resume cursor (opaque to the store, written
-- only after the mentions it covers are committed) and its health, for the dashboard.
-- Times are epoch milliseconds.
CREATE TABLE connectors (
    name        TEXT PRIMARY KEY NOT NULL,
    platform    TEXT NOT NULL,
    cursor      TEXT,
    cursor_at   INTEGER,
    state       TEXT NOT NULL DEFAULT 'starting',
    last_error  TEXT,
    error_at    INTEGER,
    delivered   INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL
);
