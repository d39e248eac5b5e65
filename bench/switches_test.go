package bench

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/regs"
	"github.com/mhhs/mhhs/internal/sim"
	"github.com/mhhs/mhhs/internal/simparty"
	"github.com/mhhs/mhhs/internal/sqlite"
)

// The switching market: REGS, a losing and a gaining supplier, the
// incumbent metering and data services, the gaining supplier's metering
// service, data service and MDR, and the distributor.
const (
	swREGS, swOld, swNew = "2200000001", "2300000001", "2300000002"
	swMS1, swDS1         = "1200000001", "1100000001"
	swMS2, swDS2, swMDR2 = "1200000002", "1100000002", "1300000002"
	swLDSO               = "2500000012"
)

// swMPIDs are the parties' market participant ids.
var swMPIDs = map[string]string{
	swREGS: "REGS", swOld: "OLDS", swNew: "NEWS", swMS1: "MSAA", swDS1: "DSAA",
	swMS2: "MSBB", swDS2: "DSBB", swMDR2: "MDRB", swLDSO: "LDSO",
}

var swRoles = map[string]market.Role{
	swREGS: market.RoleREGS, swOld: market.RoleSupplier, swNew: market.RoleSupplier, swMS1: market.RoleMSS, swDS1: market.RoleSDS,
	swMS2: market.RoleMSS, swDS2: market.RoleSDS, swMDR2: market.RoleMDR, swLDSO: market.RoleLDSO,
}

// simParty is the party of a DIP id in the switching market.
func simParty(id string) sim.Party {
	return sim.Party{DIPID: market.DIPID(id), MPID: market.MPID(swMPIDs[id])}
}

// switchMarket is the DIP in process on SQLite with REGS and the simulated
// parties as its local services.
type switchMarket struct {
	hub      *dip.Hub
	regs     regs.Store
	supplier *simparty.Party // the gaining supplier
	ms2, ds2 *simparty.Party
	mpans    []market.MPAN
}

// startSwitchMarket loads n MPANs supplied by swOld and served by the
// incumbents into REGS and the DIP's routing, and starts the DIP with its
// services.
func startSwitchMarket(b *testing.B, n int) *switchMarket {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "mhhs.db"))
	if err != nil {
		b.Fatal(err)
	}
	svcDB, err := sqlite.OpenServices(ctx, filepath.Join(dir, "services.db"))
	if err != nil {
		b.Fatal(err)
	}
	sm := &switchMarket{regs: svcDB.Regs()}
	start := market.NewSettlementDate(2025, 1, 1)
	var rs []*regs.Registration
	var ps []dip.Parties
	for i := range n {
		mpan, err := market.NewMPAN(12, uint64(7_000_000_000+i))
		if err != nil {
			b.Fatal(err)
		}
		sm.mpans = append(sm.mpans, mpan)
		rs = append(rs, simparty.Registration(sim.Site{Index: i, MPAN: mpan, GSPGroup: "_B", Distributor: simParty(swLDSO),
			Segment: market.SegmentSmart, Domestic: true, Connection: market.ConnectionWholeCurrent, Direction: sim.Import, LLFC: "A01",
			Energisation: market.Energised, Supplier: simParty(swOld), MeteringService: simParty(swMS1), DataService: simParty(swDS1)}, start))
		ps = append(ps, dip.Parties{MPAN: string(mpan), Supplier: swOld, MeteringService: swMS1, DataService: swDS1})
	}
	if err := sm.regs.Load(ctx, rs); err != nil {
		b.Fatal(err)
	}
	if _, err := store.LoadParties(ctx, ps, time.Now()); err != nil {
		b.Fatal(err)
	}

	dirRoles := regs.StaticDirectory{}
	var locals []dip.LocalService
	var runners []func(context.Context, *dip.Hub)
	for id, role := range swRoles {
		dirRoles[id] = []market.Role{role}
		if err := store.PutParticipant(ctx, dip.Participant{DIPID: id, Name: string(role) + " " + id, Roles: []string{string(role)}, Created: time.Now()}); err != nil {
			b.Fatal(err)
		}
	}
	for id, role := range swRoles {
		var svc participant.Service
		if role == market.RoleREGS {
			e, err := regs.New(regs.DefaultConfig(id, "REGS", dirRoles))
			if err != nil {
				b.Fatal(err)
			}
			rsvc := regs.NewService(e, sm.regs, slog.New(slog.DiscardHandler))
			rsvc.Poll = 2 * time.Millisecond
			svc = rsvc
		} else {
			p := &simparty.Party{DIPID: id, Role: string(role), Store: svcDB.Store(id), Receives: simparty.ChannelsFor(string(role)),
				Sender: &catalogue.Sender{DIPID: id, Role: string(role)}}
			switch id {
			case swNew:
				p.Agents = func(market.MPAN, market.SettlementDate) (simparty.Appointments, bool) {
					return simparty.Appointments{MS: simParty(swMS2), DS: simParty(swDS2), MDR: simParty(swMDR2),
						Consent: catalogue.ConsentGranularityH, Domestic: true}, true
				}
				sm.supplier = p
			case swMS2:
				sm.ms2 = p
			case swDS2:
				sm.ds2 = p
			}
			svc = p
		}
		runners = append(runners, func(ctx context.Context, h *dip.Hub) {
			if err := svc.Run(ctx, h.Sender(id)); err != nil {
				b.Errorf("service %s: %v", id, err)
			}
		})
		if chs := svc.Channels(); len(chs) > 0 {
			locals = append(locals, dip.LocalService{DIPID: id, Handler: svc, Channels: chs})
		}
	}
	sm.hub = dip.NewHub(store, dip.Config{Services: locals, PollInterval: 2 * time.Millisecond})
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { sm.hub.Run(runCtx) })
	for _, run := range runners {
		wg.Go(func() { run(runCtx, sm.hub) })
	}
	b.Cleanup(func() { cancel(); wg.Wait(); svcDB.Close(); store.Close() })
	if err := sm.hub.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	return sm
}

