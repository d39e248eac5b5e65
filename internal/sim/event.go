package sim

import (
	"cmp"
	"math/bits"
	"slices"
	"strconv"

	"github.com/mhhs/mhhs/internal/market"
)

// Kind is the kind of a business event.
type Kind uint8

// The kinds of business event.
const (
	// Connection is a new connection: the site's first day. Its parties
	// are those of Site.
	Connection Kind = iota + 1
	// SupplierChange is a change of supplier: Old loses the site, New
	// gains it. Suppliers switch at Rates.Switches, and every site of a
	// supplier that leaves the market (its standing data ends) switches
	// on the day after its last.
	SupplierChange
	// DataServiceChange is the appointment of a new data service, New,
	// in place of Old.
	DataServiceChange
	// MeteringServiceChange is the appointment of a new metering service,
	// New, in place of Old.
	MeteringServiceChange
	// Energisation is a change of energisation status to Status.
	Energisation
	// Disconnection is the permanent removal of the metering point: from
	// Date the site has no data and no further events.
	Disconnection
)

var kindNames = [...]string{"", "connection", "supplier-change", "data-service-change", "metering-service-change", "energisation", "disconnection"}

// String returns the name of k, e.g. "supplier-change".
func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Event is a business event of one site, effective from Date.
type Event struct {
	Date market.SettlementDate
	Kind Kind
	Site int
	MPAN market.MPAN
	// Role is the role that changes hands: SUP for a change of supplier,
	// the segment's data or metering service role for a change of
	// service; "" for the other kinds. Old and New are the outgoing and
	// incoming parties of a change, zero for the other kinds.
	Role     market.Role
	Old, New Party
	// Supplier, BMUnit and Status are the site's supplier, the supplier's
	// base BM unit in the site's GSP group and the energisation status
	// after the event.
	Supplier Party
	BMUnit   string
	Status   market.EnergisationStatus
}

// Events returns the business events of sites first to first+n-1 whose
// dates lie in from..to (inclusive), in date order, then site order, then
// the order in which they happen to a site. Events happen only within
// the timeline (Start+1 to Start+Horizon-1): a Connection on a site's
// first day, a Disconnection on the first day it has no metering point,
// and the others from the day after its connection (or Start) to the day
// before its disconnection. It returns an error wrapping ErrRange if a
// site does not exist.
//
// The events of a site are computed by walking its timeline from Start,
// so the cost grows with the timeline, not with from.
func (m *Market) Events(from, to market.SettlementDate, first, n int) ([]Event, error) {
	if err := m.checkRange(first, n); err != nil {
		return nil, err
	}
	var out []Event
	for i := first; i < first+n; i++ {
		s, err := m.Site(i)
		if err != nil {
			return nil, err
		}
		c := m.core(i)
		m.walk(&s, &c, func(e Event) {
			if !e.Date.Before(from) && !e.Date.After(to) {
				out = append(out, e)
			}
		})
	}
	slices.SortStableFunc(out, func(a, b Event) int { return a.Date.Compare(b.Date) })
	return out, nil
}

