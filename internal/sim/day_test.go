package sim

import (
	"errors"
	"math"
	"sync"
	"testing"

	"github.com/mhhs/mhhs/internal/market"
)

// fill returns the days of sites first to first+n-1 on d.
func fill(t testing.TB, m *Market, d market.SettlementDate, first, n int) []Day {
	t.Helper()
	days := make([]Day, n)
	if err := m.FillDay(d, first, days); err != nil {
		t.Fatal(err)
	}
	return days
}

func TestDayDeterminism(t *testing.T) {
	dates := []market.SettlementDate{date(2025, 1, 15), date(2025, 3, 30), date(2026, 7, 1)}
	a := newMarket(t, func(c *Config) { c.Seed = 42 })
	b := newMarket(t, func(c *Config) { c.Seed = 42 })
	other := newMarket(t, func(c *Config) { c.Seed = 43 })
	for _, d := range dates {
		x, y, z := fill(t, a, d, 0, 2000), fill(t, b, d, 0, 2000), fill(t, other, d, 0, 2000)
		differ, proportional := 0, 0
		for i := range x {
			if x[i] != y[i] {
				t.Fatalf("%s site %d: the same seed gave different days", d, i)
			}
			if x[i] != z[i] {
				differ++
			}
			if sameShape(&x[i], &z[i]) {
				proportional++
			}
		}
		if differ < 1900 {
			t.Errorf("%s: seeds 42 and 43 gave different days at only %d of 2000 sites", d, differ)
		}
		// The noise must depend on the seed too, not only the sites'
		// attributes: seeds 42 and 43 give proportional days only where
		// both are empty (none at 2000 sites when written, 68-153 when the
		// day's noise ignored the seed).
		if proportional > 10 {
			t.Errorf("%s: seeds 42 and 43 gave proportional days at %d of 2000 sites", d, proportional)
		}
	}
}

// sameShape reports whether two days with good data in every period are
// proportional to within 1 %.
func sameShape(a, b *Day) bool {
	var sa, sb float64
	for p := range a.Values {
		if a.Quality[p] != Actual || b.Quality[p] != Actual {
			return false
		}
		sa += float64(a.Values[p])
		sb += float64(b.Values[p])
	}
	if sa == 0 || sb == 0 {
		return sa == sb
	}
	for p := range a.Values {
		if math.Abs(float64(a.Values[p])/sa-float64(b.Values[p])/sb) > 0.01*float64(a.Values[p])/sa+1e-9 {
			return false
		}
	}
	return true
}

