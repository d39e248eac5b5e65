package main

import (
	"log/slog"
	"slices"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/regs"
)

// regsDirectory is the participants' roles as standing data gives them,
// every row of every date: what REGS checks a proposed service provider
// against (REG1075–REG1077, REG1031).
func regsDirectory(ds *isd.Dataset) regs.StaticDirectory {
	dir := regs.StaticDirectory{}
	if ds == nil {
		return dir
	}
	for _, p := range ds.Tables().Participants {
		if p.DIPID == "" {
			continue
		}
		for _, r := range p.Roles {
			if !slices.Contains(dir[string(p.DIPID)], r) {
				dir[string(p.DIPID)] = append(dir[string(p.DIPID)], r)
			}
		}
	}
	return dir
}

// mpidOf returns the market participant id standing data gives DIP id id,
// or def.
func mpidOf(ds *isd.Dataset, id, def string) string {
	if ds != nil {
		for _, p := range ds.Tables().Participants {
			if string(p.DIPID) == id {
				return string(p.MPID)
			}
		}
	}
	return def
}

// newRegs builds the Registration Service: its engine configured with the
// defaults of docs/registration.md and directory dir, deciding and ticking
// on the clock now.
func newRegs(id, mpid, environment string, dir regs.Directory, st regs.Store, now func() time.Time, log *slog.Logger) (*regs.Service, error) {
	cfg := regs.DefaultConfig(id, mpid, dir)
	if environment != "" {
		cfg.Environment = catalogue.Environment(environment)
	}
	e, err := regs.New(cfg)
	if err != nil {
		return nil, err
	}
	svc := regs.NewService(e, st, log)
	if now != nil {
		svc.Now = now
	}
	return svc, nil
}

// partiesOf is what the DIP routes by for an MPAN that REGS holds, as at
// day d: the supplier, services and MDR of the day, and the changes REGS
// holds for later days as pending changes.
func partiesOf(r *regs.Registration, d market.SettlementDate) dip.Parties {
	p := dip.Parties{MPAN: string(r.MPAN)}
	s, _ := r.Supplier.At(d)
	ms, _ := r.MS.At(d)
	ds, _ := r.DS.At(d)
	mdr, _ := r.MDR.At(d)
	p.Supplier, p.MeteringService, p.DataService, p.MDR = s.DIPID, ms.DIPID, ds.DIPID, mdr.DIPID
	later := func(role dip.PartyRole, ranges []market.Effective[string]) {
		for i, e := range ranges {
			if e.From.After(d) {
				p.Pending = append(p.Pending, dip.PartyChange{From: market.LocalMidnight(e.From), Role: role, DIPID: e.Value})
			}
			ended := !e.To.IsZero() && !e.To.Before(d) && (i+1 == len(ranges) || ranges[i+1].From != e.To.AddDays(1))
			if ended {
				p.Pending = append(p.Pending, dip.PartyChange{From: market.LocalMidnight(e.To.AddDays(1)), Role: role})
			}
		}
	}
	later(dip.PartySupplier, ids(r.Supplier.Ranges(), func(s regs.Supply) string { return s.DIPID }))
	later(dip.PartyMeteringService, ids(r.MS.Ranges(), func(a regs.Appointment) string { return a.DIPID }))
	later(dip.PartyDataService, ids(r.DS.Ranges(), func(a regs.Appointment) string { return a.DIPID }))
	later(dip.PartyMDR, ids(r.MDR.Ranges(), func(p regs.Party) string { return p.DIPID }))
	slices.SortStableFunc(p.Pending, func(a, b dip.PartyChange) int { return a.From.Compare(b.From) })
	return p
}

func ids[T any](rs []market.Effective[T], id func(T) string) []market.Effective[string] {
	out := make([]market.Effective[string], len(rs))
	for i, e := range rs {
		out[i] = market.Effective[string]{Range: e.Range, Value: id(e.Value)}
	}
	return out
}
