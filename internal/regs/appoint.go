package regs

import (
	"fmt"
	"slices"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

// The service provider appointment flow (reference §5b): a supplier asks
// for an appointment (IF-031); REGS answers it (IF-032) and, when the
// request passes its rules, asks the proposed provider (IF-033); the
// provider answers (IF-034); REGS reports the outcome to the supplier and
// the provider (IF-035) and, once the appointment is made, notifies every
// party (IF-036) and de-appoints the provider it replaces (IF-037). A
// change of supplier appointment (COS, MCS) waits for its switch to become
// active.

// segmentOfRole returns the market segment a metering or data service role
// serves.
func segmentOfRole(role market.Role) (market.MarketSegment, bool) {
	switch role {
	case market.RoleMSS, market.RoleSDS:
		return market.SegmentSmart, true
	case market.RoleMSA, market.RoleADS:
		return market.SegmentAdvanced, true
	case market.RoleUMSO, market.RoleUMSDS:
		return market.SegmentUnmetered, true
	}
	return "", false
}

// providerSegments returns the segments a participant serves as a
// provider of kind k, per the directory.
func (c *call) providerSegments(dipID string, k catalogue.ServiceKind) []market.MarketSegment {
	var out []market.MarketSegment
	for _, role := range c.e.cfg.Directory.Roles(dipID) {
		if k == catalogue.MeteringService && !role.IsMeteringService() || k == catalogue.DataService && !role.IsDataService() {
			continue
		}
		if s, ok := segmentOfRole(role); ok {
			out = append(out, s)
		}
	}
	return out
}

func (c *call) hasRole(dipID string, role market.Role) bool {
	return slices.Contains(c.e.cfg.Directory.Roles(dipID), role)
}

func other(k catalogue.ServiceKind) catalogue.ServiceKind {
	if k == catalogue.MeteringService {
		return catalogue.DataService
	}
	return catalogue.MeteringService
}

// cssOf returns the CSS registration id (B013) an appointment request
// names, or "".
func cssOf(p catalogue.Payload) string {
	var b *catalogue.B013
	switch m := p.(type) {
	case *catalogue.IF031MSApp:
		b = m.CustomBlock.B013
	case *catalogue.IF031DSApp:
		b = m.CustomBlock.B013
	}
	if b == nil {
		return ""
	}
	return b.CSSRegistrationID
}

// appointmentRequest decides a supplier's appointment request (IF-031).
func (c *call) appointmentRequest(req catalogue.Proposal, txID string) error {
	a := req.Proposed()
	var resp catalogue.Proposal = &catalogue.IF032MSAppInitialResp{}
	if a.Kind == catalogue.DataService {
		resp = &catalogue.IF032DSAppInitialResp{}
	}
	resp.SetProposed(a)
	css := cssOf(req)
	setB013(resp, css)
	mpan := req.Common().M0.MPANCore
	r, err := c.get(mpan)
	if err != nil {
		return err
	}
	sender := req.Common().S1.SenderDIPID
	supplier, code := c.checkProposal(r, a, sender, css)
	if code != "" {
		return c.rejectWith(resp, code)
	}
	p := Proposal{ID: txID, At: market.At(c.at), Supplier: supplier, Proposed: a}
	if a.Scenario == catalogue.AppointmentScenarioCOS || a.Scenario == catalogue.AppointmentScenarioMCS {
		p.CSSRegistrationID = css
	}
	*resp.Common().R0 = accepted()
	if err := c.answer(resp); err != nil {
		return err
	}
	// A later request of the same kind by the same supplier supersedes one
	// the provider has not yet answered: that one lapses.
	for _, old := range slices.Clone(r.Proposals) {
		if old.Proposed.Kind == a.Kind && old.Supplier.DIPID == supplier.DIPID && !old.Accepted {
			if err := c.lapse(r, old.ID); err != nil {
				return err
			}
		}
	}
	r.Proposals = append(r.Proposals, p)
	c.keep(r)
	return c.spRequest(r, &r.Proposals[len(r.Proposals)-1])
}

// setB013 sets the optional CSS registration id block of the variants
// that carry it (no family view covers B013).
func setB013(p catalogue.Payload, css string) {
	if css == "" {
		return
	}
	b := &catalogue.B013{CSSRegistrationID: css}
	switch m := p.(type) {
	case *catalogue.IF032MSAppInitialResp:
		m.CustomBlock.B013 = b
	case *catalogue.IF032DSAppInitialResp:
		m.CustomBlock.B013 = b
	case *catalogue.IF033MSAppSPRequest:
		m.CustomBlock.B013 = b
	case *catalogue.IF033DSAppSPRequest:
		m.CustomBlock.B013 = b
	case *catalogue.IF035MSAppAccepted:
		m.CustomBlock.B013 = b
	case *catalogue.IF035MSAppRejected:
		m.CustomBlock.B013 = b
	case *catalogue.IF035MSAppLapsed:
		m.CustomBlock.B013 = b
	case *catalogue.IF035DSAppAccepted:
		m.CustomBlock.B013 = b
	case *catalogue.IF035DSAppRejected:
		m.CustomBlock.B013 = b
	case *catalogue.IF035DSAppLapsed:
		m.CustomBlock.B013 = b
	case *catalogue.IF035IMSSendMTD:
		m.CustomBlock.B013 = b
	case *catalogue.IF036MSAppActive:
		m.CustomBlock.B013 = b
	case *catalogue.IF036DSAppActive:
		m.CustomBlock.B013 = b
	case *catalogue.IF037MSDeApp:
		m.CustomBlock.B013 = b
	case *catalogue.IF037DSDeApp:
		m.CustomBlock.B013 = b
	}
}

// checkProposal applies the rules of an appointment request, in the order
// a reader would check them, and returns the requesting supplier or the
// first rule broken.
func (c *call) checkProposal(r *Registration, a catalogue.Appointment, sender, css string) (Party, catalogue.RejectionCode) {
	if r == nil {
		return Party{}, catalogue.REG0000 // MPAN invalid or does not exist
	}
	if r.Disconnected(c.today) {
		return Party{}, catalogue.REG1001 // MP/RMP status must be created/operational
	}
	migrated, _ := r.Migrated.At(c.today)
	switch a.Scenario {
	case catalogue.AppointmentScenarioALG:
		return Party{}, catalogue.REG1033 // auto-alignment is REGS's own scenario
	case catalogue.AppointmentScenarioMCA, catalogue.AppointmentScenarioMCS:
		if migrated {
			return Party{}, catalogue.REG9007 // MCS/MCA cannot be used for a migrated MPAN
		}
	default:
		if !migrated {
			return Party{}, catalogue.REG9009 // MHHS scenarios cannot be used for an unmigrated MPAN
		}
	}
	if !market.IsLocalMidnight(a.From.Time()) {
		return Party{}, catalogue.REG1032 // effective from is not local midnight
	}
	from := a.From.LocalDate()
	if _, ok := r.linkedTo(from); ok {
		return Party{}, catalogue.REG1038 // appointments barred on a linked export MPAN
	}
	if _, ok := r.relatedTo(from); ok {
		return Party{}, catalogue.REG1039 // appointments barred on a related secondary MPAN
	}
	current, registered := r.Supplier.At(c.today)
	var supplier Party
	switch a.Scenario {
	case catalogue.AppointmentScenarioCOS, catalogue.AppointmentScenarioMCS:
		if a.Scenario == catalogue.AppointmentScenarioMCS && registered && current.DIPID == sender {
			return Party{}, catalogue.REG9006 // MCS cannot be used by the current supplier
		}
		sw := r.Switch
		if css == "" || sw == nil || sw.ID != css {
			return Party{}, catalogue.REG0005 // CSS registration id invalid or does not exist
		}
		if sw.Supplier.DIPID != sender {
			return Party{}, catalogue.REG0006 // CSS registration id is another supplier's
		}
		if from != sw.From {
			return Party{}, catalogue.REG1032 // a COS appointment starts with the switch
		}
		if from.Before(c.today) {
			return Party{}, catalogue.REG1034 // prospective appointment in the past
		}
		supplier = sw.Supplier
	default:
		on, ok := r.Supplier.At(from)
		if !registered || current.DIPID != sender || !ok || on.DIPID != sender {
			if a.Scenario == catalogue.AppointmentScenarioMCA {
				return Party{}, catalogue.REG9005 // MCA only by the current supplier
			}
			return Party{}, catalogue.REG1021 // requesting supplier is not the current supplier
		}
		if from.Before(c.today.AddDays(-c.e.cfg.MaxRetrospectiveDays)) {
			return Party{}, catalogue.REG1024 // more than 5 days retrospective
		}
		supplier = current.Party
	}
	// The proposed provider must be a participant of the kind, of the
	// MPAN's segment (or, for a change of segment, of another).
	segs := c.providerSegments(a.DIPID, a.Kind)
	if len(segs) == 0 {
		if a.Kind == catalogue.DataService {
			return Party{}, catalogue.REG1076 // data service not in the catalogue
		}
		return Party{}, catalogue.REG1075 // metering service not in the catalogue
	}
	if a.NominatedMDR != nil && !c.hasRole(*a.NominatedMDR, market.RoleMDR) {
		return Party{}, catalogue.REG1077 // MDR not in the catalogue
	}
	if a.NominatedMDRFrom != nil && (a.NominatedMDRFrom.LocalDate().Before(from) || !market.IsLocalMidnight(a.NominatedMDRFrom.Time())) {
		return Party{}, catalogue.REG1086 // the nominated MDR's date is outside the data service's appointment
	}
	seg, _ := r.Segment.At(from)
	if a.Scenario == catalogue.AppointmentScenarioSEG {
		if len(segs) == 1 && segs[0] == seg {
			return Party{}, catalogue.REG1033 // a change of segment to the segment it is in
		}
	} else if !slices.Contains(segs, seg) {
		return Party{}, catalogue.REG1031 // provider incompatible with the market segment
	}
	hist := r.appointments(a.Kind)
	cur, hasCur := hist.At(from)
	switch a.Scenario {
	case catalogue.AppointmentScenarioUSP:
		if !hasCur || cur.DIPID != a.DIPID {
			return Party{}, catalogue.REG1025 // USP only with the appointed provider
		}
	case catalogue.AppointmentScenarioCSP:
		if hasCur && cur.DIPID == a.DIPID {
			return Party{}, catalogue.REG1026 // CSP cannot propose the appointed provider
		}
	}
	if hasCur && a.Scenario != catalogue.AppointmentScenarioCOS && a.Scenario != catalogue.AppointmentScenarioMCS {
		if cur.DIPID == sender && a.Scenario != catalogue.AppointmentScenarioUSP {
			// The supplier is itself the appointed provider (one DIP
			// participant in both roles): a provider cannot de-appoint
			// itself.
			if a.Kind == catalogue.DataService {
				return Party{}, catalogue.REG1102
			}
			return Party{}, catalogue.REG1101
		}
		if direct, ok := r.direct(a.Kind).At(from); ok && direct == cur.DIPID && cur.By != sender {
			// A provider under a contract with the customer stayed
			// through a change of supplier: the new supplier did not
			// appoint it, and cannot replace it while the contract lasts.
			return Party{}, catalogue.REG1099
		}
	}
	if a.Kind == catalogue.DataService && a.Scenario == catalogue.AppointmentScenarioSEG {
		// The data service of a new segment follows its metering
		// service: the metering service of that segment must be appointed
		// or proposed for the change of segment.
		ok := false
		for _, s := range segs {
			if ms, has := r.MS.At(from); has && slices.Contains(c.providerSegments(ms.DIPID, catalogue.MeteringService), s) {
				ok = true
			}
			for _, p := range r.Proposals {
				if p.Proposed.Kind == catalogue.MeteringService && p.Proposed.Scenario == catalogue.AppointmentScenarioSEG &&
					slices.Contains(c.providerSegments(p.Proposed.DIPID, catalogue.MeteringService), s) {
					ok = true
				}
			}
		}
		if !ok {
			return Party{}, catalogue.REG1027
		}
	}
	if a.Scenario != catalogue.AppointmentScenarioCOS && a.Scenario != catalogue.AppointmentScenarioMCS {
		// Contiguity: an appointment starts after the latest change of
		// the provider (an update may start on it); it never cuts into
		// or replaces a whole existing appointment period.
		if last, ok := hist.Last(); ok && (from.Before(last) || from == last && a.Scenario != catalogue.AppointmentScenarioUSP) {
			return Party{}, catalogue.REG1032
		}
	}
	return supplier, ""
}

// spRequest sends the proposed provider the appointment request (IF-033)
// with the MPAN's data.
func (c *call) spRequest(r *Registration, p *Proposal) error {
	from := p.From()
	s, err := r.site(from)
	if err != nil {
		return err
	}
	var incumbent *catalogue.B072
	if ms, ok := r.MS.At(from); ok && ms.DIPID != p.Proposed.DIPID {
		incumbent = &catalogue.B072{IncumbentMeteringServiceDIPID: ms.DIPID, IncumbentMeteringServiceMPID: ms.MPID}
	} else if ms, ok := r.MS.At(from.AddDays(-1)); ok && ms.DIPID != p.Proposed.DIPID {
		incumbent = &catalogue.B072{IncumbentMeteringServiceDIPID: ms.DIPID, IncumbentMeteringServiceMPID: ms.MPID}
	}
	var out catalogue.Proposal
	if p.Proposed.Kind == catalogue.DataService {
		m := &catalogue.IF033DSAppSPRequest{}
		m.CustomBlock = catalogue.IF033DSAppSPRequestCustom{B012: b012(p.Supplier), B022: s.b022, B023: s.b023, B024: s.b024,
			B025: s.b025, B026: s.b026, B072: incumbent, B029: r.b029(from), B031: r.b031(from), B032: r.b032(from),
			B905List: r.b905List(from), B907List: r.b907List(from), B908List: r.b908List(from)}
		out = m
	} else {
		m := &catalogue.IF033MSAppSPRequest{}
		m.CustomBlock = catalogue.IF033MSAppSPRequestCustom{B012: b012(p.Supplier), B022: s.b022, B023: s.b023, B024: s.b024,
			B025: s.b025, B026: s.b026, B072: incumbent, B029: r.b029(from), B031: r.b031(from), B032: r.b032(from),
			B905List: r.b905List(from), B907List: r.b907List(from), B908List: r.b908List(from)}
		out = m
	}
	out.SetProposed(p.Proposed)
	setB013(out, p.CSSRegistrationID)
	*out.Common().M0 = r.m0(c.today)
	c.send(out, []string{p.Proposed.DIPID}, string(r.MPAN), p.ID)
	return nil
}

// proposal returns the index of the pending proposal an IF-034 answers,
// or -1.
func (r *Registration) proposal(k catalogue.ServiceKind, provider, supplier string, from market.DateTime) int {
	for i, p := range r.Proposals {
		if p.Proposed.Kind == k && p.Proposed.DIPID == provider && p.Supplier.DIPID == supplier && p.Proposed.From.Equal(from) && !p.Accepted {
			return i
		}
	}
	return -1
}

// providerResponse decides a proposed provider's answer (IF-034).
func (c *call) providerResponse(resp catalogue.Proposal, b007 catalogue.B007, b012 catalogue.B012) error {
	mpan := resp.Common().M0.MPANCore
	r, err := c.get(mpan)
	if err != nil {
		return err
	}
	a := resp.Proposed()
	sender := resp.Common().S1.SenderDIPID
	if r == nil {
		c.refuse("no registration of %s", mpan)
		return nil
	}
	i := r.proposal(a.Kind, sender, b012.ServiceProviderAppointmentRequestingSupplierDIPID, a.From)
	if i < 0 {
		c.refuse("%s has no pending %s appointment of %s for %s from %s", mpan, a.Kind, sender, b012.ServiceProviderAppointmentRequestingSupplierDIPID, a.From)
		return nil
	}
	p := r.Proposals[i]
	switch b007.ResponseCode {
	case catalogue.ResponseCodeA:
		if err := c.outcome(r, &p, b007); err != nil {
			return err
		}
		if p.CSSRegistrationID != "" {
			if sw := r.Switch; sw != nil && sw.ID == p.CSSRegistrationID {
				r.Proposals[i].Accepted = true // it waits for the switch
				c.keep(r)
				return nil
			}
			if s, ok := r.Supplier.At(p.From()); !ok || s.CSSRegistrationID != p.CSSRegistrationID {
				// Its switch went (annulled, objected, expired) and the
				// proposal should have lapsed with it.
				return fmt.Errorf("regs: %s: accepted appointment %s belongs to no switch", mpan, p.ID)
			}
		}
		r.Proposals = slices.Delete(r.Proposals, i, i+1)
		c.keep(r)
		return c.activate(r, p, true)
	case catalogue.ResponseCodeR:
		r.Proposals = slices.Delete(r.Proposals, i, i+1)
		c.keep(r)
		return c.outcome(r, &p, b007)
	}
	c.refuse("an appointment response must accept (A) or reject (R), not %q", b007.ResponseCode)
	return nil
}

// outcome reports a provider's answer to the supplier and the provider
// (IF-035 *Accepted or *Rejected).
func (c *call) outcome(r *Registration, p *Proposal, b007 catalogue.B007) error {
	var out catalogue.Proposal
	accepted := b007.ResponseCode == catalogue.ResponseCodeA
	switch {
	case p.Proposed.Kind == catalogue.MeteringService && accepted:
		out = &catalogue.IF035MSAppAccepted{CustomBlock: catalogue.IF035MSAppAcceptedCustom{B007: b007, B012: b012(p.Supplier)}}
	case p.Proposed.Kind == catalogue.MeteringService:
		out = &catalogue.IF035MSAppRejected{CustomBlock: catalogue.IF035MSAppRejectedCustom{B007: b007, B012: b012(p.Supplier)}}
	case accepted:
		m := &catalogue.IF035DSAppAccepted{CustomBlock: catalogue.IF035DSAppAcceptedCustom{B007: b007, B012: b012(p.Supplier)}}
		if p.Proposed.NominatedMDR != nil {
			from := p.Proposed.From
			if p.Proposed.NominatedMDRFrom != nil {
				from = *p.Proposed.NominatedMDRFrom
			}
			m.CustomBlock.B019 = &catalogue.B019{AssignedMDRDIPID: *p.Proposed.NominatedMDR, AssignedMDRMPID: deref(p.Proposed.NominatedMDRMPID), AssignedMDREffectiveFromDate: from}
		}
		out = m
	default:
		out = &catalogue.IF035DSAppRejected{CustomBlock: catalogue.IF035DSAppRejectedCustom{B007: b007, B012: b012(p.Supplier)}}
	}
	out.SetProposed(p.Proposed)
	setB013(out, p.CSSRegistrationID)
	*out.Common().M0 = r.m0(c.today)
	c.send(out, []string{p.Supplier.DIPID, p.Proposed.DIPID}, string(r.MPAN), p.ID)
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// lapse drops the proposal with id: the supplier and the provider hear it
// lapsed (IF-035 *Lapsed).
func (c *call) lapse(r *Registration, id string) error {
	i := slices.IndexFunc(r.Proposals, func(p Proposal) bool { return p.ID == id })
	if i < 0 {
		return fmt.Errorf("regs: %s: no proposal %s to lapse", r.MPAN, id)
	}
	p := r.Proposals[i]
	r.Proposals = slices.Delete(r.Proposals, i, i+1)
	c.keep(r)
	b007 := catalogue.B007{ResponseCode: catalogue.ResponseCodeL}
	var out catalogue.Proposal
	if p.Proposed.Kind == catalogue.DataService {
		out = &catalogue.IF035DSAppLapsed{CustomBlock: catalogue.IF035DSAppLapsedCustom{B007: b007, B012: b012(p.Supplier)}}
	} else {
		out = &catalogue.IF035MSAppLapsed{CustomBlock: catalogue.IF035MSAppLapsedCustom{B007: b007, B012: b012(p.Supplier)}}
	}
	out.SetProposed(p.Proposed)
	setB013(out, p.CSSRegistrationID)
	*out.Common().M0 = r.m0(c.today)
	c.send(out, []string{p.Supplier.DIPID, p.Proposed.DIPID}, string(r.MPAN), p.ID)
	return nil
}

// deAppointReason is the IF-037 reason for replacing a provider under a
// scenario.
func deAppointReason(s catalogue.AppointmentScenario) catalogue.DeAppointmentReason {
	switch s {
	case catalogue.AppointmentScenarioCOS, catalogue.AppointmentScenarioMCS:
		return catalogue.DeAppointmentReasonCSUPP
	case catalogue.AppointmentScenarioSEG:
		return catalogue.DeAppointmentReasonCSEGM
	}
	return catalogue.DeAppointmentReasonCSERV
}

// activate makes an accepted proposal the MPAN's appointment from its
// date: IF-037 to the provider it replaces (unless replacing is false: the
// change of supplier de-appointed it already), a change of segment when
// both services now serve another segment (IF-044), IF-036 to every party,
// the old metering service told to send its meter technical details on
// (IF-035 IMS-SendMTD), and the linked and related MPANs aligned. A
// migration appointment (MCA, MCS) that completes the pair brings the MPAN
// into the MHHS regime.
func (c *call) activate(r *Registration, p Proposal, replacing bool) error {
	k, from := p.Proposed.Kind, p.From()
	hist := r.appointments(k)
	// prev served the day before (its metering service passes the meter
	// technical details on); cur is in force on from, if someone is: the
	// one replaced. A change of supplier has already ended the losing
	// supplier's services.
	prev, hadPrev := hist.At(from.AddDays(-1))
	cur, hasCur := hist.RangeAt(from)
	appt := Appointment{Party: Party{p.Proposed.DIPID, p.Proposed.MPID}, By: p.Supplier.DIPID, Scenario: p.Proposed.Scenario,
		ContractReference: p.Proposed.ContractReference, ReadFrequency: p.Proposed.ReadFrequency}
	if hasCur && p.Proposed.Scenario == catalogue.AppointmentScenarioUSP {
		appt.By = cur.Value.By // an update replaces no one
	}
	if replacing && hasCur && cur.From.Before(from) && cur.Value.DIPID != appt.DIPID {
		if err := c.deAppoint(r, k, cur.Value, cur.From, from.AddDays(-1), deAppointReason(p.Proposed.Scenario), &appt, from, nil); err != nil {
			return err
		}
	}
	hist.Set(from, appt)
	if k == catalogue.DataService {
		switch {
		case p.Proposed.NominatedMDR != nil:
			mdrFrom := from
			if p.Proposed.NominatedMDRFrom != nil {
				mdrFrom = p.Proposed.NominatedMDRFrom.LocalDate()
			}
			r.MDR.Set(mdrFrom, Party{*p.Proposed.NominatedMDR, deref(p.Proposed.NominatedMDRMPID)})
		case !hadPrev || prev.DIPID != appt.DIPID:
			if _, ok := r.MDR.At(from); ok {
				r.MDR.Unset(from) // the MDR served the data service replaced
			}
		}
		if g := p.Proposed.ConsentGranularity; g.Valid() && g != catalogue.ConsentGranularityX {
			if cur, ok := r.Consent.At(from); !ok || cur != g {
				r.Consent.Set(from, g)
			}
		}
	}
	if s := p.Proposed.Scenario; s == catalogue.AppointmentScenarioMCA || s == catalogue.AppointmentScenarioMCS {
		// Migration: the MPAN enters the MHHS regime once both its
		// services are appointed under the migration scenarios.
		if o, ok := r.appointments(other(k)).At(from); ok && (o.Scenario == catalogue.AppointmentScenarioMCA || o.Scenario == catalogue.AppointmentScenarioMCS) {
			r.Migrated.Set(from, true)
		}
	}
	c.keep(r)
	if err := c.segmentChange(r, from); err != nil {
		return err
	}
	if err := c.notifyActive(r, k, from, p.Supplier, p.CSSRegistrationID); err != nil {
		return err
	}
	if k == catalogue.MeteringService && hadPrev && prev.DIPID != appt.DIPID {
		m := &catalogue.IF035IMSSendMTD{CustomBlock: catalogue.IF035IMSSendMTDCustom{
			B007: catalogue.B007{ResponseCode: catalogue.ResponseCodeA}, B012: b012(p.Supplier),
			B070: &catalogue.B070{ProposedMeteringServiceDIPID: appt.DIPID, ProposedMeteringServiceMPID: appt.MPID,
				ProposedMeteringServiceDIPEffectiveFromDate: midnight(from), ContractReferenceMeteringService: appt.ContractReference,
				AppointmentScenario: appt.Scenario}}}
		setB013(m, p.CSSRegistrationID)
		m.CommonBlock.M0 = r.m0(c.today)
		c.send(m, []string{prev.DIPID}, string(r.MPAN), p.ID)
	}
	return c.align(r, k, from, p.Supplier)
}

// deAppoint tells the parties a provider's appointment ends on to
// (IF-037), naming the incoming provider and supplier where there is one.
func (c *call) deAppoint(r *Registration, k catalogue.ServiceKind, old Appointment, from, to market.SettlementDate,
	reason catalogue.DeAppointmentReason, incoming *Appointment, incomingFrom market.SettlementDate, incomingSupplier *Party) error {
	d := catalogue.DeAppointment{Kind: k, DIPID: old.DIPID, MPID: old.MPID, From: midnight(from), To: midnight(to), Reason: reason}
	var out catalogue.Retirement
	css := r.b013(to.AddDays(1)).CSSRegistrationID // the registration after it: a switch that ends it
	if k == catalogue.DataService {
		m := &catalogue.IF037DSDeApp{}
		if incoming != nil {
			m.CustomBlock.B011 = &catalogue.B011{IncomingDataServiceDIPID: incoming.DIPID, IncomingDataServiceMPID: incoming.MPID, IncomingDataServiceEffectiveFromDate: midnight(incomingFrom)}
		}
		if incomingSupplier != nil {
			m.CustomBlock.B002 = ptr(b002(*incomingSupplier, to.AddDays(1)))
		}
		out = m
	} else {
		m := &catalogue.IF037MSDeApp{}
		if incoming != nil {
			m.CustomBlock.B010 = &catalogue.B010{IncomingMeteringServiceDIPID: incoming.DIPID, IncomingMeteringServiceMPID: incoming.MPID, IncomingMeteringServiceEffectiveFromDate: midnight(incomingFrom)}
		}
		if incomingSupplier != nil {
			m.CustomBlock.B002 = ptr(b002(*incomingSupplier, to.AddDays(1)))
		}
		out = m
	}
	out.SetDeAppointed(d)
	setB013(out, css)
	*out.Common().M0 = r.m0(c.today)
	c.send(out, nil, string(r.MPAN), string(k), old.DIPID, to.String())
	return nil
}

// notifyActive tells every party of the MPAN's appointment of kind k from
// from, with the MPAN's supporting data (IF-036).
func (c *call) notifyActive(r *Registration, k catalogue.ServiceKind, from market.SettlementDate, supplier Party, css string) error {
	appt, ok := r.appointments(k).At(from)
	if !ok {
		return fmt.Errorf("regs: %s has no %s appointment on %s to notify", r.MPAN, k, from)
	}
	s, err := r.site(from)
	if err != nil {
		return err
	}
	dom, err := r.b028(from)
	if err != nil {
		return err
	}
	if css == "" {
		css = r.b013(from).CSSRegistrationID
	}
	a := catalogue.Appointment{Kind: k, DIPID: appt.DIPID, MPID: appt.MPID, From: midnight(from), ContractReference: appt.ContractReference,
		Scenario: appt.Scenario, ReadFrequency: appt.ReadFrequency}
	var out catalogue.Activation
	if k == catalogue.DataService {
		m := &catalogue.IF036DSAppActive{CustomBlock: catalogue.IF036DSAppActiveCustom{B012: b012(supplier), B022: s.b022, B023: s.b023,
			B024: s.b024, B025: s.b025, B026: s.b026, B028: dom, B005: r.b005(from), B027: r.b027(from), B068: r.b068(from),
			B029: r.b029(from), B030: r.b030(from), B031: r.b031(from), B032: r.b032(from), B905List: r.b905List(from),
			B035List: r.b035List(from), B037List: r.b037List(from)}}
		if mdr, ok := r.MDR.RangeAt(from); ok {
			m.CustomBlock.B019 = &catalogue.B019{AssignedMDRDIPID: mdr.Value.DIPID, AssignedMDRMPID: mdr.Value.MPID, AssignedMDREffectiveFromDate: midnight(mdr.From)}
		}
		if ms, ok := r.MS.RangeAt(from); ok {
			m.CustomBlock.B016 = &catalogue.B016{IncomingMeteringServiceDIPID: ms.Value.DIPID, IncomingMeteringServiceMPID: ms.Value.MPID, IncomingMeteringServiceEffectiveFromDate: midnight(ms.From)}
		}
		out = m
	} else {
		m := &catalogue.IF036MSAppActive{CustomBlock: catalogue.IF036MSAppActiveCustom{B012: b012(supplier), B022: s.b022, B023: s.b023,
			B024: s.b024, B025: s.b025, B026: s.b026, B028: dom, B005: r.b005(from), B027: r.b027(from),
			B029: r.b029(from), B030: r.b030(from), B031: r.b031(from), B032: r.b032(from), B905List: r.b905List(from),
			B035List: r.b035List(from), B037List: r.b037List(from)}}
		if ds, ok := r.DS.RangeAt(from); ok {
			m.CustomBlock.B017 = &catalogue.B017{IncomingDataServiceDIPID: ds.Value.DIPID, IncomingDataServiceMPID: ds.Value.MPID, IncomingDataServiceEffectiveFromDate: midnight(ds.From)}
		}
		out = m
	}
	out.SetIncoming(a)
	setB013(out, css)
	*out.Common().M0 = r.m0(c.today)
	c.send(out, nil, string(r.MPAN), string(k), from.String())
	return nil
}

// segmentChange moves the MPAN to another market segment from from when
// its metering and data services there both serve that segment and the
// MPAN's is not among those (a change of segment, scenario SEG, is
// complete), and tells the parties (IF-044).
func (c *call) segmentChange(r *Registration, from market.SettlementDate) error {
	ms, ok1 := r.MS.At(from)
	ds, ok2 := r.DS.At(from)
	cur, ok3 := r.Segment.At(from)
	if !ok1 || !ok2 || !ok3 {
		return nil
	}
	msSegs := c.providerSegments(ms.DIPID, catalogue.MeteringService)
	dsSegs := c.providerSegments(ds.DIPID, catalogue.DataService)
	if slices.Contains(msSegs, cur) || slices.Contains(dsSegs, cur) {
		return nil
	}
	for _, s := range msSegs {
		if !slices.Contains(dsSegs, s) {
			continue
		}
		r.Segment.Set(from, s)
		c.keep(r)
		b026, err := r.b026(from)
		if err != nil {
			return err
		}
		b023, err := r.b023(from)
		if err != nil {
			return err
		}
		m := &catalogue.IF044MarketSegmentChange{CustomBlock: catalogue.IF044Custom{B026: b026, B023: b023}}
		m.CommonBlock.M0 = r.m0(c.today)
		c.send(m, nil, string(r.MPAN), from.String())
		return nil
	}
	return nil
}

// align gives the MPANs linked to r as exports, or related to it as
// secondaries, r's provider of kind k from from (scenario ALG): an
// appointment on them is barred (REG1038, REG1039), they follow their
// principal. The provider an aligned MPAN had is de-appointed (IMPEXP,
// RELATED). supplier is the principal's, which asked for the appointment.
func (c *call) align(r *Registration, k catalogue.ServiceKind, from market.SettlementDate, supplier Party) error {
	appt, ok := r.appointments(k).At(from)
	if !ok {
		return nil
	}
	for _, rel := range []struct {
		h      *market.History[Group]
		reason catalogue.DeAppointmentReason
	}{{&r.Linked, catalogue.DeAppointmentReasonIMPEXP}, {&r.Related, catalogue.DeAppointmentReasonRELATED}} {
		g, ok := rel.h.At(from)
		if !ok || g.Principal != r.MPAN {
			continue
		}
		for _, m := range g.Members {
			if err := c.alignOne(m, k, appt, from, rel.reason, supplier); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *call) alignOne(mpan market.MPAN, k catalogue.ServiceKind, appt Appointment, from market.SettlementDate, reason catalogue.DeAppointmentReason, supplier Party) error {
	m, err := c.get(mpan)
	if err != nil {
		return err
	}
	if m == nil {
		return fmt.Errorf("regs: aligned MPAN %s has no registration", mpan)
	}
	if !m.Registered(from) || m.Disconnected(from) {
		return nil // no services for an MPAN nobody supplies
	}
	hist := m.appointments(k)
	aligned := appt
	aligned.Scenario = catalogue.AppointmentScenarioALG
	if cur, ok := hist.At(from); ok && cur == aligned {
		return nil
	}
	if last, ok := hist.Last(); ok && from.Before(last) {
		from = last // never cut into the member's later history
	}
	if old, ok := hist.RangeAt(from.AddDays(-1)); ok && old.Value.DIPID != appt.DIPID {
		if err := c.deAppoint(m, k, old.Value, old.From, from.AddDays(-1), reason, &aligned, from, nil); err != nil {
			return err
		}
	}
	hist.Set(from, aligned)
	c.keep(m)
	return c.notifyActive(m, k, from, supplier, "")
}
