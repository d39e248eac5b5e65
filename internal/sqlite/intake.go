package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/mhhs/mhhs/internal/dip"
)

// Intake is log first, index behind. Accept frames a group commit's
// messages as records of the intake log (bodies.go, record.go), whose
// writer makes them durable with one fdatasync per round, and answers then:
// the log is the durable record of an accepted message. A single indexer
// goroutine writes the SQLite rows (message, deliveries, registration
// update, and the log position they reach, in intake_state) in
// transactions of many group commits at once, without waiting for an fsync
// of SQLite's own, on the other core, while the next group commit is being
// made durable. After a crash, Open re-indexes the records past
// intake_state's position before it returns. Profiles of the earlier design
// (rows and bodies in one commit) had the committer busy with SQLite for
// 40 µs of every message's 56 and the second core idle (BENCHMARKS.md).
//
// What a reader sees stays as before: every read of messages or deliveries
// first waits until the index holds every message already answered
// (caughtUp), which takes as long as one index transaction at most.
//
// Three things must be right before a message is answered, and are:
//   - Duplicates: the (sender, senderUniqueReference) keys of the messages
//     not yet indexed are kept in memory; Accept looks there, then in SQLite.
//   - Registration updates: a message that changes an MPAN's parties runs a
//     function the log cannot hold, and later routing depends on it. A group
//     commit with one is flagged in the log (recordSync) and answered only
//     once indexed; no later commit starts before. So if a crash comes first,
//     it is the log's last commit and was never answered: recovery cuts it.
//   - Back-pressure: at most maxIndexLag messages wait for the index, so
//     intake cannot run ahead of what the index sustains.
const (
	maxIndexLag   = 4096 // accepted messages not yet indexed, at most
	maxIndexBatch = 1024 // messages per index transaction, at most
	// The indexer waits up to indexLinger for minIndexBatch messages
	// unless a reader is waiting for it: an index transaction costs
	// 35 µs a message at 16 messages, 20 at 64 and 15 at 256
	// (BenchmarkIndex).
	minIndexBatch = 256
	indexLinger   = 2 * time.Millisecond
)

// intake is the state shared by Accept, the indexer and the readers.
type intake struct {
	acceptMu sync.Mutex // serialises Accept: seq order is log order
	next     int64      // the last seq given out; under acceptMu

	mu      sync.Mutex
	queue   []indexItem         // durable, not yet taken by the indexer
	keys    map[dupKey]struct{} // (sender, sur) of every message not yet indexed
	acked   int64               // the last seq made durable in the log
	indexed int64               // the last seq indexed
	seg     int64               // the segment where the indexed part of the log ends
	err     error               // sticky: intake stopped after a failure
	waiters int                 // readers waiting for the index to catch up
	closing bool
	changed chan struct{} // closed and replaced when indexed or err change
	work    chan struct{} // 1-buffered: the queue grew, or closing
	done    chan struct{} // closed when the indexer has stopped

	stats struct{ txns, indexed, nanos, throttled atomic.Int64 }
}

// IntakeStats are counters of the intake pipeline since the store opened.
type IntakeStats struct {
	LogRounds   int64               // writer rounds: one fdatasync each
	LogWrites   int64               // group commits written in them
	LogTime     time.Duration       // spent writing and syncing
	LogRoundsBy [RoundBuckets]int64 // rounds by duration (RoundPercentile)
	IndexTxns   int64               // index transactions
	Indexed     int64               // messages indexed in them
	IndexTime   time.Duration       // spent in them
	ThrottledAt int64               // group commits that waited for the index (maxIndexLag)
}

// IntakeStats returns the intake pipeline's counters.
func (db *DB) IntakeStats() IntakeStats {
	l, st := db.bodies, &db.in.stats
	var hist [RoundBuckets]int64
	var rounds int64
	for i := range hist {
		hist[i] = l.stats.hist[i].Load()
		rounds += hist[i]
	}
	return IntakeStats{LogRoundsBy: hist,
		LogRounds: rounds, LogWrites: l.stats.writes.Load(), LogTime: time.Duration(l.stats.nanos.Load()),
		IndexTxns: st.txns.Load(), Indexed: st.indexed.Load(), IndexTime: time.Duration(st.nanos.Load()), ThrottledAt: st.throttled.Load(),
	}
}

var errSecondary = errors.New("sqlite: another process (mhhs serve) holds this store's intake log; messages are accepted there")

