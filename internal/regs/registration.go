package regs

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

// Party is a market participant as a registration names it: its DIP id
// and its market participant id.
type Party struct {
	DIPID string `json:"dip"`
	MPID  string `json:"mpid"`
}

// Supply is a supplier's registration of an MPAN: the supplier and the CSS
// registration (switch) id that made it (B013).
type Supply struct {
	Party
	CSSRegistrationID string `json:"css"`
}

// Appointment is a service provider's appointment to an MPAN: who, which
// supplier appointed it (for REG1099), under which scenario and contract.
type Appointment struct {
	Party
	// By is the DIP id of the supplier that appointed the provider. A
	// provider aligned by REGS to a linked export or related secondary
	// MPAN (scenario ALG) carries the principal MPAN's supplier.
	By                string                        `json:"by"`
	Scenario          catalogue.AppointmentScenario `json:"sc"`
	ContractReference *string                       `json:"ref,omitempty"`
	// ReadFrequency is a data service's traditional fall-back read
	// frequency (B015).
	ReadFrequency *catalogue.ReadFrequency `json:"rf,omitempty"`
}

// Address is a metering point address (B022): a postcode and up to nine
// lines. An empty string is a line the address does not have (null on the
// wire).
type Address struct {
	Postcode string   `json:"postcode,omitempty"`
	Lines    []string `json:"lines,omitempty"`
}

// AnnualConsumption is an MPAN's annual consumption with its quality
// indicator (B027, B059).
type AnnualConsumption struct {
	Energy  market.Energy                      `json:"kwh"`
	Quality catalogue.AnnualConsumptionQuality `json:"q"`
}

// Meter is a meter installed at the metering point, now or in the past,
// with its meter asset provider history (B033, B034, B039).
type Meter struct {
	ID        string                  `json:"id"`
	Type      catalogue.MeterType     `json:"type"`
	Make      *string                 `json:"make,omitempty"`
	ESMEGUID  *string                 `json:"esme,omitempty"`
	Location  catalogue.MeterLocation `json:"loc"`
	Digits    *int64                  `json:"digits,omitempty"`
	Installed market.DateTime         `json:"installed"`
	Removed   *market.DateTime        `json:"removed,omitempty"`
	// MAP is the meter asset provider (its MPID) over time.
	MAP market.History[string] `json:"map,omitzero"`
}

// InstalledOn reports whether the meter is installed on day d: installed
// on or before d and not removed on or before d. On the day of an exchange
// the new meter is the installed one.
func (m *Meter) InstalledOn(d market.SettlementDate) bool {
	if m.Installed.LocalDate().After(d) {
		return false
	}
	return m.Removed == nil || m.Removed.LocalDate().After(d)
}

// Group is an MPAN relationship: a linked import/export relationship (the
// import principal and its export subsidiaries) or a related MPAN
// relationship (the primary and its secondaries). Every member MPAN keeps
// the whole group.
type Group struct {
	Principal market.MPAN   `json:"principal"`
	Members   []market.MPAN `json:"members"`
}

// Has reports whether mpan is the group's principal or one of its members.
func (g Group) Has(mpan market.MPAN) bool {
	return g.Principal == mpan || slices.Contains(g.Members, mpan)
}

// SwitchState is where a pending change of supplier stands in CSS.
type SwitchState string

// Switch states.
const (
	SwitchPending  SwitchState = "pending"  // CSS announced it; the losing supplier may object
	SwitchObjected SwitchState = "objected" // the losing supplier objected; CSS is resolving it
	SwitchSecured  SwitchState = "secured"  // past objections; it will happen on its date
)

// Switch is a change of supplier CSS has announced and not yet made
// active (secured-active) or cancelled.
type Switch struct {
	ID       string                `json:"id"` // CSS registration id (B013)
	Supplier Party                 `json:"supplier"`
	From     market.SettlementDate `json:"from"`
	State    SwitchState           `json:"state"`
	Since    market.DateTime       `json:"since"` // when CSS announced it
	Objected *market.DateTime      `json:"objected,omitempty"`
	Losing   *Party                `json:"losing,omitempty"` // the supplier when it was announced
}

