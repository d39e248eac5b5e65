-- Services' durable state (participant.Store): documents by key, the inbox
-- of inputs each service applied, and its outbox. Several services, and
-- several processes of one, share these tables; each row names its
-- service. The same tables as internal/sqlite/service_migrations/0001_participant.sql.
CREATE TABLE service_documents (
    service TEXT NOT NULL,
    key     TEXT NOT NULL,
    value   BYTEA NOT NULL,
    PRIMARY KEY (service, key)
);

CREATE TABLE service_inbox (
    service TEXT NOT NULL,
    key     TEXT NOT NULL,
    applied BIGINT NOT NULL, -- unix microseconds
    PRIMARY KEY (service, key)
);

-- state: 0 queued, 1 sent (the DIP has it), 2 refused by the DIP.
CREATE TABLE service_outbox (
    id      BIGSERIAL PRIMARY KEY,
    service TEXT NOT NULL,
    channel TEXT NOT NULL,
    payload BYTEA NOT NULL,
    state   SMALLINT NOT NULL DEFAULT 0,
    queued  BIGINT NOT NULL,
    done    BIGINT,
    code    TEXT,
    detail  TEXT,
    transaction_id TEXT
);
CREATE INDEX service_outbox_queued ON service_outbox (service, id) WHERE state = 0;
