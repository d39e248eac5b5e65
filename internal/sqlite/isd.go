package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/isd"
)

var _ isd.Store = (*DB)(nil)

// PutVersion stores an ISD version as the JSON encoding of its dataset.
// The insert succeeds only when v.Number is the latest number plus one.
func (db *DB) PutVersion(ctx context.Context, v isd.Version) error {
	if v.Dataset == nil {
		return errors.New("sqlite: isd version without a dataset")
	}
	var b bytes.Buffer
	if err := v.Dataset.EncodeJSON(&b); err != nil {
		return err
	}
	res, err := db.w.ExecContext(ctx, `INSERT INTO isd_versions (number, created, note, dataset)
		SELECT ?, ?, ?, ? WHERE ? = (SELECT COALESCE(MAX(number), 0) + 1 FROM isd_versions)
		ON CONFLICT (number) DO NOTHING`,
		v.Number, dip.Micros(v.Created), v.Note, b.Bytes(), v.Number)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("version %d is not the next: %w", v.Number, isd.ErrVersionConflict)
	}
	return nil
}

// Version returns ISD version n, or the latest when n is 0.
func (db *DB) Version(ctx context.Context, n int) (isd.Version, error) {
	q, args := `SELECT number, created, note, dataset FROM isd_versions WHERE number = ?`, []any{n}
	if n == 0 {
		q, args = `SELECT number, created, note, dataset FROM isd_versions ORDER BY number DESC LIMIT 1`, nil
	}
	var v isd.Version
	var created int64
	var data []byte
	err := db.r.QueryRowContext(ctx, q, args...).Scan(&v.Number, &created, &v.Note, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return isd.Version{}, fmt.Errorf("version %d: %w", n, isd.ErrNoVersion)
	}
	if err != nil {
		return isd.Version{}, err
	}
	v.Created = dip.FromMicros(created)
	if v.Dataset, err = isd.DecodeJSON(bytes.NewReader(data)); err != nil {
		return isd.Version{}, fmt.Errorf("sqlite: isd version %d: %w", v.Number, err)
	}
	return v, nil
}

// Versions lists every ISD version, oldest first.
func (db *DB) Versions(ctx context.Context) ([]isd.VersionInfo, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT number, created, note, published, published_tx FROM isd_versions ORDER BY number`)
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
	res, err := db.w.ExecContext(ctx, `UPDATE isd_versions SET published = ?, published_tx = ? WHERE number = ?`, dip.Micros(at), transactionID, n)
	if err != nil {
		return err
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return fmt.Errorf("version %d: %w", n, isd.ErrNoVersion)
	}
	return nil
}
