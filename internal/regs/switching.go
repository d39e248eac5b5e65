package regs

import (
	"fmt"
	"slices"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

// CSSEventKind is what the Central Switching Service tells REGS about a
// switch. CSS is not a DIP participant: its events reach REGS through
// Engine.CSS. The public record names only "SecuredActive" (reference §5c,
// §9); the set below is mhhs's model of the CSS registration lifecycle.
type CSSEventKind string

// CSS events.
const (
	// CSSPendingSwitch announces a registration request: a gaining
	// supplier will supply the MPAN from a date (a first registration when
	// the MPAN has no supplier). REGS sends the gaining supplier the MPAN's
	// data (IF-002) so that it can appoint its services (IF-031, COS).
	CSSPendingSwitch CSSEventKind = "pending"
	// CSSObjectionRaised: the losing supplier objects, within the
	// objection window.
	CSSObjectionRaised CSSEventKind = "objection-raised"
	// CSSObjectionResolved: the objection is upheld (the switch is
	// cancelled, its appointments lapse) or withdrawn (the switch goes
	// on).
	CSSObjectionResolved CSSEventKind = "objection-resolved"
	// CSSSecured: the switch is past objection and will happen on its
	// date.
	CSSSecured CSSEventKind = "secured"
	// CSSSecuredActive: the switch takes effect. REGS registers the
	// gaining supplier (IF-001), de-appoints the losing supplier's
	// services (IF-037 CSUPP) and makes the gaining supplier's accepted
	// appointments (IF-036).
	CSSSecuredActive CSSEventKind = "secured-active"
	// CSSAnnulment cancels a switch before it is active; its
	// appointments lapse (IF-035 *Lapsed).
	CSSAnnulment CSSEventKind = "annulment"
	// CSSDeregistration ends the MPAN's registration (its RMP is
	// terminated): REGS tells the parties (IF-009 CSSDeRegistration) and
	// de-appoints the services (IF-037 DEREG).
	CSSDeregistration CSSEventKind = "deregistration"
)

// CSSEvent is one event of the Central Switching Service about an MPAN.
type CSSEvent struct {
	// ID is CSS's id of the event: it keys the references of the
	// messages REGS sends because of it.
	ID   string
	At   time.Time // when CSS sent it: the Engine's clock for it
	Kind CSSEventKind
	MPAN market.MPAN
	// RegistrationID is the switch's CSS registration id (B013).
	RegistrationID string
	// Supplier is the gaining supplier (CSSPendingSwitch).
	Supplier Party
	// From is the switch's effective date (CSSPendingSwitch) or the
	// de-registration date (CSSDeregistration).
	From market.SettlementDate
	// Upheld tells an upheld objection from a withdrawn one
	// (CSSObjectionResolved).
	Upheld bool
}

// CSS decides an event of the Central Switching Service. A refused event
// (a switch REGS does not hold, an objection out of time) changes nothing;
// its Decision says why.
func (e *Engine) CSS(book Book, ev CSSEvent) (Decision, error) {
	if ev.ID == "" || ev.At.IsZero() {
		return Decision{}, fmt.Errorf("%w: a CSS event needs an id and a time", ErrInvalidInput)
	}
	c := e.newCall(book, "css/"+ev.ID, ev.At)
	r, err := c.get(ev.MPAN)
	if err != nil {
		return Decision{}, err
	}
	if r == nil {
		c.reject(catalogue.REG0000)
		c.detail = fmt.Sprintf("no registration of %s", ev.MPAN)
		return c.finish()
	}
	switch ev.Kind {
	case CSSPendingSwitch:
		err = c.pendingSwitch(r, ev)
	case CSSDeregistration:
		err = c.deregister(r, ev.From)
	case CSSObjectionRaised, CSSObjectionResolved, CSSSecured, CSSSecuredActive, CSSAnnulment:
		sw := r.Switch
		if sw == nil || sw.ID != ev.RegistrationID {
			c.reject(catalogue.REG0005)
			c.detail = fmt.Sprintf("%s has no pending switch %q", ev.MPAN, ev.RegistrationID)
			return c.finish()
		}
		err = c.switchEvent(r, sw, ev)
	default:
		return Decision{}, fmt.Errorf("%w: CSS event kind %q", ErrInvalidInput, ev.Kind)
	}
	if err != nil {
		return Decision{}, err
	}
	return c.finish()
}

func (c *call) pendingSwitch(r *Registration, ev CSSEvent) error {
	switch {
	case r.Disconnected(ev.From) || r.Disconnected(c.today):
		c.reject(catalogue.REG1001)
		c.detail = "the MPAN is disconnected or its registration terminated"
		return nil
	case r.Switch != nil:
		c.reject(catalogue.REG9004)
		c.detail = fmt.Sprintf("switch %s is in progress", r.Switch.ID)
		return nil
	case ev.RegistrationID == "" || ev.Supplier.DIPID == "" || ev.Supplier.MPID == "":
		return fmt.Errorf("%w: a pending switch needs a registration id and a gaining supplier", ErrInvalidInput)
	case ev.From.Before(c.today):
		c.refuse("switch %s starts %s, before today %s", ev.RegistrationID, ev.From, c.today)
		return nil
	}
	if s, ok := r.Supplier.At(ev.From); ok && s.DIPID == ev.Supplier.DIPID {
		c.refuse("%s is already the supplier of %s on %s", ev.Supplier.DIPID, r.MPAN, ev.From)
		return nil
	}
	sw := &Switch{ID: ev.RegistrationID, Supplier: ev.Supplier, From: ev.From, State: SwitchPending, Since: market.At(c.at)}
	if s, ok := r.Supplier.At(c.today); ok {
		sw.Losing = &Party{s.DIPID, s.MPID}
	}
	r.Switch = sw
	c.keep(r)
	return c.gainInfo(r, sw)
}

// gainInfo sends the gaining supplier of a pending switch the MPAN's data
// (IF-002), as at today.
func (c *call) gainInfo(r *Registration, sw *Switch) error {
	d := c.today
	s, err := r.site(d)
	if err != nil {
		return err
	}
	m := &catalogue.IF002GainMPANInfo{CustomBlock: catalogue.IF002Custom{B013: catalogue.B013{CSSRegistrationID: sw.ID},
		B022: s.b022, B023: s.b023, B024: s.b024, B025: s.b025, B026: s.b026, B005: r.b005(d), B006: r.b006(d),
		B027: r.b027(d), B029: r.b029(d), B030: r.b030(d), B031: r.b031(d), B032: r.b032(d),
		B905List: r.b905List(d), B907List: r.b907List(d), B908List: r.b908List(d)}}
	m.CommonBlock.M0 = r.m0(d)
	c.send(m, []string{sw.Supplier.DIPID}, string(r.MPAN), sw.ID)
	return nil
}

func (c *call) switchEvent(r *Registration, sw *Switch, ev CSSEvent) error {
	switch ev.Kind {
	case CSSObjectionRaised:
		deadline := c.e.cfg.Calendar.AddWorkingDays(sw.Since.LocalDate(), c.e.cfg.ObjectionWindowWorkingDays)
		if sw.State != SwitchPending || c.today.After(deadline) {
			c.refuse("switch %s is %s; objections close %s", sw.ID, sw.State, deadline)
			return nil
		}
		sw.State, sw.Objected = SwitchObjected, ptr(market.At(c.at))
	case CSSObjectionResolved:
		if sw.State != SwitchObjected {
			c.refuse("switch %s has no objection to resolve", sw.ID)
			return nil
		}
		if ev.Upheld {
			return c.cancelSwitch(r)
		}
		sw.State, sw.Objected = SwitchPending, nil
	case CSSSecured:
		if sw.State != SwitchPending {
			c.refuse("switch %s is %s, not pending", sw.ID, sw.State)
			return nil
		}
		sw.State = SwitchSecured
	case CSSAnnulment:
		return c.cancelSwitch(r)
	case CSSSecuredActive:
		if sw.State == SwitchObjected {
			c.refuse("switch %s has an unresolved objection", sw.ID)
			return nil
		}
		if c.today.Before(sw.From) {
			c.refuse("switch %s takes effect on %s, not before", sw.ID, sw.From)
			return nil
		}
		return c.securedActive(r, sw)
	}
	c.keep(r)
	return nil
}

// cancelSwitch drops the pending switch: its change of supplier
// appointments lapse.
func (c *call) cancelSwitch(r *Registration) error {
	id := r.Switch.ID
	r.Switch = nil
	c.keep(r)
	for _, p := range slices.Clone(r.Proposals) {
		if p.CSSRegistrationID == id {
			if err := c.lapse(r, p.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// securedActive makes the switch: the gaining supplier is registered from
// its date.
func (c *call) securedActive(r *Registration, sw *Switch) error {
	from := sw.From
	old, hadOld := r.Supplier.RangeAt(from.AddDays(-1))
	r.Supplier.Set(from, Supply{Party: sw.Supplier, CSSRegistrationID: sw.ID})
	r.Switch = nil
	c.keep(r)
	statusChanged := false
	if s, ok := r.RMP.At(from); !ok || s != catalogue.RMPStatusO {
		r.RMP.Set(from, catalogue.RMPStatusO)
		statusChanged = true
	}
	if s, ok := r.MP.At(from); !ok || s != catalogue.MPStatusT {
		r.MP.Set(from, catalogue.MPStatusT)
		statusChanged = true
	}
	first := len(c.out) // IF-001 goes before the appointment messages
	var accepted, stale []Proposal
	for _, p := range r.Proposals {
		k := p.Proposed.Kind
		if p.CSSRegistrationID == "" && !p.From().Before(from) {
			// The losing supplier's appointment from the switch on: it
			// is no longer theirs to make.
			stale = append(stale, p)
			continue
		}
		direct, hasDirect := r.direct(k).At(from)
		cur, hasCur := r.appointments(k).At(from)
		switch {
		case p.CSSRegistrationID != "" && p.CSSRegistrationID != sw.ID:
			stale = append(stale, p)
		case p.CSSRegistrationID == sw.ID && hasDirect && hasCur && direct == cur.DIPID && cur.DIPID != p.Proposed.DIPID:
			// The customer's own contract keeps its provider: the
			// gaining supplier's appointment of another lapses.
			stale = append(stale, p)
		case p.CSSRegistrationID == sw.ID && p.Accepted:
			accepted = append(accepted, p)
		}
	}
	for _, p := range stale {
		if err := c.lapse(r, p.ID); err != nil {
			return err
		}
	}
	for _, k := range []catalogue.ServiceKind{catalogue.MeteringService, catalogue.DataService} {
		hist := r.appointments(k)
		cur, ok := hist.RangeAt(from)
		if !ok || cur.From == from && cur.Value.By == sw.Supplier.DIPID {
			continue
		}
		if direct, ok := r.direct(k).At(from); ok && direct == cur.Value.DIPID && cur.From.Before(from) {
			// Under a contract with the customer: it stays, but what the
			// losing supplier had arranged after the switch goes.
			dropAfter(hist, from)
			continue
		}
		var incoming *Appointment
		for _, p := range accepted {
			if p.Proposed.Kind == k {
				incoming = &Appointment{Party: Party{p.Proposed.DIPID, p.Proposed.MPID}}
			}
		}
		// An appointment the losing supplier made from the switch's day
		// ends before it starts (its effective-to date precedes its
		// effective-from date).
		if err := c.deAppoint(r, k, cur.Value, cur.From, from.AddDays(-1), catalogue.DeAppointmentReasonCSUPP, incoming, from, &sw.Supplier); err != nil {
			return err
		}
		endFrom(hist, from) // with any later change the losing supplier made
		if k == catalogue.DataService {
			endFrom(&r.MDR, from)
		}
	}
	for _, p := range accepted {
		i := slices.IndexFunc(r.Proposals, func(q Proposal) bool { return q.ID == p.ID })
		r.Proposals = slices.Delete(r.Proposals, i, i+1)
		if err := c.activate(r, p, false); err != nil {
			return err
		}
	}
	notice, err := c.registrationNotice(r, from, sw, old, hadOld)
	if err != nil {
		return err
	}
	msgs := []catalogue.Payload{notice}
	if statusChanged {
		m, err := c.statusChange(r, from)
		if err != nil {
			return err
		}
		msgs = append(msgs, m)
	}
	c.out = slices.Insert(c.out, first, msgs...)
	return nil
}

// registrationNotice is the IF-001 of a switch: ChangeOfSupplier, or
// InitialRegistration when the MPAN had no supplier.
func (c *call) registrationNotice(r *Registration, from market.SettlementDate, sw *Switch, old market.Effective[Supply], hadOld bool) (catalogue.Payload, error) {
	s, err := r.site(from)
	if err != nil {
		return nil, err
	}
	dom, err := r.b004(from)
	if err != nil {
		return nil, err
	}
	b013 := catalogue.B013{CSSRegistrationID: sw.ID}
	var out catalogue.Payload
	if !hadOld {
		out = &catalogue.IF001InitialRegistration{CustomBlock: catalogue.IF001InitialRegistrationCustom{B013: b013,
			B002: b002(sw.Supplier, from), B004: dom, B022: s.b022, B023: s.b023, B024: s.b024, B025: s.b025, B026: s.b026,
			B006: r.b006(from), B027: r.b027(from), B029: r.b029(from), B030: r.b030(from), B031: r.b031(from), B032: r.b032(from),
			B035List: r.b035List(from), B037List: r.b037List(from)}}
	} else {
		out = &catalogue.IF001ChangeOfSupplier{CustomBlock: catalogue.IF001ChangeOfSupplierCustom{B013: b013,
			B002: b002(sw.Supplier, from),
			B003: catalogue.B003{OutgoingSupplierDIPID: old.Value.DIPID, OutgoingSupplierMPID: old.Value.MPID, SupplierEffectiveToDate: midnight(from.AddDays(-1))},
			B004: dom, B022: s.b022, B023: s.b023, B024: s.b024, B025: s.b025, B026: s.b026,
			B005: r.b005(from), B006: r.b006(from), B027: r.b027(from), B029: r.b029(from), B030: r.b030(from), B031: r.b031(from), B032: r.b032(from),
			B035List: r.b035List(from), B037List: r.b037List(from)}}
	}
	*out.Common().M0 = r.m0(c.today)
	key := catalogue.Key("follow-up", c.origin, variantKey(out), string(r.MPAN))
	c.sender.StampKey(out, c.at, key)
	return out, nil
}

// statusChange is the IF-050 MPStatusChange telling EES the RMP and MP
// statuses from from.
func (c *call) statusChange(r *Registration, from market.SettlementDate) (catalogue.Payload, error) {
	b079, err := r.b079(from)
	if err != nil {
		return nil, err
	}
	m := &catalogue.IF050MPStatusChange{CustomBlock: catalogue.IF050MPStatusChangeCustom{B079: b079}}
	m.CommonBlock.M0 = r.m0(c.today)
	c.sender.StampKey(m, c.at, catalogue.Key("follow-up", c.origin, variantKey(m), string(r.MPAN), from.String()))
	return m, nil
}

// deregister ends the MPAN's registration from from (CSS de-registration):
// the supplier and its services go (IF-037 DEREG), and the parties hear it
// (IF-009 CSSDeRegistration, IF-050 MPStatusChange).
func (c *call) deregister(r *Registration, from market.SettlementDate) error {
	if s, ok := r.RMP.At(from); ok && s == catalogue.RMPStatusT {
		c.refuse("%s is already de-registered on %s", r.MPAN, from)
		return nil
	}
	if from.IsZero() {
		return fmt.Errorf("%w: a de-registration needs a date", ErrInvalidInput)
	}
	m := &catalogue.IF009CSSDeRegistration{CustomBlock: catalogue.IF009CSSDeRegistrationCustom{B042: catalogue.B042{CSSMPANDeRegistrationDate: midnight(from)}}}
	m.CommonBlock.M0 = r.m0(c.today)
	c.send(m, nil, string(r.MPAN))
	if r.Switch != nil {
		if err := c.cancelSwitch(r); err != nil {
			return err
		}
	}
	for _, p := range slices.Clone(r.Proposals) {
		if err := c.lapse(r, p.ID); err != nil {
			return err
		}
	}
	for _, k := range []catalogue.ServiceKind{catalogue.MeteringService, catalogue.DataService} {
		hist := r.appointments(k)
		if cur, ok := hist.RangeAt(from); ok && cur.From.Before(from) {
			if err := c.deAppoint(r, k, cur.Value, cur.From, from.AddDays(-1), catalogue.DeAppointmentReasonDEREG, nil, from, nil); err != nil {
				return err
			}
		}
		endFrom(hist, from)
	}
	endFrom(&r.MDR, from)
	endFrom(&r.Supplier, from)
	r.RMP.Set(from, catalogue.RMPStatusT)
	c.keep(r)
	sc, err := c.statusChange(r, from)
	if err != nil {
		return err
	}
	c.out = append(c.out, sc)
	return nil
}

// endFrom ends h at the start of d: no value applies from d on, whatever
// later changes h held.
func endFrom[T any](h *market.History[T], d market.SettlementDate) {
	last, ok := h.Last()
	if !ok || last.Before(d) {
		if _, set := h.At(d); set {
			h.Unset(d)
		}
		return
	}
	var n market.History[T]
	for _, e := range h.Ranges() {
		if !e.From.Before(d) {
			break
		}
		n.Set(e.From, e.Value)
		if !e.IsOpen() && e.To.AddDays(1).Before(d) {
			n.Unset(e.To.AddDays(1))
		}
	}
	n.Unset(d)
	*h = n
}

// dropAfter removes every change of h after d: the value in force on d
// stays in force.
func dropAfter[T any](h *market.History[T], d market.SettlementDate) {
	if last, ok := h.Last(); !ok || !last.After(d) {
		return
	}
	var n market.History[T]
	for _, e := range h.Ranges() {
		if e.From.After(d) {
			break
		}
		n.Set(e.From, e.Value)
		if !e.IsOpen() && !e.To.AddDays(1).After(d) {
			n.Unset(e.To.AddDays(1))
		}
	}
	*h = n
}
