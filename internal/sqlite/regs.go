package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/klauspost/compress/s2"

	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/regs"
)

// Regs returns the Registration Service's store in the services database:
// the registrations table, the queued inputs, and the inbox and outbox of
// the service named "regs".
func (s *Services) Regs() regs.Store {
	return &regsStore{serviceStore: serviceStore{db: s.db, name: "regs"}}
}

type regsStore struct {
	serviceStore
}

// mpanKey is the registrations table's key of an MPAN: its 13 digits as a
// number.
func mpanKey(m market.MPAN) (int64, error) {
	n, err := strconv.ParseInt(string(m), 10, 64)
	if err != nil || len(m) != 13 {
		return 0, fmt.Errorf("sqlite: %q is not an MPAN", m)
	}
	return n, nil
}

func (st *regsStore) Update(ctx context.Context, keys []string, fn func(regs.Tx, int) error) ([]bool, error) {
	// A queued input is done with once its key is applied or found
	// applied before (an input submitted again while its key was being
	// applied).
	done := func(tx *sql.Tx, i int) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM regs_inputs WHERE key = ?`, keys[i])
		return err
	}
	return st.applyKeys(ctx, keys, func(tx *sql.Tx, now int64, i int) error {
		if keys[i] != "" {
			if err := done(tx, i); err != nil {
				return err
			}
		}
		return fn(&regsTx{ctx: ctx, tx: tx, now: now}, i)
	}, func(tx *sql.Tx, _ int64, i int) error { return done(tx, i) })
}

// regsTx is regs.Tx in one SQLite transaction.
type regsTx struct {
	ctx context.Context
	tx  *sql.Tx
	now int64
}

func (t *regsTx) Registration(m market.MPAN) (*regs.Registration, error) {
	return readRegistration(t.ctx, t.tx, m)
}

func (t *regsTx) Put(r *regs.Registration) error {
	row, err := registrationRow(r)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(t.ctx, `INSERT INTO registrations (mpan, doc, due) VALUES (?, ?, ?)
		ON CONFLICT (mpan) DO UPDATE SET doc = excluded.doc, due = excluded.due`, row...)
	return err
}

func (t *regsTx) Queue(channel string, payload []byte) error {
	return queueOutgoing(t.ctx, t.tx, "regs", t.now, channel, payload)
}

func readRegistration(ctx context.Context, q querier, m market.MPAN) (*regs.Registration, error) {
	k, err := mpanKey(m)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", regs.ErrNotFound, err)
	}
	var b []byte
	err = q.QueryRowContext(ctx, `SELECT doc FROM registrations WHERE mpan = ?`, k).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", regs.ErrNotFound, m)
	}
	if err != nil {
		return nil, err
	}
	return unpackRegistration(b)
}

func (st *regsStore) Registration(ctx context.Context, m market.MPAN) (*regs.Registration, error) {
	return readRegistration(ctx, st.db, m)
}

func (st *regsStore) Due(ctx context.Context, t time.Time, limit int) ([]market.MPAN, error) {
	rows, err := st.db.QueryContext(ctx, `SELECT mpan FROM registrations WHERE due <= ? ORDER BY due, mpan LIMIT ?`, t.UnixMicro(), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.MPAN
	for rows.Next() {
		var k int64
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, market.MPAN(fmt.Sprintf("%013d", k)))
	}
	return out, rows.Err()
}

// loadBatch is how many registrations Load writes a transaction.
const loadBatch = 5000

func (st *regsStore) Load(ctx context.Context, rs []*regs.Registration) error {
	for len(rs) > 0 {
		n := min(len(rs), loadBatch)
		if err := st.load(ctx, rs[:n]); err != nil {
			return err
		}
		rs = rs[n:]
	}
	return nil
}

func (st *regsStore) load(ctx context.Context, rs []*regs.Registration) error {
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	put, err := tx.PrepareContext(ctx, `INSERT INTO registrations (mpan, doc, due) VALUES (?, ?, ?)
		ON CONFLICT (mpan) DO UPDATE SET doc = excluded.doc, due = excluded.due`)
	if err != nil {
		return err
	}
	defer put.Close()
	for _, r := range rs {
		row, err := registrationRow(r)
		if err != nil {
			return err
		}
		if _, err := put.ExecContext(ctx, row...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (st *regsStore) Submit(ctx context.Context, inputs ...regs.QueuedInput) error {
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// A key the service applied before is not queued again.
	ins, err := tx.PrepareContext(ctx, `INSERT INTO regs_inputs (key, input)
		SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM inbox WHERE service = 'regs' AND key = ?)
		ON CONFLICT (key) DO NOTHING`)
	if err != nil {
		return err
	}
	defer ins.Close()
	for _, q := range inputs {
		if _, err := ins.ExecContext(ctx, q.Key, q.Input, q.Key); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (st *regsStore) Inputs(ctx context.Context, limit int) ([]regs.QueuedInput, error) {
	rows, err := st.db.QueryContext(ctx, `SELECT key, input FROM regs_inputs ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []regs.QueuedInput
	for rows.Next() {
		var q regs.QueuedInput
		if err := rows.Scan(&q.Key, &q.Input); err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
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
		return nil, fmt.Errorf("sqlite: stored registration: %w", err)
	}
	return regs.Decode(doc)
}