// Proposal is an appointment a supplier asked for (IF-031) that is not yet
// in the registration: waiting for the proposed provider's answer
// (IF-034), or accepted and waiting for its change of supplier to become
// active.
type Proposal struct {
	// ID is the DIP transaction id of the IF-031 that asked for it.
	ID string `json:"id"`
	// At is when it was asked for (the IF-031's transaction time).
	At       market.DateTime       `json:"at"`
	Supplier Party                 `json:"supplier"`
	Proposed catalogue.Appointment `json:"proposed"`
	// CSSRegistrationID is the switch a change of supplier appointment
	// (COS, MCS) belongs to.
	CSSRegistrationID string `json:"css,omitempty"`
	// Accepted is set when the provider accepted; the appointment waits
	// for its switch.
	Accepted bool `json:"accepted,omitempty"`
}

// From returns the day the proposed appointment takes effect.
func (p *Proposal) From() market.SettlementDate { return p.Proposed.From.LocalDate() }

// Registration is everything the Registration Service holds about one
// MPAN, each attribute as an effective-dated history (reference
// mhhs-domain.md §5a). It is one document: stores keep it as its JSON
// encoding, and the Engine reads and writes whole registrations through a
// Book.
//
// Dates are local (Europe/London) calendar days: a value set from a day
// applies from that day's local midnight, the form of every effective date
// on the wire.
type Registration struct {
	MPAN market.MPAN `json:"mpan"`
	// LDSO is the distributor's DIP id (M0.distributorDIPID).
	LDSO    string                `json:"ldso"`
	Created market.SettlementDate `json:"created"`

	Supplier market.History[Supply]      `json:"supplier,omitzero"`
	MS       market.History[Appointment] `json:"ms,omitzero"`
	DS       market.History[Appointment] `json:"ds,omitzero"`
	MDR      market.History[Party]       `json:"mdr,omitzero"`
	// DirectMS and DirectDS hold the DIP id of a metering or data service
	// that has a contract with the customer (IF-038): it stays appointed
	// through a change of supplier.
	DirectMS market.History[string] `json:"directMS,omitzero"`
	DirectDS market.History[string] `json:"directDS,omitzero"`

	Address      market.History[Address]                      `json:"address,omitzero"`
	GSP          market.History[market.GSPGroup]              `json:"gsp,omitzero"`
	Connection   market.History[market.ConnectionType]        `json:"connection,omitzero"`
	Direction    market.History[catalogue.EnergyDirection]    `json:"direction,omitzero"`
	Metered      market.History[bool]                         `json:"metered,omitzero"`
	DUoSTariff   market.History[string]                       `json:"duos,omitzero"`
	Energisation market.History[market.EnergisationStatus]    `json:"energisation,omitzero"`
	Segment      market.History[market.MarketSegment]         `json:"segment,omitzero"`
	Domestic     market.History[bool]                         `json:"domestic,omitzero"`
	Consent      market.History[catalogue.ConsentGranularity] `json:"consent,omitzero"`
	Annual       market.History[AnnualConsumption]            `json:"annual,omitzero"`
	DCC          market.History[catalogue.DCCServiceFlag]     `json:"dcc,omitzero"`
	IHD          market.History[catalogue.IHDStatus]          `json:"ihd,omitzero"`
	SMSO         market.History[string]                       `json:"smso,omitzero"`
	ProfileClass market.History[string]                       `json:"pc,omitzero"`
	SSC          market.History[string]                       `json:"ssc,omitzero"`
	Meters       []Meter                                      `json:"meters,omitempty"`

	Linked  market.History[Group] `json:"linked,omitzero"`
	Related market.History[Group] `json:"related,omitzero"`

	RMP       market.History[catalogue.RMPStatus] `json:"rmp,omitzero"`
	MP        market.History[catalogue.MPStatus]  `json:"mp,omitzero"`
	GreenDeal market.History[bool]                `json:"greenDeal,omitzero"`
	// Migrated is true from the day the MPAN entered the MHHS regime. An
	// MPAN created by a new connection is MHHS from its creation.
	Migrated market.History[bool] `json:"migrated,omitzero"`

	Switch    *Switch    `json:"switch,omitempty"`
	Proposals []Proposal `json:"proposals,omitempty"`
	// Reminded is the day each IF-045 reminder (by event code) was last
	// sent.
	Reminded map[string]market.SettlementDate `json:"reminded,omitempty"`
	// Due is when Tick next has work for this MPAN (a lapse, an expiry,
	// a reminder), nil when it has none. The Engine keeps it; a store
	// indexes it to find the MPANs to tick.
	Due *market.DateTime `json:"due,omitempty"`
}

