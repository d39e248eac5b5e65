package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/dip"
)

// TestReleaseHeldStopsAbandonedRequeues: what a crashed hub held is let go
// when the next one starts: its delivery claims, and its requeue jobs left
// Processing, which end as Failed or PartialCompletion.
func TestReleaseHeldStopsAbandonedRequeues(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "mhhs.db"))
	mustDo(t, err)
	defer db.Close()
	_, err = db.Accept(ctx, []*dip.Message{bodyMsg("S-1", t0)})
	mustDo(t, err)
	claim := func() int {
		ds, err := db.ClaimDue(ctx, dip.ClaimQuery{Now: t0, Limit: 10, Owner: "gone", Lease: time.Hour, Targets: []dip.Target{{Recipient: recipient}}})
		mustDo(t, err)
		return len(ds)
	}
	if n := claim(); n != 1 {
		t.Fatalf("claimed %d, want 1", n)
	}
	partial, err := db.StartRequeue(ctx, dip.RequeueJob{ID: "RQ-1", Recipient: recipient, Channel: "IF-021", Started: t0})
	mustDo(t, err)
	partial.Total, partial.Processed, partial.Updated = 600, 500, t0.Add(time.Second)
	mustDo(t, db.UpdateRequeue(ctx, partial))
	_, err = db.StartRequeue(ctx, dip.RequeueJob{ID: "RQ-2", Recipient: recipient, Channel: "IF-022", Started: t0})
	mustDo(t, err)
	done, err := db.StartRequeue(ctx, dip.RequeueJob{ID: "RQ-3", Recipient: recipient, Channel: "IF-023", Started: t0})
	mustDo(t, err)
	done.Status = dip.RequeueCompleted
	mustDo(t, db.UpdateRequeue(ctx, done))

	mustDo(t, db.ReleaseHeld(ctx))
	if n := claim(); n != 1 {
		t.Errorf("after release claimed %d, want the released delivery", n)
	}
	for channel, want := range map[string]dip.RequeueStatus{"IF-021": dip.RequeuePartial, "IF-022": dip.RequeueFailed, "IF-023": dip.RequeueCompleted} {
		jobs, err := db.RequeueJobs(ctx, recipient, channel, "")
		mustDo(t, err)
		if len(jobs) != 1 || jobs[0].Status != want {
			t.Errorf("%s after release: %+v, want %s", channel, jobs, want)
		}
	}
}
