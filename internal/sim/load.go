package sim

import (
	"strconv"
	"time"

	"github.com/mhhs/mhhs/internal/market"
)

// Customer is the kind of load behind an MPAN, which decides the shape of
// its half-hourly consumption.
type Customer uint8

// The customer types.
const (
	// Domestic is a home on a standard tariff: low at night, a morning
	// rise, an evening peak, lighting after dark, more in winter.
	Domestic Customer = iota
	// Economy7 is a home with night storage heating or EV charging: a
	// heavy block from 00:30 to 07:30 UTC, strongly seasonal, and a
	// smaller domestic day.
	Economy7
	// SmallBusiness is a smart-segment non-domestic site: business hours
	// on working days, little at weekends and on bank holidays.
	SmallBusiness
	// LargeBusiness is an advanced-segment site (LV, HV or EHV current
	// transformers): a high base load with a working-day hump.
	LargeBusiness
	// StreetLighting is an unmetered supply: constant load from sunset
	// to sunrise.
	StreetLighting
	// Solar is the export MPAN of a domestic roof: daylight only, peaking
	// at solar noon, far more in summer.
	Solar
	nCustomers
)

var customerNames = [nCustomers]string{"domestic", "economy7", "small-business", "large-business", "street-lighting", "solar"}

// String returns the type's name, e.g. "small-business".
func (c Customer) String() string {
	if c < nCustomers {
		return customerNames[c]
	}
	return "customer(" + strconv.Itoa(int(c)) + ")"
}

// The load shapes below are invented (ASSUMPTION throughout), chosen to
// look like the familiar GB curves: Elexon's profile classes 1-4 for homes
// and small businesses, a flat industrial base, lighting by darkness and
// solar by daylight. Hourly values are in local clock time
// (Europe/London): people follow the clock, the sun follows UTC.

// Hourly shape units for working days [0] and non-working days (weekends
// and England and Wales bank holidays) [1], local hours 0..23.
var (
	domesticHours = [2][24]uint64{
		{55, 45, 40, 38, 38, 40, 55, 85, 95, 85, 80, 80, 85, 80, 75, 80, 100, 140, 150, 140, 125, 110, 90, 70},
		{60, 48, 42, 40, 38, 38, 42, 55, 80, 100, 105, 105, 110, 105, 95, 95, 105, 135, 145, 135, 120, 110, 92, 72},
	}
	smallBusinessHours = [2][24]uint64{
		{30, 30, 30, 30, 30, 32, 40, 60, 110, 140, 145, 145, 140, 140, 140, 135, 125, 100, 70, 50, 42, 38, 35, 32},
		{30, 30, 30, 30, 30, 30, 32, 35, 45, 55, 60, 60, 60, 58, 55, 50, 45, 40, 36, 34, 32, 31, 30, 30},
	}
	largeBusinessHours = [2][24]uint64{
		{70, 68, 68, 68, 70, 75, 90, 110, 125, 130, 132, 132, 130, 130, 130, 128, 122, 110, 98, 90, 85, 80, 76, 72},
		{70, 68, 68, 68, 68, 68, 70, 72, 76, 80, 82, 82, 82, 80, 80, 78, 76, 75, 74, 73, 72, 71, 70, 70},
	}
)

// Shape constants in the same units as an hourly value times a per-mille
// seasonal level.
const (
	domesticLight = 30 * 1000 // a home's lights after dark, per dark half hour
	economy7Night = 260       // the night block, times the Economy 7 season
	economy7Day   = 600       // per mille of the domestic day an Economy 7 home keeps
)

// Monthly tables hold one value per month for the 15th; a date between
// two 15ths takes the linear interpolation.
var midMonth = [12]int{15, 46, 74, 105, 135, 166, 196, 227, 258, 288, 319, 349}

// Seasonal levels, per mille, January to December (ASSUMPTION: winter
// heating and lighting; Economy 7 storage heating is the most seasonal).
var (
	domesticSeason      = [12]int{1250, 1170, 1070, 960, 880, 820, 820, 840, 900, 1010, 1150, 1250}
	economy7Season      = [12]int{1550, 1400, 1200, 950, 750, 600, 580, 600, 750, 1000, 1300, 1500}
	smallBusinessSeason = [12]int{1150, 1100, 1030, 960, 920, 900, 920, 920, 930, 990, 1080, 1130}
	largeBusinessSeason = [12]int{1080, 1060, 1020, 980, 960, 950, 960, 950, 960, 990, 1040, 1050}
	// solarPeak is the clear-sky peak output relative to June, per mille:
	// the sun is higher in summer. With the longer days, June yields
	// about seven times December, as UK PV does.
	solarPeak = [12]int{300, 450, 650, 850, 950, 1000, 980, 880, 720, 500, 330, 260}
)

// Sunrise and sunset on the 15th of each month, in minutes after 00:00
// UTC, at 53.0°N 1.5°W (the middle of England and Wales), with the sun's
// centre 0.833° below the horizon and the equation of time (NOAA's
// approximations, computed once). Scotland's longer winter nights are not
// modelled.
var (
	sunrise = [12]int{492, 445, 383, 309, 249, 219, 237, 286, 338, 390, 449, 493}
	sunset  = [12]int{977, 1035, 1088, 1143, 1195, 1233, 1226, 1176, 1105, 1033, 973, 950}
)

