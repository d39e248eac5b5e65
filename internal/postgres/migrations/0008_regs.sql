-- The Registration Service's state (regs.Store): one registration per
-- MPAN (its JSON document, S2-compressed) with the time its next tick
-- is due, and the external inputs (CSS events, maintenance changes)
-- waiting to be applied. Its inbox and outbox are the service_* tables of
-- 0005 under the service name "regs". The same tables as
-- internal/sqlite/service_migrations/0002_regs.sql.
CREATE TABLE regs_registrations (
    mpan BIGINT PRIMARY KEY, -- the 13 digits as a number
    doc  BYTEA NOT NULL,
    due  BIGINT              -- unix microseconds; NULL when nothing is due
);
CREATE INDEX regs_registrations_due ON regs_registrations (due) WHERE due IS NOT NULL;

CREATE TABLE regs_inputs (
    id    BIGSERIAL PRIMARY KEY,
    key   TEXT NOT NULL UNIQUE,
    input BYTEA NOT NULL
);
