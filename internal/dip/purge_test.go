package dip_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/archive"
	"github.com/mhhs/mhhs/internal/dip"
)

// deliveredMsg accepts a message of at for one recipient and records it
// Delivered; it returns the message.
func deliveredMsg(t *testing.T, s dip.Store, sur string, at time.Time) *dip.Message {
	t.Helper()
	ctx := context.Background()
	m := &dip.Message{TransactionID: dip.NewTransactionID("IF-021", "1200000001", "SDS", at), Channel: "IF-021", EventCode: "[ActivePower]",
		SenderDIPID: "1200000001", SenderRole: "SDS", SenderUniqueReference: sur, AcceptedAt: at, Body: []byte(`{"n":1}`),
		Recipients: []dip.Recipient{{DIPID: "1800000001", Role: "MDS", Route: dip.Always}}}
	res, err := s.Accept(ctx, []*dip.Message{m})
	if err != nil {
		t.Fatal(err)
	}
	m.Seq = res[0].Seq
	if err := s.Complete(ctx, []dip.Attempt{{Seq: m.Seq, Recipient: "1800000001", At: at.Add(time.Second), StatusCode: 201, Status: dip.StatusDelivered}}, 0); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPurgeArchiveArchivesFirst: PurgeArchive deletes only what the archive
// took: when the archive cannot write (its directory is a file), the purge
// fails and the message stays in the store; with a working archive, the
// message leaves the store and its journal is answered from the archive,
// through JournalOf and the hub.
func TestPurgeArchiveArchivesFirst(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	at := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
	deliveredMsg(t, db, "S-1", at)
	cutoff := at.Add(24 * time.Hour)

	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	broken, err := archive.Open(notADir)
	if err != nil {
		t.Fatal(err)
	}
	defer broken.Close()
	if n, err := dip.PurgeArchive(ctx, db, broken, cutoff); err == nil || n != 0 {
		t.Fatalf("purge into an archive that cannot write: %d, %v; want an error and nothing deleted", n, err)
	}
	if _, err := db.Journal(ctx, "1200000001", "S-1"); err != nil {
		t.Fatalf("the message left the store though the archive failed: %v", err)
	}

	arch, err := archive.Open(filepath.Join(t.TempDir(), "archive"))
	if err != nil {
		t.Fatal(err)
	}
	defer arch.Close()
	if n, err := dip.PurgeArchive(ctx, db, arch, cutoff); err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if _, err := db.Journal(ctx, "1200000001", "S-1"); !errors.Is(err, dip.ErrNotFound) {
		t.Fatalf("still in the store: %v", err)
	}
	rec, err := dip.JournalOf(ctx, db, arch, "1200000001", "S-1")
	if err != nil || rec.Archived == nil || !rec.Archived.Day.Equal(dip.ArchiveDay(at)) || len(rec.Entries) != 3 {
		t.Fatalf("journal from the archive: %+v %v", rec, err)
	}
	if _, err := dip.JournalOf(ctx, db, nil, "1200000001", "S-1"); !errors.Is(err, dip.ErrNotFound) {
		t.Errorf("journal without an archive: %v", err)
	}
	hub := dip.NewHub(db, dip.Config{Archive: arch})
	if rec, err := hub.Journal(ctx, "1200000001", "S-1"); err != nil || rec.Archived == nil {
		t.Errorf("the hub's journal: %+v %v", rec, err)
	}
	// The archive's day file gone: the journal says it cannot read it.
	if err := os.Remove(filepath.Join(arch.Path(), archive.FileName(at))); err != nil {
		t.Fatal(err)
	}
	if _, err := dip.JournalOf(ctx, db, arch, "1200000001", "S-1"); err == nil || errors.Is(err, dip.ErrNotFound) {
		t.Errorf("journal with its day file removed: %v, want an error naming the archive", err)
	}
}
