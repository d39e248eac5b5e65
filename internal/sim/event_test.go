package sim

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mhhs/mhhs/internal/market"
)

// busy is a market with high event rates over the whole default
// timeline, which sees supplier QRRY leave after 2026-09-30.
func busy(t testing.TB, n int) *Market {
	return newMarket(t, func(c *Config) {
		c.Sites = n
		c.Rates = Rates{
			NewConnections: 0.05, Switches: 0.5, DataServiceChanges: 0.3, MeteringServiceChanges: 0.3,
			DeEnergisations: 0.2, ReEnergisations: 0.6, Disconnections: 0.05,
		}
		c.Agents = 2
	})
}

// TestEventsConsistent replays every site's events from its Site and
// checks each against the state before it and against standing data.
func TestEventsConsistent(t *testing.T) {
	const n = 5000
	m := busy(t, n)
	ds := m.Dataset()
	tl := m.Timeline()
	events, err := m.Events(tl.From, tl.To, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	type state struct {
		Site
		seen, gone bool
		last       market.SettlementDate
	}
	st := make([]state, n)
	for i, s := range sites(t, m, 0, n) {
		st[i] = state{Site: s, last: tl.From}
	}
	holdsOn := func(p Party, r market.Role, d market.SettlementDate) bool {
		if pp, ok := ds.ParticipantAt(p.MPID, d); ok {
			return pp.DIPID == p.DIPID && pp.HasRole(r)
		}
		return holds(m, p, r, d)
	}
	var prev Event
	counts := map[Kind]int{}
	exitSwitches := 0
	for k, e := range events {
		s := &st[e.Site]
		counts[e.Kind]++
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("event %d %+v of site %+v: "+format, append([]any{k, e, s.Site}, args...)...)
		}
		switch {
		case k > 0 && (e.Date.Before(prev.Date) || e.Date == prev.Date && e.Site < prev.Site):
			fail("out of order after %+v", prev)
		case !e.Date.After(tl.From) || e.Date.After(tl.To):
			fail("outside the timeline %s", tl)
		case e.MPAN != s.MPAN:
			fail("names MPAN %s", e.MPAN)
		case s.gone:
			fail("after the site's disconnection")
		case !s.Connected.IsZero() && !s.seen && e.Kind != Connection:
			fail("before the site's connection on %s", s.Connected)
		case e.Date.Before(s.last):
			fail("before the site's previous event on %s", s.last)
		}
		s.last = e.Date
		switch e.Kind {
		case Connection:
			if s.seen || e.Date != s.Connected || e.Supplier != s.Supplier || e.Status != s.Energisation {
				fail("not the site's first event on its connection day with its parties")
			}
		case SupplierChange:
			switch {
			case e.Role != market.RoleSupplier || e.Old != s.Supplier:
				fail("the losing supplier is not the current one")
			case e.New == e.Old:
				fail("a switch to the same supplier")
			case !holdsOn(e.New, market.RoleSupplier, e.Date):
				fail("the gaining supplier is not a supplier on %s", e.Date)
			case e.Supplier != e.New:
				fail("supplier after the switch is not the gaining one")
			}
			if u, ok := ds.BaseBMUnit(e.New.MPID, s.GSPGroup, e.Date); !ok || u.ID != e.BMUnit {
				fail("BM unit %q, want %q", e.BMUnit, u.ID)
			}
			if e.Old.MPID == "QRRY" && e.Date == date(2026, 10, 1) {
				exitSwitches++
			}
			s.Supplier = e.New
		case DataServiceChange:
			if e.Role != s.Segment.DataServiceRole() || e.Old != s.DataService || e.New == e.Old || !holdsOn(e.New, e.Role, e.Date) {
				fail("not a change from the current %s to another", s.Segment.DataServiceRole())
			}
			s.DataService = e.New
		case MeteringServiceChange:
			if s.Segment == market.SegmentUnmetered {
				fail("the UMSO changed")
			}
			if e.Role != s.Segment.MeteringServiceRole() || e.Old != s.MeteringService || e.New == e.Old || !holdsOn(e.New, e.Role, e.Date) {
				fail("not a change from the current %s to another", s.Segment.MeteringServiceRole())
			}
			s.MeteringService = e.New
		case Energisation:
			if e.Status == s.Energisation || !e.Status.Valid() {
				fail("status %s after %s", e.Status, s.Energisation)
			}
			s.Energisation = e.Status
		case Disconnection:
			if e.Date != s.Disconnected {
				fail("on a day other than the site's disconnection")
			}
			s.gone = true
		default:
			fail("unknown kind")
		}
		s.seen = true
		if e.Supplier != s.Supplier || e.Kind != Disconnection && e.Status != s.Energisation {
			fail("supplier %v and status %s after the event, want %v and %s", e.Supplier, e.Status, s.Supplier, s.Energisation)
		}
		if !holdsOn(s.Supplier, market.RoleSupplier, e.Date) {
			fail("the site's supplier does not hold SUP on the event's date")
		}
		prev = e
	}
	for _, s := range st {
		if !s.Connected.IsZero() && !s.seen {
			t.Errorf("site %d connected on %s without an event", s.Index, s.Connected)
		}
		if !s.Disconnected.IsZero() && !s.gone {
			t.Errorf("site %d disconnected on %s without an event", s.Index, s.Disconnected)
		}
		// QRRY left after 2026-09-30: none of its sites stays with it.
		if s.Supplier.MPID == "QRRY" && !s.gone && (s.Disconnected.IsZero() || s.Disconnected.After(date(2026, 10, 1))) {
			t.Errorf("site %d is still supplied by QRRY after it left", s.Index)
		}
	}
	for kind := Connection; kind <= Disconnection; kind++ {
		if counts[kind] < 20 {
			t.Errorf("only %d %s events", counts[kind], kind)
		}
	}
	if exitSwitches < 20 {
		t.Errorf("only %d sites left QRRY on 2026-10-01", exitSwitches)
	}
}

