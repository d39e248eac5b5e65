-- Requeue jobs (dip.RequeueJob), kept so that a job's status outlives the
-- process that ran it. At most one job per recipient and channel is
-- Processing. Times are Unix microseconds.
CREATE TABLE requeues (
  id        TEXT PRIMARY KEY,
  recipient TEXT NOT NULL,
  channel   TEXT NOT NULL,
  status    TEXT NOT NULL,
  total     INTEGER NOT NULL DEFAULT 0,
  processed INTEGER NOT NULL DEFAULT 0,
  started   INTEGER NOT NULL,
  updated   INTEGER NOT NULL
);
CREATE INDEX requeues_recipient ON requeues (recipient, channel, started);
CREATE UNIQUE INDEX requeues_processing ON requeues (recipient, channel) WHERE status = 'Processing';
