package bench

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/dip"
)

// Senders is how many senders submit at once in the intake benchmarks. The
// DIP has many senders (every data service, supplier and distributor); 64
// concurrent ones is the a1 workload of performance-research.md §4.
const Senders = 64

// TestMain runs every benchmark of this package with the garbage collector
// at peerGCPercent unless GOGC is set; the mhhs sub-benchmarks switch to
// mhhs serve's settings (serveRuntime).
func TestMain(m *testing.M) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(peerGCPercent)
	}
	os.Exit(m.Run())
}

// peerGCPercent is the collector target the peers run with: of 100, 400
// and 1600, JetStream's default mode ran fastest at 400 (medians 72 k, 74 k
// and 70 k msgs/s over three interleaved runs each).
const peerGCPercent = 400

// serveRuntime runs the rest of b with the scheduler threads and the
// collector target mhhs serve uses (dip.ProcsPerCPU per CPU, dip.GCPercent)
// unless GOMAXPROCS or GOGC is set, and restores them when b ends: the hub
// runs in this process as it runs in mhhs serve. Only the mhhs
// sub-benchmarks take them: 2 Ps per CPU slowed JetStream's default mode by
// 10–15%, so the peers keep Go's default and peerGCPercent.
func serveRuntime(b *testing.B) {
	if os.Getenv("GOMAXPROCS") == "" {
		prev := runtime.GOMAXPROCS(dip.ProcsPerCPU * runtime.NumCPU())
		b.Cleanup(func() { runtime.GOMAXPROCS(prev) })
	}
	if os.Getenv("GOGC") == "" {
		prev := debug.SetGCPercent(dip.GCPercent)
		b.Cleanup(func() { debug.SetGCPercent(prev) })
	}
}

// nextMessage hands out message indexes, so that every message sent in one
// test process has its own senderUniqueReference, across sub-benchmarks
// and across the b.N rounds of one benchmark. An intake that rejects
// duplicate references can therefore keep its store across rounds.
var nextMessage atomic.Int64

// sendFunc submits message i, whose bytes are body, and returns once the
// system under test has taken it in (for JetStream: the PubAck). body is
// reused for the sender's next message once sendFunc returns.
type sendFunc func(ctx context.Context, i int, body []byte) error

// runSenders is the closed-loop intake harness shared by the peers and the
// mhhs intake: b.N IF-021 messages split over `senders` goroutines, each
// sending its next message as soon as the previous one is taken in. Each
// sender times every call into its own preallocated slice; at the end the
// harness reports msgs/s, the p50 and p99 latency of one send in µs, and
// (through SetBytes) MB/s of message bodies.
//
// The timer covers the sends and then drain, if not nil: what the system
// under test still does after answering (mhhs on SQLite: indexing the
// intake log) counts as part of taking the messages in. Set up before
// calling runSenders, and check and tear down after it returns (the timer
// is stopped).
func runSenders(b *testing.B, senders int, send sendFunc, drain func(context.Context) error) {
	b.Helper()
	first := int(nextMessage.Add(int64(b.N))) - b.N
	size := len(IF021Message(0))
	b.SetBytes(int64(size))

	lat := make([][]time.Duration, senders)
	for g := range lat {
		lat[g] = make([]time.Duration, 0, b.N/senders+1)
	}
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		errOnce sync.Once
		sendErr error
		failed  atomic.Bool
	)
	ctx := context.Background()
	for g := range senders {
		wg.Go(func() {
			buf := make([]byte, 0, size)
			<-start
			for n := g; n < b.N && !failed.Load(); n += senders {
				i := first + n
				buf = AppendIF021Message(buf, i)
				t0 := time.Now()
				if err := send(ctx, i, buf); err != nil {
					errOnce.Do(func() { sendErr = fmt.Errorf("sender %d, message %d: %w", g, i, err) })
					failed.Store(true)
					return
				}
				lat[g] = append(lat[g], time.Since(t0))
			}
		})
	}
	b.ResetTimer()
	close(start)
	wg.Wait()
	if drain != nil && sendErr == nil {
		sendErr = drain(ctx)
	}
	b.StopTimer()
	if sendErr != nil {
		b.Fatal(sendErr)
	}
	reportLatency(b, slices.Concat(lat...))
}

// reportLatency reports msgs/s over the timed part of the run and the
// p50 and p99 of the given per-message latencies, in µs.
func reportLatency(b *testing.B, all []time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	b.ReportMetric(float64(percentile(all, 0.50))/1e3, "p50-µs")
	b.ReportMetric(float64(percentile(all, 0.99))/1e3, "p99-µs")
}

// percentile returns the q-quantile (nearest rank) of sorted durations.
func percentile(sorted []time.Duration, q float64) time.Duration {
	k := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(k, len(sorted)-1))]
}

func TestPercentile(t *testing.T) {
	d := make([]time.Duration, 100)
	for i := range d {
		d[i] = time.Duration(i + 1)
	}
	if p := percentile(d, 0.99); p != 99 {
		t.Errorf("p99 of 1..100 = %d, want 99", p)
	}
	if p := percentile(d, 0.50); p != 50 {
		t.Errorf("p50 of 1..100 = %d, want 50", p)
	}
	if p := percentile(d[:1], 0.99); p != 1 {
		t.Errorf("p99 of [1] = %d, want 1", p)
	}
}
