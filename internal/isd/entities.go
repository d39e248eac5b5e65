package isd

import (
	"slices"

	"github.com/mhhs/mhhs/internal/market"
)

// Every row of standing data except a loss factor profile carries an
// effective range: From is the first settlement date on which the row
// applies, To the last (inclusive), and a zero To means open-ended. Rows
// with the same key must not overlap; a change to an entity is a new row
// from the date of the change, ending the previous one the day before.

// GSPGroup is a Grid Supply Point group as standing data. Its id must be
// one of market.GSPGroups.
type GSPGroup struct {
	ID   market.GSPGroup
	Name string
	From market.SettlementDate
	To   market.SettlementDate
}

// Effective returns the dates on which g applies.
func (g GSPGroup) Effective() market.Range { return market.Range{From: g.From, To: g.To} }

// Distributor is a licensed distribution network operator (DNO) or an
// independent one (IDNO), identified by the 2-digit distributor id that
// starts its MPANs.
type Distributor struct {
	ID        string // 2 digits, e.g. "10"
	Name      string
	MPID      market.MPID
	DIPID     market.DIPID
	IDNO      bool
	GSPGroups []market.GSPGroup // the GSP groups it serves, sorted
	From      market.SettlementDate
	To        market.SettlementDate
}

// Effective returns the dates on which d applies.
func (d Distributor) Effective() market.Range { return market.Range{From: d.From, To: d.To} }

// Serves reports whether d serves GSP group g.
func (d Distributor) Serves(g market.GSPGroup) bool { return slices.Contains(d.GSPGroups, g) }

// Participant is a market participant: a legacy market participant id
// with its DIP participant id, name and roles.
type Participant struct {
	MPID  market.MPID
	DIPID market.DIPID
	Name  string
	Roles []market.Role // sorted
	From  market.SettlementDate
	To    market.SettlementDate
}

// Effective returns the dates on which p applies.
func (p Participant) Effective() market.Range { return market.Range{From: p.From, To: p.To} }

// HasRole reports whether p holds role r.
func (p Participant) HasRole(r market.Role) bool { return slices.Contains(p.Roles, r) }

// BMUnitKind says whether a Supplier BM Unit is the base unit of its
// supplier in its GSP group or an additional one.
type BMUnitKind string

// The kinds of Supplier BM Unit.
const (
	BMUnitBase       BMUnitKind = "base"
	BMUnitAdditional BMUnitKind = "additional"
)

// Valid reports whether k is a BM unit kind.
func (k BMUnitKind) Valid() bool { return k == BMUnitBase || k == BMUnitAdditional }

// BMUnit is a Supplier BM Unit: the unit into which settlement aggregates a
// supplier's volumes in one GSP group. Each supplier has at most one base
// unit per GSP group on any date.
type BMUnit struct {
	ID       string // e.g. "2__AABCD000"
	Supplier market.MPID
	GSPGroup market.GSPGroup
	Kind     BMUnitKind
	From     market.SettlementDate
	To       market.SettlementDate
}

// Effective returns the dates on which u applies.
func (u BMUnit) Effective() market.Range { return market.Range{From: u.From, To: u.To} }

// VoltageLevel is the voltage at which the metering points of an LLFC are
// connected.
type VoltageLevel string

// The voltage levels.
const (
	VoltageLV  VoltageLevel = "LV"  // low voltage
	VoltageHV  VoltageLevel = "HV"  // high voltage
	VoltageEHV VoltageLevel = "EHV" // extra high voltage
)

// Valid reports whether v is a voltage level.
func (v VoltageLevel) Valid() bool { return v == VoltageLV || v == VoltageHV || v == VoltageEHV }

// LLFC is a Line Loss Factor Class of a distributor. Its id is three
// characters, unique within the distributor.
type LLFC struct {
	Distributor string // distributor id, e.g. "10"
	ID          string // e.g. "101"
	Description string
	Voltage     VoltageLevel
	Metered     bool // false for unmetered supplies
	From        market.SettlementDate
	To          market.SettlementDate
}

// Effective returns the dates on which c applies.
func (c LLFC) Effective() market.Range { return market.Range{From: c.From, To: c.To} }

// PeriodsPerDay is the number of loss factors in a daily profile: one per
// UTC settlement period.
const PeriodsPerDay = market.PeriodsPerUTCDay

// LossFactorProfile is one distinct daily profile of loss factors of an
// LLFC: a factor for each UTC settlement period 1..48. Profiles are named
// within their LLFC and referenced by LossFactorDays.
type LossFactorProfile struct {
	Distributor string
	LLFC        string
	Profile     string // e.g. "WIN-WD"
	Factors     [PeriodsPerDay]Factor
}

// LossFactorDays says that the loss factors of an LLFC on every settlement
// date from From to To (both required, inclusive) are those of the named
// profile.
type LossFactorDays struct {
	Distributor string
	LLFC        string
	Profile     string
	From        market.SettlementDate
	To          market.SettlementDate
}

// Effective returns the dates d covers.
func (d LossFactorDays) Effective() market.Range { return market.Range{From: d.From, To: d.To} }

// Component says whether a Consumption Component Class carries
// consumption or losses.
type Component string

// The consumption components.
const (
	ComponentConsumption Component = "C"
	ComponentLosses      Component = "L"
)

// Valid reports whether c is a component.
func (c Component) Valid() bool { return c == ComponentConsumption || c == ComponentLosses }

