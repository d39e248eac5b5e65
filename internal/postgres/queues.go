package postgres

import (
	"context"

	"github.com/mhhs/mhhs/internal/dip"
)

var _ dip.QueueStater = (*DB)(nil)

// Queues reports each recipient's undelivered messages and the oldest's
// acceptance time, for metrics (the deliveries_order index covers the
// undelivered rows).
func (db *DB) Queues(ctx context.Context) ([]dip.QueueStat, error) {
	rows, err := db.pool.Query(ctx, `SELECT d.recipient, COUNT(*), MIN(m.accepted_at) FROM deliveries d JOIN messages m ON m.seq = d.seq
		WHERE d.status IN ('Pending', 'Retrying') GROUP BY d.recipient ORDER BY d.recipient`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dip.QueueStat
	for rows.Next() {
		var q dip.QueueStat
		var oldest int64
		if err := rows.Scan(&q.Recipient, &q.Pending, &oldest); err != nil {
			return nil, err
		}
		q.Oldest = dip.FromMicros(oldest)
		out = append(out, q)
	}
	return out, rows.Err()
}
