package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/regs"
	"github.com/mhhs/mhhs/internal/sqlite"
)

// TestRegsCommands: an operator loads REGS (and the DIP's routing) from the
// synthetic market, asks as-at questions, and queues a CSS event; bad
// input is a usage error, an MPAN REGS does not hold a failure.
func TestRegsCommands(t *testing.T) {
	data := t.TempDir()
	code, out, errOut := runCLI(t, "", "regs", "load", "--data", data, "--sites", "200", "--through", "2025-03-01", "--dip")
	if code != exitOK {
		t.Fatalf("load: exit %d: %s", code, errOut)
	}
	m := regexp.MustCompile(`loaded (\d+) registrations.*\n.*parties of (\d+) MPANs`).FindStringSubmatch(out)
	if m == nil || m[1] != m[2] || m[1] == "0" {
		t.Fatalf("load said:\n%s", out)
	}
	// The loaded registrations, read back from REGS's store, and the
	// DIP's routing of one of them.
	ctx := context.Background()
	svc, err := sqlite.OpenServices(ctx, filepath.Join(data, "services.db"))
	if err != nil {
		t.Fatal(err)
	}
	due, err := svc.Regs().Due(ctx, time.Now().AddDate(10, 0, 0), 1)
	svc.Close()
	if err != nil || len(due) != 0 {
		t.Errorf("loaded registrations due %v (%v); want none", due, err)
	}
	code, out, errOut = runCLI(t, "", "regs", "show", "--data", data, "--at", "2025-02-01", "--json", mpanOf(t, data))
	if code != exitOK {
		t.Fatalf("show: exit %d: %s", code, errOut)
	}
	var snap regs.Snapshot
	if err := json.Unmarshal([]byte(out), &snap); err != nil || snap.Supplier.DIPID == "" || snap.Day != market.NewSettlementDate(2025, 2, 1) {
		t.Fatalf("show --json: %v\n%s", err, out)
	}
	store, err := sqlite.Open(ctx, filepath.Join(data, "mhhs.db"))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := store.Parties(ctx, []string{string(snap.MPAN)})
	store.Close()
	if err != nil || ps[string(snap.MPAN)].Supplier != snap.Supplier.DIPID {
		t.Errorf("the DIP routes %s to supplier %q (%v); REGS has %s", snap.MPAN, ps[string(snap.MPAN)].Supplier, err, snap.Supplier.DIPID)
	}
	code, out, _ = runCLI(t, "", "regs", "show", "--data", data, "--at", "2025-02-01", string(snap.MPAN))
	if code != exitOK || !strings.Contains(out, "supplier") || !strings.Contains(out, snap.Supplier.MPID) {
		t.Errorf("show: exit %d\n%s", code, out)
	}

	code, out, errOut = runCLI(t, "", "regs", "css", "pending", "--data", data, "--mpan", string(snap.MPAN), "--id", "E1",
		"--registration", "CSS-9", "--supplier", "2300000099/ZZZZ", "--from", "2025-03-10", "--at", "2025-03-02T09:00:00Z")
	if code != exitOK || !strings.Contains(out, "queued CSS event E1") {
		t.Fatalf("css: exit %d %s %s", code, out, errOut)
	}
	svc, err = sqlite.OpenServices(ctx, filepath.Join(data, "services.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	in, err := svc.Regs().Inputs(ctx, 10)
	if err != nil || len(in) != 1 || in[0].Key != "css:E1" {
		t.Fatalf("queued inputs %v (%v); want css:E1", in, err)
	}

	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"regs", "show", "--data", data, "1200023305967"}, exitFail},  // not held
		{[]string{"regs", "show", "--data", data, "1200023305968"}, exitUsage}, // check digit
		{[]string{"regs", "show", "--data", data, "--at", "2025-02-30", snap.MPAN.String()}, exitUsage},
		{[]string{"regs", "show", "--data", t.TempDir(), "1200023305967"}, exitFail}, // no store
		{[]string{"regs", "css", "pending", "--data", data, "--mpan", snap.MPAN.String(), "--id", "E2", "--registration", "R"}, exitUsage},
		{[]string{"regs", "css", "teleport", "--data", data, "--mpan", snap.MPAN.String(), "--id", "E3", "--registration", "R"}, exitUsage},
		{[]string{"regs", "load", "--data", data}, exitUsage},
	} {
		if code, _, errOut := runCLI(t, "", c.args...); code != c.code {
			t.Errorf("%v: exit %d, want %d (%s)", c.args, code, c.code, errOut)
		}
	}
}

