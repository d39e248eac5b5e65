package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/dip"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

const recipient = "1800000001"

func bodyMsg(sur string, at time.Time) *dip.Message {
	return &dip.Message{
		TransactionID: dip.NewTransactionID("IF-021", "1200000001", "SDS", at), Channel: "IF-021", EventCode: "[ActivePower]",
		SenderDIPID: "1200000001", SenderRole: "SDS", SenderUniqueReference: sur, AcceptedAt: at,
		Recipients: []dip.Recipient{{DIPID: recipient, Role: "MDS", Route: dip.Always}},
		Body:       []byte(`{"sur":"` + sur + `"}`),
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func segmentIDs(t *testing.T, db *DB) []int64 {
	t.Helper()
	ids, err := db.bodies.segments()
	mustDo(t, err)
	return ids
}

// claimBodies claims every due delivery to recipient and returns the bodies.
func claimBodies(t *testing.T, db *DB, now time.Time) []string {
	t.Helper()
	ds, err := db.ClaimDue(context.Background(), dip.ClaimQuery{Now: now, Limit: 100, Owner: "test", Lease: time.Nanosecond,
		Targets: []dip.Target{{Recipient: recipient}}})
	mustDo(t, err)
	var out []string
	for _, d := range ds {
		out = append(out, string(d.Body))
	}
	return out
}

// TestPurgeRemovesSegmentsBelowOldestMessage: with one body segment per
// commit, a purge removes exactly the segments older than the oldest
// message left, and the bodies of the messages left stay readable.
func TestPurgeRemovesSegmentsBelowOldestMessage(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "mhhs.db"))
	mustDo(t, err)
	defer db.Close()
	db.bodies.maxSize = 1 // every commit after the first starts a segment
	var seqs []int64
	for _, m := range []*dip.Message{bodyMsg("S-1", t0), bodyMsg("S-2", t0), bodyMsg("S-3", t0.Add(48*time.Hour))} {
		res, err := db.Accept(ctx, []*dip.Message{m})
		mustDo(t, err)
		seqs = append(seqs, res[0].Seq)
	}
	if got := segmentIDs(t, db); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Fatalf("segments %v, want [1 2 3]", got)
	}
	deliver := func(seq int64) {
		mustDo(t, db.Complete(ctx, []dip.Attempt{{Seq: seq, Recipient: recipient, At: t0, StatusCode: 201, Status: dip.StatusDelivered}}, 0))
	}
	deliver(seqs[0])
	n, err := db.Purge(ctx, t0.Add(24*time.Hour))
	mustDo(t, err)
	if got := segmentIDs(t, db); n != 1 || !slices.Equal(got, []int64{2, 3}) {
		t.Errorf("first purge: %d purged, segments %v; want 1 and [2 3] (S-2 is undelivered)", n, got)
	}
	deliver(seqs[1])
	n, err = db.Purge(ctx, t0.Add(24*time.Hour))
	mustDo(t, err)
	if got := segmentIDs(t, db); n != 1 || !slices.Equal(got, []int64{3}) {
		t.Errorf("second purge: %d purged, segments %v; want 1 and [3]", n, got)
	}
	if got := claimBodies(t, db, t0.Add(49*time.Hour)); !slices.Equal(got, []string{`{"sur":"S-3"}`}) {
		t.Errorf("bodies left %q, want S-3's", got)
	}
}

// TestReopenCutsTornTail: bytes past the last intact record (a write that
// a crash interrupted, never answered) are cut off on open, and the next
// records go where they were. A duplicate writes nothing.
func TestReopenCutsTornTail(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mhhs.db")
	db, err := Open(ctx, path)
	mustDo(t, err)
	_, err = db.Accept(ctx, []*dip.Message{bodyMsg("S-1", t0)})
	mustDo(t, err)
	seg := segmentName(path+"-bodies", 1)
	size := func() int64 {
		fi, err := os.Stat(seg)
		mustDo(t, err)
		return fi.Size()
	}
	end := size()
	res, err := db.Accept(ctx, []*dip.Message{bodyMsg("S-1", t0)})
	mustDo(t, err)
	if !res[0].Duplicate || size() != end {
		t.Fatalf("second S-1: %+v, log %d bytes; want a duplicate that writes nothing (%d bytes)", res[0], size(), end)
	}
	mustDo(t, db.Close())
	// A whole record but for its last byte, then garbage.
	torn, _ := appendRecord(nil, &logRecord{seq: 2, body: []byte(`{"sur":"S-9"}`)})
	f, err := os.OpenFile(seg, os.O_WRONLY|os.O_APPEND, 0)
	mustDo(t, err)
	_, err = f.Write(append(torn[:len(torn)-1], "garbage"...))
	mustDo(t, err)
	f.Close()

	db, err = Open(ctx, path)
	mustDo(t, err)
	defer db.Close()
	if size() != end {
		t.Fatalf("segment after reopen: %d bytes; want %d (only S-1's record)", size(), end)
	}
	res, err = db.Accept(ctx, []*dip.Message{bodyMsg("S-2", t0)})
	mustDo(t, err)
	if res[0].Seq != 2 {
		t.Errorf("S-2 got seq %d, want 2", res[0].Seq)
	}
	if got := claimBodies(t, db, t0); !slices.Equal(got, []string{`{"sur":"S-1"}`, `{"sur":"S-2"}`}) {
		t.Errorf("bodies %q, want S-1's and S-2's", got)
	}
}

