package bench

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/mhhs/mhhs/internal/archive"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/postgres"
	"github.com/mhhs/mhhs/internal/sqlite"
	"github.com/mhhs/mhhs/internal/storetest"
)

// purgeSize is how many delivered messages BenchmarkPurgeArchive purges:
// MHHS_BENCH_PURGE, default 100,000.
func purgeSize(tb testing.TB) int {
	if s := os.Getenv("MHHS_BENCH_PURGE"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			tb.Fatalf("MHHS_BENCH_PURGE=%q: want a positive count", s)
		}
		return n
	}
	return 100_000
}

// fillDelivered accepts n IF-021 messages (the benchmark message's payload
// as body, two recipients each) spread evenly over the two days before
// day, in acceptance order, and records each delivery Delivered after one
// attempt.
func fillDelivered(tb testing.TB, s dip.Store, n int, day time.Time) {
	ctx := context.Background()
	start := day.Add(-48 * time.Hour)
	step := 48 * time.Hour / time.Duration(n)
	const batch = 2000
	rng := rand.New(rand.NewPCG(1, 2))
	for lo := 0; lo < n; lo += batch {
		var msgs []*dip.Message
		for i := lo; i < min(n, lo+batch); i++ {
			at := start.Add(time.Duration(i) * step)
			msgs = append(msgs, &dip.Message{TransactionID: dip.NewTransactionID("IF-021", "1200000001", "SDS", at), Channel: "IF-021",
				EventCode: "[ActivePower]", SenderDIPID: "1200000001", SenderRole: "SDS", SenderUniqueReference: if021Reference(i),
				MPAN: fmt.Sprintf("12%011d", i), AcceptedAt: at, Body: varyReadings(IF021Message(i), rng),
				Recipients: []dip.Recipient{{DIPID: "1800000001", Role: "MDS", Route: dip.Always}, {DIPID: "2300000001", Role: "SUP", Route: dip.Secondary}}})
		}
		res, err := s.Accept(ctx, msgs)
		if err != nil {
			tb.Fatal(err)
		}
		var as []dip.Attempt
		for j, r := range res {
			for _, rc := range msgs[j].Recipients {
				as = append(as, dip.Attempt{Seq: r.Seq, Recipient: rc.DIPID, At: msgs[j].AcceptedAt.Add(time.Second),
					Duration: 3 * time.Millisecond, StatusCode: 201, Status: dip.StatusDelivered})
			}
		}
		if err := s.Complete(ctx, as, 0); err != nil {
			tb.Fatal(err)
		}
	}
}

// varyReadings gives each of the message's 48 readings ("v": "0.110")
// random digits: the benchmark message's readings are the same in every
// message, which would compress in the archive as real readings do not.
func varyReadings(body []byte, rng *rand.Rand) []byte {
	key := []byte(`"v": "`)
	for rest := body; ; {
		i := bytes.Index(rest, key)
		if i < 0 {
			return body
		}
		rest = rest[i+len(key):]
		for j := 0; j < len(rest) && rest[j] != '"'; j++ {
			if rest[j] >= '0' && rest[j] <= '9' {
				rest[j] = byte('0' + rng.IntN(10))
			}
		}
	}
}

// dirBytes is the size of the files under dir.
func dirBytes(tb testing.TB, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// sqliteInUse is the bytes of the SQLite database's pages in use (the
// file keeps its size after a delete; its free pages are reused).
func sqliteInUse(tb testing.TB, path string) int64 {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var pages, free, size int64
	for q, v := range map[string]*int64{"PRAGMA page_count": &pages, "PRAGMA freelist_count": &free, "PRAGMA page_size": &size} {
		if err := db.QueryRow(q).Scan(v); err != nil {
			tb.Fatal(err)
		}
	}
	return (pages - free) * size
}

// sqliteTableBytes is the bytes of a table's pages (the dbstat virtual
// table; false when the build of SQLite lacks it).
func sqliteTableBytes(tb testing.TB, path, table string) (int64, bool) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow(`SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = ?`, table).Scan(&n); err != nil {
		return 0, false
	}
	return n, true
}

