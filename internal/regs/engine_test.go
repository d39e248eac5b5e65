package regs

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

func TestConfigValidate(t *testing.T) {
	w := newWorld()
	if err := DefaultConfig("1100000001", "REGS", w).Validate(); err != nil {
		t.Fatalf("the default configuration is invalid: %v", err)
	}
	for name, mutate := range map[string]func(*Config){
		"DIP id":           func(c *Config) { c.DIPID = "REGS" },
		"MPID":             func(c *Config) { c.MPID = "regs" },
		"environment":      func(c *Config) { c.Environment = "TEST" },
		"calendar":         func(c *Config) { c.Calendar = nil },
		"directory":        func(c *Config) { c.Directory = nil },
		"retrospective":    func(c *Config) { c.MaxRetrospectiveDays = -1 },
		"reminder repeats": func(c *Config) { c.ReminderEveryDays = 0 },
	} {
		cfg := DefaultConfig("1100000001", "REGS", w)
		mutate(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("New accepted a configuration with a bad %s", name)
		}
	}
}

func testEngine(t testing.TB) (*Engine, *world) {
	w := newWorld()
	e, err := New(DefaultConfig("1100000001", "REGS", w))
	if err != nil {
		t.Fatal(err)
	}
	return e, w
}

// failingBook fails every read.
type failingBook struct{}

var errDisk = errors.New("disk on fire")

func (failingBook) Registration(market.MPAN) (*Registration, error) { return nil, errDisk }
func (failingBook) Put(*Registration) error                         { return errDisk }

func TestEngineErrors(t *testing.T) {
	e, w := testEngine(t)
	now := time.Date(2025, 6, 2, 10, 0, 0, 0, market.London())
	req := &catalogue.IF031MSApp{}
	req.CommonBlock.M0.MPANCore = "1010000000019"
	req.CommonBlock.S1.SenderDIPID, _ = w.dip("SUPA")

	if _, err := e.Receive(newBook(), Input{Payload: req, Timestamp: now}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("a delivery without a transaction id: %v, want ErrInvalidInput", err)
	}
	if _, err := e.Receive(newBook(), Input{Payload: req, TransactionID: "T1"}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("a delivery without a timestamp: %v, want ErrInvalidInput", err)
	}
	if _, err := e.Receive(newBook(), Input{Payload: &catalogue.IF021ActivePower{}, TransactionID: "T1", Timestamp: now}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("IF-021: %v, want ErrUnsupported", err)
	}
	if _, err := e.Receive(failingBook{}, Input{Payload: req, TransactionID: "T1", Timestamp: now}); !errors.Is(err, errDisk) {
		t.Errorf("a failing book: %v, want its error wrapped", err)
	}
	if _, err := e.Tick(newBook(), "1010000000019", now); !errors.Is(err, ErrNotFound) {
		t.Errorf("a tick of an unknown MPAN: %v, want ErrNotFound", err)
	}
	if _, err := e.CSS(newBook(), CSSEvent{MPAN: "1010000000019"}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("a CSS event without an id: %v, want ErrInvalidInput", err)
	}
	if _, err := e.Maintain(newBook(), Maintenance{ID: "M1", At: now, MPAN: "1010000000019"}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("a maintenance without a change: %v, want ErrInvalidInput", err)
	}
	bad := Maintenance{ID: "M1", At: now, MPAN: "1010000000019", From: market.NewSettlementDate(2025, 6, 2),
		Change: NewConnection{LDSO: "1000000010", GSP: "_I", Connection: "W", Direction: "I", DUoSTariff: "A01", Segment: "S"}}
	if _, err := e.Maintain(newBook(), bad); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("a new connection in GSP group _I: %v, want ErrInvalidInput", err)
	}
}

// TestPutOnlyWhenAccepted checks the Book contract: a rejected input Puts
// nothing, an accepted one Puts what it changed.
func TestPutOnlyWhenAccepted(t *testing.T) {
	e, w := testEngine(t)
	r := historyRegistration(w)
	book := newBook()
	if err := book.Put(r); err != nil {
		t.Fatal(err)
	}
	book.puts = 0
	now := time.Date(2025, 6, 2, 10, 0, 0, 0, market.London())
	for _, tc := range []struct {
		sender  string
		puts    int
		rejects bool
	}{{"SUPA", 0, true}, {"SUPC", 1, false}} {
		in := appointmentRequest(t, w, r.MPAN, tc.sender, now)
		d, err := e.Receive(book, in)
		if err != nil {
			t.Fatal(err)
		}
		if d.Rejected != tc.rejects || book.puts != tc.puts {
			t.Errorf("request from %s: rejected %v (%v), %d puts; want %v, %d", tc.sender, d.Rejected, d.Codes, book.puts, tc.rejects, tc.puts)
		}
		book.puts = 0
	}
}

