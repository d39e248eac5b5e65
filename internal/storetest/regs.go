package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/regs"
)

// RegsOpener returns a handle on the Registration Service's store in one
// test's database: a new, empty database on the first call of a test, and
// on later calls a new handle on the same database (as a restarted
// process, or a second process sharing it, would open it).
type RegsOpener func(t *testing.T) regs.Store

// RunRegs is the conformance suite of regs.Store: the inbox applies each
// key once and a batch all or nothing, registrations and messages commit
// together, reads, the Due index and Load, the queued inputs, the outbox,
// services apart, reopening, and two handles deciding the same MPAN at
// once losing no update. service opens another service's
// participant.Store in the same test's database (the services database
// holds several services).
func RunRegs(t *testing.T, open RegsOpener, service ServiceOpener) {
	tests := []struct {
		name string
		fn   func(*testing.T, RegsOpener, ServiceOpener)
	}{
		{"UpdateOncePerKey", testRegsUpdateOnce},
		{"FailedBatchLeavesNothing", testRegsFailedBatch},
		{"ReadYourWrites", testRegsReadYourWrites},
		{"RegistrationRoundTrip", testRegsRoundTrip},
		{"NotFound", testRegsNotFound},
		{"Due", testRegsDue},
		{"Load", testRegsLoad},
		{"Inputs", testRegsInputs},
		{"SubmitDuringUpdate", testRegsSubmitDuringUpdate},
		{"Outbox", testRegsOutbox},
		{"ServicesApart", testRegsServicesApart},
		{"SurvivesReopen", testRegsReopen},
		{"ConcurrentUpdatesSerialise", testRegsConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open, service) })
	}
}

var regsDay = market.NewSettlementDate(2025, 4, 1)

// RegsMPAN returns the i-th test MPAN (distributor 10).
func RegsMPAN(i int) market.MPAN {
	m, err := market.NewMPAN(10, uint64(i))
	if err != nil {
		panic(err)
	}
	return m
}

// RegsFixture returns a plain registration of mpan whose counter (the
// DUoS tariff from regsDay, see RegsCounter) is n.
func RegsFixture(mpan market.MPAN, n int) *regs.Registration {
	r := &regs.Registration{MPAN: mpan, LDSO: "1700000001", Created: regsDay.AddDays(-30)}
	r.Supplier.Set(r.Created, regs.Supply{Party: regs.Party{DIPID: "1800000001", MPID: "SUPA"}, CSSRegistrationID: "C-1"})
	r.GSP.Set(r.Created, "_A")
	r.DUoSTariff.Set(regsDay, strconv.Itoa(n))
	return r
}

// RegsCounter reads the counter RegsFixture and RegsBump keep in a
// registration.
func RegsCounter(t testing.TB, r *regs.Registration) int {
	t.Helper()
	v, _ := r.DUoSTariff.At(regsDay)
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("%s: counter %q: %v", r.MPAN, v, err)
	}
	return n
}

// RegsBump is a read-modify-write inside Update: it reads mpan's
// registration, adds one to its counter, Puts it and queues a message
// naming the MPAN, the new count and tag. It returns the new count.
func RegsBump(tx regs.Tx, mpan market.MPAN, tag string) (int, error) {
	r, err := tx.Registration(mpan)
	if err != nil {
		return 0, err
	}
	v, _ := r.DUoSTariff.At(regsDay)
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, err
	}
	n++
	r.DUoSTariff.Set(regsDay, strconv.Itoa(n))
	if err := tx.Put(r); err != nil {
		return 0, err
	}
	b, _ := json.Marshal(RegsMessage{MPAN: mpan, Count: n, Tag: tag})
	return n, tx.Queue("IF-001", b)
}

// RegsMessage is the payload RegsBump queues.
type RegsMessage struct {
	MPAN  market.MPAN `json:"mpan"`
	Count int         `json:"count"`
	Tag   string      `json:"tag"`
}

// pendingMessages returns every pending message of ob, decoded.
func pendingMessages(t *testing.T, ob participant.Outbox) []RegsMessage {
	t.Helper()
	p, err := ob.Pending(context.Background(), 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]RegsMessage, len(p))
	for i, o := range p {
		if err := json.Unmarshal(o.Payload, &out[i]); err != nil {
			t.Fatalf("pending %d: %s: %v", i, o.Payload, err)
		}
	}
	return out
}

