package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/regs"
	"github.com/mhhs/mhhs/internal/simparty"
)

// serviceSpec is a service this binary runs, inside mhhs serve
// (--services) or as its own process (mhhs service NAME).
type serviceSpec struct {
	name, role, defaultID, doc string
}

var serviceSpecs = []serviceSpec{
	{"isd", isd.SenderRole, "2000000001", "Industry Standing Data: announces each new version with IF-047"},
	{"regs", string(market.RoleREGS), "2200000001", "the Registration Service: registrations, switching, appointments, registration data"},
	{"sim-supplier", "SUP", "2300000001", "a simulated supplier: records what the DIP routes to it, appoints its services to an MPAN it gains"},
	{"sim-ldso", "LDSO", "2500000012", "a simulated LDSO: records what the DIP routes to it and answers"},
	{"sim-mss", string(market.RoleMSS), "1200000001", "a simulated smart metering service: records what it receives, accepts appointments"},
	{"sim-sds", string(market.RoleSDS), "1100000001", "a simulated smart data service: records what it receives, accepts appointments"},
}

func serviceSpecOf(name string) (serviceSpec, error) {
	for _, s := range serviceSpecs {
		if s.name == name {
			return s, nil
		}
	}
	var names []string
	for _, s := range serviceSpecs {
		names = append(names, s.name)
	}
	return serviceSpec{}, fmt.Errorf("no service %q (services: %s)", name, strings.Join(names, ", "))
}

// serviceDeps is what a service is built from: its participant id, its
// own durable store, the DIP's ISD versions (the ISD service) and where
// the DIP serves their downloads.
type serviceDeps struct {
	id           string
	store        participant.Store
	stores       serviceStores
	isdStore     isd.Store
	registry     dip.Registry // the DIP's participants (REGS's directory beside standing data)
	downloadBase string
	environment  string
	log          *slog.Logger
}

// newService builds the service of spec.
func newService(spec serviceSpec, d serviceDeps) (participant.Service, error) {
	switch spec.name {
	case "isd":
		if d.isdStore == nil {
			return nil, fmt.Errorf("the isd service needs the store holding the standing data versions")
		}
		return &isd.Service{Store: d.isdStore, DownloadBase: strings.TrimSuffix(d.downloadBase, "/"), Logger: d.log,
			Sender: &catalogue.Sender{DIPID: d.id, Role: spec.role, Environment: catalogue.Environment(d.environment)}}, nil
	case "regs":
		dir, ds, err := regsDirectoryOf(context.Background(), d)
		if err != nil {
			return nil, err
		}
		if ds == nil {
			d.log.Warn("regs: no standing data: REGS knows participants' roles only from the DIP's registry")
		}
		live := regs.NewLiveDirectory(dir)
		svc, err := newRegs(d.id, mpidOf(ds, d.id, "REGS"), d.environment, live, d.stores.Regs(), nil, d.log)
		if err != nil {
			return nil, err
		}
		// A new standing data version, or participants registered since:
		// the roles REGS checks providers against follow them.
		svc.Announced = func(ctx context.Context) error {
			dir, _, err := regsDirectoryOf(ctx, d)
			if err == nil {
				live.Set(dir)
			}
			return err
		}
		return svc, nil
	case "sim-supplier", "sim-ldso", "sim-mss", "sim-sds":
		return &simparty.Party{DIPID: d.id, Role: spec.role, Store: d.store, Logger: d.log,
			Sender: &catalogue.Sender{DIPID: d.id, Role: spec.role, Environment: catalogue.Environment(d.environment)}}, nil
	}
	return nil, fmt.Errorf("no service %q", spec.name)
}

// regsDirectoryOf is the participants' roles REGS checks providers
// against: standing data's latest version where the process can read it,
// and the DIP's registry for participants standing data does not name.
func regsDirectoryOf(ctx context.Context, d serviceDeps) (regs.StaticDirectory, *isd.Dataset, error) {
	var ds *isd.Dataset
	if d.isdStore != nil {
		v, err := d.isdStore.Version(ctx, 0)
		switch {
		case err == nil:
			ds = v.Dataset
		case !errors.Is(err, isd.ErrNoVersion):
			return nil, nil, err
		}
	}
	dir := regsDirectory(ds)
	if d.registry != nil {
		ps, err := d.registry.Participants(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range ps {
			if _, ok := dir[p.DIPID]; !ok {
				for _, r := range p.Roles {
					dir[p.DIPID] = append(dir[p.DIPID], market.Role(r))
				}
			}
		}
	}
	return dir, ds, nil
}

// serviceList parses --services: names separated by commas.
func serviceList(s string) ([]serviceSpec, error) {
	var out []serviceSpec
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		spec, err := serviceSpecOf(name)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(out, func(o serviceSpec) bool { return o.name == name }) {
			return nil, fmt.Errorf("service %s named twice", name)
		}
		out = append(out, spec)
	}
	return out, nil
}

// serviceIDs parses --service-ids: name=DIPID pairs separated by commas.
func serviceIDs(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("--service-ids %q: want name=DIPID", kv)
		}
		if _, err := serviceSpecOf(strings.TrimSpace(k)); err != nil {
			return nil, err
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, nil
}

// serviceNames lists the services for the usage text.
func serviceNames() string {
	var b strings.Builder
	specs := slices.Clone(serviceSpecs)
	sort.Slice(specs, func(i, j int) bool { return specs[i].name < specs[j].name })
	for _, s := range specs {
		fmt.Fprintf(&b, "  %-14s %s (role %s, DIP id %s by default)\n", s.name, s.doc, s.role, s.defaultID)
	}
	return b.String()
}

// runService runs a service's timed work until ctx ends, logging how it
// stopped.
func runService(ctx context.Context, name string, svc participant.Service, out participant.Sender, log *slog.Logger) error {
	log.Info("service started", "service", name)
	err := svc.Run(ctx, out)
	if err != nil {
		return fmt.Errorf("service %s: %w", name, err)
	}
	return nil
}
