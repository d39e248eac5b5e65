package sim

import (
	"math/bits"
	"strconv"
	"time"

	"github.com/mhhs/mhhs/internal/market"
)

// Quality marks a half-hourly value as a meter and its data service would
// see it.
type Quality uint8

// The qualities of a period. Only Actual values are what was consumed;
// Spike, ZeroDay and Negative are anomalies a data service should reject;
// Missing, DeEnergised and Absent carry 0.
const (
	// Actual is a good reading: the energy that flowed.
	Actual Quality = iota
	// Missing is a period whose data never arrived: a comms gap or a
	// missing day. The value is 0.
	Missing
	// Spike is an implausibly high reading.
	Spike
	// ZeroDay is a day of zeros from a live, energised meter.
	ZeroDay
	// Negative is a negative import reading.
	Negative
	// DeEnergised is a period of a de-energised site: a true 0.
	DeEnergised
	// Absent is a period on which the site has no metering point: before
	// its connection or from its disconnection. The value is 0.
	Absent
)

var qualityNames = [...]string{"actual", "missing", "spike", "zero-day", "negative", "de-energised", "absent"}

// String returns the name of q, e.g. "zero-day".
func (q Quality) String() string {
	if int(q) < len(qualityNames) {
		return qualityNames[q]
	}
	return "quality(" + strconv.Itoa(int(q)) + ")"
}

// Anomalous reports whether q marks an implausible value: Spike, ZeroDay
// or Negative.
func (q Quality) Anomalous() bool { return q == Spike || q == ZeroDay || q == Negative }

// Day is one MPAN-day: the 48 half-hourly values of a UTC settlement day,
// period 1 first, and the quality of each.
type Day struct {
	Values  [market.PeriodsPerUTCDay]market.Energy
	Quality [market.PeriodsPerUTCDay]Quality
}

// Daily generates the half-hourly values of one UTC settlement date for
// any site, in any order, in parallel if wanted: it is immutable and safe
// for concurrent use. Build one per date with Market.Daily and fill
// ranges of sites from as many goroutines as there are cores.
//
// The value of site i in period p is its annual consumption × the share
// of an average year that its customer type uses in p on this date × a
// day factor × a period factor. The shares follow the type's shape
// (working or non-working day, clock time for people and UTC for the
// sun, season by interpolated monthly levels) and sum to 1 over an
// average year, so a year's values add up to the annual consumption
// (give or take the leap day, the year's bank holidays and the noise).
// The factors are uniform with mean 1 (Load.DayNoise, Load.PeriodNoise).
// Domestic sites' shapes shift by half an hour either way, per site.
//
// Any date may be generated. Before Start, sites connected before Start
// are as they are at Start (energised or not) and sites connected later
// are absent; after the timeline, sites stay as they are at its end.
type Daily struct {
	m     *Market
	date  market.SettlementDate
	day   int // relative to Start
	seed  uint64
	shape [nCustomers][market.PeriodsPerUTCDay + 2]uint64 // 0.32 share of the year; [0] and [49] wrap around
}

// Daily returns the generator of the values of date d.
func (m *Market) Daily(d market.SettlementDate) *Daily {
	g := &Daily{
		m:    m,
		date: d,
		day:  d.Sub(m.cfg.Start),
		seed: hash(hash(m.cfg.Seed, tagDay), uint64(d.Sub(market.SettlementDate{}))),
	}
	wd := d.Weekday()
	s := newDayShape(dayOf(d), wd == time.Saturday || wd == time.Sunday || m.cal.IsHoliday(d), clockOffset(d))
	for c := range nCustomers {
		sh := &g.shape[c]
		for p := range market.PeriodsPerUTCDay {
			sh[p+1] = s.raw(c, p) * 365 << 32 / m.year[c]
		}
		sh[0], sh[len(sh)-1] = sh[len(sh)-2], sh[1]
	}
	return g
}

// Date returns the settlement date of g.
func (g *Daily) Date() market.SettlementDate { return g.date }

// Fill writes the values and qualities of sites first to first+len(days)-1
// to days, as a data service would receive them: with comms gaps, missing
// days and anomalies at the rates of Config.Faults. It returns an error
// wrapping ErrRange if a site does not exist.
func (g *Daily) Fill(first int, days []Day) error {
	if err := g.m.checkRange(first, len(days)); err != nil {
		return err
	}
	for k := range days {
		g.site(first+k, &days[k].Values, &days[k].Quality)
	}
	return nil
}

