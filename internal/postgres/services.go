package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mhhs/mhhs/internal/participant"
)

// ServiceStore returns the participant.Store of the service named name, in
// the service_* tables of this database: a service in its own process and
// the DIP may share one PostgreSQL.
func (db *DB) ServiceStore(name string) participant.Store { return &serviceStore{db: db, name: name} }

type serviceStore struct {
	db   *DB
	name string
}

// Close does nothing: the pool is closed by its owner.
func (st *serviceStore) Close() error { return nil }

func (st *serviceStore) Apply(ctx context.Context, key string, fn func(participant.Tx) error) (bool, error) {
	applied, err := st.ApplyAll(ctx, []string{key}, func(tx participant.Tx, _ int) error { return fn(tx) })
	if err != nil {
		return false, err
	}
	return applied[0], nil
}

func (st *serviceStore) ApplyAll(ctx context.Context, keys []string, fn func(participant.Tx, int) error) ([]bool, error) {
	return st.applyKeys(ctx, keys, func(tx pgx.Tx, now int64, i int) error {
		return fn(&serviceTx{ctx: ctx, tx: tx, name: st.name, now: now}, i)
	}, nil)
}

// applyKeys runs fn(tx, now, i) in one transaction for each keys[i] the
// inbox has not seen ("" every time), recording the keys with it, and
// seen(tx, i), if not nil, for each key it has.
func (st *serviceStore) applyKeys(ctx context.Context, keys []string, fn, seen func(tx pgx.Tx, now int64, i int) error) ([]bool, error) {
	var applied []bool
	err := st.db.tx(ctx, func(tx pgx.Tx) error {
		applied = make([]bool, len(keys))
		now := time.Now().UnixMicro()
		for i, key := range keys {
			if key != "" {
				tag, err := tx.Exec(ctx, `INSERT INTO service_inbox (service, key, applied) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, st.name, key, now)
				if err != nil {
					return err
				}
				if tag.RowsAffected() == 0 {
					if seen != nil {
						if err := seen(tx, now, i); err != nil {
							return err
						}
					}
					continue
				}
			}
			if err := fn(tx, now, i); err != nil {
				return err
			}
			applied[i] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return applied, nil
}

func (st *serviceStore) Get(ctx context.Context, key string, v any) (bool, error) {
	return getDocument(ctx, st.db.pool, st.name, key, v)
}

func getDocument(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, service, key string, v any) (bool, error) {
	var b []byte
	err := q.QueryRow(ctx, `SELECT value FROM service_documents WHERE service = $1 AND key = $2`, service, key).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, json.Unmarshal(b, v)
}

type serviceTx struct {
	ctx  context.Context
	tx   pgx.Tx
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
	_, err = t.tx.Exec(t.ctx, `INSERT INTO service_documents (service, key, value) VALUES ($1, $2, $3)
		ON CONFLICT (service, key) DO UPDATE SET value = excluded.value`, t.name, key, b)
	return err
}

func (t *serviceTx) Queue(channel string, payload []byte) error {
	return queueOutgoing(t.ctx, t.tx, t.name, t.now, channel, payload)
}

func queueOutgoing(ctx context.Context, tx pgx.Tx, service string, now int64, channel string, payload []byte) error {
	_, err := tx.Exec(ctx, `INSERT INTO service_outbox (service, channel, payload, queued) VALUES ($1, $2, $3, $4)`, service, channel, payload, now)
	return err
}

func (st *serviceStore) Pending(ctx context.Context, limit int) ([]participant.Outgoing, error) {
	rows, err := st.db.pool.Query(ctx, `SELECT id, channel, payload FROM service_outbox WHERE service = $1 AND state = 0 ORDER BY id LIMIT $2`, st.name, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (participant.Outgoing, error) {
		var o participant.Outgoing
		err := r.Scan(&o.ID, &o.Channel, &o.Payload)
		return o, err
	})
}

func (st *serviceStore) Done(ctx context.Context, sent []participant.Sent) error {
	return st.db.tx(ctx, func(tx pgx.Tx) error {
		now := time.Now().UnixMicro()
		for _, s := range sent {
			state := 2
			if s.Verdict.Sent() {
				state = 1
			}
			if _, err := tx.Exec(ctx, `UPDATE service_outbox SET state = $1, done = $2, code = $3, detail = $4, transaction_id = $5 WHERE service = $6 AND id = $7`,
				state, now, string(s.Verdict.Code), s.Verdict.Detail, s.Verdict.TransactionID, st.name, s.ID); err != nil {
				return err
			}
		}
		return nil
	})
}
