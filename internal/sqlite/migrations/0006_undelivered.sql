-- deliveries keeps only undelivered rows (Pending, Retrying): a delivery
-- that ends (Delivered, RejectedByRecipient, RetriesExhausted) moves to
-- deliveries_done, and a requeue moves it back. The claim then walks a
-- recipient's deliveries on the primary key alone, and intake no longer
-- writes a pending-index entry beside each delivery row: three of the nine
-- B-tree entries a message with three recipients wrote (BENCHMARKS.md, DIP
-- intake, session 4).
CREATE TABLE deliveries_done (
  recipient  TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  status     TEXT NOT NULL,
  attempts   INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (recipient, seq)
) WITHOUT ROWID;
INSERT INTO deliveries_done (recipient, seq, status, attempts, last_error)
SELECT recipient, seq, status, attempts, last_error FROM deliveries WHERE status NOT IN ('Pending', 'Retrying');
DELETE FROM deliveries WHERE status NOT IN ('Pending', 'Retrying');
DROP INDEX deliveries_pending;
