package market

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// dates parses "2006-01-02" strings for a test table.
func dates(t *testing.T, ss ...string) []SettlementDate {
	t.Helper()
	ds := make([]SettlementDate, len(ss))
	for i, s := range ss {
		d, err := ParseSettlementDate(s)
		if err != nil {
			t.Fatal(err)
		}
		ds[i] = d
	}
	return ds
}

// TestHolidaysGovUK checks the England and Wales bank holidays published
// on gov.uk/bank-holidays for 2020-2026 (2027 as announced).
func TestHolidaysGovUK(t *testing.T) {
	published := map[int][]string{
		2019: {"2019-01-01", "2019-04-19", "2019-04-22", "2019-05-06", "2019-05-27", "2019-08-26", "2019-12-25", "2019-12-26"},
		2020: {"2020-01-01", "2020-04-10", "2020-04-13", "2020-05-08", "2020-05-25", "2020-08-31", "2020-12-25", "2020-12-28"},
		2021: {"2021-01-01", "2021-04-02", "2021-04-05", "2021-05-03", "2021-05-31", "2021-08-30", "2021-12-27", "2021-12-28"},
		2022: {"2022-01-03", "2022-04-15", "2022-04-18", "2022-05-02", "2022-06-02", "2022-06-03", "2022-08-29", "2022-09-19", "2022-12-26", "2022-12-27"},
		2023: {"2023-01-02", "2023-04-07", "2023-04-10", "2023-05-01", "2023-05-08", "2023-05-29", "2023-08-28", "2023-12-25", "2023-12-26"},
		2024: {"2024-01-01", "2024-03-29", "2024-04-01", "2024-05-06", "2024-05-27", "2024-08-26", "2024-12-25", "2024-12-26"},
		2025: {"2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05", "2025-05-26", "2025-08-25", "2025-12-25", "2025-12-26"},
		2026: {"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28"},
		2027: {"2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30", "2027-12-27", "2027-12-28"},
		// One-off years from the default overrides.
		2002: {"2002-01-01", "2002-03-29", "2002-04-01", "2002-05-06", "2002-06-03", "2002-06-04", "2002-08-26", "2002-12-25", "2002-12-26"},
		2011: {"2011-01-03", "2011-04-22", "2011-04-25", "2011-04-29", "2011-05-02", "2011-05-30", "2011-08-29", "2011-12-26", "2011-12-27"},
		2012: {"2012-01-02", "2012-04-06", "2012-04-09", "2012-05-07", "2012-06-04", "2012-06-05", "2012-08-27", "2012-12-25", "2012-12-26"},
	}
	c := NewCalendar()
	for y, want := range published {
		if diff := cmp.Diff(dates(t, want...), c.Holidays(y)); diff != "" {
			t.Errorf("Holidays(%d) (-want +got):\n%s", y, diff)
		}
		for _, d := range dates(t, want...) {
			if !c.IsHoliday(d) || c.IsWorkingDay(d) {
				t.Errorf("%v: IsHoliday %v IsWorkingDay %v", d, c.IsHoliday(d), c.IsWorkingDay(d))
			}
		}
	}
}

func TestHolidayNames(t *testing.T) {
	c := NewCalendar()
	tests := map[SettlementDate]string{
		date(2022, 1, 3):   "New Year's Day (substitute day)",
		date(2025, 4, 18):  "Good Friday",
		date(2025, 4, 21):  "Easter Monday",
		date(2025, 5, 5):   "Early May bank holiday",
		date(2025, 5, 26):  "Spring bank holiday",
		date(2025, 8, 25):  "Summer bank holiday",
		date(2022, 12, 26): "Boxing Day",
		date(2022, 12, 27): "Christmas Day (substitute day)",
		date(2026, 12, 28): "Boxing Day (substitute day)",
		date(2022, 9, 19):  "Bank Holiday for the State Funeral of Queen Elizabeth II",
		date(2023, 5, 8):   "Bank holiday for the coronation of King Charles III",
	}
	for d, want := range tests {
		if got, ok := c.HolidayName(d); !ok || got != want {
			t.Errorf("HolidayName(%v) = %q, %v; want %q", d, got, ok, want)
		}
	}
	if name, ok := c.HolidayName(date(2020, 5, 4)); ok {
		t.Errorf("HolidayName(2020-05-04) = %q, moved to 8 May", name)
	}
}

