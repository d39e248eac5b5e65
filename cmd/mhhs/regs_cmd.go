package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/regs"
	"github.com/mhhs/mhhs/internal/sim"
	"github.com/mhhs/mhhs/internal/simparty"
)

const regsUsage = `usage: mhhs regs show|load|css [flags]

The Registration Service's data, read and fed by an operator (REGS itself
runs in mhhs serve --services regs or as mhhs service regs):

  show MPAN [--at DAY] [--json]
        the MPAN's registration as at DAY (default today, London)
  load --sites N [--seed S] [--through DAY] [--dip]
        load REGS with the synthetic market's registrations through DAY
        (its sites' changes applied; default the market's first day), and
        with --dip the DIP's MPAN → parties table from them (a migration:
        the DIP must not be running on an embedded store)
  css KIND --mpan MPAN --id ID --registration CSSID [--supplier DIPID/MPID]
        [--from DAY] [--upheld] [--at TIME]
        queue an event of the Central Switching Service for REGS: KIND is
        pending, objection-raised, objection-resolved, secured,
        secured-active, annulment or deregistration; REGS applies it once
        (by ID) on its next round

Every command takes --data DIR or --store URL: where REGS keeps its state
(DIR/services.db, or the PostgreSQL database).
`

func regsCmd(env *cmdEnv, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(env.stderr, regsUsage)
		return exitUsage
	}
	fs := flag.NewFlagSet("regs "+args[0], flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	sf := addStoreFlags(fs, env.getenv)
	var fn func(regs.Store, []string) error
	nargs := 0
	switch args[0] {
	case "show":
		at := fs.String("at", "", "the day (YYYY-MM-DD) the answer is as at (default today)")
		asJSON := fs.Bool("json", false, "print the snapshot as JSON")
		nargs = 1
		fn = func(st regs.Store, a []string) error { return regsShow(env, st, a[0], *at, *asJSON) }
	case "load":
		sites := fs.Int("sites", 0, "MPANs of the synthetic market")
		seed := fs.Uint64("seed", 1, "seed of the synthetic market")
		through := fs.String("through", "", "the last day whose changes REGS holds (default the market's first day)")
		toDIP := fs.Bool("dip", false, "also load the DIP's MPAN → parties table")
		fn = func(st regs.Store, _ []string) error {
			return regsLoad(env, st, sf, *sites, *seed, *through, *toDIP)
		}
	case "css":
		return regsCSS(env, fs, sf, args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(env.stdout, regsUsage)
		return exitOK
	default:
		fmt.Fprintf(env.stderr, "mhhs regs: unknown command %q\n\n%s", args[0], regsUsage)
		return exitUsage
	}
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	if fs.NArg() != nargs {
		fmt.Fprintf(env.stderr, "mhhs regs %s: want %d argument(s), got %q\n", args[0], nargs, fs.Args())
		return exitUsage
	}
	return regsRun(env, sf, args[0] != "load", func(st regs.Store) error { return fn(st, fs.Args()) })
}

// regsRun opens REGS's store (for a read, only one that exists) and runs
// fn on it, mapping errors to exit codes.
func regsRun(env *cmdEnv, sf storeFlags, existing bool, fn func(regs.Store) error) int {
	url := *sf.url
	if existing && !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
		path := filepath.Join(*sf.data, "services.db")
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(env.stderr, "mhhs regs: no REGS store at %s: give REGS's --data directory (or MHHS_DATA) or --store URL\n", path)
			return exitFail
		}
	}
	stores, closeStores, err := openServiceStores(env.ctx, url, *sf.data, nil)
	if err != nil {
		fmt.Fprintln(env.stderr, "mhhs regs:", err)
		return exitFail
	}
	defer closeStores()
	if err := fn(stores.Regs()); err != nil {
		fmt.Fprintln(env.stderr, "mhhs regs:", err)
		var ue usageError
		if errors.As(err, &ue) {
			return exitUsage
		}
		return exitFail
	}
	return exitOK
}

func regsShow(env *cmdEnv, st regs.Store, mpanArg, at string, asJSON bool) error {
	mpan, err := market.ParseMPAN(mpanArg)
	if err != nil {
		return usagef("%v", err)
	}
	day := market.FromTime(time.Now().In(market.London()))
	if at != "" {
		if day, err = market.ParseSettlementDate(at); err != nil {
			return usagef("--at: %v", err)
		}
	}
	r, err := st.Registration(env.ctx, mpan)
	if errors.Is(err, regs.ErrNotFound) {
		return fmt.Errorf("REGS holds no registration of MPAN %s", mpan)
	}
	if err != nil {
		return err
	}
	snap := r.At(day)
	if asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(snap)
	}
	w := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "MPAN\t%s as at %s\n", snap.MPAN, snap.Day)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%s\t%s\n", k, v)
		}
	}
	party := func(p regs.Party) string {
		if p.DIPID == "" {
			return ""
		}
		return p.MPID + " (" + p.DIPID + ")"
	}
	appt := func(a regs.Appointment) string {
		if a.DIPID == "" {
			return "none"
		}
		return party(a.Party) + ", " + string(a.Scenario) + " by " + a.By
	}
	line("distributor", snap.LDSO)
	if snap.Supplier.DIPID == "" {
		line("supplier", "none")
	} else {
		line("supplier", party(snap.Supplier.Party)+", CSS "+snap.Supplier.CSSRegistrationID)
	}
	line("metering service", appt(snap.MS))
	line("data service", appt(snap.DS))
	line("MDR", party(snap.MDR))
	line("GSP group", string(snap.GSP))
	line("segment", string(snap.Segment))
	line("connection", string(snap.Connection))
	line("direction", string(snap.Direction))
	line("energisation", string(snap.Energisation))
	line("DUoS tariff", snap.DUoSTariff)
	line("consent", string(snap.Consent))
	line("domestic", fmt.Sprint(snap.Domestic))
	line("address", strings.Join(append(append([]string(nil), snap.Address.Lines...), snap.Address.Postcode), ", "))
	line("RMP / MP status", string(snap.RMP)+" / "+string(snap.MP))
	if sw := r.Switch; sw != nil {
		line("pending switch", fmt.Sprintf("%s to %s from %s (%s)", sw.ID, sw.Supplier.MPID, sw.From, sw.State))
	}
	return w.Flush()
}

