package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/dip"
)

// TestMigrateLeanIntake opens a database written with the schema before
// migration 0003 (delivery rows that copy their message's channel, MPAN,
// role and route, and the indexes 0003 drops) and checks that what it held
// survives: deliveries claimed with their role, route and body, in per-MPAN
// order, a delivered message's journal, and (after migration 0006) its
// delivery listed and replayed from deliveries_done.
func TestMigrateLeanIntake(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mhhs.db")
	old, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	mustDo(t, err)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := old.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)`)
	for v, name := range []string{"migrations/0001_dip.sql", "migrations/0002_isd.sql"} {
		src, err := migrations.ReadFile(name)
		mustDo(t, err)
		exec(string(src))
		exec(`INSERT INTO schema_migrations (version, applied) VALUES (?, 0)`, v+1)
	}
	// Three messages for one MPAN, each to the MDS (Always) and the
	// supplier (Secondary); the first delivered to the MDS.
	const mpan = "1200023305967"
	at := dip.Micros(t0)
	var bodies []byte
	for i, sur := range []string{"S-1", "S-2", "S-3"} {
		body := `{"sur":"` + sur + `"}`
		recips := `[["Always","MDS","1800000001"],["Secondary","SUP","2300000001"]]`
		exec(`INSERT INTO messages (seq, transaction_id, channel, event_code, sender, sender_role, sur, correlation_id, mpan, accepted_at, recipients, body_seg, body_off, body_len)
			VALUES (?, ?, 'IF-021', '[ActivePower]', '1200000001', 'SDS', ?, '', ?, ?, ?, 1, ?, ?)`,
			i+1, "TX-"+sur, sur, mpan, at, recips, len(bodies), len(body))
		bodies = append(bodies, body...)
		for _, r := range [][3]string{{"1800000001", "MDS", "Always"}, {"2300000001", "SUP", "Secondary"}} {
			status := "Pending"
			if i == 0 && r[0] == "1800000001" {
				status = "Delivered"
			}
			exec(`INSERT INTO deliveries (recipient, seq, role, route, channel, mpan, status, next_attempt) VALUES (?, ?, ?, ?, 'IF-021', ?, ?, ?)`,
				r[0], i+1, r[1], r[2], mpan, status, at)
		}
	}
	exec(`INSERT INTO attempts (seq, recipient, at, duration_us, status_code, status) VALUES (1, '1800000001', ?, 1000, 201, 'Delivered')`, at)
	mustDo(t, old.Close())
	mustDo(t, os.MkdirAll(path+"-bodies", 0o700))
	mustDo(t, os.WriteFile(segmentName(path+"-bodies", 1), bodies, 0o600))

	db, err := Open(ctx, path)
	mustDo(t, err)
	defer db.Close()
	ds, err := db.ClaimDue(ctx, dip.ClaimQuery{Now: t0, Limit: 10, Owner: "test", Lease: time.Minute,
		Targets: []dip.Target{{Recipient: "1800000001"}, {Recipient: "2300000001"}}})
	mustDo(t, err)
	type got struct {
		seq             int64
		recipient, role string
		route           dip.Route
		mpan, body      string
	}
	var claimed []got
	for _, d := range ds {
		claimed = append(claimed, got{d.Seq, d.Recipient, d.Role, d.Route, d.MPAN, string(d.Body)})
	}
	// Per-MPAN order: each recipient gets only its oldest pending message.
	want := []got{
		{1, "2300000001", "SUP", dip.Secondary, mpan, `{"sur":"S-1"}`},
		{2, "1800000001", "MDS", dip.Always, mpan, `{"sur":"S-2"}`},
	}
	if !slices.Equal(claimed, want) {
		t.Errorf("claimed after migration:\n got %+v\nwant %+v", claimed, want)
	}
	rec, err := db.Journal(ctx, "1200000001", "S-1")
	mustDo(t, err)
	if last := rec.Entries[len(rec.Entries)-1]; last.Stage != "Outbound" || last.Status != "Delivered" || last.Recipient != "1800000001" {
		t.Errorf("S-1's journal ends with %+v, want its delivery to the MDS", last)
	}
	// Migration 0006 moved the ended delivery to deliveries_done: listed as
	// Delivered, and replayed with the undelivered ones, in seq order.
	done, err := db.Deliveries(ctx, "1800000001", dip.StatusDelivered, 10)
	mustDo(t, err)
	if len(done) != 1 || done[0].Seq != 1 || done[0].Role != "MDS" || done[0].Route != dip.Always {
		t.Errorf("the MDS's delivered deliveries after migration: %+v, want S-1's", done)
	}
	ms, more, err := db.Replay(ctx, dip.ReplayQuery{Recipient: "1800000001", Channel: "IF-021", Limit: 2})
	mustDo(t, err)
	if len(ms) != 2 || ms[0].Seq != 1 || ms[1].Seq != 2 || !more || string(ms[0].Body) != `{"sur":"S-1"}` {
		t.Errorf("replay to the MDS after migration: %d messages (more %v), want S-1 and S-2 and more", len(ms), more)
	}
	// The next message goes after the migrated ones, in seq and in the log.
	res, err := db.Accept(ctx, []*dip.Message{bodyMsg("S-4", t0)})
	mustDo(t, err)
	if res[0].Seq != 4 {
		t.Errorf("first new message got seq %d, want 4", res[0].Seq)
	}
	// S-4 has no MPAN, so only it is due (S-2 is leased, S-3 waits for it).
	if got := claimBodies(t, db, t0); !slices.Equal(got, []string{`{"sur":"S-4"}`}) {
		t.Errorf("bodies claimed after the new message %q, want S-4's", got)
	}
}

// TestArchiveMigrationOnExistingDatabase: a database from before migration
// 0008 gets the archive index when a new binary opens it, and keeps its
// messages.
func TestArchiveMigrationOnExistingDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mhhs.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	m := &dip.Message{TransactionID: "T-1", Channel: "IF-021", EventCode: "[ActivePower]", SenderDIPID: "1200000001", SenderRole: "SDS",
		SenderUniqueReference: "S-1", AcceptedAt: time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC), Body: []byte(`{}`)}
	if _, err := db.Accept(ctx, []*dip.Message{m}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TABLE archive_index`, `DELETE FROM schema_migrations WHERE version = 8`} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ArchivedAt(ctx, "1200000001", "S-1"); err != dip.ErrNotFound {
		t.Fatalf("archive index after the migration: %v", err)
	}
	if _, err := db.Journal(ctx, "1200000001", "S-1"); err != nil {
		t.Errorf("message from before the migration: %v", err)
	}
}
