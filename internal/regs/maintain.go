package regs

import (
	"fmt"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

// Maintenance is a change to data the Registration Service's operator
// keeps: REGS is run for the distributor (LDSO), which creates MPANs
// (a new connection), keeps their site data, disconnects and reconnects
// them; CSS gives the domestic premise indicator and the DCC the DCC
// service flag. None of these arrive as DIP messages (the LDSO has no
// interface to REGS, reference §5d), so they reach REGS through
// Engine.Maintain, and REGS publishes them: IF-050 to EES for a new MPAN,
// IF-018 for the LDSO/CSS-maintained data, IF-043 for a connection type,
// IF-009 for a disconnection or reconnection.
type Maintenance struct {
	// ID is the operator's reference of the change: it keys the
	// references of the messages REGS sends because of it.
	ID   string
	At   time.Time // when the change was made: the Engine's clock for it
	MPAN market.MPAN
	From market.SettlementDate // the day it takes effect
	// Change is what changes: one of the types below.
	Change Change
}

// Change is one kind of maintained data change: NewConnection,
// AddressChange, GSPChange, DUoSTariffChange, EnergyDirectionChange,
// DomesticChange, DCCChange, MeteredChange, ConnectionTypeChange,
// Disconnection, Reconnection or GreenDealChange.
type Change interface{ change() }

// NewConnection creates an MPAN (BP006): its distributor, site data and
// market segment. It starts de-energised, with RMP status C (created) and
// MP status N (new), in the MHHS regime; a supplier registers it through
// CSS (a pending switch on an MPAN with no supplier, then IF-001
// InitialRegistration).
type NewConnection struct {
	LDSO       string // the distributor's DIP id
	GSP        market.GSPGroup
	Address    Address
	Connection market.ConnectionType
	Direction  catalogue.EnergyDirection
	Metered    bool
	DUoSTariff string
	Segment    market.MarketSegment
	Domestic   bool
}

// AddressChange changes the metering point address (IF-018 AddressChg).
type AddressChange struct{ Address Address }

// GSPChange moves the MPAN to another GSP group (IF-018 GSPChg).
type GSPChange struct{ GSP market.GSPGroup }

// DUoSTariffChange changes the DUoS tariff id (IF-018 DUOSTariffIDChg).
type DUoSTariffChange struct{ Tariff string }

// EnergyDirectionChange changes the energy direction (IF-018
// EnergyDirection).
type EnergyDirectionChange struct{ Direction catalogue.EnergyDirection }

// DomesticChange changes the domestic premise indicator, which comes from
// CSS (IF-018 DomPremInd).
type DomesticChange struct{ Domestic bool }

// DCCChange changes the DCC service flag (IF-018 DCCEnrolment).
type DCCChange struct{ Flag catalogue.DCCServiceFlag }

// MeteredChange changes the metered indicator (IF-018 MUMIndicator).
type MeteredChange struct{ Metered bool }

// ConnectionTypeChange changes the connection type (IF-043 to the DCC).
type ConnectionTypeChange struct{ Connection market.ConnectionType }

// Disconnection disconnects the MPAN (BP007, IF-009 MPANDisconnection):
// its MP status becomes X and it can no longer be registered or appointed.
type Disconnection struct{ Info string }

// Reconnection reconnects a disconnected MPAN (IF-009 MPANReconnection).
type Reconnection struct{}

// GreenDealChange records a Green Deal plan on the premises from From to
// To (nil: open), for EES (IF-050 GreenDeal).
type GreenDealChange struct{ To *market.SettlementDate }

func (NewConnection) change()         {}
func (AddressChange) change()         {}
func (GSPChange) change()             {}
func (DUoSTariffChange) change()      {}
func (EnergyDirectionChange) change() {}
func (DomesticChange) change()        {}
func (DCCChange) change()             {}
func (MeteredChange) change()         {}
func (ConnectionTypeChange) change()  {}
func (Disconnection) change()         {}
func (Reconnection) change()          {}
func (GreenDealChange) change()       {}

// Maintain applies a change the operator made. A refused change (an MPAN
// that exists already or not at all, a disconnected MPAN) changes nothing;
// its Decision says why.
func (e *Engine) Maintain(book Book, m Maintenance) (Decision, error) {
	if m.ID == "" || m.At.IsZero() || m.From.IsZero() || m.Change == nil {
		return Decision{}, fmt.Errorf("%w: a maintenance change needs an id, a time, a date and a change", ErrInvalidInput)
	}
	c := e.newCall(book, "maintain/"+m.ID, m.At)
	r, err := c.get(m.MPAN)
	if err != nil {
		return Decision{}, err
	}
	if nc, ok := m.Change.(NewConnection); ok {
		if r != nil {
			c.refuse("%s exists already", m.MPAN)
			return c.finish()
		}
		if err := c.newConnection(m.MPAN, m.From, nc); err != nil {
			return Decision{}, err
		}
		return c.finish()
	}
	if r == nil {
		c.reject(catalogue.REG0000)
		c.detail = fmt.Sprintf("no registration of %s", m.MPAN)
		return c.finish()
	}
	if _, ok := m.Change.(Reconnection); !ok && r.Disconnected(m.From) {
		c.reject(catalogue.REG1001)
		c.detail = fmt.Sprintf("%s is disconnected or de-registered on %s", m.MPAN, m.From)
		return c.finish()
	}
	if err := c.maintain(r, m.From, m.Change); err != nil {
		return Decision{}, err
	}
	return c.finish()
}

func (c *call) newConnection(mpan market.MPAN, from market.SettlementDate, nc NewConnection) error {
	if _, err := market.ParseMPAN(string(mpan)); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	if _, err := market.ParseDIPID(nc.LDSO); err != nil || !nc.GSP.Valid() || !nc.Connection.Valid() || !nc.Direction.Valid() ||
		!nc.Segment.Valid() || nc.DUoSTariff == "" {
		return fmt.Errorf("%w: new connection %s: LDSO %q, GSP %q, connection %q, direction %q, segment %q, DUoS tariff %q",
			ErrInvalidInput, mpan, nc.LDSO, nc.GSP, nc.Connection, nc.Direction, nc.Segment, nc.DUoSTariff)
	}
	r := &Registration{MPAN: mpan, LDSO: nc.LDSO, Created: from}
	r.GSP.Set(from, nc.GSP)
	r.Address.Set(from, nc.Address)
	r.Connection.Set(from, nc.Connection)
	r.Direction.Set(from, nc.Direction)
	r.Metered.Set(from, nc.Metered)
	r.DUoSTariff.Set(from, nc.DUoSTariff)
	r.Segment.Set(from, nc.Segment)
	r.Domestic.Set(from, nc.Domestic)
	r.Energisation.Set(from, market.DeEnergised)
	r.RMP.Set(from, catalogue.RMPStatusC)
	r.MP.Set(from, catalogue.MPStatusN)
	r.Migrated.Set(from, true)
	c.keep(r)
	s, err := r.site(from)
	if err != nil {
		return err
	}
	b079, err := r.b079(from)
	if err != nil {
		return err
	}
	m := &catalogue.IF050MPANCreation{CustomBlock: catalogue.IF050MPANCreationCustom{B001: catalogue.B001{GSPGroupEffectiveFromDate: midnight(from)},
		B022: s.b022, B023: s.b023, B024: s.b024, B025: s.b025, B026: s.b026, B079: b079}}
	m.CommonBlock.M0 = r.m0(from)
	c.send(m, nil, string(mpan))
	return nil
}

func (c *call) maintain(r *Registration, from market.SettlementDate, ch Change) error {
	css := r.b013(from)
	var b013 *catalogue.B013
	if css.CSSRegistrationID != "" {
		b013 = &css
	}
	b001 := func() catalogue.B001 {
		g, _ := r.GSP.RangeAt(from)
		return catalogue.B001{GSPGroupEffectiveFromDate: midnight(g.From)}
	}
	var out catalogue.Payload
	switch ch := ch.(type) {
	case AddressChange:
		r.Address.Set(from, ch.Address)
		out = &catalogue.IF018AddressChg{CustomBlock: catalogue.IF018AddressChgCustom{B001: b001(), B022: r.b022(from), B013: b013}}
	case GSPChange:
		if !ch.GSP.Valid() {
			return fmt.Errorf("%w: GSP group %q", ErrInvalidInput, ch.GSP)
		}
		r.GSP.Set(from, ch.GSP)
		out = &catalogue.IF018GSPChg{CustomBlock: catalogue.IF018GSPChgCustom{B001: b001(), B022: r.b022(from), B013: b013}}
	case DUoSTariffChange:
		if ch.Tariff == "" {
			return fmt.Errorf("%w: empty DUoS tariff", ErrInvalidInput)
		}
		r.DUoSTariff.Set(from, ch.Tariff)
		out = &catalogue.IF018DUOSTariffIDChg{CustomBlock: catalogue.IF018DUOSTariffIDChgCustom{
			B024: catalogue.B024{DUOSTariffID: ch.Tariff, DUOSTariffIDEffectiveFromDate: midnight(from)}, B013: b013}}
	case EnergyDirectionChange:
		if !ch.Direction.Valid() {
			return fmt.Errorf("%w: energy direction %q", ErrInvalidInput, ch.Direction)
		}
		r.Direction.Set(from, ch.Direction)
		b023, err := r.b023(from)
		if err != nil {
			return err
		}
		out = &catalogue.IF018EnergyDirection{CustomBlock: catalogue.IF018EnergyDirectionCustom{B023: b023, B013: b013}}
	case DomesticChange:
		r.Domestic.Set(from, ch.Domestic)
		out = &catalogue.IF018DomPremInd{CustomBlock: catalogue.IF018DomPremIndCustom{
			B028: catalogue.B028{DomesticPremiseIndicator: ch.Domestic, DomesticPremiseIndicatorEffectiveFromDate: midnight(from)}, B013: b013}}
	case DCCChange:
		if !ch.Flag.Valid() {
			return fmt.Errorf("%w: DCC service flag %q", ErrInvalidInput, ch.Flag)
		}
		r.DCC.Set(from, ch.Flag)
		out = &catalogue.IF018DCCEnrolment{CustomBlock: catalogue.IF018DCCEnrolmentCustom{
			B029: catalogue.B029{DCCServiceFlag: ch.Flag, DCCEffectiveFromDate: midnight(from)}, B013: b013}}
	case MeteredChange:
		r.Metered.Set(from, ch.Metered)
		b023, err := r.b023(from)
		if err != nil {
			return err
		}
		out = &catalogue.IF018MUMIndicator{CustomBlock: catalogue.IF018MUMIndicatorCustom{B023: b023, B013: b013}}
	case ConnectionTypeChange:
		if !ch.Connection.Valid() {
			return fmt.Errorf("%w: connection type %q", ErrInvalidInput, ch.Connection)
		}
		r.Connection.Set(from, ch.Connection)
		b023, err := r.b023(from)
		if err != nil {
			return err
		}
		out = &catalogue.IF043ConnectionTypeChange{CustomBlock: catalogue.IF043Custom{B023: b023}}
	case Disconnection:
		r.MP.Set(from, catalogue.MPStatusX)
		out = &catalogue.IF009MPANDisconnection{CustomBlock: catalogue.IF009MPANDisconnectionCustom{
			B041: catalogue.B041{DisconnectionEffectiveFromDate: midnight(from), AdditionalInformation: nullable(ch.Info)}}}
	case Reconnection:
		if s, ok := r.MP.At(from); !ok || s != catalogue.MPStatusX {
			c.refuse("%s is not disconnected on %s", r.MPAN, from)
			return nil
		}
		status := catalogue.MPStatusN
		if r.Registered(from) {
			status = catalogue.MPStatusT
		}
		r.MP.Set(from, status)
		out = &catalogue.IF009MPANReconnection{CustomBlock: catalogue.IF009MPANReconnectionCustom{
			B098: catalogue.B098{ReconnectionEffectiveFromDate: midnight(from)}}}
	case GreenDealChange:
		r.GreenDeal.Set(from, true)
		b080 := catalogue.B080{GreenDealEffectiveFromDate: ptr(midnight(from))}
		if ch.To != nil {
			if ch.To.Before(from) {
				return fmt.Errorf("%w: Green Deal ends %s before it starts %s", ErrInvalidInput, ch.To, from)
			}
			r.GreenDeal.Unset(ch.To.AddDays(1))
			b080.GreenDealEffectiveToDate = ptr(midnight(*ch.To))
		}
		out = &catalogue.IF050GreenDeal{CustomBlock: catalogue.IF050GreenDealCustom{B080: b080}}
	default:
		return fmt.Errorf("%w: change %T", ErrInvalidInput, ch)
	}
	c.keep(r)
	*out.Common().M0 = r.m0(from)
	c.send(out, nil, string(r.MPAN))
	switch ch.(type) {
	case Disconnection, Reconnection:
		sc, err := c.statusChange(r, from)
		if err != nil {
			return err
		}
		c.out = append(c.out, sc)
	}
	return nil
}
