package market_test

import (
	"errors"
	"fmt"

	"github.com/mhhs/mhhs/internal/market"
)

func ExampleParseMPAN() {
	m, err := market.ParseMPAN("1200023305967")
	fmt.Println(m, m.DistributorID(), err)
	_, err = market.ParseMPAN("1200023305960")
	fmt.Println(errors.Is(err, market.ErrMPANCheckDigit))
	// Output:
	// 1200023305967 12 <nil>
	// true
}

func ExampleParseKWh() {
	e, _ := market.ParseKWh("12.345")
	fmt.Println(e.Wh(), (e - 12346).KWh())
	// Output: 12345 -0.001
}

func ExampleClockPeriods() {
	spring, _ := market.ParseSettlementDate("2025-03-30")
	autumn, _ := market.ParseSettlementDate("2025-10-26")
	fmt.Println(market.ClockPeriods(spring), market.ClockPeriods(autumn))
	d, p, _ := market.UTCToClockPeriod(spring, 47)
	fmt.Println(d, p)
	// Output:
	// 46 50
	// 2025-03-31 1
}

func ExampleLocalMidnight() {
	d := market.NewSettlementDate(2025, 4, 1)
	fmt.Println(market.FormatDateTime(market.LocalMidnight(d)))
	// Output: 2025-04-01T00:00:00+01:00
}

func ExampleCalendar_AddWorkingDays() {
	cal := market.NewCalendar()
	thursday := market.NewSettlementDate(2025, 4, 17) // before Easter
	fmt.Println(cal.AddWorkingDays(thursday, 1), cal.WorkingDaysBetween(thursday, cal.AddWorkingDays(thursday, 1)))
	// Output: 2025-04-22 1
}

func ExampleHistory() {
	var supplier market.History[string]
	supplier.Set(market.NewSettlementDate(2025, 4, 1), "ABCD")
	supplier.Set(market.NewSettlementDate(2025, 7, 1), "WXYZ")
	for _, e := range supplier.Ranges() {
		fmt.Println(e.Range, e.Value)
	}
	// Output:
	// 2025-04-01..2025-06-30 ABCD
	// 2025-07-01.. WXYZ
}
