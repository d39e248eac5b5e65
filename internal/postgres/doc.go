// Package postgres is the store of mhhs on PostgreSQL (github.com/jackc/pgx/v5
// with pgxpool): it implements dip.Store and isd.Store with the same tables
// and behaviour as internal/sqlite, for several hub processes sharing one
// database. Deliveries are claimed with SELECT … FOR UPDATE SKIP LOCKED so
// processes share work without claiming a delivery twice, and each claim
// names the process run that made it (identity.go), so that a process
// restarted under its name takes back its own claims at once; migrations are
// numbered .sql files embedded in the binary and applied under an advisory
// lock.
//
// Message bodies are stored S2-compressed (github.com/klauspost/compress/s2,
// as the SQLite store's intake log; migration 0004).
//
// It is an adapter: SQL only, no domain logic. It imports the standard
// library, pgx, s2, internal/dip and internal/isd; internal/storetest is the
// suite it passes.
package postgres