func TestRegistrationDocument(t *testing.T) {
	_, w := testEngine(t)
	r := historyRegistration(w)
	doc, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("a registration with six years of history: %d bytes", len(doc))
	if len(doc) > 4096 {
		t.Errorf("the document is %d bytes; the stores expect 1-3 KB", len(doc))
	}
	back, err := Decode(doc)
	if err != nil {
		t.Fatal(err)
	}
	if doc2, _ := back.Encode(); string(doc2) != string(doc) {
		t.Errorf("the document does not round-trip:\n%s\n%s", doc, doc2)
	}
	if _, err := Decode([]byte(strings.Replace(string(doc), `"1010000000019"`, `"1010000000018"`, 1))); err == nil {
		t.Error("Decode accepted an MPAN with a bad check digit")
	}
	if _, err := Decode([]byte(`{"mpan":"1010000000019","ms":[["2025-01-02",{}],["2025-01-01"]]}`)); err == nil {
		t.Error("Decode accepted a history out of date order")
	}
}

func TestSnapshotAt(t *testing.T) {
	_, w := testEngine(t)
	r := historyRegistration(w)
	for _, tc := range []struct {
		day                  market.SettlementDate
		supplier, ms, ds     string
		energised, segment   string
		meters               int
		meterID, meterAssets string
	}{
		{market.NewSettlementDate(2019, 3, 31), "", "", "", "D", "S", 0, "", ""},
		{market.NewSettlementDate(2019, 4, 1), "SUPA", "MSSA", "SDSA", "E", "S", 1, "M2019", "MAPA"},
		{market.NewSettlementDate(2020, 9, 30), "SUPA", "MSSA", "SDSA", "E", "S", 1, "M2019", "MAPB"},
		{market.NewSettlementDate(2022, 10, 1), "SUPB", "MSSB", "SDSB", "E", "S", 1, "M2021", "MAPB"},
		{market.NewSettlementDate(2025, 6, 2), "SUPC", "MSSB", "SDSB", "E", "S", 1, "M2023", "MAPB"},
	} {
		s := r.At(tc.day)
		got := []string{w.name(s.Supplier.DIPID), w.name(s.MS.DIPID), w.name(s.DS.DIPID), string(s.Energisation), string(s.Segment)}
		want := []string{tc.supplier, tc.ms, tc.ds, tc.energised, tc.segment}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("At(%s) = %v, want %v", tc.day, got, want)
				break
			}
		}
		if len(s.Meters) != tc.meters || tc.meters > 0 && (s.Meters[0].ID != tc.meterID || s.Meters[0].MAP != tc.meterAssets) {
			t.Errorf("At(%s) meters = %+v, want %s with %s", tc.day, s.Meters, tc.meterID, tc.meterAssets)
		}
	}
}

