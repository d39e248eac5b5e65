package sim

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/market"
)

// Direction is the energy direction of an MPAN: import or export.
type Direction string

// The energy directions.
const (
	Import Direction = "I"
	Export Direction = "E"
)

// Site is one MPAN of the market and what registration holds for it at
// the start: as at Start for a site connected before it, as at its
// connection date for a site connected later. Business events (Events)
// say how it changes.
type Site struct {
	Index       int // 0 <= Index < Len()
	MPAN        market.MPAN
	GSPGroup    market.GSPGroup
	Distributor Party // the LDSO whose id starts the MPAN
	Segment     market.MarketSegment
	Domestic    bool
	Connection  market.ConnectionType
	Direction   Direction
	// Import is the import MPAN of the premises of an export site, whose
	// index is Linked; "" and -1 for an import site.
	Import market.MPAN
	Linked int
	LLFC   string // the distributor's Line Loss Factor Class
	// Customer decides the shape of the consumption and Annual its
	// expected yearly total (for an export site, of export).
	Customer Customer
	Annual   market.Energy
	// Energisation is the status on the first day: Start or Connected.
	Energisation market.EnergisationStatus
	// Connected is the day a site connected during the timeline got its
	// MPAN; zero for a site connected before Start.
	Connected market.SettlementDate
	// Disconnected is the first day a site disconnected during the
	// timeline no longer has a metering point; zero if it stays.
	Disconnected market.SettlementDate
	// The parties appointed on the first day. BMUnit is the supplier's
	// base BM unit in the GSP group ("" if standing data has none); MDR
	// is zero outside the smart segment; any Party is zero if no
	// participant of its role was effective.
	Supplier        Party
	BMUnit          string
	DataService     Party
	MeteringService Party
	MDR             Party
}

// Day numbers are relative to Start.
const (
	always = math.MinInt32 // live since before the timeline
	never  = math.MaxInt32 // no such day
)

// core is what a site's consumption depends on, drawn from the seed and
// the site's index alone.
type core struct {
	cust      Customer
	seg       market.MarketSegment
	conn      market.ConnectionType
	domestic  bool
	partner   int   // the linked import site of an export site, or -1
	annual    int64 // Wh a year
	shift     int   // 0..2: offset into a Daily's extended shape, 1 = none
	from, to  int   // first live day, first day after disconnection
	e1, e2    int   // days on which the energisation status flips
	energised bool  // status on the first day
}

// base draws the segment and domestic flag of a site: the first draw of
// its core stream, so that an export site can read its neighbour's cheaply.
func (m *Market) base(r *rng) (market.MarketSegment, bool) {
	a := r.next()
	u := a >> 32
	switch {
	case u < m.pUnmetered:
		return market.SegmentUnmetered, false
	case u < m.pAdvanced:
		return market.SegmentAdvanced, false
	}
	return market.SegmentSmart, a&0xffffffff < m.pDomestic
}

// core computes the consumption-relevant attributes of site i.
func (m *Market) core(i int) core {
	r := rng{hash(m.coreKey, uint64(i))} // stream(seed, tagCore, i)
	c := core{partner: -1, shift: 1, from: always, to: never, e1: never, e2: never}
	c.seg, c.domestic = m.base(&r)
	a := r.next()
	c.conn = market.ConnectionWholeCurrent
	switch {
	case c.seg == market.SegmentUnmetered:
		c.cust, c.conn = StreetLighting, market.ConnectionUnmetered
	case c.seg == market.SegmentAdvanced:
		c.cust = LargeBusiness
		switch u := a >> 32; {
		case u < m.pLVCT:
			c.conn = market.ConnectionLVCT
		case u < m.pHVCT:
			c.conn = market.ConnectionHVCT
		default:
			c.conn = market.ConnectionEHVCT
		}
	case !c.domestic:
		c.cust = SmallBusiness
	case a>>32 < m.pEconomy7:
		c.cust = Economy7
	default:
		c.cust = Domestic
	}
	// An odd site may be the export MPAN of the even site before it, if
	// both drew smart domestic.
	if i&1 == 1 && c.seg == market.SegmentSmart && c.domestic && a&0xffffffff < m.pExport {
		pr := rng{hash(m.coreKey, uint64(i-1))}
		if seg, dom := m.base(&pr); seg == market.SegmentSmart && dom {
			c.cust, c.partner = Solar, i-1
		}
	}
	x := r.next()
	sum := x&0xffff + x>>16&0xffff + x>>32&0xffff + x>>48
	annual := m.annual[c.cust][sum>>8]
	switch c.conn {
	case market.ConnectionHVCT:
		annual *= m.hv
	case market.ConnectionEHVCT:
		annual *= m.ehv
	}
	c.annual = min(annual, maxSiteAnnual)
	y := r.next()
	if c.cust == Domestic || c.cust == Economy7 {
		c.shift = int((y & 0xffff) * 3 >> 16) // habits shift by half an hour either way
	}
	m.life(&c, &r)
	if c.partner >= 0 {
		// Export needs the import: it lives within the import's life. An
		// export drawn to connect after the import is gone connects with
		// it; one drawn to go before the import came goes with it.
		p := m.core(c.partner)
		if c.from = max(c.from, p.from); c.from >= p.to {
			c.from = p.from
		}
		if c.to = min(c.to, p.to); c.to <= c.from {
			c.to = p.to
		}
	}
	m.energisation(&c, &r)
	return c
}

