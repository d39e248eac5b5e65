package regs

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

// given builds a registration from "given MPAN [bare]" and its indented
// facts, "ATTR DATE VALUE [key=value…]": each fact sets the attribute from
// DATE (VALUE "-" ends it). Unless bare, the site data a registration
// needs is filled in from the creation date (2020-01-01 unless a "created"
// fact says otherwise) for each attribute no fact names: LDSA's MPAN in
// the GSP group of its distributor id, whole current, import, metered,
// DUoS tariff A01, energised, smart segment, domestic, RMP O, MP T, in the
// MHHS regime.
func (r *runner) given(l line) error {
	if len(l.words) < 2 {
		return errors.New("want: given MPAN [bare]")
	}
	mpan, err := market.ParseMPAN(l.words[1])
	if err != nil {
		return err
	}
	bare := len(l.words) > 2 && l.words[2] == "bare"
	ldso, _ := r.w.dip("LDSA")
	reg := &Registration{MPAN: mpan, LDSO: ldso, Created: market.NewSettlementDate(2020, 1, 1)}
	named := map[string]bool{}
	type pendingAppt struct {
		h    *market.History[Appointment]
		from market.SettlementDate
		a    Appointment
		by   bool
	}
	var appts []pendingAppt
	for _, text := range l.body {
		words, err := fields(text)
		if err != nil {
			return err
		}
		if err := r.fact(reg, words, named, func(h *market.History[Appointment], from market.SettlementDate, a Appointment, by bool) {
			appts = append(appts, pendingAppt{h, from, a, by})
		}); err != nil {
			return fmt.Errorf("%q: %v", text, err)
		}
	}
	// An appointment is made by the supplier of its day unless by= says
	// otherwise.
	for _, p := range appts {
		if !p.by {
			s, _ := reg.Supplier.At(p.from)
			p.a.By = s.DIPID
		}
		p.h.Set(p.from, p.a)
	}
	if !bare {
		d := reg.Created
		gsp, _ := market.GSPGroupOfDistributor(mpan.DistributorID())
		defaults := map[string]func(){
			"gsp":          func() { reg.GSP.Set(d, gsp) },
			"address":      func() { reg.Address.Set(d, Address{Postcode: "AB1 2CD", Lines: []string{"1 Test Street", "Testtown"}}) },
			"connection":   func() { reg.Connection.Set(d, market.ConnectionWholeCurrent) },
			"direction":    func() { reg.Direction.Set(d, catalogue.EnergyDirectionI) },
			"metered":      func() { reg.Metered.Set(d, true) },
			"duos":         func() { reg.DUoSTariff.Set(d, "A01") },
			"energisation": func() { reg.Energisation.Set(d, market.Energised) },
			"segment":      func() { reg.Segment.Set(d, market.SegmentSmart) },
			"domestic":     func() { reg.Domestic.Set(d, true) },
			"rmp":          func() { reg.RMP.Set(d, catalogue.RMPStatusO) },
			"mp":           func() { reg.MP.Set(d, catalogue.MPStatusT) },
			"migrated":     func() { reg.Migrated.Set(d, true) },
		}
		for name, set := range defaults {
			if !named[name] {
				set()
			}
		}
	}
	return r.book.Put(reg)
}

