-- Bodies are compressed by the hub before they are stored (S2's block
-- format, github.com/klauspost/compress/s2, as the SQLite store's intake
-- log): an IF-021 body of 4.9 KB is stored as 1.2 KB, inline in its row,
-- where the server compressed it with pglz in TOAST at about 9% of its CPU
-- during intake, and the WAL carries a quarter of the bytes (BENCHMARKS.md).
-- body_codec says how a row's body is stored: 0 as received (rows written
-- before this migration), 1 S2-compressed. Bodies are never compressed by
-- the server again (STORAGE EXTERNAL): a large one goes out of line as it is.
ALTER TABLE messages ADD COLUMN body_codec SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE messages ALTER COLUMN body SET STORAGE EXTERNAL;
