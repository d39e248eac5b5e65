package sim

import (
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/market"
)

// Market is a synthetic GB electricity market: participants, sites and,
// on demand, their consumption, GSP group takes and business events, all
// determined by the Config and the standing data. It holds no site: each
// is computed from the seed and its index when asked for. A Market is
// immutable and safe for concurrent use.
type Market struct {
	cfg      Config
	coreKey  uint64 // hash(Seed, tagCore), the key of every site's core stream
	ds       *isd.Dataset
	cal      *market.Calendar
	timeline market.Range

	parts []Participant
	roles map[market.Role][]holder // by role, in the order of parts

	// Site draws, as thresholds on 2^32.
	pUnmetered, pAdvanced uint64 // cumulative: unmetered, then advanced
	pDomestic, pEconomy7  uint64
	pExport, pIDNO        uint64
	pLVCT, pHVCT          uint64 // cumulative
	pDeEnergised          uint64
	hv, ehv               int64

	// annual[c][k] is the annual consumption of a site of type c whose
	// spread draw falls in bucket k.
	annual         [nCustomers][spreadBuckets]int64
	dayLo, daySpan [nCustomers]uint64 // 16.16
	// noise[c][k] is the period factor (16.16) of type c for an 8-bit
	// draw k: the centres of 256 equal steps from 1-PeriodNoise to
	// 1+PeriodNoise, so their mean is 1.
	noise [nCustomers][256]uint64
	year  [nCustomers]uint64 // yearTotals

	// Faults, cumulative thresholds on 2^32: gap, missing day, spike,
	// zero day, negative.
	faults [5]uint64
	gapMax uint64

	loss    isd.Factor
	takeErr uint64 // 0.32 fraction

	// Events: rates per day on 2^32 (the chance per day), and the chance
	// of re-energisation.
	rNew, rSwitch, rDS, rMS, rDeEnergise, rDisconnect uint64
	pReEnergise                                       uint64

	groups []group // in Config.Groups order, with cumulative thresholds
	dists  []distributor
	llfcs  []llfc

	mpanA, mpanB uint64 // unique number of site i: (a·i + b) mod 10^10
}

// spreadBuckets is the resolution of the annual consumption spread: the
// sum of four 16-bit draws, cut into this many buckets.
const spreadBuckets = 1024

// maxSiteAnnual caps the annual consumption of one site, 2^44 Wh (17 TWh),
// far above any real site, so that generation cannot overflow.
const maxSiteAnnual = 1 << 44

// group is a GSP group of the market.
type group struct {
	id     market.GSPGroup
	cum    uint64 // cumulative weight threshold on 2^32
	dno    int    // index in Market.dists
	idnos  []int  // indices in Market.dists of IDNOs serving the group
	weight float64
}

// distributor is a DNO or IDNO of the market.
type distributor struct {
	id    string // 2 digits
	num   int
	ldso  Party
	umso  Party
	idno  bool
	llfcs [12][]int // by llfcKey: candidate indices in Market.llfcs
}

// llfc is a Line Loss Factor Class of a distributor.
type llfc struct {
	distributor string
	id          string
	series      *isd.LossFactorSeries // nil if standing data has no factors
}

// llfcKey indexes a distributor's LLFC candidates by voltage (0 LV, 1 HV,
// 2 EHV), metered and domestic.
func llfcKey(v isd.VoltageLevel, metered, domestic bool) int {
	k := 0
	switch v {
	case isd.VoltageHV:
		k = 4
	case isd.VoltageEHV:
		k = 8
	}
	if metered {
		k += 2
	}
	if domestic {
		k++
	}
	return k
}

