package dip_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/participant"
)

// retrying is a retry policy without jitter, so that the bubble's clock
// says exactly when a retry falls due: waits of 1 s, 2 s, then 3 s (the
// cap; 4 s uncapped), exhausted at the fourth failed attempt.
var retrying = dip.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Second, MaxDelay: 3 * time.Second}

// refuse makes recipient answer Retry to every message.
func refuse(recipient string) func(string, participant.Delivery) catalogue.Code {
	return func(to string, d participant.Delivery) catalogue.Code {
		if to == recipient {
			return participant.Retry
		}
		return participant.Accept
	}
}

// TestRetriesUntilExhausted: a failed delivery is retried after
// BaseDelay, then twice as long each time up to MaxDelay, and becomes
// RetriesExhausted exactly at its MaxAttempts-th attempt; it is not tried
// again. Each attempt is an Outbound journal line. The other recipients
// are not held up.
func TestRetriesUntilExhausted(t *testing.T) {
	hubTest(t, dip.Config{Retry: retrying}, func(t *testing.T, th *testHub) {
		th.rec.setAnswer(refuse(mds))
		start := time.Now()
		th.accept(dsX, "IF-021", if021(t, "retry", testMPAN))
		th.settle()
		attempts := func() int { return len(th.rec.to(mds)) }
		// Attempt n+1 falls due the wait after attempt n: 1 s, 2 s, 3 s.
		for n, wait := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second} {
			if got := attempts(); got != n+1 {
				t.Fatalf("at +%v: %d attempts, want %d", time.Since(start), got, n+1)
			}
			ds := th.deliveries(mds, dip.StatusRetrying)
			if len(ds) != 1 || ds[0].Attempts != n+1 || !ds[0].NextAttempt.Equal(time.Now().Add(wait)) {
				t.Fatalf("after attempt %d: %+v, want one Retrying, next at +%v", n+1, ds, wait)
			}
			th.after(wait - time.Millisecond)
			if got := attempts(); got != n+1 {
				t.Fatalf("retried %v early", time.Millisecond)
			}
			th.after(time.Millisecond)
		}
		if got := attempts(); got != retrying.MaxAttempts {
			t.Fatalf("%d attempts, want %d", got, retrying.MaxAttempts)
		}
		dead := th.deliveries(mds, dip.StatusRetriesExhausted)
		if len(dead) != 1 || dead[0].Attempts != retrying.MaxAttempts {
			t.Fatalf("dead letters %+v, want one with %d attempts", dead, retrying.MaxAttempts)
		}
		if left := th.deliveries(mds, dip.StatusRetrying); len(left) != 0 {
			t.Errorf("still retrying: %+v", left)
		}
		th.after(10 * time.Second)
		if got := attempts(); got != retrying.MaxAttempts {
			t.Errorf("%d attempts after exhaustion", got)
		}
		lines := th.outbound(dsX, ref("IF-021", dsX, "SDS", "retry"), mds)
		if want := []string{"Retrying", "Retrying", "Retrying", "RetriesExhausted"}; !slices.Equal(statuses(lines), want) {
			t.Errorf("MDS's journal %v, want %v", statuses(lines), want)
		}
		for _, e := range lines {
			if e.StatusCode != 500 || !strings.Contains(e.Reason, "asked to retry") {
				t.Errorf("journal line %+v", e)
			}
		}
		for _, id := range []string{ldso, lss} {
			if got := statuses(th.outbound(dsX, ref("IF-021", dsX, "SDS", "retry"), id)); !slices.Equal(got, []string{"Delivered"}) {
				t.Errorf("%s: %v, want one Delivered", id, got)
			}
		}
	})
}

