package regs

import (
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

// ptrBook hands the Engine one registration by pointer, resetting what an
// accepted appointment request adds (its proposal, Due), so that every
// iteration decides the same request on the same state without the cost
// of a store's JSON, which BenchmarkRegistrationJSON measures apart.
type ptrBook struct{ r *Registration }

func (b *ptrBook) Registration(market.MPAN) (*Registration, error) {
	b.r.Proposals, b.r.Due = nil, nil
	return b.r, nil
}

func (b *ptrBook) Put(*Registration) error { return nil }

// BenchmarkAppointmentRequest decides an IF-031 CSP on a registration with
// six years of history: the rules, the proposal, IF-032 and IF-033 built
// and stamped.
func BenchmarkAppointmentRequest(b *testing.B) {
	e, w := testEngine(b)
	book := &ptrBook{historyRegistration(w)}
	now := time.Date(2025, 6, 2, 10, 0, 0, 0, market.London())
	in := appointmentRequest(b, w, book.r.MPAN, "SUPC", now)
	b.ReportAllocs()
	for b.Loop() {
		d, err := e.Receive(book, in)
		if err != nil || d.Rejected || len(d.Messages) != 2 {
			b.Fatalf("%v %v %d", err, d.Codes, len(d.Messages))
		}
	}
}

// BenchmarkAppointmentRequestEncoded is BenchmarkAppointmentRequest with
// the two messages encoded and validated (catalogue.EncodeValid), as the
// service sends them.
func BenchmarkAppointmentRequestEncoded(b *testing.B) {
	e, w := testEngine(b)
	book := &ptrBook{historyRegistration(w)}
	now := time.Date(2025, 6, 2, 10, 0, 0, 0, market.London())
	in := appointmentRequest(b, w, book.r.MPAN, "SUPC", now)
	b.ReportAllocs()
	for b.Loop() {
		d, err := e.Receive(book, in)
		if err != nil || d.Rejected {
			b.Fatal(err, d.Codes)
		}
		for _, m := range d.Messages {
			if _, findings, err := catalogue.EncodeValid(m); err != nil || len(findings) > 0 {
				b.Fatal(err, findings)
			}
		}
	}
}

// BenchmarkAsAt answers "as at" questions on the same registration: the
// whole Snapshot of a day, and one attribute (the supplier).
func BenchmarkAsAt(b *testing.B) {
	_, w := testEngine(b)
	r := historyRegistration(w)
	d := market.NewSettlementDate(2022, 11, 15)
	b.Run("Snapshot", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if s := r.At(d); s.Supplier.DIPID == "" {
				b.Fatal("no supplier")
			}
		}
	})
	b.Run("Supplier", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := r.Supplier.At(d); !ok {
				b.Fatal("no supplier")
			}
		}
	})
}

// BenchmarkRegistrationJSON is the store's side of a decision: the
// registration decoded from its document and encoded back.
func BenchmarkRegistrationJSON(b *testing.B) {
	_, w := testEngine(b)
	doc, err := historyRegistration(w).Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := Decode(doc)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}