func TestEasterSunday(t *testing.T) {
	// Well-known Gregorian Easter dates, including the extremes 22 March
	// and 25 April.
	want := map[int]string{
		1818: "1818-03-22", 1943: "1943-04-25", 2000: "2000-04-23", 2008: "2008-03-23",
		2019: "2019-04-21", 2020: "2020-04-12", 2021: "2021-04-04", 2022: "2022-04-17",
		2023: "2023-04-09", 2024: "2024-03-31", 2025: "2025-04-20", 2026: "2026-04-05",
		2027: "2027-03-28", 2028: "2028-04-16", 2029: "2029-04-01", 2030: "2030-04-21",
		2038: "2038-04-25", 2285: "2285-03-22",
	}
	for y, s := range want {
		if got := EasterSunday(y); got.String() != s || got.Weekday() != time.Sunday {
			t.Errorf("EasterSunday(%d) = %v, want %s", y, got, s)
		}
	}
	for y := 1900; y <= 2200; y++ {
		e := EasterSunday(y)
		if e.Weekday() != time.Sunday || e.Before(date(y, 3, 22)) || e.After(date(y, 4, 25)) {
			t.Fatalf("EasterSunday(%d) = %v", y, e)
		}
	}
}

func TestHolidayRulesProperty(t *testing.T) {
	c := NewCalendar()
	for y := 1996; y <= 2100; y++ {
		hs := c.Holidays(y)
		if len(hs) < 8 {
			t.Fatalf("Holidays(%d) has %d days", y, len(hs))
		}
		for i, d := range hs {
			if d.Year() != y || (i > 0 && !hs[i-1].Before(d)) {
				t.Fatalf("Holidays(%d) = %v: not sorted, unique and in the year", y, hs)
			}
			if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
				if y != 1999 { // no weekend holidays by rule
					t.Fatalf("%v is a %v holiday", d, wd)
				}
			}
		}
		// Exactly 8 in years without one-offs: substitutes never collide.
		one := map[int]bool{1999: true, 2002: true, 2011: true, 2012: true, 2022: true, 2023: true}
		if !one[y] && len(hs) != 8 {
			t.Fatalf("Holidays(%d) = %v, want 8", y, hs)
		}
		// Christmas and Boxing Day always give two working-week holidays in 25-28 Dec.
		n := 0
		for d := date(y, 12, 25); d.Day() <= 28 && d.Month() == 12; d = d.AddDays(1) {
			if c.IsHoliday(d) {
				n++
			}
		}
		if n != 2 {
			t.Fatalf("%d: %d holidays between 25 and 28 December", y, n)
		}
	}
}

func TestCalendarOverrides(t *testing.T) {
	extra := date(2025, 7, 7)
	c := NewCalendar(
		HolidayOverride{Date: extra, Name: "Extra"},
		HolidayOverride{Date: date(2025, 5, 5), Remove: true},
		HolidayOverride{Date: date(2022, 9, 19), Remove: true}, // a default one-off
		HolidayOverride{Date: date(2025, 8, 25), Remove: true},
		HolidayOverride{Date: date(2025, 8, 25), Name: "Back again"}, // later wins
	)
	want := dates(t, "2025-01-01", "2025-04-18", "2025-04-21", "2025-05-26", "2025-07-07", "2025-08-25", "2025-12-25", "2025-12-26")
	if diff := cmp.Diff(want, c.Holidays(2025)); diff != "" {
		t.Errorf("Holidays(2025) (-want +got):\n%s", diff)
	}
	if name, ok := c.HolidayName(extra); !ok || name != "Extra" {
		t.Errorf("HolidayName(extra) = %q, %v", name, ok)
	}
	if name, _ := c.HolidayName(date(2025, 8, 25)); name != "Back again" {
		t.Errorf("HolidayName(2025-08-25) = %q", name)
	}
	if c.IsHoliday(date(2022, 9, 19)) || !c.IsWorkingDay(date(2022, 9, 19)) {
		t.Error("removed default override still a holiday")
	}
	// The zero Calendar has rules only: no one-off days.
	var zero Calendar
	if zero.IsHoliday(date(2022, 9, 19)) || !zero.IsHoliday(date(2020, 5, 4)) || zero.IsHoliday(date(2020, 5, 8)) {
		t.Error("zero Calendar applies overrides")
	}
	// NewCalendar has no shared state.
	if NewCalendar().IsHoliday(extra) {
		t.Error("overrides leak between calendars")
	}
}

