package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/sqlite"
)

// demo shows, on the embedded default, what this build of mhhs can do. It
// grows into the whole market (DIP, services, a settlement run) as those
// parts land; today it exercises the catalogue, the validator and the market
// vocabulary.
func demo(env *cmdEnv, args []string) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	dateFlag := fs.String("date", "2025-10-26", "settlement date to show (a clock-change day by default)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	day, err := market.ParseSettlementDate(*dateFlag)
	if err != nil {
		fmt.Fprintln(env.stderr, "mhhs demo:", err)
		return exitUsage
	}
	w := env.stdout
	c := catalogue.Default()

	fmt.Fprintln(w, "mhhs demo: the parts of the market this build runs")
	fmt.Fprintln(w)
	variants := 0
	for _, in := range c.Interfaces() {
		variants += len(in.Variants)
	}
	fmt.Fprintf(w, "1. DIP message catalogue: %d interfaces, %d event variants (DIP API v2.2.1).\n", len(c.Interfaces()), variants)

	// Every variant's generated example must pass L1 and L2.
	val := catalogue.NewValidator(c)
	passed := 0
	for _, in := range c.Interfaces() {
		for _, v := range in.Variants {
			vd, err := val.ValidatePayload(in.ID, c.Example(v, catalogue.ExampleOptions{Full: true}))
			if err == nil && vd.OK() {
				passed++
			}
		}
	}
	fmt.Fprintf(w, "   generated one full example per variant: %d of %d pass validation.\n\n", passed, variants)

	// A data service's IF-021 for one MPAN and one UTC settlement day.
	mpan, _ := market.NewMPAN(12, 2330596)
	msg := sampleIF021(mpan, day)
	body, err := catalogue.Encode(msg)
	if err != nil {
		fmt.Fprintln(env.stderr, "mhhs demo:", err)
		return exitFail
	}
	vd, err := val.ValidatePayload("IF-021", body)
	if err != nil {
		fmt.Fprintln(env.stderr, "mhhs demo:", err)
		return exitFail
	}
	var total market.Energy
	for _, p := range msg.CustomBlock.B900.SettlementDayConsumptionPeriods[0].ConsumptionPeriods {
		total += p.V
	}
	fmt.Fprintf(w, "2. IF-021 [ActivePower] built with the typed API for MPAN %s (GSP group %s), UTC day %s:\n", mpan, msg.CommonBlock.M0.GSPGroupID, day)
	fmt.Fprintf(w, "   %d bytes, 48 periods, %s kWh in all; validator verdict: %s\n", len(body), total.KWh(), vd.Code().Message())
	bad := []byte(string(body[:len(body)-2]) + `,"extra":1}}`)
	vd, err = val.ValidatePayload("IF-021", bad)
	if err == nil && !vd.OK() {
		fmt.Fprintf(w, "   the same message with a stray key: %s at %s\n\n", vd.Code().Message(), vd.Findings[0].Path)
	}

	fmt.Fprintf(w, "3. Time: UTC day %s has 48 settlement periods; the local clock day has %d.\n", day, market.ClockPeriods(day))
	fmt.Fprintf(w, "   period 1 starts %s; local midnight is %s.\n", market.FormatDateTime(day.UTCPeriodStart(1)), market.FormatDateTime(market.LocalMidnight(day)))
	cal := market.NewCalendar()
	fmt.Fprintf(w, "   working day? %v; +5 working days is %s.\n\n", cal.IsWorkingDay(day), cal.AddWorkingDays(day, 5))

	if err := demoISD(w, day, cal); err != nil {
		fmt.Fprintln(env.stderr, "mhhs demo:", err)
		return exitFail
	}
	if err := demoDIP(env, w, msg); err != nil {
		fmt.Fprintln(env.stderr, "mhhs demo:", err)
		return exitFail
	}
	fmt.Fprintln(w, "Not in this build yet: registration, data services, load shaping,")
	fmt.Fprintln(w, "market-wide data and volume allocation. See README.md.")
	return exitOK
}

