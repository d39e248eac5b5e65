// Package cataloguetest builds realistic catalogue messages for tests and
// benchmarks, so that the benchmark module and the packages' own tests
// measure the same message.
package cataloguetest

import (
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

// IF021 is an IF-021 [ActivePower] message (UTC settlement period
// consumption data) from the Smart Data Service sender, for the MPAN core
// mpan of the distributor, for one UTC settlement day of 48 half-hour
// periods with a domestic load shape and a few estimated periods, as a data
// service sends them. Encoded compact it is 4.4 KB.
func IF021(sender, distributor, reference, mpan string) *catalogue.IF021ActivePower {
	m := &catalogue.IF021ActivePower{}
	sub := "mhhs benchmark"
	m.CommonBlock.S1 = catalogue.S1{
		EnvironmentTag:        "DEV",
		SubText:               &sub,
		SenderUniqueReference: reference,
		SenderTimestamp:       market.At(time.Date(2026, 1, 16, 2, 0, 0, 0, time.UTC)),
		SenderDIPID:           sender,
		SenderRoleID:          "SDS",
	}
	m.CommonBlock.M0 = catalogue.M0{MPANCore: market.MPAN(mpan), DistributorDIPID: distributor, GSPGroupID: "_C"}
	m.CustomBlock.B044 = catalogue.B044{IssuingDataServiceDIPID: sender}
	m.CustomBlock.B067 = catalogue.B067{ConnectionTypeIndicator: market.ConnectionWholeCurrent,
		ConnectionTypeEffectiveFromDate: market.MidnightOf(market.NewSettlementDate(2024, 9, 21))}

	day := market.NewSettlementDate(2026, 1, 15)
	periods := make([]catalogue.B047, market.PeriodsPerUTCDay)
	for p := range periods {
		periods[p] = catalogue.B047{
			Sp: market.PeriodStartOf(day, p+1),
			V:  market.Energy(domesticWh(p)),
			Q:  catalogue.QualityA,
		}
		if p%11 == 5 {
			e := catalogue.EstimationReason2
			periods[p].E, periods[p].Q = &e, catalogue.QualityE3
		}
	}
	m.CustomBlock.B900 = catalogue.B900{
		MQID: catalogue.B045{MeasurementQuantityID: market.ActiveImport},
		SettlementDayConsumptionPeriods: []catalogue.B901{{
			SettlementDay:      catalogue.B046{SettlementDayDate: market.At(day.UTCMidnight()), PeriodDuration: 30},
			ConsumptionPeriods: periods,
		}},
	}
	return m
}

// domesticWh is a winter weekday domestic load shape in Wh per half hour:
// a night base, a morning shoulder and an evening peak.
func domesticWh(p int) int64 {
	switch {
	case p < 12: // 00:00-06:00
		return 110 + int64(p*7%23)
	case p < 18: // 06:00-09:00
		return 320 + int64(p*13%61)
	case p < 32: // 09:00-16:00
		return 180 + int64(p*17%47)
	case p < 44: // 16:00-22:00
		return 540 + int64(p*29%173)
	default:
		return 230 + int64(p*11%37)
	}
}

// PythonSpacing rewrites compact JSON with a space after every ',' and ':'
// outside strings: the form Python's json.dumps writes by default. The
// compact IF021 message is 4.4 KB; this form, 5.0 KB, is the ~5 KB message
// of the performance research (§1.4: 5.4 KB for a 48-period consumption
// message), and JSON senders do not all write compact JSON.
func PythonSpacing(compact []byte) []byte {
	out := make([]byte, 0, len(compact)+len(compact)/8)
	inString, escaped := false, false
	for _, c := range compact {
		out = append(out, c)
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && (c == ',' || c == ':'):
			out = append(out, ' ')
		}
	}
	return out
}
