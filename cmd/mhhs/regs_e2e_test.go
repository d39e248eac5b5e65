package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/regs"
	"github.com/mhhs/mhhs/internal/sim"
	"github.com/mhhs/mhhs/internal/simparty"
	"github.com/mhhs/mhhs/internal/sqlite"
)

// TestChangeOfSupplierOverHTTP runs a change of supplier with its agent
// appointments through the real DIP over HTTP: mhhs serve with REGS in
// process; the gaining supplier, its metering service and its data
// service each their own process (mhhs service sim-supplier, sim-mss,
// sim-sds), receiving on signed webhooks and sending through the API.
// CSS's events come from the operator's command (mhhs regs css). The
// gaining supplier learns of the switch (IF-002) and appoints the MPAN's
// services (IF-031 COS), REGS asks them (IF-033), they accept (IF-034),
// and once the switch is secured-active REGS registers the supplier
// (IF-001) and makes the appointments active (IF-036); the registration
// then holds the new supplier and its appointments from the switch's day,
// which the gaining supplier reads from REGS's API and the losing one may
// not.
func TestChangeOfSupplierOverHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs four processes")
	}
	const (
		oldSup, newSup = "2300000001", "2300000002"
		msID, dsID     = "1200000009", "1100000009"
		ldso           = "2500000012"
		target         = market.MPAN("1200023305967")
	)
	bin := buildBinary(t)
	data := t.TempDir()
	old := addPartyOn(t, data, "", "", oldSup, "SUP")
	gaining := addPartyOn(t, data, "", "", newSup, "SUP")
	ms := addPartyOn(t, data, "", "", msID, "MSS")
	ds := addPartyOn(t, data, "", "", dsID, "SDS")
	addPartyOn(t, data, "", "", ldso, "LDSO")

	// REGS's data and the DIP's routing before the DIP starts: the MPAN
	// supplied by oldSup since 2025, served by msID and dsID.
	ctx := context.Background()
	start := market.NewSettlementDate(2025, 1, 1)
	r := simparty.Registration(sim.Site{MPAN: target, GSPGroup: "_B", Distributor: sim.Party{DIPID: ldso, MPID: "LDSO"},
		Segment: market.SegmentSmart, Domestic: true, Connection: market.ConnectionWholeCurrent, Direction: sim.Import, LLFC: "A01",
		Energisation: market.Energised, Supplier: sim.Party{DIPID: oldSup, MPID: "OLDS"},
		MeteringService: sim.Party{DIPID: msID, MPID: "MSSX"}, DataService: sim.Party{DIPID: dsID, MPID: "SDSX"}}, start)
	svc, err := sqlite.OpenServices(ctx, filepath.Join(data, "services.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Regs().Load(ctx, []*regs.Registration{r}); err != nil {
		t.Fatal(err)
	}
	svc.Close()
	store, err := sqlite.Open(ctx, filepath.Join(data, "mhhs.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.LoadParties(ctx, []dip.Parties{partiesOf(r, market.FromTime(time.Now()))}, time.Now()); err != nil {
		t.Fatal(err)
	}
	store.Close()

	srv := startServeProcess(t, bin, data, "", "--services", "regs")
	dirs := map[string]string{}
	for _, p := range []struct {
		service string
		who     *party
	}{{"sim-supplier", gaining}, {"sim-mss", ms}, {"sim-sds", ds}} {
		dirs[p.service] = t.TempDir()
		startServiceProcess(t, bin, p.service, "--dip-url", srv.url, "--dip-id", p.who.id, "--key-file", p.who.keyFile, "--cert-file", p.who.certFile,
			"--api-key-file", p.who.keyPath, "--listen", "127.0.0.1:0", "--data", dirs[p.service])
	}
	tally := func(service string) map[string]int {
		return sqliteTally(t, filepath.Join(dirs[service], "services.db"), service).Messages
	}

	// The simulated supplier knows the day of a switch it asked for from
	// the simulated CSS's registration id.
	from := market.FromTime(time.Now().In(market.London())).AddDays(3)
	cssID := simparty.SwitchID(target, from)
	css := func(kind string, extra ...string) {
		t.Helper()
		args := append([]string{"regs", "css", kind, "--data", data, "--mpan", string(target), "--id", "E-" + kind, "--registration", cssID}, extra...)
		if code, out, errOut := runCLI(t, "", args...); code != exitOK {
			t.Fatalf("regs css %s: exit %d %s %s", kind, code, out, errOut)
		}
	}
	css("pending", "--supplier", newSup+"/NEWS", "--from", from.String())
	waitFor(t, "both agents to accept and the supplier to hear it", func() bool {
		s, m, d := tally("sim-supplier"), tally("sim-mss"), tally("sim-sds")
		return s["IF-002 [GainMPANInfo]"] == 1 && s["IF-035 [MSAppAccepted]"] == 1 && s["IF-035 [DSAppAccepted]"] == 1 &&
			m["IF-033 [MSAppSPRequest]"] == 1 && d["IF-033 [DSAppSPRequest]"] == 1
	})
	css("secured")
	// CSS makes the switch active on its day; the test sends that event
	// now, dated as CSS would date it.
	css("secured-active", "--at", market.LocalMidnight(from).Add(5*time.Minute).Format(time.RFC3339))
	waitFor(t, "the switch to reach the supplier and the agents", func() bool {
		s, m, d := tally("sim-supplier"), tally("sim-mss"), tally("sim-sds")
		return s["IF-001 [ChangeOfSupplier]"] == 1 && m["IF-036 [MSAppActive]"] == 1 && d["IF-036 [DSAppActive]"] == 1
	})
	if s := tally("sim-supplier"); s["IF-032 [MSAppInitialResp]"] != 1 || s["IF-032 [DSAppInitialResp]"] != 1 {
		t.Errorf("the supplier's first answers from REGS: %v", s)
	}

	// The registration as at the switch's day, asked through the DIP's API
	// by the gaining supplier.
	snap, err := clientFor(t, srv.url, gaining).Registration(ctx, target, from)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Supplier.DIPID != newSup || snap.Supplier.CSSRegistrationID != cssID ||
		snap.MS.DIPID != msID || snap.MS.By != newSup || snap.MS.Scenario != catalogue.AppointmentScenarioCOS ||
		snap.DS.DIPID != dsID || snap.DS.By != newSup || snap.DS.Scenario != catalogue.AppointmentScenarioCOS {
		t.Errorf("the registration as at %s: %+v", from, snap)
	}
	before, err := clientFor(t, srv.url, old).Registration(ctx, target, from.AddDays(-1))
	if err != nil || before.Supplier.DIPID != oldSup {
		t.Errorf("the losing supplier's view of the day before: %+v %v", before, err)
	}
	if _, err := clientFor(t, srv.url, old).Registration(ctx, target, from); err == nil || !strings.Contains(err.Error(), "MSG4004") {
		t.Errorf("the losing supplier read the registration after its supply ended: %v", err)
	}
}
