package catalogue

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/mhhs/mhhs/internal/market"
)

// TestFamilies: every variant whose CustomBlock requires a provider block
// implements its family's view, reading and writing that block, so that
// one handler serves both twins.
func TestFamilies(t *testing.T) {
	views := []struct {
		blocks map[string]ServiceKind
		check  func(p Payload) (ServiceKind, bool)
	}{
		{map[string]ServiceKind{"B070": MeteringService, "B071": DataService}, func(p Payload) (ServiceKind, bool) {
			x, ok := p.(Proposal)
			if !ok {
				return "", false
			}
			a := Appointment{DIPID: "1300000001", MPID: "ABCD", From: market.MidnightOf(market.NewSettlementDate(2026, 5, 1)), Scenario: AppointmentScenarioCSP}
			x.SetProposed(a)
			got := x.Proposed()
			return got.Kind, got.DIPID == a.DIPID && got.MPID == a.MPID && got.From.Equal(a.From) && got.Scenario == a.Scenario
		}},
		{map[string]ServiceKind{"B014": MeteringService, "B015": DataService}, func(p Payload) (ServiceKind, bool) {
			x, ok := p.(Activation)
			if !ok {
				return "", false
			}
			x.SetIncoming(Appointment{DIPID: "1300000002"})
			return x.Incoming().Kind, x.Incoming().DIPID == "1300000002"
		}},
		{map[string]ServiceKind{"B008": MeteringService, "B009": DataService}, func(p Payload) (ServiceKind, bool) {
			x, ok := p.(Retirement)
			if !ok {
				return "", false
			}
			x.SetDeAppointed(DeAppointment{DIPID: "1300000003", Reason: DeAppointmentReasonCSUPP})
			d := x.DeAppointed()
			return d.Kind, d.DIPID == "1300000003" && d.Reason == DeAppointmentReasonCSUPP
		}},
	}
	n := 0
	for _, v := range allVariants() {
		if v.Custom == nil {
			continue
		}
		for _, view := range views {
			for blk, kind := range view.blocks {
				if !slices.Contains(v.Custom.Required, blk) {
					continue
				}
				n++
				p, _ := New(v)
				got, ok := view.check(p)
				if !ok || got != kind {
					t.Errorf("%s %s (requires %s): view kind %q, round trip %v; want %q", v.InterfaceID, v.EventCode, blk, got, ok, kind)
				}
			}
		}
	}
	if n < 20 {
		t.Errorf("checked %d variants; the appointment interfaces have more", n)
	}
	// A twin's view reads its own block: the MS variant's proposal is the
	// metering service named in B070.
	m := &IF031MSApp{}
	m.CustomBlock.B070.ProposedMeteringServiceDIPID = "1300000009"
	var p Proposal = m
	if p.Proposed().DIPID != "1300000009" || p.Proposed().Kind != MeteringService {
		t.Errorf("IF-031 [MSApp] proposal = %+v", p.Proposed())
	}
}

// TestFamilyViewsLoseNothing: copying a full example's block through its
// family view into an empty payload of the same variant reproduces the
// block exactly, so no value of B070/B071, B014/B015 or B008/B009 is left
// out of the views.
func TestFamilyViewsLoseNothing(t *testing.T) {
	n := 0
	for _, v := range allVariants() {
		if v.Custom == nil {
			continue
		}
		for _, blk := range []string{"B070", "B071", "B014", "B015", "B008", "B009"} {
			if !slices.Contains(v.Custom.Required, blk) {
				continue
			}
			full, err := Default().Decode(Default().Example(v, ExampleOptions{Full: true}))
			if err != nil {
				t.Fatal(err)
			}
			empty, _ := New(v)
			switch x := full.(type) {
			case Proposal:
				empty.(Proposal).SetProposed(x.Proposed())
			case Activation:
				empty.(Activation).SetIncoming(x.Incoming())
			case Retirement:
				empty.(Retirement).SetDeAppointed(x.DeAppointed())
			}
			if a, b := customBlock(t, full, blk), customBlock(t, empty, blk); a != b {
				t.Errorf("%s %s: %s through the view\n got %s\nwant %s", v.InterfaceID, v.EventCode, blk, b, a)
			}
			n++
		}
	}
	if n < 20 {
		t.Errorf("checked %d blocks", n)
	}
}

func customBlock(t *testing.T, p Payload, blk string) string {
	t.Helper()
	b, err := json.Marshal(reflect.ValueOf(p).Elem().FieldByName("CustomBlock").FieldByName(blk).Interface())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