// TestRecoverRefusesSeqGap: a whole, intact record whose seq is not the
// next one is damage, not a message: recovery refuses the log rather than
// index a message out of order (or one that was never acknowledged).
func TestRecoverRefusesSeqGap(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mhhs.db")
	db, err := Open(ctx, path)
	mustDo(t, err)
	_, err = db.Accept(ctx, []*dip.Message{bodyMsg("S-1", t0)})
	mustDo(t, err)
	mustDo(t, db.Close())
	gap, _ := appendRecord(nil, &logRecord{seq: 3, acceptedAt: dip.Micros(t0), body: []byte(`{"sur":"S-3"}`)})
	f, err := os.OpenFile(segmentName(path+"-bodies", 1), os.O_WRONLY|os.O_APPEND, 0)
	mustDo(t, err)
	_, err = f.Write(gap)
	mustDo(t, err)
	mustDo(t, f.Close())

	db, err = Open(ctx, path)
	if err == nil {
		db.Close()
		t.Fatal("opened a log whose last record skips seq 2")
	}
	if !strings.Contains(err.Error(), "seq 3 where 2 was due") {
		t.Errorf("open: %v, want the seq gap named", err)
	}
}

// loseIndex makes the database at path forget every message after seq
// keep, as a crash does to index transactions that had not committed when
// the log already held their records: the rows go and intake_state moves
// back to the end of keep's record.
func loseIndex(t *testing.T, path string, keep int64) {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+path)
	mustDo(t, err)
	defer db.Close()
	for _, q := range []string{
		`DELETE FROM deliveries WHERE seq > ?`,
		`DELETE FROM messages WHERE seq > ?`,
		`UPDATE intake_state SET last_seq = ?1,
			seg = COALESCE((SELECT body_seg FROM messages WHERE seq = ?1), 0),
			off = COALESCE((SELECT body_off + body_len FROM messages WHERE seq = ?1), 0)`,
	} {
		_, err := db.ExecContext(ctx, q, keep)
		mustDo(t, err)
	}
}

// TestRecoverReindexes: messages whose records are in the log but whose
// rows are not (the crash case) are indexed again on open, across segments,
// with their deliveries, journal and duplicate detection; and the next
// message follows them.
func TestRecoverReindexes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mhhs.db")
	db, err := Open(ctx, path)
	mustDo(t, err)
	db.bodies.maxSize = 200 // a few records per segment
	var want []string
	for i := 1; i <= 12; i++ {
		sur := fmt.Sprintf("S-%d", i)
		_, err := db.Accept(ctx, []*dip.Message{bodyMsg(sur, t0)})
		mustDo(t, err)
		want = append(want, `{"sur":"`+sur+`"}`)
	}
	mustDo(t, db.Close())
	for _, keep := range []int64{7, 0} { // lost mid-log, then lost entirely
		loseIndex(t, path, keep)
		db, err = Open(ctx, path)
		mustDo(t, err)
		if got := claimBodies(t, db, t0); !slices.Equal(got, want) {
			t.Errorf("after losing the index past %d: bodies %q, want %q", keep, got, want)
		}
		rec, err := db.Journal(ctx, "1200000001", "S-12")
		mustDo(t, err)
		if rec.Message.Seq != 12 {
			t.Errorf("S-12's journal: %+v", rec.Message)
		}
		res, err := db.Accept(ctx, []*dip.Message{bodyMsg("S-3", t0)})
		mustDo(t, err)
		if !res[0].Duplicate {
			t.Errorf("S-3 again after recovery: %+v, want a duplicate", res[0])
		}
		mustDo(t, db.Close())
	}
	db, err = Open(ctx, path)
	mustDo(t, err)
	defer db.Close()
	res, err := db.Accept(ctx, []*dip.Message{bodyMsg("S-13", t0)})
	mustDo(t, err)
	if res[0].Seq != 13 {
		t.Errorf("S-13 got seq %d, want 13", res[0].Seq)
	}
}

