package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/sim"
	"github.com/mhhs/mhhs/internal/simparty"
	"github.com/mhhs/mhhs/internal/sqlite"
)

// demo shows, on the embedded default, what this build of mhhs runs: the
// message catalogue, standing data, a synthetic market, and the DIP with
// the services of that market as participants in one process. It grows
// into the whole market as the services land.
func demo(env *cmdEnv, args []string) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	dateFlag := fs.String("date", "2025-10-26", "settlement date to show (a clock-change day by default)")
	sites := fs.Int("sites", 300, "MPANs in the synthetic market")
	switches := fs.Float64("switches", 1, "changes of supplier per MPAN and year (GB runs at about 0.12; more shows more switches)")
	seed := fs.Uint64("seed", 1, "seed of the synthetic market")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	day, err := market.ParseSettlementDate(*dateFlag)
	if err != nil {
		fmt.Fprintln(env.stderr, "mhhs demo:", err)
		return exitUsage
	}
	if err := runDemo(env, day, *sites, *seed, *switches); err != nil {
		fmt.Fprintln(env.stderr, "mhhs demo:", err)
		return exitFail
	}
	return exitOK
}

func runDemo(env *cmdEnv, day market.SettlementDate, sites int, seed uint64, switches float64) error {
	w := env.stdout
	fmt.Fprintln(w, "mhhs demo: the parts of the market this build runs")
	fmt.Fprintln(w)
	demoCatalogue(w)
	cal := market.NewCalendar()
	fmt.Fprintf(w, "2. Time: UTC day %s has 48 settlement periods; the local clock day has %d; +5 working days is %s.\n\n",
		day, market.ClockPeriods(day), cal.AddWorkingDays(day, 5))
	if err := demoISD(w, day, cal); err != nil {
		return err
	}
	ds, err := isd.Default()
	if err != nil {
		return err
	}
	cfg := sim.DefaultConfig()
	cfg.Seed, cfg.Sites, cfg.Rates.Switches = seed, sites, switches
	m, err := sim.New(ds, cfg)
	if err != nil {
		return err
	}
	truth := demoMarket(w, m, day)
	return demoDIP(env, w, m, day, truth)
}

// demoCatalogue shows the catalogue and its validator.
func demoCatalogue(w io.Writer) {
	c := catalogue.Default()
	variants, passed := 0, 0
	val := catalogue.NewValidator(c)
	for _, in := range c.Interfaces() {
		for _, v := range in.Variants {
			variants++
			if vd, err := val.ValidatePayload(in.ID, c.Example(v, catalogue.ExampleOptions{Full: true})); err == nil && vd.OK() {
				passed++
			}
		}
	}
	fmt.Fprintf(w, "1. DIP message catalogue: %d interfaces, %d event variants (DIP API v2.2.1); %d REG/DSC rejection codes.\n",
		len(c.Interfaces()), variants, len(catalogue.RejectionCodes()))
	fmt.Fprintf(w, "   one full generated example per variant: %d of %d pass validation.\n", passed, variants)
	v, _ := c.Variant("IF-021", "[ActivePower]")
	bad := strings.Replace(string(c.Example(v, catalogue.ExampleOptions{})), `"M0":{`, `"M0":{"extra":1,`, 1)
	if vd, err := val.ValidatePayload("IF-021", []byte(bad)); err == nil && !vd.OK() {
		fmt.Fprintf(w, "   an IF-021 with a stray key: %s at %s\n\n", vd.Code().Message(), vd.Findings[0].Path)
	}
}

