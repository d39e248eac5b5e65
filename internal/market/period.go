package market

import (
	"fmt"
	"sync"
	"time"
	_ "time/tzdata" // Europe/London must resolve on machines without a zoneinfo database.
)

// Settlement periods are half hours.
const (
	// PeriodsPerUTCDay is the number of settlement periods in a UTC
	// settlement day: always 48.
	PeriodsPerUTCDay = 48
	// PeriodDuration is the length of a settlement period.
	PeriodDuration = 30 * time.Minute
)

// london loads Europe/London once. The location is immutable once loaded.
var london = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		// Unreachable: time/tzdata is embedded in every binary that
		// imports this package, so a failure means a broken build.
		panic(fmt.Sprintf("market: load Europe/London: %v", err))
	}
	return loc
})

// London returns the Europe/London location, the clock of GB local
// settlement days and of local-midnight effective dates.
func London() *time.Location { return london() }

// UTCPeriodStart returns the instant at which UTC settlement period p of
// the UTC day d starts: period 1 starts at 00:00 UTC and period 48 at
// 23:30 UTC. p is not checked: a p outside 1..48 extrapolates, so period 49
// is period 1 of the next day.
func (d SettlementDate) UTCPeriodStart(p int) time.Time {
	return d.UTCMidnight().Add(time.Duration(p-1) * PeriodDuration)
}

// UTCPeriodEnd returns the instant at which UTC settlement period p of the
// UTC day d ends, which is the start of period p+1. Like UTCPeriodStart it
// does not check p.
func (d SettlementDate) UTCPeriodEnd(p int) time.Time {
	return d.UTCPeriodStart(p + 1)
}

// UTCPeriodOf returns the UTC settlement day and the period (1..48)
// containing t.
func UTCPeriodOf(t time.Time) (SettlementDate, int) {
	u := t.UTC()
	return FromTime(u), u.Hour()*2 + u.Minute()/30 + 1
}

// LocalMidnight returns the instant of 00:00 Europe/London on d. GB clocks
// change at 01:00 UTC, so local midnight always exists and is unique.
func LocalMidnight(d SettlementDate) time.Time {
	y, m, dd := d.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, London())
}

// IsLocalMidnight reports whether t is exactly 00:00:00 on the Europe/London
// clock, whatever location t carries. 2025-04-01T00:00:00+01:00 is local
// midnight; 2025-04-01T00:00:00+00:00 is not (it is 01:00 BST).
func IsLocalMidnight(t time.Time) bool {
	l := t.In(London())
	return l.Hour() == 0 && l.Minute() == 0 && l.Second() == 0 && l.Nanosecond() == 0
}

// ClockPeriods returns the number of settlement periods in the local
// (Europe/London) clock day d: 46 on the day clocks go forward, 50 on the
// day they go back, 48 otherwise.
func ClockPeriods(d SettlementDate) int {
	return int(LocalMidnight(d.AddDays(1)).Sub(LocalMidnight(d)) / PeriodDuration)
}

// ClockPeriodStart returns the instant at which clock period p of the
// local day d starts: local midnight plus p-1 half hours of elapsed time.
// On the autumn day periods 3 and 5 both start at 01:00 on the clock, an
// hour apart. p is not checked: outside 1..ClockPeriods(d) it extrapolates.
func ClockPeriodStart(d SettlementDate, p int) time.Time {
	return LocalMidnight(d).Add(time.Duration(p-1) * PeriodDuration).UTC()
}

// ClockPeriodOf returns the local (Europe/London) clock day containing t
// and the clock period (1..ClockPeriods(day)) containing t.
func ClockPeriodOf(t time.Time) (SettlementDate, int) {
	d := FromTime(t.In(London()))
	return d, int(t.Sub(LocalMidnight(d))/PeriodDuration) + 1
}

// UTCToClockPeriod maps UTC settlement period p of the UTC day d to the
// local clock day and clock period covering the same half hour. It returns
// ErrPeriod if p is not in 1..48.
func UTCToClockPeriod(d SettlementDate, p int) (SettlementDate, int, error) {
	if p < 1 || p > PeriodsPerUTCDay {
		return SettlementDate{}, 0, fmt.Errorf("market: UTC period %d of %s: want 1..%d: %w", p, d, PeriodsPerUTCDay, ErrPeriod)
	}
	cd, cp := ClockPeriodOf(d.UTCPeriodStart(p))
	return cd, cp, nil
}

// ClockToUTCPeriod maps clock period p of the local clock day d to the UTC
// settlement day and UTC period covering the same half hour. It returns
// ErrPeriod if p is not in 1..ClockPeriods(d).
func ClockToUTCPeriod(d SettlementDate, p int) (SettlementDate, int, error) {
	if n := ClockPeriods(d); p < 1 || p > n {
		return SettlementDate{}, 0, fmt.Errorf("market: clock period %d of %s: want 1..%d: %w", p, d, n, ErrPeriod)
	}
	ud, up := UTCPeriodOf(ClockPeriodStart(d, p))
	return ud, up, nil
}
