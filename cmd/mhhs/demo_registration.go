package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/regs"
	"github.com/mhhs/mhhs/internal/sim"
	"github.com/mhhs/mhhs/internal/simparty"
	"github.com/mhhs/mhhs/internal/sqlite"
)

// demoWeeks is how many weeks of registration the demo plays before the
// day it settles.
const demoWeeks = 3

// marketClock is the demo market's clock: it runs with the wall clock and
// jumps forward when the demo moves the market on, so that the
// three weeks of a change of supplier pass in seconds.
type marketClock struct {
	mu     sync.Mutex
	set    bool
	offset time.Duration
}

// Now returns the market's time.
func (c *marketClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Set moves the clock to t; once set, never back.
func (c *marketClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if off := time.Until(t); !c.set || off > c.offset {
		c.offset, c.set = off, true
	}
}

// demoServices is the demo market's services and what the demo reads of
// them.
type demoServices struct {
	m            *sim.Market
	clock        *marketClock
	store        *sqlite.DB
	regsStore    regs.Store
	regs         *regs.Service
	regsID       string
	parties      map[string]*simparty.Party // by DIP id, the data services' too
	dataServices []*simparty.DataService
	runners      []demoRunner
}

type demoRunner struct {
	id  string
	svc participant.Service
}

// load gives REGS its registrations of the market through day through,
// and the DIP its MPAN → parties table from them (a migration: the
// registrations predate the DIP). It returns how many it loaded.
func (d *demoServices) load(ctx context.Context, through market.SettlementDate) (int, error) {
	rs, err := simparty.Registrations(d.m, 0, d.m.Len(), through)
	if err != nil {
		return 0, err
	}
	if err := d.regsStore.Load(ctx, rs); err != nil {
		return 0, err
	}
	ps := make([]dip.Parties, len(rs))
	for i, r := range rs {
		ps[i] = partiesOf(r, through.AddDays(1))
	}
	if _, err := d.store.LoadParties(ctx, ps, d.clock.Now()); err != nil {
		return 0, err
	}
	return len(rs), nil
}

// idle reports whether the market has nothing in flight: no CSS event
// waiting for REGS, nothing in any outbox, nothing undelivered in the DIP.
func (d *demoServices) idle() bool {
	ctx := context.Background()
	if in, err := d.regsStore.Inputs(ctx, 1); err != nil || len(in) > 0 {
		return false
	}
	outs := []participant.Outbox{d.regsStore}
	for _, p := range d.parties {
		outs = append(outs, p.Store)
	}
	for _, o := range outs {
		if p, err := o.Pending(ctx, 1); err != nil || len(p) > 0 {
			return false
		}
	}
	qs, err := d.store.Queues(ctx)
	return err == nil && len(qs) == 0
}

// settle waits until the market is idle three times in a row, 5 ms apart.
func (d *demoServices) settle(ctx context.Context) {
	deadline := time.Now().Add(20 * time.Second)
	for quiet := 0; quiet < 3 && time.Now().Before(deadline) && ctx.Err() == nil; {
		time.Sleep(5 * time.Millisecond)
		if d.idle() {
			quiet++
		} else {
			quiet = 0
		}
	}
}

// received adds up what every simulated party received, by interface and
// event.
func (d *demoServices) received() map[string]int {
	out := map[string]int{}
	for _, p := range d.parties {
		t, _ := p.Tally(context.Background())
		for k, n := range t.Messages {
			out[k] += n
		}
	}
	return out
}

// playRegistration runs the market's changes of supplier of the weeks
// from through to day: the simulated CSS sends REGS its events as the
// market's clock passes them, REGS tells the gaining supplier (IF-002), the
// supplier appoints its services (IF-031), REGS asks them (IF-033), they
// accept (IF-034), and on the switch's day REGS registers the supplier
// (IF-001), de-appoints the losing supplier's services (IF-037) and makes
// the new appointments active (IF-036), each through the DIP, which
// routes by what REGS published. Every step of the clock waits for the
// market to settle.
func (d *demoServices) playRegistration(ctx context.Context, w io.Writer, through, day market.SettlementDate, loaded int) error {
	css := simparty.NewCSS(d.m, func(ctx context.Context, evs ...regs.CSSEvent) error { return regs.SubmitCSS(ctx, d.regsStore, evs...) })
	// The switches the demo plays are those CSS announces from the first
	// day on; those announced before are in flight in the real market and
	// out of the demo (REGS's data does not have them).
	css.After = through.AddDays(css.LeadDays)
	since := market.LocalMidnight(through.AddDays(1))
	end := market.LocalMidnight(day).Add(10 * time.Minute)
	plan, err := css.Plan(since, end)
	if err != nil {
		return err
	}
	// The clock steps twice a day: to ten past midnight (switches become
	// active, REGS's timed work) and to 18:01, after the day's other CSS
	// events; at each step CSS sends what its clock has passed, and the
	// market settles.
	var times []time.Time
	for x := through.AddDays(1); !x.After(day); x = x.AddDays(1) {
		times = append(times, market.LocalMidnight(x).Add(10*time.Minute), market.LocalMidnight(x).Add(18*time.Hour+time.Minute))
	}
	kinds := map[regs.CSSEventKind]int{}
	next := 0
	for _, t := range times {
		d.clock.Set(t)
		first := next
		for ; next < len(plan) && !plan[next].At.After(t); next++ {
			kinds[plan[next].Kind]++
		}
		if err := css.Submit(ctx, plan[first:next]...); err != nil {
			return err
		}
		d.settle(ctx)
	}

	fmt.Fprintf(w, "6. Registration, %s to %s on the market's clock (REGS and the CSS simulator on the seam; suppliers and service providers answer):\n", through.AddDays(1), day)
	fmt.Fprintf(w, "   REGS started with %d registrations (the market through %s) and the DIP with its MPAN → parties table from them.\n", loaded, through)
	fmt.Fprintf(w, "   CSS sent %d events: %d switches announced, %d objections (%d upheld), %d annulled, %d secured, %d secured-active.\n",
		len(plan[:next]), kinds[regs.CSSPendingSwitch], kinds[regs.CSSObjectionRaised], upheld(plan[:next]), kinds[regs.CSSAnnulment],
		kinds[regs.CSSSecured], kinds[regs.CSSSecuredActive])
	done, appointed, sample, err := d.switched(ctx, plan[:next])
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "   %d switches took effect by %s; in %d of them the gaining supplier's metering and data services were appointed from the day (COS).\n", done, day, appointed)
	got := d.received()
	var flow []string
	for _, k := range []string{"IF-002 [GainMPANInfo]", "IF-032 [MSAppInitialResp]", "IF-032 [DSAppInitialResp]", "IF-033 [MSAppSPRequest]", "IF-033 [DSAppSPRequest]",
		"IF-035 [MSAppAccepted]", "IF-035 [DSAppAccepted]", "IF-001 [ChangeOfSupplier]", "IF-036 [MSAppActive]", "IF-036 [DSAppActive]", "IF-037 [MSDeApp]", "IF-037 [DSDeApp]"} {
		flow = append(flow, fmt.Sprintf("%s %d", k, got[k]))
	}
	fmt.Fprintf(w, "   delivered to the parties: %s.\n", strings.Join(flow, ", "))
	if sample != nil {
		before, after := sample.r.At(sample.day.AddDays(-1)), sample.r.At(sample.day)
		fmt.Fprintf(w, "   mhhs regs show %s --at %s: supplier %s, MS %s, DS %s; --at %s: supplier %s, MS %s (%s by %s), DS %s (%s).\n",
			sample.r.MPAN, sample.day.AddDays(-1), before.Supplier.MPID, before.MS.MPID, before.DS.MPID,
			sample.day, after.Supplier.MPID, after.MS.MPID, after.MS.Scenario, after.MS.By, after.DS.MPID, after.DS.Scenario)
	}
	fmt.Fprintln(w)
	return nil
}

