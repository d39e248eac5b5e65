package market

import (
	"fmt"
	"strconv"
	"time"
)

// SettlementDate is a civil date in the proleptic Gregorian calendar, with
// no time of day and no location. It is used for UTC settlement days and
// for local clock days alike; which one a value means is up to the
// function that takes it.
//
// SettlementDate is four bytes, comparable with == and usable as a map key.
// Its zero value is 0001-01-01 (like time.Time), reported by IsZero; Range
// uses it to mean "open-ended".
type SettlementDate struct {
	days int32 // days since 0001-01-01
}

// unixEpochDays is the number of days from 0001-01-01 to 1970-01-01.
const unixEpochDays = 719162

// NewSettlementDate returns the date y-m-d. Like time.Date it normalises
// out-of-range months and days: NewSettlementDate(2025, 2, 29) is
// 2025-03-01 and NewSettlementDate(2025, 13, 1) is 2026-01-01. Years must
// stay within about ±5 million.
func NewSettlementDate(y int, m time.Month, d int) SettlementDate {
	mi := int(m) - 1
	y += floorDiv(mi, 12)
	mi -= floorDiv(mi, 12) * 12
	days := daysFromCivil(int64(y), mi+1, 1) + int64(d-1)
	return SettlementDate{days: int32(days + unixEpochDays)}
}

// FromTime returns the civil date of t in t's location.
func FromTime(t time.Time) SettlementDate {
	y, m, d := t.Date()
	return NewSettlementDate(y, m, d)
}

// ParseSettlementDate parses a date of the exact form "2006-01-02" (four
// digit year 0000..9999). It returns ErrDate for any other form or an
// impossible date such as 2025-02-29.
func ParseSettlementDate(s string) (SettlementDate, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' || !allDigits(s[:4]) || !allDigits(s[5:7]) || !allDigits(s[8:]) {
		return SettlementDate{}, fmt.Errorf("market: date %s: want YYYY-MM-DD: %w", quote(s), ErrDate)
	}
	y, m, d := atoi(s[:4]), atoi(s[5:7]), atoi(s[8:])
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, time.Month(m)) {
		return SettlementDate{}, fmt.Errorf("market: date %s: no such day: %w", quote(s), ErrDate)
	}
	return NewSettlementDate(y, time.Month(m), d), nil
}

// Date returns the year, month and day of d.
func (d SettlementDate) Date() (year int, month time.Month, day int) {
	y, m, dd := civilFromDays(int64(d.days) - unixEpochDays)
	return int(y), time.Month(m), dd
}

// Year returns the year of d.
func (d SettlementDate) Year() int { y, _, _ := d.Date(); return y }

// Month returns the month of d.
func (d SettlementDate) Month() time.Month { _, m, _ := d.Date(); return m }

// Day returns the day of the month of d.
func (d SettlementDate) Day() int { _, _, dd := d.Date(); return dd }

// Weekday returns the day of the week of d.
func (d SettlementDate) Weekday() time.Weekday {
	// 0001-01-01 was a Monday.
	return time.Weekday((int64(d.days)%7 + 7 + 1) % 7)
}

// AddDays returns d plus n days; n may be negative.
func (d SettlementDate) AddDays(n int) SettlementDate {
	return SettlementDate{days: d.days + int32(n)}
}

// Sub returns the number of days from e to d: d.Sub(e) is positive when d
// is after e, and e.AddDays(d.Sub(e)) == d.
func (d SettlementDate) Sub(e SettlementDate) int {
	return int(d.days) - int(e.days)
}

// Before reports whether d is before e.
func (d SettlementDate) Before(e SettlementDate) bool { return d.days < e.days }

// After reports whether d is after e.
func (d SettlementDate) After(e SettlementDate) bool { return d.days > e.days }

// Equal reports whether d and e are the same date, like d == e. It lets
// github.com/google/go-cmp compare values holding a SettlementDate.
func (d SettlementDate) Equal(e SettlementDate) bool { return d.days == e.days }

// Compare returns -1, 0 or +1 as d is before, equal to or after e, for use
// with slices.SortFunc.
func (d SettlementDate) Compare(e SettlementDate) int {
	switch {
	case d.days < e.days:
		return -1
	case d.days > e.days:
		return 1
	}
	return 0
}

// IsZero reports whether d is the zero date, 0001-01-01.
func (d SettlementDate) IsZero() bool { return d.days == 0 }

// UTCMidnight returns 00:00 UTC on d, the start of the UTC settlement day
// d.
func (d SettlementDate) UTCMidnight() time.Time {
	return time.Unix((int64(d.days)-unixEpochDays)*86400, 0).UTC()
}

// String returns d in the form "2006-01-02".
func (d SettlementDate) String() string {
	return string(d.appendTo(make([]byte, 0, 10)))
}

func (d SettlementDate) appendTo(b []byte) []byte {
	y, m, dd := d.Date()
	if y < 0 || y > 9999 {
		return fmt.Appendf(b, "%d-%02d-%02d", y, int(m), dd)
	}
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	b = append(b, byte('0'+int(m)/10), byte('0'+int(m)%10), '-')
	return append(b, byte('0'+dd/10), byte('0'+dd%10))
}

// MarshalText implements encoding.TextMarshaler with the form of String.
func (d SettlementDate) MarshalText() ([]byte, error) {
	return d.appendTo(nil), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with
// ParseSettlementDate.
func (d *SettlementDate) UnmarshalText(b []byte) error {
	v, err := ParseSettlementDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// daysIn returns the number of days in month m of year y.
func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// atoi converts a short string of ASCII digits.
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// daysFromCivil returns the days since 1970-01-01 of y-m-d (m in 1..12).
// Howard Hinnant's algorithm.
func daysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := int64(m + 9)
	if m > 2 {
		mp = int64(m - 3)
	}
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y int64, m, d int) {
	z += 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}
