-- Versions of the crisis plan saved through the web app's editor (validated before they
-- are saved). The newest is in force on every node; the file named in [crisis] plan is
-- the version before the first. Never updated or deleted. Times are epoch milliseconds.
CREATE TABLE plan_versions (
    version   INTEGER PRIMARY KEY NOT NULL,
    text      TEXT NOT NULL,
    author    TEXT NOT NULL,
    note      TEXT NOT NULL,
    saved_at  INTEGER NOT NULL
);
