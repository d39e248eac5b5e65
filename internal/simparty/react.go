package simparty

import (
	"fmt"
	"strings"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/sim"
)

// Appointments is what a simulated supplier appoints when it gains an
// MPAN: its metering and data services, the data service's nominated MDR
// (zero for none), and the customer facts its data service request
// carries.
type Appointments struct {
	MS, DS, MDR sim.Party
	Consent     catalogue.ConsentGranularity
	Domestic    bool
}

// AgentsFunc tells a simulated supplier what to appoint to an MPAN it
// gains from day from. A zero MS or DS (or false) keeps the incumbent IF-002
// names; a zero Consent is H.
type AgentsFunc func(mpan market.MPAN, from market.SettlementDate) (Appointments, bool)

// react queues what a party answers to msg, in the transaction recording
// it: a supplier gaining an MPAN (IF-002) asks REGS to appoint its
// metering and data services from the switch's day (IF-031, scenario
// COS); a service provider asked to serve an MPAN (IF-033) accepts
// (IF-034). A party without a Sender only records.
func (p *Party) react(tx participant.Tx, msg catalogue.Payload) error {
	if p.Sender == nil {
		return nil
	}
	switch m := msg.(type) {
	case *catalogue.IF002GainMPANInfo:
		if p.Role == string(market.RoleSupplier) {
			return p.appointOnGain(tx, m)
		}
	case *catalogue.IF033MSAppSPRequest:
		return p.accept(tx, m, &catalogue.IF034MSAppSPResponse{CustomBlock: catalogue.IF034MSAppSPResponseCustom{
			B012: m.CustomBlock.B012, B013: m.CustomBlock.B013}})
	case *catalogue.IF033DSAppSPRequest:
		return p.accept(tx, m, &catalogue.IF034DSAppSPResponse{CustomBlock: catalogue.IF034DSAppSPResponseCustom{
			B012: m.CustomBlock.B012, B013: m.CustomBlock.B013}})
	}
	return nil
}

// SwitchID is the CSS registration id the simulated CSS gives the switch
// of mpan effective from day from: it carries the day, which the gaining
// supplier knows in the real market because it asked CSS for the switch
// (IF-002 does not say it).
func SwitchID(mpan market.MPAN, from market.SettlementDate) string {
	return "SIM-" + string(mpan) + "-" + strings.ReplaceAll(from.String(), "-", "")
}

// switchDay reads the day from a SwitchID.
func switchDay(id string) (market.SettlementDate, bool) {
	i := strings.LastIndexByte(id, '-')
	if !strings.HasPrefix(id, "SIM-") || i < 0 || len(id)-i-1 != 8 {
		return market.SettlementDate{}, false
	}
	s := id[i+1:]
	d, err := market.ParseSettlementDate(s[:4] + "-" + s[4:6] + "-" + s[6:])
	return d, err == nil
}

// appointOnGain asks REGS to appoint the supplier's services to an MPAN
// it is gaining.
func (p *Party) appointOnGain(tx participant.Tx, m *catalogue.IF002GainMPANInfo) error {
	css := m.CustomBlock.B013.CSSRegistrationID
	from, ok := switchDay(css)
	if !ok {
		p.logger().Warn("simparty: a switch the simulated CSS did not make; not appointing", "css", css)
		return nil
	}
	mpan := m.CommonBlock.M0.MPANCore
	var a Appointments
	if p.Agents != nil {
		a, _ = p.Agents(mpan, from)
	}
	if b := m.CustomBlock.B005; b != nil { // the incumbents, unless Agents chose
		if a.MS.IsZero() {
			a.MS = partyOf(b.CurrentMeteringServiceDIPID, b.CurrentMeteringServiceMPID)
		}
		if a.DS.IsZero() {
			a.DS = partyOf(b.CurrentDataServiceDIPID, b.CurrentDataServiceMPID)
		}
	}
	if a.Consent == "" {
		a.Consent = catalogue.ConsentGranularityH
	}
	at := market.MidnightOf(from)
	var out []catalogue.Payload
	if !a.MS.IsZero() {
		out = append(out, &catalogue.IF031MSApp{CustomBlock: catalogue.IF031MSAppCustom{B013: &catalogue.B013{CSSRegistrationID: css},
			B070: catalogue.B070{ProposedMeteringServiceDIPID: string(a.MS.DIPID), ProposedMeteringServiceMPID: string(a.MS.MPID),
				ProposedMeteringServiceDIPEffectiveFromDate: at, AppointmentScenario: catalogue.AppointmentScenarioCOS}}})
	}
	if !a.DS.IsZero() {
		b := catalogue.B071{ProposedDataServiceDIPID: string(a.DS.DIPID), ProposedDataServiceMPID: string(a.DS.MPID),
			ProposedDataServiceDIPEffectiveFromDate: at, AppointmentScenario: catalogue.AppointmentScenarioCOS,
			SupplierProposedConsentGranularity: a.Consent, SupplierProposedDomesticIndicator: a.Domestic}
		if !a.MDR.IsZero() {
			id, mpid := string(a.MDR.DIPID), string(a.MDR.MPID)
			b.SupplierNominatedMDRDIPID, b.SupplierNominatedMDRMPID, b.SupplierNominatedMDREffectiveFromDate = &id, &mpid, &at
		}
		out = append(out, &catalogue.IF031DSApp{CustomBlock: catalogue.IF031DSAppCustom{B071: b, B013: &catalogue.B013{CSSRegistrationID: css}}})
	}
	for _, req := range out {
		c := req.Common()
		*c.M0 = m.CommonBlock.M0
		p.Sender.StampKey(req, at.Time(), catalogue.Key(css, req.Variant().EventCode))
		if err := queueValid(tx, req); err != nil {
			return err
		}
	}
	return nil
}

func partyOf(dipID, mpid *string) sim.Party {
	if dipID == nil || mpid == nil {
		return sim.Party{}
	}
	return sim.Party{DIPID: market.DIPID(*dipID), MPID: market.MPID(*mpid)}
}

// accept answers a request to serve an MPAN with acceptance.
func (p *Party) accept(tx participant.Tx, req catalogue.Proposal, resp catalogue.Proposal) error {
	resp.SetProposed(req.Proposed())
	yes := "SP000 - Proposed Appointment ACCEPTED"
	switch r := resp.(type) {
	case *catalogue.IF034MSAppSPResponse:
		r.CustomBlock.B007 = catalogue.B007{ResponseCode: catalogue.ResponseCodeA, ProposedAppointmentResponseCode: &yes}
	case *catalogue.IF034DSAppSPResponse:
		r.CustomBlock.B007 = catalogue.B007{ResponseCode: catalogue.ResponseCodeA, ProposedAppointmentResponseCode: &yes}
	}
	if err := p.Sender.Reply(req, resp); err != nil {
		return err
	}
	return queueValid(tx, resp)
}

// queueValid encodes a message, checking it against the contract, and
// queues it in the party's outbox.
func queueValid(tx participant.Tx, m catalogue.Payload) error {
	b, findings, err := catalogue.EncodeValid(m)
	if err != nil {
		return err
	}
	if len(findings) > 0 {
		return fmt.Errorf("simparty: %w", &catalogue.InvalidError{Variant: m.Variant(), Findings: findings})
	}
	return tx.Queue(m.Variant().InterfaceID, b)
}
