package dip_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
)

// TestSubmitRejects: each refusal of Submit answers its code, records the
// InboundRuleFailure in the journal when the message has a reference, and
// stores nothing: no message, no delivery.
func TestSubmitRejects(t *testing.T) {
	if021 := func(o msgOpts) []byte {
		o.Variant = "IF-021 [ActivePower]"
		return build(t, o)
	}
	tests := []struct {
		name    string
		from    string // the authenticated participant
		channel string
		body    []byte // the request body
		cfg     dip.Config
		code    catalogue.Code
		detail  string // in the item's Detail
		// journal: the journal of (journalFrom, journalRef) holds the
		// InboundRuleFailure; "" when the message has no reference.
		journalFrom, journalRef string
	}{
		{name: "not a message array", from: dsX, channel: "IF-021", body: []byte(`{"payload":{}}`),
			code: catalogue.MSG1001, detail: "must be a JSON array"},
		{name: "invalid JSON", from: dsX, channel: "IF-021", body: []byte(`[{"payload":{"CommonBlock":`),
			code: catalogue.MSG1002, detail: "invalid JSON"},
		{name: "schema failure", from: dsX, channel: "IF-021",
			body: dip.EgressArray([][]byte{bytes.Replace(if021(msgOpts{Key: "schema"}), []byte(`"CustomBlock":{`), []byte(`"CustomBlock":{"bogus":1,`), 1)}),
			code: catalogue.MSG1001, detail: "bogus", journalFrom: dsX, journalRef: ref("IF-021", dsX, "SDS", "schema")},
		{name: "channel mismatch", from: dsX, channel: "IF-013", body: dip.EgressArray([][]byte{if021(msgOpts{Key: "channel"})}),
			code: catalogue.MSG1003, journalFrom: dsX, journalRef: ref("IF-021", dsX, "SDS", "channel")},
		// The attack: DS X, authenticated, sends a message that claims to
		// come from DS Y. It must not be stored as Y's, nor delivered.
		{name: "spoofed sender", from: dsX, channel: "IF-021", body: dip.EgressArray([][]byte{if021(msgOpts{From: dsY, Key: "spoof"})}),
			code: catalogue.MSG4004, detail: "is not the authenticated participant", journalFrom: dsX, journalRef: ref("IF-021", dsY, "SDS", "spoof")},
		{name: "a sender role the participant does not hold", from: dsX, channel: "IF-021", body: dip.EgressArray([][]byte{if021(msgOpts{Role: "ADS", Key: "role"})}),
			code: catalogue.MSG4004, detail: "does not hold role ADS", journalFrom: dsX, journalRef: ref("IF-021", dsX, "ADS", "role")},
		{name: "a role that may not send the interface", from: supA, channel: "IF-021", body: dip.EgressArray([][]byte{if021(msgOpts{From: supA, Role: "SUP", Key: "suprole"})}),
			code: catalogue.MSG2002, journalFrom: supA, journalRef: ref("IF-021", supA, "SUP", "suprole")},
		{name: "unknown primary recipient", from: dsX, channel: "IF-021", body: dip.EgressArray([][]byte{if021(msgOpts{To: []string{"9999999999"}, Key: "unknown"})}),
			code: catalogue.MSG3002, detail: "primary recipient 9999999999", journalFrom: dsX, journalRef: ref("IF-021", dsX, "SDS", "unknown")},
		{name: "disabled primary recipient", from: dsX, channel: "IF-021", body: dip.EgressArray([][]byte{if021(msgOpts{To: []string{supOff}, Key: "disabled"})}),
			code: catalogue.MSG3002, detail: "primary recipient " + supOff, journalFrom: dsX, journalRef: ref("IF-021", dsX, "SDS", "disabled")},
		{name: "primary recipient without a role of the channel", from: dsX, channel: "IF-021", body: dip.EgressArray([][]byte{if021(msgOpts{To: []string{msX}, Key: "norole"})}),
			code: catalogue.MSG3002, detail: "primary recipient " + msX, journalFrom: dsX, journalRef: ref("IF-021", dsX, "SDS", "norole")},
		{name: "nobody receives", from: regs, channel: "IF-002",
			body: dip.EgressArray([][]byte{build(t, msgOpts{Variant: "IF-002 [GainMPANInfo]", From: regs, Role: "REGS", Key: "nobody"})}),
			code: catalogue.MSG3003, detail: "only to the parties the sender names", journalFrom: regs, journalRef: ref("IF-002", regs, "REGS", "nobody")},
		{name: "no routing rule", from: dsX, channel: "IF-021", cfg: dip.Config{Routing: &dip.RoutingTable{}},
			body: dip.EgressArray([][]byte{if021(msgOpts{Key: "norule"})}),
			code: catalogue.MSG3003, detail: "no routing rule for IF-021", journalFrom: dsX, journalRef: ref("IF-021", dsX, "SDS", "norule")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hubTest(t, tt.cfg, func(t *testing.T, th *testHub) {
				p, _ := th.hub.Participant(tt.from)
				items, err := th.hub.Submit(th.ctx, p, tt.channel, tt.body)
				if err != nil {
					t.Fatalf("Submit: %v", err)
				}
				if len(items) != 1 {
					t.Fatalf("%d items, want 1: %+v", len(items), items)
				}
				it := items[0]
				if it.Code != tt.code || it.Accepted() || it.TransactionID != "" {
					t.Errorf("item %s %q (tx %q), want %s", it.Code, it.Detail, it.TransactionID, tt.code)
				}
				if !strings.Contains(it.Detail, tt.detail) {
					t.Errorf("detail %q, want it to say %q", it.Detail, tt.detail)
				}
				if tt.journalRef != "" {
					if it.SenderUniqueReference != tt.journalRef {
						t.Errorf("item reference %q, want %q", it.SenderUniqueReference, tt.journalRef)
					}
					jr := th.journal(tt.journalFrom, tt.journalRef)
					if !jr.Rejected || len(jr.Entries) != 1 {
						t.Fatalf("journal %+v, want one rejection", jr)
					}
					e := jr.Entries[0]
					if e.Stage != "Inbound" || e.Status != "InboundRuleFailure" || e.StatusCode != 400 || !strings.HasPrefix(e.Reason, string(tt.code)+" ") {
						t.Errorf("journal line %+v, want Inbound InboundRuleFailure 400 %s", e, tt.code)
					}
				}
				th.notStored(tt.journalFrom, tt.journalRef)
			})
		})
	}
}