// TestDayParallel fills one date in pieces from several goroutines and in
// one call, and in a market of another size: the bytes are the same.
func TestDayParallel(t *testing.T) {
	m := newMarket(t, func(c *Config) { c.Sites = 10_000 })
	big := newMarket(t, func(c *Config) { c.Sites = 1_000_000 })
	d := date(2025, 11, 3)
	whole := fill(t, m, d, 0, 10_000)
	pieces := make([]Day, 10_000)
	g := m.Daily(d)
	var wg sync.WaitGroup
	errs := make([]error, 7)
	for k := range 7 {
		lo, hi := k*10_000/7, (k+1)*10_000/7
		wg.Go(func() { errs[k] = g.Fill(lo, pieces[lo:hi]) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	again := fill(t, big, d, 5_000, 5_000)
	for i := range whole {
		if whole[i] != pieces[i] {
			t.Fatalf("site %d: a parallel fill differs", i)
		}
		if i >= 5_000 && whole[i] != again[i-5_000] {
			t.Fatalf("site %d: a fill from site 5000 of a larger market differs", i)
		}
	}
}

// TestDayRules checks every value of 20 000 sites on days around the
// clock changes and the timeline's start.
func TestDayRules(t *testing.T) {
	const n = 20_000
	m := newMarket(t, func(c *Config) { c.Sites = n })
	ss := sites(t, m, 0, n)
	truth := make([][market.PeriodsPerUTCDay]market.Energy, n)
	for _, d := range []market.SettlementDate{date(2025, 1, 1), date(2025, 3, 30), date(2025, 10, 26), date(2026, 2, 1), date(2026, 12, 31)} {
		days := fill(t, m, d, 0, n)
		if err := m.Daily(d).FillTrue(0, truth); err != nil {
			t.Fatal(err)
		}
		for i, day := range days {
			s := ss[i]
			if len(day.Values) != 48 || len(day.Quality) != 48 {
				t.Fatal("a day is not 48 periods") // the type says so; keep it so
			}
			absent := (!s.Connected.IsZero() && d.Before(s.Connected)) || (!s.Disconnected.IsZero() && !d.Before(s.Disconnected))
			for p, v := range day.Values {
				q := day.Quality[p]
				switch {
				case absent && q != Absent, !absent && q == Absent:
					t.Fatalf("%s site %d (connected %s, disconnected %s) period %d: quality %s", d, i, s.Connected, s.Disconnected, p+1, q)
				case d == m.Config().Start && s.Energisation == market.DeEnergised && !absent && q != DeEnergised:
					t.Fatalf("%s site %d starts de-energised but period %d is %s", d, i, p+1, q)
				case q == Actual && v < 0:
					t.Fatalf("%s site %d period %d: actual value %d Wh is negative", d, i, p+1, v)
				case (q == Negative) != (v < 0):
					t.Fatalf("%s site %d period %d: %d Wh marked %s", d, i, p+1, v, q)
				case (q == Missing || q == Absent || q == DeEnergised || q == ZeroDay) && v != 0:
					t.Fatalf("%s site %d period %d: %d Wh marked %s", d, i, p+1, v, q)
				case q == Actual && v != truth[i][p]:
					t.Fatalf("%s site %d period %d: actual %d Wh, true %d Wh", d, i, p+1, v, truth[i][p])
				case q == Spike && v <= truth[i][p]*10:
					t.Fatalf("%s site %d period %d: spike %d Wh, true %d Wh", d, i, p+1, v, truth[i][p])
				case q != Actual && s.Segment == market.SegmentUnmetered && q != Absent && q != DeEnergised:
					t.Fatalf("%s unmetered site %d period %d marked %s", d, i, p+1, q)
				case (q == DeEnergised || q == Absent) && truth[i][p] != 0:
					t.Fatalf("%s site %d period %d: %s but %d Wh flowed", d, i, p+1, q, truth[i][p])
				}
			}
		}
	}
}

// TestFaultRates counts the data-quality events on 100 000 metered,
// live, energised MPAN-days.
func TestFaultRates(t *testing.T) {
	m := newMarket(t, func(c *Config) {
		c.Sites = 60_000
		c.Faults = Faults{Gaps: 0.05, GapMax: 10, MissingDays: 0.02, Spikes: 0.01, ZeroDays: 0.005, Negatives: 0.007}
	})
	f := m.Config().Faults
	var days, gaps, missing, spikes, zeros, negatives int
	for _, d := range []market.SettlementDate{date(2025, 2, 10), date(2025, 8, 9)} {
		for _, day := range fill(t, m, d, 0, 60_000) {
			if day.Quality[0] == Absent || day.Quality[0] == DeEnergised {
				continue
			}
			var count [Absent + 1]int
			first, last := -1, -1
			for p, q := range day.Quality {
				count[q]++
				if q == Missing {
					if first < 0 {
						first = p
					}
					last = p
				}
			}
			days++
			switch {
			case count[Missing] == 48:
				missing++
			case count[Missing] > 0:
				gaps++
				if n := last - first + 1; n != count[Missing] || n > f.GapMax {
					t.Fatalf("a comms gap of %d periods over %d..%d", count[Missing], first+1, last+1)
				}
			case count[ZeroDay] == 48:
				zeros++
			case count[Spike] == 1:
				spikes++
			case count[Negative] == 1:
				negatives++
			}
			if others := 48 - count[Actual] - count[Missing] - count[ZeroDay] - count[Spike] - count[Negative]; others != 0 ||
				count[Actual] < 47 && count[Missing] == 0 && count[ZeroDay] == 0 {
				t.Fatalf("a day with qualities %v", count)
			}
		}
	}
	if days < 100_000 {
		t.Fatalf("only %d live MPAN-days", days)
	}
	for _, c := range []struct {
		name string
		got  int
		want float64
	}{
		{"comms gaps", gaps, f.Gaps}, {"missing days", missing, f.MissingDays},
		{"spikes", spikes, f.Spikes}, {"zero days", zeros, f.ZeroDays}, {"negatives", negatives, f.Negatives},
	} {
		checkShare(t, c.name, c.got, days, c.want, sigmas(5, c.want, days))
	}
}

// TestAnnualTotals sums a year of true values per site and compares them
// with the sites' annual consumption.
func TestAnnualTotals(t *testing.T) {
	const n = 3000
	m := newMarket(t, func(c *Config) {
		c.Sites = n
		c.Shares.Advanced, c.Shares.Unmetered = 0.05, 0.1 // more of the rarer types
		c.Shares.DeEnergised = 0
		c.Rates = Rates{}
	})
	ss := sites(t, m, 0, n)
	totals := make([]float64, n)
	vals := make([][market.PeriodsPerUTCDay]market.Energy, n)
	for d := date(2025, 1, 1); d.Year() == 2025; d = d.AddDays(1) {
		if err := m.Daily(d).FillTrue(0, vals); err != nil {
			t.Fatal(err)
		}
		for i := range vals {
			for _, v := range vals[i] {
				totals[i] += float64(v)
			}
		}
	}
	var got, want [nCustomers]float64
	var count [nCustomers]int
	for i, s := range ss {
		ratio := totals[i] / float64(s.Annual)
		if ratio < 0.85 || ratio > 1.15 {
			t.Errorf("site %d (%s): %.0f Wh in 2025, annual consumption %d Wh (%.3f)", i, s.Customer, totals[i], s.Annual, ratio)
		}
		got[s.Customer] += totals[i]
		want[s.Customer] += float64(s.Annual)
		count[s.Customer]++
	}
	for c := range nCustomers {
		if count[c] < 20 {
			t.Errorf("only %d %s sites", count[c], c)
			continue
		}
		// 2025 has the average year's 253 working days; other years
		// differ by a day or two.
		if r := got[c] / want[c]; r < 0.985 || r > 1.015 {
			t.Errorf("%s: %d sites used %.4f of their annual consumption in 2025", c, count[c], r)
		}
	}
}

// TestShapeYear checks that each type's shares of the year sum to one
// over 2025 and 2026, whatever their weekdays, within the bank-holiday
// effect.
func TestShapeYear(t *testing.T) {
	m := newMarket(t, nil)
	for _, y := range []int{2025, 2026} {
		var sum [nCustomers]float64
		for d := date(y, 1, 1); d.Year() == y; d = d.AddDays(1) {
			g := m.Daily(d)
			for c := range nCustomers {
				for _, w := range g.shape[c][1:49] {
					sum[c] += float64(w) / (1 << 32)
				}
			}
		}
		for c, s := range sum {
			if math.Abs(s-1) > 0.015 {
				t.Errorf("%d: %s shares sum to %.4f", y, Customer(c), s)
			}
		}
	}
}

// share returns the expected share of the year of type c in UTC period p
// (1..48) of d.
func share(m *Market, c Customer, d market.SettlementDate, p int) float64 {
	return float64(m.Daily(d).shape[c][p]) / (1 << 32)
}

func dayShare(m *Market, c Customer, d market.SettlementDate) float64 {
	s := 0.0
	for p := 1; p <= 48; p++ {
		s += share(m, c, d, p)
	}
	return s
}

func TestShapes(t *testing.T) {
	m := newMarket(t, nil)
	jan, jul := date(2025, 1, 15), date(2025, 7, 16)   // Wednesdays
	sun, xmas := date(2025, 1, 19), date(2025, 12, 25) // a Sunday and a bank holiday
	midsummer, midwinter := date(2025, 6, 21), date(2025, 12, 21)
	argmax := func(c Customer, d market.SettlementDate) int {
		best := 1
		for p := 1; p <= 48; p++ {
			if share(m, c, d, p) > share(m, c, d, best) {
				best = p
			}
		}
		return best
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"domestic evening peak above the night", share(m, Domestic, jan, 37) > 2.5*share(m, Domestic, jan, 7)},
		{"domestic winter above summer", dayShare(m, Domestic, jan) > 1.3*dayShare(m, Domestic, jul)},
		{"domestic peak at 18:00 local: 18:00 UTC in winter", argmax(Domestic, jan) == 37},
		{"domestic peak at 18:00 local: 17:00 UTC in summer", argmax(Domestic, jul) == 35},
		{"economy 7 night above its day", share(m, Economy7, jan, 8) > 3*share(m, Economy7, jan, 25)},
		{"economy 7 winter above summer", dayShare(m, Economy7, jan) > 1.8*dayShare(m, Economy7, jul)},
		{"small business weekday noon above Sunday noon", share(m, SmallBusiness, jan, 25) > 2*share(m, SmallBusiness, sun, 25)},
		{"small business: Christmas is not a working day", share(m, SmallBusiness, xmas, 25) < 0.5*share(m, SmallBusiness, date(2025, 12, 24), 25)},
		{"small business night below its day", share(m, SmallBusiness, jan, 5) < 0.3*share(m, SmallBusiness, jan, 25)},
		{"large business weekday above weekend", dayShare(m, LargeBusiness, jan) > 1.1*dayShare(m, LargeBusiness, sun)},
		{"large business has a base load", share(m, LargeBusiness, jan, 5) > 0.4*share(m, LargeBusiness, jan, 25)},
		{"street lights off at midsummer noon", share(m, StreetLighting, midsummer, 25) == 0},
		{"street lights on at midnight", share(m, StreetLighting, midsummer, 1) > 0},
		{"street lights: longer nights in winter", dayShare(m, StreetLighting, midwinter) > 2*dayShare(m, StreetLighting, midsummer)},
		{"street lights at 17:00 UTC in winter, not in summer", share(m, StreetLighting, midwinter, 35) > 0 && share(m, StreetLighting, midsummer, 35) == 0},
		{"no solar at night", share(m, Solar, midsummer, 2) == 0 && share(m, Solar, midwinter, 47) == 0},
		{"solar peaks around noon UTC", argmax(Solar, midsummer) >= 24 && argmax(Solar, midsummer) <= 26},
		{"solar summer far above winter", dayShare(m, Solar, midsummer) > 4*dayShare(m, Solar, midwinter)},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: not so", c.name)
		}
	}
}

func TestFillRange(t *testing.T) {
	m := newMarket(t, func(c *Config) { c.Sites = 100 })
	d := date(2025, 5, 5)
	for _, c := range []struct{ first, n int }{{-1, 1}, {99, 2}, {100, 1}, {0, 101}} {
		if err := m.FillDay(d, c.first, make([]Day, c.n)); !errors.Is(err, ErrRange) {
			t.Errorf("FillDay(%d, %d days) = %v, want ErrRange", c.first, c.n, err)
		}
		if err := m.Daily(d).FillTrue(c.first, make([][48]market.Energy, c.n)); !errors.Is(err, ErrRange) {
			t.Errorf("FillTrue(%d, %d days) = %v, want ErrRange", c.first, c.n, err)
		}
	}
	if err := m.FillDay(d, 100, nil); err != nil {
		t.Errorf("an empty fill after the last site: %v", err)
	}
	if got := m.Daily(d).Date(); got != d {
		t.Errorf("Daily(%s).Date() = %s", d, got)
	}
}

// TestShapeBound checks the bound that generation's 64-bit arithmetic
// relies on: every share of the year is below 2^24 in 0.32 fixed point
// (and the period factors below 2^17), on every day of two years.
func TestShapeBound(t *testing.T) {
	m := newMarket(t, func(c *Config) {
		for k := range c.Loads {
			c.Loads[k].PeriodNoise = 0.99
		}
	})
	for c := range nCustomers {
		if n := m.noise[c][255]; n >= 1<<17 {
			t.Errorf("%s: period factor %d", Customer(c), n)
		}
	}
	for d := date(2025, 1, 1); d.Before(date(2027, 1, 1)); d = d.AddDays(1) {
		g := m.Daily(d)
		for c := range nCustomers {
			for _, w := range g.shape[c] {
				if w >= 1<<24 {
					t.Fatalf("%s %s: share %d", d, Customer(c), w)
				}
			}
		}
	}
}

func TestNoiseMean(t *testing.T) {
	m := newMarket(t, nil)
	for c := range nCustomers {
		var sum uint64
		for _, n := range m.noise[c] {
			sum += n
		}
		if mean := float64(sum) / 256 / (1 << 16); math.Abs(mean-1) > 1e-5 {
			t.Errorf("%s: period factors average %v", Customer(c), mean)
		}
	}
}
