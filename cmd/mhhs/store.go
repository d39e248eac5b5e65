package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/sqlite"
)

// openStore opens the store named by url: postgres://… for PostgreSQL,
// otherwise the embedded SQLite database (url, or DATA/mhhs.db when url is
// empty).
func openStore(ctx context.Context, url, dataDir string) (dip.Store, error) {
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return openPostgres(ctx, url)
	case url == "":
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, err
		}
		url = filepath.Join(dataDir, "mhhs.db")
	}
	db, err := sqlite.Open(ctx, strings.TrimPrefix(url, "sqlite://"))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return db, nil
}

// envOr returns the environment value of key, or def.
func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
