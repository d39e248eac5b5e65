-- Intake is log first (intake.go): a message is durable once its record is
-- in the intake log, and SQLite indexes the log behind it. intake_state is
-- where the indexed part of the log ends: the last seq indexed and the end of
-- its record (segment, offset). A database from before this migration holds
-- bare bodies in the log; the position is the end of its newest message's
-- body, which is where the committed part of that log ended.
CREATE TABLE intake_state (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  last_seq INTEGER NOT NULL,
  seg      INTEGER NOT NULL,
  off      INTEGER NOT NULL
);
INSERT INTO intake_state (id, last_seq, seg, off)
SELECT 1, COALESCE(MAX(seq), 0),
  COALESCE((SELECT body_seg FROM messages ORDER BY seq DESC LIMIT 1), 0),
  COALESCE((SELECT body_off + body_len FROM messages ORDER BY seq DESC LIMIT 1), 0)
FROM messages;