// within returns a uniform day in [lo, lo+n) from 32 random bits.
func within(lo, n int, u uint64) int { return lo + int((u&0xffffffff)*uint64(n)>>32) }

// chanceIn scales a per-day chance on 2^32 to n days, at most certain.
func chanceIn(perDay uint64, n int) uint64 { return min(perDay*uint64(max(n, 0)), 1<<32) }

// life draws whether the site connects during the timeline, and when, and
// whether and when it is disconnected.
func (m *Market) life(c *core, r *rng) {
	h := m.cfg.Horizon
	u := r.next()
	if u>>32 < m.rNew {
		c.from = within(1, h-1, u)
	}
	start := max(c.from, 0)
	n := h - 1 - start // days after the first live one
	v := r.next()
	if v>>32 < chanceIn(m.rDisconnect, n) {
		c.to = within(start+1, n, v)
	}
}

// energisation draws the status on the first live day and up to two
// changes: a de-energisation and a re-energisation 7 to 180 days after.
func (m *Market) energisation(c *core, r *rng) {
	h := m.cfg.Horizon
	w, w2, w3 := r.next(), r.next(), r.next()
	start := max(c.from, 0)
	end := min(c.to, h) // the first day without events
	n := end - 1 - start
	c.energised = w>>32 >= m.pDeEnergised
	off := never // the day the site is (or was at start) de-energised
	if !c.energised {
		off = start
	} else if w&0xffffffff < chanceIn(m.rDeEnergise, n) {
		off = within(start+1, n, w2)
		c.e1 = off
	}
	if off != never && w2>>32 < m.pReEnergise {
		if on := off + 7 + int((w3&0xffffffff)*174>>32); on < end {
			if c.e1 == never {
				c.e1 = on
			} else {
				c.e2 = on
			}
		}
	}
}

// status returns Actual if the site is live and energised on day, and
// otherwise DeEnergised or Absent.
func (c *core) status(day int) Quality {
	if day < c.from || day >= c.to {
		return Absent
	}
	en := c.energised
	if day >= c.e1 {
		en = !en
	}
	if day >= c.e2 {
		en = !en
	}
	if !en {
		return DeEnergised
	}
	return Actual
}

// voltage returns the voltage level of a connection type.
func voltage(t market.ConnectionType) isd.VoltageLevel {
	switch t {
	case market.ConnectionHVCT:
		return isd.VoltageHV
	case market.ConnectionEHVCT:
		return isd.VoltageEHV
	}
	return isd.VoltageLV
}

