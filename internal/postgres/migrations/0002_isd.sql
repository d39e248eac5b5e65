-- Industry Standing Data: one row per version, numbered 1, 2, 3, … with the
-- dataset as its JSON encoding (isd.Dataset.EncodeJSON), kept byte for byte
-- (BYTEA, not JSONB). Times are Unix microseconds; published is 0 until the
-- version is announced by IF-047. The same table as
-- internal/sqlite/migrations/0002_isd.sql.
CREATE TABLE isd_versions (
  number         INTEGER PRIMARY KEY,
  created        BIGINT NOT NULL,
  note           TEXT NOT NULL DEFAULT '',
  dataset        BYTEA NOT NULL,
  published      BIGINT NOT NULL DEFAULT 0,
  published_tx   TEXT NOT NULL DEFAULT ''
);
