package regs

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

// TestPropertyRandomSequences feeds REGS random sequences of valid and
// invalid requests, CSS events, operator changes and ticks over a small
// market (three suppliers, their services, two imports and an export) and
// checks after every step that:
//   - every message REGS sends passes the DIP's validation;
//   - a rejected input changed no registration (byte for byte);
//   - no appointment overlaps another (one provider of a kind a day) and
//     none falls outside a supplier's registration, each made by the
//     supplier of its first day (or aligned, ALG);
//   - the mandatory site data and statuses have no gaps from the MPAN's
//     creation, the supplier none while registered, an MDR only serves
//     with a data service;
//   - a relationship is the same group on each of its MPANs;
//   - pending appointments belong to a switch REGS holds or has made;
//   - a registration survives its JSON form unchanged.
//
// Failures print the seed and the step: MHHS_SEED reruns one sequence.
func TestPropertyRandomSequences(t *testing.T) {
	seeds, steps := 100, 80
	if testing.Short() {
		seeds = 30
	}
	stats := propertyStats{kinds: map[string][2]int{}, sent: map[string]int{}}
	for seed := range seeds {
		p := newProperty(t, uint64(seed))
		for step := range steps {
			p.step(step, &stats)
		}
	}
	t.Logf("%d sequences of %d steps: %d inputs accepted, %d rejected, %d messages", seeds, steps, stats.accepted, stats.rejected, stats.messages)
	if testing.Verbose() {
		for _, k := range slices.Sorted(maps.Keys(stats.kinds)) {
			t.Logf("  %-34s accepted %5d rejected %5d", k, stats.kinds[k][0], stats.kinds[k][1])
		}
		for _, k := range slices.Sorted(maps.Keys(stats.sent)) {
			t.Logf("  sent %-40s %5d", k, stats.sent[k])
		}
	}
	if stats.accepted < seeds*steps/10 || stats.rejected < seeds*steps/10 {
		t.Errorf("the sequences are lopsided (%d accepted, %d rejected): the generator needs mending", stats.accepted, stats.rejected)
	}
}

type propertyStats struct {
	accepted, rejected, messages int
	kinds                        map[string][2]int // input kind: accepted, rejected
	sent                         map[string]int    // messages by variant
}

type property struct {
	t     *testing.T
	seed  uint64
	rnd   *rand.Rand
	w     *world
	eng   *Engine
	book  *memBook
	clock time.Time
	n     int // inputs so far, for unique ids
	mpans []market.MPAN
}

var (
	propImport1 = market.MPAN("1010000000019")
	propImport2 = market.MPAN("1010000000046")
	propExport  = market.MPAN("1010000000028")
)

