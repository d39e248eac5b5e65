package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/postgres"
	"github.com/mhhs/mhhs/internal/sqlite"
	"github.com/mhhs/mhhs/internal/storetest"
)

// startHub runs an mhhs DIP hub in-process on a fresh SQLite store with the
// market of the IF-021 benchmark message: the sending data service, and as
// recipients the MDS and the LSS (Always) and the LDSO named in M0
// (Secondary): fan-out 3. No webhooks are configured, so the benchmark
// measures intake alone: validation, routing, the egress body and the durable
// commit of message + 3 delivery rows.
func startHub(tb testing.TB, dir string) (*dip.Hub, *dip.Participant, *sqlite.DB) {
	tb.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "mhhs.db"))
	if err != nil {
		tb.Fatal(err)
	}
	hub, sender := startHubOn(tb, store, dip.Config{})
	return hub, sender, store
}

// startHubOn runs a hub on store with the benchmark's participants.
func startHubOn(tb testing.TB, store dip.Store, cfg dip.Config) (*dip.Hub, *dip.Participant) {
	tb.Helper()
	ctx := context.Background()
	now := time.Now()
	for _, p := range []dip.Participant{
		{DIPID: if021Sender, Name: "SDS", Roles: []string{"SDS"}, Created: now},
		{DIPID: "1800000001", Name: "MDS", Roles: []string{"MDS"}, Created: now},
		{DIPID: "1900000001", Name: "LSS", Roles: []string{"LSS"}, Created: now},
		{DIPID: if021Distributor, Name: "LDSO", Roles: []string{"LDSO"}, Created: now},
	} {
		if err := store.PutParticipant(ctx, p); err != nil {
			tb.Fatal(err)
		}
	}
	hub := dip.NewHub(store, cfg)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { hub.Run(runCtx); close(done) }()
	tb.Cleanup(func() { cancel(); <-done; store.Close() })
	if err := hub.Refresh(ctx); err != nil {
		tb.Fatal(err)
	}
	sender, _ := hub.Participant(if021Sender)
	return hub, sender
}

// postgresStore opens the store in a fresh schema of MHHS_TEST_POSTGRES's
// database, dropped when the benchmark ends.
func postgresStore(tb testing.TB) dip.Store {
	store, err := postgres.Open(context.Background(), storetest.PostgresSchema(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	return store
}

func submitter(hub *dip.Hub, sender *dip.Participant) sendFunc {
	return func(ctx context.Context, i int, body []byte) error {
		items, err := hub.Submit(ctx, sender, "IF-021", body)
		if err != nil {
			return err
		}
		if !items[0].Accepted() {
			return fmt.Errorf("rejected: %s %s", items[0].Code, items[0].Detail)
		}
		return nil
	}
}

// BenchmarkIntake compares, in one run, the mhhs DIP's in-process intake of
// IF-021 messages (48 periods, fan-out 3, SQLite with an fsync per group
// commit) with embedded NATS JetStream publishing the same bytes with an
// fsync per message (sync-always) and in its default mode. 64 concurrent
// senders each wait for their message to be durable before sending the next.
func BenchmarkIntake(b *testing.B) {
	b.Run("mhhs-sqlite", func(b *testing.B) {
		serveRuntime(b)
		hub, sender, db := startHub(b, b.TempDir())
		before := db.IntakeStats()
		runSenders(b, Senders, submitter(hub, sender), db.Flush)
		reportCommits(b, hub)
		reportIntake(b, before, db.IntakeStats())
	})
	for _, mode := range []struct {
		name string
		sync bool
	}{{"jetstream-sync-always", true}, {"jetstream-default", false}} {
		b.Run(mode.name, func(b *testing.B) {
			js := startJetStream(b, b.TempDir(), mode.sync)
			runSenders(b, Senders, func(ctx context.Context, i int, body []byte) error {
				return js.Publish(ctx, "dip.IF-021", body)
			}, nil)
		})
	}
	// PostgreSQL last: its checkpoints and WAL writer go on after its run
	// and would slow the disk for the next one.
	if os.Getenv("MHHS_TEST_POSTGRES") != "" {
		b.Run("mhhs-postgres", func(b *testing.B) {
			serveRuntime(b)
			store := postgresStore(b)
			// One committer, as mhhs serve runs: since a group commit is one
			// round trip, a second committer made smaller groups and was
			// slower in six of seven pairs (BENCHMARKS.md, session 5).
			hub, sender := startHubOn(b, store, dip.Config{})
			runSenders(b, Senders, submitter(hub, sender), nil)
			reportCommits(b, hub)
		})
	}
}

// reportCommits reports the hub's group commits: messages and µs a commit.
func reportCommits(b *testing.B, hub *dip.Hub) {
	st := hub.Stats()
	b.ReportMetric(st.MeanBatch, "msgs/commit")
	b.ReportMetric(float64(st.MeanCommit.Microseconds()), "µs/commit")
}

// reportIntake reports what the SQLite store's intake pipeline did in the
// timed run: the log writer's rounds (one fdatasync each) and the indexer's
// transactions, and how often intake waited for the index.
func reportIntake(b *testing.B, before, after sqlite.IntakeStats) {
	rounds, txns := after.LogRounds-before.LogRounds, after.IndexTxns-before.IndexTxns
	if rounds == 0 || txns == 0 {
		return
	}
	b.ReportMetric(float64((after.LogTime-before.LogTime).Microseconds())/float64(rounds), "µs/log-round")
	// The disk's share of the ack latency: a message is answered when its
	// round's fdatasync returns, after the round before it has ended.
	hist := after.LogRoundsBy
	for i := range hist {
		hist[i] -= before.LogRoundsBy[i]
	}
	b.ReportMetric(float64(sqlite.RoundPercentile(hist, 0.5).Microseconds()), "log-round-p50-µs")
	b.ReportMetric(float64(sqlite.RoundPercentile(hist, 0.99).Microseconds()), "log-round-p99-µs")
	b.ReportMetric(float64(after.Indexed-before.Indexed)/float64(txns), "msgs/index-txn")
	b.ReportMetric(float64((after.IndexTime-before.IndexTime).Microseconds())/float64(after.Indexed-before.Indexed), "index-µs/msg")
	b.ReportMetric(float64(after.ThrottledAt-before.ThrottledAt), "throttled")
}
