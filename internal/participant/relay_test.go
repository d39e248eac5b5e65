package participant_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/sqlite"
)

// market is a DIP hub on SQLite with a publisher (ISD) and a supplier that
// records the IF-047 it receives, and the publisher's service store.
type market struct {
	hub      *dip.Hub
	store    participant.Store
	received chan string // senderUniqueReferences delivered to the supplier
}

const isdID, supplierID = "2000000001", "2300000001"

func newMarket(t *testing.T) *market {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "mhhs.db"))
	if err != nil {
		t.Fatal(err)
	}
	svcs, err := sqlite.OpenServices(ctx, filepath.Join(dir, "services.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.PutParticipant(ctx, dip.Participant{DIPID: isdID, Roles: []string{"ISD"}})
	db.PutParticipant(ctx, dip.Participant{DIPID: supplierID, Roles: []string{"SUP"}})
	m := &market{store: svcs.Store("publisher"), received: make(chan string, 100)}
	supplier := participant.HandlerFunc(func(_ context.Context, ds []participant.Delivery) []catalogue.Code {
		for _, d := range ds {
			p, err := d.Decode()
			if err != nil {
				t.Error(err)
				continue
			}
			m.received <- p.Common().S1.SenderUniqueReference
		}
		return nil
	})
	m.hub = dip.NewHub(db, dip.Config{PollInterval: 5 * time.Millisecond,
		Services: []dip.LocalService{{DIPID: supplierID, Handler: supplier, Channels: []string{"IF-047"}}}})
	done := make(chan struct{})
	go func() { m.hub.Run(ctx); close(done) }()
	t.Cleanup(func() { stop(); <-done; svcs.Close(); db.Close() })
	return m
}

// announcement returns an IF-047 payload with reference key n.
func announcement(t *testing.T, n string) []byte {
	t.Helper()
	c := catalogue.Default()
	v, _ := c.Variant("IF-047", "[ISD]")
	p, err := c.Decode(c.Example(v, catalogue.ExampleOptions{SenderDIPID: isdID, SenderRole: "ISD"}))
	if err != nil {
		t.Fatal(err)
	}
	(&catalogue.Sender{DIPID: isdID, Role: "ISD"}).StampKey(p, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), n)
	b, err := catalogue.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func queue(t *testing.T, st participant.Store, key string, payloads ...[]byte) {
	t.Helper()
	if _, err := st.Apply(context.Background(), key, func(tx participant.Tx) error {
		for _, p := range payloads {
			if err := tx.Queue("IF-047", p); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func receive(t *testing.T, m *market, n int) []string {
	t.Helper()
	var got []string
	for len(got) < n {
		select {
		case r := <-m.received:
			got = append(got, r)
		case <-time.After(10 * time.Second):
			t.Fatalf("received %d of %d", len(got), n)
		}
	}
	return got
}

// flaky fails its first n sends in transport (the DIP not reached), then
// sends through the real hub.
type flaky struct {
	participant.Sender
	fail atomic.Int32
}

func (f *flaky) Send(ctx context.Context, ch string, p ...[]byte) ([]participant.Verdict, error) {
	if f.fail.Add(-1) >= 0 {
		return nil, errors.New("connection refused")
	}
	return f.Sender.Send(ctx, ch, p...)
}

// TestRelaySendsInOrderOnce: queued messages go out in queue order, once;
// a transport failure leaves them queued for the next flush; a message the
// DIP already has (queued twice, as after a crash) is taken as sent.
func TestRelaySendsInOrderOnce(t *testing.T) {
	m := newMarket(t)
	ctx := context.Background()
	queue(t, m.store, "T-1", announcement(t, "A1"), announcement(t, "A2"))
	queue(t, m.store, "T-2", announcement(t, "A3"))
	r := participant.NewRelay(m.store, nil)
	s := &flaky{Sender: m.hub.Sender(isdID)}
	s.fail.Store(1)
	if err := r.Flush(ctx, s); err != nil {
		t.Fatal(err)
	}
	if p, _ := m.store.Pending(ctx, 10); len(p) != 3 {
		t.Fatalf("after a transport failure %d messages are queued, want all 3", len(p))
	}
	if err := r.Flush(ctx, s); err != nil {
		t.Fatal(err)
	}
	got := receive(t, m, 3)
	for i, key := range []string{"A1", "A2", "A3"} {
		if want := "S-IF-047-" + isdID + "-ISD-20260101-" + key; got[i] != want {
			t.Errorf("delivery %d = %s, want %s", i, got[i], want)
		}
	}
	if p, _ := m.store.Pending(ctx, 10); len(p) != 0 {
		t.Errorf("%d messages still queued after they were sent", len(p))
	}
	// The same message queued again (a crash before Done was recorded):
	// the DIP refuses it as a duplicate and the relay takes it as sent.
	queue(t, m.store, "T-3", announcement(t, "A2"))
	if err := r.Flush(ctx, s); err != nil {
		t.Fatal(err)
	}
	if p, _ := m.store.Pending(ctx, 10); len(p) != 0 {
		t.Errorf("the duplicate is still queued")
	}
	select {
	case ref := <-m.received:
		t.Errorf("the supplier received %s a second time", ref)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestSendTypedRefusesInvalid: SendTyped sends nothing that would not
// validate, and reports the DIP's refusals as ErrRefused.
func TestSendTypedRefusesInvalid(t *testing.T) {
	m := newMarket(t)
	bad := &catalogue.IF047ISD{}
	(&catalogue.Sender{DIPID: isdID, Role: "IS"}).Stamp(bad) // a role shorter than DT-009 allows
	if _, err := participant.SendTyped(context.Background(), m.hub.Sender(isdID), "IF-047", bad); !errors.Is(err, catalogue.ErrInvalid) {
		t.Errorf("an invalid IF-047 gave %v, want ErrInvalid", err)
	}
	c := catalogue.Default()
	v, _ := c.Variant("IF-047", "[ISD]")
	p, _ := c.Decode(c.Example(v, catalogue.ExampleOptions{SenderDIPID: isdID, SenderRole: "ISD"}))
	catalogue.To(p, "9999999999") // nobody: MSG3002
	vs, err := participant.SendTyped(context.Background(), m.hub.Sender(isdID), "IF-047", p)
	if !errors.Is(err, participant.ErrRefused) || len(vs) != 1 || vs[0].Code != catalogue.MSG3002 {
		t.Errorf("SendTyped = %v, %v; want ErrRefused with MSG3002", vs, err)
	}
}
