package webhook

import (
	"context"
	"slices"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/participant"
)

// Handle adapts a participant.Handler to a Receiver's Handle, for a
// service in its own process: each delivered payload is validated and
// decoded as the DIP's intake does (catalogue.Catalogue.DecodeValid) — the
// receiver hands out nothing the validator refuses: such a message is
// rejected with its finding's code (MSG1001 …) and never reaches h — and
// becomes a participant.Delivery: channel and event from S0, the DIP's
// transaction id and replay flag from D0, the MPAN, and the role it was
// routed to, the first of roles that the interface delivers to.
func Handle(h participant.Handler, roles []string) func(ctx context.Context, msgs []catalogue.Message) []catalogue.Code {
	c := catalogue.Default()
	return func(ctx context.Context, msgs []catalogue.Message) []catalogue.Code {
		codes := make([]catalogue.Code, len(msgs))
		var ds []participant.Delivery
		var at []int
		for i, m := range msgs {
			p, findings, err := c.DecodeValid(m.Payload)
			switch {
			case err != nil:
				codes[i] = catalogue.MSG1002
				continue
			case len(findings) > 0:
				codes[i] = findings[0].Code
				continue
			}
			cb := p.Common()
			v := p.Variant()
			d := participant.Delivery{Channel: v.InterfaceID, Event: v.EventCode, MPAN: string(cb.MPAN()), Payload: m.Payload, Role: roleFor(c, v.InterfaceID, roles)}
			if cb.D0 != nil {
				d.TransactionID, d.Replay = cb.D0.TransactionID, cb.D0.ReplayIndicator
			}
			if d.TransactionID == "" {
				// The DIP always sets D0: a delivery without it did not
				// come from the DIP.
				codes[i] = catalogue.MSG1001
				continue
			}
			ds = append(ds, d)
			at = append(at, i)
		}
		if len(ds) == 0 {
			return codes
		}
		answers := h.Handle(ctx, ds)
		for j, i := range at {
			switch {
			case answers == nil:
				codes[i] = participant.Accept
			case len(answers) != len(ds): // the handler's fault: try again later
				codes[i] = participant.Retry
			default:
				codes[i] = answers[j]
			}
		}
		return codes
	}
}

// roleFor returns the first of roles the interface delivers to, or the
// first role when none does.
func roleFor(c *catalogue.Catalogue, iface string, roles []string) string {
	if in, ok := c.Interface(iface); ok {
		for _, r := range roles {
			if slices.Contains(in.Recipients, r) {
				return r
			}
		}
	}
	if len(roles) > 0 {
		return roles[0]
	}
	return ""
}