// historyRegistration is an MPAN with six years of history, busy by
// domestic standards: a change of supplier every other April (each with new
// metering and data services and MDR), a change of both services every
// other October, a meter exchange every other year with a change of meter
// asset provider, annual consumption every year, two consent changes.
func historyRegistration(w *world) *Registration {
	dip := func(a string) string { id, _ := w.dip(a); return id }
	party := func(a string) Party { return Party{dip(a), a} }
	created := market.NewSettlementDate(2019, 1, 1)
	r := &Registration{MPAN: "1010000000019", LDSO: dip("LDSA"), Created: created}
	r.GSP.Set(created, "_A")
	r.Address.Set(created, Address{Postcode: "AB1 2CD", Lines: []string{"1 Test Street", "Testtown"}})
	r.Connection.Set(created, market.ConnectionWholeCurrent)
	r.Direction.Set(created, catalogue.EnergyDirectionI)
	r.Metered.Set(created, true)
	r.DUoSTariff.Set(created, "A01")
	r.Energisation.Set(created, market.DeEnergised)
	r.Segment.Set(created, market.SegmentSmart)
	r.Domestic.Set(created, true)
	r.RMP.Set(created, catalogue.RMPStatusC)
	r.MP.Set(created, catalogue.MPStatusN)
	r.Migrated.Set(created, true)
	suppliers := []string{"SUPA", "SUPB", "SUPC"}
	var sup string
	for y := 2019; y <= 2024; y++ {
		april, october := market.NewSettlementDate(y, 4, 1), market.NewSettlementDate(y, 10, 1)
		switch y % 2 {
		case 1: // a change of supplier, with its services
			sup = suppliers[(y-2019)/2%3]
			r.Supplier.Set(april, Supply{Party: party(sup), CSSRegistrationID: "CSS-" + april.String()})
			r.MS.Set(april, Appointment{Party: party("MSSA"), By: dip(sup), Scenario: catalogue.AppointmentScenarioCOS})
			r.DS.Set(april, Appointment{Party: party("SDSA"), By: dip(sup), Scenario: catalogue.AppointmentScenarioCOS})
			r.MDR.Set(april, party("MDRA"))
			m := Meter{ID: "M" + april.String()[:4], Type: catalogue.MeterTypeS2AD, Location: catalogue.MeterLocationA, Installed: midnight(april)}
			m.MAP.Set(april, "MAPA")
			m.MAP.Set(april.AddDays(180), "MAPB")
			if n := len(r.Meters); n > 0 {
				r.Meters[n-1].Removed = ptr(midnight(april))
			}
			r.Meters = append(r.Meters, m)
		case 0: // a change of services
			r.MS.Set(october, Appointment{Party: party("MSSB"), By: dip(sup), Scenario: catalogue.AppointmentScenarioCSP})
			r.DS.Set(october, Appointment{Party: party("SDSB"), By: dip(sup), Scenario: catalogue.AppointmentScenarioCSP})
			r.MDR.Set(october, party("MDRB"))
		}
		r.Annual.Set(april, AnnualConsumption{Energy: market.Energy(3_100_000 + y), Quality: catalogue.AnnualConsumptionQualityA})
	}
	r.Consent.Set(market.NewSettlementDate(2019, 4, 1), catalogue.ConsentGranularityD)
	r.Consent.Set(market.NewSettlementDate(2023, 4, 1), catalogue.ConsentGranularityH)
	first := market.NewSettlementDate(2019, 4, 1)
	r.Energisation.Set(first, market.Energised)
	r.RMP.Set(first, catalogue.RMPStatusO)
	r.MP.Set(first, catalogue.MPStatusT)
	return r
}

// appointmentRequest is an IF-031 [MSApp] CSP of MSSC from the next week,
// delivered as the DIP would deliver it.
func appointmentRequest(t testing.TB, w *world, mpan market.MPAN, sender string, now time.Time) Input {
	t.Helper()
	from := market.FromTime(now.In(market.London())).AddDays(7)
	id, _ := w.dip(sender)
	msc, _ := w.dip("MSSC")
	ldso, _ := w.dip("LDSA")
	req := &catalogue.IF031MSApp{CustomBlock: catalogue.IF031MSAppCustom{B070: catalogue.B070{ProposedMeteringServiceDIPID: msc,
		ProposedMeteringServiceMPID: "MSSC", ProposedMeteringServiceDIPEffectiveFromDate: midnight(from), AppointmentScenario: catalogue.AppointmentScenarioCSP}}}
	s := &catalogue.Sender{DIPID: id, Role: "SUP", Now: func() time.Time { return now }}
	s.StampKey(req, now, catalogue.Key("bench", sender))
	req.CommonBlock.M0 = catalogue.M0{MPANCore: mpan, DistributorDIPID: ldso, GSPGroupID: "_A"}
	req.CommonBlock.D0 = catalogue.D0{TransactionID: "TX-" + sender, TransactionTimestamp: market.At(now), PublicationID: "PUB-031"}
	b, findings, err := catalogue.EncodeValid(req)
	if err != nil || len(findings) > 0 {
		t.Fatalf("invalid request: %v %v", err, findings)
	}
	p, err := catalogue.Default().Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return Input{Payload: p, TransactionID: "TX-" + sender, Timestamp: now}
}
