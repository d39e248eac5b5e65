package postgres_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/storetest"
)

// TestRunEndsBeforeALockedMember: while another transaction holds the row
// of a run's second delivery (a requeue or a resume updating it), a claim
// takes the first alone: the run ends before the row it cannot lock, and
// the third, behind it, is not claimed out of order.
func TestRunEndsBeforeALockedMember(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	ctx := context.Background()
	db := open(t, dsn)
	const r, x = "1800000001", "1200023305967"
	at := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
	var ms []*dip.Message
	for _, sur := range []string{"X1", "X2", "X3"} {
		ms = append(ms, &dip.Message{TransactionID: "T-" + sur, Channel: "IF-021", EventCode: "[ActivePower]", SenderDIPID: "1200000001",
			SenderRole: "SDS", SenderUniqueReference: sur, MPAN: x, AcceptedAt: at, Body: []byte(`{}`),
			Recipients: []dip.Recipient{{DIPID: r, Role: "MDS", Route: dip.Always}}})
	}
	res, err := db.Accept(ctx, ms)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM deliveries WHERE recipient = $1 AND seq = $2 FOR UPDATE`, r, res[1].Seq); err != nil {
		t.Fatal(err)
	}
	claim := func() []int64 {
		ds, err := db.ClaimDue(ctx, dip.ClaimQuery{Now: at, Limit: 10, Owner: "p", Lease: time.Minute, Targets: []dip.Target{{Recipient: r}}, Run: 3})
		if err != nil {
			t.Fatal(err)
		}
		return seqsOf(ds)
	}
	if got := claim(); !slices.Equal(got, []int64{res[0].Seq}) {
		t.Errorf("claimed %v while X2's row is locked, want X1 (%d) alone", got, res[0].Seq)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got := claim(); len(got) != 0 {
		t.Errorf("claimed %v while X1 is claimed: X2 and X3 wait for it", got)
	}
}
