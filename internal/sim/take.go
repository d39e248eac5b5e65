package sim

import (
	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/market"
)

// Take is the GSP group take of one GSP group on one UTC settlement date,
// for a set of sites: what the meters at the grid supply points would
// record if those sites were the whole group.
type Take struct {
	Group market.GSPGroup
	// Import and Export are the sums of the energy that flowed at the
	// group's import and export sites (FillTrue, not the faulty data a
	// data service sees), each value times the line loss factor of the
	// site's LLFC for the period, rounded to the watt-hour once per sum.
	Import, Export [market.PeriodsPerUTCDay]market.Energy
	// Metered is the take: Import - Export times 1 + e, where the error e
	// is drawn per group, date and period within ±Config.TakeError (half
	// a bias for the group-day, half noise per period), so that GSP group
	// correction has something to correct.
	Metered [market.PeriodsPerUTCDay]market.Energy
}

// Takes returns the GSP group takes of date d for sites first to
// first+n-1, one per GSP group of Config.Groups, in that order; groups
// without sites have zero takes. Line loss factors come from standing
// data for the site's LLFC and the date, or are Config.LossFactor where
// it has none. It returns an error wrapping ErrRange if a site does not
// exist.
func (m *Market) Takes(d market.SettlementDate, first, n int) ([]Take, error) {
	if err := m.checkRange(first, n); err != nil {
		return nil, err
	}
	g := m.Daily(d)
	// Loss factors of the LLFCs on d, resolved when first needed.
	factors := make([]*[market.PeriodsPerUTCDay]isd.Factor, len(m.llfcs))
	lossOf := func(l int) *[market.PeriodsPerUTCDay]isd.Factor {
		if factors[l] == nil {
			f, ok := [market.PeriodsPerUTCDay]isd.Factor{}, false
			if s := m.llfcs[l].series; s != nil {
				f, ok = s.Day(d)
			}
			if !ok {
				for p := range f {
					f[p] = m.loss
				}
			}
			factors[l] = &f
		}
		return factors[l]
	}
	// Sums of value × factor in millionths of a watt-hour.
	imp := make([][market.PeriodsPerUTCDay]int64, len(m.groups))
	exp := make([][market.PeriodsPerUTCDay]int64, len(m.groups))
	var v [market.PeriodsPerUTCDay]market.Energy
	for i := first; i < first+n; i++ {
		c := m.core(i)
		if c.status(g.day) != Actual {
			continue
		}
		gi, _, l := m.place(i, &c)
		g.site(i, &v, nil)
		sum := &imp[gi]
		if c.partner >= 0 {
			sum = &exp[gi]
		}
		f := lossOf(l)
		for p := range v {
			sum[p] += int64(v[p]) * int64(f[p])
		}
	}
	out := make([]Take, len(m.groups))
	day := uint64(d.Sub(market.SettlementDate{}))
	for gi := range m.groups {
		t := &out[gi]
		t.Group = m.groups[gi].id
		r := stream(m.cfg.Seed, tagTake, hash(day, uint64(gi)))
		// Errors in millionths: a bias for the day within ±E/2 and
		// noise per period within ±E/2.
		span := int64(m.takeErr*1_000_000>>32) &^ 1 // E in millionths, even
		bias := int64(r.intn(uint64(span)+1)) - span/2
		for p := range t.Import {
			t.Import[p] = market.Energy((imp[gi][p] + 500_000) / 1_000_000)
			t.Export[p] = market.Energy((exp[gi][p] + 500_000) / 1_000_000)
			net := int64(t.Import[p] - t.Export[p])
			e := bias + int64(r.intn(uint64(span)+1)) - span/2
			t.Metered[p] = market.Energy(net + roundDiv(net*e, 1_000_000))
		}
	}
	return out, nil
}

// roundDiv returns a/b rounded half away from zero, for b > 0.
func roundDiv(a, b int64) int64 {
	if a < 0 {
		return -((-a + b/2) / b)
	}
	return (a + b/2) / b
}