// TestEventRates counts the events of 20 000 sites over a year in which
// no supplier leaves and compares them with the rates per live site-year.
func TestEventRates(t *testing.T) {
	const n = 20_000
	m := newMarket(t, func(c *Config) { c.Sites = n; c.Horizon = 366 })
	cfg := m.Config()
	tl := m.Timeline()
	events, err := m.Events(tl.From, tl.To, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	// Live site-years on the days events may fall on.
	var years, meteredYears, energisedYears float64
	for _, s := range sites(t, m, 0, n) {
		first := tl.From
		if !s.Connected.IsZero() {
			first = s.Connected
		}
		last := tl.To
		if !s.Disconnected.IsZero() {
			last = s.Disconnected.AddDays(-1)
		}
		y := float64(last.Sub(first)) / 365
		years += y
		if s.Segment != market.SegmentUnmetered {
			meteredYears += y
		}
		if s.Energisation == market.Energised {
			energisedYears += y
		}
	}
	counts := map[Kind]int{}
	for _, e := range events {
		counts[e.Kind]++
	}
	rate := func(name string, got int, years, want float64) {
		t.Helper()
		exp := want * years
		if d := float64(got) - exp; d*d > 25*exp+1 { // five standard deviations of a Poisson count
			t.Errorf("%s: %d events in %.0f site-years, want %.0f (%.3f a year)", name, got, years, exp, want)
		}
	}
	r := cfg.Rates
	rate("supplier changes", counts[SupplierChange], years, r.Switches)
	rate("data service changes", counts[DataServiceChange], years, r.DataServiceChanges)
	rate("metering service changes", counts[MeteringServiceChange], meteredYears, r.MeteringServiceChanges)
	rate("disconnections", counts[Disconnection], years, r.Disconnections)
	rate("new connections", counts[Connection], float64(n)*float64(cfg.Horizon)/365, r.NewConnections)
	// De-energisations of energised sites, and re-energisation of half of
	// them and of the sites de-energised at the start.
	var down int
	for _, e := range events {
		if e.Kind == Energisation && e.Status == market.DeEnergised {
			down++
		}
	}
	rate("de-energisations", down, energisedYears, r.DeEnergisations)
}

func TestEventsSelection(t *testing.T) {
	m := busy(t, 2000)
	tl := m.Timeline()
	all, err := m.Events(tl.From, tl.To, 0, 2000)
	if err != nil {
		t.Fatal(err)
	}
	from, to := date(2025, 6, 1), date(2025, 8, 31)
	part, err := m.Events(from, to, 500, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var want []Event
	for _, e := range all {
		if e.Site >= 500 && e.Site < 1500 && !e.Date.Before(from) && !e.Date.After(to) {
			want = append(want, e)
		}
	}
	if len(want) == 0 {
		t.Fatal("no events to compare")
	}
	if diff := cmp.Diff(want, part); diff != "" {
		t.Errorf("Events of a range differ from a selection of all events (-want +got):\n%s", diff)
	}
	again, err := busy(t, 2000).Events(tl.From, tl.To, 0, 2000)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(all, again); diff != "" {
		t.Errorf("the same seed gave different events:\n%s", diff)
	}
	if _, err := m.Events(tl.From, tl.To, 1999, 2); err == nil {
		t.Error("Events past the last site: no error")
	}
}
