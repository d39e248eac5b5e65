package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/mhhs/mhhs/internal/dip"
)

var _ dip.ArchiveIndex = (*DB)(nil)

// finalStatuses are the statuses of ended deliveries, as SQL.
const finalStatuses = `('Delivered', 'RejectedByRecipient', 'RetriesExhausted')`

// ArchiveCandidates returns the messages Purge(cutoff) would delete after
// afterSeq, at most limit, with their outcomes, attempts and bodies. As in
// the SQLite store, candidates are sought below the first seq accepted at
// or after cutoff (seq follows acceptance; a straggler waits for the next
// purge), so that a batch walks the primary key.
func (db *DB) ArchiveCandidates(ctx context.Context, cutoff time.Time, afterSeq int64, limit int) ([]dip.ArchivedMessage, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+messageCols+`, m.body, m.body_codec FROM messages m
		WHERE m.seq > $1 AND m.accepted_at < $2
		AND m.seq < COALESCE((SELECT min(seq) FROM messages WHERE accepted_at >= $2), 9223372036854775807)
		AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.seq = m.seq AND d.status NOT IN `+finalStatuses+`)
		ORDER BY m.seq LIMIT $3`, afterSeq, dip.Micros(cutoff), limit)
	if err != nil {
		return nil, err
	}
	var out []dip.ArchivedMessage
	var seqs []int64
	at := map[int64]int{}
	for rows.Next() {
		m, updated, err := scanMessage(rows, true)
		if err != nil {
			rows.Close()
			return nil, err
		}
		a := dip.ArchivedMessage{Seq: m.Seq, TransactionID: m.TransactionID, Channel: m.Channel, EventCode: m.EventCode,
			Sender: m.SenderDIPID, SenderRole: m.SenderRole, SenderUniqueReference: m.SenderUniqueReference, CorrelationID: m.CorrelationID,
			MPAN: m.MPAN, AcceptedAt: m.AcceptedAt, MPANUpdated: updated, Body: m.Body, Attempts: []dip.ArchivedAttempt{}}
		for _, r := range m.Recipients {
			a.Recipients = append(a.Recipients, dip.ArchivedRecipient{DIPID: r.DIPID, Role: r.Role, Route: r.Route})
		}
		at[m.Seq] = len(out)
		out = append(out, a)
		seqs = append(seqs, m.Seq)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	rows, err = db.pool.Query(ctx, `SELECT seq, recipient, status, attempts, last_error FROM deliveries WHERE seq = ANY($1)`, seqs)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var seq int64
		var o dip.ArchivedRecipient
		var status string
		if err := rows.Scan(&seq, &o.DIPID, &status, &o.Attempts, &o.LastError); err != nil {
			rows.Close()
			return nil, err
		}
		i := at[seq]
		for j := range out[i].Recipients {
			if r := &out[i].Recipients[j]; r.DIPID == o.DIPID {
				r.Status, r.Attempts, r.LastError = dip.Status(status), o.Attempts, o.LastError
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = db.pool.Query(ctx, `SELECT seq, recipient, at, duration_us, status_code, status, error FROM attempts
		WHERE seq = ANY($1) ORDER BY seq, at, id`, seqs)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var seq, when int64
		var a dip.ArchivedAttempt
		var status string
		if err := rows.Scan(&seq, &a.Recipient, &when, &a.DurationUS, &a.StatusCode, &status, &a.Error); err != nil {
			return nil, err
		}
		i := at[seq]
		a.At, a.Status = dip.FromMicros(when), dip.Status(status)
		out[i].Attempts = append(out[i].Attempts, a)
	}
	return out, rows.Err()
}

// PurgeArchived deletes the archived messages still purgeable, recording
// their index entries, then the old rejections and requeue jobs.
func (db *DB) PurgeArchived(ctx context.Context, cutoff time.Time, entries []dip.ArchiveEntry) (int, error) {
	seqs := make([]int64, len(entries))
	keys := make([]int64, len(entries))
	days := make([]int32, len(entries))
	offs := make([]int64, len(entries))
	for i, e := range entries {
		seqs[i], keys[i], offs[i] = e.Seq, dip.ArchiveKey(e.Sender, e.SenderUniqueReference), e.Location.Offset
		days[i] = int32(e.Location.Day.Unix() / 86400)
	}
	var n int64
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if len(seqs) > 0 {
			// As Purge: under READ COMMITTED a delivery requeued since the
			// candidates were read survives, and keeps its message (its
			// archive line is then a spare copy).
			if _, err := tx.Exec(ctx, `DELETE FROM deliveries d USING messages m
				WHERE d.seq = m.seq AND m.seq = ANY($1) AND m.accepted_at < $2 AND d.status IN `+finalStatuses+`
				AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.seq = d.seq AND e.status NOT IN `+finalStatuses+`)`, seqs, dip.Micros(cutoff)); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `WITH p AS (
				DELETE FROM messages m WHERE seq = ANY($1) AND accepted_at < $2 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.seq = m.seq) RETURNING seq
			), a AS (
				DELETE FROM attempts WHERE seq IN (SELECT seq FROM p)
			), i AS (
				INSERT INTO archive_index (key, day, off)
				SELECT e.key, e.day, e.off FROM unnest($1::bigint[], $3::bigint[], $4::int[], $5::bigint[]) AS e (seq, key, day, off)
				JOIN p ON p.seq = e.seq
				ON CONFLICT DO NOTHING
			)
			SELECT count(*) FROM p`, seqs, dip.Micros(cutoff), keys, days, offs).Scan(&n); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM rejections WHERE at < $1`, dip.Micros(cutoff)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM requeues WHERE updated < $1`, dip.Micros(cutoff))
		return err
	})
	return int(n), err
}

// ArchivedAt returns the index's locations of a sender's reference, newest
// first.
func (db *DB) ArchivedAt(ctx context.Context, sender, sur string) ([]dip.ArchiveLocation, error) {
	rows, err := db.pool.Query(ctx, `SELECT day, off FROM archive_index WHERE key = $1 ORDER BY day DESC, off DESC`, dip.ArchiveKey(sender, sur))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dip.ArchiveLocation
	for rows.Next() {
		var day int32
		var off int64
		if err := rows.Scan(&day, &off); err != nil {
			return nil, err
		}
		out = append(out, dip.ArchiveLocation{Day: time.Unix(int64(day)*86400, 0).UTC(), Offset: off})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, dip.ErrNotFound
	}
	return out, nil
}
