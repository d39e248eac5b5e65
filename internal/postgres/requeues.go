package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mhhs/mhhs/internal/dip"
)

const requeueCols = `id, recipient, channel, status, total, processed, started, updated`

func scanRequeue(row pgx.Row) (dip.RequeueJob, error) {
	var j dip.RequeueJob
	var status string
	var started, updated int64
	err := row.Scan(&j.ID, &j.Recipient, &j.Channel, &status, &j.Total, &j.Processed, &started, &updated)
	j.Status, j.Started, j.Updated = dip.RequeueStatus(status), dip.FromMicros(started), dip.FromMicros(updated)
	return j, err
}

// StartRequeue records job as Processing unless one is running; see
// dip.Store. Two hubs starting a job for one recipient and channel at once
// both find none running; the unique index on Processing jobs lets one
// insert, and the other reports the winner as running.
func (db *DB) StartRequeue(ctx context.Context, job dip.RequeueJob) (dip.RequeueJob, error) {
	job.Status, job.Updated = dip.RequeueProcessing, job.Started
	var running dip.RequeueJob
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var err error
		if running, err = endAbandoned(ctx, tx, job); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO requeues (`+requeueCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			job.ID, job.Recipient, job.Channel, string(job.Status), job.Total, job.Processed, dip.Micros(job.Started), dip.Micros(job.Updated))
		return err
	})
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "requeues_processing" {
		err = db.tx(ctx, func(tx pgx.Tx) error {
			var err error
			running, err = endAbandoned(ctx, tx, job)
			if err == nil { // the winner ended meanwhile: report the race all the same
				err = dip.ErrRequeueRunning
			}
			return err
		})
	}
	if errors.Is(err, dip.ErrRequeueRunning) {
		return running, err
	}
	return job, err
}

// endAbandoned ends the recipient's abandoned Processing job on job's
// channel, or returns the live one and dip.ErrRequeueRunning.
func endAbandoned(ctx context.Context, tx pgx.Tx, job dip.RequeueJob) (dip.RequeueJob, error) {
	j, err := scanRequeue(tx.QueryRow(ctx, `SELECT `+requeueCols+` FROM requeues WHERE recipient = $1 AND channel = $2 AND status = 'Processing' FOR UPDATE`,
		job.Recipient, job.Channel))
	if errors.Is(err, pgx.ErrNoRows) {
		return dip.RequeueJob{}, nil
	}
	if err != nil {
		return dip.RequeueJob{}, err
	}
	ended := j.Effective(job.Started)
	if ended.Status == dip.RequeueProcessing {
		return j, dip.ErrRequeueRunning
	}
	_, err = tx.Exec(ctx, `UPDATE requeues SET status = $1 WHERE id = $2`, string(ended.Status), j.ID)
	return dip.RequeueJob{}, err
}

// UpdateRequeue records a job's progress or end.
func (db *DB) UpdateRequeue(ctx context.Context, job dip.RequeueJob) error {
	tag, err := db.pool.Exec(ctx, `UPDATE requeues SET status = $1, total = $2, processed = $3, updated = $4 WHERE id = $5`,
		string(job.Status), job.Total, job.Processed, dip.Micros(job.Updated), job.ID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return dip.ErrNotFound
	}
	return nil
}

// RequeueJobs returns the recipient's jobs on a channel, oldest first.
func (db *DB) RequeueJobs(ctx context.Context, recipient, channel, id string) ([]dip.RequeueJob, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+requeueCols+` FROM requeues WHERE recipient = $1 AND channel = $2 AND ($3 = '' OR id = $3)
		ORDER BY started, id`, recipient, channel, id)
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
