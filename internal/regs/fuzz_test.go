package regs

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

// FuzzReceive feeds REGS any message the DIP would deliver to it: a
// payload that passes the DIP's validation, from a sender holding one of
// the interface's sender roles, about one of three registered MPANs. The
// seeds are an example of every variant REGS receives. Whatever REGS
// decides, it must not fail or panic, every message it sends must pass
// the contract, a rejection must change nothing, and the registrations
// must keep their invariants (no overlapping appointments, no gaps in
// mandatory history).
func FuzzReceive(f *testing.F) {
	cat := catalogue.Default()
	w := newWorld()
	aliases := make([]string, 0, len(w.byAlias))
	for a := range w.byAlias {
		aliases = append(aliases, a)
	}
	slices.Sort(aliases)
	for _, in := range cat.Interfaces() {
		if !slices.Contains(in.Recipients, string(market.RoleREGS)) {
			continue
		}
		for _, v := range in.Variants {
			for _, a := range aliases {
				p := w.byAlias[a]
				if role := senderRole(in, p.roles); role != "" {
					f.Add(cat.Example(v, catalogue.ExampleOptions{SenderDIPID: p.dipID, SenderRole: role}), uint8(0))
					break
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, payload []byte, which uint8) {
		in, findings, err := cat.DecodeValid(payload)
		if err != nil || len(findings) > 0 {
			return // the DIP refuses it: REGS never sees it
		}
		c := in.Common()
		ifc, _ := cat.Interface(in.Variant().InterfaceID)
		if !slices.Contains(ifc.Recipients, string(market.RoleREGS)) {
			return
		}
		p := newProperty(t, 1)
		sender, ok := w.byDIP[c.S1.SenderDIPID]
		if !ok || !slices.Contains(sender.roles, market.Role(c.S1.SenderRoleID)) || !ifc.MaySend(c.S1.SenderRoleID) {
			return // the DIP authenticates the sender and checks its role
		}
		mpan := p.mpans[int(which)%len(p.mpans)]
		m0 := catalogue.M0{MPANCore: mpan, DistributorDIPID: p.dip("LDSA"), GSPGroupID: "_A"}
		switch {
		case c.M1 != nil:
			*c.M1 = catalogue.M1{PrincipalMPAN: mpan, DistributorDIPID: m0.DistributorDIPID, GSPGroupID: m0.GSPGroupID}
		case c.M0 != nil:
			*c.M0 = m0
		}
		tx := "FUZZ-1"
		if c.D0 != nil {
			*c.D0 = catalogue.D0{TransactionID: tx, TransactionTimestamp: market.At(p.clock), PublicationID: "PUB-" + in.Variant().InterfaceID[3:]}
		}
		before := p.book.clone()
		d, err := p.eng.Receive(p.book, Input{Payload: in, TransactionID: tx, Timestamp: p.clock.Add(time.Hour)})
		if err != nil {
			t.Fatalf("Receive: %v", err)
		}
		for _, m := range d.Messages {
			if _, findings, err := catalogue.EncodeValid(m); err != nil || len(findings) > 0 {
				t.Fatalf("%s breaks the contract: %v %v", variantKey(m), err, findings)
			}
		}
		for _, m := range p.mpans {
			if d.Rejected && !bytes.Equal(before.docs[m], p.book.docs[m]) {
				t.Fatalf("rejected (%v %s) but changed %s", d.Codes, d.Detail, m)
			}
			if err := p.invariants(p.book.get(t, m)); err != nil {
				t.Fatalf("%s: %v", m, err)
			}
		}
	})
}

// senderRole returns the first of roles that may send on in, or "".
func senderRole(in *catalogue.Interface, roles []market.Role) string {
	for _, r := range roles {
		if in.MaySend(string(r)) {
			return string(r)
		}
	}
	return ""
}
