package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/mhhs/mhhs/internal/dip"
)

var _ dip.ArchiveIndex = (*DB)(nil)

// ArchiveCandidates returns the messages Purge(cutoff) would delete after
// afterSeq, at most limit, with their outcomes, attempts and bodies.
func (db *DB) ArchiveCandidates(ctx context.Context, cutoff time.Time, afterSeq int64, limit int) ([]dip.ArchivedMessage, error) {
	if err := db.caughtUp(ctx); err != nil {
		return nil, err
	}
	bound, err := db.firstSeqAtOrAfter(ctx, dip.Micros(cutoff))
	if err != nil {
		return nil, err
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+messageCols+`, m.body_seg, m.body_off, m.body_len FROM messages m
		WHERE seq > ? AND seq < ? AND accepted_at < ?
		AND NOT EXISTS (SELECT 1 FROM json_each(m.recipients) r JOIN deliveries d ON d.recipient = r.value ->> 2 AND d.seq = m.seq)
		ORDER BY seq LIMIT ?`, afterSeq, bound, dip.Micros(cutoff), limit)
	if err != nil {
		return nil, err
	}
	var out []dip.ArchivedMessage
	at := map[int64]int{}
	for rows.Next() {
		m, updated, err := db.scanMessage(rows, true)
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
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	lo, hi := out[0].Seq, out[len(out)-1].Seq
	// The outcomes, from deliveries_done (every delivery of a candidate
	// has ended).
	rows, err = db.r.QueryContext(ctx, `SELECT d.seq, d.recipient, d.status, d.attempts, d.last_error
		FROM messages m, json_each(m.recipients) r JOIN deliveries_done d ON d.recipient = r.value ->> 2 AND d.seq = m.seq
		WHERE m.seq BETWEEN ? AND ?`, lo, hi)
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
		i, ok := at[seq]
		if !ok {
			continue
		}
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
	rows, err = db.r.QueryContext(ctx, `SELECT seq, recipient, at, duration_us, status_code, status, error FROM attempts
		WHERE seq BETWEEN ? AND ? ORDER BY seq, at, rowid`, lo, hi)
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
		if i, ok := at[seq]; ok {
			a.At, a.Status = dip.FromMicros(when), dip.Status(status)
			out[i].Attempts = append(out[i].Attempts, a)
		}
	}
	return out, rows.Err()
}

// archiveDay is a location's day in the index: days since 1970-01-01.
func archiveDay(t time.Time) int64 { return t.Unix() / 86400 }

// PurgeArchived deletes the archived messages still purgeable, recording
// their index entries, then the old rejections and requeue jobs.
func (db *DB) PurgeArchived(ctx context.Context, cutoff time.Time, entries []dip.ArchiveEntry) (int, error) {
	if err := db.caughtUp(ctx); err != nil {
		return 0, err
	}
	seqs := make([]int64, len(entries))
	index := make([][4]int64, len(entries))
	for i, e := range entries {
		seqs[i] = e.Seq
		index[i] = [4]int64{e.Seq, dip.ArchiveKey(e.Sender, e.SenderUniqueReference), archiveDay(e.Location.Day), e.Location.Offset}
	}
	seqJSON, _ := json.Marshal(seqs)
	indexJSON, _ := json.Marshal(index)
	var n int
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := resetPurgeSeqs(ctx, tx); err != nil {
			return err
		}
		// Still purgeable: a delivery requeued since the candidates were
		// read keeps its message (its archive line is then a spare copy).
		if _, err := tx.ExecContext(ctx, `INSERT INTO purge_seqs SELECT seq FROM messages m
			WHERE seq IN (SELECT value FROM json_each(?)) AND accepted_at < ?
			AND NOT EXISTS (SELECT 1 FROM json_each(m.recipients) r JOIN deliveries d ON d.recipient = r.value ->> 2 AND d.seq = m.seq)`,
			string(seqJSON), dip.Micros(cutoff)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO archive_index (key, day, off)
			SELECT e.value ->> 1, e.value ->> 2, e.value ->> 3 FROM json_each(?) e
			WHERE e.value ->> 0 IN (SELECT seq FROM purge_seqs)`, string(indexJSON)); err != nil {
			return err
		}
		var err error
		n, err = deletePurged(ctx, tx, cutoff)
		return err
	})
	if err != nil || n == 0 {
		return n, err
	}
	return n, db.removeUnusedSegments(ctx)
}

// ArchivedAt returns the index's locations of a sender's reference, newest
// first.
func (db *DB) ArchivedAt(ctx context.Context, sender, sur string) ([]dip.ArchiveLocation, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT day, off FROM archive_index WHERE key = ? ORDER BY day DESC, off DESC`, dip.ArchiveKey(sender, sur))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dip.ArchiveLocation
	for rows.Next() {
		var day, off int64
		if err := rows.Scan(&day, &off); err != nil {
			return nil, err
		}
		out = append(out, dip.ArchiveLocation{Day: time.Unix(day*86400, 0).UTC(), Offset: off})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, dip.ErrNotFound
	}
	return out, nil
}
