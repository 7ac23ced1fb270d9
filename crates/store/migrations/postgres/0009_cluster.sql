-- Scale-out (firebreak-cluster). Each alert emission (an alert id at a severity, raised by
-- the mention at raised_at) reaches the outputs once in the whole cluster: the detector
-- owner inserts the row first and emits only when the insert took. Rows are never
-- updated or deleted.
CREATE TABLE alerts_notified (
    alert_id    TEXT NOT NULL,
    severity    SMALLINT NOT NULL,
    raised_at   TIMESTAMPTZ NOT NULL,
    node        TEXT NOT NULL,
    notified_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (alert_id, severity, raised_at)
);

-- How far the detector owner has read the mention stream (its JetStream sequence): a new
-- owner replays the window before it from the stream without emitting, then goes on live.
CREATE TABLE detector_positions (
    name        TEXT PRIMARY KEY,
    stream_seq  BIGINT NOT NULL,
    node        TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