// fact applies one fact line to the registration.
func (r *runner) fact(reg *Registration, words []string, named map[string]bool, appoint func(*market.History[Appointment], market.SettlementDate, Appointment, bool)) error {
	kv, rest := keyed(words)
	if len(rest) < 2 {
		return errors.New("want: ATTR DATE [VALUE] [key=value…]")
	}
	attr := rest[0]
	named[attr] = true
	switch attr {
	case "created":
		d, err := parseDate(rest[1])
		reg.Created = d
		return err
	case "ldso":
		id, err := r.w.dip(rest[1])
		reg.LDSO = id
		return err
	case "switch":
		return r.switchFact(reg, rest, kv)
	case "proposal":
		return r.proposalFact(reg, rest, kv)
	case "reminded":
		d, err := parseDate(rest[1])
		if err != nil || len(rest) != 3 {
			return errors.New("want: reminded DATE [Event]")
		}
		if reg.Reminded == nil {
			reg.Reminded = map[string]market.SettlementDate{}
		}
		reg.Reminded[rest[2]] = d
		return nil
	}
	from, err := parseDate(rest[1])
	if err != nil {
		return err
	}
	value := ""
	if len(rest) > 2 {
		value = rest[2]
	}
	unset := value == "-"
	set := func(ok bool, f func()) error {
		if !ok && !unset {
			return fmt.Errorf("bad value %q", value)
		}
		f()
		return nil
	}
	str := func(h *market.History[string]) error {
		if unset {
			h.Unset(from)
		} else {
			h.Set(from, value)
		}
		return nil
	}
	party := func() (Party, error) {
		id, err := r.w.dip(value)
		return Party{id, value}, err
	}
	switch attr {
	case "supplier":
		if unset {
			reg.Supplier.Unset(from)
			return nil
		}
		p, err := party()
		reg.Supplier.Set(from, Supply{Party: p, CSSRegistrationID: kv["css"]})
		return err
	case "ms", "ds":
		h := &reg.MS
		if attr == "ds" {
			h = &reg.DS
		}
		if unset {
			h.Unset(from)
			return nil
		}
		p, err := party()
		if err != nil {
			return err
		}
		a := Appointment{Party: p, Scenario: catalogue.AppointmentScenario(kv["sc"])}
		if a.Scenario == "" {
			a.Scenario = catalogue.AppointmentScenarioCOS
		}
		by, hasBy := kv["by"]
		if hasBy {
			if a.By, err = r.w.dip(by); err != nil {
				return err
			}
		}
		appoint(h, from, a, hasBy)
		return nil
	case "mdr":
		if unset {
			reg.MDR.Unset(from)
			return nil
		}
		p, err := party()
		reg.MDR.Set(from, p)
		return err
	case "direct-ms", "direct-ds":
		h := &reg.DirectMS
		if attr == "direct-ds" {
			h = &reg.DirectDS
		}
		if unset {
			h.Unset(from)
			return nil
		}
		id, err := r.w.dip(value)
		h.Set(from, id)
		return err
	case "address":
		reg.Address.Set(from, Address{Postcode: value, Lines: rest[3:]})
		return nil
	case "gsp":
		return set(market.GSPGroup(value).Valid(), func() { reg.GSP.Set(from, market.GSPGroup(value)) })
	case "connection":
		return set(market.ConnectionType(value).Valid(), func() { reg.Connection.Set(from, market.ConnectionType(value)) })
	case "direction":
		return set(catalogue.EnergyDirection(value).Valid(), func() { reg.Direction.Set(from, catalogue.EnergyDirection(value)) })
	case "metered":
		reg.Metered.Set(from, value == "true")
		return nil
	case "duos":
		return str(&reg.DUoSTariff)
	case "energisation":
		return set(market.EnergisationStatus(value).Valid(), func() { reg.Energisation.Set(from, market.EnergisationStatus(value)) })
	case "segment":
		return set(market.MarketSegment(value).Valid(), func() { reg.Segment.Set(from, market.MarketSegment(value)) })
	case "domestic":
		reg.Domestic.Set(from, value == "true")
		return nil
	case "consent":
		if unset {
			reg.Consent.Unset(from)
			return nil
		}
		return set(catalogue.ConsentGranularity(value).Valid(), func() { reg.Consent.Set(from, catalogue.ConsentGranularity(value)) })
	case "annual":
		e, err := market.ParseKWh(value)
		if err != nil {
			return err
		}
		reg.Annual.Set(from, AnnualConsumption{e, catalogue.AnnualConsumptionQuality(kv["q"])})
		return nil
	case "dcc":
		return set(catalogue.DCCServiceFlag(value).Valid(), func() { reg.DCC.Set(from, catalogue.DCCServiceFlag(value)) })
	case "ihd":
		if unset {
			reg.IHD.Unset(from)
			return nil
		}
		return set(catalogue.IHDStatus(value).Valid(), func() { reg.IHD.Set(from, catalogue.IHDStatus(value)) })
	case "smso":
		return str(&reg.SMSO)
	case "pc":
		return str(&reg.ProfileClass)
	case "ssc":
		return str(&reg.SSC)
	case "linked", "related":
		h := &reg.Linked
		if attr == "related" {
			h = &reg.Related
		}
		if unset {
			h.Unset(from)
			return nil
		}
		g := Group{Principal: market.MPAN(value)}
		for _, m := range rest[3:] {
			g.Members = append(g.Members, market.MPAN(m))
		}
		h.Set(from, g)
		return nil
	case "rmp":
		return set(catalogue.RMPStatus(value).Valid(), func() { reg.RMP.Set(from, catalogue.RMPStatus(value)) })
	case "mp":
		return set(catalogue.MPStatus(value).Valid(), func() { reg.MP.Set(from, catalogue.MPStatus(value)) })
	case "greendeal":
		reg.GreenDeal.Set(from, value == "true")
		return nil
	case "migrated":
		reg.Migrated.Set(from, value == "true")
		return nil
	case "meter":
		// meter INSTALLED ID type=S2AD loc=A map=MAPA [removed=DATE]
		m := Meter{ID: value, Type: catalogue.MeterType(kv["type"]), Location: catalogue.MeterLocation(kv["loc"]), Installed: midnight(from)}
		if m.Type == "" {
			m.Type = catalogue.MeterTypeS2AD
		}
		if m.Location == "" {
			m.Location = catalogue.MeterLocationA
		}
		if mp, ok := kv["map"]; ok {
			m.MAP.Set(from, mp)
		}
		if rm, ok := kv["removed"]; ok {
			d, err := parseDate(rm)
			if err != nil {
				return err
			}
			m.Removed = ptr(midnight(d))
		}
		reg.Meters = append(reg.Meters, m)
		return nil
	}
	return fmt.Errorf("unknown attribute %q", attr)
}