// TestSubmitSpoofedSenderIsNotStoredAsTheVictim: the message DS X sent as
// DS Y leaves no trace under DS Y's name: its reference stays free for
// DS Y, whose own message with it is then accepted.
func TestSubmitSpoofedSenderIsNotStoredAsTheVictim(t *testing.T) {
	hubTest(t, dip.Config{}, func(t *testing.T, th *testHub) {
		forged := build(t, msgOpts{Variant: "IF-021 [ActivePower]", From: dsY, Key: "victim"})
		items := th.submit(dsX, "IF-021", forged)
		if items[0].Code != catalogue.MSG4004 {
			t.Fatalf("forged message: %s %s", items[0].Code, items[0].Detail)
		}
		if _, err := th.hub.Journal(th.ctx, dsY, ref("IF-021", dsY, "SDS", "victim")); !errors.Is(err, dip.ErrNotFound) {
			t.Errorf("journal of DS Y's reference after the forgery: %v, want ErrNotFound", err)
		}
		it := th.accept(dsY, "IF-021", forged) // the same bytes, now from DS Y
		if jr := th.journal(dsY, ref("IF-021", dsY, "SDS", "victim")); jr.Rejected || jr.Message.TransactionID != it.TransactionID || jr.Message.SenderDIPID != dsY {
			t.Errorf("DS Y's message: %+v", jr)
		}
	})
}

