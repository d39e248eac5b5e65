package sqlite

import (
	"context"

	"github.com/mhhs/mhhs/internal/dip"
)

var _ dip.QueueStater = (*DB)(nil)

// Queues reports each recipient's undelivered messages and the oldest's
// acceptance time, for metrics. The deliveries table holds only
// undelivered rows, so this reads the queues and no history.
func (db *DB) Queues(ctx context.Context) ([]dip.QueueStat, error) {
	if err := db.caughtUp(ctx); err != nil {
		return nil, err
	}
	rows, err := db.r.QueryContext(ctx, `SELECT d.recipient, COUNT(*), MIN(m.accepted_at) FROM deliveries d JOIN messages m ON m.seq = d.seq
		GROUP BY d.recipient ORDER BY d.recipient`)
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
