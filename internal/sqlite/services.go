package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mhhs/mhhs/internal/participant"
)

//go:embed service_migrations/*.sql
var serviceMigrations embed.FS

// Services is an embedded database of services' own state, apart from the
// DIP's (a service in its own process has only this one): each service's
// participant.Store. It is a plain SQLite database in WAL mode with full
// synchronous commits, so a state change and the messages it queues are
// durable together when Apply returns.
type Services struct {
	db *sql.DB
}

// OpenServices opens (creating if needed) the services database at path
// and applies its migrations.
func OpenServices(ctx context.Context, path string) (*Services, error) {
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // one writer; reads are few
	if err := migrate(ctx, db, serviceMigrations, "service_migrations"); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}
	return &Services{db: db}, nil
}

// Close closes the database.
func (s *Services) Close() error { return s.db.Close() }

// Store returns the participant.Store of the service named name.
func (s *Services) Store(name string) participant.Store { return &serviceStore{db: s.db, name: name} }

type serviceStore struct {
	db   *sql.DB
	name string
}

// Close does nothing: the Services database is closed by its owner.
func (st *serviceStore) Close() error { return nil }

func (st *serviceStore) Apply(ctx context.Context, key string, fn func(participant.Tx) error) (bool, error) {
	applied, err := st.ApplyAll(ctx, []string{key}, func(tx participant.Tx, _ int) error { return fn(tx) })
	if err != nil {
		return false, err
	}
	return applied[0], nil
}

func (st *serviceStore) ApplyAll(ctx context.Context, keys []string, fn func(participant.Tx, int) error) ([]bool, error) {
	return st.applyKeys(ctx, keys, func(tx *sql.Tx, now int64, i int) error {
		return fn(&serviceTx{ctx: ctx, tx: tx, name: st.name, now: now}, i)
	}, nil)
}

// applyKeys runs fn(tx, now, i) in one transaction for each keys[i] the
// inbox has not seen ("" every time), recording the keys with it, and
// seen(tx, i), if not nil, for each key it has.
func (st *serviceStore) applyKeys(ctx context.Context, keys []string, fn, seen func(tx *sql.Tx, now int64, i int) error) ([]bool, error) {
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	now := time.Now().UnixMicro()
	applied := make([]bool, len(keys))
	for i, key := range keys {
		if key != "" {
			res, err := tx.ExecContext(ctx, `INSERT INTO inbox (service, key, applied) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, st.name, key, now)
			if err != nil {
				return nil, err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				if seen != nil {
					if err := seen(tx, now, i); err != nil {
						return nil, err
					}
				}
				continue
			}
		}
		if err := fn(tx, now, i); err != nil {
			return nil, err
		}
		applied[i] = true
	}
	return applied, tx.Commit()
}

func (st *serviceStore) Get(ctx context.Context, key string, v any) (bool, error) {
	return getDocument(ctx, st.db, st.name, key, v)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getDocument(ctx context.Context, q querier, service, key string, v any) (bool, error) {
	var b []byte
	err := q.QueryRowContext(ctx, `SELECT value FROM documents WHERE service = ? AND key = ?`, service, key).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, json.Unmarshal(b, v)
}

type serviceTx struct {
	ctx  context.Context
	tx   *sql.Tx
	name string
	now  int64
}

func (t *serviceTx) Get(key string, v any) (bool, error) {
	return getDocument(t.ctx, t.tx, t.name, key, v)
}

func (t *serviceTx) Put(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(t.ctx, `INSERT INTO documents (service, key, value) VALUES (?, ?, ?)
		ON CONFLICT (service, key) DO UPDATE SET value = excluded.value`, t.name, key, b)
	return err
}

func (t *serviceTx) Queue(channel string, payload []byte) error {
	return queueOutgoing(t.ctx, t.tx, t.name, t.now, channel, payload)
}

func queueOutgoing(ctx context.Context, tx *sql.Tx, service string, now int64, channel string, payload []byte) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO outbox (service, channel, payload, queued) VALUES (?, ?, ?, ?)`, service, channel, payload, now)
	return err
}

func (st *serviceStore) Pending(ctx context.Context, limit int) ([]participant.Outgoing, error) {
	rows, err := st.db.QueryContext(ctx, `SELECT id, channel, payload FROM outbox WHERE service = ? AND state = 0 ORDER BY id LIMIT ?`, st.name, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []participant.Outgoing
	for rows.Next() {
		var o participant.Outgoing
		if err := rows.Scan(&o.ID, &o.Channel, &o.Payload); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func (st *serviceStore) Done(ctx context.Context, sent []participant.Sent) error {
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().UnixMicro()
	for _, s := range sent {
		state := 2
		if s.Verdict.Sent() {
			state = 1
		}
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET state = ?, done = ?, code = ?, detail = ?, transaction_id = ? WHERE service = ? AND id = ?`,
			state, now, string(s.Verdict.Code), s.Verdict.Detail, s.Verdict.TransactionID, st.name, s.ID); err != nil {
			return err
		}
	}
	return tx.Commit()
}
