package participant_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"sync"
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

// recorder is a Sender that records each request's channel and message
// ids, fails in transport any request carrying a message in fail, and
// reports a message sent while an earlier one of its MPAN is in flight.
type recorder struct {
	t        *testing.T
	mu       sync.Mutex
	requests [][]string // "channel id id ..."
	inFlight map[string]bool
	fail     map[string]bool
}

type relayMsg struct {
	ID          string
	CommonBlock struct {
		M0 *struct{ MPANCore string } `json:",omitempty"`
	}
}

func relayPayload(id, mpan string) []byte {
	m := relayMsg{ID: id}
	if mpan != "" {
		m.CommonBlock.M0 = &struct{ MPANCore string }{mpan}
	}
	b, _ := json.Marshal(m)
	return b
}

func (r *recorder) Send(_ context.Context, ch string, ps ...[]byte) ([]participant.Verdict, error) {
	var msgs []relayMsg
	req := []string{ch}
	for _, p := range ps {
		var m relayMsg
		json.Unmarshal(p, &m)
		msgs = append(msgs, m)
		req = append(req, m.ID)
	}
	r.mu.Lock()
	r.requests = append(r.requests, req)
	failed := false
	for _, m := range msgs {
		failed = failed || r.fail[m.ID]
		if m.CommonBlock.M0 != nil {
			if r.inFlight[m.CommonBlock.M0.MPANCore] {
				r.t.Errorf("%s sent while another message of its MPAN is in flight", m.ID)
			}
			r.inFlight[m.CommonBlock.M0.MPANCore] = true
		}
	}
	r.mu.Unlock()
	time.Sleep(5 * time.Millisecond) // the DIP's commit
	r.mu.Lock()
	for _, m := range msgs {
		if m.CommonBlock.M0 != nil {
			r.inFlight[m.CommonBlock.M0.MPANCore] = false
		}
	}
	r.mu.Unlock()
	if failed {
		return nil, errors.New("connection reset")
	}
	vs := make([]participant.Verdict, len(ps))
	for i := range vs {
		vs[i].TransactionID = "T" + msgs[i].ID
	}
	return vs, nil
}

// sent returns the ids sent in order of the requests, one request's
// together.
func (r *recorder) sent() []string {
	var out []string
	for _, rq := range r.requests {
		out = append(out, rq[1:]...)
	}
	return out
}

// TestRelayWaves: with lanes, each MPAN's messages go in queue order, the
// next only after the last one's verdict, while different MPANs' messages
// of one channel share a request; a transport failure holds back the rest
// of the MPANs it carried and no other; Lanes 1 keeps the whole queue's
// order.
func TestRelayWaves(t *testing.T) {
	ctx := context.Background()
	svcs, err := sqlite.OpenServices(ctx, filepath.Join(t.TempDir(), "services.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer svcs.Close()
	fill := func(st participant.Store) {
		if _, err := st.Apply(ctx, "", func(tx participant.Tx) error {
			for _, m := range []struct{ ch, id, mpan string }{
				{"IF-001", "a1", "1000000000001"}, {"IF-037", "a2", "1000000000001"}, {"IF-036", "a3", "1000000000001"},
				{"IF-001", "b1", "1000000000002"}, {"IF-036", "b2", "1000000000002"},
				{"IF-047", "c1", ""}, {"IF-047", "c2", ""},
			} {
				if err := tx.Queue(m.ch, relayPayload(m.id, m.mpan)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	before := func(sent []string, a, b string) bool { return slices.Index(sent, a) < slices.Index(sent, b) }

	st := svcs.Store("waves")
	fill(st)
	rec := &recorder{t: t, inFlight: map[string]bool{}}
	if err := participant.NewRelay(st, nil).Flush(ctx, rec); err != nil {
		t.Fatal(err)
	}
	sent := rec.sent()
	if len(sent) != 7 {
		t.Fatalf("sent %v, want all 7", sent)
	}
	if !before(sent, "a1", "a2") || !before(sent, "a2", "a3") || !before(sent, "b1", "b2") || !before(sent, "c1", "c2") {
		t.Errorf("sent %v: an MPAN's messages out of queue order", sent)
	}
	if i := slices.IndexFunc(rec.requests, func(rq []string) bool { return slices.Contains(rq, "a1") }); !slices.Equal(rec.requests[i], []string{"IF-001", "a1", "b1"}) {
		t.Errorf("a1 went in request %v, want IF-001 a1 b1 (two MPANs' messages of one channel together)", rec.requests[i])
	}
	if p, _ := st.Pending(ctx, 10); len(p) != 0 {
		t.Errorf("%d still queued", len(p))
	}

	st = svcs.Store("failing")
	fill(st)
	rec = &recorder{t: t, inFlight: map[string]bool{}, fail: map[string]bool{"b1": true}}
	if err := participant.NewRelay(st, nil).Flush(ctx, rec); err != nil {
		t.Fatal(err)
	}
	pending, _ := st.Pending(ctx, 10)
	var left []string
	for _, o := range pending {
		var m relayMsg
		json.Unmarshal(o.Payload, &m)
		left = append(left, m.ID)
	}
	// b1 went with a1 (IF-001 a1 b1): both MPANs wait, the rest went.
	if !slices.Equal(left, []string{"a1", "a2", "a3", "b1", "b2"}) {
		t.Errorf("after b1's request failed in transport %v are queued, want [a1 a2 a3 b1 b2]", left)
	}

	st = svcs.Store("one-lane")
	fill(st)
	rec = &recorder{t: t, inFlight: map[string]bool{}}
	r := participant.NewRelay(st, nil)
	r.Lanes = 1
	if err := r.Flush(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if got := rec.sent(); !slices.Equal(got, []string{"a1", "a2", "a3", "b1", "b2", "c1", "c2"}) {
		t.Errorf("one lane sent %v, want the queue's order", got)
	}
}