// indexNice is the indexer thread's nice value (Linux). With the indexer at
// the same priority as the intake path, BenchmarkIntake's log rounds had a
// p99 of 3.4 ms against 1.5 ms without an indexer; at nice 10 intake ran
// about 15% faster with a lower p99 (BENCHMARKS.md). Back-pressure
// (maxIndexLag) keeps a starved indexer from falling behind for long.
const indexNice = 10

type dupKey struct{ sender, sur string }

// indexItem is a durable message waiting for its rows.
type indexItem struct {
	m          dip.Message // without Body
	recipients string      // dip.EncodeRecipients(m.Recipients)
	ref        bodyRef
}

// init readies the state every opener uses, with intake or without.
func (in *intake) init() {
	in.keys, in.changed = map[dupKey]struct{}{}, make(chan struct{})
}

// signal wakes every waiter; in.mu is held.
func (in *intake) signal() {
	close(in.changed)
	in.changed = make(chan struct{})
}

// wait returns when cond holds (checked with in.mu held), or the intake
// failed, or ctx ends.
func (in *intake) wait(ctx context.Context, cond func() bool) error {
	for {
		in.mu.Lock()
		if in.err != nil {
			err := in.err
			in.mu.Unlock()
			return err
		}
		if cond() {
			in.mu.Unlock()
			return nil
		}
		ch := in.changed
		in.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// fail stops intake: nothing more is accepted until the store is reopened
// and has recovered from the log.
func (in *intake) fail(err error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.err == nil {
		in.err = fmt.Errorf("sqlite: intake stopped, reopen the store to recover: %w", err)
		in.signal()
	}
}

// caughtUp returns once the index holds every message answered so far.
func (db *DB) caughtUp(ctx context.Context) error {
	in := &db.in
	in.mu.Lock()
	target := in.acked
	in.mu.Unlock()
	return in.waitIndexed(ctx, target)
}

// waitIndexed returns once seq is indexed; the indexer stops lingering
// meanwhile.
func (in *intake) waitIndexed(ctx context.Context, seq int64) error {
	in.mu.Lock()
	if in.indexed >= seq && in.err == nil {
		in.mu.Unlock()
		return nil
	}
	in.waiters++
	in.mu.Unlock()
	in.poke()
	defer func() {
		in.mu.Lock()
		in.waiters--
		in.mu.Unlock()
	}()
	return in.wait(ctx, func() bool { return in.indexed >= seq })
}

// poke wakes the indexer.
func (in *intake) poke() {
	select {
	case in.work <- struct{}{}:
	default:
	}
}

// Flush returns once every accepted message is in the index (the benchmark
// counts that time as part of intake).
func (db *DB) Flush(ctx context.Context) error { return db.caughtUp(ctx) }

// Accept makes messages durable in the intake log and queues their rows for
// the indexer; see intake above. A message whose sender already used its
// senderUniqueReference comes back Duplicate and takes no seq.
//
// Group commits take their place in the log, and their seqs, in the order
// they reach acceptMu, which they hold only for that; the log writer makes
// them durable in that order, and queues them for the index as it does.
func (db *DB) Accept(ctx context.Context, msgs []*dip.Message) ([]dip.AcceptResult, error) {
	out := make([]dip.AcceptResult, len(msgs))
	in := &db.in
	if db.lock == nil { // another process holds the intake log
		return nil, errSecondary
	}
	in.acceptMu.Lock()
	items, buf, sync, err := db.frame(ctx, msgs, out)
	if err != nil || len(items) == 0 {
		in.acceptMu.Unlock()
		return out, err
	}
	last := items[len(items)-1].m.Seq
	durable := make(chan error, 1)
	db.bodies.reserve(buf, func(seg, start int64, err error) {
		// On the writer, in log order.
		if err != nil {
			// What the failed write left on disk may be durable or
			// not: stop, and let recovery read what the log holds.
			in.fail(err)
		} else {
			for i := range items {
				items[i].ref.seg, items[i].ref.off = seg, start+items[i].ref.off
			}
			in.mu.Lock()
			in.queue = append(in.queue, items...)
			in.acked = last
			in.signal()
			in.mu.Unlock()
			in.poke()
		}
		durable <- err
	})
	if !sync {
		in.acceptMu.Unlock()
		if err := <-durable; err != nil {
			return nil, err
		}
		return out, nil
	}
	// A commit with a registration update keeps acceptMu until it is
	// indexed, so no commit is written after it before then.
	defer in.acceptMu.Unlock()
	if err := <-durable; err != nil {
		return nil, err
	}
	if err := in.waitIndexed(context.WithoutCancel(ctx), last); err != nil {
		return nil, err
	}
	return out, nil
}

// frame gives msgs their seqs and frames them as log records (buf); it
// marks duplicates in out and fills in the seqs of the others. acceptMu is
// held. items come back with body offsets relative to buf; sync reports a
// registration update among them.
func (db *DB) frame(ctx context.Context, msgs []*dip.Message, out []dip.AcceptResult) (items []indexItem, buf []byte, sync bool, err error) {
	in := &db.in
	if len(msgs) == 0 {
		return nil, nil, false, nil
	}
	in.mu.Lock()
	if in.acked-in.indexed >= maxIndexLag {
		in.stats.throttled.Add(1)
	}
	in.mu.Unlock()
	if err := in.wait(ctx, func() bool { return in.acked-in.indexed < maxIndexLag }); err != nil {
		return nil, nil, false, err
	}
	dup, err := db.duplicates(ctx, msgs)
	if err != nil {
		return nil, nil, false, err
	}
	var flags byte
	size := 0
	for i, m := range msgs {
		if !dup[i] && m.UpdateParties != nil {
			flags = recordSync
		}
		size += s2.MaxEncodedLen(len(m.Body)) + 512 // the record's head: ids, and its recipients' JSON
	}
	buf = make([]byte, 0, size)
	items = make([]indexItem, 0, len(msgs))
	var body []byte // compressed: appends go to compressed segments
	for i, m := range msgs {
		if dup[i] {
			out[i].Duplicate = true
			continue
		}
		in.next++
		m.Seq, out[i].Seq = in.next, in.next
		it := indexItem{m: *m, recipients: dip.EncodeRecipients(m.Recipients)}
		it.m.Body = nil
		body = s2.Encode(body[:cap(body)], m.Body)
		r := logRecord{flags: flags, seq: m.Seq, acceptedAt: dip.Micros(m.AcceptedAt), body: body, fields: [nFields]string{
			m.TransactionID, m.Channel, m.EventCode, m.SenderDIPID, m.SenderRole, m.SenderUniqueReference, m.CorrelationID, m.MPAN, it.recipients,
		}}
		var at int
		buf, at = appendRecord(buf, &r)
		it.ref = bodyRef{off: int64(at), n: int64(len(body))}
		items = append(items, it)
	}
	in.mu.Lock()
	for i := range items { // the next commit's duplicates check sees these
		in.keys[dupKey{items[i].m.SenderDIPID, items[i].m.SenderUniqueReference}] = struct{}{}
	}
	in.mu.Unlock()
	return items, buf, flags != 0, nil
}

// probeChunk is how many references one duplicate probe asks for.
const probeChunk = 32

// duplicates reports which messages repeat a (sender, senderUniqueReference)
// already accepted, or an earlier one of msgs. Keys not yet indexed are
// looked up in memory first, then SQLite: a key leaves memory only after its
// rows commit, so one of the two lookups finds it.
func (db *DB) duplicates(ctx context.Context, msgs []*dip.Message) ([]bool, error) {
	in := &db.in
	dup := make([]bool, len(msgs))
	seen := make(map[dupKey]bool, len(msgs))
	bySender := map[string][]int{}
	in.mu.Lock()
	for i, m := range msgs {
		k := dupKey{m.SenderDIPID, m.SenderUniqueReference}
		_, queued := in.keys[k]
		if seen[k] || queued {
			dup[i] = true
			continue
		}
		seen[k] = true
		bySender[m.SenderDIPID] = append(bySender[m.SenderDIPID], i)
	}
	in.mu.Unlock()
	st, err := db.stmt(ctx, db.r, `SELECT sur FROM messages WHERE sender = ? AND sur IN (`+placeholders(probeChunk)+`)`)
	if err != nil {
		return nil, err
	}
	args := make([]any, 1+probeChunk)
	for sender, idx := range bySender {
		for lo := 0; lo < len(idx); lo += probeChunk {
			chunk := idx[lo:min(lo+probeChunk, len(idx))]
			args[0] = sender
			for j := range probeChunk { // pad with the last reference
				args[1+j] = msgs[chunk[min(j, len(chunk)-1)]].SenderUniqueReference
			}
			rows, err := st.QueryContext(ctx, args...)
			if err != nil {
				return nil, err
			}
			found := map[string]bool{}
			for rows.Next() {
				var sur string
				if err := rows.Scan(&sur); err != nil {
					rows.Close()
					return nil, err
				}
				found[sur] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
			for _, i := range chunk {
				dup[i] = found[msgs[i].SenderUniqueReference]
			}
		}
	}
	return dup, nil
}

// indexLoop is the indexer: it writes the rows of queued messages, many
// group commits per transaction, until the store closes.
func (db *DB) indexLoop() {
	in := &db.in
	defer close(in.done)
	lowerPriority()
	var lingering time.Time // since when a small queue has waited
	for {
		in.mu.Lock()
		n := min(len(in.queue), maxIndexBatch)
		if n > 0 && n < minIndexBatch && in.waiters == 0 && !in.closing {
			if lingering.IsZero() {
				lingering = time.Now()
			}
			if wait := indexLinger - time.Since(lingering); wait > 0 {
				in.mu.Unlock()
				t := time.NewTimer(wait)
				select {
				case <-in.work:
				case <-t.C:
				}
				t.Stop()
				continue
			}
		}
		lingering = time.Time{}
		items := in.queue[:n:n]
		in.queue = in.queue[n:]
		if len(in.queue) == 0 {
			in.queue = nil
		}
		closing := in.closing
		in.mu.Unlock()
		if n == 0 {
			if closing {
				return
			}
			<-in.work
			continue
		}
		start := time.Now()
		err := db.index(context.Background(), items)
		in.stats.txns.Add(1)
		in.stats.indexed.Add(int64(n))
		in.stats.nanos.Add(int64(time.Since(start)))
		if err != nil {
			in.fail(fmt.Errorf("indexing the intake log: %w", err))
			return
		}
		last := items[n-1]
		in.mu.Lock()
		in.indexed, in.seg = last.m.Seq, last.ref.seg
		for i := range items {
			delete(in.keys, dupKey{items[i].m.SenderDIPID, items[i].m.SenderUniqueReference})
		}
		in.signal()
		in.mu.Unlock()
	}
}

// stopIndexer lets the indexer finish the queue and stops it.
func (db *DB) stopIndexer() {
	in := &db.in
	if in.done == nil {
		return
	}
	in.mu.Lock()
	in.closing = true
	in.mu.Unlock()
	in.poke()
	<-in.done
	in.fail(errors.New("store closed"))
}

// index writes the rows of items (consecutive seqs) in one transaction: the
// messages, a delivery per recipient, registration updates, and the log
// position reached.
func (db *DB) index(ctx context.Context, items []indexItem) error {
	chunks, err := db.insertStmts(ctx, insertMessageHead, messageCols15, len(items))
	if err != nil {
		return err
	}
	nd := 0
	for i := range items {
		nd += len(items[i].m.Recipients)
	}
	delChunks, err := db.insertStmts(ctx, `INSERT OR ROLLBACK INTO deliveries (recipient, seq, status, next_attempt) VALUES `, 4, nd)
	if err != nil {
		return err
	}
	last := items[len(items)-1]
	// The log is the durable record of these rows: their commit need not
	// wait for an fsync of SQLite's WAL (a power cut that takes the last
	// index commits is mended from the log on open, as a crash is). Not so
	// for a registration update: its group commit is answered once indexed,
	// and recovery cuts a record of one that is not indexed (recordSync),
	// so the commit that indexes it must survive a power cut: it commits
	// with synchronous=FULL.
	commit := db.unsyncedTx
	msgArgs, delArgs := make([]any, 0, messageCols15*len(items)), make([]any, 0, 4*nd)
	for i := range items {
		if items[i].m.UpdateParties != nil { // as frame flags recordSync
			commit = db.tx
		}
		m, ref := &items[i].m, items[i].ref
		msgArgs = append(msgArgs, m.Seq, m.TransactionID, m.Channel, m.EventCode, m.SenderDIPID, m.SenderRole, m.SenderUniqueReference,
			m.CorrelationID, nullable(m.MPAN), dip.Micros(m.AcceptedAt), false, items[i].recipients, ref.seg, ref.off, ref.n)
		for _, r := range m.Recipients {
			delArgs = append(delArgs, r.DIPID, m.Seq, "Pending", dip.Micros(m.AcceptedAt))
		}
	}
	return commit(ctx, func(tx *sql.Tx) error {
		if err := execChunks(ctx, tx, chunks, messageCols15, msgArgs); err != nil {
			return err
		}
		if err := execChunks(ctx, tx, delChunks, 4, delArgs); err != nil {
			return err
		}
		for i := range items {
			m := &items[i].m
			if m.UpdateParties == nil || m.MPAN == "" {
				continue
			}
			updated, err := db.updateParties(ctx, tx, m)
			if err != nil {
				return err
			}
			if updated {
				if _, err := tx.ExecContext(ctx, `UPDATE messages SET mpan_updated = 1 WHERE seq = ?`, m.Seq); err != nil {
					return err
				}
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE intake_state SET last_seq = ?, seg = ?, off = ? WHERE id = 1`,
			last.m.Seq, last.ref.seg, last.ref.off+last.ref.n)
		return err
	})
}

// recoverIntake brings the index up to the log after a crash, before the
// store is used: it reads the log from the position intake_state records,
// indexes every intact record past it, and cuts the log at the first record
// that is not intact (a write the crash interrupted, never answered) or that
// belongs to a group commit answered only once indexed (recordSync), which
// was not. A damaged record followed by newer segments is an error: the log
// is damaged, not merely cut short.
func (db *DB) recoverIntake(ctx context.Context) error {
	var last, stSeg, stOff int64
	if err := db.w.QueryRowContext(ctx, `SELECT last_seq, seg, off FROM intake_state WHERE id = 1`).Scan(&last, &stSeg, &stOff); err != nil {
		return err
	}
	l := db.bodies
	if l.format == segBare {
		// A segment of bare bodies (before migration 0004): bytes past the
		// last indexed body belong to a commit that did not happen.
		end := int64(0)
		if stSeg == l.id {
			end = stOff
		}
		if err := l.truncate(end); err != nil {
			return err
		}
	}
	ids, err := l.segments()
	if err != nil {
		return err
	}
	var items []indexItem
	for k, id := range ids {
		if id < stSeg {
			continue
		}
		data, err := readFile(l.fs, segmentName(l.dir, id))
		if err != nil {
			return err
		}
		if formatOf(data) == segBare {
			continue // bare bodies: the indexed ones are referenced, the rest never were
		}
		pos := len(logMagic)
		if id == stSeg {
			pos = max(pos, int(stOff))
		}
	scan:
		for pos < len(data) {
			rec, n, bodyAt, err := decodeRecord(data[pos:])
			switch {
			case err == nil && rec.seq <= last: // indexed, then purged
			case errors.Is(err, errTorn) || rec.flags&recordSync != 0: // the unanswered tail
				if k != len(ids)-1 {
					return fmt.Errorf("sqlite: intake log segment %d damaged at offset %d, before newer segments", id, pos)
				}
				if err := l.truncate(int64(pos)); err != nil {
					return err
				}
				break scan
			case rec.seq == last+1:
				m := dip.Message{Seq: rec.seq, AcceptedAt: dip.FromMicros(rec.acceptedAt),
					TransactionID: rec.fields[fTransactionID], Channel: rec.fields[fChannel], EventCode: rec.fields[fEventCode],
					SenderDIPID: rec.fields[fSender], SenderRole: rec.fields[fSenderRole], SenderUniqueReference: rec.fields[fSUR],
					CorrelationID: rec.fields[fCorrelationID], MPAN: rec.fields[fMPAN], Recipients: dip.DecodeRecipients(rec.fields[fRecipients])}
				items = append(items, indexItem{m: m, recipients: rec.fields[fRecipients], ref: bodyRef{seg: id, off: int64(pos + bodyAt), n: int64(len(rec.body))}})
				last = rec.seq
			default:
				return fmt.Errorf("sqlite: intake log segment %d damaged at offset %d: record seq %d where %d was due", id, pos, rec.seq, last+1)
			}
			pos += n
		}
	}
	// Appends go to a compressed segment, after a segment of bare bodies
	// or of plain records.
	if err := l.startCompressed(); err != nil {
		return err
	}
	for len(items) > 0 {
		n := min(len(items), maxIndexBatch)
		if err := db.index(ctx, items[:n]); err != nil {
			return err
		}
		stSeg = items[n-1].ref.seg
		items = items[n:]
	}
	in := &db.in
	in.next, in.acked, in.indexed, in.seg = last, last, last, stSeg
	in.work, in.done = make(chan struct{}, 1), make(chan struct{})
	go db.indexLoop()
	l.startWriter()
	return nil
}