// count returns how many messages of key a party recorded.
func count(b *testing.B, p *simparty.Party, key string) int {
	t, err := p.Tally(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return t.Messages[key]
}

func waitUntil(b *testing.B, what string, cond func() bool) {
	deadline := time.Now().Add(10 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// BenchmarkSwitches runs b.N changes of supplier end to end through the
// in-process DIP on SQLite, all in flight together: CSS announces each
// (REGS's queued input), REGS tells the gaining supplier (IF-002), the
// supplier appoints a new metering service and a new data service with
// its nominated MDR (IF-031 ×2, scenario COS), REGS answers and asks them
// (IF-032, IF-033), they accept (IF-034), REGS confirms (IF-035); then CSS
// secures the switch and makes it active, and REGS registers the supplier
// (IF-001), de-appoints the incumbents (IF-037) and makes the new
// appointments active (IF-036). Every party is a local service of the DIP
// answering through it. It reports the DIP's message rate over the
// switches (switch-msgs/s) and, measured in the same run on a fresh DIP,
// the bare in-process intake rate of IF-021 with 64 concurrent senders
// (intake-msgs/s), and their ratio (target ≥ 0.2: REGS must not be the
// market's bottleneck).
func BenchmarkSwitches(b *testing.B) {
	serveRuntime(b)
	ctx := context.Background()
	// The bare intake rate first, on a DIP of its own.
	hub, sender, _ := startHub(b, b.TempDir())
	const intakeN = 20_000
	first := int(nextMessage.Add(intakeN)) - intakeN
	send := submitter(hub, sender)
	t0 := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, Senders)
	for g := range Senders {
		wg.Go(func() {
			var buf []byte
			for n := g; n < intakeN; n += Senders {
				buf = AppendIF021Message(buf[:0], first+n)
				if err := send(ctx, first+n, buf); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	intakeRate := intakeN / time.Since(t0).Seconds()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}

	sm := startSwitchMarket(b, b.N)
	from := market.FromTime(time.Now().In(market.London())).AddDays(3)
	committed := sm.hub.Stats().Committed
	b.ResetTimer()
	t0 = time.Now()
	var pending []regs.CSSEvent
	for i, m := range sm.mpans {
		pending = append(pending, regs.CSSEvent{ID: fmt.Sprint("P", i), At: time.Now(), Kind: regs.CSSPendingSwitch, MPAN: m,
			RegistrationID: simparty.SwitchID(m, from), Supplier: regs.Party{DIPID: swNew, MPID: swMPIDs[swNew]}, From: from})
	}
	if err := regs.SubmitCSS(ctx, sm.regs, pending...); err != nil {
		b.Fatal(err)
	}
	waitUntil(b, "every appointment accepted", func() bool {
		return count(b, sm.supplier, "IF-035 [MSAppAccepted]") >= b.N && count(b, sm.supplier, "IF-035 [DSAppAccepted]") >= b.N
	})
	active := market.LocalMidnight(from).Add(5 * time.Minute)
	var secured []regs.CSSEvent
	for i, m := range sm.mpans {
		id := simparty.SwitchID(m, from)
		secured = append(secured, regs.CSSEvent{ID: fmt.Sprint("S", i), At: time.Now(), Kind: regs.CSSSecured, MPAN: m, RegistrationID: id},
			regs.CSSEvent{ID: fmt.Sprint("A", i), At: active, Kind: regs.CSSSecuredActive, MPAN: m, RegistrationID: id})
	}
	if err := regs.SubmitCSS(ctx, sm.regs, secured...); err != nil {
		b.Fatal(err)
	}
	waitUntil(b, "every appointment active", func() bool {
		return count(b, sm.ms2, "IF-036 [MSAppActive]") >= b.N && count(b, sm.ds2, "IF-036 [DSAppActive]") >= b.N &&
			count(b, sm.supplier, "IF-001 [ChangeOfSupplier]") >= b.N
	})
	elapsed := time.Since(t0)
	b.StopTimer()
	msgs := sm.hub.Stats().Committed - committed
	switchRate := float64(msgs) / elapsed.Seconds()
	b.ReportMetric(float64(msgs)/float64(b.N), "msgs/switch")
	b.ReportMetric(switchRate, "switch-msgs/s")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "switches/s")
	b.ReportMetric(intakeRate, "intake-msgs/s")
	b.ReportMetric(switchRate/intakeRate, "ratio")
	// Every switch took effect with its three appointments.
	for _, m := range sm.mpans[:min(len(sm.mpans), 20)] {
		r, err := sm.regs.Registration(ctx, m)
		if err != nil {
			b.Fatal(err)
		}
		s, _ := r.Supplier.At(from)
		ms, _ := r.MS.At(from)
		ds, _ := r.DS.At(from)
		mdr, _ := r.MDR.At(from)
		if s.DIPID != swNew || ms.DIPID != swMS2 || ds.DIPID != swDS2 || mdr.DIPID != swMDR2 {
			b.Fatalf("%s on %s: supplier %s, MS %s, DS %s, MDR %s", m, from, s.DIPID, ms.DIPID, ds.DIPID, mdr.DIPID)
		}
	}
}