// Quality is the data quality a Consumption Component Class collects:
// actual, estimated or defaulted data, or any ("") where the class does not
// distinguish.
type Quality string

// The data qualities of a CCC.
const (
	QualityAny       Quality = ""
	QualityActual    Quality = "A"
	QualityEstimated Quality = "E"
	QualityDefaulted Quality = "D"
)

// Valid reports whether q is a data quality, including QualityAny.
func (q Quality) Valid() bool {
	switch q {
	case QualityAny, QualityActual, QualityEstimated, QualityDefaulted:
		return true
	}
	return false
}

// CCC is a Consumption Component Class: the class into which the
// Market-wide Data Service sorts each MPAN's data before aggregation. Its
// id is 100..999.
type CCC struct {
	ID                  int
	Description         string
	MeasurementQuantity market.MeasurementQuantity
	Segment             market.MarketSegment
	Domestic            bool
	Component           Component
	Quality             Quality
	GSPGroupCorrection  bool   // subject to GSP group correction
	ScalingWeight       Factor // GSP group correction scaling weight
	From                market.SettlementDate
	To                  market.SettlementDate
}

// Effective returns the dates on which c applies.
func (c CCC) Effective() market.Range { return market.Range{From: c.From, To: c.To} }

// Key returns what determines c.
func (c CCC) Key() CCCKey {
	return CCCKey{c.MeasurementQuantity, c.Segment, c.Domestic, c.Component, c.Quality}
}

// CCCKey is what determines a Consumption Component Class. On any date at
// most one CCC has a given key.
type CCCKey struct {
	MeasurementQuantity market.MeasurementQuantity
	Segment             market.MarketSegment
	Domestic            bool
	Component           Component
	Quality             Quality
}

// DomesticIndicator is the domestic premise indicator of a load-shape
// group: the string "T" or "F", or "" (null) for a group covering both.
type DomesticIndicator string

// The domestic indicators of a load-shape group.
const (
	DomesticAny   DomesticIndicator = ""
	DomesticTrue  DomesticIndicator = "T"
	DomesticFalse DomesticIndicator = "F"
)

// Valid reports whether v is a domestic indicator, including DomesticAny.
func (v DomesticIndicator) Valid() bool {
	return v == DomesticAny || v == DomesticTrue || v == DomesticFalse
}

// LoadShapeGroup is a group for which the Load Shaping Service publishes
// load shapes (block B051). A zero GSPGroup means a GB-wide group.
type LoadShapeGroup struct {
	GSPGroup            market.GSPGroup // "" for GB-wide
	ConnectionType      market.ConnectionType
	Segment             market.MarketSegment
	Domestic            DomesticIndicator
	MeasurementQuantity market.MeasurementQuantity
	From                market.SettlementDate
	To                  market.SettlementDate
}

// Effective returns the dates on which g applies.
func (g LoadShapeGroup) Effective() market.Range { return market.Range{From: g.From, To: g.To} }

// ProfileClass is a legacy profile class, 01..08, kept for the traditional
// metering subset.
type ProfileClass struct {
	ID          string // two digits, "01".."08"
	Description string
	From        market.SettlementDate
	To          market.SettlementDate
}

// Effective returns the dates on which c applies.
func (c ProfileClass) Effective() market.Range { return market.Range{From: c.From, To: c.To} }

// SSC is a Standard Settlement Configuration with the profile classes it
// is valid with.
type SSC struct {
	ID             string // four digits, e.g. "0393"
	Description    string
	ProfileClasses []string // sorted
	From           market.SettlementDate
	To             market.SettlementDate
}

// Effective returns the dates on which s applies.
func (s SSC) Effective() market.Range { return market.Range{From: s.From, To: s.To} }

// Tables is standing data in its plain, editable form: one slice per
// table. Build a Dataset from it with New; get it back, in canonical order,
// with Dataset.Tables.
type Tables struct {
	GSPGroups          []GSPGroup
	Distributors       []Distributor
	Participants       []Participant
	BMUnits            []BMUnit
	LLFCs              []LLFC
	LossFactorProfiles []LossFactorProfile
	LossFactorDays     []LossFactorDays
	CCCs               []CCC
	LoadShapeGroups    []LoadShapeGroup
	ProfileClasses     []ProfileClass
	SSCs               []SSC
}

// clone returns a deep copy of t.
func (t *Tables) clone() Tables {
	c := Tables{
		GSPGroups:          slices.Clone(t.GSPGroups),
		Distributors:       slices.Clone(t.Distributors),
		Participants:       slices.Clone(t.Participants),
		BMUnits:            slices.Clone(t.BMUnits),
		LLFCs:              slices.Clone(t.LLFCs),
		LossFactorProfiles: slices.Clone(t.LossFactorProfiles),
		LossFactorDays:     slices.Clone(t.LossFactorDays),
		CCCs:               slices.Clone(t.CCCs),
		LoadShapeGroups:    slices.Clone(t.LoadShapeGroups),
		ProfileClasses:     slices.Clone(t.ProfileClasses),
		SSCs:               slices.Clone(t.SSCs),
	}
	for i := range c.Distributors {
		c.Distributors[i].GSPGroups = slices.Clone(c.Distributors[i].GSPGroups)
	}
	for i := range c.Participants {
		c.Participants[i].Roles = slices.Clone(c.Participants[i].Roles)
	}
	for i := range c.SSCs {
		c.SSCs[i].ProfileClasses = slices.Clone(c.SSCs[i].ProfileClasses)
	}
	return c
}