// New builds the market described by cfg on the standing data ds. It
// returns an error wrapping ErrConfig if cfg is invalid, or ErrDataset if
// ds lacks what the market needs: a distributor with LLFCs for every
// weighted GSP group, DIP ids of 10 hexadecimal digits.
func New(ds *isd.Dataset, cfg Config) (*Market, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if ds == nil {
		return nil, fmt.Errorf("sim: no standing data: %w", ErrDataset)
	}
	cfg.Groups = slices.Clone(cfg.Groups)
	m := &Market{
		cfg:      cfg,
		coreKey:  hash(cfg.Seed, tagCore),
		ds:       ds,
		cal:      market.NewCalendar(),
		timeline: market.Range{From: cfg.Start, To: cfg.Start.AddDays(cfg.Horizon - 1)},
		hv:       cfg.HV,
		ehv:      cfg.EHV,
		loss:     isd.Factor(float64(cfg.LossFactor*1e6) + 0.5), // float64() forbids a fused multiply-add
		takeErr:  prob(cfg.TakeError),
		gapMax:   uint64(cfg.Faults.GapMax),
	}
	var err error
	if m.parts, err = participants(ds, cfg, m.timeline); err != nil {
		return nil, err
	}
	m.roles = map[market.Role][]holder{}
	rank := supplierRanks(m.parts, cfg.Seed)
	for _, p := range m.parts {
		for _, r := range p.Roles {
			w := uint64(1)
			if r == market.RoleSupplier {
				w = 1 << 32 / (rank[p.MPID] + 1) // market shares fall as 1/rank
			}
			m.roles[r] = append(m.roles[r], holder{p.Party, p.Effective(), w})
		}
	}

	s := cfg.Shares
	m.pUnmetered = prob(s.Unmetered)
	m.pAdvanced = prob(s.Unmetered + s.Advanced)
	m.pDomestic = prob(s.Domestic)
	m.pEconomy7 = prob(s.Economy7)
	pe, _ := exportProb(s) // checked by Validate
	m.pExport = prob(pe)
	m.pIDNO = prob(s.IDNO)
	m.pLVCT = prob(s.LVCT)
	m.pHVCT = prob(s.LVCT + s.HVCT)
	m.pDeEnergised = prob(s.DeEnergised)

	m.year = yearTotals()
	for c, l := range cfg.Loads {
		m.dayLo[c], m.daySpan[c] = q16(1-l.DayNoise), q16(2*l.DayNoise)
		lo, span := q16(1-l.PeriodNoise), q16(2*l.PeriodNoise)
		for k := range m.noise[c] {
			m.noise[c][k] = lo + (uint64(2*k+1)*span+256)/512
		}
		sigma := int64(q16(l.Spread))
		for k := range spreadBuckets {
			// The bucket's centre as a standard normal deviate: four
			// uniform 16-bit draws sum to 131070 on average with standard
			// deviation 65536·sqrt(4/12) = 37837.
			centre := int64(k*(1<<18/spreadBuckets) + (1<<18/spreadBuckets)/2)
			x := (centre - 131070) * sigma * (1 << 16) / 37837 // σ·z in 32.32
			hi, lo := bits.Mul64(uint64(l.Annual), exp(x))
			m.annual[c][k] = max(1, int64(hi<<32|lo>>32))
		}
	}

	f := cfg.Faults
	m.faults = [5]uint64{
		prob(f.Gaps),
		prob(f.Gaps + f.MissingDays),
		prob(f.Gaps + f.MissingDays + f.Spikes),
		prob(f.Gaps + f.MissingDays + f.Spikes + f.ZeroDays),
		prob(f.Gaps + f.MissingDays + f.Spikes + f.ZeroDays + f.Negatives),
	}

	r := cfg.Rates
	m.rNew = prob(r.NewConnections * float64(cfg.Horizon) / 365)
	m.rSwitch = prob(r.Switches / 365)
	m.rDS = prob(r.DataServiceChanges / 365)
	m.rMS = prob(r.MeteringServiceChanges / 365)
	m.rDeEnergise = prob(r.DeEnergisations / 365)
	m.rDisconnect = prob(r.Disconnections / 365)
	m.pReEnergise = prob(r.ReEnergisations)

	if err := m.network(); err != nil {
		return nil, err
	}

	// MPAN unique numbers: an affine bijection of 0..10^10-1, its factor
	// odd and not a multiple of 5, so prime to 10^10.
	const ten10 = 10_000_000_000
	a := hash(cfg.Seed, tagMPAN)%ten10 | 1
	if a%5 == 0 {
		a -= 2
	}
	m.mpanA, m.mpanB = a, hash(cfg.Seed, tagMPAN+1)%ten10
	return m, nil
}

// supplierRanks orders the suppliers by a seeded shuffle: rank 0 is the
// largest.
func supplierRanks(parts []Participant, seed uint64) map[market.MPID]uint64 {
	var ids []market.MPID
	for _, p := range parts {
		if p.HasRole(market.RoleSupplier) && !slices.Contains(ids, p.MPID) {
			ids = append(ids, p.MPID)
		}
	}
	r := stream(seed, tagRank, 0)
	for i := len(ids) - 1; i > 0; i-- {
		j := r.intn(uint64(i + 1))
		ids[i], ids[j] = ids[j], ids[i]
	}
	rank := make(map[market.MPID]uint64, len(ids))
	for i, id := range ids {
		rank[id] = uint64(i)
	}
	return rank
}

