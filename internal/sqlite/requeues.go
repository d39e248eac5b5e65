package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/mhhs/mhhs/internal/dip"
)

const requeueCols = `id, recipient, channel, status, total, processed, started, updated`

func scanRequeue(row interface{ Scan(...any) error }) (dip.RequeueJob, error) {
	var j dip.RequeueJob
	var status string
	var started, updated int64
	err := row.Scan(&j.ID, &j.Recipient, &j.Channel, &status, &j.Total, &j.Processed, &started, &updated)
	j.Status, j.Started, j.Updated = dip.RequeueStatus(status), dip.FromMicros(started), dip.FromMicros(updated)
	return j, err
}

// StartRequeue records job as Processing unless one is running; see
// dip.Store.
func (db *DB) StartRequeue(ctx context.Context, job dip.RequeueJob) (dip.RequeueJob, error) {
	job.Status, job.Updated = dip.RequeueProcessing, job.Started
	var running dip.RequeueJob
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if running, err = endAbandoned(ctx, tx, job); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO requeues (`+requeueCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			job.ID, job.Recipient, job.Channel, string(job.Status), job.Total, job.Processed, dip.Micros(job.Started), dip.Micros(job.Updated))
		return err
	})
	if errors.Is(err, dip.ErrRequeueRunning) {
		return running, err
	}
	return job, err
}

// endAbandoned ends the recipient's abandoned Processing job on job's
// channel, or returns the live one and dip.ErrRequeueRunning.
func endAbandoned(ctx context.Context, tx *sql.Tx, job dip.RequeueJob) (dip.RequeueJob, error) {
	j, err := scanRequeue(tx.QueryRowContext(ctx, `SELECT `+requeueCols+` FROM requeues WHERE recipient = ? AND channel = ? AND status = 'Processing'`,
		job.Recipient, job.Channel))
	if errors.Is(err, sql.ErrNoRows) {
		return dip.RequeueJob{}, nil
	}
	if err != nil {
		return dip.RequeueJob{}, err
	}
	ended := j.Effective(job.Started)
	if ended.Status == dip.RequeueProcessing {
		return j, dip.ErrRequeueRunning
	}
	_, err = tx.ExecContext(ctx, `UPDATE requeues SET status = ? WHERE id = ?`, string(ended.Status), j.ID)
	return dip.RequeueJob{}, err
}

// UpdateRequeue records a job's progress or end.
func (db *DB) UpdateRequeue(ctx context.Context, job dip.RequeueJob) error {
	res, err := db.w.ExecContext(ctx, `UPDATE requeues SET status = ?, total = ?, processed = ?, updated = ? WHERE id = ?`,
		string(job.Status), job.Total, job.Processed, dip.Micros(job.Updated), job.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return dip.ErrNotFound
	}
	return nil
}

// RequeueJobs returns the recipient's jobs on a channel, oldest first.
func (db *DB) RequeueJobs(ctx context.Context, recipient, channel, id string) ([]dip.RequeueJob, error) {
	return scanRequeues(db.r.QueryContext(ctx, `SELECT `+requeueCols+` FROM requeues WHERE recipient = ? AND channel = ? AND (? = '' OR id = ?)
		ORDER BY started, id`, recipient, channel, id, id))
}

// scanRequeues reads every job of a query's rows.
func scanRequeues(rows *sql.Rows, err error) ([]dip.RequeueJob, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dip.RequeueJob
	for rows.Next() {
		j, err := scanRequeue(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}