// demoISD shows the default standing data and the settlement timetable.
func demoISD(w io.Writer, day market.SettlementDate, cal *market.Calendar) error {
	ds, err := isd.Default()
	if err != nil {
		return err
	}
	t := ds.As(day)
	fmt.Fprintf(w, "3. Industry Standing Data on %s: %d GSP groups, %d distributors, %d participants, %d BM units, %d LLFCs, %d CCCs.\n",
		day, len(t.GSPGroups), len(t.Distributors), len(t.Participants), len(t.BMUnits), len(t.LLFCs), len(t.CCCs))
	if len(t.LLFCs) > 0 {
		c := t.LLFCs[0]
		night, _ := ds.LossFactor(c.Distributor, c.ID, day, 8)
		peak, _ := ds.LossFactor(c.Distributor, c.ID, day, 36)
		fmt.Fprintf(w, "   LLFC %s/%s (%s): loss factor %s at period 8, %s at period 36.\n", c.Distributor, c.ID, c.Description, night, peak)
	}
	tt, err := isd.DefaultTimetable()
	if err != nil {
		return err
	}
	var runs []string
	for _, r := range tt.Schedule(day, cal) {
		runs = append(runs, fmt.Sprintf("%s %s", r.Type, r.Date))
	}
	fmt.Fprintf(w, "   settlement runs of %s: %s.\n\n", day, strings.Join(runs, ", "))
	return nil
}

// demoMarket shows the synthetic market and returns the energy its meters
// recorded on day, as the data services will report it.
func demoMarket(w io.Writer, m *sim.Market, day market.SettlementDate) market.Energy {
	roles := map[market.Role]int{}
	for _, p := range m.Participants() {
		for _, r := range p.Roles {
			roles[r]++
		}
	}
	segs := map[market.MarketSegment]int{}
	for i := range m.Len() {
		s, _ := m.Site(i)
		segs[s.Segment]++
	}
	days := make([]sim.Day, m.Len())
	m.FillDay(day, 0, days)
	var total market.Energy
	faults := 0
	for _, d := range days {
		for p, q := range d.Quality {
			total += d.Values[p]
			if q == sim.Missing || q.Anomalous() {
				faults++
			}
		}
	}
	fmt.Fprintf(w, "4. A synthetic market (seed %d): %d participants (%d suppliers, %d LDSOs, %d smart data services), %d MPANs (%d smart, %d advanced, %d unmetered).\n",
		m.Config().Seed, len(m.Participants()), roles[market.RoleSupplier], roles[market.RoleLDSO], roles[market.RoleSDS],
		m.Len(), segs[market.SegmentSmart], segs[market.SegmentAdvanced], segs[market.SegmentUnmetered])
	fmt.Fprintf(w, "   on %s its meters read %s kWh, with %d half-hours missing or implausible.\n\n", day, total, faults)
	return total
}

