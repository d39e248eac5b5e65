package sim

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/market"
)

const shareSites = 100_000

func TestSiteShares(t *testing.T) {
	m := newMarket(t, func(c *Config) { c.Sites = shareSites })
	cfg := m.Config()
	ss := sites(t, m, 0, shareSites)
	n := len(ss)
	count := func(f func(Site) bool) (k, of int) {
		for _, s := range ss {
			if f(s) {
				k++
			}
		}
		return k, n
	}
	sub := func(keep func(Site) bool) []Site {
		var out []Site
		for _, s := range ss {
			if keep(s) {
				out = append(out, s)
			}
		}
		return out
	}
	share := func(name string, in []Site, f func(Site) bool, want float64) {
		t.Helper()
		k := 0
		for _, s := range in {
			if f(s) {
				k++
			}
		}
		checkShare(t, name, k, len(in), want, sigmas(5, want, len(in))+1e-9)
	}
	all := ss
	share("unmetered", all, func(s Site) bool { return s.Segment == market.SegmentUnmetered }, cfg.Shares.Unmetered)
	share("advanced", all, func(s Site) bool { return s.Segment == market.SegmentAdvanced }, cfg.Shares.Advanced)
	share("smart", all, func(s Site) bool { return s.Segment == market.SegmentSmart },
		1-cfg.Shares.Unmetered-cfg.Shares.Advanced)
	smart := sub(func(s Site) bool { return s.Segment == market.SegmentSmart })
	share("domestic of smart", smart, func(s Site) bool { return s.Domestic }, cfg.Shares.Domestic)
	share("export", all, func(s Site) bool { return s.Direction == Export }, cfg.Shares.Export)
	domImport := sub(func(s Site) bool { return s.Domestic && s.Direction == Import })
	share("economy 7 of domestic import", domImport, func(s Site) bool { return s.Customer == Economy7 }, cfg.Shares.Economy7)
	adv := sub(func(s Site) bool { return s.Segment == market.SegmentAdvanced })
	share("LV CT of advanced", adv, func(s Site) bool { return s.Connection == market.ConnectionLVCT }, cfg.Shares.LVCT)
	share("HV CT of advanced", adv, func(s Site) bool { return s.Connection == market.ConnectionHVCT }, cfg.Shares.HVCT)
	share("de-energised at first", all, func(s Site) bool { return s.Energisation == market.DeEnergised }, cfg.Shares.DeEnergised)
	withIDNO := sub(func(s Site) bool { return strings.Contains("_A_B_H_J_F_M_N", string(s.GSPGroup)) })
	share("IDNO where one serves", withIDNO, func(s Site) bool { return s.MPAN[:2] == "40" || s.MPAN[:2] == "41" }, cfg.Shares.IDNO)
	k, _ := count(func(s Site) bool { return !s.Connected.IsZero() })
	want := cfg.Rates.NewConnections * float64(cfg.Horizon) / 365
	checkShare(t, "new connections", k, n, want, sigmas(5, want, n))

	var total float64
	for _, g := range cfg.Groups {
		total += g.Weight
	}
	for _, g := range cfg.Groups {
		share("GSP group "+string(g.Group), all, func(s Site) bool { return s.GSPGroup == g.Group }, g.Weight/total)
	}

	// Annual consumption: the median of each type is its Load.Annual.
	for c := range nCustomers {
		var acs []market.Energy
		for _, s := range ss {
			if s.Customer == c && (c != LargeBusiness || s.Connection == market.ConnectionLVCT) {
				acs = append(acs, s.Annual)
			}
		}
		slices.Sort(acs)
		med, want := float64(acs[len(acs)/2]), float64(cfg.Loads[c].Annual)
		if med < want*0.9 || med > want*1.1 {
			t.Errorf("%s: median annual consumption %.0f Wh of %d sites, want %.0f ± 10 %%", c, med, len(acs), want)
		}
	}
}

