package sim

import (
	"fmt"
	"time"

	"github.com/mhhs/mhhs/internal/market"
)

// Config is everything that shapes a synthetic market. Start from
// DefaultConfig and change what you need: a zero value in a field is a
// value (no advanced sites, no comms gaps), not a request for the default.
//
// Where the public record is silent the defaults are assumptions, and each
// field's comment says where its number comes from. Shares and rates are
// float64 for readability; New turns them into integer thresholds once, so
// that generation itself uses no floating point.
type Config struct {
	// Seed selects the market. The same Seed and Config give the same
	// market, byte for byte, on any machine.
	Seed uint64
	// Sites is the number of MPANs, import and export, including those
	// connected during the timeline. Default 10 000; 30 M is fine, as
	// sites are computed on demand and never held.
	Sites int
	// Start is the first day of the timeline: the date at which the
	// initial registrations (Site) are as at. Default 2025-01-01.
	Start market.SettlementDate
	// Horizon is the length of the timeline in days: business events
	// happen from Start+1 to Start+Horizon-1. Default 730 (two years).
	Horizon int

	// Shares splits the sites into segments and customer types.
	Shares Shares
	// Groups weights the GSP groups: a site is in a group with
	// probability proportional to its weight. Default: the DNO areas'
	// customer numbers in millions (COMMON: the distributors' published
	// figures, rounded, about 30 M in all; unverified here).
	Groups []GroupWeight
	// Loads configures each customer type, indexed by Customer.
	Loads [nCustomers]Load
	// HV and EHV multiply the annual consumption of advanced sites
	// connected at high and extra high voltage, relative to those with
	// LV current transformers. Default 10 and 100 (ASSUMPTION).
	HV, EHV int64

	// Faults sets the rates of data-quality events.
	Faults Faults

	// LossFactor is the line loss factor used where standing data has
	// none for a site's LLFC on a date. Default 1.06 (ASSUMPTION: GB
	// distribution losses are commonly put at 5-8 %).
	LossFactor float64
	// TakeError bounds the relative error of GSP group take against the
	// loss-adjusted sum of the sites' consumption: half as a bias per
	// group and day, half as noise per period. Default 0.03 (ASSUMPTION:
	// "a few per cent", so that GSP group correction has work to do;
	// Elexon calls correction factors within 0.9-1.1 reasonable, GGC).
	TakeError float64

	// Rates sets the yearly rates of business events.
	Rates Rates
	// Agents is the number of data and metering services generated for
	// each of the roles SDS, ADS, UMSDS, MSS and MSA beyond those in
	// standing data, so that changes of service have somewhere to go.
	// Default 1.
	Agents int
	// KeyBits is the size of the RSA keys Key generates. Default 2048;
	// tests may use 1024.
	KeyBits int
}

// Shares are the fractions, each in [0, 1], that split the sites.
type Shares struct {
	// Advanced and Unmetered are the shares of sites in the advanced and
	// unmetered segments; the rest is smart (which includes traditional
	// meters). Defaults 0.005 and 0.03, giving 96.5 % smart: the brief's
	// split. ASSUMPTION: the performance research estimates advanced at
	// about 10^5 MPANs (0.3 %) and unmetered at 10^4-10^5 (at most
	// 0.3 %); the default over-represents unmetered supplies so that
	// small test markets hold some, and gives them a small annual
	// consumption (Loads) so that street lighting stays a few per cent
	// of the energy.
	Advanced, Unmetered float64
	// Domestic is the share of smart import sites that are domestic.
	// Default 0.90 (ASSUMPTION: about 28 M homes among 31 M meters).
	Domestic float64
	// Economy7 is the share of domestic import sites on an Economy 7 or
	// EV night tariff. Default 0.15 (ASSUMPTION: Economy 7 homes were
	// put at 10-13 % of GB households, plus EV owners).
	Economy7 float64
	// Export is the share of all sites that are export MPANs of
	// domestic solar generation, each linked to the import MPAN of its
	// premises. Default 0.03 (ASSUMPTION: 1-2 M export MPANs are
	// estimated in the performance research, 3-6 %). At most about
	// 0.37 with the default domestic share.
	Export float64
	// IDNO is the share of sites, in GSP groups that an independent
	// distributor serves, whose MPAN that distributor issued. Default
	// 0.02 (ASSUMPTION: IDNOs serve a few per cent of GB, mostly new
	// housing).
	IDNO float64
	// LVCT and HVCT are the shares of advanced sites with LV and HV
	// current-transformer connections; the rest are EHV. Defaults 0.85
	// and 0.14 (ASSUMPTION).
	LVCT, HVCT float64
	// DeEnergised is the share of sites de-energised at Start or at
	// connection. Default 0.01 (ASSUMPTION: vacant premises).
	DeEnergised float64
}

