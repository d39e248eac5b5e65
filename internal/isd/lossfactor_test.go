package isd

import (
	"math/rand/v2"
	"testing"

	"github.com/mhhs/mhhs/internal/market"
)

func TestLossFactorAt(t *testing.T) {
	ds := testDataset(t)
	lf := ds.LossFactors()
	s, ok := lf.Class("10", "101")
	if !ok {
		t.Fatal("no series for 10/101")
	}
	if s.Distributor() != "10" || s.LLFC() != "101" || s.Span() != (market.Range{From: day("2025-01-01"), To: day("2025-02-28")}) {
		t.Errorf("series = %s/%s %s", s.Distributor(), s.LLFC(), s.Span())
	}
	tests := []struct {
		date string
		p    int
		want Factor
		ok   bool
	}{
		{"2024-12-31", 1, 0, false}, // before the span
		{"2025-01-01", 1, 1_050_000, true},
		{"2025-01-10", 48, 1_050_000, true},
		{"2025-01-11", 1, 1_060_001, true}, // next profile
		{"2025-01-20", 48, 1_060_048, true},
		{"2025-01-21", 1, 0, false}, // gap
		{"2025-01-31", 48, 0, false},
		{"2025-02-01", 17, 1_050_000, true},
		{"2025-02-28", 48, 1_050_000, true},
		{"2025-03-01", 1, 0, false}, // after the span
		{"2025-01-11", 0, 0, false}, // period out of range
		{"2025-01-11", 49, 0, false},
	}
	for _, tt := range tests {
		got, ok := s.At(day(tt.date), tt.p)
		if got != tt.want || ok != tt.ok {
			t.Errorf("At(%s, %d) = %s, %v; want %s, %v", tt.date, tt.p, got, ok, tt.want, tt.ok)
		}
		got, ok = ds.LossFactor("10", "101", day(tt.date), tt.p)
		if got != tt.want || ok != tt.ok {
			t.Errorf("LossFactor(10, 101, %s, %d) = %s, %v; want %s, %v", tt.date, tt.p, got, ok, tt.want, tt.ok)
		}
	}
	if f, ok := s.Day(day("2025-01-12")); !ok || f != ramp(1_060_000) {
		t.Errorf("Day(2025-01-12) = %v, %v", f, ok)
	}
	if _, ok := s.Day(day("2025-01-25")); ok {
		t.Error("Day in the gap: found")
	}
	if _, ok := lf.Class("40", "801"); ok {
		t.Error("Class(40, 801) without loss factors: found")
	}
	if _, ok := ds.LossFactor("99", "101", day("2025-01-01"), 1); ok {
		t.Error("LossFactor of unknown LLFC: found")
	}
	if lf.Len() != 2 || lf.Series(1).LLFC() != "301" {
		t.Errorf("Len = %d, Series(1) = %s", lf.Len(), lf.Series(1).LLFC())
	}
}

func TestLossFactorAtDoesNotAllocate(t *testing.T) {
	ds := testDataset(t)
	s, _ := ds.LossFactors().Class("10", "101")
	d := day("2025-01-15")
	var sum Factor
	allocs := testing.AllocsPerRun(100, func() {
		for p := 1; p <= 48; p++ {
			f, _ := s.At(d, p)
			sum += f
		}
	})
	if allocs != 0 {
		t.Errorf("At allocates %v times per 48 calls", allocs)
	}
}

// lossFactorBench is the same loss factor data, and the same random
// queries, for BenchmarkLossFactor and its peer BenchmarkLossFactorMap.
type lossFactorBench struct {
	queries []lfQuery
	keys    []lfMapKey
	m       map[lfMapKey]Factor
}

type lfQuery struct {
	s *LossFactorSeries
	d market.SettlementDate
	p int
}

type lfMapKey struct {
	llfc string // distributor/LLFC, e.g. "10/101"
	d    market.SettlementDate
	p    int
}

const benchQueries = 1 << 16

// newLossFactorBench loads the default dataset and builds queries over
// every LLFC, every day of 2025 and every period; with maps, also the
// map holding every factor of 2025 (78 LLFCs × 365 days × 48 periods).
func newLossFactorBench(b *testing.B, maps bool) *lossFactorBench {
	ds, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	lf := ds.LossFactors()
	from, days := day("2025-01-01"), 365
	lb := &lossFactorBench{}
	if maps {
		lb.m = make(map[lfMapKey]Factor, lf.Len()*days*PeriodsPerDay)
		for i := range lf.Len() {
			s := lf.Series(i)
			name := s.Distributor() + "/" + s.LLFC()
			for d := range days {
				for p := 1; p <= PeriodsPerDay; p++ {
					f, _ := s.At(from.AddDays(d), p)
					lb.m[lfMapKey{name, from.AddDays(d), p}] = f
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range benchQueries {
		s := lf.Series(rng.IntN(lf.Len()))
		q := lfQuery{s, from.AddDays(rng.IntN(days)), 1 + rng.IntN(PeriodsPerDay)}
		lb.queries = append(lb.queries, q)
		lb.keys = append(lb.keys, lfMapKey{s.Distributor() + "/" + s.LLFC(), q.d, q.p})
	}
	return lb
}

var benchSink Factor

// BenchmarkLossFactor looks up (LLFC handle, settlement date, period) in
// the loss factor store.
func BenchmarkLossFactor(b *testing.B) {
	lb := newLossFactorBench(b, false)
	var sum Factor
	i := 0
	for b.Loop() {
		q := &lb.queries[i&(benchQueries-1)]
		f, _ := q.s.At(q.d, q.p)
		sum += f
		i++
	}
	benchSink = sum
}

// BenchmarkLossFactorMap is the peer of BenchmarkLossFactor: the same
// factors and queries in a plain Go map keyed by (LLFC, date, period).
func BenchmarkLossFactorMap(b *testing.B) {
	lb := newLossFactorBench(b, true)
	var sum Factor
	i := 0
	for b.Loop() {
		f := lb.m[lb.keys[i&(benchQueries-1)]]
		sum += f
		i++
	}
	benchSink = sum
}

// BenchmarkLossFactorByName resolves the LLFC by name on every lookup,
// as Dataset.LossFactor does.
func BenchmarkLossFactorByName(b *testing.B) {
	lb := newLossFactorBench(b, false)
	ds, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	var sum Factor
	i := 0
	for b.Loop() {
		q := &lb.queries[i&(benchQueries-1)]
		f, _ := ds.LossFactor(q.s.Distributor(), q.s.LLFC(), q.d, q.p)
		sum += f
		i++
	}
	benchSink = sum
}