// demoISD shows the default standing data and the settlement timetable.
func demoISD(w io.Writer, day market.SettlementDate, cal *market.Calendar) error {
	ds, err := isd.Default()
	if err != nil {
		return err
	}
	t := ds.As(day)
	fmt.Fprintf(w, "4. Industry Standing Data on %s: %d GSP groups, %d distributors, %d participants, %d BM units, %d LLFCs, %d CCCs.\n",
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

// demoDIP runs the DIP in-process on a throwaway SQLite store: a data
// service sends the IF-021, the DIP routes it to the MDS and LSS (Always),
// the LDSO (Secondary, from M0) and nobody else, and delivers it to those
// co-located services as function calls.
func demoDIP(env *cmdEnv, w io.Writer, msg *catalogue.IF021ActivePower) error {
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
	sender := msg.CommonBlock.S1.SenderDIPID
	parties := []dip.Participant{
		{DIPID: sender, Name: "Smart Data Service", Roles: []string{"SDS"}},
		{DIPID: "1800000001", Name: "Market-wide Data Service", Roles: []string{"MDS"}},
		{DIPID: "1900000001", Name: "Load Shaping Service", Roles: []string{"LSS"}},
		{DIPID: msg.CommonBlock.M0.DistributorDIPID, Name: "Distributor 12", Roles: []string{"LDSO"}},
		{DIPID: "2300000001", Name: "Supplier", Roles: []string{"SUP"}},
	}
	var mu sync.Mutex
	got := map[string]int{}
	var services []dip.LocalService
	for _, p := range parties {
		if err := store.PutParticipant(ctx, p); err != nil {
			return err
		}
		services = append(services, dip.LocalService{DIPID: p.DIPID, Handler: participant.HandlerFunc(func(_ context.Context, ds []participant.Delivery) []catalogue.Code {
			mu.Lock()
			got[p.DIPID] += len(ds)
			mu.Unlock()
			return nil
		})})
	}
	hub := dip.NewHub(store, dip.Config{Services: services, PollInterval: 10 * time.Millisecond})
	done := make(chan struct{})
	go func() { hub.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	if err := hub.Refresh(ctx); err != nil {
		return err
	}
	p, _ := hub.Participant(sender)
	payload, err := catalogue.Encode(msg)
	if err != nil {
		return err
	}
	body := dip.EgressArray([][]byte{payload, []byte(strings.Replace(string(payload), `"GSPGroupID":"_C"`, `"GSPGroupID":"_I"`, 1))})
	items, err := hub.Submit(ctx, p, "IF-021", body)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "5. The DIP (in-process, SQLite in a temporary directory) takes a batch of two IF-021 messages:\n")
	for i, it := range items {
		fmt.Fprintf(w, "   [%d] %s %s\n", i, it.Code.Message(), it.TransactionID+it.Detail)
	}
	// Wait until the journal records the three deliveries: the deliverers
	// are called before the hub records their attempts.
	var rec dip.JournalRecord
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if rec, err = store.Journal(ctx, sender, msg.CommonBlock.S1.SenderUniqueReference); err != nil {
			return err
		}
		outbound := 0
		for _, e := range rec.Entries {
			if e.Stage == "Outbound" {
				outbound++
			}
		}
		if outbound == 3 || time.Now().After(deadline) {
			break
		}
	}
	for _, e := range rec.Entries {
		who := e.Recipient
		if who == "" {
			who = e.Reason
		}
		fmt.Fprintf(w, "   journal: %-10s %-12s %s\n", e.Stage, e.Status, who)
	}
	mu.Lock()
	supplier := got["2300000001"]
	mu.Unlock()
	fmt.Fprintf(w, "   the supplier received %d: the DIP does not know this MPAN's supplier until REGS registers one (IF-001).\n\n", supplier)
	return nil
}

// sampleIF021 builds the IF-021 a smart data service sends for one MPAN-day:
// a gentle domestic load curve, actual quality.
func sampleIF021(mpan market.MPAN, day market.SettlementDate) *catalogue.IF021ActivePower {
	m := &catalogue.IF021ActivePower{}
	sender := "1200000001"
	m.CommonBlock.S1 = catalogue.S1{
		EnvironmentTag:        "DEV",
		SenderUniqueReference: fmt.Sprintf("S-IF-021-%s-SDS-%s-1", sender, day.UTCMidnight().Format("20060102")),
		SenderTimestamp:       market.At(day.UTCMidnight().Add(26 * time.Hour)),
		SenderDIPID:           sender,
		SenderRoleID:          "SDS",
	}
	gsp, _ := market.GSPGroupOfDistributor(mpan.DistributorID())
	m.CommonBlock.M0 = catalogue.M0{MPANCore: mpan, DistributorDIPID: "2500000012", GSPGroupID: gsp}
	m.CommonBlock.S0.SchemaVersion = "011"
	m.CustomBlock.B044 = catalogue.B044{IssuingDataServiceDIPID: sender}
	m.CustomBlock.B067 = catalogue.B067{ConnectionTypeIndicator: "W", ConnectionTypeEffectiveFromDate: market.MidnightOf(day.AddDays(-400))}
	periods := make([]catalogue.B047, 48)
	for p := 1; p <= 48; p++ {
		wh := market.Energy(120 + 80*((p+8)%24)/4) // a simple daily shape, in Wh
		periods[p-1] = catalogue.B047{Sp: market.PeriodStartOf(day, p), V: wh, Q: catalogue.QualityA}
	}
	m.CustomBlock.B900 = catalogue.B900{
		MQID: catalogue.B045{MeasurementQuantityID: "AI"},
		SettlementDayConsumptionPeriods: []catalogue.B901{{
			SettlementDay:      catalogue.B046{SettlementDayDate: market.At(day.UTCMidnight()), PeriodDuration: 30},
			ConsumptionPeriods: periods,
		}},
	}
	return m
}