// TestRetryWaitIsJittered: with the default jitter, the first retry falls
// due within ±20% of BaseDelay.
func TestRetryWaitIsJittered(t *testing.T) {
	policy := dip.RetryPolicy{MaxAttempts: 5, BaseDelay: 10 * time.Second, MaxDelay: time.Minute, Jitter: 0.2}
	hubTest(t, dip.Config{Retry: policy}, func(t *testing.T, th *testHub) {
		th.rec.setAnswer(refuse(mds))
		th.accept(dsX, "IF-021", if021(t, "jitter", testMPAN))
		th.settle()
		ds := th.deliveries(mds, dip.StatusRetrying)
		if len(ds) != 1 {
			t.Fatalf("retrying: %+v", ds)
		}
		if wait := ds[0].NextAttempt.Sub(time.Now()); wait < 8*time.Second || wait > 12*time.Second {
			t.Errorf("first wait %v, want 10 s ± 20%%", wait)
		}
	})
}

// TestPauseAfterConsecutiveFailures: a recipient is Paused at its
// PauseAfter-th failure in a row and then not attempted, however long it
// waits; Resume makes its retrying deliveries due at once, and a success
// resets its count.
func TestPauseAfterConsecutiveFailures(t *testing.T) {
	policy := dip.RetryPolicy{MaxAttempts: 100, BaseDelay: time.Second, MaxDelay: time.Second, PauseAfter: 3}
	hubTest(t, dip.Config{Retry: policy}, func(t *testing.T, th *testHub) {
		th.rec.setAnswer(refuse(mds))
		th.accept(dsX, "IF-021", if021(t, "pause", testMPAN))
		th.settle()
		state := func() dip.RecipientState {
			ss, err := th.db.RecipientStates(th.ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range ss {
				if s.Recipient == mds {
					return s
				}
			}
			return dip.RecipientState{}
		}
		for n := 1; n < 3; n++ {
			if s := state(); s.Paused || s.ConsecutiveFailures != n {
				t.Fatalf("after %d failures: %+v", n, s)
			}
			th.after(time.Second)
		}
		if s := state(); !s.Paused || s.ConsecutiveFailures != 3 {
			t.Fatalf("after 3 failures: %+v, want paused", s)
		}
		th.after(10 * time.Second)
		if n := len(th.rec.to(mds)); n != 3 {
			t.Fatalf("a paused recipient was attempted: %d attempts", n)
		}
		// Other recipients are not paused.
		th.accept(dsX, "IF-021", if021(t, "pause2", otherMPAN))
		th.settle()
		if n := len(th.rec.to(lss)); n != 2 {
			t.Errorf("LSS received %d, want 2", n)
		}

		th.rec.setAnswer(nil)
		if err := th.db.Resume(th.ctx, mds, time.Now()); err != nil {
			t.Fatal(err)
		}
		th.hub.Wake()
		th.settle()
		if s := state(); s.Paused || s.ConsecutiveFailures != 0 {
			t.Errorf("after Resume: %+v", s)
		}
		if ds := th.deliveries(mds, dip.StatusDelivered); len(ds) != 2 {
			t.Errorf("MDS has %d delivered after Resume, want 2", len(ds))
		}
	})
}

// TestServiceAnswersThroughTheHub: how the hub records a co-located
// service's answers: a rejection is final (RejectedByRecipient, never
// retried); some rejected in a batch is per message; a Retry of one
// message redelivers the whole batch; a panic is a failed attempt, retried,
// and the hub keeps running.
func TestServiceAnswersThroughTheHub(t *testing.T) {
	policy := dip.RetryPolicy{MaxAttempts: 10, BaseDelay: time.Second, MaxDelay: time.Second}
	t.Run("rejected", func(t *testing.T) {
		hubTest(t, dip.Config{Retry: policy}, func(t *testing.T, th *testHub) {
			th.rec.setAnswer(func(to string, d participant.Delivery) catalogue.Code {
				if to == mds {
					return catalogue.MSG1001
				}
				return participant.Accept
			})
			th.accept(dsX, "IF-021", if021(t, "rej", testMPAN))
			th.after(10 * time.Second)
			if n := len(th.rec.to(mds)); n != 1 {
				t.Errorf("a rejected message was attempted %d times", n)
			}
			if ds := th.deliveries(mds, dip.StatusRejectedByRecipient); len(ds) != 1 || ds[0].Attempts != 1 {
				t.Errorf("rejected: %+v", ds)
			}
			lines := th.outbound(dsX, ref("IF-021", dsX, "SDS", "rej"), mds)
			if len(lines) != 1 || lines[0].Status != "RejectedByRecipient" || lines[0].StatusCode != 400 || !strings.Contains(lines[0].Reason, "MSG1001") {
				t.Errorf("journal %+v", lines)
			}
			// A rejection is not a failure: the recipient is not counted
			// toward a pause.
			ss, _ := th.db.RecipientStates(th.ctx)
			for _, s := range ss {
				if s.Recipient == mds && s.ConsecutiveFailures != 0 {
					t.Errorf("MDS state %+v", s)
				}
			}
		})
	})
	t.Run("some rejected", func(t *testing.T) {
		hubTest(t, dip.Config{Retry: policy}, func(t *testing.T, th *testHub) {
			th.rec.setAnswer(func(to string, d participant.Delivery) catalogue.Code {
				if to == mds && bytes.Contains(d.Payload, []byte(ref("IF-021", dsX, "SDS", "p2"))) {
					return catalogue.MSG1001
				}
				return participant.Accept
			})
			// Both messages in one request: one claim round, one batch.
			items := th.submit(dsX, "IF-021", if021(t, "p1", testMPAN), if021(t, "p2", otherMPAN))
			th.after(10 * time.Second)
			if n := th.rec.callCount(); n != 3 { // MDS, LSS, LDSO: one batch each
				t.Errorf("%d handler calls, want 3", n)
			}
			ok, rej := th.deliveries(mds, dip.StatusDelivered), th.deliveries(mds, dip.StatusRejectedByRecipient)
			if len(ok) != 1 || ok[0].TransactionID != items[0].TransactionID || len(rej) != 1 || rej[0].TransactionID != items[1].TransactionID {
				t.Errorf("delivered %+v, rejected %+v", ok, rej)
			}
		})
	})
	t.Run("retry fails the batch", func(t *testing.T) {
		hubTest(t, dip.Config{Retry: policy}, func(t *testing.T, th *testHub) {
			var mu sync.Mutex
			first := true
			th.rec.setAnswer(func(to string, d participant.Delivery) catalogue.Code {
				mu.Lock()
				defer mu.Unlock()
				if to == mds && first && bytes.Contains(d.Payload, []byte(ref("IF-021", dsX, "SDS", "r2"))) {
					first = false
					return participant.Retry
				}
				return participant.Accept
			})
			items := th.submit(dsX, "IF-021", if021(t, "r1", testMPAN), if021(t, "r2", otherMPAN))
			th.settle()
			if ds := th.deliveries(mds, dip.StatusRetrying); len(ds) != 2 {
				t.Fatalf("retrying %+v, want both messages of the batch", ds)
			}
			th.after(time.Second)
			got := th.rec.to(mds)
			var txs []string
			for _, d := range got {
				txs = append(txs, d.TransactionID)
			}
			want := []string{items[0].TransactionID, items[1].TransactionID, items[0].TransactionID, items[1].TransactionID}
			if !slices.Equal(txs, want) {
				t.Errorf("MDS received %v, want %v", txs, want)
			}
			if ds := th.deliveries(mds, dip.StatusDelivered); len(ds) != 2 {
				t.Errorf("delivered %d, want 2", len(ds))
			}
		})
	})
	t.Run("panic", func(t *testing.T) {
		panicking := true
		var mu sync.Mutex
		rec := &recorder{}
		services := []dip.LocalService{rec.service(lss), rec.service(ldso), {DIPID: mds, Handler: participant.HandlerFunc(
			func(ctx context.Context, ds []participant.Delivery) []catalogue.Code {
				mu.Lock()
				defer mu.Unlock()
				if panicking {
					panic("the service broke")
				}
				return nil
			})}}
		hubTest(t, dip.Config{Retry: policy, Services: services}, func(t *testing.T, th *testHub) {
			th.accept(dsX, "IF-021", if021(t, "panic", testMPAN))
			th.settle()
			if err := th.hub.Ready(th.ctx); err != nil {
				t.Fatalf("after the panic: %v", err)
			}
			lines := th.outbound(dsX, ref("IF-021", dsX, "SDS", "panic"), mds)
			if len(lines) != 1 || lines[0].Status != "Retrying" || !strings.Contains(lines[0].Reason, "panicked: the service broke") {
				t.Errorf("journal %+v", lines)
			}
			if n := len(rec.to(lss)); n != 1 {
				t.Errorf("LSS received %d, want 1", n)
			}
			mu.Lock()
			panicking = false
			mu.Unlock()
			th.after(time.Second)
			if ds := th.deliveries(mds, dip.StatusDelivered); len(ds) != 1 {
				t.Errorf("not delivered after the service recovered: %+v", ds)
			}
		})
	})
}

// TestPerMPANOrder: a later message for an MPAN waits while an earlier one
// to the same recipient on the same channel is undelivered; messages for
// other MPANs and to other recipients do not wait.
func TestPerMPANOrder(t *testing.T) {
	policy := dip.RetryPolicy{MaxAttempts: 100, BaseDelay: time.Second, MaxDelay: time.Second}
	hubTest(t, dip.Config{Retry: policy, BatchSize: 1}, func(t *testing.T, th *testHub) {
		var mu sync.Mutex
		holding := true // MDS cannot take the first message yet
		th.rec.setAnswer(func(to string, d participant.Delivery) catalogue.Code {
			mu.Lock()
			defer mu.Unlock()
			if to == mds && holding && bytes.Contains(d.Payload, []byte(ref("IF-021", dsX, "SDS", "o1"))) {
				return participant.Retry
			}
			return participant.Accept
		})
		items := th.submit(dsX, "IF-021", if021(t, "o1", testMPAN), if021(t, "o2", testMPAN), if021(t, "o3", otherMPAN))
		th.after(10 * time.Second)
		var txs []string
		for _, d := range th.rec.to(mds) {
			txs = append(txs, d.TransactionID)
		}
		if slices.Contains(txs, items[1].TransactionID) {
			t.Fatalf("the second message for %s went before the first: %v", testMPAN, txs)
		}
		if !slices.Contains(txs, items[2].TransactionID) || !slices.Contains(txs, items[0].TransactionID) {
			t.Fatalf("MDS received %v", txs)
		}
		if n := len(th.rec.to(lss)); n != 3 {
			t.Errorf("LSS received %d, want 3: the order is per recipient", n)
		}
		mu.Lock()
		holding = false
		mu.Unlock()
		th.after(time.Second)
		txs = txs[:0]
		for _, d := range th.rec.to(mds) {
			if d.TransactionID != items[2].TransactionID {
				txs = append(txs, d.TransactionID)
			}
		}
		// The first message, retried until it went, then the second.
		if len(txs) < 2 || txs[len(txs)-2] != items[0].TransactionID || txs[len(txs)-1] != items[1].TransactionID {
			t.Errorf("MDS received %v", txs)
		}
		if ds := th.deliveries(mds, dip.StatusDelivered); len(ds) != 3 {
			t.Errorf("delivered %d, want 3", len(ds))
		}
	})
}

// TestConfigNowGovernsRetries: the hub reads time through Config.Now:
// with a clock that does not move, a failed delivery does not fall due
// however long the hub runs; DeliverOnce attempts what is due at
// Config.Now and returns how many.
func TestConfigNowGovernsRetries(t *testing.T) {
	c := &manualClock{t: time.Date(2025, 4, 1, 12, 0, 0, 0, time.UTC)}
	hubTest(t, dip.Config{Retry: retrying, Now: c.Now}, func(t *testing.T, th *testHub) {
		th.rec.setAnswer(refuse(mds))
		th.accept(dsX, "IF-021", if021(t, "now", testMPAN))
		th.after(10 * time.Second) // the bubble's clock; the hub's does not move
		if n := len(th.rec.to(mds)); n != 1 {
			t.Fatalf("%d attempts, want 1", n)
		}
		if n, err := th.hub.DeliverOnce(th.ctx); err != nil || n != 0 {
			t.Fatalf("DeliverOnce before the retry is due: %d %v", n, err)
		}
		c.Add(time.Second)
		if n, err := th.hub.DeliverOnce(th.ctx); err != nil || n != 1 {
			t.Fatalf("DeliverOnce when the retry is due: %d %v", n, err)
		}
		ds := th.deliveries(mds, dip.StatusRetrying)
		if len(ds) != 1 || ds[0].Attempts != 2 || !ds[0].NextAttempt.Equal(c.Now().Add(2*time.Second)) {
			t.Errorf("after the second attempt: %+v", ds)
		}
	})
}

// manualClock is a clock that moves only when told.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestMaskingAndJournalOfARegistrationChange: an IF-036 appointing a
// metering service changes the MPAN's registration (MPANUpdateQueue OK),
// reaches the supplier and the service it names (Secondary) and the LDSO
// and MDS; the metering point address arrives only where the role is
// entitled to it; each delivery is an Outbound line. A later message for
// the MPAN reaches the supplier the DIP has learnt.
func TestMaskingAndJournalOfARegistrationChange(t *testing.T) {
	hubTest(t, dip.Config{}, func(t *testing.T, th *testHub) {
		if036 := build(t, msgOpts{Variant: "IF-036 [MSAppActive]", From: regs, Role: "REGS", Key: "app", Full: true,
			Edit: func(p catalogue.Payload) {
				m := p.(*catalogue.IF036MSAppActive)
				m.CustomBlock.B012.ServiceProviderAppointmentRequestingSupplierDIPID = supA
				m.CustomBlock.B014.IncomingMeteringServiceDIPID = msX
				m.CommonBlock.S1.SenderCorrelationID = nil
			}})
		if !bytes.Contains(if036, []byte(`"addressLine1":"`)) {
			t.Fatalf("the test message has no address: %s", if036)
		}
		it := th.accept(regs, "IF-036", if036)
		th.settle()
		jr := th.journal(regs, ref("IF-036", regs, "REGS", "app"))
		wantMap := "Primary:[];Secondary:[SUP:" + supA + ",MSS:" + msX + ",LDSO:" + ldso + "];Always:[MDS:" + mds + "]"
		if len(jr.Entries) < 3 {
			t.Fatalf("journal %+v", jr.Entries)
		}
		head := jr.Entries[:3]
		if head[0].Stage != "Inbound" || head[0].Status != "GoodToGo" || head[0].StatusCode != 201 ||
			head[1].Stage != "MPANUpdateQueue" || head[1].Status != "OK" ||
			head[2].Stage != "Addressing" || head[2].Status != "SentToTopic" || head[2].Reason != wantMap {
			t.Errorf("journal begins %+v, want Inbound GoodToGo, MPANUpdateQueue OK, Addressing %s", head, wantMap)
		}
		var outbound []string
		for _, e := range jr.Entries[3:] {
			if e.Stage != "Outbound" || e.Status != "Delivered" || e.StatusCode != 201 {
				t.Errorf("journal line %+v", e)
			}
			outbound = append(outbound, e.Recipient)
		}
		slices.Sort(outbound)
		if want := []string{msX, mds, supA, ldso}; !slices.Equal(outbound, sorted(want)) {
			t.Errorf("Outbound lines for %v, want %v", outbound, sorted(want))
		}
		for id, masked := range map[string]bool{supA: false, msX: false, ldso: false, mds: true} {
			got := th.rec.to(id)
			if len(got) != 1 || got[0].TransactionID != it.TransactionID {
				t.Fatalf("%s received %+v", id, got)
			}
			var p struct {
				CustomBlock struct{ B022 map[string]any }
			}
			if err := json.Unmarshal(got[0].Payload, &p); err != nil {
				t.Fatal(err)
			}
			nulls := 0
			for _, v := range p.CustomBlock.B022 {
				if v == nil {
					nulls++
				}
			}
			if masked && (nulls != len(p.CustomBlock.B022) || len(p.CustomBlock.B022) != 10) {
				t.Errorf("%s (%s) received the address: %v", id, got[0].Role, p.CustomBlock.B022)
			}
			if !masked && p.CustomBlock.B022["addressLine1"] == nil {
				t.Errorf("%s (%s) did not receive the address", id, got[0].Role)
			}
			if _, err := got[0].Decode(); err != nil {
				t.Errorf("%s: the delivered payload does not decode: %v", id, err)
			}
		}
		// The DIP learnt supplier A and MS X for the MPAN.
		th.accept(dsX, "IF-021", if021(t, "after", testMPAN))
		th.settle()
		jr = th.journal(dsX, ref("IF-021", dsX, "SDS", "after"))
		if got, want := dip.RecipientMap(jr.Message.Recipients), "Primary:[];Secondary:[LDSO:"+ldso+",SUP:"+supA+"];Always:[LSS:"+lss+",MDS:"+mds+"]"; got != want {
			t.Errorf("IF-021 after the registration: %s, want %s", got, want)
		}
		if len(jr.Entries) < 2 || jr.Entries[1].Stage != "Addressing" {
			t.Errorf("an IF-021 changed the registration: %+v", jr.Entries)
		}
	})
}

// TestIF001RoutesToTheIncomingSupplier: after an IF-001 change of
// supplier, the MPAN's messages go to the new supplier, not the old.
func TestIF001RoutesToTheIncomingSupplier(t *testing.T) {
	hubTest(t, dip.Config{}, func(t *testing.T, th *testHub) {
		for i, sup := range []string{supA, supB} {
			variant, key := "IF-001 [InitialRegistration]", "reg"
			// Effective today (the bubble's clock): a later date would keep
			// the change pending until then (TestEffectiveDatedRouting).
			today := market.MidnightOf(market.FromTime(time.Now()))
			edit := func(p catalogue.Payload) {
				b := &p.(*catalogue.IF001InitialRegistration).CustomBlock.B002
				b.IncomingSupplierDIPID, b.SupplierEffectiveFromDate = sup, today
			}
			if i > 0 {
				variant, key = "IF-001 [ChangeOfSupplier]", "cos"
				edit = func(p catalogue.Payload) {
					b := &p.(*catalogue.IF001ChangeOfSupplier).CustomBlock.B002
					b.IncomingSupplierDIPID, b.SupplierEffectiveFromDate = sup, today
				}
			}
			th.accept(regs, "IF-001", build(t, msgOpts{Variant: variant, From: regs, Role: "REGS", Key: key, Edit: edit}))
			th.accept(dsX, "IF-021", if021(t, key, testMPAN))
			th.settle()
			jr := th.journal(dsX, ref("IF-021", dsX, "SDS", key))
			want := "Primary:[];Secondary:[LDSO:" + ldso + ",SUP:" + sup + "];Always:[LSS:" + lss + ",MDS:" + mds + "]"
			if got := dip.RecipientMap(jr.Message.Recipients); got != want {
				t.Errorf("after %s: %s, want %s", variant, got, want)
			}
		}
		if n := len(th.rec.to(supA)); n != 2 { // its IF-001 and the first IF-021
			t.Errorf("supplier A received %d, want 2", n)
		}
	})
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestMaskingFailsClosed: a body the hub cannot mask for a recipient (a
// fault of the store: stored bodies are JSON) is not delivered to it, as
// it may carry personal data the recipient must not see; the delivery is
// retried with the reason.
func TestMaskingFailsClosed(t *testing.T) {
	faultTest(t, dip.Config{}, func(t *testing.T, th *testHub, fs *faultStore) {
		fs.set(func(f *faultStore) { f.corruptBodies = true })
		th.accept(dsX, "IF-021", if021(t, "mask", testMPAN))
		th.settle()
		if got := th.rec.to(mds); len(got) != 0 {
			t.Errorf("the MDS (not entitled to the address) received a body that could not be masked: %d", len(got))
		}
		retrying := th.deliveries(mds, dip.StatusRetrying)
		if len(retrying) != 1 || !strings.Contains(retrying[0].LastError, "masking failed") {
			t.Errorf("MDS deliveries retrying: %+v", retrying)
		}
	})
}
