package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/regs"
	"github.com/mhhs/mhhs/internal/sqlite"
)

// openStore opens the store named by url: postgres://… for PostgreSQL,
// otherwise the embedded SQLite database (url, or DATA/mhhs.db when url is
// empty). intake: the caller accepts messages (mhhs serve), and takes the
// embedded store's intake log, waiting a few seconds for an admin command
// that holds it; the admin commands open the store beside a running serve.
func openStore(ctx context.Context, url, dataDir string, intake bool) (dip.Store, error) {
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return openPostgres(ctx, url)
	case url == "":
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, err
		}
		url = filepath.Join(dataDir, "mhhs.db")
	}
	path := strings.TrimPrefix(url, "sqlite://")
	var db *sqlite.DB
	var err error
	if intake {
		db, err = sqlite.OpenIntake(ctx, path, 10*time.Second)
	} else {
		db, err = sqlite.Open(ctx, path)
	}
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return db, nil
}

// storeFlags are the --data and --store flags of the commands that open the
// store directly (participant, recipient, journal, isd).
type storeFlags struct{ data, url *string }

func addStoreFlags(fs *flag.FlagSet, getenv func(string) string) storeFlags {
	return storeFlags{
		data: fs.String("data", envOr(getenv, "MHHS_DATA", "./mhhs-data"), "data directory of the embedded store"),
		url:  fs.String("store", getenv("MHHS_STORE"), "store URL (postgres://…); default the SQLite database in --data"),
	}
}

func (f storeFlags) open(ctx context.Context) (dip.Store, error) {
	return openStore(ctx, *f.url, *f.data, false)
}

// openExisting opens the store for a command that reads or changes what it
// holds: when the embedded store's database is not there, it fails naming
// it, instead of creating an empty one (as open does for mhhs serve and
// mhhs participant add). A PostgreSQL database must exist either way.
func (f storeFlags) openExisting(ctx context.Context) (dip.Store, error) {
	url := *f.url
	if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
		path := strings.TrimPrefix(url, "sqlite://")
		if path == "" {
			path = filepath.Join(*f.data, "mhhs.db")
		}
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no store at %s: give the DIP's --data directory (or MHHS_DATA) or --store URL; mhhs serve and mhhs participant add create it", path)
		}
	}
	return f.open(ctx)
}

// envOr returns the environment value of key, or def.
func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// serviceStores is where services keep their own state: each service's
// participant.Store, and the Registration Service's.
type serviceStores interface {
	Store(name string) participant.Store
	Regs() regs.Store
}

// pgServices is serviceStores in a PostgreSQL database.
type pgServices struct {
	db interface {
		ServiceStore(string) participant.Store
		Regs() regs.Store
	}
}

func (p pgServices) Store(name string) participant.Store { return p.db.ServiceStore(name) }
func (p pgServices) Regs() regs.Store                    { return p.db.Regs() }

// openServiceStores returns the services' own stores: for a PostgreSQL DIP
// store, the service tables of that database; otherwise the SQLite
// database DATA/services.db (a service in its own process with --data has
// its own). The returned function closes what it opened.
func openServiceStores(ctx context.Context, url, dataDir string, dipStore dip.Store) (serviceStores, func(), error) {
	if pg, ok := dipStore.(interface {
		ServiceStore(string) participant.Store
		Regs() regs.Store
	}); ok {
		return pgServices{pg}, func() {}, nil
	}
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		db, err := openPostgres(ctx, url)
		if err != nil {
			return nil, nil, err
		}
		pg := db.(interface {
			ServiceStore(string) participant.Store
			Regs() regs.Store
		})
		return pgServices{pg}, func() { db.Close() }, nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, nil, err
	}
	s, err := sqlite.OpenServices(ctx, filepath.Join(dataDir, "services.db"))
	if err != nil {
		return nil, nil, err
	}
	return s, func() { s.Close() }, nil
}