// GroupWeight is the relative weight of a GSP group among the sites.
type GroupWeight struct {
	Group  market.GSPGroup
	Weight float64
}

// Load configures one customer type.
type Load struct {
	// Annual is the median annual consumption (for Solar, export) of a
	// site of the type.
	Annual market.Energy
	// Spread is the standard deviation of the natural logarithm of the
	// annual consumption across sites (a log-normal spread, cut at about
	// ±3.5 standard deviations).
	Spread float64
	// DayNoise is the half-width of the uniform factor, mean 1, that
	// scales each site-day: 0.2 means each day is 0.8 to 1.2 times its
	// expected consumption.
	DayNoise float64
	// PeriodNoise is the half-width of the uniform factor, mean 1, that
	// scales each half-hour period.
	PeriodNoise float64
}

// Faults are the rates of data-quality events, each a probability per
// MPAN-day of the metered segments (smart and advanced) on which the
// site is connected and energised. Unmetered consumption is calculated
// from inventories, not read, and has no faults. An MPAN-day has at most
// one event, so the rates add up (their sum must be at most 1).
type Faults struct {
	// Gaps is the rate of comms gaps: a run of 1 to GapMax consecutive
	// periods within the day is missing. Default 0.02 (ASSUMPTION; the
	// performance research's data-service benchmark uses 2 % of periods
	// missing).
	Gaps float64
	// GapMax is the longest comms gap in periods, 1 to 48. Default 12
	// (six hours).
	GapMax int
	// MissingDays is the rate of days with no data at all. Default 0.01
	// (ASSUMPTION).
	MissingDays float64
	// Spikes is the rate of days with one implausibly high period, 20 to
	// 100 times the true value plus 10 kWh. Default 0.002 (ASSUMPTION;
	// with ZeroDays and Negatives, 0.4 % anomalous days: the research
	// benchmark uses 0.5 % anomalies).
	Spikes float64
	// ZeroDays is the rate of days on which an energised meter reports 48
	// zeros. Default 0.001 (ASSUMPTION).
	ZeroDays float64
	// Negatives is the rate of days with one negative import value.
	// Default 0.001 (ASSUMPTION).
	Negatives float64
}

// Rates are yearly rates of business events: the probability that a live
// site has the event in a year. Over a window of w days a site has the
// event with probability rate·w/365 (Switches, DataServiceChanges and
// MeteringServiceChanges may happen several times, as a Poisson process).
type Rates struct {
	// NewConnections is the share of Sites connected per year of the
	// timeline: a site is connected after Start with probability
	// NewConnections·Horizon/365 (at most 1). Default 0.01 (ASSUMPTION:
	// about 250-300 k new connections a year in GB, ~1 %).
	NewConnections float64
	// Switches is the rate of changes of supplier. Default 0.12
	// (ASSUMPTION: GB switching has run at 10-15 % a year outside the
	// 2022-23 price crisis; ElectraLink publishes monthly counts).
	Switches float64
	// DataServiceChanges and MeteringServiceChanges are the rates at
	// which the supplier replaces a site's data or metering service.
	// Default 0.03 each (ASSUMPTION). The unmetered segment's metering
	// service is the distributor's UMSO and never changes.
	DataServiceChanges, MeteringServiceChanges float64
	// DeEnergisations is the rate at which an energised site is
	// de-energised. Default 0.01 (ASSUMPTION).
	DeEnergisations float64
	// ReEnergisations is the probability that a de-energised site is
	// energised again, 7 to 180 days later. Default 0.5 (ASSUMPTION).
	ReEnergisations float64
	// Disconnections is the rate of permanent disconnections. Default
	// 0.002 (ASSUMPTION: demolitions and merged supplies).
	Disconnections float64
}