// demoDIP runs the DIP in one process on a throwaway SQLite store with the
// market's participants as services on the seam: the ISD publisher, the
// Registration Service with the simulated CSS, the data services
// (simulated: they report the synthetic consumption), and the suppliers,
// service providers, LDSOs, MDS and LSS (simulated: they record what
// arrives and answer as the market expects). The market runs on its own
// clock: registration plays the three weeks before day, then the data
// services report day.
func demoDIP(env *cmdEnv, w io.Writer, m *sim.Market, day market.SettlementDate, truth market.Energy) error {
	dir, err := os.MkdirTemp("", "mhhs-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(env.ctx)
	defer cancel()
	store, err := sqlite.OpenIntake(ctx, filepath.Join(dir, "mhhs.db"), 10*time.Second)
	if err != nil {
		return err
	}
	defer store.Close()
	svcDB, err := sqlite.OpenServices(ctx, filepath.Join(dir, "services.db"))
	if err != nil {
		return err
	}
	defer svcDB.Close()
	standing, err := m.Standing()
	if err != nil {
		return err
	}
	// The market's clock starts three weeks before day, when REGS's data
	// was taken.
	through := day.AddDays(-demoWeeks * 7)
	clock := &marketClock{}
	clock.Set(market.LocalMidnight(through.AddDays(1)))
	if err := store.PutVersion(ctx, isd.Version{Number: 1, Created: clock.Now(), Note: "the synthetic market's standing data", Dataset: standing}); err != nil {
		return err
	}

	log := slog.New(slog.DiscardHandler)
	if os.Getenv("MHHS_DEMO_DEBUG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	d := &demoServices{m: m, clock: clock, store: store, regsStore: svcDB.Regs(), parties: map[string]*simparty.Party{}}
	sites := map[market.MPAN]sim.Site{}
	for i := range m.Len() {
		s, _ := m.Site(i)
		sites[s.MPAN] = s
	}
	agents := func(mpan market.MPAN, _ market.SettlementDate) (simparty.Appointments, bool) {
		s, ok := sites[mpan]
		return simparty.Appointments{MDR: s.MDR, Domestic: s.Domestic}, ok
	}
	var locals []dip.LocalService
	publisher := &isd.Service{Store: store, DownloadBase: "http://127.0.0.1:8080", Poll: 50 * time.Millisecond}
	for _, p := range m.Participants() {
		roles := make([]string, len(p.Roles))
		for i, r := range p.Roles {
			roles[i] = string(r)
		}
		id := string(p.DIPID)
		if err := store.PutParticipant(ctx, dip.Participant{DIPID: id, Name: p.Name, Roles: roles, MPIDs: []string{string(p.MPID)}, Created: clock.Now()}); err != nil {
			return err
		}
		sender := &catalogue.Sender{DIPID: id, Role: roles[0], Now: clock.Now}
		var svc participant.Service
		switch {
		case slices.Contains(roles, isd.SenderRole):
			publisher.Sender = &catalogue.Sender{DIPID: id, Role: isd.SenderRole, Now: clock.Now}
			svc = publisher
		case slices.Contains(roles, string(market.RoleREGS)) && d.regs == nil:
			if d.regs, err = newRegs(id, string(p.MPID), "", regsDirectory(standing), d.regsStore, clock.Now, log); err != nil {
				return err
			}
			d.regs.Poll = 5 * time.Millisecond
			d.regsID = id
			svc = d.regs
		case slices.ContainsFunc(roles, isDataServiceRole):
			sender.Role = roles[slices.IndexFunc(roles, isDataServiceRole)]
			ds := simparty.NewDataService(m, sender, svcDB.Store(id))
			ds.Receives = simparty.ChannelsFor(roles...)
			d.dataServices = append(d.dataServices, ds)
			d.parties[id] = &ds.Party
			svc = ds
		default:
			pt := &simparty.Party{DIPID: id, Role: roles[0], Store: svcDB.Store(id), Logger: log, Receives: simparty.ChannelsFor(roles...), Sender: sender}
			if pt.Role == string(market.RoleSupplier) {
				pt.Agents = agents
			}
			d.parties[id] = pt
			svc = pt
		}
		d.runners = append(d.runners, demoRunner{id, svc})
		if chs := svc.Channels(); len(chs) > 0 {
			locals = append(locals, dip.LocalService{DIPID: id, Handler: svc, Channels: chs})
		}
	}
	if d.regs == nil {
		return fmt.Errorf("the synthetic market has no Registration Service participant")
	}
	loaded, err := d.load(ctx, through)
	if err != nil {
		return err
	}
	hub := dip.NewHub(store, dip.Config{Services: locals, PollInterval: 2 * time.Millisecond, Logger: log, Now: clock.Now})
	done := make(chan error, 1)
	go func() { done <- hub.Run(ctx) }()
	for _, r := range d.runners {
		go r.svc.Run(ctx, hub.Sender(r.id))
	}
	fmt.Fprintf(w, "5. The DIP with the market's participants as services in one process (SQLite in a temporary directory):\n")
	fmt.Fprintf(w, "   %d participants registered; %d run as services on the seam (REGS, %d data services, %d answering parties, the ISD publisher).\n",
		len(m.Participants()), len(d.runners), len(d.dataServices), len(d.parties)-len(d.dataServices))

	// The ISD publisher announces the standing data to every participant
	// whose roles the catalogue names for IF-047.
	expect := 0
	for _, p := range d.parties {
		if slices.Contains(p.Channels(), "IF-047") {
			expect++
		}
	}
	announced := func() int { return d.received()["IF-047 [ISD]"] }
	wait(ctx, func() bool { return announced() >= expect })
	fmt.Fprintf(w, "   ISD announced standing data version 1 with IF-047: delivered to %d participants and REGS (Always: every role the catalogue names).\n\n", announced())

	if err := d.playRegistration(ctx, w, through, day, loaded); err != nil {
		return err
	}

	// The data services report the day.
	fmt.Fprintf(w, "7. Settlement data of %s through the DIP:\n", day)
	all := make([]int, m.Len())
	for i := range all {
		all[i] = i
	}
	sent := 0
	var sample, sampleFrom string
	for _, ds := range d.dataServices {
		n, err := ds.Report(ctx, hub.Sender(ds.DIPID), day, all, 50)
		if err != nil {
			return err
		}
		if n > 0 && sample == "" {
			if msgs, _ := ds.IF021(day, all); len(msgs) > 0 {
				sample, sampleFrom = msgs[0].CommonBlock.S1.SenderUniqueReference, ds.DIPID
			}
		}
		sent += n
	}
	ldsoEnergy := func() (market.Energy, int) {
		var e market.Energy
		n := 0
		for _, p := range d.parties {
			if p.Role != string(market.RoleLDSO) {
				continue
			}
			t, _ := p.Tally(ctx)
			n += t.Messages["IF-021 [ActivePower]"] + t.Messages["IF-021 [ReactivePower]"]
			for _, v := range t.Energy {
				e += v
			}
		}
		return e, n
	}
	wait(ctx, func() bool { _, n := ldsoEnergy(); return n >= sent })
	wait(ctx, d.idle)
	energy, received := ldsoEnergy()
	byRole := map[string]int{}
	for _, p := range d.parties {
		t, _ := p.Tally(ctx)
		byRole[p.Role] += t.Messages["IF-021 [ActivePower]"]
	}
	fmt.Fprintf(w, "   the data services reported %s with %d IF-021 (one per MPAN), each accepted by the DIP (MSG0000).\n", day, sent)
	fmt.Fprintf(w, "   delivered: %d to the LDSOs (Secondary, from M0), %d to the MDS and %d to the LSS (Always), %d to suppliers (Secondary: the MPAN's supplier on the day, as REGS told the DIP).\n",
		received, byRole["MDS"], byRole["LSS"], byRole["SUP"])
	fmt.Fprintf(w, "   the LDSOs received %s kWh; the meters read %s kWh, the difference being the data services' estimates of the missing and implausible half-hours.\n", energy, truth)
	if sample != "" {
		if rec, err := store.Journal(ctx, sampleFrom, sample); err == nil {
			fmt.Fprintf(w, "   journal of %s:\n", sample)
			for _, e := range rec.Entries {
				who := e.Recipient
				if who == "" {
					who = e.Reason
				}
				fmt.Fprintf(w, "     %-10s %-12s %s\n", e.Stage, e.Status, who)
			}
		}
	}
	fmt.Fprintln(w)
	cancel()
	<-done
	fmt.Fprintln(w, "Not in this build yet: the data service engine (estimation and validation), load shaping,")
	fmt.Fprintln(w, "market-wide data and volume allocation. See README.md.")
	return nil
}

func isDataServiceRole(r string) bool { return r == "SDS" || r == "ADS" || r == "UMSDS" }

// wait polls cond every 10 ms for up to 15 s: the hub delivers
// asynchronously.
func wait(ctx context.Context, cond func() bool) {
	deadline := time.Now().Add(15 * time.Second)
	for !cond() && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
}