// mpanOf returns an MPAN REGS holds in data: one of the sites of the
// default synthetic market (seed 1) connected before it starts.
func mpanOf(t *testing.T, data string) string {
	t.Helper()
	svc, err := sqlite.OpenServices(context.Background(), filepath.Join(data, "services.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	for _, c := range []string{"1472863268890", "1110459426849", "1117738012320"} {
		if _, err := svc.Regs().Registration(context.Background(), market.MPAN(c)); err == nil {
			return c
		}
	}
	t.Fatal("none of the known MPANs loaded")
	return ""
}

// TestPartiesOf: the DIP's parties of a registration as at a day are the
// day's supplier and services, with the changes REGS holds for later
// days pending: a new supplier from its day, an appointment ending the
// day after its last.
func TestPartiesOf(t *testing.T) {
	d := func(m, day int) market.SettlementDate { return market.NewSettlementDate(2025, time.Month(m), day) }
	r := &regs.Registration{MPAN: "1200023305967"}
	r.Supplier.Set(d(1, 1), regs.Supply{Party: regs.Party{DIPID: "2300000001"}})
	r.Supplier.Set(d(3, 10), regs.Supply{Party: regs.Party{DIPID: "2300000002"}})
	r.DS.Set(d(1, 1), regs.Appointment{Party: regs.Party{DIPID: "1100000001"}, Scenario: catalogue.AppointmentScenarioCOS})
	r.DS.Unset(d(3, 10))
	r.MS.Set(d(1, 1), regs.Appointment{Party: regs.Party{DIPID: "1200000001"}})
	got := partiesOf(r, d(3, 1))
	want := dip.Parties{MPAN: "1200023305967", Supplier: "2300000001", DataService: "1100000001", MeteringService: "1200000001",
		Pending: []dip.PartyChange{
			{From: market.LocalMidnight(d(3, 10)), Role: dip.PartySupplier, DIPID: "2300000002"},
			{From: market.LocalMidnight(d(3, 10)), Role: dip.PartyDataService},
		}}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("parties as at 1 March (-want +got):\n%s", diff)
	}
	if got := partiesOf(r, d(3, 10)); got.Supplier != "2300000002" || got.DataService != "" || len(got.Pending) != 0 {
		t.Errorf("parties as at 10 March: %+v", got)
	}
}

// TestRegsDirectoryFollowsAnnouncements: REGS as serve builds it checks
// providers against the DIP's registry as it was at start; a participant
// registered since is known once an ISD announcement (IF-047) is
// delivered, and a registry it cannot read makes it ask for the
// announcement again.
func TestRegsDirectoryFollowsAnnouncements(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "mhhs.db"))
	if err != nil {
		t.Fatal(err)
	}
	svcs, err := sqlite.OpenServices(ctx, filepath.Join(dir, "services.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer svcs.Close()
	p, err := newService(serviceSpec{name: "regs", role: "REGS"}, serviceDeps{id: "2200000001", store: svcs.Store("regs"), stores: svcs,
		registry: store, log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	svc := p.(*regs.Service)
	const late = "1200000077"
	if err := store.PutParticipant(ctx, dip.Participant{DIPID: late, Roles: []string{"MSS"}, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if got := svc.Engine.Directory().Roles(late); len(got) != 0 {
		t.Fatalf("a participant registered after REGS started is known before any announcement: %v", got)
	}
	announcement := []participant.Delivery{{Channel: "IF-047", Event: "[ISD]", TransactionID: "T-ISD-1"}}
	if codes := svc.Handle(ctx, announcement); codes[0] != participant.Accept {
		t.Fatalf("the announcement was answered %s", codes[0])
	}
	if got := svc.Engine.Directory().Roles(late); !slices.Equal(got, []market.Role{market.RoleMSS}) {
		t.Errorf("after an announcement the late participant's roles are %v, want [MSS]", got)
	}
	store.Close() // the registry can no longer be read
	if codes := svc.Handle(ctx, announcement); codes[0] != participant.Retry {
		t.Errorf("an announcement REGS could not act on was answered %s, want a retry", codes[0])
	}
}