// pgBytes is the total size of the tables of the schema in dsn's
// search_path, and of archive_index alone.
func pgBytes(tb testing.TB, dsn string) (total, index int64) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, `SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'`).Scan(&total); err != nil {
		tb.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT pg_total_relation_size('archive_index')`).Scan(&index); err != nil {
		tb.Fatal(err)
	}
	return total, index
}

// pgVacuum vacuums the schema's tables (not FULL: space is marked free for
// reuse, the files mostly keep their size).
func pgVacuum(tb testing.TB, dsn string) {
	for _, t := range []string{"messages", "deliveries", "attempts", "archive_index"} {
		if err := storetest.PostgresExec(dsn, "VACUUM "+t); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkPurgeArchive is issue 13's "purge past retention tested at
// scale": MHHS_BENCH_PURGE (default 100,000) delivered IF-021 messages, each
// to two recipients, accepted over two days, archived into two day files
// and purged from the store by dip.PurgeArchive (what mhhs serve
// --retention runs hourly), on SQLite and on PostgreSQL
// (MHHS_TEST_POSTGRES). It reports messages/s archived and purged, the
// archive's bytes per message, the store's bytes per message before and
// after, and the archive index's bytes per message; then it checks that
// every message left the store and a sample of journals is answered from
// the archive. Run with -benchtime 1x.
func BenchmarkPurgeArchive(b *testing.B) {
	n := purgeSize(b)
	day := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	type opened struct {
		s dip.Store
		// bytes measures the store: keys "db" (SQLite: its pages in use;
		// PostgreSQL: its tables, after VACUUM), "log" (SQLite: the intake
		// log's segments, the bodies) and "index" (PostgreSQL: the archive
		// index).
		bytes func() map[string]int64
	}
	stores := []struct {
		name string
		open func(testing.TB) opened
	}{
		{"sqlite", func(tb testing.TB) opened {
			dir := tb.TempDir()
			path := filepath.Join(dir, "mhhs.db")
			s, err := sqlite.Open(context.Background(), path)
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { s.Close() })
			return opened{s, func() map[string]int64 {
				m := map[string]int64{"db": sqliteInUse(tb, path), "log": dirBytes(tb, path+"-bodies")}
				if idx, ok := sqliteTableBytes(tb, path, "archive_index"); ok {
					m["index"] = idx
				}
				return m
			}}
		}},
		{"postgres", func(tb testing.TB) opened {
			dsn := storetest.PostgresSchema(tb)
			s, err := postgres.Open(context.Background(), dsn)
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { s.Close() })
			return opened{s, func() map[string]int64 {
				pgVacuum(tb, dsn)
				total, index := pgBytes(tb, dsn)
				return map[string]int64{"db": total, "index": index}
			}}
		}},
	}
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			b.StopTimer()
			var took time.Duration
			for range b.N {
				o := st.open(b)
				fillDelivered(b, o.s, n, day)
				before := o.bytes()
				dir := filepath.Join(b.TempDir(), "archive")
				a, err := archive.Open(dir)
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				purged, err := dip.PurgeArchive(context.Background(), o.s.(dip.ArchiveIndex), a, day)
				took += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if purged != n {
					b.Fatalf("purged %d of %d", purged, n)
				}
				after := o.bytes()
				archived := dirBytes(b, dir)
				for _, i := range []int{0, n / 2, n - 1} {
					rec, err := dip.JournalOf(context.Background(), o.s, a, "1200000001", if021Reference(i))
					if err != nil || rec.Archived == nil || len(rec.Entries) != 4 {
						b.Fatalf("journal of message %d after the purge: %v %+v", i, err, rec.Archived)
					}
				}
				a.Close()
				b.ReportMetric(float64(archived)/float64(n), "archive-B/msg")
				for _, k := range []string{"db", "log"} {
					if _, ok := before[k]; ok {
						b.ReportMetric(float64(before[k])/float64(n), k+"-before-B/msg")
						b.ReportMetric(float64(after[k])/float64(n), k+"-after-B/msg")
					}
				}
				if idx, ok := after["index"]; ok {
					b.ReportMetric(float64(idx)/float64(n), "index-B/msg")
				}
			}
			b.ReportMetric(float64(n*b.N)/took.Seconds(), "msgs/s")
			b.ReportMetric(took.Seconds()/float64(b.N), "purge-s")
		})
	}
}
