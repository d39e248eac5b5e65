-- Requeue jobs (dip.RequeueJob), kept so that a job's status outlives the
-- process that ran it and every hub sharing the database sees the same
-- jobs. At most one job per recipient and channel is Processing, also when
-- two hubs start one at once (the unique index). Times are Unix
-- microseconds. The same table as internal/sqlite/migrations/0005_requeues.sql.
CREATE TABLE requeues (
  id        TEXT PRIMARY KEY,
  recipient TEXT NOT NULL,
  channel   TEXT NOT NULL,
  status    TEXT NOT NULL,
  total     INTEGER NOT NULL DEFAULT 0,
  processed INTEGER NOT NULL DEFAULT 0,
  started   BIGINT NOT NULL,
  updated   BIGINT NOT NULL
);
CREATE INDEX requeues_recipient ON requeues (recipient, channel, started);
CREATE UNIQUE INDEX requeues_processing ON requeues (recipient, channel) WHERE status = 'Processing';
