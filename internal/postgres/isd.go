package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/isd"
)

var _ isd.Store = (*DB)(nil)

// PutVersion stores an ISD version as the JSON encoding of its dataset, in
// one statement that inserts only when v.Number is the latest number plus
// one. Of two writers racing for the same number, the second waits on the
// primary key and then inserts nothing: ErrVersionConflict.
func (db *DB) PutVersion(ctx context.Context, v isd.Version) error {
	if v.Dataset == nil {
		return errors.New("postgres: isd version without a dataset")
	}
	var b bytes.Buffer
	if err := v.Dataset.EncodeJSON(&b); err != nil {
		return err
	}
	tag, err := db.pool.Exec(ctx, `INSERT INTO isd_versions (number, created, note, dataset)
		SELECT $1::integer, $2::bigint, $3::text, $4::bytea WHERE $1::integer = (SELECT COALESCE(MAX(number), 0) + 1 FROM isd_versions)
		ON CONFLICT (number) DO NOTHING`,
		v.Number, dip.Micros(v.Created), v.Note, b.Bytes())
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("version %d is not the next: %w", v.Number, isd.ErrVersionConflict)
	}
	return nil
}

// Version returns ISD version n, or the latest when n is 0.
func (db *DB) Version(ctx context.Context, n int) (isd.Version, error) {
	q, args := `SELECT number, created, note, dataset FROM isd_versions WHERE number = $1`, []any{n}
	if n == 0 {
		q, args = `SELECT number, created, note, dataset FROM isd_versions ORDER BY number DESC LIMIT 1`, nil
	}
	var v isd.Version
	var created int64
	var data []byte
	err := db.pool.QueryRow(ctx, q, args...).Scan(&v.Number, &created, &v.Note, &data)
	if errors.Is(err, pgx.ErrNoRows) {
		return isd.Version{}, fmt.Errorf("version %d: %w", n, isd.ErrNoVersion)
	}
	if err != nil {
		return isd.Version{}, err
	}
	v.Created = dip.FromMicros(created)
	if v.Dataset, err = isd.DecodeJSON(bytes.NewReader(data)); err != nil {
		return isd.Version{}, fmt.Errorf("postgres: isd version %d: %w", v.Number, err)
	}
	return v, nil
}

// Versions lists every ISD version, oldest first.
func (db *DB) Versions(ctx context.Context) ([]isd.VersionInfo, error) {
	rows, err := db.pool.Query(ctx, `SELECT number, created, note, published, published_tx FROM isd_versions ORDER BY number`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []isd.VersionInfo
	for rows.Next() {
		var vi isd.VersionInfo
		var created, published int64
		if err := rows.Scan(&vi.Number, &created, &vi.Note, &published, &vi.PublishedTransactionID); err != nil {
			return nil, err
		}
		vi.Created, vi.Published = dip.FromMicros(created), dip.FromMicros(published)
		out = append(out, vi)
	}
	return out, rows.Err()
}

// MarkPublished records the IF-047 that announced ISD version n.
func (db *DB) MarkPublished(ctx context.Context, n int, at time.Time, transactionID string) error {
	tag, err := db.pool.Exec(ctx, `UPDATE isd_versions SET published = $1, published_tx = $2 WHERE number = $3`, dip.Micros(at), transactionID, n)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("version %d: %w", n, isd.ErrNoVersion)
	}
	return nil
}
