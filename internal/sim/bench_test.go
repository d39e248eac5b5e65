package sim

import (
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/market"
)

// BenchmarkFillDay generates b.N MPAN-days of one date (sites 0 to
// b.N-1 of a 30 M-site market), each chunk of 2^16 days split into site
// ranges over GOMAXPROCS goroutines, and measures against it, in the same
// run, a plain fill: the same bytes (48 int64 values and 48 quality bytes
// per MPAN-day) stored by a loop that computes nothing. The two alternate
// chunk by chunk, so that both see the same machine (shared machines vary
// by tens of per cent within a second), and each chunk goes to the part
// of a buffer of up to 2^20 days (432 MB) written longest ago, so that
// neither writes to cache. It reports both rates and sim/fill, the share
// of memory-write speed that generation reaches. Run it with
//
//	go test ./internal/sim/ -run '^$' -bench FillDay -benchtime 1000000x -count 3
func BenchmarkFillDay(b *testing.B) {
	m := newMarket(b, func(c *Config) { c.Sites = 30_000_000 })
	g := m.Daily(date(2025, 1, 15))
	buf := make([]Day, min(2*b.N, 1<<20))
	chunk := max(1, min(1<<16, len(buf)/2))
	workers := runtime.GOMAXPROCS(0)
	// run calls f on workers ranges of 0..n-1 in parallel.
	run := func(n int, f func(lo, hi int)) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for w := range workers {
			lo, hi := w*n/workers, (w+1)*n/workers
			wg.Go(func() { f(lo, hi) })
		}
		wg.Wait()
		return time.Since(start)
	}
	plainFill(buf, 0) // fault the pages in
	at := 0
	next := func(n int) []Day { // the n days after the last chunk written
		if at+n > len(buf) {
			at = 0
		}
		at += n
		return buf[at-n : at]
	}
	errs := make([]error, workers)
	b.ResetTimer()
	var sim, fill time.Duration
	for done := 0; done < b.N; done += chunk {
		n := min(chunk, b.N-done)
		dst := next(n)
		fill += run(n, func(lo, hi int) { plainFill(dst[lo:hi], done+lo) })
		dst = next(n)
		sim += run(n, func(lo, hi int) { errs[lo*workers/n] = g.Fill(done+lo, dst[lo:hi]) })
		if err := errors.Join(errs...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/sim.Seconds(), "sim-MPAN-days/s")
	b.ReportMetric(float64(b.N)/fill.Seconds(), "fill-MPAN-days/s")
	b.ReportMetric(fill.Seconds()/sim.Seconds(), "sim/fill")
}

// plainFill stores values into days as Fill would, computing nothing.
func plainFill(days []Day, first int) {
	for k := range days {
		d := &days[k]
		v := market.Energy(first + k)
		for p := range d.Values {
			d.Values[p] = v + market.Energy(p)
			d.Quality[p] = Quality(p)
		}
	}
}

// BenchmarkSite computes sites by random access.
func BenchmarkSite(b *testing.B) {
	m := newMarket(b, func(c *Config) { c.Sites = 30_000_000 })
	b.ResetTimer()
	for i := range b.N {
		if _, err := m.Site(i * 29 % 30_000_000); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDaily is the compute cost of generation alone: one goroutine
// filling a buffer of 4096 MPAN-days that stays in cache.
func BenchmarkDaily(b *testing.B) {
	m := newMarket(b, func(c *Config) { c.Sites = 30_000_000 })
	g := m.Daily(date(2025, 1, 15))
	buf := make([]Day, 4096)
	b.ResetTimer()
	for done := 0; done < b.N; done += len(buf) {
		n := min(len(buf), b.N-done)
		if err := g.Fill(done, buf[:n]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "MPAN-days/s")
}
