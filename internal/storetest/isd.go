package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/market"
)

// RunISD runs the conformance suite of isd.Store. open returns a new, empty
// store for one test.
func RunISD(t *testing.T, open func(t *testing.T) isd.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, isd.Store)
	}{
		{"Empty", testISDEmpty},
		{"RoundTripDefault", testISDRoundTripDefault},
		{"VersionConflict", testISDVersionConflict},
		{"LatestAndVersions", testISDLatestAndVersions},
		{"MarkPublished", testISDMarkPublished},
		{"ConcurrentPut", testISDConcurrentPut},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// smallDataset is a one-table dataset whose GSP group _A has the given
// name: enough to tell versions apart without the cost of the default.
func smallDataset(t *testing.T, name string) *isd.Dataset {
	t.Helper()
	from, _ := market.ParseSettlementDate("2024-01-01")
	ds, err := isd.New(isd.Tables{GSPGroups: []isd.GSPGroup{{ID: "_A", Name: name, From: from}}})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func sameVersion(t *testing.T, what string, want, got isd.Version) {
	t.Helper()
	if got.Number != want.Number || !got.Created.Equal(want.Created) || got.Note != want.Note {
		t.Errorf("%s: version %d created %v note %q, want %d %v %q", what, got.Number, got.Created, got.Note, want.Number, want.Created, want.Note)
	}
	if got.Dataset == nil {
		t.Fatalf("%s: no dataset", what)
	}
	if diff := cmp.Diff(want.Dataset.Tables(), got.Dataset.Tables()); diff != "" {
		t.Errorf("%s: tables (-want +got):\n%s", what, diff)
	}
}

func testISDEmpty(t *testing.T, s isd.Store) {
	for _, n := range []int{0, 1} {
		if _, err := s.Version(ctx(), n); !errors.Is(err, isd.ErrNoVersion) {
			t.Errorf("Version(%d) of an empty store: %v, want ErrNoVersion", n, err)
		}
	}
	vs, err := s.Versions(ctx())
	must(t, err)
	if len(vs) != 0 {
		t.Errorf("Versions of an empty store = %v", vs)
	}
	if err := s.MarkPublished(ctx(), 1, t0, "T"); !errors.Is(err, isd.ErrNoVersion) {
		t.Errorf("MarkPublished of a missing version: %v, want ErrNoVersion", err)
	}
}

// testISDRoundTripDefault stores the default GB dataset and reads it back
// unchanged, by number and as the latest. Created keeps microseconds.
func testISDRoundTripDefault(t *testing.T, s isd.Store) {
	ds, err := isd.Default()
	must(t, err)
	v := isd.Version{Number: 1, Created: t0.Add(1500 * time.Nanosecond), Note: "default GB dataset", Dataset: ds}
	must(t, s.PutVersion(ctx(), v))
	want := v
	want.Created = t0.Add(time.Microsecond)
	got, err := s.Version(ctx(), 1)
	must(t, err)
	sameVersion(t, "Version(1)", want, got)
	if d := isd.Diff(ds, got.Dataset); len(d) != 0 {
		t.Errorf("Diff after the round trip: %v", d)
	}
	latest, err := s.Version(ctx(), 0)
	must(t, err)
	if latest.Number != 1 {
		t.Errorf("latest is version %d, want 1", latest.Number)
	}
}

func testISDVersionConflict(t *testing.T, s isd.Store) {
	ds := smallDataset(t, "Eastern")
	for _, n := range []int{0, 2, -1} {
		if err := s.PutVersion(ctx(), isd.Version{Number: n, Created: t0, Dataset: ds}); !errors.Is(err, isd.ErrVersionConflict) {
			t.Errorf("PutVersion(%d) on an empty store: %v, want ErrVersionConflict", n, err)
		}
	}
	must(t, s.PutVersion(ctx(), isd.Version{Number: 1, Created: t0, Note: "first", Dataset: ds}))
	for _, n := range []int{1, 3} {
		if err := s.PutVersion(ctx(), isd.Version{Number: n, Created: t0, Note: "again", Dataset: smallDataset(t, "Other")}); !errors.Is(err, isd.ErrVersionConflict) {
			t.Errorf("PutVersion(%d) after version 1: %v, want ErrVersionConflict", n, err)
		}
	}
	// The conflicting writes changed nothing.
	got, err := s.Version(ctx(), 1)
	must(t, err)
	sameVersion(t, "version 1 after conflicts", isd.Version{Number: 1, Created: t0, Note: "first", Dataset: ds}, got)
	if _, err := s.Version(ctx(), 3); !errors.Is(err, isd.ErrNoVersion) {
		t.Errorf("Version(3): %v, want ErrNoVersion", err)
	}
}

func testISDLatestAndVersions(t *testing.T, s isd.Store) {
	var want []isd.Version
	prev := isd.Version{}
	for i, name := range []string{"Eastern", "East Midlands", "London"} {
		v := prev.Next(smallDataset(t, name), t0.Add(time.Duration(i)*time.Hour), "rename to "+name)
		must(t, s.PutVersion(ctx(), v))
		want, prev = append(want, v), v
	}
	latest, err := s.Version(ctx(), 0)
	must(t, err)
	sameVersion(t, "latest", want[2], latest)
	second, err := s.Version(ctx(), 2)
	must(t, err)
	sameVersion(t, "Version(2)", want[1], second)
	if ch := latest.Changes(second); len(ch) != 1 || ch[0].Kind != isd.Changed {
		t.Errorf("changes from 2 to 3: %v", ch)
	}
	got, err := s.Versions(ctx())
	must(t, err)
	var wantInfo []isd.VersionInfo
	for _, v := range want {
		wantInfo = append(wantInfo, isd.VersionInfo{Number: v.Number, Created: v.Created, Note: v.Note})
	}
	if diff := cmp.Diff(wantInfo, got); diff != "" {
		t.Errorf("Versions (-want +got):\n%s", diff)
	}
}

func testISDMarkPublished(t *testing.T, s isd.Store) {
	for i := range 2 {
		must(t, s.PutVersion(ctx(), isd.Version{Number: i + 1, Created: t0, Note: fmt.Sprint("v", i+1), Dataset: smallDataset(t, fmt.Sprint("Eastern ", i))}))
	}
	at := t0.Add(time.Hour)
	must(t, s.MarkPublished(ctx(), 2, at, "T-IF-047-1000000001-ISD-20250401-a"))
	later := at.Add(time.Hour)
	must(t, s.MarkPublished(ctx(), 1, at, "T-IF-047-1000000001-ISD-20250401-b"))
	must(t, s.MarkPublished(ctx(), 1, later, "T-IF-047-1000000001-ISD-20250401-c")) // republished: the last one counts
	got, err := s.Versions(ctx())
	must(t, err)
	want := []isd.VersionInfo{
		{Number: 1, Created: t0, Note: "v1", Published: later, PublishedTransactionID: "T-IF-047-1000000001-ISD-20250401-c"},
		{Number: 2, Created: t0, Note: "v2", Published: at, PublishedTransactionID: "T-IF-047-1000000001-ISD-20250401-a"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Versions after MarkPublished (-want +got):\n%s", diff)
	}
	if err := s.MarkPublished(ctx(), 3, at, "T"); !errors.Is(err, isd.ErrNoVersion) {
		t.Errorf("MarkPublished(3): %v, want ErrNoVersion", err)
	}
}

// testISDConcurrentPut races writers for the same number: exactly one
// stores it.
func testISDConcurrentPut(t *testing.T, s isd.Store) {
	must(t, s.PutVersion(ctx(), isd.Version{Number: 1, Created: t0, Dataset: smallDataset(t, "Eastern")}))
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		ds := smallDataset(t, fmt.Sprint("Writer ", i))
		wg.Go(func() {
			errs[i] = s.PutVersion(ctx(), isd.Version{Number: 2, Created: t0, Note: fmt.Sprint(i), Dataset: ds})
		})
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won < 0:
			won = i
		case err == nil:
			t.Errorf("writers %d and %d both stored version 2", won, i)
		case !errors.Is(err, isd.ErrVersionConflict):
			t.Errorf("writer %d: %v, want nil or ErrVersionConflict", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no writer stored version 2")
	}
	got, err := s.Version(ctx(), 0)
	must(t, err)
	if got.Number != 2 || got.Note != fmt.Sprint(won) {
		t.Errorf("latest is %d %q, want 2 %q", got.Number, got.Note, fmt.Sprint(won))
	}
}
