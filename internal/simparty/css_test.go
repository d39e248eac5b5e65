package simparty_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/regs"
	"github.com/mhhs/mhhs/internal/sim"
	"github.com/mhhs/mhhs/internal/simparty"
)

// mapBook is a regs.Book in memory, handing out copies as a store does.
type mapBook map[market.MPAN]*regs.Registration

func (b mapBook) Registration(m market.MPAN) (*regs.Registration, error) {
	r, ok := b[m]
	if !ok {
		return nil, fmt.Errorf("%w: %s", regs.ErrNotFound, m)
	}
	return r.Clone(), nil
}

func (b mapBook) Put(r *regs.Registration) error { b[r.MPAN] = r.Clone(); return nil }

func testMarket(t *testing.T, sites int) *sim.Market {
	t.Helper()
	ds, err := isd.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg := sim.DefaultConfig()
	cfg.Sites, cfg.KeyBits = sites, 1024
	cfg.Rates.Switches = 2 // two a year: many switches in a short test
	m, err := sim.New(ds, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// directory is the market's participants' roles, as ISD tells REGS.
func directory(m *sim.Market) regs.StaticDirectory {
	dir := regs.StaticDirectory{}
	for _, p := range m.Participants() {
		dir[string(p.DIPID)] = append(dir[string(p.DIPID)], p.Roles...)
	}
	return dir
}

// TestCSSPlanDrivesREGS: the simulated CSS's events for the market's
// changes of supplier after a day, applied by REGS to the market's
// registrations through that day (simparty.Registrations), move every
// switch to its new supplier on its day, except the ones CSS cancels; REGS
// refuses only a second switch while one is pending (REG9004).
func TestCSSPlanDrivesREGS(t *testing.T) {
	m := testMarket(t, 400)
	through := m.Config().Start.AddDays(30)
	rs, err := simparty.Registrations(m, 0, m.Len(), through)
	if err != nil {
		t.Fatal(err)
	}
	book := mapBook{}
	for _, r := range rs {
		book[r.MPAN] = r
	}
	dir := directory(m)
	e, err := regs.New(regs.DefaultConfig("1500000001", "REGS", dir))
	if err != nil {
		t.Fatal(err)
	}
	css := simparty.NewCSS(m, nil)
	css.After = through
	from := market.LocalMidnight(through.AddDays(-css.LeadDays - 1))
	to := from.Add(60 * 24 * time.Hour)
	evs, err := css.Plan(from, to)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := css.Plan(from, to); len(again) != len(evs) {
		t.Fatalf("the plan changed: %d events, then %d", len(evs), len(again))
	}
	pending := map[string]regs.CSSEvent{} // switches announced in the window, by id
	cancelled := map[string]bool{}
	refused := map[string]int{}
	for i, ev := range evs {
		if i > 0 && ev.At.Before(evs[i-1].At) {
			t.Fatalf("event %d at %s before %s", i, ev.At, evs[i-1].At)
		}
		if _, ok := book[ev.MPAN]; !ok {
			continue // a site connected after through: not loaded
		}
		dec, err := e.CSS(book, ev)
		if err != nil {
			t.Fatalf("%s: %v", ev.ID, err)
		}
		switch {
		case dec.Rejected && ev.Kind == regs.CSSPendingSwitch:
			refused[fmt.Sprint(dec.Codes)]++
			cancelled[ev.RegistrationID] = true
		case dec.Rejected:
			if !cancelled[ev.RegistrationID] {
				t.Errorf("%s %s of a switch REGS took was refused: %v %s", ev.Kind, ev.ID, dec.Codes, dec.Detail)
			}
		case ev.Kind == regs.CSSPendingSwitch:
			pending[ev.RegistrationID] = ev
		case ev.Kind == regs.CSSAnnulment || ev.Kind == regs.CSSObjectionResolved && ev.Upheld:
			cancelled[ev.RegistrationID] = true
		}
	}
	done := 0
	for id, p := range pending {
		if cancelled[id] || !market.LocalMidnight(p.From).Before(to) {
			continue
		}
		r := book[p.MPAN]
		s, ok := r.Supplier.At(p.From)
		if !ok || s.DIPID != p.Supplier.DIPID || s.CSSRegistrationID != id {
			t.Errorf("%s: supplier on %s is %+v, want %s by %s", p.MPAN, p.From, s, p.Supplier.DIPID, id)
		}
		done++
	}
	if done < 10 {
		t.Errorf("only %d switches completed in the window; the test market should make dozens", done)
	}
	for why, n := range refused {
		if why != "[REG9004]" {
			t.Errorf("%d announcements refused for %s", n, why)
		}
	}
	t.Logf("%d events, %d switches announced, %d completed, refused %v", len(evs), len(pending), done, refused)
}

// TestRegistrationsFollowEvents: the registrations through a day hold the
// market's changes of supplier and service up to that day and none after.
func TestRegistrationsFollowEvents(t *testing.T) {
	m := testMarket(t, 300)
	start := m.Config().Start
	through := start.AddDays(60)
	rs, err := simparty.Registrations(m, 0, m.Len(), through)
	if err != nil {
		t.Fatal(err)
	}
	byMPAN := map[market.MPAN]*regs.Registration{}
	for _, r := range rs {
		byMPAN[r.MPAN] = r
	}
	evs, err := m.Events(start, through.AddDays(30), 0, m.Len())
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, e := range evs {
		r := byMPAN[e.MPAN]
		if r == nil || e.New.IsZero() {
			continue
		}
		var got, before string // on the day, and on through
		switch e.Kind {
		case sim.SupplierChange:
			s, _ := r.Supplier.At(e.Date)
			b, _ := r.Supplier.At(through)
			got, before = s.DIPID, b.DIPID
		case sim.DataServiceChange:
			a, _ := r.DS.At(e.Date)
			b, _ := r.DS.At(through)
			got, before = a.DIPID, b.DIPID
		default:
			continue
		}
		want := string(e.New.DIPID)
		if e.Date.After(through) {
			want = before // not applied: what it was on through
		}
		if got != want {
			t.Errorf("%s %s on %s (through %s): the registration has %s on the day, want %s", e.MPAN, e.Kind, e.Date, through, got, want)
		}
		checked++
	}
	if checked < 20 {
		t.Errorf("only %d changes checked", checked)
	}
}