func mustLoad(t *testing.T, st regs.Store, rs ...*regs.Registration) {
	t.Helper()
	if err := st.Load(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
}

func counterOf(t *testing.T, st regs.Store, m market.MPAN) int {
	t.Helper()
	r, err := st.Registration(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	return RegsCounter(t, r)
}

func testRegsUpdateOnce(t *testing.T, open RegsOpener, _ ServiceOpener) {
	ctx := context.Background()
	st := open(t)
	m := RegsMPAN(1)
	mustLoad(t, st, RegsFixture(m, 0))
	if _, err := st.Update(ctx, []string{"T-2"}, func(tx regs.Tx, i int) error {
		_, err := RegsBump(tx, m, "T-2")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	batch := func(keys []string) ([]bool, []int) {
		t.Helper()
		var ran []int
		applied, err := st.Update(ctx, keys, func(tx regs.Tx, i int) error {
			ran = append(ran, i)
			_, err := RegsBump(tx, m, keys[i])
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return applied, ran
	}
	applied, ran := batch([]string{"T-1", "T-2", "T-1", "", "T-3"})
	if diff := cmp.Diff([]bool{true, false, false, true, true}, applied); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{0, 3, 4}, ran); diff != "" {
		t.Errorf("fn ran for (-want +got):\n%s", diff)
	}
	if n := counterOf(t, st, m); n != 4 {
		t.Errorf("counter = %d after T-2, then T-1, \"\" and T-3; want 4", n)
	}
	// The DIP delivers the batch again: nothing changes but the "" key.
	applied, ran = batch([]string{"T-1", "T-2", "T-3", ""})
	if diff := cmp.Diff([]bool{false, false, false, true}, applied); diff != "" {
		t.Errorf("redelivered: applied (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{3}, ran); diff != "" {
		t.Errorf("redelivered: fn ran for (-want +got):\n%s", diff)
	}
	var tags []string
	for _, msg := range pendingMessages(t, st) {
		tags = append(tags, fmt.Sprintf("%s=%d", msg.Tag, msg.Count))
	}
	if diff := cmp.Diff([]string{"T-2=1", "T-1=2", "=3", "T-3=4", "=5"}, tags); diff != "" {
		t.Errorf("outbox (-want +got):\n%s", diff)
	}
	if n := counterOf(t, st, m); n != 5 {
		t.Errorf("counter = %d, want 5", n)
	}
}

func testRegsFailedBatch(t *testing.T, open RegsOpener, _ ServiceOpener) {
	ctx := context.Background()
	st := open(t)
	a, b := RegsMPAN(1), RegsMPAN(2)
	mustLoad(t, st, RegsFixture(a, 10), RegsFixture(b, 20))
	if err := st.Submit(ctx, regs.QueuedInput{Key: "css:E1", Input: []byte(`{"e":1}`)}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	_, err := st.Update(ctx, []string{"css:E1", "T-2", ""}, func(tx regs.Tx, i int) error {
		switch i {
		case 0:
			_, err := RegsBump(tx, a, "lost")
			return err
		case 1:
			if _, err := RegsBump(tx, b, "lost"); err != nil {
				return err
			}
			return tx.Put(RegsFixture(RegsMPAN(3), 30)) // a new registration, lost too
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update error = %v, want fn's", err)
	}
	if n := counterOf(t, st, a); n != 10 {
		t.Errorf("the failed batch changed %s: counter %d, want 10", a, n)
	}
	if n := counterOf(t, st, b); n != 20 {
		t.Errorf("the failed batch changed %s: counter %d, want 20", b, n)
	}
	if _, err := st.Registration(ctx, RegsMPAN(3)); !errors.Is(err, regs.ErrNotFound) {
		t.Errorf("the failed batch's new registration: err %v, want ErrNotFound", err)
	}
	if p := pendingMessages(t, st); len(p) != 0 {
		t.Errorf("the failed batch left %d queued messages", len(p))
	}
	if qs, err := st.Inputs(ctx, 10); err != nil || len(qs) != 1 || qs[0].Key != "css:E1" {
		t.Errorf("the failed batch's queued input: %v, %v; want css:E1 still queued", qs, err)
	}
	// Its keys were not kept: the batch applies when delivered again.
	applied, err := st.Update(ctx, []string{"css:E1", "T-2"}, func(tx regs.Tx, i int) error {
		_, err := RegsBump(tx, []market.MPAN{a, b}[i], "again")
		return err
	})
	if err != nil || !applied[0] || !applied[1] {
		t.Errorf("after the failed batch: applied %v, err %v; want both", applied, err)
	}
	if n := counterOf(t, st, a); n != 11 {
		t.Errorf("counter of %s = %d, want 11", a, n)
	}
}

func testRegsReadYourWrites(t *testing.T, open RegsOpener, _ ServiceOpener) {
	ctx := context.Background()
	st := open(t)
	m := RegsMPAN(7)
	var seen []int
	_, err := st.Update(ctx, []string{"T-1", "T-2"}, func(tx regs.Tx, i int) error {
		if i == 0 {
			if _, err := tx.Registration(m); !errors.Is(err, regs.ErrNotFound) {
				return fmt.Errorf("before Put: err %v, want ErrNotFound", err)
			}
			return tx.Put(RegsFixture(m, 0))
		}
		// The batch's earlier Put is visible to its later inputs.
		for range 2 {
			n, err := RegsBump(tx, m, "x")
			if err != nil {
				return err
			}
			seen = append(seen, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{1, 2}, seen); diff != "" {
		t.Errorf("counts read back inside the transaction (-want +got):\n%s", diff)
	}
	if n := counterOf(t, st, m); n != 2 {
		t.Errorf("counter = %d, want 2", n)
	}
	if p := pendingMessages(t, st); len(p) != 2 {
		t.Errorf("%d messages queued, want 2", len(p))
	}
}

// richRegistration exercises every part of a registration's document.
func richRegistration(m market.MPAN) *regs.Registration {
	r := RegsFixture(m, 3)
	d := r.Created
	ref := "CONTRACT-9"
	rf := catalogue.ReadFrequency("M")
	digits := int64(5)
	r.Supplier.Set(d.AddDays(40), regs.Supply{Party: regs.Party{DIPID: "1800000002", MPID: "SUPB"}, CSSRegistrationID: "C-2"})
	r.MS.Set(d, regs.Appointment{Party: regs.Party{DIPID: "1900000001", MPID: "MSA"}, By: "1800000001", Scenario: catalogue.AppointmentScenarioCOS})
	r.DS.Set(d, regs.Appointment{Party: regs.Party{DIPID: "1900000002", MPID: "DSA"}, By: "1800000001", Scenario: catalogue.AppointmentScenarioCSP, ContractReference: &ref, ReadFrequency: &rf})
	r.DS.Unset(d.AddDays(50))
	r.MDR.Set(d, regs.Party{DIPID: "1900000003", MPID: "MDRA"})
	r.Address.Set(d, regs.Address{Postcode: "SW1A 1AA", Lines: []string{"1 The Street", "", "Town"}})
	r.Energisation.Set(d, market.EnergisationStatus("E"))
	r.Energisation.Set(d.AddDays(10), market.EnergisationStatus("D"))
	r.Domestic.Set(d, true)
	r.Metered.Set(d, true)
	r.Annual.Set(d, regs.AnnualConsumption{Energy: market.Energy(3100), Quality: catalogue.AnnualConsumptionQualityA})
	r.Meters = []regs.Meter{{ID: "M1", Type: catalogue.MeterType("S2AD"), Location: catalogue.MeterLocation("A"), Digits: &digits,
		Installed: market.MidnightOf(d)}}
	r.Meters[0].MAP.Set(d, "MAPA")
	r.Linked.Set(d, regs.Group{Principal: m, Members: []market.MPAN{RegsMPAN(99)}})
	r.Switch = &regs.Switch{ID: "C-3", Supplier: regs.Party{DIPID: "1800000003", MPID: "SUPC"}, From: d.AddDays(60),
		State: regs.SwitchPending, Since: market.MidnightOf(d.AddDays(45))}
	r.Proposals = []regs.Proposal{{ID: "T-IF-031-1", At: market.MidnightOf(d.AddDays(46)), Supplier: regs.Party{DIPID: "1800000003", MPID: "SUPC"}, CSSRegistrationID: "C-3",
		Proposed: catalogue.Appointment{Kind: catalogue.DataService, DIPID: "1900000004", MPID: "DSB", From: market.MidnightOf(d.AddDays(60)), Scenario: catalogue.AppointmentScenarioCOS}}}
	r.Reminded = map[string]market.SettlementDate{"EV1": d.AddDays(47)}
	due := market.MidnightOf(d.AddDays(61))
	r.Due = &due
	return r
}

func encoded(t *testing.T, r *regs.Registration) []byte {
	t.Helper()
	b, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testRegsRoundTrip(t *testing.T, open RegsOpener, _ ServiceOpener) {
	ctx := context.Background()
	st := open(t)
	loaded, put := richRegistration(RegsMPAN(1)), richRegistration(RegsMPAN(2))
	put.Address.Set(regsDay, regs.Address{Postcode: "E1 1AA"})
	mustLoad(t, st, loaded)
	if _, err := st.Update(ctx, []string{""}, func(tx regs.Tx, _ int) error { return tx.Put(put) }); err != nil {
		t.Fatal(err)
	}
	for _, want := range []*regs.Registration{loaded, put} {
		got, err := st.Registration(ctx, want.MPAN)
		if err != nil {
			t.Fatal(err)
		}
		if w, g := encoded(t, want), encoded(t, got); !bytes.Equal(w, g) {
			t.Errorf("%s read back:\n%s\nwant\n%s", want.MPAN, g, w)
		}
		// The as-at view the read API answers is the same too.
		day := regsDay.AddDays(20)
		if diff := cmp.Diff(want.At(day), got.At(day)); diff != "" {
			t.Errorf("%s as at %s (-want +got):\n%s", want.MPAN, day, diff)
		}
	}
}

func testRegsNotFound(t *testing.T, open RegsOpener, _ ServiceOpener) {
	ctx := context.Background()
	st := open(t)
	mustLoad(t, st, RegsFixture(RegsMPAN(1), 0))
	for _, m := range []market.MPAN{RegsMPAN(2), "1234", "not an mpan!!"} {
		if r, err := st.Registration(ctx, m); !errors.Is(err, regs.ErrNotFound) {
			t.Errorf("Registration(%q) = %v, %v; want ErrNotFound", m, r, err)
		}
		_, err := st.Update(ctx, []string{""}, func(tx regs.Tx, _ int) error {
			_, err := tx.Registration(m)
			return err
		})
		if !errors.Is(err, regs.ErrNotFound) {
			t.Errorf("tx.Registration(%q): err %v; want ErrNotFound", m, err)
		}
	}
	if _, err := st.Update(ctx, []string{""}, func(tx regs.Tx, _ int) error {
		r := RegsFixture(RegsMPAN(1), 0)
		r.MPAN = "12345"
		return tx.Put(r)
	}); err == nil {
		t.Error("Put of a registration whose MPAN is not 13 digits: no error")
	}
}

func testRegsDue(t *testing.T, open RegsOpener, _ ServiceOpener) {
	ctx := context.Background()
	st := open(t)
	at := func(h int) *market.DateTime {
		d := market.At(t0.Add(time.Duration(h) * time.Hour))
		return &d
	}
	// MPAN i is due at hours[i]; -1: nothing due.
	hours := []int{3, 1, -1, 2, 1, 5}
	var rs []*regs.Registration
	for i, h := range hours {
		r := RegsFixture(RegsMPAN(i), 0)
		if h >= 0 {
			r.Due = at(h)
		}
		rs = append(rs, r)
	}
	mustLoad(t, st, rs...)
	due := func(h, limit int) []market.MPAN {
		t.Helper()
		got, err := st.Due(ctx, t0.Add(time.Duration(h)*time.Hour), limit)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	m := RegsMPAN
	if diff := cmp.Diff([]market.MPAN{m(1), m(4), m(3), m(0)}, due(3, 10)); diff != "" {
		t.Errorf("Due(3h) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]market.MPAN{m(1), m(4)}, due(3, 2)); diff != "" {
		t.Errorf("Due(3h, limit 2) (-want +got):\n%s", diff)
	}
	if got := due(0, 10); len(got) != 0 {
		t.Errorf("Due(0h) = %v, want none", got)
	}
	// A Put moves the due time: 1 to nothing, 5 earlier, 2 (none) due.
	if _, err := st.Update(ctx, []string{""}, func(tx regs.Tx, _ int) error {
		for i, h := range map[int]int{1: -1, 5: 0, 2: 2} {
			r, err := tx.Registration(m(i))
			if err != nil {
				return err
			}
			r.Due = nil
			if h >= 0 {
				r.Due = at(h)
			}
			if err := tx.Put(r); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]market.MPAN{m(5), m(4), m(2), m(3), m(0)}, due(3, 10)); diff != "" {
		t.Errorf("after the Puts, Due(3h) (-want +got):\n%s", diff)
	}
	// A Load replacing a registration replaces its due time too.
	r := RegsFixture(m(0), 0)
	mustLoad(t, st, r)
	if diff := cmp.Diff([]market.MPAN{m(5), m(4), m(2), m(3)}, due(3, 10)); diff != "" {
		t.Errorf("after a Load, Due(3h) (-want +got):\n%s", diff)
	}
}

func testRegsLoad(t *testing.T, open RegsOpener, _ ServiceOpener) {
	ctx := context.Background()
	st := open(t)
	// More than one of either store's Load transactions (SQLite 5,000,
	// PostgreSQL 20,000).
	n := 20_003
	if testing.Short() {
		n = 5_003
	}
	rs := make([]*regs.Registration, n)
	for i := range rs {
		rs[i] = RegsFixture(RegsMPAN(i), i)
	}
	mustLoad(t, st, rs...)
	for _, i := range []int{0, 4_999, 5_000, 5_002, n - 1} {
		if c := counterOf(t, st, RegsMPAN(i)); c != i {
			t.Errorf("loaded %s: counter %d, want %d", RegsMPAN(i), c, i)
		}
	}
	// Loading again replaces: the new ones and the changed ones.
	again := []*regs.Registration{RegsFixture(RegsMPAN(1), 1001), RegsFixture(RegsMPAN(n), 7), richRegistration(RegsMPAN(2))}
	mustLoad(t, st, again...)
	for _, want := range again {
		got, err := st.Registration(ctx, want.MPAN)
		if err != nil {
			t.Fatal(err)
		}
		if w, g := encoded(t, want), encoded(t, got); !bytes.Equal(w, g) {
			t.Errorf("%s after a second Load:\n%s\nwant\n%s", want.MPAN, g, w)
		}
	}
	if c := counterOf(t, st, RegsMPAN(3)); c != 3 {
		t.Errorf("a registration the second Load did not name: counter %d, want 3", c)
	}
	// Load is outside any process: no message, no key.
	if p := pendingMessages(t, st); len(p) != 0 {
		t.Errorf("Load queued %d messages", len(p))
	}
	if err := st.Load(ctx, []*regs.Registration{{MPAN: "123"}}); err == nil {
		t.Error("Load of a registration whose MPAN is not 13 digits: no error")
	}
}

func testRegsInputs(t *testing.T, open RegsOpener, _ ServiceOpener) {
	ctx := context.Background()
	st := open(t)
	ev := regs.CSSEvent{ID: "E1", At: t0, Kind: regs.CSSSecured, MPAN: RegsMPAN(1), RegistrationID: "C-1"}
	if err := regs.SubmitCSS(ctx, st, ev); err != nil {
		t.Fatal(err)
	}
	// Several inputs in one call keep their order; a key twice in the
	// call, or queued before, is queued once.
	var batch []regs.QueuedInput
	for _, k := range []string{"maintenance:M1", "css:E2", "css:E1", "css:E2", "css:E3"} {
		batch = append(batch, regs.QueuedInput{Key: k, Input: []byte(`{"k":"` + k + `"}`)})
	}
	if err := st.Submit(ctx, batch...); err != nil {
		t.Fatal(err)
	}
	keys := func(limit int) []string {
		t.Helper()
		qs, err := st.Inputs(ctx, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, q := range qs {
			out = append(out, q.Key)
		}
		return out
	}
	// Oldest first; the second css:E1 is not queued again.
	if diff := cmp.Diff([]string{"css:E1", "maintenance:M1", "css:E2", "css:E3"}, keys(10)); diff != "" {
		t.Errorf("Inputs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"css:E1", "maintenance:M1"}, keys(2)); diff != "" {
		t.Errorf("Inputs(2) (-want +got):\n%s", diff)
	}
	qs, err := st.Inputs(ctx, 1)
	if err != nil || len(qs) != 1 {
		t.Fatalf("Inputs(1) = %v, %v", qs, err)
	}
	var x struct{ CSS *regs.CSSEvent }
	if err := json.Unmarshal(qs[0].Input, &x); err != nil || x.CSS == nil || x.CSS.ID != "E1" || x.CSS.MPAN != ev.MPAN || x.CSS.Kind != ev.Kind {
		t.Errorf("css:E1's input %s does not hold the event (%v)", qs[0].Input, err)
	}
	// Applying an input's key takes it off the queue, with the batch.
	if _, err := st.Update(ctx, []string{"css:E2", "maintenance:M1", "css:E9"}, func(regs.Tx, int) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"css:E1", "css:E3"}, keys(10)); diff != "" {
		t.Errorf("after applying css:E2 and maintenance:M1, Inputs (-want +got):\n%s", diff)
	}
	// An input applied before is not queued again, whether it was queued
	// (css:E2) or not (css:E9).
	for _, k := range []string{"css:E2", "css:E9", "css:E4"} {
		if err := st.Submit(ctx, regs.QueuedInput{Key: k, Input: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"css:E1", "css:E3", "css:E4"}, keys(10)); diff != "" {
		t.Errorf("after submitting applied keys again, Inputs (-want +got):\n%s", diff)
	}
	// css:E3 applied takes it off the queue; in a later batch it is found
	// applied and nothing runs for it, while the batch's css:E1 applies.
	if _, err := st.Update(ctx, []string{"css:E3"}, func(regs.Tx, int) error { return nil }); err != nil {
		t.Fatal(err)
	}
	ran := false
	if applied, err := st.Update(ctx, []string{"css:E3", "css:E1"}, func(_ regs.Tx, i int) error { ran = ran || i == 0; return nil }); err != nil || applied[0] || !applied[1] || ran {
		t.Errorf("applied %v (ran for css:E3: %v), err %v; want only css:E1", applied, ran, err)
	}
	if diff := cmp.Diff([]string{"css:E4"}, keys(10)); diff != "" {
		t.Errorf("at the end, Inputs (-want +got):\n%s", diff)
	}
}

// testRegsSubmitDuringUpdate submits an input from a second handle while
// an Update applying the same key is open on the first (CSS sending an
// event again while REGS applies it): however the two interleave, once
// the key comes off the queue and is found applied, it leaves the queue,
// or Service.Work would take it again for ever.
func testRegsSubmitDuringUpdate(t *testing.T, open RegsOpener, _ ServiceOpener) {
	ctx := context.Background()
	a := open(t)
	b := open(t)
	const key = "css:E1"
	if err := a.Submit(ctx, regs.QueuedInput{Key: key, Input: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	inside, release := make(chan struct{}), make(chan struct{})
	updated := make(chan error, 1)
	go func() {
		_, err := a.Update(ctx, []string{key}, func(regs.Tx, int) error {
			close(inside)
			<-release
			return nil
		})
		updated <- err
	}()
	<-inside
	submitted := make(chan error, 1)
	go func() { submitted <- b.Submit(ctx, regs.QueuedInput{Key: key, Input: []byte(`{}`)}) }()
	select {
	case err := <-submitted: // PostgreSQL: the Submit does not wait
		if err != nil {
			t.Fatal(err)
		}
		close(release)
	case <-time.After(300 * time.Millisecond): // SQLite: it waits for the writer
		close(release)
		if err := <-submitted; err != nil {
			t.Fatal(err)
		}
	}
	if err := <-updated; err != nil {
		t.Fatal(err)
	}
	for range 2 {
		qs, err := a.Inputs(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(qs) == 0 {
			return
		}
		// What Service.Work does with a queued input.
		if applied, err := a.Update(ctx, []string{qs[0].Key}, func(regs.Tx, int) error { return nil }); err != nil || applied[0] {
			t.Fatalf("%s applied again: %v, %v", qs[0].Key, applied, err)
		}
	}
	t.Errorf("%s stays queued after it is found applied: Service.Work would take it for ever", key)
}

func testRegsOutbox(t *testing.T, open RegsOpener, _ ServiceOpener) {
	ctx := context.Background()
	st := open(t)
	checkOutbox(t, st, func(i int, channel string, payload []byte) error {
		_, err := st.Update(ctx, []string{fmt.Sprint("T-", i)}, func(tx regs.Tx, _ int) error { return tx.Queue(channel, payload) })
		return err
	})
}

func testRegsServicesApart(t *testing.T, open RegsOpener, service ServiceOpener) {
	ctx := context.Background()
	st := open(t)
	other := service(t, "sim")
	if _, err := other.Apply(ctx, "T-1", func(tx participant.Tx) error { return tx.Queue("IF-047", []byte(`{"of":"sim"}`)) }); err != nil {
		t.Fatal(err)
	}
	ran := false
	if applied, err := st.Update(ctx, []string{"T-1"}, func(tx regs.Tx, _ int) error {
		ran = true
		return tx.Queue("IF-001", []byte(`{"of":"regs"}`))
	}); err != nil || !applied[0] || !ran {
		t.Errorf("regs's inbox saw sim's key: applied %v, err %v", applied, err)
	}
	for name, ob := range map[string]participant.Outbox{"regs": st, "sim": other} {
		p, err := ob.Pending(ctx, 10)
		if err != nil || len(p) != 1 || string(p[0].Payload) != `{"of":"`+name+`"}` {
			t.Errorf("%s's outbox: %v, %v; want its own message only", name, p, err)
		}
	}
}

func testRegsReopen(t *testing.T, open RegsOpener, _ ServiceOpener) {
	ctx := context.Background()
	st := open(t)
	m := RegsMPAN(1)
	mustLoad(t, st, RegsFixture(m, 0))
	for _, k := range []string{"css:E1", "css:E2"} {
		if err := st.Submit(ctx, regs.QueuedInput{Key: k, Input: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Update(ctx, []string{"css:E1"}, func(tx regs.Tx, _ int) error {
		_, err := RegsBump(tx, m, "kept")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	again := open(t)
	if n := counterOf(t, again, m); n != 1 {
		t.Errorf("reopened: counter %d, want 1", n)
	}
	if p := pendingMessages(t, again); len(p) != 1 || p[0].Tag != "kept" {
		t.Errorf("reopened: pending %v", p)
	}
	if qs, err := again.Inputs(ctx, 10); err != nil || len(qs) != 1 || qs[0].Key != "css:E2" {
		t.Errorf("reopened: inputs %v, %v; want css:E2", qs, err)
	}
	if applied, err := again.Update(ctx, []string{"css:E1"}, func(regs.Tx, int) error { return nil }); err != nil || applied[0] {
		t.Errorf("reopened: css:E1 applied again (%v, %v)", applied, err)
	}
}

// testRegsConcurrent runs two handles on one database (two processes
// sharing it) each bumping the same MPAN's counter, a read-modify-write
// of its registration, concurrently: every bump must count.
func testRegsConcurrent(t *testing.T, open RegsOpener, _ ServiceOpener) {
	ctx := context.Background()
	a := open(t)
	b := open(t)
	m := RegsMPAN(1)
	mustLoad(t, a, RegsFixture(m, 0))
	const each = 40
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for g, st := range []regs.Store{a, b} {
		wg.Go(func() {
			for i := range each {
				// Every other one with the "" key (as ticks are): its
				// transaction reads before it writes anything.
				tag, key := fmt.Sprintf("G%d-%d", g, i), ""
				if i%2 == 1 {
					key = tag
				}
				if _, err := st.Update(ctx, []string{key}, func(tx regs.Tx, _ int) error {
					_, err := RegsBump(tx, m, tag)
					return err
				}); err != nil {
					errs <- fmt.Errorf("%s: %w", tag, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := counterOf(t, a, m); n != 2*each {
		t.Errorf("counter = %d after %d bumps from two handles: updates were lost", n, 2*each)
	}
	// Each bump saw the one before it: the counts queued are 1..2×each,
	// each once.
	seen := map[int]string{}
	for _, msg := range pendingMessages(t, a) {
		if prev, dup := seen[msg.Count]; dup {
			t.Errorf("count %d queued by %s and %s: both read the same registration", msg.Count, prev, msg.Tag)
		}
		seen[msg.Count] = msg.Tag
	}
	if len(seen) != 2*each {
		t.Errorf("%d distinct counts queued, want %d", len(seen), 2*each)
	}
}
