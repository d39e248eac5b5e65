package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mhhs/mhhs/internal/archive"
	"github.com/mhhs/mhhs/internal/dip"
)

// archiveTests are Run's tests of the archiving purge (dip.PurgeArchive)
// with the file archive (internal/archive) in a temporary directory.
var archiveTests = map[string]func(*testing.T, dip.Store){
	"ArchiveThenPurge":         testArchiveThenPurge,
	"ArchiveCrashBeforeDelete": testArchiveCrashBeforeDelete,
	"ArchiveRequeuedMeanwhile": testArchiveRequeuedMeanwhile,
}

func index(t *testing.T, s dip.Store) dip.ArchiveIndex {
	t.Helper()
	idx, ok := s.(dip.ArchiveIndex)
	if !ok {
		t.Fatalf("%T has no archive index (dip.ArchiveIndex)", s)
	}
	return idx
}

func openArchive(t *testing.T) *archive.Dir {
	t.Helper()
	a, err := archive.Open(t.TempDir())
	must(t, err)
	t.Cleanup(func() { a.Close() })
	return a
}

const (
	archSender = "1200000001"
	archR1     = "1800000001"
	archR2     = "2300000001"
)

// archiveFixture accepts S-1 (delivered after a retry, with an MPAN that
// updated the registration), S-2 (never delivered), S-3 (new), S-4
// (delivered to one recipient, refused by the other), and a rejection, and
// returns the journals the store answers for S-1 and S-4 before any purge.
func archiveFixture(t *testing.T, s dip.Store) (cutoff time.Time, before map[string]dip.JournalRecord) {
	t.Helper()
	m1 := msg(archSender, "S-1", "1200023305967", t0, archR1)
	m1.CorrelationID = "C-1"
	m1.UpdateParties = func(p *dip.Parties) bool { p.Supplier = archR2; return true }
	m4 := msg(archSender, "S-4", "", t0.Add(time.Minute), archR1)
	m4.Recipients = append(m4.Recipients, dip.Recipient{DIPID: archR2, Role: "SUP", Route: dip.Primary})
	// In acceptance order: the stores find old messages by seq.
	res := accept(t, s, m1, msg(archSender, "S-2", "", t0, archR1), m4, msg(archSender, "S-3", "", t0.Add(48*time.Hour), archR1))
	must(t, s.Complete(ctx(), []dip.Attempt{
		{Seq: res[0].Seq, Recipient: archR1, At: t0.Add(time.Second), Duration: 20 * time.Millisecond, StatusCode: 500, Status: dip.StatusRetrying, Error: "busy", Failure: true, Next: t0.Add(3 * time.Second)},
		{Seq: res[2].Seq, Recipient: archR1, At: t0.Add(2 * time.Minute), Duration: 5 * time.Millisecond, StatusCode: 201, Status: dip.StatusDelivered},
		{Seq: res[2].Seq, Recipient: archR2, At: t0.Add(2 * time.Minute), Duration: 6 * time.Millisecond, StatusCode: 400, Status: dip.StatusRejectedByRecipient, Error: "no"},
	}, 0))
	must(t, s.Complete(ctx(), []dip.Attempt{
		{Seq: res[0].Seq, Recipient: archR1, At: t0.Add(4 * time.Second), Duration: 10 * time.Millisecond, StatusCode: 201, Status: dip.StatusDelivered},
	}, 0))
	must(t, s.Reject(ctx(), []dip.Rejection{{SenderDIPID: archSender, SenderUniqueReference: "S-9", Channel: "IF-021", EventCode: "[ActivePower]", At: t0, Code: "MSG1001", Reason: "bad"}}))
	before = map[string]dip.JournalRecord{}
	for _, sur := range []string{"S-1", "S-4"} {
		rec, err := s.Journal(ctx(), archSender, sur)
		must(t, err)
		before[sur] = rec
	}
	return t0.Add(24 * time.Hour), before
}

