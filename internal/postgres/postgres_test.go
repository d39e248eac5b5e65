package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/postgres"
	"github.com/mhhs/mhhs/internal/regs"
	"github.com/mhhs/mhhs/internal/storetest"
)

func open(t *testing.T, dsn string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStore(t *testing.T) {
	storetest.PostgresURL(t)
	var last string
	opener := func(t *testing.T) dip.Store {
		last = storetest.PostgresSchema(t)
		return open(t, last)
	}
	// shared is a second hub process on the same database.
	shared := func(t *testing.T) dip.Store { return open(t, last) }
	storetest.Run(t, opener, shared)
}

// TestArchiveIndexSurvivesReopen: the journal of a purged message is
// answered from the archive after the store is closed and opened again.
func TestArchiveIndexSurvivesReopen(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	storetest.ArchiveSurvivesReopen(t, db, func(t *testing.T) dip.Store { return open(t, dsn) })
}

func TestISDStore(t *testing.T) {
	storetest.PostgresURL(t)
	storetest.RunISD(t, func(t *testing.T) isd.Store { return open(t, storetest.PostgresSchema(t)) })
}

// TestConcurrentOpen: processes starting together on a fresh schema all
// succeed; the advisory lock lets one apply the migrations.
func TestConcurrentOpen(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	dbs := make([]*postgres.DB, n)
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = postgres.Open(context.Background(), dsn) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("open %d: %v", i, err)
			continue
		}
		dbs[i].Close()
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var versions int
	if err := conn.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if versions != len(files) {
		t.Errorf("%d migrations recorded, want %d", versions, len(files))
	}
}