// place draws the GSP group, distributor and LLFC of site i, as indices
// in m.groups, m.dists and m.llfcs. An export site shares its import
// site's.
func (m *Market) place(i int, c *core) (g, d, l int) {
	if c.partner >= 0 {
		p := m.core(c.partner)
		return m.place(c.partner, &p)
	}
	r := stream(m.cfg.Seed, tagPlace, uint64(i))
	u := r.next()
	for g = 0; u>>32 >= m.groups[g].cum; g++ {
	}
	d = m.groups[g].dno
	if ids := m.groups[g].idnos; len(ids) > 0 && u&0xffffffff < m.pIDNO {
		d = ids[r.intn(uint64(len(ids)))]
	}
	cands := m.dists[d].llfcs[llfcKey(voltage(c.conn), c.seg != market.SegmentUnmetered, c.domestic)]
	l = cands[r.intn(uint64(len(cands)))]
	return g, d, l
}

// checkRange returns an error wrapping ErrRange unless sites first to
// first+n-1 exist.
func (m *Market) checkRange(first, n int) error {
	if first < 0 || n < 0 || first > m.cfg.Sites-n {
		return fmt.Errorf("sim: sites %d to %d of %d: %w", first, first+n-1, m.cfg.Sites, ErrRange)
	}
	return nil
}

// Site returns site i, computed from the seed and i alone. It returns an
// error wrapping ErrRange unless 0 <= i < Len().
func (m *Market) Site(i int) (Site, error) {
	if err := m.checkRange(i, 1); err != nil {
		return Site{}, err
	}
	c := m.core(i)
	g, d, l := m.place(i, &c)
	grp, dist := &m.groups[g], &m.dists[d]
	mpan, err := m.mpan(i, dist.num)
	if err != nil {
		return Site{}, err
	}
	s := Site{
		Index:        i,
		MPAN:         mpan,
		GSPGroup:     grp.id,
		Distributor:  dist.ldso,
		Segment:      c.seg,
		Domestic:     c.domestic,
		Connection:   c.conn,
		Direction:    Import,
		Linked:       -1,
		LLFC:         m.llfcs[l].id,
		Customer:     c.cust,
		Annual:       market.Energy(c.annual),
		Energisation: market.Energised,
	}
	if c.partner >= 0 {
		s.Direction, s.Linked = Export, c.partner
		if s.Import, err = m.mpan(c.partner, dist.num); err != nil {
			return Site{}, err
		}
	}
	first := max(c.from, 0)
	if c.status(first) == DeEnergised {
		s.Energisation = market.DeEnergised
	}
	if c.from > 0 {
		s.Connected = m.cfg.Start.AddDays(c.from)
	}
	if c.to < m.cfg.Horizon {
		s.Disconnected = m.cfg.Start.AddDays(c.to)
	}
	d0 := m.cfg.Start.AddDays(first)
	r := stream(m.cfg.Seed, tagParties, uint64(i))
	s.Supplier, _ = pick(m.roles[market.RoleSupplier], d0, Party{}, &r)
	s.BMUnit = m.bmUnit(s.Supplier, grp.id, d0)
	s.DataService, _ = pick(m.roles[c.seg.DataServiceRole()], d0, Party{}, &r)
	switch c.seg {
	case market.SegmentUnmetered:
		s.MeteringService = dist.umso
	default:
		s.MeteringService, _ = pick(m.roles[c.seg.MeteringServiceRole()], d0, Party{}, &r)
	}
	if c.seg == market.SegmentSmart {
		s.MDR, _ = pick(m.roles[market.RoleMDR], d0, Party{}, &r)
	}
	return s, nil
}

// bmUnit returns the base BM unit of supplier in group g on d, or "".
func (m *Market) bmUnit(supplier Party, g market.GSPGroup, d market.SettlementDate) string {
	if u, ok := m.ds.BaseBMUnit(supplier.MPID, g, d); ok {
		return u.ID
	}
	return ""
}

// mpan returns the MPAN core of site i under distributor number dist: its
// unique number is an affine bijection of i modulo 10^10, so that every
// site has its own and neighbours do not look alike.
func (m *Market) mpan(i, dist int) (market.MPAN, error) {
	const ten10 = 10_000_000_000
	hi, lo := bits.Mul64(m.mpanA, uint64(i))
	lo, carry := bits.Add64(lo, m.mpanB, 0)
	_, unique := bits.Div64(hi+carry, lo, ten10)
	mp, err := market.NewMPAN(dist, unique)
	if err != nil {
		return "", fmt.Errorf("sim: MPAN of site %d: %w", i, err)
	}
	return mp, nil
}
