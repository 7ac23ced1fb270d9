-- The alert log: every alert emission (an alert id at a severity, raised by the mention at
-- raised_at), with the alert itself (Alert JSONL v1), so the web app shows alerts after a
-- restart and a cluster delivers each emission once (an outbox). The node that inserts
-- the row emits the alert; delivered_at is set when its outputs (the notifiers included)
-- have finished with it. A new detector owner re-sends the rows still undelivered, with
-- the same idempotency key. Times are epoch milliseconds. Supersedes alerts_notified.
CREATE TABLE alerts (
    alert_id     TEXT NOT NULL,
    severity     BIGINT NOT NULL,
    raised_at    BIGINT NOT NULL,
    channel      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    crisis       BIGINT NOT NULL,
    alert        TEXT NOT NULL,
    node         TEXT NOT NULL,
    claimed_at   BIGINT NOT NULL,
    delivered_at BIGINT,
    outcome      TEXT,
    PRIMARY KEY (alert_id, severity, raised_at)
);
CREATE INDEX alerts_by_time ON alerts (raised_at DESC);
CREATE INDEX alerts_undelivered ON alerts (claimed_at) WHERE delivered_at IS NULL;
DROP TABLE alerts_notified;