func upheld(evs []regs.CSSEvent) int {
	n := 0
	for _, ev := range evs {
		if ev.Kind == regs.CSSObjectionResolved && ev.Upheld {
			n++
		}
	}
	return n
}

type switchSample struct {
	r   *regs.Registration
	day market.SettlementDate
}

// switched counts the announced switches whose day has come that REGS
// made (the gaining supplier registered from the day) and those whose
// metering and data services the gaining supplier appointed from the day.
func (d *demoServices) switched(ctx context.Context, evs []regs.CSSEvent) (done, appointed int, sample *switchSample, err error) {
	active := map[string]bool{}
	for _, ev := range evs {
		if ev.Kind == regs.CSSSecuredActive {
			active[ev.RegistrationID] = true
		}
	}
	for _, ev := range evs {
		if ev.Kind != regs.CSSPendingSwitch || !active[ev.RegistrationID] {
			continue
		}
		r, err := d.regsStore.Registration(ctx, ev.MPAN)
		if err != nil {
			return 0, 0, nil, err
		}
		s, _ := r.Supplier.At(ev.From)
		if s.DIPID != ev.Supplier.DIPID || s.CSSRegistrationID != ev.RegistrationID {
			continue
		}
		done++
		ms, _ := r.MS.At(ev.From)
		ds, _ := r.DS.At(ev.From)
		if ms.By == s.DIPID && ds.By == s.DIPID && slices.Contains([]string{string(ms.Scenario), string(ds.Scenario)}, "COS") {
			appointed++
			if sample == nil {
				sample = &switchSample{r, ev.From}
			}
		}
	}
	return done, appointed, sample, nil
}
