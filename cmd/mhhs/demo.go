package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
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
		e, _ := market.ParseKWh(p.V)
		total += e
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

	fmt.Fprintln(w, "Not in this build yet: the DIP hub (mhhs serve), registration, data services,")
	fmt.Fprintln(w, "load shaping, market-wide data and volume allocation. See README.md.")
	return exitOK
}

// sampleIF021 builds the IF-021 a smart data service sends for one MPAN-day:
// a gentle domestic load curve, actual quality.
func sampleIF021(mpan market.MPAN, day market.SettlementDate) *catalogue.IF021ActivePower {
	m := &catalogue.IF021ActivePower{}
	sender := "1200000001"
	m.CommonBlock.S1 = catalogue.S1{
		EnvironmentTag:        "DEV",
		SenderUniqueReference: fmt.Sprintf("S-IF-021-%s-SDS-%s-1", sender, day.UTCMidnight().Format("20060102")),
		SenderTimestamp:       market.FormatDateTime(day.UTCMidnight().Add(26 * time.Hour)),
		SenderDIPID:           sender,
		SenderRoleID:          "SDS",
	}
	gsp, _ := market.GSPGroupOfDistributor(mpan.DistributorID())
	m.CommonBlock.M0 = catalogue.M0{MPANCore: string(mpan), DistributorDIPID: "2500000012", GSPGroupID: string(gsp)}
	m.CommonBlock.S0.SchemaVersion = "011"
	m.CustomBlock.B044 = catalogue.B044{IssuingDataServiceDIPID: sender}
	m.CustomBlock.B067 = catalogue.B067{ConnectionTypeIndicator: "W", ConnectionTypeEffectiveFromDate: market.FormatDateTime(market.LocalMidnight(day.AddDays(-400)))}
	periods := make([]catalogue.B047, 48)
	for p := 1; p <= 48; p++ {
		wh := market.Energy(120 + 80*((p+8)%24)/4) // a simple daily shape, in Wh
		periods[p-1] = catalogue.B047{Sp: market.FormatDateTime(day.UTCPeriodStart(p)), V: wh.KWh(), Q: "A"}
	}
	m.CustomBlock.B900 = catalogue.B900{
		MQID: catalogue.B045{MeasurementQuantityID: "AI"},
		SettlementDayConsumptionPeriods: []catalogue.B901{{
			SettlementDay:      catalogue.B046{SettlementDayDate: market.FormatDateTime(day.UTCMidnight()), PeriodDuration: 30},
			ConsumptionPeriods: periods,
		}},
	}
	return m
}