// Encode returns the registration's JSON document.
func (r *Registration) Encode() ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("regs: encode %s: %w", r.MPAN, err)
	}
	return b, nil
}

// Decode reads a registration's JSON document.
func Decode(b []byte) (*Registration, error) {
	var r Registration
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("regs: decode registration: %w", err)
	}
	if _, err := market.ParseMPAN(string(r.MPAN)); err != nil {
		return nil, fmt.Errorf("regs: decode registration: %w", err)
	}
	return &r, nil
}

// Clone returns an independent copy of r.
func (r *Registration) Clone() *Registration {
	b, err := r.Encode()
	if err != nil {
		panic(err) // unreachable: every field encodes
	}
	c, err := Decode(b)
	if err != nil {
		panic(err)
	}
	return c
}

// Registered reports whether a supplier is registered on d.
func (r *Registration) Registered(d market.SettlementDate) bool {
	_, ok := r.Supplier.At(d)
	return ok
}

// Disconnected reports whether the MPAN is disconnected (MP status X) or
// its registration terminated (RMP status T) on d: it can no longer be
// registered or appointed.
func (r *Registration) Disconnected(d market.SettlementDate) bool {
	if s, ok := r.MP.At(d); ok && s == catalogue.MPStatusX {
		return true
	}
	s, ok := r.RMP.At(d)
	return ok && s == catalogue.RMPStatusT
}

// appointments returns the appointment history of a service kind.
func (r *Registration) appointments(k catalogue.ServiceKind) *market.History[Appointment] {
	if k == catalogue.DataService {
		return &r.DS
	}
	return &r.MS
}

func (r *Registration) direct(k catalogue.ServiceKind) *market.History[string] {
	if k == catalogue.DataService {
		return &r.DirectDS
	}
	return &r.DirectMS
}

// linkedTo returns the import MPAN r is linked to as an export
// subsidiary on d, if it is one.
func (r *Registration) linkedTo(d market.SettlementDate) (market.MPAN, bool) {
	g, ok := r.Linked.At(d)
	if !ok || g.Principal == r.MPAN {
		return "", false
	}
	return g.Principal, true
}

// relatedTo returns the primary MPAN r is related to as a secondary on d,
// if it is one.
func (r *Registration) relatedTo(d market.SettlementDate) (market.MPAN, bool) {
	g, ok := r.Related.At(d)
	if !ok || g.Principal == r.MPAN {
		return "", false
	}
	return g.Principal, true
}

// meter returns the latest meter with the id, or nil.
func (r *Registration) meter(id string) *Meter {
	for i := len(r.Meters) - 1; i >= 0; i-- {
		if r.Meters[i].ID == id {
			return &r.Meters[i]
		}
	}
	return nil
}

// installed returns the meters installed and not removed: the current
// meters.
func (r *Registration) installed() []*Meter {
	var out []*Meter
	for i := range r.Meters {
		if r.Meters[i].Removed == nil {
			out = append(out, &r.Meters[i])
		}
	}
	return out
}

// DueMicros is r.Due as unix microseconds, or nil: the index stores keep.
func (r *Registration) DueMicros() *int64 {
	if r.Due == nil {
		return nil
	}
	v := r.Due.Time().UnixMicro()
	return &v
}
