-- The DIP's durable state: participants, webhooks, registration parties,
-- accepted messages, deliveries, attempts (the Outbound journal),
-- recipients' health and rejected messages. Times are Unix microseconds.
-- The same tables as internal/sqlite/migrations/0001_dip.sql.
CREATE TABLE participants (
  dip_id           TEXT PRIMARY KEY,
  name             TEXT NOT NULL,
  roles            TEXT NOT NULL,  -- space-separated role codes
  mpids            TEXT NOT NULL,
  cert_fingerprint TEXT NOT NULL,
  cert_pem         BYTEA,
  api_key_hash     TEXT NOT NULL,
  disabled         BOOLEAN NOT NULL DEFAULT false,
  created          BIGINT NOT NULL
);
CREATE INDEX participants_key ON participants (api_key_hash);

CREATE TABLE webhooks (
  channel           TEXT NOT NULL,
  recipient         TEXT NOT NULL,
  callback_url      TEXT NOT NULL,
  max_message_count INTEGER NOT NULL DEFAULT 0,
  max_payload_size  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (channel, recipient)
);

CREATE TABLE parties (
  mpan             TEXT PRIMARY KEY,
  supplier         TEXT NOT NULL DEFAULT '',
  data_service     TEXT NOT NULL DEFAULT '',
  metering_service TEXT NOT NULL DEFAULT '',
  mdr              TEXT NOT NULL DEFAULT '',
  updated          BIGINT NOT NULL
);

CREATE TABLE messages (
  seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  transaction_id TEXT NOT NULL UNIQUE,
  channel        TEXT NOT NULL,
  event_code     TEXT NOT NULL,
  sender         TEXT NOT NULL,
  sender_role    TEXT NOT NULL,
  sur            TEXT NOT NULL,
  correlation_id TEXT NOT NULL DEFAULT '',
  mpan           TEXT,
  accepted_at    BIGINT NOT NULL,
  mpan_updated   BOOLEAN NOT NULL DEFAULT false,
  recipients     TEXT NOT NULL,  -- JSON [[route, role, dipid], …]
  body           BYTEA NOT NULL,
  UNIQUE (sender, sur)
);
CREATE INDEX messages_accepted ON messages (accepted_at);

CREATE TABLE deliveries (
  recipient     TEXT NOT NULL,
  seq           BIGINT NOT NULL,
  role          TEXT NOT NULL,
  route         TEXT NOT NULL,
  channel       TEXT NOT NULL,
  mpan          TEXT,           -- NULL: no per-MPAN order
  status        TEXT NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  next_attempt  BIGINT NOT NULL,
  claimed_until BIGINT,
  claimed_by    TEXT,
  last_error    TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (recipient, seq)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt, seq) WHERE status IN ('Pending', 'Retrying');
CREATE INDEX deliveries_order ON deliveries (recipient, channel, mpan, seq) WHERE status IN ('Pending', 'Retrying');
CREATE INDEX deliveries_seq ON deliveries (seq);

CREATE TABLE attempts (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- SQLite's rowid: journal order within one instant
  seq         BIGINT NOT NULL,
  recipient   TEXT NOT NULL,
  at          BIGINT NOT NULL,
  duration_us BIGINT NOT NULL,
  status_code INTEGER NOT NULL,
  status      TEXT NOT NULL,
  error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX attempts_seq ON attempts (seq);

CREATE TABLE recipients (
  recipient TEXT PRIMARY KEY,
  paused    BOOLEAN NOT NULL DEFAULT false,
  paused_at BIGINT NOT NULL DEFAULT 0,
  failures  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE rejections (
  sender     TEXT NOT NULL,
  sur        TEXT NOT NULL,
  channel    TEXT NOT NULL,
  event_code TEXT NOT NULL,
  mpan       TEXT NOT NULL,
  at         BIGINT NOT NULL,
  code       TEXT NOT NULL,
  reason     TEXT NOT NULL
);
CREATE INDEX rejections_sur ON rejections (sender, sur);