// sameJournal checks that the archive's journal is the store's.
func sameJournal(t *testing.T, sur string, want, got dip.JournalRecord) {
	t.Helper()
	if got.Archived == nil || !got.Archived.Day.Equal(dip.ArchiveDay(want.Message.AcceptedAt)) {
		t.Errorf("%s: journal not from the archive of its day: %+v", sur, got.Archived)
	}
	got.Archived = nil
	got.Message.Seq = want.Message.Seq
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("%s: the archive's journal is not the store's (-store +archive):\n%s", sur, diff)
	}
}

// testArchiveThenPurge: the purge writes every purgeable message to its
// day's file, then deletes it; the journal then answers from the archive,
// as the store did; what is not purgeable stays; a second purge writes
// nothing.
func testArchiveThenPurge(t *testing.T, s dip.Store) {
	cutoff, before := archiveFixture(t, s)
	a := openArchive(t)
	n, err := dip.PurgeArchive(ctx(), index(t, s), a, cutoff)
	must(t, err)
	if n != 2 {
		t.Fatalf("purged %d, want 2 (S-1 and S-4; S-2 is undelivered, S-3 is new)", n)
	}
	for sur, want := range before {
		if _, err := s.Journal(ctx(), archSender, sur); !errors.Is(err, dip.ErrNotFound) {
			t.Errorf("%s still in the store: %v", sur, err)
		}
		got, err := dip.JournalOf(ctx(), s, a, archSender, sur)
		must(t, err)
		sameJournal(t, sur, want, got)
	}
	for _, sur := range []string{"S-2", "S-3"} {
		rec, err := dip.JournalOf(ctx(), s, a, archSender, sur)
		if err != nil || rec.Archived != nil {
			t.Errorf("%s: %v, archived %v: want the store's journal", sur, err, rec.Archived)
		}
	}
	if _, err := dip.JournalOf(ctx(), s, a, archSender, "S-9"); !errors.Is(err, dip.ErrNotFound) {
		t.Errorf("the rejection before cutoff: %v, want purged", err)
	}
	if _, err := dip.JournalOf(ctx(), s, a, archSender, "S-404"); !errors.Is(err, dip.ErrNotFound) {
		t.Errorf("unknown reference: %v", err)
	}
	ms, err := a.Messages(ctx(), dip.ArchiveDay(t0))
	must(t, err)
	if len(ms) != 2 || ms[0].SenderUniqueReference != "S-1" || ms[1].SenderUniqueReference != "S-4" {
		t.Fatalf("archived %+v", ms)
	}
	if string(ms[0].Body) != `{"CommonBlock":{},"CustomBlock":{"sur":"S-1"}}` {
		t.Errorf("archived body %s", ms[0].Body)
	}
	outcomes := map[string]dip.ArchivedRecipient{}
	for _, r := range ms[1].Recipients {
		outcomes[r.DIPID] = r
	}
	if o := outcomes[archR2]; o.Status != dip.StatusRejectedByRecipient || o.Attempts != 1 || o.LastError != "no" || o.Role != "SUP" || o.Route != dip.Primary {
		t.Errorf("S-4's outcome for %s: %+v", archR2, o)
	}
	if o := outcomes[archR1]; o.Status != dip.StatusDelivered || o.Attempts != 1 {
		t.Errorf("S-4's outcome for %s: %+v", archR1, o)
	}
	if n, err := dip.PurgeArchive(ctx(), index(t, s), a, cutoff); err != nil || n != 0 {
		t.Errorf("second purge: %d %v", n, err)
	}
	if all, err := a.Messages(ctx(), dip.ArchiveDay(t0)); err != nil || len(all) != 2 {
		t.Errorf("after a second purge: %d messages, %v", len(all), err)
	}
}

// failingDelete is the store with a delete that fails: a crash between the
// archive's write and the delete's commit.
type failingDelete struct{ dip.ArchiveIndex }

var errCrash = errors.New("crash before the delete commits")

func (failingDelete) PurgeArchived(context.Context, time.Time, []dip.ArchiveEntry) (int, error) {
	return 0, errCrash
}