func TestReopenKeepsData(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	ctx := context.Background()
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutParticipant(ctx, dip.Participant{DIPID: "1800000001", Name: "MDS", Roles: []string{"MDS"}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = open(t, dsn) // migrations run again: no-op
	ps, err := db.Participants(ctx)
	if err != nil || len(ps) != 1 {
		t.Fatalf("after reopen: %v %v", ps, err)
	}
}

// Bodies are stored S2-compressed (body_codec 1); rows written before
// migration 0004 hold them as received (body_codec 0) and read the same.
func TestBodyCodecs(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	ctx := context.Background()
	db := open(t, dsn)
	body := []byte(`{"CommonBlock":{"S1":"` + strings.Repeat("0123456789", 200) + `"}}`)
	msg := func(sur string) *dip.Message {
		return &dip.Message{TransactionID: "T-" + sur, Channel: "IF-021", EventCode: "E", SenderDIPID: "1200000001", SenderRole: "SDS",
			SenderUniqueReference: sur, AcceptedAt: time.Now(), Body: body,
			Recipients: []dip.Recipient{{DIPID: "1800000001", Role: "MDS", Route: dip.Always}}}
	}
	if _, err := db.Accept(ctx, []*dip.Message{msg("new"), msg("old")}); err != nil {
		t.Fatal(err)
	}
	var codec int16
	var stored int
	if err := pgxRow(t, dsn, `SELECT body_codec, length(body) FROM messages WHERE sur = 'new'`, &codec, &stored); err != nil {
		t.Fatal(err)
	}
	if codec != 1 || stored >= len(body)/4 {
		t.Fatalf("new row: codec %d, %d bytes stored for a %d-byte body; want codec 1, compressed", codec, stored, len(body))
	}
	// The row as a store before migration 0004 wrote it.
	if err := storetest.PostgresExec(dsn, `UPDATE messages SET body = convert_to('`+string(body)+`', 'UTF8'), body_codec = 0 WHERE sur = 'old'`); err != nil {
		t.Fatal(err)
	}
	got, _, err := db.Replay(ctx, dip.ReplayQuery{Recipient: "1800000001", Limit: 10})
	if err != nil || len(got) != 2 {
		t.Fatalf("replay: %d messages, %v", len(got), err)
	}
	ds, err := db.ClaimDue(ctx, dip.ClaimQuery{Targets: []dip.Target{{Recipient: "1800000001"}}, Now: time.Now(), Lease: time.Minute, Owner: "t", Limit: 10})
	if err != nil || len(ds) != 2 {
		t.Fatalf("claim: %d deliveries, %v", len(ds), err)
	}
	for i := range 2 {
		if !bytes.Equal(got[i].Body, body) || !bytes.Equal(ds[i].Body, body) {
			t.Errorf("message %s: replayed or claimed body differs from the accepted one", got[i].SenderUniqueReference)
		}
	}
	// A codec this build does not know is an error, not a garbled body.
	if err := storetest.PostgresExec(dsn, `UPDATE messages SET body_codec = 7 WHERE sur = 'old'`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Replay(ctx, dip.ReplayQuery{Recipient: "1800000001", Limit: 10}); err == nil || !strings.Contains(err.Error(), "unknown codec 7") {
		t.Fatalf("replay of a body in codec 7: %v, want an unknown-codec error", err)
	}
}

func pgxRow(t *testing.T, dsn, sql string, dest ...any) error {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.QueryRow(ctx, sql).Scan(dest...)
}

func TestParticipantStore(t *testing.T) {
	storetest.PostgresURL(t)
	dsns := map[*testing.T]string{}
	storetest.RunParticipant(t, func(t *testing.T, name string) participant.Store {
		dsn, ok := dsns[t]
		if !ok {
			dsn = storetest.PostgresSchema(t)
			dsns[t] = dsn
		}
		return open(t, dsn).ServiceStore(name)
	})
}

// TestArchiveMigrationOnExistingDatabase: a database from before migration
// 0009 (0007 is unused here: versions apply one by one, by number) gets the
// archive index when a new binary opens it, and keeps its messages.
func TestArchiveMigrationOnExistingDatabase(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	ctx := context.Background()
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	m := &dip.Message{TransactionID: "T-1", Channel: "IF-021", EventCode: "[ActivePower]", SenderDIPID: "1200000001", SenderRole: "SDS",
		SenderUniqueReference: "S-1", AcceptedAt: time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC), Body: []byte(`{}`)}
	if _, err := db.Accept(ctx, []*dip.Message{m}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, q := range []string{`DROP TABLE archive_index`, `DELETE FROM schema_migrations WHERE version = 9`} {
		if err := storetest.PostgresExec(dsn, q); err != nil {
			t.Fatal(err)
		}
	}
	db = open(t, dsn)
	if _, err := db.ArchivedAt(ctx, "1200000001", "S-1"); err != dip.ErrNotFound {
		t.Fatalf("archive index after the migration: %v", err)
	}
	if _, err := db.Journal(ctx, "1200000001", "S-1"); err != nil {
		t.Errorf("message from before the migration: %v", err)
	}
}

func TestRegsStore(t *testing.T) {
	storetest.PostgresURL(t)
	dsns := map[*testing.T]string{}
	dsn := func(t *testing.T) string {
		d, ok := dsns[t]
		if !ok {
			d = storetest.PostgresSchema(t)
			dsns[t] = d
		}
		return d
	}
	storetest.RunRegs(t, func(t *testing.T) regs.Store { return open(t, dsn(t)).Regs() },
		func(t *testing.T, name string) participant.Store { return open(t, dsn(t)).ServiceStore(name) })
}

// TestRegsCrash kills a process applying inputs to the regs store with
// SIGKILL at random moments and checks the store after each (see
// storetest.RunRegsCrash).
func TestRegsCrash(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	rounds := 6
	if testing.Short() {
		rounds = 2
	}
	storetest.RunRegsCrash(t, rounds, func(t *testing.T) (regs.Store, func() error) {
		db, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		return db.Regs(), db.Close
	}, func(t *testing.T, round int, seed uint64) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRegsCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "MHHS_REGS_CRASH_DSN="+dsn, fmt.Sprintf("MHHS_REGS_CRASH=%d/%d", round, seed))
		return cmd
	})
}

// TestRegsCrashChild is TestRegsCrash's child process.
func TestRegsCrashChild(t *testing.T) {
	dsn := os.Getenv("MHHS_REGS_CRASH_DSN")
	if dsn == "" {
		t.Skip("the child of TestRegsCrash")
	}
	var round int
	var seed uint64
	if _, err := fmt.Sscanf(os.Getenv("MHHS_REGS_CRASH"), "%d/%d", &round, &seed); err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Fatal(storetest.RegsCrashChild(context.Background(), db.Regs(), round, seed, os.Stdout))
}
