package market

import (
	"slices"
	"time"
)

// HolidayOverride changes the bank holidays a Calendar derives from the
// standing rules: it adds Date as a holiday called Name, or, with Remove
// set, declares that Date is not a holiday even if a rule says it is.
type HolidayOverride struct {
	Date   SettlementDate
	Name   string // for an added holiday
	Remove bool   // remove Date instead of adding it
}

// DefaultHolidayOverrides returns the one-off changes to the England and
// Wales bank holidays proclaimed since 1995: moved holidays (a Remove of
// the rule date and an addition of the new date) and extra holidays. This
// is data, not a rule: extend it when a new proclamation is made. The slice
// is new on each call.
func DefaultHolidayOverrides() []HolidayOverride {
	add := func(y int, m time.Month, d int, name string) HolidayOverride {
		return HolidayOverride{Date: NewSettlementDate(y, m, d), Name: name}
	}
	remove := func(y int, m time.Month, d int) HolidayOverride {
		return HolidayOverride{Date: NewSettlementDate(y, m, d), Remove: true}
	}
	return []HolidayOverride{
		// 1995: Early May bank holiday moved to 8 May for the 50th
		// anniversary of VE Day.
		remove(1995, time.May, 1),
		add(1995, time.May, 8, "Early May bank holiday (VE day)"),
		// 1999: millennium.
		add(1999, time.December, 31, "Millennium Eve"),
		// 2002: Spring bank holiday moved to 4 June; Golden Jubilee.
		remove(2002, time.May, 27),
		add(2002, time.June, 3, "Golden Jubilee bank holiday"),
		add(2002, time.June, 4, "Spring bank holiday"),
		// 2011: royal wedding.
		add(2011, time.April, 29, "Royal wedding"),
		// 2012: Spring bank holiday moved to 4 June; Diamond Jubilee.
		remove(2012, time.May, 28),
		add(2012, time.June, 4, "Spring bank holiday"),
		add(2012, time.June, 5, "Queen's Diamond Jubilee"),
		// 2020: Early May bank holiday moved to Friday 8 May (VE day).
		remove(2020, time.May, 4),
		add(2020, time.May, 8, "Early May bank holiday (VE day)"),
		// 2022: Spring bank holiday moved to 2 June; Platinum Jubilee;
		// State Funeral of Queen Elizabeth II.
		remove(2022, time.May, 30),
		add(2022, time.June, 2, "Spring bank holiday"),
		add(2022, time.June, 3, "Platinum Jubilee bank holiday"),
		add(2022, time.September, 19, "Bank Holiday for the State Funeral of Queen Elizabeth II"),
		// 2023: coronation.
		add(2023, time.May, 8, "Bank holiday for the coronation of King Charles III"),
	}
}

// Calendar is the England and Wales bank holiday and working-day calendar.
// Bank holidays follow the standing rules for any year (New Year's Day,
// Good Friday, Easter Monday, Early May, Spring and Summer bank holidays,
// Christmas Day and Boxing Day, with substitute days), adjusted by
// overrides. The rules are those in force since 1978, when the Early May
// bank holiday began. Saturdays and Sundays are never working days.
//
// A Calendar is immutable once built and safe for concurrent use. The zero
// Calendar applies the rules with no overrides at all; use NewCalendar for
// the published calendar.
type Calendar struct {
	added   map[SettlementDate]string
	removed map[SettlementDate]bool
}

// NewCalendar returns the calendar built from the rules, then
// DefaultHolidayOverrides, then overrides, in that order: a later override
// of the same date wins, so callers can both add dates and remove any
// holiday, including a default one.
func NewCalendar(overrides ...HolidayOverride) *Calendar {
	c := &Calendar{added: map[SettlementDate]string{}, removed: map[SettlementDate]bool{}}
	for _, o := range append(DefaultHolidayOverrides(), overrides...) {
		if o.Remove {
			delete(c.added, o.Date)
			c.removed[o.Date] = true
		} else {
			delete(c.removed, o.Date)
			c.added[o.Date] = o.Name
		}
	}
	return c
}

// holiday is a dated bank holiday.
type holiday struct {
	date SettlementDate
	name string
}

// ruleHolidays returns the bank holidays the standing rules give for year
// y, in date order.
func ruleHolidays(y int) []holiday {
	hs := make([]holiday, 0, 8)
	// New Year's Day, moved to Monday from a weekend.
	ny := NewSettlementDate(y, time.January, 1)
	switch ny.Weekday() {
	case time.Saturday:
		hs = append(hs, holiday{ny.AddDays(2), "New Year's Day (substitute day)"})
	case time.Sunday:
		hs = append(hs, holiday{ny.AddDays(1), "New Year's Day (substitute day)"})
	default:
		hs = append(hs, holiday{ny, "New Year's Day"})
	}
	easter := EasterSunday(y)
	hs = append(hs,
		holiday{easter.AddDays(-2), "Good Friday"},
		holiday{easter.AddDays(1), "Easter Monday"},
		holiday{firstWeekday(y, time.May, time.Monday), "Early May bank holiday"},
		holiday{lastWeekday(y, time.May, time.Monday), "Spring bank holiday"},
		holiday{lastWeekday(y, time.August, time.Monday), "Summer bank holiday"},
	)
	// Christmas Day and Boxing Day. A weekend Christmas Day moves to Tuesday
	// 27th when Boxing Day is Monday 26th, else to Monday 27th; a weekend
	// Boxing Day moves to 28th (Monday or Tuesday).
	xmas := NewSettlementDate(y, time.December, 25)
	boxing := xmas.AddDays(1)
	if wd := xmas.Weekday(); wd == time.Saturday || wd == time.Sunday {
		hs = append(hs, holiday{xmas.AddDays(2), "Christmas Day (substitute day)"})
	} else {
		hs = append(hs, holiday{xmas, "Christmas Day"})
	}
	if wd := boxing.Weekday(); wd == time.Saturday || wd == time.Sunday {
		hs = append(hs, holiday{boxing.AddDays(2), "Boxing Day (substitute day)"})
	} else {
		hs = append(hs, holiday{boxing, "Boxing Day"})
	}
	slices.SortFunc(hs, func(a, b holiday) int { return a.date.Compare(b.date) })
	return hs
}