func newProperty(t *testing.T, seed uint64) *property {
	w := newWorld()
	eng, err := New(DefaultConfig("1100000001", "REGS", w))
	if err != nil {
		t.Fatal(err)
	}
	p := &property{t: t, seed: seed, rnd: rand.New(rand.NewPCG(seed, 42)), w: w, eng: eng, book: newBook(),
		clock: time.Date(2025, 6, 2, 9, 0, 0, 0, market.London()), mpans: []market.MPAN{propImport1, propImport2, propExport}}
	for _, m := range p.mpans {
		r := &Registration{MPAN: m, LDSO: p.dip("LDSA"), Created: market.NewSettlementDate(2020, 1, 1)}
		d := r.Created
		r.GSP.Set(d, "_A")
		r.Address.Set(d, Address{Postcode: "AB1 2CD", Lines: []string{"1 Test Street"}})
		r.Connection.Set(d, market.ConnectionWholeCurrent)
		dir := catalogue.EnergyDirectionI
		if m == propExport {
			dir = catalogue.EnergyDirectionE
		}
		r.Direction.Set(d, dir)
		r.Metered.Set(d, true)
		r.DUoSTariff.Set(d, "A01")
		r.Energisation.Set(d, market.Energised)
		r.Segment.Set(d, market.SegmentSmart)
		r.Domestic.Set(d, true)
		r.RMP.Set(d, catalogue.RMPStatusO)
		r.MP.Set(d, catalogue.MPStatusT)
		r.Migrated.Set(d, true)
		start := market.NewSettlementDate(2024, 4, 1)
		r.Supplier.Set(start, Supply{Party: p.party("SUPA"), CSSRegistrationID: "CSS-" + string(m[9:])})
		r.MS.Set(start, Appointment{Party: p.party("MSSA"), By: p.dip("SUPA"), Scenario: catalogue.AppointmentScenarioCOS})
		r.DS.Set(start, Appointment{Party: p.party("SDSA"), By: p.dip("SUPA"), Scenario: catalogue.AppointmentScenarioCOS})
		r.Meters = []Meter{{ID: "M1", Type: catalogue.MeterTypeS2AD, Location: catalogue.MeterLocationA, Installed: midnight(start)}}
		if err := p.book.Put(r); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func (p *property) dip(alias string) string { id, _ := p.w.dip(alias); return id }

func (p *property) party(alias string) Party { return Party{p.dip(alias), alias} }

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

// day returns a random local day around today.
func (p *property) day(lo, hi int) market.SettlementDate {
	today := market.FromTime(p.clock.In(market.London()))
	return today.AddDays(lo + p.rnd.IntN(hi-lo+1))
}

// step makes one random input, decides it and checks the invariants.
func (p *property) step(step int, stats *propertyStats) {
	p.t.Helper()
	p.clock = p.clock.Add(time.Duration(p.rnd.IntN(30)) * time.Hour)
	p.n++
	before := p.book.clone()
	what, d, err := p.input()
	fail := func(format string, args ...any) {
		p.t.Helper()
		p.t.Fatalf("seed %d step %d (%s at %s): %s", p.seed, step, what, p.clock.Format(time.RFC3339), fmt.Sprintf(format, args...))
	}
	if err != nil {
		fail("%v", err)
	}
	for _, m := range d.Messages {
		if _, findings, err := catalogue.EncodeValid(m); err != nil || len(findings) > 0 {
			fail("%s breaks the contract: %v %v", variantKey(m), err, findings)
		}
	}
	stats.messages += len(d.Messages)
	for _, m := range d.Messages {
		stats.sent[variantKey(m)]++
	}
	kind := what
	for _, sep := range []string{" from ", " ("} {
		if i := strings.Index(kind, sep); i > 0 {
			kind = kind[:i]
		}
	}
	if f := strings.Fields(kind); len(f) > 3 || len(f) == 3 && f[0] == "CSS" {
		kind = strings.Join(f[:min(len(f), 3)-map[bool]int{true: 1, false: 0}[f[0] == "CSS"]], " ")
	}
	k := stats.kinds[kind]
	if d.Rejected {
		k[1]++
	} else {
		k[0]++
	}
	stats.kinds[kind] = k
	if d.Rejected {
		stats.rejected++
		for mpan, doc := range before.docs {
			if !bytes.Equal(doc, p.book.docs[mpan]) {
				fail("rejected (%v %s) but changed %s:\nbefore %s\nafter  %s", d.Codes, d.Detail, mpan, doc, p.book.docs[mpan])
			}
		}
	} else {
		stats.accepted++
	}
	for _, mpan := range p.mpans {
		r := p.book.get(p.t, mpan)
		if err := p.invariants(r); err != nil {
			fail("%s: %v\n%s", mpan, err, p.book.docs[mpan])
		}
	}
}

// input makes and decides one random input.
func (p *property) input() (string, Decision, error) {
	mpan := pick(p.rnd, p.mpans...)
	supplier := pick(p.rnd, "SUPA", "SUPB", "SUPC")
	if cur, ok := p.book.get(p.t, mpan).Supplier.At(market.FromTime(p.clock.In(market.London()))); ok && p.rnd.IntN(10) < 7 {
		supplier = cur.MPID // mostly the supplier that may ask
	}
	switch p.rnd.IntN(14) {
	case 0, 1, 2:
		if sw := p.book.get(p.t, mpan).Switch; sw != nil && p.rnd.IntN(2) == 0 {
			supplier = sw.Supplier.MPID // the gaining supplier appoints
		}
		return p.appointmentRequest(mpan, supplier)
	case 3, 4, 5:
		return p.providerResponse(mpan)
	case 6, 7:
		return p.cssEvent(mpan, supplier)
	case 8:
		from := p.day(-7, 2)
		g := pick(p.rnd, catalogue.ConsentGranularityH, catalogue.ConsentGranularityD, catalogue.ConsentGranularityX)
		in := &catalogue.IF025ConsentGranularity{CustomBlock: catalogue.IF025ConsentGranularityCustom{
			B068: catalogue.B068{ConsentGranularity: g, ConsentGranularityEffectiveFromDate: midnight(from)}}}
		return p.receive("IF-025 consent", in, supplier, mpan)
	case 9:
		ms := pick(p.rnd, "MSSA", "MSSB", "MSSC")
		in := &catalogue.IF007EnergisationStatusChange{CustomBlock: catalogue.IF007EnergisationStatusChangeCustom{
			B025: catalogue.B025{EnergisationStatus: pick(p.rnd, market.Energised, market.DeEnergised), EnergisationStatusEffectiveFromDate: midnight(p.day(-7, 1))}}}
		return p.receive("IF-007", in, ms, mpan)
	case 10:
		if p.rnd.IntN(3) == 0 {
			mdr := pick(p.rnd, "MDRA", "MDRB", "SUPB")
			in := &catalogue.IF034SDSMDRUpdate{CustomBlock: catalogue.IF034SDSMDRUpdateCustom{B012: b012(p.party(supplier)),
				B018: catalogue.B018{SDSNominatedMDRDIPID: p.dip(mdr), SDSNominatedMDRMPID: mdr, SDSNominatedMDRRequestedEffectiveFromDate: midnight(p.day(-2, 6))}}}
			return p.receive("IF-034 SDS-MDRUpdate", in, pick(p.rnd, "SDSA", "SDSB", "ADSA"), mpan)
		}
		return p.relationship(supplier)
	case 11:
		ms := pick(p.rnd, "MSSA", "MSSB", "MSSC")
		if p.rnd.IntN(2) == 0 {
			in := &catalogue.IF005MeterRemoval{CustomBlock: catalogue.IF005MeterRemovalCustom{B039: catalogue.B039{
				MeterIDRemoved: pick(p.rnd, "M1", "M2"), MeterRemovalDate: ptr(midnight(p.day(-3, 0)))}}}
			return p.receive("IF-005 removal", in, ms, mpan)
		}
		d := p.day(-3, 0)
		in := &catalogue.IF005MeterInstall{CustomBlock: catalogue.IF005MeterInstallCustom{B906: catalogue.B906{
			ExistingMeter: catalogue.B033{MeterID: pick(p.rnd, "M1", "M2"), MeterType: catalogue.MeterTypeS2AD, MeterLocation: catalogue.MeterLocationA, MeterInstallationDate: midnight(d)},
			HistoryMAP:    []catalogue.B034{{MeterAssetProviderID: "MAPA", MeterAssetProviderEffectiveFromDate: midnight(d)}}}}}
		return p.receive("IF-005 install", in, ms, mpan)
	case 12:
		ms := pick(p.rnd, "MSSA", "MSSB", "SDSA")
		if p.rnd.IntN(2) == 0 {
			in := &catalogue.IF038DirectContractMSAdd{CustomBlock: catalogue.IF038DirectContractMSAddCustom{B020: catalogue.B020{
				CustomerDirectContractMeteringServiceEffectiveToDate: midnight(p.day(-2, 60))}}}
			if ms == "SDSA" {
				return p.receive("IF-038 DS add", &catalogue.IF038DirectContractDSAdd{CustomBlock: catalogue.IF038DirectContractDSAddCustom{B021: catalogue.B021{
					CustomerDirectContractDataServiceEffectiveToDate: midnight(p.day(-2, 60))}}}, ms, mpan)
			}
			return p.receive("IF-038 MS add", in, ms, mpan)
		}
		return p.receive("IF-038 MS remove", &catalogue.IF038DirectContractMSRemove{}, ms, mpan)
	default:
		if p.rnd.IntN(3) == 0 {
			var ch Change = AddressChange{Address{Postcode: "ZZ9 9ZZ"}}
			r := p.book.get(p.t, mpan)
			switch p.rnd.IntN(12) {
			case 0:
				ch = Disconnection{}
			case 1:
				ch = Reconnection{}
			case 2:
				ch = DomesticChange{p.rnd.IntN(2) == 0}
			}
			if r.Disconnected(market.FromTime(p.clock.In(market.London()))) && p.rnd.IntN(2) == 0 {
				ch = Reconnection{}
			}
			d, err := p.eng.Maintain(p.book, Maintenance{ID: fmt.Sprintf("M%d", p.n), At: p.clock, MPAN: mpan, From: p.day(0, 3), Change: ch})
			return fmt.Sprintf("maintain %T", ch), d, err
		}
		d, err := p.eng.Tick(p.book, mpan, p.clock)
		return "tick", d, err
	}
}

// receive delivers a message from a party as the DIP would: stamped,
// addressed, validated and decoded.
func (p *property) receive(what string, in catalogue.Payload, from string, mpan market.MPAN) (string, Decision, error) {
	sender := p.w.byAlias[from]
	ifc, _ := catalogue.Default().Interface(in.Variant().InterfaceID)
	role := ""
	for _, r := range sender.roles {
		if ifc.MaySend(string(r)) {
			role = string(r)
		}
	}
	if role == "" {
		role = string(sender.roles[0]) // the DIP would refuse it; REGS never sees it
		return what + " (not sent: wrong role)", Decision{Rejected: true}, nil
	}
	s := &catalogue.Sender{DIPID: sender.dipID, Role: role, Now: func() time.Time { return p.clock }}
	tx := fmt.Sprintf("PROP-%d-%d", p.seed, p.n)
	s.StampKey(in, p.clock, catalogue.Key(tx))
	c := in.Common()
	m0 := catalogue.M0{MPANCore: mpan, DistributorDIPID: p.dip("LDSA"), GSPGroupID: "_A"}
	if c.M1 != nil {
		*c.M1 = catalogue.M1{PrincipalMPAN: mpan, DistributorDIPID: m0.DistributorDIPID, GSPGroupID: m0.GSPGroupID}
	} else {
		*c.M0 = m0
	}
	*c.D0 = catalogue.D0{TransactionID: tx, TransactionTimestamp: market.At(p.clock), PublicationID: "PUB-" + in.Variant().InterfaceID[3:]}
	b, findings, err := catalogue.EncodeValid(in)
	if err != nil || len(findings) > 0 {
		return what, Decision{}, fmt.Errorf("the generator made an invalid %s: %v %v", variantKey(in), err, findings)
	}
	dec, err := catalogue.Default().Decode(b)
	if err != nil {
		return what, Decision{}, err
	}
	d, err := p.eng.Receive(p.book, Input{Payload: dec, TransactionID: tx, Timestamp: p.clock})
	return what + " from " + from, d, err
}

func (p *property) appointmentRequest(mpan market.MPAN, supplier string) (string, Decision, error) {
	scenario := pick(p.rnd, catalogue.AppointmentScenarioCOS, catalogue.AppointmentScenarioCOS, catalogue.AppointmentScenarioCSP,
		catalogue.AppointmentScenarioCSP, catalogue.AppointmentScenarioCSP, catalogue.AppointmentScenarioUSP, catalogue.AppointmentScenarioSEG,
		catalogue.AppointmentScenarioMCA, catalogue.AppointmentScenarioALG)
	from := p.day(-7, 12)
	if p.rnd.IntN(3) > 0 {
		from = p.day(0, 12)
	}
	r := p.book.get(p.t, mpan)
	var css *catalogue.B013
	if r.Switch != nil && p.rnd.IntN(5) < 3 {
		scenario = catalogue.AppointmentScenarioCOS // the gaining supplier's appointments
	}
	if scenario == catalogue.AppointmentScenarioCOS && r.Switch != nil && p.rnd.IntN(4) > 0 {
		css = &catalogue.B013{CSSRegistrationID: r.Switch.ID}
		if p.rnd.IntN(3) > 0 {
			from = r.Switch.From
			supplier = r.Switch.Supplier.MPID
		}
	}
	if p.rnd.IntN(2) == 0 {
		provider := pick(p.rnd, "MSSA", "MSSB", "MSSC", "MSSB", "MSSC", "MSAA", "SDSA")
		in := &catalogue.IF031MSApp{CustomBlock: catalogue.IF031MSAppCustom{B013: css, B070: catalogue.B070{
			ProposedMeteringServiceDIPID: p.dip(provider), ProposedMeteringServiceMPID: provider,
			ProposedMeteringServiceDIPEffectiveFromDate: midnight(from), AppointmentScenario: scenario}}}
		return p.receive(fmt.Sprintf("IF-031 MS %s %s %s", provider, scenario, from), in, supplier, mpan)
	}
	provider := pick(p.rnd, "SDSA", "SDSB", "SDSB", "SDSA", "ADSA", "MSSB")
	b := catalogue.B071{ProposedDataServiceDIPID: p.dip(provider), ProposedDataServiceMPID: provider,
		ProposedDataServiceDIPEffectiveFromDate: midnight(from), AppointmentScenario: scenario,
		SupplierProposedConsentGranularity: pick(p.rnd, catalogue.ConsentGranularityH, catalogue.ConsentGranularityD), SupplierProposedDomesticIndicator: true}
	if p.rnd.IntN(2) == 0 {
		mdr := pick(p.rnd, "MDRA", "MDRB", "SUPB")
		b.SupplierNominatedMDRDIPID, b.SupplierNominatedMDRMPID = ptr(p.dip(mdr)), ptr(mdr)
		b.SupplierNominatedMDREffectiveFromDate = ptr(midnight(from.AddDays(p.rnd.IntN(3) - 1)))
	}
	in := &catalogue.IF031DSApp{CustomBlock: catalogue.IF031DSAppCustom{B013: css, B071: b}}
	return p.receive(fmt.Sprintf("IF-031 DS %s %s %s", provider, scenario, from), in, supplier, mpan)
}

// providerResponse answers a pending proposal (or, now and then, one that
// does not exist).
func (p *property) providerResponse(mpan market.MPAN) (string, Decision, error) {
	r := p.book.get(p.t, mpan)
	var pr Proposal
	if len(r.Proposals) == 0 && p.rnd.IntN(5) > 0 {
		return p.appointmentRequest(mpan, "SUPA")
	}
	var open []Proposal
	for _, x := range r.Proposals {
		if !x.Accepted {
			open = append(open, x)
		}
	}
	if len(open) > 0 && p.rnd.IntN(10) > 0 {
		pr = pick(p.rnd, open...)
	} else {
		pr = Proposal{Supplier: p.party("SUPA"), Proposed: catalogue.Appointment{Kind: catalogue.MeteringService, DIPID: p.dip("MSSB"), MPID: "MSSB",
			From: midnight(p.day(0, 5)), Scenario: catalogue.AppointmentScenarioCSP}}
	}
	b007 := catalogue.B007{ResponseCode: pick(p.rnd, catalogue.ResponseCodeA, catalogue.ResponseCodeA, catalogue.ResponseCodeR)}
	var in catalogue.Proposal
	if pr.Proposed.Kind == catalogue.DataService {
		in = &catalogue.IF034DSAppSPResponse{CustomBlock: catalogue.IF034DSAppSPResponseCustom{B007: b007, B012: b012(pr.Supplier)}}
	} else {
		in = &catalogue.IF034MSAppSPResponse{CustomBlock: catalogue.IF034MSAppSPResponseCustom{B007: b007, B012: b012(pr.Supplier)}}
	}
	in.SetProposed(pr.Proposed)
	from := p.w.name(pr.Proposed.DIPID)
	return p.receive(fmt.Sprintf("IF-034 %s %s", b007.ResponseCode, pr.Proposed.Scenario), in, from, mpan)
}

func (p *property) cssEvent(mpan market.MPAN, supplier string) (string, Decision, error) {
	r := p.book.get(p.t, mpan)
	ev := CSSEvent{ID: fmt.Sprintf("E%d", p.n), At: p.clock, MPAN: mpan}
	if r.Switch != nil && p.rnd.IntN(8) > 0 {
		ev.RegistrationID = r.Switch.ID
	} else {
		ev.RegistrationID = fmt.Sprintf("CSS-%d", p.n)
	}
	if sw := r.Switch; sw != nil && p.rnd.IntN(3) > 0 {
		// Mostly the switch's next event.
		ev.RegistrationID = sw.ID
		switch sw.State {
		case SwitchPending:
			ev.Kind = pick(p.rnd, CSSSecured, CSSSecured, CSSObjectionRaised, CSSAnnulment)
		case SwitchObjected:
			ev.Kind, ev.Upheld = CSSObjectionResolved, p.rnd.IntN(3) == 0
		default:
			ev.Kind = CSSSecuredActive
			if today := market.FromTime(p.clock.In(market.London())); today.Before(sw.From) && p.rnd.IntN(2) == 0 {
				p.clock = market.LocalMidnight(sw.From).Add(time.Duration(p.rnd.IntN(3)) * time.Hour)
				ev.At = p.clock
			}
		}
		d, err := p.eng.CSS(p.book, ev)
		return fmt.Sprintf("CSS %s %s", ev.Kind, ev.RegistrationID), d, err
	}
	switch p.rnd.IntN(10) {
	case 0, 1, 2, 3:
		if cur, ok := r.Supplier.At(market.FromTime(p.clock.In(market.London()))); ok && cur.MPID == supplier && p.rnd.IntN(5) > 0 {
			supplier = map[string]string{"SUPA": "SUPB", "SUPB": "SUPC", "SUPC": "SUPA"}[supplier]
		}
		ev.Kind, ev.Supplier, ev.From = CSSPendingSwitch, p.party(supplier), p.day(-1, 8)
	case 4:
		ev.Kind = CSSSecured
	case 5:
		ev.Kind = CSSSecuredActive
	case 6:
		ev.Kind = CSSAnnulment
	case 7:
		ev.Kind = CSSObjectionRaised
	case 8:
		ev.Kind, ev.Upheld = CSSObjectionResolved, p.rnd.IntN(2) == 0
	default:
		if p.rnd.IntN(10) > 0 {
			ev.Kind = CSSSecured
		} else {
			ev.Kind, ev.From = CSSDeregistration, p.day(0, 5)
		}
	}
	d, err := p.eng.CSS(p.book, ev)
	return fmt.Sprintf("CSS %s %s", ev.Kind, ev.RegistrationID), d, err
}

func (p *property) relationship(supplier string) (string, Decision, error) {
	subs := []catalogue.B090{{SubsidiaryMPAN: pick(p.rnd, propExport, propImport2, propImport1)}}
	custom := catalogue.IF019Custom{B090List: subs}
	principal := pick(p.rnd, propImport1, propImport1, propImport2)
	var in catalogue.Payload
	switch p.rnd.IntN(6) {
	case 0:
		in = &catalogue.IF019LinkedImportExportCreate{CustomBlock: custom}
	case 1:
		in = &catalogue.IF019LinkedImportExportAdd{CustomBlock: custom}
	case 2:
		in = &catalogue.IF019LinkedImportExportRemove{CustomBlock: custom}
	case 3:
		in = &catalogue.IF019RelatedCreate{CustomBlock: custom}
	case 4:
		in = &catalogue.IF019RelatedAdd{CustomBlock: custom}
	default:
		in = &catalogue.IF019RelatedRemove{CustomBlock: custom}
	}
	return p.receive(variantKey(in), in, supplier, principal)
}

// invariants checks one registration.
func (p *property) invariants(r *Registration) error {
	// Its JSON form is faithful.
	doc, err := r.Encode()
	if err != nil {
		return err
	}
	back, err := Decode(doc)
	if err != nil {
		return err
	}
	if doc2, _ := back.Encode(); !bytes.Equal(doc, doc2) {
		return fmt.Errorf("the JSON form does not round-trip")
	}
	// Mandatory data has no gaps from creation.
	for name, ranges := range map[string][]market.Range{
		"gsp": rangesOf(&r.GSP), "address": rangesOf(&r.Address), "connection": rangesOf(&r.Connection),
		"direction": rangesOf(&r.Direction), "metered": rangesOf(&r.Metered), "duos": rangesOf(&r.DUoSTariff),
		"energisation": rangesOf(&r.Energisation), "segment": rangesOf(&r.Segment), "domestic": rangesOf(&r.Domestic),
		"rmp": rangesOf(&r.RMP), "mp": rangesOf(&r.MP), "migrated": rangesOf(&r.Migrated),
	} {
		if len(ranges) == 0 || ranges[0].From.After(r.Created) || !contiguous(ranges) || !ranges[len(ranges)-1].IsOpen() {
			return fmt.Errorf("%s has a gap: %v", name, ranges)
		}
	}
	// The supplier has no gap while the MPAN is registered: it ends only
	// with a de-registration.
	sup := rangesOf(&r.Supplier)
	if !contiguous(sup) {
		return fmt.Errorf("the supplier has a gap: %v", sup)
	}
	if len(sup) > 0 && !sup[len(sup)-1].IsOpen() {
		end := sup[len(sup)-1].To.AddDays(1)
		if s, ok := r.RMP.At(end); !ok || s != catalogue.RMPStatusT {
			return fmt.Errorf("the supplier ends %s without a de-registration", end)
		}
	}
	// Appointments: within the supplier's registration, made by the
	// supplier of their first day (unless aligned); an MDR only with a
	// data service. One value a day per history means no overlaps.
	for _, k := range []catalogue.ServiceKind{catalogue.MeteringService, catalogue.DataService} {
		for _, a := range r.appointments(k).Ranges() {
			if !covers(sup, a.Range) {
				return fmt.Errorf("%s appointment %s of %s falls outside the supplier's registration %v", k, a.Range, a.Value.DIPID, sup)
			}
			s, _ := r.Supplier.At(a.From)
			if a.Value.Scenario != catalogue.AppointmentScenarioALG && a.Value.By != s.DIPID {
				return fmt.Errorf("%s appointment %s was made by %s, not the supplier %s", k, a.Range, a.Value.By, s.DIPID)
			}
		}
	}
	ds := rangesOf(&r.DS)
	for _, m := range r.MDR.Ranges() {
		if !covers(ds, m.Range) {
			return fmt.Errorf("MDR %s serves %s with no data service %v", m.Value.DIPID, m.Range, ds)
		}
	}
	// Pending appointments belong to a switch REGS holds, or has made.
	for _, pr := range r.Proposals {
		if pr.CSSRegistrationID == "" {
			continue
		}
		pending := r.Switch != nil && r.Switch.ID == pr.CSSRegistrationID
		s, _ := r.Supplier.At(pr.From())
		if !pending && (pr.Accepted || s.CSSRegistrationID != pr.CSSRegistrationID) {
			return fmt.Errorf("proposal %s belongs to switch %s, which REGS neither holds nor made", pr.ID, pr.CSSRegistrationID)
		}
	}
	// A relationship is the same group on each of its MPANs.
	today := market.FromTime(p.clock.In(market.London()))
	for _, h := range []func(*Registration) *market.History[Group]{
		func(x *Registration) *market.History[Group] { return &x.Linked },
		func(x *Registration) *market.History[Group] { return &x.Related },
	} {
		g, ok := h(r).At(today)
		if !ok {
			continue
		}
		if !g.Has(r.MPAN) {
			return fmt.Errorf("holds a group it is not in: %v", g)
		}
		for _, m := range append([]market.MPAN{g.Principal}, g.Members...) {
			o := p.book.get(p.t, m)
			if og, _ := h(o).At(today); og.Principal != g.Principal || !slices.Equal(og.Members, g.Members) {
				return fmt.Errorf("group %v, but %s holds %v", g, m, og)
			}
		}
	}
	return nil
}

func rangesOf[T any](h *market.History[T]) []market.Range {
	var out []market.Range
	for _, e := range h.Ranges() {
		out = append(out, e.Range)
	}
	return out
}

// contiguous reports whether the ranges follow each other with no gap.
func contiguous(rs []market.Range) bool {
	for i := 1; i < len(rs); i++ {
		if rs[i-1].IsOpen() || rs[i-1].To.AddDays(1) != rs[i].From {
			return false
		}
	}
	return true
}

// covers reports whether the union of the ranges (contiguous, in order)
// contains r.
func covers(rs []market.Range, r market.Range) bool {
	for _, x := range rs {
		if x.Contains(r.From) {
			if r.IsOpen() {
				return x.IsOpen() || covers(rs, market.OpenRange(x.To.AddDays(1)))
			}
			return x.Contains(r.To) || covers(rs, market.Range{From: x.To.AddDays(1), To: r.To})
		}
	}
	return false
}
