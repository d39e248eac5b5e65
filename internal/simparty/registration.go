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