// network resolves the GSP groups of the configuration to distributors
// and their LLFCs, as at Start.
func (m *Market) network() error {
	start := m.cfg.Start
	var total float64
	for _, g := range m.cfg.Groups {
		total += g.Weight
	}
	distIndex := map[string]int{}
	addDist := func(d isd.Distributor) (int, error) {
		if i, ok := distIndex[d.ID]; ok {
			return i, nil
		}
		num, err := strconv.Atoi(d.ID)
		if err != nil || num < 0 || num > 99 || len(d.ID) != 2 {
			return 0, fmt.Errorf("sim: distributor id %q: want 2 digits: %w", d.ID, ErrDataset)
		}
		if !validDIPID(d.DIPID) {
			return 0, fmt.Errorf("sim: distributor %s has DIP id %q, not 10 hexadecimal digits: %w", d.ID, d.DIPID, ErrDataset)
		}
		dist := distributor{id: d.ID, num: num, ldso: Party{d.MPID, d.DIPID}, idno: d.IDNO}
		if p, ok := m.ds.ParticipantAt(d.MPID, start); ok && p.HasRole(market.RoleUMSO) {
			dist.umso = dist.ldso
		} else if hs := m.roles[market.RoleUMSO]; len(hs) > 0 {
			dist.umso = hs[0].party
		}
		if err := m.addLLFCs(&dist); err != nil {
			return 0, err
		}
		distIndex[d.ID] = len(m.dists)
		m.dists = append(m.dists, dist)
		return len(m.dists) - 1, nil
	}
	var cum float64
	for _, gw := range m.cfg.Groups {
		if _, ok := m.ds.GSPGroupAt(gw.Group, start); !ok {
			return fmt.Errorf("sim: GSP group %s is not in standing data on %s: %w", gw.Group, start, ErrDataset)
		}
		cum += gw.Weight
		g := group{id: gw.Group, cum: prob(cum / total), dno: -1, weight: gw.Weight}
		serving := m.ds.DistributorsServing(gw.Group, start)
		info, _ := gw.Group.Info()
		// The DNO: the distributor of the area's standard id if it serves
		// the group, else the first non-IDNO that does.
		slices.SortStableFunc(serving, func(a, b isd.Distributor) int {
			return boolCmp(a.ID != info.DistributorID, b.ID != info.DistributorID)
		})
		for _, d := range serving {
			i, err := addDist(d)
			if err != nil {
				return err
			}
			switch {
			case d.IDNO:
				g.idnos = append(g.idnos, i)
			case g.dno < 0:
				g.dno = i
			}
		}
		if g.dno < 0 {
			return fmt.Errorf("sim: GSP group %s has no DNO on %s: %w", gw.Group, start, ErrDataset)
		}
		m.groups = append(m.groups, g)
	}
	m.groups[len(m.groups)-1].cum = 1 << 32
	return nil
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// addLLFCs finds d's LLFCs as at Start and, for each combination of
// voltage, metering and domestic use, the candidates a site of that kind
// takes its LLFC from: exact matches first; failing those, the same
// voltage and metering; then the same metering; then any.
func (m *Market) addLLFCs(d *distributor) error {
	var own []int
	var all []isd.LLFC
	for _, c := range m.ds.As(m.cfg.Start).LLFCs {
		if c.Distributor != d.id {
			continue
		}
		s, _ := m.ds.LossFactors().Class(c.Distributor, c.ID)
		own = append(own, len(m.llfcs))
		all = append(all, c)
		m.llfcs = append(m.llfcs, llfc{distributor: c.Distributor, id: c.ID, series: s})
	}
	if len(own) == 0 {
		return fmt.Errorf("sim: distributor %s has no LLFC on %s: %w", d.id, m.cfg.Start, ErrDataset)
	}
	for _, v := range []isd.VoltageLevel{isd.VoltageLV, isd.VoltageHV, isd.VoltageEHV} {
		for _, metered := range []bool{false, true} {
			for _, domestic := range []bool{false, true} {
				tiers := []func(c isd.LLFC) bool{
					func(c isd.LLFC) bool { return c.Voltage == v && c.Metered == metered && domesticLLFC(c) == domestic },
					func(c isd.LLFC) bool { return c.Voltage == v && c.Metered == metered },
					func(c isd.LLFC) bool { return c.Metered == metered },
					func(isd.LLFC) bool { return true },
				}
				for _, ok := range tiers {
					var cands []int
					for j, c := range all {
						if ok(c) {
							cands = append(cands, own[j])
						}
					}
					if len(cands) > 0 {
						d.llfcs[llfcKey(v, metered, domestic)] = cands
						break
					}
				}
			}
		}
	}
	return nil
}

// domesticLLFC guesses from its description whether an LLFC is for
// domestic premises: standing data has no such column, and the default
// dataset describes its classes as "LV domestic" and "LV non-domestic".
func domesticLLFC(c isd.LLFC) bool {
	d := strings.ToLower(c.Description)
	return strings.Contains(d, "domestic") && !strings.Contains(d, "non-domestic") && !strings.Contains(d, "non domestic")
}

// Config returns the configuration of m.
func (m *Market) Config() Config {
	c := m.cfg
	c.Groups = slices.Clone(c.Groups)
	return c
}

// Len returns the number of sites, Config.Sites.
func (m *Market) Len() int { return m.cfg.Sites }

// Timeline returns the days on which business events may happen: Start
// to Start+Horizon-1.
func (m *Market) Timeline() market.Range { return m.timeline }

// Dataset returns the standing data m was built on.
func (m *Market) Dataset() *isd.Dataset { return m.ds }
