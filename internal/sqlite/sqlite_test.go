package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/regs"
	"github.com/mhhs/mhhs/internal/sqlite"
	"github.com/mhhs/mhhs/internal/storetest"
)

func TestStore(t *testing.T) {
	var last string
	open := func(t *testing.T) dip.Store {
		last = filepath.Join(t.TempDir(), "mhhs.db")
		db, err := sqlite.Open(context.Background(), last)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	shared := func(t *testing.T) dip.Store {
		db, err := sqlite.Open(context.Background(), last)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	storetest.Run(t, open, shared)
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mhhs.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutParticipant(context.Background(), dip.Participant{DIPID: "1800000001", Name: "MDS", Roles: []string{"MDS"}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(context.Background(), path) // migrations run again: no-op
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ps, err := db.Participants(context.Background())
	if err != nil || len(ps) != 1 {
		t.Fatalf("after reopen: %v %v", ps, err)
	}
}

func TestISDStore(t *testing.T) {
	storetest.RunISD(t, func(t *testing.T) isd.Store {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "mhhs.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

func TestParticipantStore(t *testing.T) {
	paths := map[*testing.T]string{}
	storetest.RunParticipant(t, func(t *testing.T, name string) participant.Store {
		path, ok := paths[t]
		if !ok {
			path = filepath.Join(t.TempDir(), "services.db")
			paths[t] = path
		}
		s, err := sqlite.OpenServices(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s.Store(name)
	})
}

func TestRegsStore(t *testing.T) {
	paths := map[*testing.T]string{}
	path := func(t *testing.T) string {
		p, ok := paths[t]
		if !ok {
			p = filepath.Join(t.TempDir(), "services.db")
			paths[t] = p
		}
		return p
	}
	services := func(t *testing.T) *sqlite.Services {
		s, err := sqlite.OpenServices(context.Background(), path(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	storetest.RunRegs(t, func(t *testing.T) regs.Store { return services(t).Regs() },
		func(t *testing.T, name string) participant.Store { return services(t).Store(name) })
}
