-- A service's durable state (participant.Store): documents by key, the
-- inbox of inputs it applied, and its outbox. One database may hold several
-- services; each row names its service.
CREATE TABLE documents (
    service TEXT NOT NULL,
    key     TEXT NOT NULL,
    value   BLOB NOT NULL,
    PRIMARY KEY (service, key)
) WITHOUT ROWID;

CREATE TABLE inbox (
    service TEXT NOT NULL,
    key     TEXT NOT NULL,
    applied INTEGER NOT NULL, -- unix microseconds
    PRIMARY KEY (service, key)
) WITHOUT ROWID;

-- state: 0 queued, 1 sent (the DIP has it), 2 refused by the DIP.
CREATE TABLE outbox (
    id      INTEGER PRIMARY KEY,
    service TEXT NOT NULL,
    channel TEXT NOT NULL,
    payload BLOB NOT NULL,
    state   INTEGER NOT NULL DEFAULT 0,
    queued  INTEGER NOT NULL,
    done    INTEGER,
    code    TEXT,
    detail  TEXT,
    transaction_id TEXT
);
CREATE INDEX outbox_queued ON outbox (service, id) WHERE state = 0;
