package isd

import (
	"github.com/mhhs/mhhs/internal/market"
)

// LossFactorTable holds the line loss factors of every LLFC of a Dataset.
//
// Each LLFC's factors are a dictionary of its distinct daily profiles (48
// factors each) and, for every settlement date of its span, a 16-bit
// reference to one of them. A GB year of thousands of LLFCs then takes a
// few megabytes, and a lookup is two indexed loads with no map and no
// allocation.
//
// Factors are per UTC settlement period 1..48 of a UTC settlement date.
// (Legacy LLFs are published per clock-time settlement period; that MHHS
// publishes them per UTC period is an assumption.)
type LossFactorTable struct {
	series []LossFactorSeries // ordered by distributor, then LLFC
	index  map[llfcKey]int
}

// LossFactorSeries is the loss factors of one LLFC over time: the handle
// to resolve once and query many times.
type LossFactorSeries struct {
	distributor, llfc string
	start             market.SettlementDate
	// days[i] is 1 + the index in profiles of the profile of start+i, or
	// 0 if the date has no factors.
	days []uint16
	// profiles[0] is unused, so that a day without factors needs no
	// extra branch.
	profiles [][PeriodsPerDay]Factor
}

// newLossFactorTable builds the store from profiles and days in canonical
// order (by distributor, LLFC, then profile or date), already validated.
func newLossFactorTable(profiles []LossFactorProfile, days []LossFactorDays) *LossFactorTable {
	t := &LossFactorTable{index: make(map[llfcKey]int)}
	names := make(map[llfcKey]map[string]uint16)
	for _, p := range profiles {
		k := llfcKey{p.Distributor, p.LLFC}
		i, ok := t.index[k]
		if !ok {
			i = len(t.series)
			t.index[k] = i
			t.series = append(t.series, LossFactorSeries{
				distributor: p.Distributor, llfc: p.LLFC,
				profiles: make([][PeriodsPerDay]Factor, 1),
			})
			names[k] = make(map[string]uint16)
		}
		s := &t.series[i]
		s.profiles = append(s.profiles, p.Factors)
		names[k][p.Profile] = uint16(len(s.profiles) - 1)
	}
	// Spans: days are sorted by LLFC, then date, and do not overlap.
	for lo := 0; lo < len(days); {
		k := llfcKey{days[lo].Distributor, days[lo].LLFC}
		hi := lo
		last := days[lo].To
		for hi < len(days) && days[hi].Distributor == k.distributor && days[hi].LLFC == k.llfc {
			if days[hi].To.After(last) {
				last = days[hi].To
			}
			hi++
		}
		s := &t.series[t.index[k]]
		s.start = days[lo].From
		s.days = make([]uint16, last.Sub(s.start)+1)
		for _, r := range days[lo:hi] {
			ref := names[k][r.Profile]
			for d := r.From.Sub(s.start); d <= r.To.Sub(s.start); d++ {
				s.days[d] = ref
			}
		}
		lo = hi
	}
	return t
}

// Class returns the loss factors of the LLFC of the distributor, and false
// if the table has none for it.
func (t *LossFactorTable) Class(distributor, llfc string) (*LossFactorSeries, bool) {
	i, ok := t.index[llfcKey{distributor, llfc}]
	if !ok {
		return nil, false
	}
	return &t.series[i], true
}

// Len returns the number of LLFCs with loss factors.
func (t *LossFactorTable) Len() int { return len(t.series) }

// Series returns the i'th LLFC with loss factors, 0 <= i < Len(), ordered
// by distributor and LLFC id.
func (t *LossFactorTable) Series(i int) *LossFactorSeries { return &t.series[i] }

// Distributor returns the distributor id of the LLFC of s.
func (s *LossFactorSeries) Distributor() string { return s.distributor }

// LLFC returns the LLFC id of s.
func (s *LossFactorSeries) LLFC() string { return s.llfc }

// Span returns the first and last settlement dates for which s may have
// factors; dates in between may have none. It is empty (To before From)
// when s has no days.
func (s *LossFactorSeries) Span() market.Range {
	return market.Range{From: s.start, To: s.start.AddDays(len(s.days) - 1)}
}

// At returns the loss factor of UTC settlement period p (1..48) of
// settlement date d, and false if s has none for that date or p is out of
// range. It does not allocate.
func (s *LossFactorSeries) At(d market.SettlementDate, p int) (Factor, bool) {
	i := uint(d.Sub(s.start))
	if i >= uint(len(s.days)) || uint(p-1) >= PeriodsPerDay {
		return 0, false
	}
	k := s.days[i]
	return s.profiles[k][p-1], k != 0
}

// Day returns the 48 loss factors of settlement date d, and false if s has
// none for that date.
func (s *LossFactorSeries) Day(d market.SettlementDate) ([PeriodsPerDay]Factor, bool) {
	i := uint(d.Sub(s.start))
	if i >= uint(len(s.days)) || s.days[i] == 0 {
		return [PeriodsPerDay]Factor{}, false
	}
	return s.profiles[s.days[i]], true
}