func regsLoad(env *cmdEnv, st regs.Store, sf storeFlags, sites int, seed uint64, throughArg string, toDIP bool) error {
	if sites <= 0 {
		return usagef("--sites: want the number of MPANs to load")
	}
	ds, err := isd.Default()
	if err != nil {
		return err
	}
	cfg := sim.DefaultConfig()
	cfg.Sites, cfg.Seed = sites, seed
	m, err := sim.New(ds, cfg)
	if err != nil {
		return err
	}
	through := m.Timeline().From
	if throughArg != "" {
		if through, err = market.ParseSettlementDate(throughArg); err != nil {
			return usagef("--through: %v", err)
		}
	}
	start := time.Now()
	const batch = 50_000
	var ps []dip.Parties
	loaded := 0
	for first := 0; first < sites; first += batch {
		rs, err := simparty.Registrations(m, first, min(batch, sites-first), through)
		if err != nil {
			return err
		}
		if err := st.Load(env.ctx, rs); err != nil {
			return err
		}
		loaded += len(rs)
		if toDIP {
			for _, r := range rs {
				ps = append(ps, partiesOf(r, through.AddDays(1)))
			}
		}
	}
	fmt.Fprintf(env.stdout, "loaded %d registrations of the synthetic market (seed %d, %d sites; the rest connect later) through %s in %s\n",
		loaded, seed, sites, through, time.Since(start).Round(time.Millisecond))
	if !toDIP {
		return nil
	}
	store, err := sf.open(env.ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	l, ok := store.(dip.PartiesLoader)
	if !ok {
		return fmt.Errorf("the DIP's store cannot load parties")
	}
	n, err := l.LoadParties(env.ctx, ps, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "the DIP learnt the parties of %d MPANs (%d it knew already)\n", n, len(ps)-n)
	return nil
}

func regsCSS(env *cmdEnv, fs *flag.FlagSet, sf storeFlags, args []string) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(env.stderr, regsUsage)
		return exitUsage
	}
	kind := regs.CSSEventKind(args[0])
	mpan := fs.String("mpan", "", "the MPAN")
	id := fs.String("id", "", "CSS's id of the event (REGS applies an id once)")
	reg := fs.String("registration", "", "the switch's CSS registration id")
	supplier := fs.String("supplier", "", "pending: the gaining supplier, DIPID/MPID")
	from := fs.String("from", "", "pending: the switch's day; deregistration: its day")
	upheld := fs.Bool("upheld", false, "objection-resolved: the objection is upheld (the switch is cancelled)")
	at := fs.String("at", "", "when CSS sent it, RFC 3339 (default now)")
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	ev := regs.CSSEvent{ID: *id, Kind: kind, RegistrationID: *reg, Upheld: *upheld, At: time.Now()}
	err := func() error {
		switch kind {
		case regs.CSSPendingSwitch, regs.CSSObjectionRaised, regs.CSSObjectionResolved, regs.CSSSecured,
			regs.CSSSecuredActive, regs.CSSAnnulment, regs.CSSDeregistration:
		default:
			return fmt.Errorf("%q is not a CSS event", kind)
		}
		m, err := market.ParseMPAN(*mpan)
		if err != nil {
			return fmt.Errorf("--mpan: %v", err)
		}
		ev.MPAN = m
		if ev.ID == "" || ev.RegistrationID == "" {
			return errors.New("--id and --registration are required")
		}
		if *at != "" {
			if ev.At, err = time.Parse(time.RFC3339, *at); err != nil {
				return fmt.Errorf("--at: %v", err)
			}
		}
		if *from != "" {
			if ev.From, err = market.ParseSettlementDate(*from); err != nil {
				return fmt.Errorf("--from: %v", err)
			}
		}
		if *supplier != "" {
			dipID, mpid, ok := strings.Cut(*supplier, "/")
			if !ok {
				return errors.New("--supplier: want DIPID/MPID")
			}
			ev.Supplier = regs.Party{DIPID: dipID, MPID: mpid}
		}
		if kind == regs.CSSPendingSwitch && (ev.Supplier.DIPID == "" || ev.From.IsZero()) {
			return errors.New("a pending switch needs --supplier and --from")
		}
		return nil
	}()
	if err != nil {
		fmt.Fprintf(env.stderr, "mhhs regs css: %v\n", err)
		return exitUsage
	}
	return regsRun(env, sf, true, func(st regs.Store) error {
		if err := regs.SubmitCSS(context.WithoutCancel(env.ctx), st, ev); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "queued CSS event %s (%s of %s) for REGS\n", ev.ID, ev.Kind, ev.MPAN)
		return nil
	})
}