func TestSiteConsistency(t *testing.T) {
	m := newMarket(t, func(c *Config) { c.Sites = 20_000 })
	ds := m.Dataset()
	cfg := m.Config()
	end := m.Timeline().To
	ss := sites(t, m, 0, 20_000)
	seen := map[market.MPAN]int{}
	dists := map[Party]isd.Distributor{}
	for _, d := range ds.As(cfg.Start).Distributors {
		dists[Party{d.MPID, d.DIPID}] = d
	}
	for _, s := range ss {
		if !market.ValidMPAN(string(s.MPAN)) {
			t.Fatalf("site %d: MPAN %s has a bad check digit", s.Index, s.MPAN)
		}
		if j, ok := seen[s.MPAN]; ok {
			t.Fatalf("sites %d and %d share MPAN %s", j, s.Index, s.MPAN)
		}
		seen[s.MPAN] = s.Index
		first := cfg.Start
		if !s.Connected.IsZero() {
			first = s.Connected
			if !s.Connected.After(cfg.Start) || s.Connected.After(end) {
				t.Errorf("site %d connected on %s, outside the timeline after Start", s.Index, s.Connected)
			}
		}
		if !s.Disconnected.IsZero() && (!s.Disconnected.After(first) || s.Disconnected.After(end)) {
			t.Errorf("site %d disconnected on %s, first day %s", s.Index, s.Disconnected, first)
		}

		// The distributor issued the MPAN and serves the GSP group.
		dist, ok := dists[s.Distributor]
		switch {
		case !ok:
			t.Errorf("site %d: distributor %v is not in standing data", s.Index, s.Distributor)
		case dist.ID != s.MPAN.DistributorID():
			t.Errorf("site %d: MPAN %s under distributor %s", s.Index, s.MPAN, dist.ID)
		case !dist.Serves(s.GSPGroup):
			t.Errorf("site %d: distributor %s does not serve %s", s.Index, dist.ID, s.GSPGroup)
		case !dist.IDNO:
			if g, _ := market.GSPGroupOfDistributor(dist.ID); g != s.GSPGroup {
				t.Errorf("site %d: DNO %s in GSP group %s", s.Index, dist.ID, s.GSPGroup)
			}
		}

		// Segment, customer type and connection agree.
		wantSeg, wantConn := map[Customer]market.MarketSegment{
			Domestic: market.SegmentSmart, Economy7: market.SegmentSmart, Solar: market.SegmentSmart,
			SmallBusiness: market.SegmentSmart, LargeBusiness: market.SegmentAdvanced, StreetLighting: market.SegmentUnmetered,
		}[s.Customer], map[market.MarketSegment]string{
			market.SegmentSmart: "W", market.SegmentAdvanced: "LHE", market.SegmentUnmetered: "U",
		}[s.Segment]
		if s.Segment != wantSeg || !strings.Contains(wantConn, string(s.Connection)) {
			t.Errorf("site %d: %s in segment %s with connection %s", s.Index, s.Customer, s.Segment, s.Connection)
		}
		if s.Domestic != (s.Customer == Domestic || s.Customer == Economy7 || s.Customer == Solar) {
			t.Errorf("site %d: %s with domestic %v", s.Index, s.Customer, s.Domestic)
		}

		// The LLFC is the distributor's and fits the connection.
		c, ok := ds.LLFCAt(s.MPAN.DistributorID(), s.LLFC, first)
		wantV := map[market.ConnectionType]isd.VoltageLevel{"W": "LV", "L": "LV", "U": "LV", "H": "HV", "E": "EHV"}[s.Connection]
		switch {
		case !ok:
			t.Errorf("site %d: LLFC %s is not distributor %s's", s.Index, s.LLFC, s.MPAN.DistributorID())
		case c.Voltage != wantV || c.Metered != (s.Segment != market.SegmentUnmetered) || domesticLLFC(c) != s.Domestic:
			t.Errorf("site %d (%s, %s, domestic %v) has LLFC %+v", s.Index, s.Segment, s.Connection, s.Domestic, c)
		}

		// Export sites belong to an import site at the same premises.
		if (s.Direction == Export) != (s.Linked >= 0) || (s.Direction == Export) != (s.Customer == Solar) {
			t.Errorf("site %d: direction %s, linked %d, customer %s", s.Index, s.Direction, s.Linked, s.Customer)
		}
		if s.Direction == Export {
			imp := ss[s.Linked]
			if imp.Direction != Import || imp.MPAN != s.Import || imp.GSPGroup != s.GSPGroup ||
				imp.Distributor != s.Distributor || !imp.Domestic || imp.Segment != market.SegmentSmart {
				t.Errorf("export site %d is linked to %+v", s.Index, imp)
			}
			if s.Connected.Before(imp.Connected) || (!imp.Disconnected.IsZero() && (s.Disconnected.IsZero() || s.Disconnected.After(imp.Disconnected))) {
				t.Errorf("export site %d lives %s..%s outside its import's %s..%s", s.Index, s.Connected, s.Disconnected, imp.Connected, imp.Disconnected)
			}
		}

		// The parties hold their roles on the first day.
		check := func(name string, p Party, role market.Role) {
			if pp, ok := ds.ParticipantAt(p.MPID, first); ok && pp.DIPID == p.DIPID && pp.HasRole(role) {
				return
			}
			if holds(m, p, role, first) { // a generated participant
				return
			}
			t.Errorf("site %d: %s %v does not hold %s on %s", s.Index, name, p, role, first)
		}
		check("supplier", s.Supplier, market.RoleSupplier)
		check("data service", s.DataService, s.Segment.DataServiceRole())
		check("metering service", s.MeteringService, s.Segment.MeteringServiceRole())
		if s.Segment == market.SegmentUnmetered && s.MeteringService != s.Distributor {
			t.Errorf("site %d: unmetered with metering service %v, want its distributor %v", s.Index, s.MeteringService, s.Distributor)
		}
		if s.Segment == market.SegmentSmart {
			check("MDR", s.MDR, market.RoleMDR)
		} else if !s.MDR.IsZero() {
			t.Errorf("site %d in segment %s has MDR %v", s.Index, s.Segment, s.MDR)
		}
		if u, ok := ds.BaseBMUnit(s.Supplier.MPID, s.GSPGroup, first); !ok || u.ID != s.BMUnit {
			t.Errorf("site %d: BM unit %q, want %q", s.Index, s.BMUnit, u.ID)
		}
	}
}

