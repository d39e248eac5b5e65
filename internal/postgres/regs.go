package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/klauspost/compress/s2"

	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/regs"
)

// Regs returns the Registration Service's store in this database: the
// regs_* tables, and the service_* inbox and outbox under the service
// name "regs". Several processes may share it: a registration read inside
// Update is locked (FOR UPDATE) until the transaction ends, so two
// processes deciding inputs of one MPAN take turns, and an input applied
// by one is skipped by the other (the inbox).
func (db *DB) Regs() regs.Store {
	return &regsStore{serviceStore: serviceStore{db: db, name: "regs"}}
}

type regsStore struct {
	serviceStore
}

// mpanKey is the registrations table's key of an MPAN: its 13 digits as a
// number.
func mpanKey(m market.MPAN) (int64, error) {
	n, err := strconv.ParseInt(string(m), 10, 64)
	if err != nil || len(m) != 13 {
		return 0, fmt.Errorf("postgres: %q is not an MPAN", m)
	}
	return n, nil
}

func (st *regsStore) Update(ctx context.Context, keys []string, fn func(regs.Tx, int) error) ([]bool, error) {
	// A queued input is done with once its key is applied or found
	// applied before: a Submit of the key while the transaction applying
	// it was open does not see its inbox row and queues it again.
	done := func(tx pgx.Tx, i int) error {
		_, err := tx.Exec(ctx, `DELETE FROM regs_inputs WHERE key = $1`, keys[i])
		return err
	}
	return st.applyKeys(ctx, keys, func(tx pgx.Tx, now int64, i int) error {
		if keys[i] != "" {
			if err := done(tx, i); err != nil {
				return err
			}
		}
		return fn(&regsTx{ctx: ctx, tx: tx, now: now}, i)
	}, func(tx pgx.Tx, _ int64, i int) error { return done(tx, i) })
}

// regsTx is regs.Tx in one PostgreSQL transaction.
type regsTx struct {
	ctx context.Context
	tx  pgx.Tx
	now int64
}

func (t *regsTx) Registration(m market.MPAN) (*regs.Registration, error) {
	return readRegistration(t.ctx, t.tx, m, ` FOR UPDATE`)
}

func (t *regsTx) Put(r *regs.Registration) error {
	row, err := registrationRow(r)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(t.ctx, `INSERT INTO regs_registrations (mpan, doc, due) VALUES ($1, $2, $3)
		ON CONFLICT (mpan) DO UPDATE SET doc = excluded.doc, due = excluded.due`, row...)
	return err
}

func (t *regsTx) Queue(channel string, payload []byte) error {
	return queueOutgoing(t.ctx, t.tx, "regs", t.now, channel, payload)
}

type rowQuerier interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}

func readRegistration(ctx context.Context, q rowQuerier, m market.MPAN, lock string) (*regs.Registration, error) {
	k, err := mpanKey(m)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", regs.ErrNotFound, err)
	}
	var b []byte
	err = q.QueryRow(ctx, `SELECT doc FROM regs_registrations WHERE mpan = $1`+lock, k).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", regs.ErrNotFound, m)
	}
	if err != nil {
		return nil, err
	}
	return unpackRegistration(b)
}

func (st *regsStore) Registration(ctx context.Context, m market.MPAN) (*regs.Registration, error) {
	return readRegistration(ctx, st.db.pool, m, "")
}

func (st *regsStore) Due(ctx context.Context, t time.Time, limit int) ([]market.MPAN, error) {
	rows, err := st.db.pool.Query(ctx, `SELECT mpan FROM regs_registrations WHERE due <= $1 ORDER BY due, mpan LIMIT $2`, t.UnixMicro(), limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (market.MPAN, error) {
		var k int64
		err := r.Scan(&k)
		return market.MPAN(fmt.Sprintf("%013d", k)), err
	})
}

// Load copies registrations into a temporary table and merges them in,
// a transaction per 20,000.
func (st *regsStore) Load(ctx context.Context, rs []*regs.Registration) error {
	const batch = 20000
	for len(rs) > 0 {
		n := min(len(rs), batch)
		if err := st.load(ctx, rs[:n]); err != nil {
			return err
		}
		rs = rs[n:]
	}
	return nil
}

func (st *regsStore) load(ctx context.Context, rs []*regs.Registration) error {
	rows := make([][]any, len(rs))
	for i, r := range rs {
		row, err := registrationRow(r)
		if err != nil {
			return err
		}
		rows[i] = row
	}
	return st.db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE regs_load (mpan BIGINT, doc BYTEA, due BIGINT) ON COMMIT DROP`); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"regs_load"}, []string{"mpan", "doc", "due"}, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO regs_registrations (mpan, doc, due) SELECT mpan, doc, due FROM regs_load
			ON CONFLICT (mpan) DO UPDATE SET doc = excluded.doc, due = excluded.due`)
		return err
	})
}

func (st *regsStore) Submit(ctx context.Context, inputs ...regs.QueuedInput) error {
	keys := make([]string, len(inputs))
	docs := make([][]byte, len(inputs))
	for i, q := range inputs {
		keys[i], docs[i] = q.Key, q.Input
	}
	// A key the service applied before is not queued again; the inputs
	// keep their order (ORDINALITY), and a key twice in one call is
	// queued once.
	_, err := st.db.pool.Exec(ctx, `INSERT INTO regs_inputs (key, input)
		SELECT k, d FROM unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS i(k, d, n)
		WHERE NOT EXISTS (SELECT 1 FROM service_inbox WHERE service = 'regs' AND key = k)
		ORDER BY n
		ON CONFLICT (key) DO NOTHING`, keys, docs)
	return err
}

func (st *regsStore) Inputs(ctx context.Context, limit int) ([]regs.QueuedInput, error) {
	rows, err := st.db.pool.Query(ctx, `SELECT key, input FROM regs_inputs ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (regs.QueuedInput, error) {
		var q regs.QueuedInput
		err := r.Scan(&q.Key, &q.Input)
		return q, err
	})
}

// packRegistration is a registration's stored form: its JSON document,
// S2-compressed (its histories repeat field names and party ids).
func packRegistration(r *regs.Registration) ([]byte, error) {
	b, err := r.Encode()
	if err != nil {
		return nil, err
	}
	return s2.Encode(nil, b), nil
}

// registrationRow is a registration's row: its MPAN key, its stored form
// and its due time.
func registrationRow(r *regs.Registration) ([]any, error) {
	k, err := mpanKey(r.MPAN)
	if err != nil {
		return nil, err
	}
	b, err := packRegistration(r)
	if err != nil {
		return nil, err
	}
	return []any{k, b, r.DueMicros()}, nil
}

func unpackRegistration(b []byte) (*regs.Registration, error) {
	doc, err := s2.Decode(nil, b)
	if err != nil {
		return nil, fmt.Errorf("postgres: stored registration: %w", err)
	}
	return regs.Decode(doc)
}
