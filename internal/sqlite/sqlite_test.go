package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
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

// TestArchiveIndexSurvivesReopen: the journal of a purged message is
// answered from the archive after the database is closed and opened again.
func TestArchiveIndexSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mhhs.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	storetest.ArchiveSurvivesReopen(t, db, func(t *testing.T) dip.Store {
		db, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
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

// TestRegsCrash kills a process applying inputs to the regs store with
// SIGKILL at random moments and checks the store after each (see
// storetest.RunRegsCrash): every acknowledged batch there, whole, with
// its messages; none in part.
func TestRegsCrash(t *testing.T) {
	rounds := 12
	if testing.Short() {
		rounds = 3
	}
	path := filepath.Join(t.TempDir(), "services.db")
	storetest.RunRegsCrash(t, rounds, func(t *testing.T) (regs.Store, func() error) {
		s, err := sqlite.OpenServices(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		return s.Regs(), s.Close
	}, func(t *testing.T, round int, seed uint64) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRegsCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "MHHS_REGS_CRASH_DB="+path, fmt.Sprintf("MHHS_REGS_CRASH=%d/%d", round, seed))
		return cmd
	})
}

// TestRegsCrashChild is TestRegsCrash's child process.
func TestRegsCrashChild(t *testing.T) {
	path := os.Getenv("MHHS_REGS_CRASH_DB")
	if path == "" {
		t.Skip("the child of TestRegsCrash")
	}
	var round int
	var seed uint64
	if _, err := fmt.Sscanf(os.Getenv("MHHS_REGS_CRASH"), "%d/%d", &round, &seed); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.OpenServices(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Fatal(storetest.RegsCrashChild(context.Background(), s.Regs(), round, seed, os.Stdout))
}