// testArchiveCrashBeforeDelete: when the delete fails after the archive
// write, nothing is lost: the messages stay in the store (the journal
// answers from it), the next purge writes them again and deletes them, and
// the archive's reader keeps one of each.
func testArchiveCrashBeforeDelete(t *testing.T, s dip.Store) {
	cutoff, before := archiveFixture(t, s)
	a := openArchive(t)
	if _, err := dip.PurgeArchive(ctx(), failingDelete{index(t, s)}, a, cutoff); !errors.Is(err, errCrash) {
		t.Fatalf("purge with a failing delete: %v", err)
	}
	for sur := range before {
		rec, err := dip.JournalOf(ctx(), s, a, archSender, sur)
		if err != nil || rec.Archived != nil {
			t.Errorf("%s after the failed delete: %v, archived %v: want it in the store", sur, err, rec.Archived)
		}
	}
	n, err := dip.PurgeArchive(ctx(), index(t, s), a, cutoff)
	must(t, err)
	if n != 2 {
		t.Fatalf("purge after the crash deleted %d, want 2", n)
	}
	lines := 0
	must(t, a.Scan(ctx(), dip.ArchiveDay(t0), func(dip.ArchivedMessage, dip.ArchiveLocation) error { lines++; return nil }))
	if lines != 4 {
		t.Errorf("%d lines, want 4: each message twice", lines)
	}
	ms, err := a.Messages(ctx(), dip.ArchiveDay(t0))
	must(t, err)
	if len(ms) != 2 {
		t.Errorf("%d messages read, want 2 (deduped on transaction id)", len(ms))
	}
	for sur, want := range before {
		got, err := dip.JournalOf(ctx(), s, a, archSender, sur)
		must(t, err)
		sameJournal(t, sur, want, got)
	}
}

// requeueingArchive requeues a delivery of the batch while it writes it:
// a requeue between the purge's read of its candidates and its delete.
type requeueingArchive struct {
	*archive.Dir
	s     dip.Store
	seq   int64
	r     string
	count int
}

func (a *requeueingArchive) Write(ctx context.Context, ms []dip.ArchivedMessage) ([]dip.ArchiveLocation, error) {
	if a.count++; a.count == 1 {
		if _, err := a.s.Requeue(ctx, a.r, []int64{a.seq}, t0.Add(time.Hour)); err != nil {
			return nil, err
		}
	}
	return a.Dir.Write(ctx, ms)
}

// testArchiveRequeuedMeanwhile: a message requeued after the purge read it
// stays in the store, undelivered, with no index entry; its line in the
// archive is a spare copy.
func testArchiveRequeuedMeanwhile(t *testing.T, s dip.Store) {
	cutoff, before := archiveFixture(t, s)
	s4 := before["S-4"].Message.Seq
	a := &requeueingArchive{Dir: openArchive(t), s: s, seq: s4, r: archR2}
	n, err := dip.PurgeArchive(ctx(), index(t, s), a, cutoff)
	must(t, err)
	if n != 1 {
		t.Errorf("purged %d, want 1 (S-4 was requeued)", n)
	}
	rec, err := dip.JournalOf(ctx(), s, a, archSender, "S-4")
	if err != nil || rec.Archived != nil {
		t.Errorf("S-4: %v, archived %v: want it in the store", err, rec.Archived)
	}
	if _, err := index(t, s).ArchivedAt(ctx(), archSender, "S-4"); !errors.Is(err, dip.ErrNotFound) {
		t.Errorf("S-4 indexed though not purged: %v", err)
	}
	if ds := claim(t, s, t0.Add(time.Hour), archR2); len(ds) != 1 || ds[0].Seq != s4 {
		t.Errorf("S-4's requeued delivery: %v", seqs(ds))
	}
}

// ArchiveSurvivesReopen is the adapters' test that the archive index is
// durable: after an archiving purge in first, which it closes, the store
// reopen returns answers the journal from the archive.
func ArchiveSurvivesReopen(t *testing.T, first dip.Store, reopen func(t *testing.T) dip.Store) {
	cutoff, before := archiveFixture(t, first)
	a := openArchive(t)
	n, err := dip.PurgeArchive(ctx(), index(t, first), a, cutoff)
	must(t, err)
	if n != 2 {
		t.Fatalf("purged %d, want 2", n)
	}
	must(t, first.Close())
	s := reopen(t)
	for sur, want := range before {
		got, err := dip.JournalOf(ctx(), s, a, archSender, sur)
		must(t, err)
		sameJournal(t, sur, want, got)
	}
}
