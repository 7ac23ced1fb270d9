-- Scale-out (firebreak-cluster) tables, kept in step with PostgreSQL; a cluster runs on
-- PostgreSQL only. See migrations/postgres/0009_cluster.sql.
CREATE TABLE alerts_notified (
    alert_id    TEXT NOT NULL,
    severity    INTEGER NOT NULL,
    raised_at   TEXT NOT NULL,
    node        TEXT NOT NULL,
    notified_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (alert_id, severity, raised_at)
);

CREATE TABLE detector_positions (
    name        TEXT PRIMARY KEY NOT NULL,
    stream_seq  INTEGER NOT NULL,
    node        TEXT NOT NULL,
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