// walk emits the events of site s in the order they happen.
func (m *Market) walk(s *Site, c *core, emit func(Event)) {
	h := m.cfg.Horizon
	start := max(c.from, 0)
	end := min(c.to, h) // the first day without events
	date := func(k int) market.SettlementDate { return m.cfg.Start.AddDays(k) }
	sup, supDay := s.Supplier, start
	services := map[Kind]Party{DataServiceChange: s.DataService, MeteringServiceChange: s.MeteringService}
	roles := map[Kind]market.Role{
		SupplierChange:        market.RoleSupplier,
		DataServiceChange:     s.Segment.DataServiceRole(),
		MeteringServiceChange: s.Segment.MeteringServiceRole(),
	}
	status := s.Energisation
	event := func(k int, kind Kind, was, now Party) {
		emit(Event{
			Date: date(k), Kind: kind, Site: s.Index, MPAN: s.MPAN, Role: roles[kind], Old: was, New: now,
			Supplier: sup, BMUnit: m.bmUnit(sup, s.GSPGroup, date(k)), Status: status,
		})
	}
	if c.from > 0 {
		event(c.from, Connection, Party{}, Party{})
	}

	// Candidate days of each kind, drawn up front.
	type cand struct {
		day  int
		kind Kind
	}
	var cands []cand
	r := stream(m.cfg.Seed, tagEvents, uint64(s.Index))
	lo, n := start+1, end-1-start // live days with events: lo..lo+n-1
	poissonDays := func(perDay uint64, kind Kind) {
		for at := lo; at < lo+n; at += 365 {
			w := min(365, lo+n-at)
			for range poisson(&r, perDay*uint64(w)) {
				cands = append(cands, cand{within(at, w, r.next()), kind})
			}
		}
	}
	poissonDays(m.rSwitch, SupplierChange)
	poissonDays(m.rDS, DataServiceChange)
	if s.Segment != market.SegmentUnmetered { // the UMSO is the distributor's
		poissonDays(m.rMS, MeteringServiceChange)
	}
	for _, e := range []int{c.e1, c.e2} {
		if e > start && e < end {
			cands = append(cands, cand{e, Energisation})
		}
	}
	if c.to < h {
		cands = append(cands, cand{c.to, Disconnection})
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(a.kind, b.kind)) })

	lastSwitch := -1
	switchTo := func(k int, np Party) {
		old := sup
		sup, supDay, lastSwitch = np, k, k
		event(k, SupplierChange, old, np)
	}
	// exits switches the site away from suppliers that leave the market
	// on or before day k.
	exits := func(k int) {
		for !sup.IsZero() {
			last, ok := m.until(sup, date(supDay))
			if !ok {
				return
			}
			f := last.Sub(m.cfg.Start) + 1
			if f > k || f >= end {
				return
			}
			np, ok := pick(m.roles[market.RoleSupplier], date(f), sup, &r)
			if !ok {
				return
			}
			switchTo(f, np)
		}
	}
	for _, cd := range cands {
		exits(cd.day)
		switch cd.kind {
		case SupplierChange:
			if cd.day == lastSwitch {
				continue
			}
			if np, ok := pick(m.roles[market.RoleSupplier], date(cd.day), sup, &r); ok {
				switchTo(cd.day, np)
			}
		case DataServiceChange, MeteringServiceChange:
			old := services[cd.kind]
			if np, ok := pick(m.roles[roles[cd.kind]], date(cd.day), old, &r); ok {
				services[cd.kind] = np
				event(cd.day, cd.kind, old, np)
			}
		case Energisation:
			if status == market.Energised {
				status = market.DeEnergised
			} else {
				status = market.Energised
			}
			event(cd.day, Energisation, Party{}, Party{})
		case Disconnection:
			status = market.DeEnergised
			event(cd.day, Disconnection, Party{}, Party{})
			return
		}
	}
	exits(end - 1)
}

// until returns the last day of the run of supplier rows of p that
// contains d, and false if the run is open-ended or d is in none.
func (m *Market) until(p Party, d market.SettlementDate) (market.SettlementDate, bool) {
	hs := m.roles[market.RoleSupplier]
	for {
		var found *holder
		for k := range hs {
			if hs[k].party == p && hs[k].span.Contains(d) {
				found = &hs[k]
				break
			}
		}
		switch {
		case found == nil:
			return market.SettlementDate{}, false
		case found.span.IsOpen():
			return market.SettlementDate{}, false
		}
		next := found.span.To.AddDays(1)
		// Follow an adjoining row of the same supplier.
		if !slices.ContainsFunc(hs, func(h holder) bool { return h.party == p && h.span.Contains(next) }) {
			return found.span.To, true
		}
		d = next
	}
}

// poisson draws a Poisson count with mean lam (32.32) by inversion.
func poisson(r *rng, lam uint64) int {
	u := r.u32()
	p := exp(-int64(lam)) // P(0), 32.32
	cum, k := p, 0
	for u >= cum && p > 0 && k < 1000 {
		k++
		hi, lo := bits.Mul64(p, lam)
		p = (hi<<32 | lo>>32) / uint64(k)
		cum += p
	}
	return k
}
