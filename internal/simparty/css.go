package simparty

import (
	"context"
	"hash/fnv"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/regs"
	"github.com/mhhs/mhhs/internal/sim"
)

// CSS is the simulated Central Switching Service: it turns the simulated
// market's changes of supplier (sim.Events, SupplierChange) into the
// events CSS sends REGS, at the times CSS would send them, as the market's
// clock passes them. CSS has no DIP interface to REGS (it is the
// switching arrangements' own service); Submit is how its events reach
// REGS (regs.SubmitCSS on REGS's store, which applies each event once by
// its id).
//
// A switch effective on day D is announced (pending) LeadDays before, at
// 09:00; CSS secures it the day before at 18:00 and makes it active at
// 00:05 on D. A share of switches is objected to by the losing supplier
// (two hours after the announcement; the objection resolved the next
// morning, upheld for half of them: the switch is cancelled) and a share
// annulled two days before D. Which ones is decided by a hash of the
// switch's id, so a plan is the same on every run and in every process.
//
// The shares are assumptions of the simulation, not market statistics
// (reference mhhs-domain.md does not give them): configuration.
type CSS struct {
	Market *sim.Market
	Submit func(ctx context.Context, evs ...regs.CSSEvent) error // in time order, together
	// Now is the market's clock (default time.Now); Since is the time
	// from which Run submits events (default: Now at Run). Events before
	// it were submitted by an earlier run, or belong to the market's past.
	Now   func() time.Time
	Since time.Time
	// After excludes the switches effective on or before it: those REGS
	// already holds (simparty.Registrations through After). Zero: none.
	After market.SettlementDate
	// LeadDays is how many days before its day a switch is announced
	// (NewCSS: 7, past the objection window on any weekday).
	LeadDays int
	// Objected and Annulled are the shares of switches objected to and
	// annulled (NewCSS: 0.02 and 0.01).
	Objected, Annulled float64
	Poll               time.Duration // default 1 s
	Logger             *slog.Logger

	mu   sync.Mutex
	days map[market.SettlementDate][]regs.CSSEvent // the events of the switches effective on a day
}

// NewCSS returns the simulated CSS of m with the default lead time and
// shares, submitting through submit.
func NewCSS(m *sim.Market, submit func(context.Context, ...regs.CSSEvent) error) *CSS {
	return &CSS{Market: m, Submit: submit, LeadDays: 7, Objected: 0.02, Annulled: 0.01}
}

// Channels: CSS receives nothing through the DIP.
func (c *CSS) Channels() []string { return nil }

// Handle is never called: CSS takes no interface.
func (c *CSS) Handle(_ context.Context, ds []participant.Delivery) []catalogue.Code {
	codes := make([]catalogue.Code, len(ds))
	for i := range codes {
		codes[i] = catalogue.MSG1001
	}
	return codes
}

func (c *CSS) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *CSS) lead() int { return max(c.LeadDays, 1) }

// Run submits, every Poll, the events whose time has come since the last
// round, until ctx is done. A failed Submit is tried again next round.
func (c *CSS) Run(ctx context.Context, _ participant.Sender) error {
	since := c.Since
	if since.IsZero() {
		since = c.now()
	}
	poll := c.Poll
	if poll <= 0 {
		poll = time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		now := c.now()
		if evs, err := c.Plan(since, now); err != nil {
			c.logger().Error("css: planning switches failed", "err", err)
		} else if err := c.submit(ctx, evs); err != nil {
			if ctx.Err() == nil {
				c.logger().Warn("css: submitting events failed; trying again", "err", err)
			}
		} else {
			since = now
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (c *CSS) submit(ctx context.Context, evs []regs.CSSEvent) error {
	if len(evs) == 0 {
		return nil
	}
	return c.Submit(ctx, evs...)
}

// Plan returns the events at times in (from, to], in time order.
func (c *CSS) Plan(from, to time.Time) ([]regs.CSSEvent, error) {
	if !to.After(from) {
		return nil, nil
	}
	// An event is at most LeadDays before its switch's day, and at most
	// a day after it (the local day of a UTC time).
	first := market.FromTime(from.In(market.London())).AddDays(-1)
	last := market.FromTime(to.In(market.London())).AddDays(c.lead() + 1)
	var out []regs.CSSEvent
	for d := first; !d.After(last); d = d.AddDays(1) {
		evs, err := c.switchesOn(d)
		if err != nil {
			return nil, err
		}
		for _, ev := range evs {
			if ev.At.After(from) && !ev.At.After(to) {
				out = append(out, ev)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b regs.CSSEvent) int { return a.At.Compare(b.At) })
	return out, nil
}

// switchesOn returns the events of the switches effective on day d,
// computed once.
func (c *CSS) switchesOn(d market.SettlementDate) ([]regs.CSSEvent, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if evs, ok := c.days[d]; ok {
		return evs, nil
	}
	tl := c.Market.Timeline()
	var evs []regs.CSSEvent
	if !d.Before(tl.From) && (tl.To.IsZero() || !d.After(tl.To)) && (c.After.IsZero() || d.After(c.After)) {
		changes, err := c.Market.Events(d, d, 0, c.Market.Len())
		if err != nil {
			return nil, err
		}
		for _, e := range changes {
			if e.Kind == sim.SupplierChange && !e.New.IsZero() {
				evs = append(evs, c.switchEvents(e)...)
			}
		}
	}
	if c.days == nil {
		c.days = map[market.SettlementDate][]regs.CSSEvent{}
	}
	c.days[d] = evs
	return evs, nil
}

// switchEvents are the CSS events of one change of supplier.
func (c *CSS) switchEvents(e sim.Event) []regs.CSSEvent {
	id := SwitchID(e.MPAN, e.Date)
	at := func(d market.SettlementDate, hour, minute int) time.Time {
		return market.LocalMidnight(d).Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)
	}
	ev := func(kind regs.CSSEventKind, t time.Time) regs.CSSEvent {
		return regs.CSSEvent{ID: id + "-" + string(kind), At: t, Kind: kind, MPAN: e.MPAN, RegistrationID: id}
	}
	announced := e.Date.AddDays(-c.lead())
	pending := ev(regs.CSSPendingSwitch, at(announced, 9, 0))
	pending.Supplier, pending.From = party(e.New), e.Date
	out := []regs.CSSEvent{pending}
	h := share(id)
	objected, annulled := c.Objected, c.Annulled
	switch {
	case h < objected:
		out = append(out, ev(regs.CSSObjectionRaised, at(announced, 11, 0)))
		resolved := ev(regs.CSSObjectionResolved, at(announced.AddDays(1), 10, 0))
		resolved.Upheld = h < objected/2
		out = append(out, resolved)
		if resolved.Upheld {
			return out
		}
	case h < objected+annulled:
		return append(out, ev(regs.CSSAnnulment, at(e.Date.AddDays(-2), 12, 0)))
	}
	return append(out, ev(regs.CSSSecured, at(e.Date.AddDays(-1), 18, 0)), ev(regs.CSSSecuredActive, at(e.Date, 0, 5)))
}

// share maps a switch id to [0, 1).
func share(id string) float64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return float64(h.Sum64()>>11) / (1 << 53)
}

func (c *CSS) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}
