package catalogue

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/market"
)

// benchIF021 is one IF-021 [ActivePower] message array for one MPAN and one
// UTC day of 48 periods, built with the typed API, as a data service sends it.
func benchIF021(tb testing.TB) []byte {
	m := &IF021ActivePower{}
	sub := "performance run"
	m.CommonBlock.S1 = S1{EnvironmentTag: EnvironmentDEV, SubText: &sub,
		SenderUniqueReference: "S-IF-021-1200000001-SDS-20251026-7f3a9c2e1b",
		SenderTimestamp:       market.At(time.Date(2025, 10, 27, 2, 0, 0, 0, time.UTC)), SenderDIPID: "1200000001", SenderRoleID: "SDS"}
	m.CommonBlock.M0 = M0{MPANCore: "1200023305967", DistributorDIPID: "2500000012", GSPGroupID: "_C"}
	m.CustomBlock.B044 = B044{IssuingDataServiceDIPID: "1200000001"}
	m.CustomBlock.B067 = B067{ConnectionTypeIndicator: market.ConnectionWholeCurrent, ConnectionTypeEffectiveFromDate: market.MidnightOf(market.NewSettlementDate(2024, 9, 21))}
	day := market.NewSettlementDate(2025, 10, 26)
	periods := make([]B047, 48)
	for p := range periods {
		periods[p] = B047{Sp: market.PeriodStartOf(day, p+1), V: market.Energy((p*37)%3*1000 + (p*911)%1000), Q: QualityA}
		if p%7 == 3 {
			e := EstimationReason2
			periods[p].E, periods[p].Q = &e, QualityE3
		}
	}
	m.CustomBlock.B900 = B900{MQID: B045{MeasurementQuantityID: market.ActiveImport}, SettlementDayConsumptionPeriods: []B901{{
		SettlementDay:      B046{SettlementDayDate: market.At(day.UTCMidnight()), PeriodDuration: 30},
		ConsumptionPeriods: periods,
	}}}
	p, err := Encode(m)
	if err != nil {
		tb.Fatal(err)
	}
	body := wrapArray(p)
	verdicts, err := NewValidator(nil).ValidateArray("IF-021", body)
	if err != nil || !verdicts[0].OK() {
		tb.Fatalf("benchmark message invalid: %v %v", err, verdicts)
	}
	return body
}

func reportMsgs(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkIF021 compares, on the same bytes in the same run: mhhs's
// one-pass validator (L1 and L2, with the routing envelope), plain
// encoding/json decoding into the typed structs (no validation at all), and
// a general JSON Schema validator (santhosh-tekuri/jsonschema, parse and
// validate) on the catalogue's own JSON Schema for IF-021.
func BenchmarkIF021(b *testing.B) {
	body := benchIF021(b)
	b.Run("mhhs-validate", func(b *testing.B) {
		val := NewValidator(nil)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			v, err := val.ValidateArray("IF-021", body)
			if err != nil || !v[0].OK() {
				b.Fatal("rejected")
			}
		}
		reportMsgs(b)
	})
	b.Run("encoding-json-decode", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var msgs []struct {
				Payload IF021ActivePower `json:"payload"`
			}
			if err := json.Unmarshal(body, &msgs); err != nil {
				b.Fatal(err)
			}
		}
		reportMsgs(b)
	})
	b.Run("jsonschema-validate", func(b *testing.B) {
		v, _ := Default().Variant("IF-021", "[ActivePower]")
		s := compileJSONSchema(b, Default(), v)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if err := generalVerdict(b, s, body); err != nil {
				b.Fatal(err)
			}
		}
		reportMsgs(b)
	})
}