// FillTrue writes the energy that actually flowed at sites first to
// first+len(vals)-1 to vals: the values of Fill before data-quality
// events, 0 where a site is de-energised or absent. It returns an error
// wrapping ErrRange if a site does not exist.
func (g *Daily) FillTrue(first int, vals [][market.PeriodsPerUTCDay]market.Energy) error {
	if err := g.m.checkRange(first, len(vals)); err != nil {
		return err
	}
	for k := range vals {
		g.site(first+k, &vals[k], nil)
	}
	return nil
}

// FillDay is m.Daily(d).Fill(first, days). Building a Daily costs about
// five microseconds (measured): reuse one when filling a date in small
// pieces.
func (m *Market) FillDay(d market.SettlementDate, first int, days []Day) error {
	return m.Daily(d).Fill(first, days)
}

// site writes the values of site i to v and, if q is not nil, applies the
// data-quality events and writes the qualities to q.
func (g *Daily) site(i int, v *[market.PeriodsPerUTCDay]market.Energy, q *[market.PeriodsPerUTCDay]Quality) {
	m := g.m
	c := m.core(i)
	if st := c.status(g.day); st != Actual {
		*v = [market.PeriodsPerUTCDay]market.Energy{}
		if q != nil {
			for p := range q {
				q[p] = st
			}
		}
		return
	}
	r := rng{hash(g.seed, uint64(i))}
	x := r.next()
	cu := c.cust
	s := uint64(c.annual) * (m.dayLo[cu] + (x&0xffff)*m.daySpan[cu]>>16) >> 16 // Wh a year × day factor
	// value = share (0.32) × period factor (16.16) × s / 2^48, rounded.
	// The first two multiply to below 2^41 (share < 2^24, factor < 2^17);
	// s is cut to its top 22 bits, so the product fits 64 bits, and the
	// shift is reduced by the bits cut (s < 2^46, so by at most 24).
	e := uint(max(bits.Len64(s), 22) - 22)
	sm, sh := s>>e, 48-e
	half := uint64(1) << (sh - 1)
	w := (*[market.PeriodsPerUTCDay]uint64)(g.shape[cu][c.shift:])
	n := &m.noise[cu]
	for p := 0; p < market.PeriodsPerUTCDay; p += 8 {
		x := r.next()
		ww := (*[8]uint64)(w[p : p+8])
		out := (*[8]market.Energy)(v[p : p+8])
		out[0] = market.Energy((ww[0]*n[x&0xff]*sm + half) >> sh)
		out[1] = market.Energy((ww[1]*n[x>>8&0xff]*sm + half) >> sh)
		out[2] = market.Energy((ww[2]*n[x>>16&0xff]*sm + half) >> sh)
		out[3] = market.Energy((ww[3]*n[x>>24&0xff]*sm + half) >> sh)
		out[4] = market.Energy((ww[4]*n[x>>32&0xff]*sm + half) >> sh)
		out[5] = market.Energy((ww[5]*n[x>>40&0xff]*sm + half) >> sh)
		out[6] = market.Energy((ww[6]*n[x>>48&0xff]*sm + half) >> sh)
		out[7] = market.Energy((ww[7]*n[x>>56]*sm + half) >> sh)
	}
	if q == nil {
		return
	}
	*q = [market.PeriodsPerUTCDay]Quality{}
	if c.seg == market.SegmentUnmetered {
		return
	}
	f := r.next()
	u := f >> 32
	if u >= m.faults[4] {
		return
	}
	b1, b2 := f&0xffff, f>>16&0xffff // two 16-bit draws
	switch {
	case u < m.faults[0]: // comms gap
		n := 1 + int(b1*m.gapMax>>16)
		at := int(b2 * uint64(market.PeriodsPerUTCDay+1-n) >> 16)
		for p := at; p < at+n; p++ {
			v[p], q[p] = 0, Missing
		}
	case u < m.faults[1]: // missing day
		*v = [market.PeriodsPerUTCDay]market.Energy{}
		for p := range q {
			q[p] = Missing
		}
	case u < m.faults[2]: // spike
		p := int(b1 * market.PeriodsPerUTCDay >> 16)
		v[p] = v[p]*market.Energy(20+b2*81>>16) + 10_000
		q[p] = Spike
	case u < m.faults[3]: // zero day
		*v = [market.PeriodsPerUTCDay]market.Energy{}
		for p := range q {
			q[p] = ZeroDay
		}
	default: // negative
		p := int(b1 * market.PeriodsPerUTCDay >> 16)
		v[p] = -v[p] - 1
		q[p] = Negative
	}
}
