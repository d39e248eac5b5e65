package simparty

import (
	"fmt"
	"strconv"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/regs"
	"github.com/mhhs/mhhs/internal/sim"
)

// Registration is what the Registration Service holds for a simulated
// site when the market starts: its site data, supplier and services from
// its first day (the timeline's start, or its connection day), as
// regs.Store.Load takes it. It is REGS's initial data for the market the
// simulation plays; what happens after the first day comes as messages
// and CSS events.
//
// The simulation has no addresses or meters: the address is a synthetic
// one made from the site's index, and no meter is recorded (IF-002 then
// carries no meter details). The CSS registration id of the initial
// supply is "SIM-" and the site's index. A site whose supplier or
// services the simulation left empty (no participant of the role was
// effective) gets none, and REGS reminds its supplier (IF-045) once it is
// ticked.
func Registration(s sim.Site, start market.SettlementDate) *regs.Registration {
	from := start
	if !s.Connected.IsZero() {
		from = s.Connected
	}
	r := &regs.Registration{MPAN: s.MPAN, LDSO: string(s.Distributor.DIPID), Created: from}
	r.GSP.Set(from, s.GSPGroup)
	r.Address.Set(from, regs.Address{Postcode: "SM1 1AA", Lines: []string{strconv.Itoa(s.Index+1) + " Simulation Street", "Simtown"}})
	r.Connection.Set(from, s.Connection)
	dir := catalogue.EnergyDirectionI
	if s.Direction == sim.Export {
		dir = catalogue.EnergyDirectionE
	}
	r.Direction.Set(from, dir)
	r.Metered.Set(from, s.Connection != market.ConnectionUnmetered)
	r.DUoSTariff.Set(from, s.LLFC)
	r.Energisation.Set(from, s.Energisation)
	r.Segment.Set(from, s.Segment)
	r.Domestic.Set(from, s.Domestic)
	r.Annual.Set(from, regs.AnnualConsumption{Energy: s.Annual, Quality: catalogue.AnnualConsumptionQualityA})
	if s.Segment == market.SegmentSmart {
		r.Consent.Set(from, catalogue.ConsentGranularityH)
	}
	r.RMP.Set(from, catalogue.RMPStatusO)
	r.MP.Set(from, catalogue.MPStatusT)
	r.Migrated.Set(from, true)
	if !s.Supplier.IsZero() {
		r.Supplier.Set(from, regs.Supply{Party: party(s.Supplier), CSSRegistrationID: fmt.Sprintf("SIM-%d", s.Index)})
		appoint := func(h *market.History[regs.Appointment], p sim.Party) {
			if !p.IsZero() {
				h.Set(from, regs.Appointment{Party: party(p), By: string(s.Supplier.DIPID), Scenario: catalogue.AppointmentScenarioCOS})
			}
		}
		appoint(&r.MS, s.MeteringService)
		appoint(&r.DS, s.DataService)
	}
	if !s.MDR.IsZero() {
		r.MDR.Set(from, party(s.MDR))
	}
	if s.Direction == sim.Export && s.Import != "" {
		r.Linked.Set(from, regs.Group{Principal: s.Import, Members: []market.MPAN{s.MPAN}})
	}
	return r
}

func party(p sim.Party) regs.Party {
	return regs.Party{DIPID: string(p.DIPID), MPID: string(p.MPID)}
}

// Registrations returns what REGS holds for sites first to first+n-1 of m
// after day through: each site's Registration from its first day (the
// timeline's start for a site connected before it, given from a month
// earlier so that the market has a past to ask about), with the site's
// business events up to through applied (sim.Events): changes of
// supplier (the gaining supplier re-appointing the incumbent services,
// scenario COS, with the switch's SwitchID), changes of metering or data
// service (scenario CSP, by the supplier of the day), energisation changes
// and disconnections (MP status X). Sites connected after through are
// left out: REGS learns of them when they connect.
func Registrations(m *sim.Market, first, n int, through market.SettlementDate) ([]*regs.Registration, error) {
	start := m.Timeline().From
	evs, err := m.Events(start, through, first, n)
	if err != nil {
		return nil, err
	}
	out := make([]*regs.Registration, 0, n)
	at := map[int]*regs.Registration{}
	for i := first; i < first+n; i++ {
		s, err := m.Site(i)
		if err != nil {
			return nil, err
		}
		if !s.Connected.IsZero() && s.Connected.After(through) {
			continue
		}
		from := start.AddDays(-30)
		if !s.Connected.IsZero() {
			from = s.Connected
		}
		r := Registration(s, from)
		at[i] = r
		out = append(out, r)
	}
	for _, e := range evs {
		r := at[e.Site]
		if r == nil {
			continue
		}
		d := e.Date
		switch e.Kind {
		case sim.SupplierChange:
			if e.New.IsZero() {
				continue
			}
			r.Supplier.Set(d, regs.Supply{Party: party(e.New), CSSRegistrationID: SwitchID(e.MPAN, d)})
			for _, h := range []*market.History[regs.Appointment]{&r.MS, &r.DS} {
				if a, ok := h.At(d); ok {
					a.By, a.Scenario = string(e.New.DIPID), catalogue.AppointmentScenarioCOS
					h.Set(d, a)
				}
			}
		case sim.DataServiceChange, sim.MeteringServiceChange:
			h := &r.DS
			if e.Kind == sim.MeteringServiceChange {
				h = &r.MS
			}
			if e.New.IsZero() {
				h.Unset(d)
				continue
			}
			sup, _ := r.Supplier.At(d)
			h.Set(d, regs.Appointment{Party: party(e.New), By: sup.DIPID, Scenario: catalogue.AppointmentScenarioCSP})
		case sim.Energisation:
			r.Energisation.Set(d, e.Status)
		case sim.Disconnection:
			r.MP.Set(d, catalogue.MPStatusX)
		}
	}
	return out, nil
}