// DefaultConfig returns the default configuration, each value explained
// on its field.
func DefaultConfig() Config {
	kwh := func(n int64) market.Energy { return market.Energy(n * 1000) }
	var loads [nCustomers]Load
	// Domestic: Ofgem's typical domestic consumption values (TDCV) from
	// April 2024: 2 700 kWh medium for profile class 1 and 3 900 kWh for
	// Economy 7, raised here for EV charging. The rest is ASSUMPTION.
	loads[Domestic] = Load{Annual: kwh(2_700), Spread: 0.45, DayNoise: 0.2, PeriodNoise: 0.3}
	loads[Economy7] = Load{Annual: kwh(4_200), Spread: 0.45, DayNoise: 0.2, PeriodNoise: 0.25}
	loads[SmallBusiness] = Load{Annual: kwh(10_000), Spread: 0.8, DayNoise: 0.1, PeriodNoise: 0.2}
	// LV CT; HV and EHV sites are HV and EHV times larger.
	loads[LargeBusiness] = Load{Annual: kwh(150_000), Spread: 0.7, DayNoise: 0.08, PeriodNoise: 0.1}
	// An unmetered MPAN covers anything from one bollard to a council's
	// street lights.
	loads[StreetLighting] = Load{Annual: kwh(3_500), Spread: 1.0, DayNoise: 0.01, PeriodNoise: 0.02}
	// Export of a ~3.5 kWp roof: ~3 000 kWh generated, about half
	// exported. Days vary with cloud.
	loads[Solar] = Load{Annual: kwh(1_500), Spread: 0.4, DayNoise: 0.6, PeriodNoise: 0.3}
	return Config{
		Seed:    0,
		Sites:   10_000,
		Start:   market.NewSettlementDate(2025, time.January, 1),
		Horizon: 730,
		Shares: Shares{
			Advanced: 0.005, Unmetered: 0.03,
			Domestic: 0.90, Economy7: 0.15, Export: 0.03, IDNO: 0.02,
			LVCT: 0.85, HVCT: 0.14,
			DeEnergised: 0.01,
		},
		Groups: []GroupWeight{
			{"_A", 3.6}, {"_B", 2.6}, {"_C", 2.4}, {"_D", 1.5}, {"_E", 2.5},
			{"_F", 1.6}, {"_G", 2.4}, {"_P", 0.8}, {"_N", 2.0}, {"_J", 2.3},
			{"_H", 3.0}, {"_K", 1.1}, {"_L", 1.6}, {"_M", 2.3},
		},
		Loads: loads,
		HV:    10,
		EHV:   100,
		Faults: Faults{
			Gaps: 0.02, GapMax: 12, MissingDays: 0.01,
			Spikes: 0.002, ZeroDays: 0.001, Negatives: 0.001,
		},
		LossFactor: 1.06,
		TakeError:  0.03,
		Rates: Rates{
			NewConnections: 0.01, Switches: 0.12,
			DataServiceChanges: 0.03, MeteringServiceChanges: 0.03,
			DeEnergisations: 0.01, ReEnergisations: 0.5, Disconnections: 0.002,
		},
		Agents:  1,
		KeyBits: 2048,
	}
}

// maxAnnual bounds a Load's median annual consumption so that the
// fixed-point arithmetic of generation cannot overflow: 2^34 Wh, about
// 17 GWh (an EHV site is EHV times this).
const maxAnnual = 1 << 34

