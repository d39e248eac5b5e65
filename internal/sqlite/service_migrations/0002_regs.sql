-- The Registration Service's state (regs.Store): one registration per
-- MPAN (its JSON document, S2-compressed) with the time its next tick
-- is due, and the external inputs (CSS events, maintenance changes)
-- waiting to be applied. Its inbox and outbox are those of 0001 under the
-- service name "regs".
CREATE TABLE registrations (
    mpan INTEGER PRIMARY KEY, -- the 13 digits as a number
    doc  BLOB NOT NULL,
    due  INTEGER              -- unix microseconds; NULL when nothing is due
);
CREATE INDEX registrations_due ON registrations (due) WHERE due IS NOT NULL;

CREATE TABLE regs_inputs (
    id    INTEGER PRIMARY KEY,
    key   TEXT NOT NULL UNIQUE,
    input BLOB NOT NULL
);
