package simparty_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/sim"
	"github.com/mhhs/mhhs/internal/simparty"
)

// delivered is a catalogue example of iface/event from REGS, changed by
// edit and encoded as the DIP delivers it.
func delivered[T catalogue.Payload](t *testing.T, iface, event, tx string, edit func(T)) participant.Delivery {
	t.Helper()
	c := catalogue.Default()
	v, ok := c.Variant(iface, event)
	if !ok {
		t.Fatalf("no %s %s", iface, event)
	}
	p, err := c.Decode(c.Example(v, catalogue.ExampleOptions{Full: true, SenderDIPID: "1500000001", SenderRole: "REGS"}))
	if err != nil {
		t.Fatal(err)
	}
	m := p.(T)
	edit(m)
	b, findings, err := catalogue.EncodeValid(m)
	if err != nil || len(findings) > 0 {
		t.Fatal(err, findings)
	}
	return participant.Delivery{Channel: iface, Event: event, TransactionID: tx, MPAN: string(m.Common().M0.MPANCore), Payload: b}
}

// outbox decodes what a party queued.
func outbox(t *testing.T, st participant.Store) []catalogue.Payload {
	t.Helper()
	out, err := st.Pending(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var ps []catalogue.Payload
	for _, o := range out {
		p, err := catalogue.Default().Decode(o.Payload)
		if err != nil {
			t.Fatalf("queued %s does not validate: %v", o.Channel, err)
		}
		ps = append(ps, p)
	}
	return ps
}

// TestSupplierAppointsOnGain: a simulated supplier told it gains an MPAN
// (IF-002) asks REGS to appoint its metering and data services with
// scenario COS from the switch's day, naming the switch; once, also when
// the DIP delivers the IF-002 again.
func TestSupplierAppointsOnGain(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "services.db"))
	sup := simparty.NewSupplier("2300000001", st)
	sup.Sender = &catalogue.Sender{DIPID: "2300000001", Role: "SUP"}
	from := market.NewSettlementDate(2026, 3, 2)
	css := simparty.SwitchID("1200023305967", from)
	sup.Agents = func(mpan market.MPAN, d market.SettlementDate) (simparty.Appointments, bool) {
		if mpan != "1200023305967" || d != from {
			t.Errorf("Agents asked for %s from %s", mpan, d)
		}
		return simparty.Appointments{MS: sim.Party{MPID: "MSSA", DIPID: "2200000001"}, DS: sim.Party{MPID: "SDSA", DIPID: "2100000001"},
			MDR: sim.Party{MPID: "MDRA", DIPID: "2400000001"}, Consent: catalogue.ConsentGranularityH, Domestic: true}, true
	}
	d := delivered(t, "IF-002", "[GainMPANInfo]", "T-1", func(m *catalogue.IF002GainMPANInfo) {
		m.CustomBlock.B013.CSSRegistrationID = css
	})
	for range 2 {
		if codes := sup.Handle(context.Background(), []participant.Delivery{d}); codes[0] != participant.Accept {
			t.Fatalf("IF-002 answered %s", codes[0])
		}
	}
	got := outbox(t, st)
	if len(got) != 2 {
		t.Fatalf("queued %d messages, want IF-031 [MSApp] and [DSApp] once", len(got))
	}
	for _, p := range got {
		req, ok := p.(catalogue.Proposal)
		if !ok || p.Variant().InterfaceID != "IF-031" {
			t.Fatalf("queued %s %s", p.Variant().InterfaceID, p.Variant().EventCode)
		}
		a := req.Proposed()
		if a.Scenario != catalogue.AppointmentScenarioCOS || !a.From.Equal(market.MidnightOf(from)) {
			t.Errorf("%s proposes %s from %s, want COS from %s", p.Variant().EventCode, a.Scenario, a.From, from)
		}
		if s1 := p.Common().S1; s1.SenderDIPID != "2300000001" {
			t.Errorf("sent as %s", s1.SenderDIPID)
		}
		switch m := p.(type) {
		case *catalogue.IF031MSApp:
			if a.DIPID != "2200000001" || m.CustomBlock.B013 == nil || m.CustomBlock.B013.CSSRegistrationID != css {
				t.Errorf("MS request: %+v, B013 %+v", a, m.CustomBlock.B013)
			}
		case *catalogue.IF031DSApp:
			if a.DIPID != "2100000001" || a.NominatedMDR == nil || *a.NominatedMDR != "2400000001" || !a.Domestic {
				t.Errorf("DS request: %+v", a)
			}
		}
	}
}

// TestSupplierIgnoresForeignSwitch: a switch the simulated CSS did not
// make carries no day the supplier knows: it records the IF-002 and
// appoints nothing.
func TestSupplierIgnoresForeignSwitch(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "services.db"))
	sup := simparty.NewSupplier("2300000001", st)
	sup.Sender = &catalogue.Sender{DIPID: "2300000001", Role: "SUP"}
	d := delivered(t, "IF-002", "[GainMPANInfo]", "T-1", func(m *catalogue.IF002GainMPANInfo) {
		m.CustomBlock.B013.CSSRegistrationID = "CSS-0002"
	})
	if codes := sup.Handle(context.Background(), []participant.Delivery{d}); codes[0] != participant.Accept {
		t.Fatalf("IF-002 answered %s", codes[0])
	}
	if got := outbox(t, st); len(got) != 0 {
		t.Errorf("queued %d messages for a switch it cannot date", len(got))
	}
}

// TestProviderAcceptsAppointment: a simulated service provider asked by
// REGS to serve an MPAN (IF-033) accepts (IF-034 A) the same appointment,
// for the same supplier and switch, answering REGS.
func TestProviderAcceptsAppointment(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "services.db"))
	ds := &simparty.Party{DIPID: "2100000001", Role: "SDS", Store: st, Sender: &catalogue.Sender{DIPID: "2100000001", Role: "SDS"}}
	var want catalogue.Appointment
	d := delivered(t, "IF-033", "[DSAppSPRequest]", "T-9", func(m *catalogue.IF033DSAppSPRequest) {
		m.CustomBlock.B013 = &catalogue.B013{CSSRegistrationID: "CSS-7"}
		want = m.Proposed()
	})
	ds.Handle(context.Background(), []participant.Delivery{d, d})
	got := outbox(t, st)
	if len(got) != 1 {
		t.Fatalf("queued %d messages, want one IF-034", len(got))
	}
	r, ok := got[0].(*catalogue.IF034DSAppSPResponse)
	if !ok {
		t.Fatalf("queued %s %s", got[0].Variant().InterfaceID, got[0].Variant().EventCode)
	}
	if r.CustomBlock.B007.ResponseCode != catalogue.ResponseCodeA || r.CustomBlock.B013 == nil || r.CustomBlock.B013.CSSRegistrationID != "CSS-7" {
		t.Errorf("IF-034: %+v %+v", r.CustomBlock.B007, r.CustomBlock.B013)
	}
	if a := r.Proposed(); a.DIPID != want.DIPID || !a.From.Equal(want.From) || a.Scenario != want.Scenario {
		t.Errorf("accepted %+v, want %+v", a, want)
	}
	if to := r.CommonBlock.A0.PrimaryRecipients; len(to) != 1 || to[0] != "1500000001" {
		t.Errorf("IF-034 addressed to %v, want REGS 1500000001", to)
	}
}