// monthly interpolates a monthly table for day of year doy (1..366).
func monthly(t *[12]int, doy int) int {
	if doy > 365 {
		doy = 365
	}
	// Find the 15ths before and after doy, wrapping around the year.
	k := 11
	for k >= 0 && midMonth[k] > doy {
		k--
	}
	var d0, d1, v0, v1 int
	switch {
	case k < 0: // before 15 January
		d0, v0 = midMonth[11]-365, t[11]
		d1, v1 = midMonth[0], t[0]
	case k == 11: // after 15 December
		d0, v0 = midMonth[11], t[11]
		d1, v1 = midMonth[0]+365, t[0]
	default:
		d0, v0 = midMonth[k], t[k]
		d1, v1 = midMonth[k+1], t[k+1]
	}
	return v0 + (v1-v0)*(doy-d0)/(d1-d0)
}

// dayOf returns the day of the year of d, 1..366.
func dayOf(d market.SettlementDate) int {
	return d.Sub(market.NewSettlementDate(d.Year(), time.January, 1)) + 1
}

// clockOffset returns the Europe/London offset from UTC, in minutes, at
// noon UTC on d: 60 in summer time, 0 otherwise.
func clockOffset(d market.SettlementDate) int {
	_, off := d.UTCMidnight().Add(12 * time.Hour).In(market.London()).Zone()
	return off / 60
}

// dayShape is what a date contributes to every load shape: its day of the
// year, whether it is a working day, the clock offset and the sun.
type dayShape struct {
	doy         int
	nonWorking  int // 0 on working days, 1 on weekends and bank holidays
	offset      int // minutes from UTC to local clock time
	rise, set   int // sunrise and sunset, minutes after 00:00 UTC
	dark        [market.PeriodsPerUTCDay]uint64
	solarPeakPm uint64
}

func newDayShape(doy int, nonWorking bool, offset int) dayShape {
	s := dayShape{doy: doy, offset: offset, rise: monthly(&sunrise, doy), set: monthly(&sunset, doy)}
	if nonWorking {
		s.nonWorking = 1
	}
	for p := range s.dark {
		a, b := 30*p, 30*p+30
		lit := min(b, s.set) - max(a, s.rise)
		s.dark[p] = uint64(30 - max(lit, 0))
	}
	s.solarPeakPm = uint64(monthly(&solarPeak, doy))
	return s
}

// raw returns the unnormalised load of customer type c in UTC period p
// (0..47) of the day s describes. Units differ between types; New
// normalises each type so that an average year sums to one.
func (s *dayShape) raw(c Customer, p int) uint64 {
	hour := ((30*p+s.offset)/60 + 24) % 24
	switch c {
	case Domestic, Economy7:
		v := domesticHours[s.nonWorking][hour] * uint64(monthly(&domesticSeason, s.doy))
		if hour >= 16 || hour == 6 || hour == 7 {
			v += domesticLight * s.dark[p] / 30
		}
		if c == Domestic {
			return v
		}
		v = v * economy7Day / 1000
		if p >= 1 && p <= 14 { // 00:30 to 07:30 UTC
			v += economy7Night * uint64(monthly(&economy7Season, s.doy))
		}
		return v
	case SmallBusiness:
		return smallBusinessHours[s.nonWorking][hour] * uint64(monthly(&smallBusinessSeason, s.doy))
	case LargeBusiness:
		return largeBusinessHours[s.nonWorking][hour] * uint64(monthly(&largeBusinessSeason, s.doy))
	case StreetLighting:
		return 1000 * s.dark[p]
	case Solar:
		t := 30*p + 15 // midpoint of the period
		if t <= s.rise || t >= s.set {
			return 0
		}
		l := uint64(s.set - s.rise)
		parabola := 4000 * uint64(t-s.rise) * uint64(s.set-t) / (l * l) // per mille of the day's peak
		return parabola * s.solarPeakPm
	}
	return 0
}

// Working and non-working days in an average year: 261 weekdays less 8
// bank holidays, and 104 weekend days plus them.
const (
	workingDays    = 253
	nonWorkingDays = 112
)

// yearTotals returns, per customer type, 365 times the raw load of an
// average year: the sum over the days of a reference year (2025, for its
// clock changes) of 253 times the working-day load and 112 times the
// non-working-day load. A site's expected consumption in period p of date
// d is then its annual consumption × raw × 365 / total.
func yearTotals() [nCustomers]uint64 {
	var tot [nCustomers]uint64
	first := market.NewSettlementDate(2025, time.January, 1)
	for i := range 365 {
		d := first.AddDays(i)
		off := clockOffset(d)
		for k, weight := range [2]uint64{workingDays, nonWorkingDays} {
			s := newDayShape(i+1, k == 1, off)
			for c := range nCustomers {
				var sum uint64
				for p := range market.PeriodsPerUTCDay {
					sum += s.raw(c, p)
				}
				tot[c] += weight * sum
			}
		}
	}
	return tot
}
