-- The inbox queue sorts by the most urgent unmet target, breached or not (an overdue case
-- comes first), with no NULLs so that the order is an index range scan.
ALTER TABLE cases ADD COLUMN queue_at BIGINT NOT NULL DEFAULT 9223372036854775807;
DROP INDEX cases_queue;
CREATE INDEX cases_queue ON cases (is_open, priority, queue_at, id);
CREATE INDEX cases_by_assignee ON cases (assignee) WHERE is_open = 1 AND assignee IS NOT NULL;