// Validate reports the first problem with c as an error wrapping
// ErrConfig, or nil.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("sim: %s: %w", fmt.Sprintf(format, args...), ErrConfig)
	}
	share := func(name string, v float64) error {
		if !(v >= 0 && v <= 1) {
			return bad("%s %v: want a share in [0, 1]", name, v)
		}
		return nil
	}
	switch {
	case c.Sites < 1 || c.Sites > 1_000_000_000:
		return bad("Sites %d: want 1 to 10^9", c.Sites)
	case c.Start.IsZero():
		return bad("Start is not set")
	case c.Horizon < 2 || c.Horizon > 100*366:
		return bad("Horizon %d: want 2 to 36 600 days", c.Horizon)
	case c.Agents < 0 || c.Agents > 100:
		return bad("Agents %d: want 0 to 100", c.Agents)
	case c.KeyBits < 1024:
		return bad("KeyBits %d: want at least 1024", c.KeyBits)
	case c.HV < 1 || c.EHV < 1 || c.HV > 1000 || c.EHV > 1000:
		return bad("HV %d, EHV %d: want 1 to 1000", c.HV, c.EHV)
	case !(c.LossFactor >= 1 && c.LossFactor < 2):
		return bad("LossFactor %v: want 1 to 2", c.LossFactor)
	case !(c.TakeError >= 0 && c.TakeError <= 0.5):
		return bad("TakeError %v: want 0 to 0.5", c.TakeError)
	case c.Faults.GapMax < 1 || c.Faults.GapMax > market.PeriodsPerUTCDay:
		return bad("Faults.GapMax %d: want 1 to 48", c.Faults.GapMax)
	}
	s := c.Shares
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"Shares.Advanced", s.Advanced}, {"Shares.Unmetered", s.Unmetered},
		{"Shares.Domestic", s.Domestic}, {"Shares.Economy7", s.Economy7},
		{"Shares.Export", s.Export}, {"Shares.IDNO", s.IDNO},
		{"Shares.LVCT", s.LVCT}, {"Shares.HVCT", s.HVCT},
		{"Shares.DeEnergised", s.DeEnergised},
		{"Faults.Gaps", c.Faults.Gaps}, {"Faults.MissingDays", c.Faults.MissingDays},
		{"Faults.Spikes", c.Faults.Spikes}, {"Faults.ZeroDays", c.Faults.ZeroDays},
		{"Faults.Negatives", c.Faults.Negatives},
		{"Rates.ReEnergisations", c.Rates.ReEnergisations},
	} {
		if err := share(f.name, f.v); err != nil {
			return err
		}
	}
	if s.Advanced+s.Unmetered > 1 {
		return bad("Shares.Advanced + Shares.Unmetered = %v: want at most 1", s.Advanced+s.Unmetered)
	}
	if s.LVCT+s.HVCT > 1 {
		return bad("Shares.LVCT + Shares.HVCT = %v: want at most 1", s.LVCT+s.HVCT)
	}
	if _, err := exportProb(s); err != nil {
		return err
	}
	f := c.Faults
	if sum := f.Gaps + f.MissingDays + f.Spikes + f.ZeroDays + f.Negatives; sum > 1 {
		return bad("Faults add up to %v: want at most 1", sum)
	}
	r := c.Rates
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"Rates.NewConnections", r.NewConnections}, {"Rates.Switches", r.Switches},
		{"Rates.DataServiceChanges", r.DataServiceChanges},
		{"Rates.MeteringServiceChanges", r.MeteringServiceChanges},
		{"Rates.DeEnergisations", r.DeEnergisations}, {"Rates.Disconnections", r.Disconnections},
	} {
		if !(f.v >= 0 && f.v <= 12) {
			return bad("%s %v: want 0 to 12 a year", f.name, f.v)
		}
	}
	if len(c.Groups) == 0 {
		return bad("Groups is empty")
	}
	seen := map[market.GSPGroup]bool{}
	total := 0.0
	for _, g := range c.Groups {
		if !g.Group.Valid() {
			return bad("Groups: %q is not a GSP group", g.Group)
		}
		if seen[g.Group] {
			return bad("Groups: %s twice", g.Group)
		}
		seen[g.Group] = true
		if !(g.Weight >= 0 && g.Weight <= 1e6) {
			return bad("Groups: %s weight %v: want 0 to 10^6", g.Group, g.Weight)
		}
		total += g.Weight
	}
	if total <= 0 {
		return bad("Groups: weights add up to 0")
	}
	for k, l := range c.Loads {
		name := Customer(k).String()
		switch {
		case l.Annual < 1000 || l.Annual > maxAnnual:
			return bad("Loads[%s].Annual %d Wh: want 1 kWh to %d Wh", name, l.Annual, int64(maxAnnual))
		case !(l.Spread >= 0 && l.Spread <= 1.5):
			return bad("Loads[%s].Spread %v: want 0 to 1.5", name, l.Spread)
		case !(l.DayNoise >= 0 && l.DayNoise < 1):
			return bad("Loads[%s].DayNoise %v: want 0 to 1 (exclusive)", name, l.DayNoise)
		case !(l.PeriodNoise >= 0 && l.PeriodNoise < 1):
			return bad("Loads[%s].PeriodNoise %v: want 0 to 1 (exclusive)", name, l.PeriodNoise)
		}
	}
	return nil
}

// exportProb returns the probability that an odd-numbered site whose own
// draw and whose even neighbour's draw are both smart domestic becomes the
// neighbour's export MPAN, so that Export of all sites are export MPANs.
func exportProb(s Shares) (float64, error) {
	q := (1 - s.Advanced - s.Unmetered) * s.Domestic // P(smart domestic)
	if s.Export == 0 {
		return 0, nil
	}
	p := s.Export / (0.5 * q * q)
	if !(p <= 1) {
		return 0, fmt.Errorf("sim: Shares.Export %v: want at most %.3f with these shares: %w", s.Export, 0.5*q*q, ErrConfig)
	}
	return p, nil
}