// EasterSunday returns the date of Easter Sunday in year y of the Gregorian
// calendar, by the anonymous Gregorian (Meeus/Jones/Butcher) algorithm.
func EasterSunday(y int) SettlementDate {
	a := y % 19
	b, c := y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return NewSettlementDate(y, time.Month(month), day)
}

// firstWeekday returns the first wd of month m in year y.
func firstWeekday(y int, m time.Month, wd time.Weekday) SettlementDate {
	d := NewSettlementDate(y, m, 1)
	return d.AddDays((int(wd) - int(d.Weekday()) + 7) % 7)
}

// lastWeekday returns the last wd of month m in year y.
func lastWeekday(y int, m time.Month, wd time.Weekday) SettlementDate {
	d := NewSettlementDate(y, m+1, 0)
	return d.AddDays(-((int(d.Weekday()) - int(wd) + 7) % 7))
}

// holidays returns the bank holidays of year y after overrides, in date
// order.
func (c *Calendar) holidays(y int) []holiday {
	var hs []holiday
	for _, h := range ruleHolidays(y) {
		if _, ok := c.added[h.date]; !ok && !c.removed[h.date] {
			hs = append(hs, h)
		}
	}
	for d, name := range c.added {
		if d.Year() == y {
			hs = append(hs, holiday{d, name})
		}
	}
	slices.SortFunc(hs, func(a, b holiday) int { return a.date.Compare(b.date) })
	return hs
}

// Holidays returns the bank holidays of year y in date order.
func (c *Calendar) Holidays(y int) []SettlementDate {
	hs := c.holidays(y)
	ds := make([]SettlementDate, len(hs))
	for i, h := range hs {
		ds[i] = h.date
	}
	return ds
}

// HolidayName returns the name of the bank holiday on d and whether d is a
// bank holiday.
func (c *Calendar) HolidayName(d SettlementDate) (string, bool) {
	if name, ok := c.added[d]; ok {
		return name, true
	}
	if c.removed[d] {
		return "", false
	}
	switch d.Month() {
	case time.February, time.June, time.July, time.September, time.October, time.November:
		return "", false // no rule holiday falls in these months
	}
	for _, h := range ruleHolidays(d.Year()) {
		if h.date == d {
			return h.name, true
		}
	}
	return "", false
}

// IsHoliday reports whether d is a bank holiday.
func (c *Calendar) IsHoliday(d SettlementDate) bool {
	_, ok := c.HolidayName(d)
	return ok
}

// IsWorkingDay reports whether d is a working day: Monday to Friday and
// not a bank holiday.
func (c *Calendar) IsWorkingDay(d SettlementDate) bool {
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return !c.IsHoliday(d)
}

// AddWorkingDays returns the date n working days after d (before d if n is
// negative). d itself is never counted, whether or not it is a working
// day: AddWorkingDays(Friday, 1) is the next Monday (if a working day), and
// so is AddWorkingDays(Saturday, 1). For n == 0 it returns d if d is a
// working day, else the next working day after d.
func (c *Calendar) AddWorkingDays(d SettlementDate, n int) SettlementDate {
	if n == 0 {
		for !c.IsWorkingDay(d) {
			d = d.AddDays(1)
		}
		return d
	}
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDays(step)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return d
}

// WorkingDaysBetween returns the signed number of working days passed on
// the way from a to b, counting b but not a: the working days in (a, b]
// when a is before b, minus those in [b, a) when b is before a, and 0 when
// they are equal. Monday to the next Monday is 5 in a week without
// holidays, and back is -5. It inverts AddWorkingDays: for every a and
// n != 0, WorkingDaysBetween(a, AddWorkingDays(a, n)) == n. It is
// antisymmetric when a and b are both working days.
func (c *Calendar) WorkingDaysBetween(a, b SettlementDate) int {
	if b.Before(a) {
		n := 0
		for d := b; d.Before(a); d = d.AddDays(1) {
			if c.IsWorkingDay(d) {
				n--
			}
		}
		return n
	}
	n := 0
	for d := a.AddDays(1); !d.After(b); d = d.AddDays(1) {
		if c.IsWorkingDay(d) {
			n++
		}
	}
	return n
}
