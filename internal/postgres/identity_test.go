package postgres_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/storetest"
)

// TestIdentityConnectionLost: when the connection that holds a store's
// incarnation breaks while the process runs on (here the server ends its
// backend), the store starts a new incarnation and claims on; the claims of
// the old one count as ended, so a process starting as the same owner
// releases them at once, and leaves the new incarnation's alone.
func TestIdentityConnectionLost(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	ctx := context.Background()
	db := open(t, dsn)
	const r, r2 = "1800000001", "1900000001"
	at := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
	m := func(sur, recipient string) *dip.Message {
		return &dip.Message{TransactionID: "T-" + sur, Channel: "IF-021", EventCode: "[ActivePower]", SenderDIPID: "1200000001", SenderRole: "SDS",
			SenderUniqueReference: sur, AcceptedAt: at, Body: []byte(`{}`), Recipients: []dip.Recipient{{DIPID: recipient, Role: "MDS", Route: dip.Always}}}
	}
	res, err := db.Accept(ctx, []*dip.Message{m("S-1", r), m("S-2", r2)})
	if err != nil {
		t.Fatal(err)
	}
	claim := func(s dip.Store, recipient string) ([]dip.Delivery, error) {
		return s.ClaimDue(ctx, dip.ClaimQuery{Now: at, Limit: 10, Owner: "p", Lease: time.Minute, Targets: []dip.Target{{Recipient: recipient}}})
	}
	if _, err := db.ReleaseOwner(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	if ds, err := claim(db, r); err != nil || len(ds) != 1 {
		t.Fatalf("first claim: %d deliveries, %v", len(ds), err)
	}
	first := claimedBy(t, dsn, res[0].Seq)
	// The server ends the incarnation's backend (as it would on a restart
	// or an idle-session timeout).
	key, err := strconv.ParseUint(strings.TrimPrefix(first, "p#"), 16, 64)
	if err != nil {
		t.Fatalf("claimed_by %q is not p#KEY: %v", first, err)
	}
	if err := storetest.PostgresExec(dsn, `SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND objsubid = 1 AND (classid::bigint << 32 | objid::bigint) = `+strconv.FormatUint(key, 10)); err != nil {
		t.Fatal(err)
	}
	// The claim that finds the connection gone fails; the next one claims
	// in a new incarnation.
	var ds []dip.Delivery
	for range 2 {
		if ds, err = claim(db, r2); err == nil {
			break
		}
		t.Logf("claim after the connection was lost: %v", err)
	}
	if err != nil || len(ds) != 1 || ds[0].Seq != res[1].Seq {
		t.Fatalf("claim in a new incarnation: %v, %v", ds, err)
	}
	second := claimedBy(t, dsn, res[1].Seq)
	if second == first || !strings.HasPrefix(second, "p#") {
		t.Fatalf("claims made as %q, then %q: want a new incarnation of p", first, second)
	}
	// A process starting as p: the old incarnation has ended, the new one runs.
	restarted := open(t, dsn)
	n, err := restarted.ReleaseOwner(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	got, err := claim(restarted, r)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || !slices.Equal(seqsOf(got), []int64{res[0].Seq}) {
		t.Errorf("the restarted p released %d claims and claimed %v; want 1, S-1 (%d): the ended incarnation's", n, seqsOf(got), res[0].Seq)
	}
	if still := claimedBy(t, dsn, res[1].Seq); still != second {
		t.Errorf("the running incarnation's claim on S-2 went from %q to %q", second, still)
	}
}

func claimedBy(t *testing.T, dsn string, seq int64) string {
	t.Helper()
	var owner *string
	if err := pgxRow(t, dsn, `SELECT claimed_by FROM deliveries WHERE seq = `+strconv.FormatInt(seq, 10), &owner); err != nil {
		t.Fatal(err)
	}
	if owner == nil {
		return ""
	}
	return *owner
}

func seqsOf(ds []dip.Delivery) []int64 {
	var out []int64
	for _, d := range ds {
		out = append(out, d.Seq)
	}
	return out
}