// switchFact: switch FROM ID supplier=ALIAS [state=pending] [since=TIME] [objected=TIME]
func (r *runner) switchFact(reg *Registration, rest []string, kv map[string]string) error {
	if len(rest) != 3 {
		return errors.New("want: switch FROM ID supplier=ALIAS [state=…] [since=TIME] [objected=TIME]")
	}
	from, err := parseDate(rest[1])
	if err != nil {
		return err
	}
	id, err := r.w.dip(kv["supplier"])
	if err != nil {
		return err
	}
	sw := &Switch{ID: rest[2], Supplier: Party{id, kv["supplier"]}, From: from, State: SwitchState(kv["state"])}
	if sw.State == "" {
		sw.State = SwitchPending
	}
	since := "2025-01-01T09:00"
	if s, ok := kv["since"]; ok {
		since = s
	}
	t, err := parseTime(since)
	if err != nil {
		return err
	}
	sw.Since = market.At(t)
	if o, ok := kv["objected"]; ok {
		t, err := parseTime(o)
		if err != nil {
			return err
		}
		sw.Objected = ptr(market.At(t))
	}
	reg.Switch = sw
	return nil
}

// proposalFact: proposal FROM ID kind=MS|DS provider=ALIAS supplier=ALIAS sc=CSP [css=ID] [accepted=true] [at=TIME] [mdr=ALIAS]
func (r *runner) proposalFact(reg *Registration, rest []string, kv map[string]string) error {
	if len(rest) != 3 {
		return errors.New("want: proposal FROM ID kind=… provider=… supplier=… sc=… [css=…] [accepted=true] [at=TIME]")
	}
	from, err := parseDate(rest[1])
	if err != nil {
		return err
	}
	prov, err := r.w.dip(kv["provider"])
	if err != nil {
		return err
	}
	sup, err := r.w.dip(kv["supplier"])
	if err != nil {
		return err
	}
	at := "2025-01-01T09:00"
	if a, ok := kv["at"]; ok {
		at = a
	}
	t, err := parseTime(at)
	if err != nil {
		return err
	}
	p := Proposal{ID: rest[2], At: market.At(t), Supplier: Party{sup, kv["supplier"]}, CSSRegistrationID: kv["css"], Accepted: kv["accepted"] == "true",
		Proposed: catalogue.Appointment{Kind: catalogue.ServiceKind(kv["kind"]), DIPID: prov, MPID: kv["provider"], From: midnight(from),
			Scenario: catalogue.AppointmentScenario(kv["sc"])}}
	if p.Proposed.Kind == catalogue.DataService {
		p.Proposed.ConsentGranularity = catalogue.ConsentGranularityD
		p.Proposed.Domestic = true
	}
	if m, ok := kv["mdr"]; ok {
		id, err := r.w.dip(m)
		if err != nil {
			return err
		}
		p.Proposed.NominatedMDR, p.Proposed.NominatedMDRMPID = &id, ptr(m)
	}
	if !strings.Contains("MSDS", string(p.Proposed.Kind)) || p.Proposed.Kind == "" {
		return fmt.Errorf("kind %q", p.Proposed.Kind)
	}
	reg.Proposals = append(reg.Proposals, p)
	return nil
}
