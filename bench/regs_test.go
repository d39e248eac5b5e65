package bench

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/postgres"
	"github.com/mhhs/mhhs/internal/regs"
	"github.com/mhhs/mhhs/internal/sim"
	"github.com/mhhs/mhhs/internal/simparty"
	"github.com/mhhs/mhhs/internal/sqlite"
	"github.com/mhhs/mhhs/internal/storetest"
)

// BenchmarkRegsStore loads the synthetic market's registrations
// (simparty.Registrations of MHHS_BENCH_REGS_SITES sites, default
// 1,000,000, with a year of the market's changes applied) into the
// Registration Service's store (regs.Store.Load) and, in the same run,
// into its peer: a plain indexed table of the same MPANs' parties, one
// row per (MPAN, role, party, effective from, effective to), on the same
// engine. It reports the load rate of each (MPANs/s), their size on disk
// (bytes per MPAN), and the rate of as-at lookups of random MPANs on
// random days (MHHS_BENCH_REGS_LOOKUPS each, default 50,000, one at a
// time): the store's Registration and Snapshot as at the day against
// the table's
//
//	SELECT role, party FROM peer_parties WHERE mpan = ? AND effective_from <= ? AND (effective_to IS NULL OR effective_to >= ?)
//
// and checks that the two give the same parties. SQLite always;
// PostgreSQL when MHHS_TEST_POSTGRES is set. Run it once: -benchtime 1x.
func BenchmarkRegsStore(b *testing.B) {
	sites := envInt(b, "MHHS_BENCH_REGS_SITES", 1_000_000)
	lookups := envInt(b, "MHHS_BENCH_REGS_LOOKUPS", 50_000)
	ctx := context.Background()
	ds, err := isd.Default()
	if err != nil {
		b.Fatal(err)
	}
	cfg := sim.DefaultConfig()
	cfg.Sites = sites
	m, err := sim.New(ds, cfg)
	if err != nil {
		b.Fatal(err)
	}
	through := m.Timeline().From.AddDays(365)

	engines := []*regsEngine{newSQLiteRegs(b)}
	if os.Getenv("MHHS_TEST_POSTGRES") != "" {
		engines = append(engines, newPostgresRegs(b))
	}
	b.ResetTimer()
	b.StopTimer()

	// Load: generate a batch, then load it into each store and table in
	// turn, timing only the loads.
	var mpans []market.MPAN
	var gen time.Duration
	const batch = 50_000
	for first := 0; first < sites; first += batch {
		t := time.Now()
		rs, err := simparty.Registrations(m, first, min(batch, sites-first), through)
		if err != nil {
			b.Fatal(err)
		}
		rows := partyRows(rs)
		gen += time.Since(t)
		for _, r := range rs {
			mpans = append(mpans, r.MPAN)
		}
		for _, e := range engines {
			t := time.Now()
			if err := e.store.Load(ctx, rs); err != nil {
				b.Fatal(err)
			}
			e.loadStore += time.Since(t)
			t = time.Now()
			if err := e.loadTable(ctx, rows); err != nil {
				b.Fatal(err)
			}
			e.loadTable_ += time.Since(t)
		}
	}
	n := len(mpans)
	b.Logf("%d sites: %d MPANs registered through %s, generated in %s", sites, n, through, gen.Round(time.Millisecond))

	// Lookups: the same random MPANs and days for the store and the
	// table, in alternating blocks, so that noise from other jobs falls
	// on both.
	rng := rand.New(rand.NewPCG(1, 2))
	type ask struct {
		mpan market.MPAN
		day  market.SettlementDate
	}
	span := through.Sub(m.Timeline().From) + 30
	asks := make([]ask, lookups)
	for i := range asks {
		asks[i] = ask{mpans[rng.IntN(n)], m.Timeline().From.AddDays(-30 + rng.IntN(span+1))}
	}
	for _, e := range engines {
		if err := e.settle(ctx); err != nil {
			b.Fatal(err)
		}
		var inStore, inTable time.Duration
		const block = 2_000
		for lo := 0; lo < len(asks); lo += block {
			part := asks[lo:min(lo+block, len(asks))]
			t := time.Now()
			snaps := make([]regs.Snapshot, len(part))
			for i, a := range part {
				r, err := e.store.Registration(ctx, a.mpan)
				if err != nil {
					b.Fatal(err)
				}
				snaps[i] = r.At(a.day)
			}
			inStore += time.Since(t)
			t = time.Now()
			got := make([][]string, len(part))
			for i, a := range part {
				if got[i], err = e.lookup(ctx, a.mpan, a.day); err != nil {
					b.Fatal(err)
				}
			}
			inTable += time.Since(t)
			for i, s := range snaps {
				if want := snapshotParties(s); !slices.Equal(want, got[i]) {
					b.Fatalf("%s on %s: the store's parties %v, the table's %v", part[i].mpan, part[i].day, want, got[i])
				}
			}
		}
		storeBytes, tableBytes, err := e.size(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: load %.0f MPANs/s (store) vs %.0f (table); %.0f vs %.0f bytes/MPAN; lookups %.1f vs %.1f µs",
			e.name, float64(n)/e.loadStore.Seconds(), float64(n)/e.loadTable_.Seconds(),
			float64(storeBytes)/float64(n), float64(tableBytes)/float64(n),
			float64(inStore.Microseconds())/float64(lookups), float64(inTable.Microseconds())/float64(lookups))
		b.ReportMetric(float64(n)/e.loadStore.Seconds(), e.name+"-store-MPANs/s")
		b.ReportMetric(float64(n)/e.loadTable_.Seconds(), e.name+"-table-MPANs/s")
		b.ReportMetric(float64(storeBytes)/float64(n), e.name+"-store-B/MPAN")
		b.ReportMetric(float64(tableBytes)/float64(n), e.name+"-table-B/MPAN")
		b.ReportMetric(float64(inStore.Nanoseconds())/float64(lookups)/1e3, e.name+"-store-µs/lookup")
		b.ReportMetric(float64(inTable.Nanoseconds())/float64(lookups)/1e3, e.name+"-table-µs/lookup")
	}
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// partyRow is one row of the peer table.
type partyRow struct {
	mpan     int64
	role     string
	party    string
	from, to int64 // days since 2000-01-01; to < 0: open
}

var dayZero = market.NewSettlementDate(2000, 1, 1)

func dayNumber(d market.SettlementDate) int64 { return int64(d.Sub(dayZero)) }

// partyRoles are the roles the peer table keeps, in the order lookups
// answer them.
var partyRoles = []string{"DS", "MDR", "MS", "SUP"}

// partyRows returns the peer table's rows of registrations: each
// effective range of the supplier, metering and data services and MDR.
func partyRows(rs []*regs.Registration) []partyRow {
	var out []partyRow
	for _, r := range rs {
		k, err := strconv.ParseInt(string(r.MPAN), 10, 64)
		if err != nil {
			panic(err)
		}
		add := func(role string, rg market.Range, party string) {
			to := int64(-1)
			if !rg.IsOpen() {
				to = dayNumber(rg.To)
			}
			out = append(out, partyRow{k, role, party, dayNumber(rg.From), to})
		}
		for _, e := range r.Supplier.Ranges() {
			add("SUP", e.Range, e.Value.DIPID)
		}
		for _, e := range r.MS.Ranges() {
			add("MS", e.Range, e.Value.DIPID)
		}
		for _, e := range r.DS.Ranges() {
			add("DS", e.Range, e.Value.DIPID)
		}
		for _, e := range r.MDR.Ranges() {
			add("MDR", e.Range, e.Value.DIPID)
		}
	}
	return out
}

// snapshotParties is a snapshot's answer in the table's form: "ROLE=DIPID"
// for each role with a party, by role.
func snapshotParties(s regs.Snapshot) []string {
	var out []string
	for i, p := range []string{s.DS.DIPID, s.MDR.DIPID, s.MS.DIPID, s.Supplier.DIPID} {
		if p != "" {
			out = append(out, partyRoles[i]+"="+p)
		}
	}
	return out
}

// regsEngine is one engine's store and peer table.
type regsEngine struct {
	name      string
	store     regs.Store
	loadTable func(context.Context, []partyRow) error
	lookup    func(ctx context.Context, m market.MPAN, d market.SettlementDate) ([]string, error)
	settle    func(context.Context) error // after the load, before lookups
	size      func(context.Context) (store, table int64, err error)

	loadStore, loadTable_ time.Duration
}

// sqliteDSN is the services database's connection (sqlite.OpenServices).
func sqliteDSN(path string) string {
	return "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_txlock=immediate"
}

func newSQLiteRegs(b *testing.B) *regsEngine {
	ctx := context.Background()
	dir := b.TempDir()
	storePath, tablePath := filepath.Join(dir, "services.db"), filepath.Join(dir, "parties.db")
	svc, err := sqlite.OpenServices(ctx, storePath)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { svc.Close() })
	db, err := sql.Open("sqlite", sqliteDSN(tablePath))
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1) // as the services database
	b.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE peer_parties (mpan INTEGER NOT NULL, role TEXT NOT NULL, party TEXT NOT NULL,
		effective_from INTEGER NOT NULL, effective_to INTEGER);
		CREATE INDEX peer_parties_mpan ON peer_parties (mpan, effective_from)`); err != nil {
		b.Fatal(err)
	}
	e := &regsEngine{name: "sqlite", store: svc.Regs()}
	e.loadTable = func(ctx context.Context, rows []partyRow) error {
		// Transactions of about 5,000 MPANs, as the store's Load.
		for len(rows) > 0 {
			n, seen := 0, 0
			for n < len(rows) && (seen < 5000 || rows[n].mpan == rows[n-1].mpan) {
				if n == 0 || rows[n].mpan != rows[n-1].mpan {
					seen++
				}
				n++
			}
			if err := sqliteInsertRows(ctx, db, rows[:n]); err != nil {
				return err
			}
			rows = rows[n:]
		}
		return nil
	}
	lookup, err := db.Prepare(`SELECT role, party FROM peer_parties WHERE mpan = ? AND effective_from <= ? AND (effective_to IS NULL OR effective_to >= ?) ORDER BY role`)
	if err != nil {
		b.Fatal(err)
	}
	e.lookup = func(ctx context.Context, m market.MPAN, d market.SettlementDate) ([]string, error) {
		k, _ := strconv.ParseInt(string(m), 10, 64)
		day := dayNumber(d)
		rows, err := lookup.QueryContext(ctx, k, day, day)
		if err != nil {
			return nil, err
		}
		return scanParties(rows)
	}
	e.settle = func(ctx context.Context) error {
		_, err := db.ExecContext(ctx, `ANALYZE`)
		return err
	}
	e.size = func(ctx context.Context) (int64, int64, error) {
		// Each file with its WAL checkpointed into it.
		var sizes [2]int64
		for i, path := range []string{storePath, tablePath} {
			c, err := sql.Open("sqlite", sqliteDSN(path))
			if err != nil {
				return 0, 0, err
			}
			_, err = c.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
			c.Close()
			if err != nil {
				return 0, 0, err
			}
			for _, p := range []string{path, path + "-wal"} {
				if fi, err := os.Stat(p); err == nil {
					sizes[i] += fi.Size()
				}
			}
		}
		return sizes[0], sizes[1], nil
	}
	return e
}

func sqliteInsertRows(ctx context.Context, db *sql.DB, rows []partyRow) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO peer_parties (mpan, role, party, effective_from, effective_to) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	for _, r := range rows {
		var to any
		if r.to >= 0 {
			to = r.to
		}
		if _, err := ins.ExecContext(ctx, r.mpan, r.role, r.party, r.from, to); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func scanParties(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var role, party string
		if err := rows.Scan(&role, &party); err != nil {
			return nil, err
		}
		out = append(out, role+"="+party)
	}
	return out, rows.Err()
}

// pgRows adapts pgx.Rows to scanParties.
type pgRows struct{ pgx.Rows }

func (r pgRows) Close() error { r.Rows.Close(); return nil }

func newPostgresRegs(b *testing.B) *regsEngine {
	ctx := context.Background()
	dsn := storetest.PostgresSchema(b)
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	if _, err := pool.Exec(ctx, `CREATE TABLE peer_parties (mpan BIGINT NOT NULL, role TEXT NOT NULL, party TEXT NOT NULL,
		effective_from INTEGER NOT NULL, effective_to INTEGER);
		CREATE INDEX peer_parties_mpan ON peer_parties (mpan, effective_from)`); err != nil {
		b.Fatal(err)
	}
	e := &regsEngine{name: "postgres", store: db.Regs()}
	e.loadTable = func(ctx context.Context, rows []partyRow) error {
		// COPY, a transaction per call (50,000 MPANs; the store's Load
		// copies 20,000 a transaction).
		src := make([][]any, len(rows))
		for i, r := range rows {
			var to any
			if r.to >= 0 {
				to = int32(r.to)
			}
			src[i] = []any{r.mpan, r.role, r.party, int32(r.from), to}
		}
		_, err := pool.CopyFrom(ctx, pgx.Identifier{"peer_parties"}, []string{"mpan", "role", "party", "effective_from", "effective_to"}, pgx.CopyFromRows(src))
		return err
	}
	const q = `SELECT role, party FROM peer_parties WHERE mpan = $1 AND effective_from <= $2 AND (effective_to IS NULL OR effective_to >= $2) ORDER BY role`
	e.lookup = func(ctx context.Context, m market.MPAN, d market.SettlementDate) ([]string, error) {
		k, _ := strconv.ParseInt(string(m), 10, 64)
		rows, err := pool.Query(ctx, q, k, int32(dayNumber(d)))
		if err != nil {
			return nil, err
		}
		return scanParties(pgRows{rows})
	}
	e.settle = func(ctx context.Context) error {
		_, err := pool.Exec(ctx, `ANALYZE peer_parties; ANALYZE regs_registrations`)
		return err
	}
	e.size = func(ctx context.Context) (int64, int64, error) {
		var s, t int64
		err := pool.QueryRow(ctx, `SELECT pg_total_relation_size('regs_registrations'), pg_total_relation_size('peer_parties')`).Scan(&s, &t)
		return s, t, err
	}
	return e
}