func TestAddWorkingDays(t *testing.T) {
	c := NewCalendar()
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2025-06-02", 0, "2025-06-02"},  // Monday, a working day
		{"2025-06-07", 0, "2025-06-09"},  // Saturday -> Monday
		{"2025-12-25", 0, "2025-12-29"},  // Christmas -> Monday 29th
		{"2025-06-06", 1, "2025-06-09"},  // Friday + 1 -> Monday
		{"2025-06-07", 1, "2025-06-09"},  // Saturday + 1 -> Monday
		{"2025-06-02", 5, "2025-06-09"},  // a week
		{"2025-06-02", 10, "2025-06-16"}, // two weeks
		{"2025-04-17", 1, "2025-04-22"},  // over Good Friday and Easter Monday
		{"2025-12-24", 1, "2025-12-29"},
		{"2025-12-31", 1, "2026-01-02"},
		{"2025-05-23", 1, "2025-05-27"}, // over Spring bank holiday
		{"2025-06-09", -1, "2025-06-06"},
		{"2025-06-08", -1, "2025-06-06"}, // Sunday - 1 -> Friday
		{"2025-04-22", -1, "2025-04-17"},
		{"2025-06-16", -10, "2025-06-02"},
		{"2026-01-02", -2, "2025-12-30"},
		{"2026-01-02", -5, "2025-12-23"},
		{"2022-06-01", 1, "2022-06-06"}, // over the 2022 Jubilee days
		{"2022-09-16", 1, "2022-09-20"}, // over the State Funeral
	}
	for _, tt := range tests {
		from := dates(t, tt.from)[0]
		if got := c.AddWorkingDays(from, tt.n); got.String() != tt.want {
			t.Errorf("AddWorkingDays(%s, %d) = %v, want %s", tt.from, tt.n, got, tt.want)
		}
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	c := NewCalendar()
	tests := []struct {
		a, b string
		want int
	}{
		{"2025-06-02", "2025-06-02", 0},
		{"2025-06-02", "2025-06-03", 1},
		{"2025-06-02", "2025-06-09", 5},
		{"2025-06-09", "2025-06-02", -5},
		{"2025-06-06", "2025-06-08", 0}, // Friday to Sunday
		{"2025-06-07", "2025-06-09", 1},
		{"2025-04-17", "2025-04-22", 1},
		{"2025-12-24", "2026-01-02", 4},   // 29, 30, 31 Dec; 2 Jan
		{"2026-01-02", "2025-12-24", -4},  // 24, 29, 30, 31 Dec
		{"2025-06-09", "2025-06-07", 0},   // Monday back to Saturday
		{"2025-06-08", "2025-06-06", -1},  // Sunday back to Friday
		{"2025-01-01", "2025-12-31", 253}, // 261 weekdays less 8 holidays
	}
	for _, tt := range tests {
		ds := dates(t, tt.a, tt.b)
		if got := c.WorkingDaysBetween(ds[0], ds[1]); got != tt.want {
			t.Errorf("WorkingDaysBetween(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestWorkingDaysProperty(t *testing.T) {
	c := NewCalendar()
	start := date(2024, 12, 1)
	for i := range 120 {
		a := start.AddDays(i)
		for _, n := range []int{-12, -5, -1, 1, 2, 5, 10, 23} {
			b := c.AddWorkingDays(a, n)
			if !c.IsWorkingDay(b) {
				t.Fatalf("AddWorkingDays(%v, %d) = %v is not a working day", a, n, b)
			}
			if got := c.WorkingDaysBetween(a, b); got != n {
				t.Fatalf("WorkingDaysBetween(%v, AddWorkingDays(%v, %d) = %v) = %d", a, a, n, b, got)
			}
			if c.IsWorkingDay(a) {
				if got := c.WorkingDaysBetween(b, a); got != -n {
					t.Fatalf("WorkingDaysBetween(%v, %v) = %d, want %d", b, a, got, -n)
				}
			}
		}
		z := c.AddWorkingDays(a, 0)
		if !c.IsWorkingDay(z) || z.Before(a) || (c.IsWorkingDay(a) && z != a) {
			t.Fatalf("AddWorkingDays(%v, 0) = %v", a, z)
		}
	}
}