func holds(m *Market, p Party, role market.Role, d market.SettlementDate) bool {
	return containsParty(m.Holders(role, d), p)
}

func TestSiteRandomAccess(t *testing.T) {
	small := newMarket(t, func(c *Config) { c.Sites = 1000 })
	big := newMarket(t, func(c *Config) { c.Sites = 30_000_000 })
	forward := sites(t, small, 0, 1000)
	for i := 999; i >= 0; i-- {
		s, err := big.Site(i)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(forward[i], s); diff != "" {
			t.Fatalf("site %d differs between markets of 1000 and 30 M sites, or by order (-first +second):\n%s", i, diff)
		}
	}
	if _, err := big.Site(29_999_999); err != nil {
		t.Error(err)
	}
	for _, i := range []int{-1, 30_000_000} {
		if _, err := big.Site(i); !errors.Is(err, ErrRange) {
			t.Errorf("Site(%d) = %v, want ErrRange", i, err)
		}
	}
}

func TestSiteSeeds(t *testing.T) {
	a := sites(t, newMarket(t, func(c *Config) { c.Seed = 1 }), 0, 500)
	b := sites(t, newMarket(t, func(c *Config) { c.Seed = 1 }), 0, 500)
	c := sites(t, newMarket(t, func(c *Config) { c.Seed = 2 }), 0, 500)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("the same seed gave different sites:\n%s", diff)
	}
	same := 0
	for i := range a {
		if a[i].MPAN == c[i].MPAN || a[i].Annual == c[i].Annual {
			same++
		}
	}
	if same > 5 {
		t.Errorf("seeds 1 and 2 share the MPAN or annual consumption of %d of 500 sites", same)
	}
}

// TestSiteLives checks, in a market with many connections and
// disconnections, that every site's life is a range and that an export
// site lives within its import site's.
func TestSiteLives(t *testing.T) {
	const n = 50_000
	m := busy(t, n)
	ss := sites(t, m, 0, n)
	earliest, latest := m.Config().Start, m.Timeline().To.AddDays(1)
	life := func(s Site) (from, to market.SettlementDate) {
		from, to = earliest, latest
		if !s.Connected.IsZero() {
			from = s.Connected
		}
		if !s.Disconnected.IsZero() {
			to = s.Disconnected
		}
		return from, to
	}
	exports := 0
	for _, s := range ss {
		from, to := life(s)
		if !from.Before(to) {
			t.Errorf("site %d connected %s, disconnected %s", s.Index, s.Connected, s.Disconnected)
		}
		if s.Direction == Export {
			exports++
			ifrom, ito := life(ss[s.Linked])
			if from.Before(ifrom) || to.After(ito) {
				t.Errorf("export site %d lives %s..%s, its import %s..%s", s.Index, from, to, ifrom, ito)
			}
		}
	}
	if exports < n/50 {
		t.Errorf("only %d export sites", exports)
	}
}
