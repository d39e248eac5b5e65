-- Industry Standing Data: one row per version, numbered 1, 2, 3, … with the
-- dataset as its JSON encoding (isd.Dataset.EncodeJSON). Times are Unix
-- microseconds; published is 0 until the version is announced by IF-047.
CREATE TABLE isd_versions (
  number         INTEGER PRIMARY KEY,
  created        INTEGER NOT NULL,
  note           TEXT NOT NULL DEFAULT '',
  dataset        BLOB NOT NULL,
  published      INTEGER NOT NULL DEFAULT 0,
  published_tx   TEXT NOT NULL DEFAULT ''
);