// TestRecoverCutsUnansweredSyncCommit: a group commit carrying a
// registration update is answered only once indexed, so a record of one
// that is not indexed was never answered: recovery cuts it (and what
// follows) instead of indexing it without its update.
func TestRecoverCutsUnansweredSyncCommit(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mhhs.db")
	db, err := Open(ctx, path)
	mustDo(t, err)
	_, err = db.Accept(ctx, []*dip.Message{bodyMsg("S-1", t0)})
	mustDo(t, err)
	reg := bodyMsg("S-2", t0)
	reg.MPAN = "1200023305967"
	reg.UpdateParties = func(p *dip.Parties) bool { p.Supplier = "2300000001"; return true }
	_, err = db.Accept(ctx, []*dip.Message{reg, bodyMsg("S-3", t0)})
	mustDo(t, err)
	parties, err := db.Parties(ctx, []string{reg.MPAN})
	mustDo(t, err)
	if parties[reg.MPAN].Supplier != "2300000001" {
		t.Fatalf("registration update not visible when Accept returned: %+v", parties[reg.MPAN])
	}
	mustDo(t, db.Close())
	loseIndex(t, path, 1) // as if the crash came before the index commit
	db, err = Open(ctx, path)
	mustDo(t, err)
	defer db.Close()
	if got := claimBodies(t, db, t0); !slices.Equal(got, []string{`{"sur":"S-1"}`}) {
		t.Errorf("bodies after recovery %q, want only S-1's", got)
	}
	res, err := db.Accept(ctx, []*dip.Message{bodyMsg("S-2", t0)})
	mustDo(t, err)
	if res[0].Duplicate || res[0].Seq != 2 {
		t.Errorf("S-2 resent after recovery: %+v, want accepted as seq 2", res[0])
	}
}

// TestRecoverRefusesDamageBeforeNewerSegments: a damaged record in a
// segment that newer segments follow is not a cut-short write; Open fails
// instead of dropping what follows.
func TestRecoverRefusesDamageBeforeNewerSegments(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mhhs.db")
	db, err := Open(ctx, path)
	mustDo(t, err)
	db.bodies.maxSize = 1
	for _, sur := range []string{"S-1", "S-2"} {
		_, err := db.Accept(ctx, []*dip.Message{bodyMsg(sur, t0)})
		mustDo(t, err)
	}
	mustDo(t, db.Close())
	loseIndex(t, path, 0)
	seg := segmentName(path+"-bodies", 1)
	b, err := os.ReadFile(seg)
	mustDo(t, err)
	b[len(b)-2] ^= 0xff // a body byte: the checksum no longer matches
	mustDo(t, os.WriteFile(seg, b, 0o600))
	if db, err := Open(ctx, path); err == nil {
		db.Close()
		t.Fatal("opened a log damaged before its newest segment")
	}
}

// TestSecondaryOpen: while one store holds the intake log (mhhs serve), a
// second opener of the same database (an admin command of the CLI) reads
// what the first accepted and administers, but accepts nothing and leaves
// the log alone; the first goes on accepting.
func TestSecondaryOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mhhs.db")
	db, err := Open(ctx, path)
	mustDo(t, err)
	defer db.Close()
	_, err = db.Accept(ctx, []*dip.Message{bodyMsg("S-1", t0)})
	mustDo(t, err)
	mustDo(t, db.Flush(ctx))

	other, err := Open(ctx, path)
	mustDo(t, err)
	if _, err := other.Accept(ctx, []*dip.Message{bodyMsg("S-2", t0)}); !errors.Is(err, errSecondary) {
		t.Errorf("second opener accepted: %v", err)
	}
	rec, err := other.Journal(ctx, "1200000001", "S-1")
	mustDo(t, err)
	if rec.Message.Seq != 1 {
		t.Errorf("second opener's journal of S-1: %+v", rec.Message)
	}
	mustDo(t, other.Close())

	res, err := db.Accept(ctx, []*dip.Message{bodyMsg("S-2", t0)})
	mustDo(t, err)
	if res[0].Seq != 2 {
		t.Errorf("S-2 after the second opener closed: %+v", res[0])
	}
	if got := claimBodies(t, db, t0); !slices.Equal(got, []string{`{"sur":"S-1"}`, `{"sur":"S-2"}`}) {
		t.Errorf("bodies %q", got)
	}
}

