package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// PostgresURL is the database the PostgreSQL tests use, from
// MHHS_TEST_POSTGRES; the test is skipped when it is not set, and fails
// instead when CI is set, so that a CI run cannot pass without them.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("MHHS_TEST_POSTGRES")
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but MHHS_TEST_POSTGRES is not: the PostgreSQL store tests must run in CI")
		}
		t.Skip("MHHS_TEST_POSTGRES not set: set it to a PostgreSQL URL, e.g. postgres://postgres@127.0.0.1:5432/test, to run the PostgreSQL store tests")
	}
	return u
}

// PostgresSchema creates an empty schema in the database of PostgresURL,
// dropped when the test ends, and returns the database's URL with
// search_path set to it: each test works in a schema of its own.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	b := make([]byte, 8)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if err := PostgresExec(base, `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := PostgresExec(base, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Error(err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// PostgresExec runs one statement on its own connection to dsn.
func PostgresExec(dsn, sql string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}