// TestSubmitAccepts: an accepted message gets a transaction id, is routed
// (Secondary LDSO from M0, Always MDS and LSS; the MPAN has no supplier
// yet), has one delivery per recipient, and reaches each co-located
// service as the role it was routed to.
func TestSubmitAccepts(t *testing.T) {
	hubTest(t, dip.Config{}, func(t *testing.T, th *testHub) {
		a := if021(t, "a", testMPAN)
		b := if021(t, "b", otherMPAN)
		items := th.submit(dsX, "IF-021", a, b)
		if len(items) != 2 {
			t.Fatalf("%d items", len(items))
		}
		for i, it := range items {
			if !it.Accepted() || it.Code != catalogue.MSG0000 {
				t.Fatalf("item %d: %s %s", i, it.Code, it.Detail)
			}
			if !strings.HasPrefix(it.TransactionID, "T-IF-021-"+dsX+"-SDS-"+time.Now().UTC().Format("20060102")+"-") {
				t.Errorf("transaction id %q", it.TransactionID)
			}
		}
		if items[0].TransactionID == items[1].TransactionID {
			t.Errorf("two messages, one transaction id %s", items[0].TransactionID)
		}
		if items[0].SenderUniqueReference != ref("IF-021", dsX, "SDS", "a") {
			t.Errorf("reference %q", items[0].SenderUniqueReference)
		}
		jr := th.journal(dsX, ref("IF-021", dsX, "SDS", "a"))
		want := "Primary:[];Secondary:[LDSO:" + ldso + "];Always:[LSS:" + lss + ",MDS:" + mds + "]"
		if got := dip.RecipientMap(jr.Message.Recipients); got != want {
			t.Errorf("recipients %s, want %s", got, want)
		}
		th.settle()
		for _, p := range testMarket() {
			n := len(th.routedTo(p.DIPID))
			wantN := 0
			if p.DIPID == ldso || p.DIPID == lss || p.DIPID == mds {
				wantN = 2
			}
			if n != wantN {
				t.Errorf("%s has %d messages, want %d", p.DIPID, n, wantN)
			}
		}
		roles := map[string]string{ldso: "LDSO", lss: "LSS", mds: "MDS"}
		for id, role := range roles {
			got := th.rec.to(id)
			if len(got) != 2 {
				t.Fatalf("%s received %d messages, want 2", id, len(got))
			}
			for i, d := range got {
				if d.Role != role || d.Channel != "IF-021" || d.Event != "[ActivePower]" || d.TransactionID != items[i].TransactionID || d.Replay {
					t.Errorf("%s received %+v", id, d)
				}
				if want := []string{testMPAN, otherMPAN}[i]; d.MPAN != want {
					t.Errorf("%s message %d MPAN %s, want %s", id, i, d.MPAN, want)
				}
				if !bytes.Contains(d.Payload, []byte(`"transactionID":"`+items[i].TransactionID+`"`)) {
					t.Errorf("%s: the payload's D0 does not carry the transaction id: %s", id, d.Payload)
				}
			}
			if ds := th.deliveries(id, dip.StatusDelivered); len(ds) != 2 {
				t.Errorf("%s: %d Delivered, want 2", id, len(ds))
			}
		}
		for _, id := range []string{dsX, supA, msX, regs} {
			if got := th.rec.to(id); len(got) != 0 {
				t.Errorf("%s, not a recipient, received %d messages", id, len(got))
			}
		}
	})
}

// TestSubmitDuplicates: a reference used twice in one request is refused
// the second time (MSG3001); sent again in a later request it is refused
// with the first message's transaction id, and nothing more is stored.
func TestSubmitDuplicates(t *testing.T) {
	hubTest(t, dip.Config{}, func(t *testing.T, th *testHub) {
		m := if021(t, "dup", testMPAN)
		items := th.submit(dsX, "IF-021", m, m)
		if !items[0].Accepted() || items[1].Code != catalogue.MSG3001 || items[1].TransactionID != "" {
			t.Fatalf("one request: %+v", items)
		}
		if !strings.Contains(items[1].Detail, "twice in this request") {
			t.Errorf("detail %q", items[1].Detail)
		}
		first := items[0].TransactionID
		again := th.submit(dsX, "IF-021", m)
		if again[0].Code != catalogue.MSG3001 || again[0].TransactionID != first {
			t.Errorf("resent: %s tx %q, want MSG3001 with the first's %s", again[0].Code, again[0].TransactionID, first)
		}
		jr := th.journal(dsX, ref("IF-021", dsX, "SDS", "dup"))
		if jr.Rejected || jr.Message.TransactionID != first {
			t.Errorf("journal after the duplicates: %+v", jr)
		}
		if ms := th.routedTo(mds); len(ms) != 1 {
			t.Errorf("MDS has %d messages, want 1", len(ms))
		}
		// Another sender may use the same suffix: references are per sender.
		th.accept(dsY, "IF-021", build(t, msgOpts{Variant: "IF-021 [ActivePower]", From: dsY, Key: "dup"}))
	})
}

// TestSubmitMixedArray: one refused message does not refuse the others of
// its array; items come back in order.
func TestSubmitMixedArray(t *testing.T) {
	hubTest(t, dip.Config{}, func(t *testing.T, th *testHub) {
		items := th.submit(dsX, "IF-021",
			if021(t, "ok1", testMPAN),
			build(t, msgOpts{Variant: "IF-021 [ActivePower]", From: dsY, Key: "forged"}),
			if021(t, "ok2", otherMPAN))
		var codes []catalogue.Code
		for _, it := range items {
			codes = append(codes, it.Code)
		}
		if want := []catalogue.Code{catalogue.MSG0000, catalogue.MSG4004, catalogue.MSG0000}; !slices.Equal(codes, want) {
			t.Fatalf("codes %v, want %v", codes, want)
		}
		if ms := th.routedTo(mds); len(ms) != 2 {
			t.Errorf("MDS has %d messages, want 2", len(ms))
		}
	})
}