// TestOpenIntakeWaitsForTheLog: a process that must accept (mhhs serve)
// waits for another that holds the intake log, fails if it is not
// released in time, and takes it once it is.
func TestOpenIntakeWaitsForTheLog(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mhhs.db")
	holder, err := Open(ctx, path)
	mustDo(t, err)
	if db, err := OpenIntake(ctx, path, 100*time.Millisecond); err == nil {
		db.Close()
		t.Fatal("OpenIntake succeeded while another store held the intake log")
	}
	done := make(chan error, 1)
	go func() {
		db, err := OpenIntake(ctx, path, 10*time.Second)
		if err == nil {
			_, err = db.Accept(ctx, []*dip.Message{bodyMsg("S-1", t0)})
			db.Close()
		}
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	mustDo(t, holder.Close())
	mustDo(t, <-done)
}

// TestPlainSegmentsStayReadable: a log written before bodies were
// compressed (records with bodies as received, logMagicPlain) is
// re-indexed from and read as it is; appends go to a new segment, whose
// bodies are compressed.
func TestPlainSegmentsStayReadable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mhhs.db")
	db, err := Open(ctx, path)
	mustDo(t, err)
	mustDo(t, db.Close())
	// Segment 1 as the previous version wrote it, none of it indexed yet
	// (it crashed before its indexer ran).
	seg := []byte(logMagicPlain)
	for i, sur := range []string{"S-1", "S-2"} {
		m := bodyMsg(sur, t0)
		seg, _ = appendRecord(seg, &logRecord{seq: int64(i + 1), acceptedAt: dip.Micros(t0), body: m.Body, fields: [nFields]string{
			fTransactionID: m.TransactionID, fChannel: m.Channel, fEventCode: m.EventCode, fSender: m.SenderDIPID,
			fSenderRole: m.SenderRole, fSUR: m.SenderUniqueReference, fRecipients: dip.EncodeRecipients(m.Recipients)}})
	}
	mustDo(t, os.WriteFile(segmentName(path+"-bodies", 1), seg, 0o600))

	db, err = Open(ctx, path)
	mustDo(t, err)
	defer db.Close()
	big := bodyMsg("S-3", t0)
	big.Body = []byte(`[` + strings.Repeat(`{"period":1,"value":"0.123"},`, 400) + `{}]`)
	res, err := db.Accept(ctx, []*dip.Message{big, bodyMsg("S-1", t0)})
	mustDo(t, err)
	if res[0].Seq != 3 || !res[1].Duplicate {
		t.Fatalf("accept after recovery: %+v, want seq 3 and a duplicate of S-1", res)
	}
	if got := segmentIDs(t, db); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("segments %v, want [1 2]: appends start a compressed segment", got)
	}
	got := claimBodies(t, db, t0)
	if want := []string{`{"sur":"S-1"}`, `{"sur":"S-2"}`, string(big.Body)}; !slices.Equal(got, want) {
		t.Fatalf("bodies %.80q, want %.80q", got, want)
	}
	data, err := os.ReadFile(segmentName(path+"-bodies", 2))
	mustDo(t, err)
	if formatOf(data) != segCompressed || len(data) > len(big.Body)/4 {
		t.Fatalf("segment 2: format %d, %d bytes for a %d-byte body: not compressed", formatOf(data), len(data), len(big.Body))
	}
}

// TestUnsyncedTxRestoresFullSync: the connection an unsynced transaction
// used goes back to the pool committing with synchronous=FULL, also when
// the transaction's context ends inside it.
func TestUnsyncedTxRestoresFullSync(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "mhhs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	synchronous := func() int {
		t.Helper()
		var n int
		if err := db.w.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := db.unsyncedTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&n); err != nil || n != 1 {
			t.Errorf("inside: synchronous = %d (%v), want 1 (NORMAL)", n, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := synchronous(); n != 2 {
		t.Fatalf("after: synchronous = %d, want 2 (FULL)", n)
	}
	cctx, cancel := context.WithCancel(ctx)
	err = db.unsyncedTx(cctx, func(tx *sql.Tx) error {
		cancel()
		return nil
	})
	if err == nil {
		t.Fatal("a transaction whose context ended committed")
	}
	if n := synchronous(); n != 2 {
		t.Fatalf("after a cancelled transaction: synchronous = %d, want 2 (FULL)", n)
	}
}

func TestRoundPercentile(t *testing.T) {
	var hist [RoundBuckets]int64
	if got := RoundPercentile(hist, 0.99); got != 0 {
		t.Fatalf("empty: %v, want 0", got)
	}
	hist[4] = 98             // 98 rounds of 400–500 µs
	hist[30] = 1             // one of 3.0–3.1 ms
	hist[RoundBuckets-1] = 1 // one of 25.5 ms or more
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.98, 500 * time.Microsecond}, {0.99, 3100 * time.Microsecond}, {1, RoundBuckets * RoundBucket}} {
		if got := RoundPercentile(hist, c.q); got != c.want {
			t.Errorf("q %v: %v, want %v", c.q, got, c.want)
		}
	}
}
