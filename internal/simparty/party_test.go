package simparty_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/catalogue/cataloguetest"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/simparty"
	"github.com/mhhs/mhhs/internal/sqlite"
)

func openStore(t *testing.T, path string) participant.Store {
	t.Helper()
	s, err := sqlite.OpenServices(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Store("sim-supplier")
}

// delivery is an IF-021 as the DIP delivers it to the supplier.
func delivery(t *testing.T, tx string) (participant.Delivery, market.Energy) {
	t.Helper()
	m := cataloguetest.IF021("1200000001", "2500000012", "S-IF-021-1200000001-SDS-20260116-"+tx, "1200023305967")
	var total market.Energy
	for _, p := range m.CustomBlock.B900.SettlementDayConsumptionPeriods[0].ConsumptionPeriods {
		total += p.V
	}
	b, err := catalogue.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return participant.Delivery{Channel: "IF-021", Event: "[ActivePower]", TransactionID: "T-" + tx, Role: "SUP", MPAN: "1200023305967", Payload: b}, total
}

// TestSupplierRecordsOnce: the supplier adds each IF-021's energy once, also
// when the DIP delivers it again (after a crash between the supplier's
// commit and its answer), and across a restart.
func TestSupplierRecordsOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "services.db")
	sup := simparty.NewSupplier("2300000001", openStore(t, path))
	d1, e := delivery(t, "1")
	d2, _ := delivery(t, "2")
	ctx := context.Background()
	for _, batch := range [][]participant.Delivery{{d1}, {d1, d2}, {d2}} {
		for _, c := range sup.Handle(ctx, batch) {
			if c != participant.Accept {
				t.Fatalf("answer %s, want accepted", c)
			}
		}
	}
	restarted := simparty.NewSupplier("2300000001", openStore(t, path))
	restarted.Handle(ctx, []participant.Delivery{d1})
	tally, err := restarted.Tally(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := tally.Energy["1200023305967"]; got != 2*e || tally.Messages["IF-021 [ActivePower]"] != 2 {
		t.Errorf("energy %s kWh over %d messages; want %s over 2 (each delivery once)", got, tally.Messages["IF-021 [ActivePower]"], 2*e)
	}
	if tally.Last["IF-021"] != "T-2" {
		t.Errorf("last = %q", tally.Last["IF-021"])
	}
}

// TestSupplierRejectsWhatItCannotRead: a payload the validator refuses is
// rejected with its code and changes nothing.
func TestSupplierRejectsWhatItCannotRead(t *testing.T) {
	sup := simparty.NewSupplier("2300000001", openStore(t, filepath.Join(t.TempDir(), "services.db")))
	d, _ := delivery(t, "9")
	d.Payload = []byte(`{"CommonBlock":{}}`)
	codes := sup.Handle(context.Background(), []participant.Delivery{d})
	if codes[0] == participant.Accept || codes[0] == participant.Retry {
		t.Errorf("answer %s, want a rejection", codes[0])
	}
	tally, _ := sup.Tally(context.Background())
	if len(tally.Messages) != 0 {
		t.Errorf("a rejected delivery was recorded: %v", tally.Messages)
	}
}

func TestChannels(t *testing.T) {
	ldso := simparty.NewLDSO("2500000012", nil)
	chs := ldso.Channels()
	has := map[string]bool{}
	for _, c := range chs {
		has[c] = true
	}
	if !has["IF-021"] || !has["IF-001"] || has["IF-031"] {
		t.Errorf("LDSO channels %v: want IF-021 and IF-001, not IF-031", chs)
	}
}
