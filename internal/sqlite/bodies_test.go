package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"slices"
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

// TestReopenCutsUncommittedTail: bytes past the last committed body (a
// group whose transaction did not commit, or a duplicate's body) are cut
// off on open, and the next bodies go where they were.
func TestReopenCutsUncommittedTail(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mhhs.db")
	db, err := Open(ctx, path)
	mustDo(t, err)
	_, err = db.Accept(ctx, []*dip.Message{bodyMsg("S-1", t0)})
	mustDo(t, err)
	// A duplicate: its body is appended, its row is not.
	res, err := db.Accept(ctx, []*dip.Message{bodyMsg("S-1", t0)})
	mustDo(t, err)
	if !res[0].Duplicate {
		t.Fatalf("second S-1 not reported as a duplicate: %+v", res[0])
	}
	mustDo(t, db.Close())
	seg := segmentName(path+"-bodies", 1)
	f, err := os.OpenFile(seg, os.O_WRONLY|os.O_APPEND, 0)
	mustDo(t, err)
	_, err = f.WriteString("garbage of a group that never committed")
	mustDo(t, err)
	f.Close()

	db, err = Open(ctx, path)
	mustDo(t, err)
	defer db.Close()
	if fi, err := os.Stat(seg); err != nil || fi.Size() != int64(len(`{"sur":"S-1"}`)) {
		t.Fatalf("segment after reopen: %v bytes, %v; want only S-1's body", fi.Size(), err)
	}
	_, err = db.Accept(ctx, []*dip.Message{bodyMsg("S-2", t0)})
	mustDo(t, err)
	if got := claimBodies(t, db, t0); !slices.Equal(got, []string{`{"sur":"S-1"}`, `{"sur":"S-2"}`}) {
		t.Errorf("bodies %q, want S-1's and S-2's", got)
	}
}
